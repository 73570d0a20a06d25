"""Accounts and sessions: register, login, logout, profile, password change, session revocation."""

from messenger.accounts.routes import register

__all__ = ["register"]
