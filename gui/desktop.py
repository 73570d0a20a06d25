"""Desktop integration for the tray: open a URL or folder, put text on the clipboard."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
import webbrowser
from pathlib import Path

from messenger.proc import original_os


class DesktopError(RuntimeError):
    pass


def _spawn(cmd: list[str], stdin: bytes | None = None) -> None:
    """Start a helper program detached (stdin fed from ``stdin``). On POSIX through posix_spawn, since
    gevent's patched subprocess cannot watch children from the tray's worker thread."""
    if sys.platform == "win32":
        subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).communicate(stdin, timeout=10)
        return
    devnull = os.open(os.devnull, os.O_RDWR)
    read_end = write_end = None
    if stdin is not None:
        read_end, write_end = os.pipe()
    actions = [(os.POSIX_SPAWN_DUP2, read_end if read_end is not None else devnull, 0),
               (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    try:
        pid = original_os("posix_spawnp")(cmd[0], cmd, dict(os.environ), file_actions=actions, setsid=True)
    finally:
        os.close(devnull)
        if read_end is not None:
            os.close(read_end)
    if write_end is not None:
        with os.fdopen(write_end, "wb") as fh:
            fh.write(stdin or b"")
    threading.Thread(target=_reap, args=(pid,), daemon=True).start()


def _reap(pid: int) -> None:
    try:
        original_os("waitpid")(pid, 0)
    except OSError:
        pass


def open_url(url: str) -> None:
    """The user's browser: ``$BROWSER`` or xdg-open on Linux, the system's handler elsewhere."""
    if sys.platform.startswith("linux"):
        for browser in [b for b in os.environ.get("BROWSER", "").split(os.pathsep) if b] + ["xdg-open"]:
            cmd = shlex.split(browser.replace("%s", url)) if "%s" in browser else [*shlex.split(browser), url]
            if shutil.which(cmd[0]):
                _spawn(cmd)
                return
        raise DesktopError(f"no web browser found to open {url}")
    if not webbrowser.open(url):
        raise DesktopError(f"no web browser found to open {url}")


def open_path(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":
        os.startfile(str(path))
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    if shutil.which(opener) is None:
        raise DesktopError(f"{opener} is not installed; the folder is {path}")
    _spawn([opener, str(path)])


def copy_text(text: str) -> None:
    """Put ``text`` on the clipboard (GTK's when the tray runs on GTK, else the platform's tool)."""
    if "gi.repository.Gtk" in sys.modules:
        _gtk_copy(text)
        return
    if sys.platform == "win32":
        _spawn(["clip"], text.encode("utf-16-le"))
        return
    tools = [["pbcopy"]] if sys.platform == "darwin" else [
        ["wl-copy"], ["xclip", "-selection", "clipboard"], ["xsel", "--clipboard", "--input"]]
    for cmd in tools:
        if shutil.which(cmd[0]):
            _spawn(cmd, text.encode("utf-8"))
            return
    raise DesktopError("no clipboard tool available")


def _gtk_copy(text: str) -> None:
    from gi.repository import Gdk, GLib, Gtk

    done = threading.Event()

    def copy() -> bool:
        clipboard = Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD)
        clipboard.set_text(text, -1)
        clipboard.store()
        done.set()
        return False

    GLib.idle_add(copy)
    if not done.wait(5):
        raise DesktopError("the clipboard did not answer")
