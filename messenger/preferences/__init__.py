"""Per-user preferences that follow the user to any PC: language, sound, quiet hours, time zone."""

from messenger.preferences.routes import register

__all__ = ["register"]
