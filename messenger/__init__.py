"""Intranet Messenger server package."""

from messenger.version import __version__

__all__ = ["__version__"]
