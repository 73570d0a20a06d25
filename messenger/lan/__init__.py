"""LAN-first extras: HTTPS with a local certificate authority, mDNS discovery, QR codes, diagnostics."""

from messenger.lan.routes import register

__all__ = ["register"]
