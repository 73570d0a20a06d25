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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gui.i18n import Texts
from gui.icons import state_icon
from gui.lan_menu import lan_entries, startup_warnings
from gui.menu import Entry, build_menu
from gui.system_gi import use_system_gi
from messenger.server import wait_for_stop_signal

log = logging.getLogger("messenger.tray")

RECENT_BACKUPS = 10
HOURS = (0, 1, 2, 3, 4, 5, 6, 12, 18, 20, 22, 23)
KEEP_CHOICES = (7, 14, 30, 60)
REFRESH_SECONDS = 3.0
HEALTH_SECONDS = 30.0


def tray_available(wait: float = 10.0) -> bool:
    """A desktop and a tray backend: a display on Linux, and pystray importable (it raises X errors,
    not ImportError, without one). On X11 a system tray must be there too (someone owns
    ``_NET_SYSTEM_TRAY_S0``; waited for up to ``wait`` seconds, as a panel may start after us at login):
    without one the icon would be invisible and the person would see nothing."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    use_system_gi()  # a venv or binary without PyGObject: the system's, for a tray with a menu
    try:
        import pystray  # noqa: F401
    except Exception:
        return False
    if sys.platform.startswith("linux") and os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return x11_tray_present(wait)
    return True


def x11_tray_present(wait: float = 0.0) -> bool:
    """True when an XEmbed system tray runs on ``$DISPLAY`` (or when that cannot be checked)."""
    try:
        from Xlib import X, display
    except ImportError:
        return True
    try:
        disp = display.Display()
    except Exception:
        return False  # a DISPLAY that cannot be opened: no desktop
    try:
        atom = disp.intern_atom(f"_NET_SYSTEM_TRAY_S{disp.get_default_screen()}")
        deadline = time.monotonic() + wait
        while True:
            if disp.get_selection_owner(atom) != X.NONE:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)
    finally:
        disp.close()


def run_tray(make_runner: Callable[..., Any], data_dir: Path, log_path: Path | None = None) -> int:
    """Start the server and show the tray until Quit; returns the process exit code. ``make_runner(port=None)``
    builds the settings and the runner (again at every retry) or raises ``StartupFailure``."""
    from messenger.datadir import data_dir_in_use
    from messenger.startup import StartupFailure

    if data_dir_in_use(data_dir):  # a second tray: the first one is the one to use
        from gui.failure import show_failure

        failure = StartupFailure("already_running", {"path": str(data_dir)})
        log.error("start-up failed: %s", failure.english())
        show_failure(failure, log_path)
        return 2
    return TrayApp(None, make_runner=make_runner, data_dir=data_dir, log_path=log_path).run()


class TrayApp:
    def __init__(self, runner: Any = None, lang: str | None = None, make_runner: Callable[..., Any] | None = None,
                 data_dir: Path | None = None, log_path: Path | None = None) -> None:
        self.runner = runner
        if runner is not None:
            runner.run_gc = self._on_gui_thread
        self.make_runner = make_runner
        self.settings: Any = runner.settings if runner is not None else None  # None until settings load
        self.data_dir: Path = data_dir or runner.settings.data_dir
        self.log_path = log_path or self.data_dir / "logs" / "messenger.log"
        self.failure: Any = None  # the StartupFailure while the tray is in its error state
        self.health_reasons: list[str] = []  # /api/health's reasons while it says "degraded"
        self.free_mb = 0
        self._health_at = 0.0
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

    def shown_state(self) -> str:
        """``state``, except "restoring" while the server is briefly stopped for a restore (the tray's own,
        or one started from the operator console, which stops and starts the runner itself)."""
        restarting = getattr(self.runner, "restarting", None)
        if self.state == "running" and restarting is not None and restarting.is_set():
            return "restoring"
        return self.state

    def status_text(self) -> str:
        t = self.t
        if self.message:
            return self.message
        state = self.shown_state()
        if state == "running":
            return f"{t('running')} · {self.lan_url()} · {t('online', n=self.online)}{self._health_suffix()}"
        return t(state)

    def _health_suffix(self) -> str:
        return "".join(" · " + self.t(f"degraded_{reason}", free=self.free_mb) for reason in self.health_reasons)

    def title(self) -> str:
        from messenger.version import __version__

        app = f"{self.t('app')} {__version__}"
        if self.shown_state() == "running":
            text = f"{app} · {self.lan_url()} · {self.t('online', n=self.online)}{self._health_suffix()}"
        else:
            text = f"{app} · {self.status_text()}"
        return _backend_safe(text)

    def entries(self) -> list[Entry | None]:
        # the operator functions load on first use: the tray shows before they import
        from messenger.ops import autostart
        from messenger.ops.common import list_backups
        from messenger.ops.schedule import load_auto_backup

        t = self.t
        if self.failure is not None:
            return self.error_entries()
        if self.runner is None or self.settings is None:  # still building the settings
            return [Entry(self.status_text(), enabled=False), None,
                    Entry(t("quit"), lambda: self.submit("quit", self._quit_app))]
        shown = self.shown_state()
        running = shown == "running"
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
            Entry(t("open"), lambda: self.submit("open", self._open_browser), default=True, enabled=running),
            Entry(t("copy"), lambda: self.submit("copy", self._copy_address), enabled=running),
            Entry(t("stop"), lambda: self.submit("stop", self._stop_server)) if running
            else Entry(t("start"), lambda: self.submit("start", self._start_server),
                       enabled=shown not in ("restoring", "stopping")),
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

    def error_entries(self) -> list[Entry | None]:
        """The error state: what happened, the fix, and the actions (another port, retry, log, data)."""
        from messenger.startup import failure_lines, port_offer

        t = self.t
        what, fix = failure_lines(self.failure, t)
        offer = port_offer(self.failure)
        items: list[Entry | None] = [Entry(what, enabled=False), Entry(fix, enabled=False), None]
        if offer:
            items.append(Entry(t("port_offer", port=self.failure.params.get("port"), next_port=offer),
                               lambda: self.submit("port", lambda: self._use_port(offer)), default=True))
        items += [
            Entry(t("retry"), lambda: self.submit("start", self._retry), default=not offer),
            None,
            Entry(t("open_logs"), lambda: self.submit("open_logs", lambda: self._open_folder(self.log_path.parent))),
            Entry(t("open_data"), lambda: self.submit("open_data", lambda: self._open_folder(self.data_dir))),
            None,
            Entry(t("quit"), lambda: self.submit("quit", self._quit_app)),
        ]
        return items

    # ---- running ---------------------------------------------------------------------------
    def run(self) -> int:
        import pystray

        self._worker.start()
        try:
            self.icon = pystray.Icon("intranet-messenger", state_icon("starting"), self.title(),
                                     build_menu(self.entries))
        except Exception as exc:
            self.submit("start", self._start_server)
            return self._headless(f"The tray icon could not be created ({exc})")
        _clickable_x11_icon(self.icon)
        self.submit("start", self._start_server)  # after the icon exists, so its end state is drawn
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
        if self.runner is not None and self.runner.running:
            self.runner.stop()
        return 0

    def _headless(self, reason: str) -> int:
        """Keep serving without a tray (one line says why) until Ctrl+C or SIGTERM."""
        log.warning("%s; running headless", reason)
        print(f"{reason}; running headless. Press Ctrl+C to stop.", flush=True)
        self.wait_idle()
        if self.runner is not None and self.runner.running:
            wait_for_stop_signal(self.runner)
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
                key = getattr(exc, "key", None)  # an OpsError the catalog can word in the tray's language
                reason = self.t(key, **getattr(exc, "params", {})) if key else (str(exc) or type(exc).__name__)
                self.message = self.t("failed", reason=reason)
                self.notify(self.message)
            finally:
                self.refresh()

    def refresh(self) -> None:
        if self.icon is None:
            return
        try:
            self.icon.icon = state_icon(self.shown_state())
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
            if self.shown_state() != "running":
                continue
            if self.runner.setup_code:  # the code disappears from the menu once an admin exists
                try:
                    if self.runner.current_setup_code() is None:
                        self.refresh()
                except Exception:
                    log.debug("setup code check failed", exc_info=True)
            self._check_health()
            try:
                online = int(self.runner.call(lambda: self.runner.services().realtime.online_count(), timeout=5))
            except Exception:
                continue
            if online != self.online:
                self.online = online
                self.refresh()

    def _check_health(self) -> None:
        """Every HEALTH_SECONDS: a degraded server (disk low, database not writable) shows in the status."""
        from messenger.system.routes import health  # the server's code, loaded once the server runs

        if time.monotonic() - self._health_at < HEALTH_SECONDS:
            return
        self._health_at = time.monotonic()
        try:
            body, _ = self.runner.call(lambda: health(self.runner.services()), timeout=10)
        except Exception:
            log.debug("health check failed", exc_info=True)
            return
        reasons = list(body.get("reasons", []))
        free_mb = int(body.get("disk", {}).get("free_bytes", 0)) // (1024 * 1024)
        if reasons != self.health_reasons or (reasons and free_mb != self.free_mb):
            self.health_reasons, self.free_mb = reasons, free_mb
            if reasons:
                self.notify(self.status_text())
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
        if self.runner is not None and self.runner.running:
            return
        self.state, self.message, self.failure = "starting", "", None
        self.refresh()
        try:
            if self.runner is None:
                self.runner = self._build_runner()
            self.runner.start()
        except Exception as exc:
            self._failed(exc)
            return
        self.state = "running"
        if self._restart_shown not in self.runner.restart_listeners:  # a restore from the operator console
            self.runner.restart_listeners.append(self._restart_shown)
        log.info("server running at %s", self.lan_url())
        self._print_urls()
        for warning in startup_warnings(self):
            self.message = warning
            self.notify(warning)

    def _restart_shown(self, _restarting: bool) -> None:
        self.refresh()

    def _build_runner(self, port: int | None = None) -> Any:
        assert self.make_runner is not None
        runner = self.make_runner(port=port)
        runner.run_gc = self._on_gui_thread
        self.settings = runner.settings
        return runner

    def _on_gui_thread(self, fn: Callable[[], Any], timeout: float = 30) -> None:
        """Run ``fn`` on the GTK loop's thread (and wait); directly where there is no GLib loop."""
        if "gi.repository.GLib" not in sys.modules or self.icon is None:
            fn()
            return
        from gi.repository import GLib

        done = threading.Event()

        def run() -> bool:
            try:
                fn()
            finally:
                done.set()
            return False

        GLib.idle_add(run)
        if not done.wait(timeout):
            log.warning("the GUI thread did not run %s in time", getattr(fn, "__name__", fn))

    def _failed(self, exc: BaseException) -> None:
        """The error state: the failure in one language in the menu, the status line and a notification."""
        from messenger.startup import StartupFailure, describe_failure, failure_lines

        runner = self.runner
        failure = describe_failure(exc, self.data_dir, runner.host if runner else "0.0.0.0",
                                   runner.requested_port if runner else None)
        log.error("start-up failed: %s", failure.english(), exc_info=not isinstance(exc, StartupFailure))
        self.failure = failure
        self.state = "error"
        self.message = failure_lines(failure, self.t)[0]
        self.notify(self.message)

    def _retry(self) -> None:
        """Start again with the settings read afresh (the person may have fixed the file)."""
        if self.make_runner is not None and (self.runner is None or not self.runner.running):
            self.runner = None
        self._start_server()

    def _use_port(self, port: int) -> None:
        """Take the offered free port: remembered in settings.toml (DEFAULT_PORT), then start there."""
        from messenger.settings import write_settings_file

        write_settings_file(self.data_dir, {"DEFAULT_PORT": port})
        if self.make_runner is not None:
            self.runner = None
            self.failure = None
            self.state, self.message = "starting", ""
            try:
                self.runner = self._build_runner(port)
            except Exception as exc:
                self._failed(exc)
                return
        else:
            self.runner.requested_port = port
        self._start_server()

    def _print_urls(self) -> None:
        """The addresses on the terminal too (when the tray was started from one)."""
        from messenger.netinfo import server_urls

        if sys.stdout is None:
            return
        try:
            print(f"{self.t('running')}: " + ", ".join(
                server_urls(self.runner.host, self.runner.public_port, self.runner.scheme)), flush=True)
        except (OSError, ValueError):
            pass

    def _stop_server(self) -> None:
        self.state, self.message = "stopping", ""  # shown until the server has stopped (up to a few s)
        self.refresh()
        try:
            self.runner.stop()
        finally:
            self.state, self.online = "stopped", 0

    def _open_browser(self) -> None:
        from gui.desktop import open_url

        if not self.runner.port:
            open_url(self.lan_url())
            return
        setup = self.runner.setup_url()  # /setup?code=… until an admin exists
        if setup is None and not getattr(self.icon, "HAS_MENU", True):
            # A tray backend without menus (pystray's X11 one without PyGObject): a left click is all
            # there is, so it opens the operator console, where everything in the menu can be done.
            open_url(self.runner.local_url + "/console")
            return
        open_url(setup or self.runner.local_url)

    def _copy_address(self) -> None:
        from gui.desktop import copy_text

        url = self.lan_url()
        copy_text(url)
        self.notify(self.t("copied", url=url))

    def _open_folder(self, path: Path) -> None:
        from gui.desktop import open_path

        open_path(path)

    def _backup(self) -> None:
        # the operator functions load on first use: the tray shows before they import
        from messenger.ops.backup import backup_size, create_backup
        from messenger.ops.common import human_size

        path = create_backup(self.settings, progress=self._progress("backup_now"))
        self.message = ""
        self.notify(self.t("backup_done", size=human_size(backup_size(path)), name=path.name))

    def _verify_latest(self) -> None:
        # the operator functions load on first use: the tray shows before they import
        from messenger.ops.common import latest_backup, record_audit
        from messenger.ops.verify import verify_backup

        path = latest_backup(self.settings.backup_dir)
        if path is None:
            raise RuntimeError(self.t("no_backups"))
        report = verify_backup(path, progress=self._progress("verify_latest"))
        record_audit(self.settings, "backup_verified", {"path": str(path), "ok": report.ok,
                                                        "problems": report.problem_data()})
        self.message = "" if report.ok else self.t("verify_failed", reason=report.problems[0].text(self.t))
        self.notify(self.t("verify_ok", name=path.name) if report.ok else self.message)

    def _submit_restore(self, path: Path) -> None:
        self.submit("restore", lambda: self._restore(path))

    def _restore(self, path: Path) -> None:
        # the operator functions load on first use: the tray shows before they import
        from messenger.ops.restore import restore_backup

        was_running = self.runner.running
        self.state = "restoring"  # shown before the server stops
        self.refresh()
        if was_running:
            self.runner.stop()
            self.online = 0
        try:
            restore_backup(self.settings, path, progress=self._progress("restore"))
        finally:
            if was_running:
                self._start_server()
            else:
                self.state = "stopped"
        self.message = ""
        self.notify(self.t("restore_done", name=path.name))

    def _set_auto(self, enabled: bool | None = None, hour: int | None = None, keep: int | None = None) -> None:
        from dataclasses import replace

        # the operator functions load on first use: the tray shows before they import
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
        # the operator functions load on first use: the tray shows before they import
        from messenger.ops import autostart

        if autostart.is_enabled():
            autostart.disable()
        else:
            autostart.enable(autostart.launch_command(self.settings.data_dir))

    def _quit_app(self) -> None:
        self._quit.set()
        if self.runner is not None and self.runner.running:
            self.state = "stopping"
            self.refresh()
            self.runner.stop()
        self.state = "stopped"
        if self.icon is not None:
            self.icon.stop()


def _clickable_x11_icon(icon: Any) -> None:
    """pystray's X11 backend (no PyGObject: no menu) handles a left click as the default action, but its
    icon window never asks X for button presses (only exposure and structure events), so the click goes
    to the tray's window instead and nothing happens. Ask for them as well."""
    if not type(icon).__module__.endswith("_xorg"):
        return
    try:
        from Xlib import X

        icon._window.change_attributes(event_mask=X.ExposureMask | X.StructureNotifyMask | X.ButtonPressMask)
        icon._display.flush()
    except Exception:  # another pystray version: the icon still shows, without the click
        log.warning("could not make the tray icon clickable", exc_info=True)


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
