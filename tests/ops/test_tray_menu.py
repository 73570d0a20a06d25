"""The tray's menu and actions without a display: pystray's dummy backend, in a subprocess (the backend
is chosen at import time, and pystray must never be imported into the test process itself)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
from pathlib import Path
import pystray
from gui.menu import build_menu, describe, find
from gui.tray import TrayApp
from messenger.server import ServerRunner
from messenger.settings import load_settings

settings = load_settings(Path(sys.argv[1]), env={}, overrides={"SECRET_KEY": "k" * 40})
app = TrayApp(ServerRunner(settings, host="127.0.0.1", port=0))
app.icon = pystray.Icon("t", None, "t", build_menu(app.entries))
app._worker.start()
out = {"lang": app.t.lang, "stopped_menu": describe(app.icon.menu)}
find(app.icon.menu, ["Back up now"])(app.icon)      # no database yet: fails, and the tray carries on
app.wait_idle()
out["failed_status"] = app.status_text()
app.icon.menu(app.icon)                              # the default item (Open in browser) with no browser
app.wait_idle()
find(app.icon.menu, ["Start server"])(app.icon)
app.wait_idle()
out["running_status"] = app.status_text()
find(app.icon.menu, ["Back up now"])(app.icon)
app.wait_idle()
out["after_backup"] = app.status_text()
out["backups"] = [p.name for p in (Path(sys.argv[1]) / "backups").iterdir()]
out["running_menu"] = describe(app.icon.menu)
find(app.icon.menu, ["Stop server"])(app.icon)
app.wait_idle()
out["final_state"] = app.state
print(json.dumps(out))
"""


def test_menu_in_english_and_errors_shown_not_raised(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPLAY", "WAYLAND", "LC_", "BROWSER"))}
    env.update({"PYSTRAY_BACKEND": "dummy", "LANG": "en_US.UTF-8", "PATH": "/nonexistent"})
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "data")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["lang"] == "en"
    texts = [i.get("text") for i in out["stopped_menu"]]
    assert texts == ["Starting…", "Open in browser", "Copy address", "Start server", None, "Back up now", "Restore",
                     "Verify latest backup", "Automatic backups", None, "HTTPS · phones", "Open data folder", "Open logs",
                     "Start at login", None, "Quit"]
    assert out["stopped_menu"][0]["enabled"] is False and out["stopped_menu"][1]["default"] is True
    assert out["stopped_menu"][6]["submenu"] == [{"text": "(no backups)", "enabled": False, "checked": None,
                                                  "default": False}]
    auto = out["stopped_menu"][8]["submenu"]
    assert [a.get("text") for a in auto[:2]] == ["Off", "Daily at 02:00"] and auto[1]["checked"] is True
    keep = next(a for a in auto if a.get("text") == "Keep")["submenu"]
    assert [k["checked"] for k in keep] == [False, True, False, False]  # keep 14 by default
    assert out["failed_status"].startswith("Failed: There is no database to back up")
    assert out["running_status"].startswith("Running · http://") and out["running_status"].endswith("· 0 online")
    assert out["after_backup"] == out["running_status"] and len(out["backups"]) == 1
    running = out["running_menu"]
    assert running[1]["text"].startswith("First administrator setup code: ")  # no admin yet
    restore = next(i for i in running if i.get("text") == "Restore")["submenu"][0]
    assert restore["submenu"][0]["text"] == "Restore this backup (replaces the current data)"
    assert out["final_state"] == "stopped"


def test_korean_is_the_default_language() -> None:
    from gui.i18n import system_language

    saved = {k: os.environ.pop(k) for k in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE") if k in os.environ}
    try:
        os.environ["LANG"] = "ko_KR.UTF-8"
        assert system_language() == "ko"
        os.environ["LANG"] = "C.UTF-8"  # no language chosen: the product's default, Korean
        assert system_language() == "ko"
        os.environ["LANG"] = "de_DE.UTF-8"
        assert system_language() == "en"
    finally:
        os.environ.pop("LANG", None)
        os.environ.update(saved)


RESTORE_SCRIPT = r"""
import json, sys, threading, time
from pathlib import Path
import pystray
import requests
from gui.menu import build_menu, describe, find
from gui.tray import TrayApp
from messenger.server import ServerRunner
from messenger.settings import load_settings
from tests.helpers import LiveUser

settings = load_settings(Path(sys.argv[1]), env={}, overrides={"SECRET_KEY": "k" * 40})
app = TrayApp(ServerRunner(settings, host="127.0.0.1", port=0))
app.icon = pystray.Icon("t", None, "t", build_menu(app.entries))
app._worker.start()
find(app.icon.menu, ["Start server"])(app.icon)
app.wait_idle()
threading.Thread(target=app._refresh_loop, daemon=True).start()  # what app.run() starts beside the icon
url = f"http://127.0.0.1:{app.runner.port}"
boss = LiveUser(url, "boss")
name = boss.post("/api/admin/backups", json={}).json()["backup"]["name"]


def up():
    try:
        return requests.get(url + "/api/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def watch(seen, done):
    # What the tray shows (its tooltip, as refreshed by the tray itself, the icon's colour, the menu), and
    # whether the server answers at that moment, until it has shown the restore and is back.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        was_up = up()
        menu = describe(app.icon.menu)
        shown = {"title": app.icon.title, "colour": list(app.icon.icon.getpixel((32, 4))), "up": was_up or up(),
                 "status": menu[0]["text"], "start": [i["enabled"] for i in menu if i.get("text") == "Start server"]}
        if not seen or {k: v for k, v in seen[-1].items() if k != "up"} != {k: v for k, v in shown.items() if k != "up"}:
            seen.append(shown)
        if done() and shown["up"] and shown["title"].endswith(" online"):
            return
        time.sleep(0.02)


console = []
r = boss.post(f"/api/admin/backups/{name}/restore", json={"confirm": name})
assert r.status_code == 202, r.text
watch(console, lambda: any("Restoring" in s["title"] for s in console))
own = []
item = find(app.icon.menu, ["Restore"])
entry = describe(app.icon.menu)
entry = next(i for i in entry if i.get("text") == "Restore")["submenu"][0]["text"]
find(app.icon.menu, ["Restore", entry, "Restore this backup (replaces the current data)"])(app.icon)
watch(own, lambda: any(s["colour"][:3] == [217, 119, 6] for s in own) and app._jobs.empty())
app.wait_idle()
print(json.dumps({"console": console, "own": own, "state": app.state}))
"""


def test_the_tray_shows_a_restore_in_progress(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPLAY", "WAYLAND", "LC_", "BROWSER"))}
    env.update({"PYSTRAY_BACKEND": "dummy", "LANG": "en_US.UTF-8", "PATH": "/nonexistent"})
    run = subprocess.run([sys.executable, "-c", RESTORE_SCRIPT, str(tmp_path / "data")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    amber, blue = [217, 119, 6], [37, 99, 235]
    for seen in (out["console"], out["own"]):  # a restore from the console, then the tray's own
        # (the tooltip while running: "Intranet Messenger <version> · <address> · N online")
        restoring = [s for s in seen if s["colour"][:3] == amber and not s["title"].endswith(" online")]
        assert restoring, seen
        assert seen[-1]["colour"][:3] == blue and seen[-1]["title"].endswith(" online") and seen[-1]["up"]
        # Never "running" while the server is away (it answered just before or just after the tray was read).
        assert all(s["up"] for s in seen if s["title"].endswith(" online") or s["colour"][:3] == blue), seen
        working = [s for s in restoring if s["status"] != "Starting…"]
        assert working and all(s["start"] in ([], [False]) for s in working), working  # no Start while it works
    assert any(s["status"] == "Restoring… (the server is briefly stopped)" for s in out["console"]), out["console"]
    assert any("Restoring…" in s["title"] for s in out["console"])
    assert out["state"] == "running"


DIAGNOSTICS_SCRIPT = r"""
import json, sys
from pathlib import Path
import pystray
from gui.menu import build_menu, find
from gui.tray import TrayApp
from messenger.server import ServerRunner
from messenger.settings import load_settings

settings = load_settings(Path(sys.argv[1]), env={}, overrides={"SECRET_KEY": "k" * 40})
app = TrayApp(ServerRunner(settings, host="127.0.0.1", port=0))
app.icon = pystray.Icon("t", None, "t", build_menu(app.entries))
app._worker.start()
find(app.icon.menu, ["Start server"])(app.icon)
app.wait_idle()
find(app.icon.menu, ["HTTPS · phones", "Save diagnostics…"])(app.icon)
app.wait_idle()
print(json.dumps({"status": app.status_text()}))
find(app.icon.menu, ["Stop server"])(app.icon)
app.wait_idle()
"""


def test_without_a_save_dialog_diagnostics_go_to_the_data_folder_shown_in_a_file_manager(tmp_path: Path) -> None:
    bin_dir, opened = tmp_path / "bin", tmp_path / "opened.txt"
    bin_dir.mkdir()
    (bin_dir / "xdg-open").write_text(f'#!/bin/sh\necho "$@" >> "{opened}"\n')
    (bin_dir / "xdg-open").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPLAY", "WAYLAND", "LC_", "BROWSER"))}
    env.update({"PYSTRAY_BACKEND": "dummy", "LANG": "en_US.UTF-8", "PATH": str(bin_dir)})  # no zenity, no kdialog
    data = tmp_path / "data"
    run = subprocess.run([sys.executable, "-c", DIAGNOSTICS_SCRIPT, str(data)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    saved = list(data.glob("diagnostics-*.zip"))
    assert len(saved) == 1
    assert opened.read_text().split() == [str(data)]  # the folder, for the person to find the file in
    assert json.loads(run.stdout.strip().splitlines()[-1])["status"].startswith("Running")
