"""Search: Korean-friendly substring search over messages and file names; people and rooms by 초성."""

from messenger.search.routes import register

__all__ = ["register"]
