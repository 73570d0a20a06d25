"""The installer files agree with the program: paths, names, ports and the data directory.

(The binary itself is installed and uninstalled for real in test_binary.py.)
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "installer" / "linux"
ISS = ROOT / "installer" / "windows" / "messenger.iss"


def _ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser


def _install_sh(var: str) -> str:
    m = re.search(rf"^{var}=(.+)$", (LINUX / "install.sh").read_text(encoding="utf-8"), re.M)
    assert m, var
    return m.group(1)


def _iss_define(name: str) -> str:
    m = re.search(rf'^#define {name} "([^"]*)"', ISS.read_text(encoding="utf-8"), re.M)
    assert m, name
    return m.group(1)


def test_desktop_entry_starts_the_installed_binary_with_the_installed_icon() -> None:
    entry = _ini(LINUX / "intranet-messenger.desktop")["Desktop Entry"]
    program = _install_sh("prefix") + "/intranet-messenger"
    assert entry["Type"] == "Application" and entry["Exec"] == program and entry["Terminal"] == "false"
    assert entry["Icon"] == "intranet-messenger" and "사내 메신저" == entry["Name[ko]"]
    assert entry["Categories"].endswith(";")
    for size in _install_sh("sizes").strip('"').split():
        assert (ROOT / "assets" / f"icon-{size}.png").is_file()


def test_service_runs_headless_on_its_state_directory_and_stops_with_sigterm() -> None:
    unit = _ini(LINUX / "intranet-messenger.service")
    service = unit["Service"]
    program = _install_sh("prefix") + "/intranet-messenger"
    args = service["ExecStart"].split()
    assert args[0] == program and "--headless" in args
    assert args[args.index("--data-dir") + 1] == "/var/lib/" + service["StateDirectory"]
    assert service["KillSignal"] == "SIGTERM" and service["KillMode"] == "mixed"
    assert service["RestartPreventExitStatus"] == "2"  # data dir busy: the CLI's exit code
    assert service["ReadWritePaths"] == "/var/lib/" + service["StateDirectory"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_windows_installer_matches_the_program() -> None:
    from messenger.datadir import APP_NAME
    from messenger.ops.autostart import ENTRY_NAME, RUN_KEY
    from messenger.settings import Settings

    text = ISS.read_text(encoding="utf-8")
    assert _iss_define("DataDirName") == APP_NAME  # platformdirs' site data dir = {commonappdata}\APP_NAME
    assert _iss_define("DefaultPort") == str(Settings.DEFAULT_PORT)
    assert _iss_define("HttpsPort") == str(Settings.HTTPS_PORT)
    assert f'Subkey: "{RUN_KEY}"' in text and f'ValueName: "{ENTRY_NAME}"' in text
    assert "PrivilegesRequired=admin" in text and "uninsneveruninstall" in text
    for source in re.findall(r'^Source: "([^"]+)"', text, re.M):
        if "{#" in source or "BACKUP_RUNBOOK" in source:  # the built binary; optional runbook
            continue
        assert (ISS.parent / source.replace("\\", "/")).resolve().is_file(), source
