"""Polls: single or multiple choice, anonymous or not, with an optional end time; posted as messages."""

from __future__ import annotations

from flask import Flask

from messenger.core.context import Services


def register(app: Flask, svc: Services) -> None:
    from messenger.polls import routes  # loaded by the app factory only: importing a module of the package stays light

    routes.register(app, svc)


__all__ = ["register"]
