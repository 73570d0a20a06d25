"""The tray: pystray's icon owns the main thread, the server runs in the runner's thread, and every
action runs one at a time on a worker thread, so a long backup never freezes the menu. Errors go to
the status line, a notification and the log; they never end the tray.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gui.i18n import Texts
from gui.icons import state_icon
from gui.lan_menu import lan_entries, startup_warnings
from gui.menu import Entry, build_menu

log = logging.getLogger("messenger.tray")

RECENT_BACKUPS = 10
HOURS = (0, 1, 2, 3, 4, 5, 6, 12, 18, 20, 22, 23)
KEEP_CHOICES = (7, 14, 30, 60)
REFRESH_SECONDS = 3.0


def tray_available() -> bool:
    """A desktop and a tray backend: a display on Linux, and pystray importable (it raises X errors,
    not ImportError, without one)."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        import pystray  # noqa: F401
    except Exception:
        return False
    return True


def run_tray(runner: Any) -> int:
    """Start the server and show the tray until Quit; returns the process exit code."""
    from messenger.datadir import data_dir_in_use

    if data_dir_in_use(runner.settings.data_dir):
        print(f"error: Another Intranet Messenger server is already using {runner.settings.data_dir}.",
              file=sys.stderr)
        return 2
    return TrayApp(runner).run()


class TrayApp:
    def __init__(self, runner: Any, lang: str | None = None) -> None:
        self.runner = runner
        self.settings = runner.settings
        self.t = Texts(lang)
        self.state = "starting"
        self.message = ""  # progress of a running job, or the last error
        self.online = 0
        self.icon: Any = None
        self._jobs: queue.Queue[tuple[str, Callable[[], Any]] | None] = queue.Queue()
        self._quit = threading.Event()
        self._worker = threading.Thread(target=self._work, name="tray-worker", daemon=True)

    # ---- the menu --------------------------------------------------------------------------
    def lan_url(self) -> str:
        from messenger.netinfo import server_urls

        port = self.runner.public_port or self.runner.requested_port
        return server_urls(self.runner.host, port, self.runner.scheme)[0]

    def status_text(self) -> str:
        t = self.t
        if self.message:
            return self.message
        if self.state == "running":
            return f"{t('running')} · {self.lan_url()} · {t('online', n=self.online)}"
        return t(self.state)

    def title(self) -> str:
        from messenger.version import __version__

        app = f"{self.t('app')} {__version__}"
        if self.state == "running":
            text = f"{app} · {self.lan_url()} · {self.t('online', n=self.online)}"
        else:
            text = f"{app} · {self.status_text()}"
        return _backend_safe(text)

    def entries(self) -> list[Entry | None]:
        from messenger.ops import autostart
        from messenger.ops.common import list_backups
        from messenger.ops.schedule import load_auto_backup

        t = self.t
        running = self.state == "running"
        auto = load_auto_backup(self.settings.data_dir)
        restore_items: list[Entry | None] = [
            Entry(_backup_label(b.created_at, b.label), submenu=[
                Entry(t("restore_this"), functools.partial(self._submit_restore, b.path))])
            for b in list_backups(self.settings.backup_dir)[:RECENT_BACKUPS]
        ] or [Entry(t("no_backups"), enabled=False)]
        setup = [Entry(t("setup_code", code=self.runner.setup_code), enabled=False)] \
            if running and self.runner.setup_code else []
        return [
            Entry(self.status_text(), enabled=False),
            *setup,
            Entry(t("open"), lambda: self.submit("open", self._open_browser), default=True),
            Entry(t("copy"), lambda: self.submit("copy", self._copy_address)),
            Entry(t("stop"), lambda: self.submit("stop", self._stop_server)) if running
            else Entry(t("start"), lambda: self.submit("start", self._start_server)),
            None,
            Entry(t("backup_now"), lambda: self.submit("backup", self._backup)),
            Entry(t("restore"), submenu=restore_items),
            Entry(t("verify_latest"), lambda: self.submit("verify", self._verify_latest)),
            Entry(t("auto"), submenu=[
                Entry(t("auto_off"), lambda: self._set_auto(enabled=False), checked=not auto.enabled, radio=True),
                Entry(t("auto_daily", hour=auto.hour), lambda: self._set_auto(enabled=True),
                      checked=auto.enabled, radio=True),
                None,
                Entry(t("auto_hour"), submenu=[
                    Entry(f"{h:02d}:00", functools.partial(self._set_auto, hour=h), checked=auto.hour == h, radio=True)
                    for h in HOURS]),
                Entry(t("auto_keep"), submenu=[
                    Entry(t("keep_n", n=n), functools.partial(self._set_auto, keep=n), checked=auto.keep == n, radio=True)
                    for n in KEEP_CHOICES]),
            ]),
            None,
            Entry(t("lan"), submenu=lan_entries(self)),
            Entry(t("open_data"), lambda: self.submit("open_data", lambda: self._open_folder(self.settings.data_dir))),
            Entry(t("open_logs"), lambda: self.submit("open_logs", lambda: self._open_folder(self.settings.log_dir))),
            Entry(t("autostart"), lambda: self.submit("autostart", self._toggle_autostart),
                  checked=autostart.is_enabled()),
            None,
            Entry(t("quit"), lambda: self.submit("quit", self._quit_app)),
        ]

    # ---- running ---------------------------------------------------------------------------
    def run(self) -> int:
        import pystray

        self._worker.start()
        self.submit("start", self._start_server)
        try:
            self.icon = pystray.Icon("intranet-messenger", state_icon("starting"), self.title(),
                                     build_menu(self.entries))
        except Exception as exc:
            return self._headless(f"The tray icon could not be created ({exc})")
        threading.Thread(target=self._refresh_loop, name="tray-refresh", daemon=True).start()
        control = os.environ.get("MESSENGER_TRAY_CONTROL")
        if control:
            from gui.control import serve_control

            threading.Thread(target=serve_control, args=(self, Path(control)), daemon=True).start()
        try:
            signal.signal(signal.SIGTERM, lambda *_: self.submit("quit", self._quit_app))
        except ValueError:
            pass
        try:
            self.icon.run(setup=self._setup)
        except Exception:  # e.g. GTK's notifier raising on the way out when no notification daemon exists
            log.debug("tray loop ended with an error", exc_info=True)
        if not self._quit.is_set():  # the loop ended without Quit: the tray backend failed
            return self._headless("The tray stopped unexpectedly")
        if self.runner.running:
            self.runner.stop()
        return 0

    def _headless(self, reason: str) -> int:
        """Keep serving without a tray (one line says why) until Ctrl+C or SIGTERM."""
        from messenger.cli import _wait_for_signal

        log.warning("%s; running headless", reason)
        print(f"{reason}; running headless. Press Ctrl+C to stop.", flush=True)
        self.wait_idle()
        if self.runner.running:
            _wait_for_signal(self.runner)
            self.runner.stop()
        self._quit.set()
        return 0 if self.state != "error" else 1

    def _setup(self, icon: Any) -> None:
        icon.visible = True
        if "gi.repository.GLib" in sys.modules:  # GLib's loop holds the main thread: let it deliver signals
            from gi.repository import GLib

            def on_signal(*_: Any) -> bool:
                self.submit("quit", self._quit_app)
                return True

            for sig in (signal.SIGINT, signal.SIGTERM):
                GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, on_signal)

    def submit(self, name: str, job: Callable[[], Any]) -> None:
        self._jobs.put((name, job))

    def wait_idle(self, timeout: float = 120) -> bool:
        done = threading.Event()
        self._jobs.put(("idle", done.set))
        return done.wait(timeout)

    def _work(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            name, job = item
            try:
                job()
            except Exception as exc:
                log.exception("tray action %s failed", name)
                self.message = self.t("failed", reason=str(exc) or type(exc).__name__)
                self.notify(self.message)
            finally:
                self.refresh()

    def refresh(self) -> None:
        if self.icon is None:
            return
        try:
            self.icon.icon = state_icon(self.state)
            self.icon.title = self.title()
            self.icon.update_menu()
            self._gtk_tooltip()
        except Exception:  # the dummy backend cannot update; a display hiccup must not stop the tray
            log.debug("tray refresh failed", exc_info=True)

    def _gtk_tooltip(self) -> None:
        """pystray's GTK backend sets only the title; a Gtk.StatusIcon can show it as the tooltip too."""
        status_icon = getattr(self.icon, "_status_icon", None)
        if status_icon is not None:
            from gi.repository import GLib

            GLib.idle_add(status_icon.set_tooltip_text, self.title())

    def notify(self, text: str) -> None:
        log.info("tray: %s", text)
        if self.icon is None or not getattr(self.icon, "HAS_NOTIFICATION", False):
            return
        try:
            self.icon.notify(text, self.t("app"))
        except Exception:
            log.debug("notification failed", exc_info=True)

    def _refresh_loop(self) -> None:
        while not self._quit.wait(REFRESH_SECONDS):
            if self.state != "running":
                continue
            if self.runner.setup_code:  # the code disappears from the menu once an admin exists
                try:
                    if self.runner.current_setup_code() is None:
                        self.refresh()
                except Exception:
                    log.debug("setup code check failed", exc_info=True)
            try:
                online = int(self.runner.call(lambda: self.runner.services().realtime.online_count(), timeout=5))
            except Exception:
                continue
            if online != self.online:
                self.online = online
                self.refresh()

    def _progress(self, what: str) -> Callable[[str], None]:
        """Long jobs show in the status line: the action's name, and the step while it is counting."""
        label = self.t(what)

        def show(text: str) -> None:
            step = text[text.rfind("("):] if text.endswith(")") and "/" in text else ""
            self.message = self.t("busy", what=f"{label} {step}".strip())
            self.refresh()

        return show

    # ---- actions (worker thread) -------------------------------------------------------------
    def _start_server(self) -> None:
        if self.runner.running:
            return
        self.state, self.message = "starting", ""
        self.refresh()
        try:
            self.runner.start()
        except Exception as exc:
            self.state = "error"
            self.message = f"{self.t('error')}: {exc}"
            log.error("server failed to start: %s", exc)
            self.notify(self.message)
            return
        self.state = "running"
        log.info("server running at %s", self.lan_url())
        for warning in startup_warnings(self):
            self.message = warning
            self.notify(warning)

    def _stop_server(self) -> None:
        self.runner.stop()
        self.state, self.message, self.online = "stopped", "", 0

    def _open_browser(self) -> None:
        from gui.desktop import open_url

        if not self.runner.port:
            open_url(self.lan_url())
            return
        open_url(self.runner.setup_url() or self.runner.local_url)  # /setup?code=… until an admin exists

    def _copy_address(self) -> None:
        from gui.desktop import copy_text

        url = self.lan_url()
        copy_text(url)
        self.notify(self.t("copied", url=url))

    def _open_folder(self, path: Path) -> None:
        from gui.desktop import open_path

        open_path(path)

    def _backup(self) -> None:
        from messenger.ops.backup import backup_size, create_backup
        from messenger.ops.common import human_size

        path = create_backup(self.settings, progress=self._progress("backup_now"))
        self.message = ""
        self.notify(self.t("backup_done", size=human_size(backup_size(path)), name=path.name))

    def _verify_latest(self) -> None:
        from messenger.ops.common import latest_backup, record_audit
        from messenger.ops.verify import verify_backup

        path = latest_backup(self.settings.backup_dir)
        if path is None:
            raise RuntimeError(self.t("no_backups"))
        report = verify_backup(path, progress=self._progress("verify_latest"))
        record_audit(self.settings, "backup_verified", {"path": str(path), "ok": report.ok,
                                                        "problems": report.problems[:5]})
        self.message = "" if report.ok else self.t("verify_failed", reason=report.problems[0])
        self.notify(self.t("verify_ok", name=path.name) if report.ok else self.message)

    def _submit_restore(self, path: Path) -> None:
        self.submit("restore", lambda: self._restore(path))

    def _restore(self, path: Path) -> None:
        from messenger.ops.restore import restore_backup

        was_running = self.runner.running
        if was_running:
            self._stop_server()
        try:
            restore_backup(self.settings, path, progress=self._progress("restore"))
        finally:
            if was_running:
                self._start_server()
        self.message = ""
        self.notify(self.t("restore_done", name=path.name))

    def _set_auto(self, enabled: bool | None = None, hour: int | None = None, keep: int | None = None) -> None:
        from dataclasses import replace

        from messenger.ops.schedule import load_auto_backup, save_auto_backup

        current = load_auto_backup(self.settings.data_dir)
        save_auto_backup(self.settings.data_dir, replace(
            current,
            enabled=current.enabled if enabled is None else enabled,
            hour=current.hour if hour is None else hour,
            keep=current.keep if keep is None else keep,
        ))
        self.refresh()

    def _toggle_autostart(self) -> None:
        from messenger.ops import autostart

        if autostart.is_enabled():
            autostart.disable()
        else:
            autostart.enable(autostart.launch_command(self.settings.data_dir))

    def _quit_app(self) -> None:
        self._quit.set()
        if self.runner.running:
            self.runner.stop()
        self.state = "stopped"
        if self.icon is not None:
            self.icon.stop()


def _backend_safe(text: str) -> str:
    """pystray's PyPI-only X11 backend (used when PyGObject is missing, as in the Linux binary) writes
    the window title as latin-1 and fails on Korean or '…'; give it a latin-1 version."""
    import pystray

    if pystray.Icon.__module__.endswith("_xorg"):
        return text.encode("latin-1", "replace").decode("latin-1")
    return text


def _backup_label(created_at: str, label: str) -> str:
    try:
        when = dt.datetime.fromisoformat(created_at.replace("Z", "+00:00")).astimezone()
        text = when.strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        text = created_at
    return f"{text} · {label}" if label else text
