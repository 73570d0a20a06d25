"""Start at login: a Windows Run entry, a Linux XDG autostart ``.desktop`` file, or a macOS LaunchAgent."""

from __future__ import annotations

import os
import plistlib
import shlex
import sys
from pathlib import Path

ENTRY_NAME = "IntranetMessenger"
LAUNCH_AGENT_LABEL = "kr.intranet-messenger.server"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def launch_command(data_dir: Path | None = None) -> list[str]:
    """The command that starts this program in tray mode (the built binary, or python launcher.py)."""
    if getattr(sys, "frozen", False):
        cmd = [sys.executable]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve().parents[2] / "launcher.py")]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    return cmd


def _xdg_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / "intranet-messenger.desktop"


def _agent_file() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"


def entry_location() -> str:
    """Where the entry lives, for messages."""
    if sys.platform == "win32":
        return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{ENTRY_NAME}"
    return str(_agent_file() if sys.platform == "darwin" else _xdg_file())


def is_enabled() -> bool:
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, ENTRY_NAME)
            return True
        except OSError:
            return False
    return (_agent_file() if sys.platform == "darwin" else _xdg_file()).exists()


def enable(command: list[str]) -> str:
    """Register ``command`` to run at login; returns where."""
    if sys.platform == "win32":
        import subprocess
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.SetValueEx(key, ENTRY_NAME, 0, winreg.REG_SZ, subprocess.list2cmdline(command))
    elif sys.platform == "darwin":
        path = _agent_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(plistlib.dumps({"Label": LAUNCH_AGENT_LABEL, "ProgramArguments": command,
                                         "RunAtLoad": True, "ProcessType": "Interactive"}))
    else:
        path = _xdg_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        exec_line = " ".join(shlex.quote(part) for part in command)
        path.write_text(
            "[Desktop Entry]\nType=Application\nName=Intranet Messenger\nName[ko]=사내 메신저\n"
            f"Comment=Team chat server for the office LAN\nExec={exec_line}\nTerminal=false\n"
            "X-GNOME-Autostart-enabled=true\n", encoding="utf-8")
    return entry_location()


def disable() -> None:
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, ENTRY_NAME)
        except OSError:
            pass
        return
    path = _agent_file() if sys.platform == "darwin" else _xdg_file()
    path.unlink(missing_ok=True)
