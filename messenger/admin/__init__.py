"""Server administration: accounts (activate, admin role, password reset, deletion), server settings
and the server-wide audit log (JSON and CSV)."""

from __future__ import annotations

from flask import Flask

from messenger.core.context import Services


def register(app: Flask, svc: Services) -> None:
    from messenger.admin import routes, service  # loaded by the app factory only (see messenger/app.py)

    routes.register(app, svc)
    # "Last seen" for the user list: the last login, or the moment the last socket went away.
    svc.realtime.disconnect_hooks.append(service.note_last_seen)
    svc.realtime.stop_hooks.append(service.flush_last_seen)


__all__ = ["register"]
