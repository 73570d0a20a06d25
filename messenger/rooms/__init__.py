"""Rooms: direct and group rooms, members and roles, room settings, live room plumbing."""

from __future__ import annotations

from flask import Flask

from messenger.core.context import Services


def register(app: Flask, svc: Services) -> None:
    from messenger.rooms import live, routes

    routes.register(app, svc)
    live.install(svc)


__all__ = ["register"]
