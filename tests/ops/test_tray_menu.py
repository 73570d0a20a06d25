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
