"""Showing a start-up failure to the person at the PC, in one language (the words come from
:func:`messenger.startup.failure_lines`): where there is no tray a native dialog (Windows
``MessageBoxW``, macOS ``osascript``, Linux ``zenity``/``kdialog`` when present) or else the terminal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from gui.i18n import Texts
from messenger.startup import StartupFailure, failure_text, port_offer


def show_failure(failure: StartupFailure, log_path: Path | None, lang: str | None = None,
                 ask_port: bool = True) -> bool:
    """Show ``failure`` in a native dialog where one can be shown, and on the terminal when there is
    one. For a port in use with a free one, ask whether to start there: True when the answer is yes."""
    t = Texts(lang)
    text = failure_text(failure, t, log_path)
    offer = port_offer(failure) if ask_port else None
    question = t("port_offer", port=failure.params.get("port"), next_port=offer) + "?" if offer else None
    if sys.stderr is not None:
        terminal = failure_text(failure, t, log_path, can_ask=_interactive())
        print(f"{t('startup.failure_title')}\n{terminal}", file=sys.stderr, flush=True)
    answer = _dialog(t("app"), f"{t('startup.failure_title')}\n\n{text}", question)
    if answer is None and question and _interactive():
        try:
            reply = input(f"{question} [Y/n] ").strip().lower()
        except EOFError:
            return False
        return reply in ("", "y", "yes", "예", "네", "ㅇ")
    return bool(answer)


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty() and sys.stdout is not None and sys.stdout.isatty()


def _dialog(title: str, text: str, question: str | None) -> bool | None:
    """Show a native dialog; the answer to ``question`` (False when only informing), or None when no
    dialog could be shown."""
    if sys.platform == "win32":
        return _windows_dialog(title, text, question)
    if sys.platform == "darwin":
        return _mac_dialog(title, text, question)
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None
    if shutil.which("zenity"):
        if question:
            cmd = ["zenity", "--question", f"--title={title}", f"--text={text}\n\n{question}", "--no-wrap"]
        else:
            cmd = ["zenity", "--error", f"--title={title}", f"--text={text}", "--no-wrap"]
        return _run_dialog(cmd, question)
    if shutil.which("kdialog"):
        cmd = ["kdialog", "--title", title] + (["--yesno", f"{text}\n\n{question}"] if question
                                                else ["--error", text])
        return _run_dialog(cmd, question)
    return None


def dialog_env() -> dict[str, str]:
    """The environment for zenity/kdialog. GTK cannot read non-ASCII arguments under a locale the C
    library does not have (zenity then refuses every option): fall back to C.UTF-8 there."""
    import locale

    env = dict(os.environ)
    saved = locale.setlocale(locale.LC_ALL)
    try:
        locale.setlocale(locale.LC_ALL, "")  # what GTK does first in the child
    except locale.Error:
        env["LC_ALL"] = "C.UTF-8"
    finally:
        locale.setlocale(locale.LC_ALL, saved)
    return env


def _run_dialog(cmd: list[str], question: str | None) -> bool | None:
    try:
        # The dialog runs before the server (and the tray) exist; the main thread waits for the answer.
        result = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=dialog_env(), check=False)
    except OSError:
        return None
    if result.returncode not in (0, 1, 5):  # 1: No / closed, 5: timeout; anything else: it did not show
        return None
    return result.returncode == 0 if question else False


def _mac_dialog(title: str, text: str, question: str | None) -> bool | None:
    def quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    if question:
        script = (f"display dialog {quote(text + chr(10) + chr(10) + question)} with title {quote(title)} "
                  'buttons {"No", "Yes"} default button "Yes" with icon caution')
    else:
        script = f'display dialog {quote(text)} with title {quote(title)} buttons {{"OK"}} with icon stop'
    try:
        result = subprocess.run(["osascript", "-e", script], capture_output=True, text=True, check=False)
    except OSError:
        return None
    return "Yes" in result.stdout if question else False


def _windows_dialog(title: str, text: str, question: str | None) -> bool | None:
    try:
        import ctypes

        user32: Any = ctypes.windll.user32  # type: ignore[attr-defined]  # windll exists only on Windows
    except (ImportError, AttributeError, OSError):
        return None
    mb_iconerror, mb_yesno, idyes = 0x10, 0x04, 6
    if question:
        return int(user32.MessageBoxW(None, f"{text}\n\n{question}", title, mb_iconerror | mb_yesno)) == idyes
    user32.MessageBoxW(None, text, title, mb_iconerror)
    return False
