"""Files: uploads with one-time tokens, downloads for room members, thumbnails, avatars, ClamAV scans."""

from __future__ import annotations

from flask import Flask

from messenger.core.context import Services


def register(app: Flask, svc: Services) -> None:
    from messenger.files import quarantine, routes, service

    routes.register(app, svc)
    svc.health_checks["av"] = lambda: quarantine.health(svc)
    svc.jobs.on_start(lambda: quarantine.resume_pending(svc))
    svc.jobs.every("files_purge_orphans", 3600, lambda: service.purge_orphans(svc))
