"""Server administration: accounts (activate, admin role, password reset, deletion), server settings
and the server-wide audit log (JSON and CSV)."""

from messenger.admin.routes import register

__all__ = ["register"]
