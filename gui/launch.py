"""The desktop entry point: ``launcher.py`` runs :func:`main` when the desktop part (gui/) is there.

The CLI sits below gui and never imports it; this module hands it a :class:`messenger.cli.Frontend`
that shows the tray when a desktop tray is available and start-up failures in a native dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from messenger.cli import Frontend, TrayRunner
from messenger.cli import main as cli_main
from messenger.i18n import Texts

if TYPE_CHECKING:
    from messenger.startup import StartupFailure


def tray_runner() -> TrayRunner | None:
    """The tray's ``run_tray`` when a desktop and a tray backend are available, else None (headless)."""
    # Imported when the server starts: the operator's commands never load pystray or GTK.
    from gui import tray

    if not tray.tray_available():
        print(Texts()("cli.no_tray"), flush=True)
        return None
    return tray.run_tray


def show_failure(failure: StartupFailure, log_path: Path | None) -> bool:
    """The failure in a native dialog (and on the terminal); True when the person took the free port."""
    # Imported on a failure only: a normal start does not load the dialog code.
    from gui.failure import show_failure as show

    return show(failure, log_path)


DESKTOP = Frontend(tray=tray_runner, show_failure=show_failure)


def main(argv: list[str] | None = None) -> int:
    return cli_main(argv, DESKTOP)
