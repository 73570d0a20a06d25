"""Accounts and sessions: register, login, logout, profile, password change, session revocation."""

from __future__ import annotations

from flask import Flask

from messenger.core.context import Services


def register(app: Flask, svc: Services) -> None:
    from messenger.accounts import auth, routes, service
    from messenger.realtime import Authenticator

    routes.register(app, svc)
    svc.realtime.authenticator = Authenticator(identify=auth.socket_identity,
                                               session_is_valid=service.session_is_valid)


__all__ = ["register"]
