"""Install the local CA into this PC's trust store (the tray's "Install the certificate on this PC")."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from messenger.proc import run_captured

NSS_NICKNAME = "Intranet Messenger local CA"


def install_commands(ca_cert: Path, home: Path | None = None) -> list[list[str]]:
    """The commands that trust ``ca_cert`` for the current user on this OS (first that exists wins)."""
    home = home or Path.home()
    if sys.platform == "win32":
        return [["certutil", "-user", "-addstore", "Root", str(ca_cert)]]
    if sys.platform == "darwin":
        keychain = home / "Library" / "Keychains" / "login.keychain-db"
        return [["security", "add-trusted-cert", "-r", "trustRoot", "-k", str(keychain), str(ca_cert)]]
    commands = []
    nssdb = home / ".pki" / "nssdb"
    if shutil.which("certutil"):
        if not (nssdb / "cert9.db").exists():
            nssdb.mkdir(parents=True, exist_ok=True)
            commands.append(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"])
        commands.append(["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", NSS_NICKNAME,
                         "-i", str(ca_cert)])
    # Chrome and Firefox on Linux read the user's NSS database; the system store (update-ca-certificates)
    # needs root, which a tray app does not have, so it is left to the set-up page's instructions.
    return commands


def install_ca(ca_cert: Path) -> tuple[bool, str, dict[str, str]]:
    """Run the install commands; (ok, an ``ops.*`` catalog key, its parameters) for the tray or CLI to word."""
    if not ca_cert.exists():
        return False, "ops.ca_not_enabled", {}
    commands = install_commands(ca_cert)
    if not commands:
        return False, "ops.ca_no_tool", {"path": str(ca_cert)}
    done = []
    for cmd in commands:
        try:
            code, output = run_captured(cmd, timeout=60)
        except (OSError, TimeoutError) as exc:
            return False, "ops.ca_command_failed", {"command": cmd[0], "output": str(exc)}
        if code != 0:
            return False, "ops.ca_command_failed", {"command": cmd[0], "output": output.strip()[:300]}
        done.append(cmd[0])
    return True, "ops.ca_trusted", {"stores": ", ".join(done)}
