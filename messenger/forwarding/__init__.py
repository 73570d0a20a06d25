"""Forwarding a message to other rooms (a copy marked ``forwarded_from``; files are shared, not copied)."""

from messenger.forwarding.routes import register

__all__ = ["register"]
