"""The one place the version lives (shown by --version, /api/health, the tray and the binary name)."""

__version__ = "0.1.0"
