"""Pinned messages of a room."""

from messenger.pins.routes import register

__all__ = ["register"]
