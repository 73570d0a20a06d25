"""Single sign-on with OpenID Connect (Authlib): ``/api/auth/providers`` always, and the
authorization-code flow (``/auth/oidc/login``, ``/auth/oidc/callback``) when FEATURE_OIDC_ENABLED."""

from __future__ import annotations

from flask import Flask

from messenger.core.context import Services


def register(app: Flask, svc: Services) -> None:
    from messenger.oidc import routes  # loaded by the app factory only: importing a module of the package stays light

    routes.register(app, svc)


__all__ = ["register"]
