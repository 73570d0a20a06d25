"""Message retention: a daily job that forgets messages older than ``RETENTION_DAYS``."""

from __future__ import annotations

from flask import Flask

from messenger.core.context import Services

DAY = 24 * 3600


def register(app: Flask, svc: Services) -> None:
    """Schedule the daily job (and a first run at start-up) when retention is on."""
    from messenger.retention.service import run_retention

    if svc.settings.RETENTION_DAYS <= 0:
        return
    svc.jobs.every("retention", DAY, lambda: run_retention(svc))
    # The lease in job_locks keeps a restart (or a second node) from running it again within the day.
    svc.jobs.on_start(lambda: svc.jobs.run_now("retention"))


__all__ = ["register"]
