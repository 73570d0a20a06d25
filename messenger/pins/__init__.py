"""Pinned messages of a room."""

from __future__ import annotations

from flask import Flask

from messenger.core.context import Services


def register(app: Flask, svc: Services) -> None:
    from messenger.pins import routes  # loaded by the app factory only: importing a module of the package stays light

    routes.register(app, svc)


__all__ = ["register"]
