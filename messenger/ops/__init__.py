"""Operations: backup, verify, restore, automatic backups and start-at-login (CLI and tray share them).

As a feature it registers one periodic job: the automatic backup check (see :mod:`messenger.ops.schedule`).
"""

from __future__ import annotations

from typing import Any


def register(app: Any, svc: Any) -> None:
    from messenger.ops import console
    from messenger.ops.schedule import CHECK_INTERVAL_SECONDS, run_if_due

    console.register(app, svc)

    def auto_backup() -> None:
        import gevent

        # The snapshot and file copies block: run them on a native thread, not in the server's hub.
        gevent.get_hub().threadpool.apply(run_if_due, (svc.settings,))

    svc.jobs.every("auto_backup", CHECK_INTERVAL_SECONDS, auto_backup)
