"""The tray's "HTTPS · phones" submenu in the real tray under Xvfb: enable HTTPS (server restarts on
HTTPS with HTTP redirecting), the set-up page with the QR code opens, diagnostics are saved where the save dialog
(real zenity, driven by xdotool) is told, the
certificate install reports its result in the status line, HTTPS can be turned off again."""

from __future__ import annotations

import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import requests

from gui.i18n import LABELS
from messenger.lan import certs
from messenger.lan.trust import NSS_NICKNAME
from tests.ops.test_tray import _health, start_tray, xserver  # noqa: F401  (fixture)
from tests.services import free_port, missing, zenity_window

KO = LABELS["ko"]


def test_tray_https_and_phone_setup(xserver: str, tmp_path: Path) -> None:  # noqa: F811
    if shutil.which("certutil") is None:
        missing("certutil (libnss3-tools)")
    port, https_port = free_port(), free_port()
    data, opened = tmp_path / "data", tmp_path / "opened.txt"
    tray, _env = start_tray(xserver, tmp_path, port, HTTPS_PORT=str(https_port))
    proc = tray.proc
    try:
        state = tray.until(lambda s: s["state"] == "running", timeout=60)
        assert state["state"] == "running" and _health(port)
        submenu = next(i for i in state["menu"] if i.get("text") == KO["lan"])["submenu"]
        assert [i.get("text") for i in submenu if "text" in i][:3] == [KO["https_enable"], KO["install_ca"],
                                                                       KO["phones"]]

        state = tray.click(KO["lan"], KO["https_enable"])
        assert state["state"] == "running", state
        ca = certs.cert_paths(data).ca_cert
        assert requests.get(f"https://127.0.0.1:{https_port}/api/health", verify=str(ca), timeout=5).ok
        r = requests.get(f"http://127.0.0.1:{port}/", allow_redirects=False, timeout=5)
        assert r.status_code == 308 and r.headers["Location"].startswith(f"https://127.0.0.1:{https_port}/")
        assert "https://" in state["status"] and f":{https_port}" in state["status"]
        assert 'HTTPS_MODE = "local-ca"' in (data / "settings.toml").read_text()

        tray.click(KO["lan"], KO["phones"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (opened.exists() and opened.read_text().strip()):
            time.sleep(0.1)
        assert opened.read_text().splitlines() == [f"http://127.0.0.1:{port}/setup/certificate"]
        # "Save diagnostics…" asks where: the real zenity save dialog; a path typed into it, then Enter.
        tray.ask({"cmd": "click", "path": [KO["lan"], KO["diagnostics"]]})
        wid, cmdline = zenity_window(xserver, KO["diagnostics_title"])
        assert "--save" in cmdline.split("\n")
        target = tmp_path / "for-support" / "bundle.zip"
        target.parent.mkdir()
        subprocess.run(["xdotool", "windowfocus", "--sync", wid, "key", "ctrl+a", "type", "--delay", "30", str(target)],
                       env={**_env, "DISPLAY": xserver}, check=True, timeout=60)
        subprocess.run(["xdotool", "key", "Return"], env={**_env, "DISPLAY": xserver}, check=True, timeout=10)
        diag_state = tray.ask({"cmd": "wait"})
        assert zipfile.is_zipfile(target), diag_state["status"]
        assert "diagnostics.json" in zipfile.ZipFile(target).namelist()
        assert not list(data.glob("diagnostics-*.zip"))  # only where it was asked to go
        assert opened.read_text().splitlines() == [f"http://127.0.0.1:{port}/setup/certificate"]
        tray.ask({"cmd": "click", "path": [KO["lan"], KO["diagnostics"]]})  # again, and cancelled: nothing saved
        wid, _ = zenity_window(xserver, KO["diagnostics_title"])
        subprocess.run(["xdotool", "windowfocus", "--sync", wid, "key", "Escape"], env={**_env, "DISPLAY": xserver},
                       check=True, timeout=10)
        cancelled = tray.ask({"cmd": "wait"})
        assert not cancelled["status"].startswith(KO["failed"].split("{")[0]), cancelled["status"]
        assert list(target.parent.iterdir()) == [target] and not list(data.glob("diagnostics-*.zip"))
        page = requests.get(f"http://127.0.0.1:{port}/setup/certificate", timeout=5)
        assert "QR" in page.text and certs.ca_fingerprint(data) in page.text

        state = tray.click(KO["lan"], KO["install_ca"])
        assert state["state"] == "running" and state["status"]
        # trusted in the user's NSS database (what Chrome and Firefox read on Linux)
        listed = subprocess.run(["certutil", "-L", "-d", f"sql:{tmp_path / 'home' / '.pki' / 'nssdb'}"],
                                capture_output=True, text=True, timeout=30)
        assert NSS_NICKNAME in listed.stdout, (state["status"], listed.stdout, listed.stderr)

        state = tray.click(KO["lan"], KO["https_disable"])
        assert state["state"] == "running" and _health(port)
        assert "HTTPS_MODE" not in (data / "settings.toml").read_text()

        tray.ask({"cmd": "click", "path": [KO["quit"]]})
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
    finally:
        tray.kill()
