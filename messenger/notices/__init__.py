"""Notices (공지): a room's announcements, shown as a banner, optionally acknowledged by every member."""

from messenger.notices.routes import register

__all__ = ["register"]
