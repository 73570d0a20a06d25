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
from typing import Any

from messenger.proc import original_os, run_captured


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


class NoDialog(DesktopError):
    """No native file dialog could be shown (no desktop, no zenity/kdialog)."""


DIALOG_TIMEOUT = 3600  # a person may take a while to choose


def ask_save_path(title: str, suggested: Path) -> Path | None:
    """A native "save as" dialog starting at ``suggested`` (folder and file name): the chosen path, or
    None when the person cancelled. Raises :class:`NoDialog` when none can be shown. Linux: zenity or
    kdialog; macOS: ``choose file name`` through osascript; Windows: ``GetSaveFileNameW``."""
    if sys.platform == "win32":
        return _windows_save(title, suggested)
    if sys.platform == "darwin":
        script = (f'POSIX path of (choose file name with prompt {_applescript(title)} default name '
                  f'{_applescript(suggested.name)} default location (POSIX file {_applescript(str(suggested.parent))}))')
        return _save_answer(["osascript", "-e", script], cancelled=(1,), env=None)
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise NoDialog("no desktop")
    from gui.failure import dialog_env

    if shutil.which("zenity"):
        return _save_answer(["zenity", "--file-selection", "--save", "--confirm-overwrite", f"--title={title}",
                             f"--filename={suggested}", "--file-filter=*.zip"], cancelled=(1, 5), env=dialog_env())
    if shutil.which("kdialog"):
        return _save_answer(["kdialog", "--title", title, "--getsavefilename", str(suggested), "*.zip"],
                            cancelled=(1,), env=dialog_env())
    raise NoDialog("neither zenity nor kdialog is installed")


def _applescript(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _save_answer(cmd: list[str], cancelled: tuple[int, ...], env: dict[str, str] | None) -> Path | None:
    try:
        code, out = run_captured(cmd, timeout=DIALOG_TIMEOUT, env=env, with_stderr=False)
    except (OSError, TimeoutError) as exc:
        raise NoDialog(f"{cmd[0]}: {exc}") from exc
    chosen = out.strip().splitlines()[-1].strip() if out.strip() else ""
    if code == 0 and chosen:
        return Path(chosen)
    if code in cancelled:
        return None
    raise NoDialog(f"{cmd[0]} exited with {code}")


def _windows_save(title: str, suggested: Path) -> Path | None:
    import ctypes
    from ctypes import wintypes

    class OPENFILENAMEW(ctypes.Structure):
        _fields_ = [("lStructSize", wintypes.DWORD), ("hwndOwner", wintypes.HWND),
                    ("hInstance", wintypes.HINSTANCE), ("lpstrFilter", wintypes.LPCWSTR),
                    ("lpstrCustomFilter", wintypes.LPWSTR), ("nMaxCustFilter", wintypes.DWORD),
                    ("nFilterIndex", wintypes.DWORD), ("lpstrFile", wintypes.LPWSTR), ("nMaxFile", wintypes.DWORD),
                    ("lpstrFileTitle", wintypes.LPWSTR), ("nMaxFileTitle", wintypes.DWORD),
                    ("lpstrInitialDir", wintypes.LPCWSTR), ("lpstrTitle", wintypes.LPCWSTR),
                    ("Flags", wintypes.DWORD), ("nFileOffset", wintypes.WORD), ("nFileExtension", wintypes.WORD),
                    ("lpstrDefExt", wintypes.LPCWSTR), ("lCustData", wintypes.LPARAM), ("lpfnHook", ctypes.c_void_p),
                    ("lpTemplateName", wintypes.LPCWSTR), ("pvReserved", ctypes.c_void_p),
                    ("dwReserved", wintypes.DWORD), ("FlagsEx", wintypes.DWORD)]

    try:
        comdlg32: Any = ctypes.windll.comdlg32  # type: ignore[attr-defined]  # windll exists only on Windows
    except (AttributeError, OSError) as exc:
        raise NoDialog(str(exc)) from exc
    buffer = ctypes.create_unicode_buffer(str(suggested.name), 1024)
    ofn = OPENFILENAMEW()
    ofn.lStructSize = ctypes.sizeof(OPENFILENAMEW)
    ofn.lpstrFilter = "ZIP (*.zip)\0*.zip\0\0"
    ofn.lpstrFile = ctypes.cast(buffer, wintypes.LPWSTR)
    ofn.nMaxFile = len(buffer)
    ofn.lpstrInitialDir = str(suggested.parent)
    ofn.lpstrTitle = title
    ofn.lpstrDefExt = "zip"
    ofn_overwriteprompt, ofn_pathmustexist, ofn_noChangedir = 0x2, 0x800, 0x8
    ofn.Flags = ofn_overwriteprompt | ofn_pathmustexist | ofn_noChangedir
    if comdlg32.GetSaveFileNameW(ctypes.byref(ofn)):
        return Path(buffer.value)
    if comdlg32.CommDlgExtendedError() == 0:
        return None  # cancelled
    raise NoDialog(f"GetSaveFileNameW failed ({comdlg32.CommDlgExtendedError()})")


def show_in_folder(path: Path) -> None:
    """Open the folder holding ``path`` with the file selected where the platform can (Explorer,
    Finder, a file manager speaking org.freedesktop.FileManager1), else just the folder."""
    if sys.platform == "win32":
        subprocess.Popen(["explorer", f"/select,{path}"])
        return
    if sys.platform == "darwin":
        _spawn(["open", "-R", str(path)])
        return
    if shutil.which("gdbus") and os.environ.get("DBUS_SESSION_BUS_ADDRESS"):  # never autolaunch a bus
        try:
            code, _ = run_captured(["gdbus", "call", "--session", "--dest", "org.freedesktop.FileManager1",
                                    "--object-path", "/org/freedesktop/FileManager1",
                                    "--method", "org.freedesktop.FileManager1.ShowItems",
                                    f"['{path.resolve().as_uri()}']", ""], timeout=10)
        except (OSError, TimeoutError):
            code = 1
        if code == 0:
            return
    open_path(path.parent)
