"""Rooms: direct and group rooms, members and roles, room settings, live room plumbing."""

from __future__ import annotations

from flask import Flask

from messenger.core.context import Services


def register(app: Flask, svc: Services) -> None:
    from messenger.rooms import live, routes, service

    routes.register(app, svc)
    live.install(svc)
    svc.realtime.user_changed_hooks.append(service.on_user_changed)


__all__ = ["register"]
