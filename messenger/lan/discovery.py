"""mDNS / DNS-SD: the server announces itself as ``_http._tcp`` (or ``_https._tcp``) with the host
name ``intranet-messenger.local`` (python-zeroconf, a maintained pure-Python implementation), so
colleagues find it without typing an IP. Also remembers the PC's addresses to warn when they changed.
"""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import Any

from messenger.netinfo import MDNS_HOST, lan_ipv4_addresses
from messenger.version import __version__

log = logging.getLogger("messenger.lan")
SERVICE_NAME = "Intranet Messenger"


def service_type(scheme: str) -> str:
    return "_https._tcp.local." if scheme == "https" else "_http._tcp.local."


class Advertiser:
    """Registers the service with zeroconf; ``stop()`` unregisters it."""

    def __init__(self, port: int, scheme: str = "http", addresses: list[str] | None = None,
                 interfaces: list[str] | None = None) -> None:
        self.port = port
        self.scheme = scheme
        self.addresses = addresses if addresses is not None else (lan_ipv4_addresses() or ["127.0.0.1"])
        self.interfaces = interfaces
        self._zc: Any = None
        self._info: Any = None

    def start(self) -> None:
        # zeroconf (with asyncio and ifaddr: ~40 ms) loads when the server already listens, not on the way
        # to its first answer. Its ifaddr runs ctypes.util.find_library (a subprocess) at import, which a
        # gevent-patched process can do on the main thread only: the launcher announces from there, or
        # imports zeroconf there first when the tray starts the server from its worker thread (cmd_serve).
        from zeroconf import InterfaceChoice, ServiceInfo, Zeroconf

        host = socket.gethostname().split(".")[0] or "pc"
        stype = service_type(self.scheme)
        self._info = ServiceInfo(
            stype,
            f"{SERVICE_NAME} ({host}).{stype}",
            addresses=[socket.inet_aton(a) for a in self.addresses],
            port=self.port,
            properties={"path": "/", "version": __version__, "scheme": self.scheme},
            server=f"{MDNS_HOST}.",
        )
        self._zc = Zeroconf(interfaces=self.interfaces or InterfaceChoice.All)
        self._zc.register_service(self._info, allow_name_change=True)
        log.info("announced %s on port %s via mDNS", stype, self.port)

    def stop(self) -> None:
        if self._zc is not None:
            try:
                self._zc.unregister_service(self._info)
            finally:
                self._zc.close()
                self._zc = None


def check_address_change(data_dir: Path) -> tuple[bool, list[str], list[str]]:
    """(changed, previous addresses, current addresses); remembers the current ones."""
    path = Path(data_dir) / "lan.json"
    current = lan_ipv4_addresses()
    previous: list[str] = []
    if path.exists():
        try:
            previous = list(json.loads(path.read_text(encoding="utf-8")).get("addresses", []))
        except (ValueError, OSError):
            previous = []
    path.write_text(json.dumps({"addresses": current}), encoding="utf-8")
    changed = bool(previous) and set(previous) != set(current)
    return changed, previous, current
