"""The machine's LAN addresses, for the URLs colleagues can open."""

from __future__ import annotations

import ipaddress
import socket

MDNS_HOST = "intranet-messenger.local"  # the name mDNS announces and the local-CA certificates carry


def lan_ipv4_addresses() -> list[str]:
    """Every non-loopback, non-link-local IPv4 address of the machine's interfaces that are up."""
    import psutil  # loads when addresses are first asked for, after the server listens (~12 ms of a start)

    found: list[str] = []
    stats = psutil.net_if_stats()
    for name, addrs in psutil.net_if_addrs().items():
        if name in stats and not stats[name].isup:
            continue
        for addr in addrs:
            if addr.family != socket.AF_INET:
                continue
            ip = ipaddress.IPv4Address(addr.address)
            if ip.is_loopback or ip.is_link_local or ip.is_unspecified:
                continue
            found.append(str(ip))
    return sorted(set(found), key=lambda a: tuple(int(p) for p in a.split(".")))


def server_urls(host: str, port: int, scheme: str = "http") -> list[str]:
    """URLs that reach a server bound to ``host``: the LAN addresses when bound to all interfaces."""
    if host in ("0.0.0.0", "", "::"):
        addrs = lan_ipv4_addresses() or ["127.0.0.1"]
    else:
        addrs = [host]
    return [f"{scheme}://{a}:{port}" for a in addrs]
