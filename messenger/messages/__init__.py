"""Messages: send/edit/delete, history and catch-up, read markers, mentions, reactions, send rate limit."""

from __future__ import annotations

from flask import Flask

from messenger.core.context import Services


def register(app: Flask, svc: Services) -> None:
    from messenger.messages import ratelimit, routes, sockets

    routes.register(app, svc)
    sockets.install(svc)
    ratelimit.limiter_of(svc)


__all__ = ["register"]
