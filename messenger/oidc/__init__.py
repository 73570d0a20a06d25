"""Single sign-on with OpenID Connect (Authlib): ``/api/auth/providers`` always, and the
authorization-code flow (``/auth/oidc/login``, ``/auth/oidc/callback``) when FEATURE_OIDC_ENABLED."""

from messenger.oidc.routes import register

__all__ = ["register"]
