"""PyInstaller runtime hook (Windows, windowed build): write to the console we were started from.

The Windows binary is built windowed (no console window pops up when the team lead double-clicks
it), so Python starts with ``sys.stdout``/``sys.stderr`` set to ``None``. When it was started from a
console (``cmd``, PowerShell, a service wrapper's console), attach to that console so ``--headless``,
``--version`` and the operations commands (``backup``, ``verify``, ...) print there as usual. Started
from Explorer there is no parent console and nothing changes (logs still go to the data dir's logs/).
Streams that were redirected (pipes, files) are valid already and kept as they are.
"""

import sys


def _attach_parent_console() -> None:
    if sys.platform != "win32" or not getattr(sys, "frozen", False):
        return
    if sys.stdout is not None and sys.stderr is not None:
        return
    import ctypes

    kernel32 = ctypes.windll.kernel32
    attach_parent_process = ctypes.c_uint32(-1 & 0xFFFFFFFF)  # ATTACH_PARENT_PROCESS
    if not kernel32.AttachConsole(attach_parent_process):
        return  # not started from a console
    kernel32.SetConsoleOutputCP(65001)  # UTF-8, so Korean text prints correctly
    if sys.stdout is None:
        sys.stdout = open("CONOUT$", "w", encoding="utf-8", errors="replace", buffering=1)  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open("CONOUT$", "w", encoding="utf-8", errors="replace", buffering=1)  # noqa: SIM115
    if sys.stdin is None:
        try:
            sys.stdin = open("CONIN$", encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError:
            pass


_attach_parent_console()
