"""A loopback control for automated tests of the real tray, enabled only by ``MESSENGER_TRAY_CONTROL``.

The test writes ``<dir>/req-<n>.json`` and reads ``<dir>/resp-<n>.json``. Requests:
``{"cmd": "menu"}`` (the visible menu as data, the state shown, the status line, the tooltip),
``{"cmd": "click", "path": [label, ...]}`` (calls that pystray ``MenuItem`` exactly as a click does:
``item(icon)``), ``{"cmd": "wait"}`` (until the queued actions are done).
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from gui.menu import describe, find

log = logging.getLogger("messenger.tray")


def handle(app: Any, request: dict[str, Any]) -> dict[str, Any]:
    cmd = request.get("cmd")
    if cmd == "click":
        item = find(app.icon.menu, request["path"])
        item(app.icon)
    elif cmd == "wait":
        app.wait_idle()
    elif cmd != "menu":
        raise ValueError(f"unknown command {cmd!r}")
    return {"ok": True, "state": app.shown_state(), "status": app.status_text(), "title": app.icon.title,
            "menu": describe(app.icon.menu)}


def serve_control(app: Any, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    while not app._quit.is_set():
        for req in sorted(folder.glob("req-*.json")):
            try:
                request = json.loads(req.read_text(encoding="utf-8"))
                req.unlink()
            except (OSError, ValueError):
                continue
            try:
                response = handle(app, request)
            except Exception as exc:
                log.exception("tray control request failed")
                response = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            out = folder / req.name.replace("req-", "resp-")
            tmp = folder / f".{out.name}.tmp"
            tmp.write_text(json.dumps(response, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, out)
        time.sleep(0.05)
