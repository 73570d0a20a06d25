"""Server-wide endpoints: ``/api/config`` (limits and feature flags for the client) and ``/api/health``."""

from messenger.system.routes import register

__all__ = ["register"]
