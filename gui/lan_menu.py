"""The tray's "HTTPS · phones" submenu (issue 11): enable/disable local-CA HTTPS, trust the CA on
this PC, show the address as a QR code with the set-up page, save a diagnostics bundle; and the
warnings the tray shows after a start (certificate expiring, the PC's address changed)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from gui.menu import Entry

log = logging.getLogger("messenger.tray")


class TrayApp(Protocol):
    """What this submenu uses of the tray (``gui.tray.TrayApp``), so it needs no import of the tray."""

    runner: Any
    settings: Any
    message: str

    def t(self, key: str, **params: Any) -> str: ...

    def submit(self, name: str, job: Callable[[], Any]) -> None: ...

    def notify(self, text: str) -> None: ...

    def lan_url(self) -> str: ...

    def _start_server(self) -> None: ...

    def _stop_server(self) -> None: ...


def lan_entries(app: TrayApp) -> list[Entry | None]:
    t = app.t
    https_on = app.runner.settings.local_ca_https
    fingerprint: list[Entry | None] = []
    if https_on:  # the whole fingerprint, to compare with the one on the set-up page
        from messenger.lan import certs

        value = certs.ca_fingerprint(app.runner.settings.data_dir) if certs.cert_paths(
            app.runner.settings.data_dir).ca_cert.exists() else ""
        if value:
            fingerprint = [Entry(t("fingerprint", fingerprint=value), enabled=False)]
    return [
        *fingerprint,
        Entry(t("https_disable") if https_on else t("https_enable"),
              lambda: app.submit("https", lambda: set_https(app, not https_on))),
        Entry(t("install_ca"), lambda: app.submit("install_ca", lambda: install_ca(app))),
        Entry(t("phones"), lambda: app.submit("phones", lambda: open_setup_page(app))),
        None,
        Entry(t("diagnostics"), lambda: app.submit("diagnostics", lambda: save_diagnostics(app))),
    ]


def set_https(app: TrayApp, enable: bool) -> None:
    """Write HTTPS_MODE to settings.toml and restart the server with it."""
    # cryptography and the LAN helpers load when an entry is used, not with the tray
    from messenger.lan import certs
    from messenger.settings import write_settings_file

    runner = app.runner
    data_dir = runner.settings.data_dir
    if enable:
        certs.ensure_server_cert(data_dir)
    write_settings_file(data_dir, {"HTTPS_MODE": "local-ca" if enable else None})
    was_running = runner.running
    if was_running:
        app._stop_server()
    runner.settings = runner.settings.replace(
        HTTPS_MODE="local-ca" if enable else "off",
        TLS_CERT_FILE="" if not enable else runner.settings.TLS_CERT_FILE,
        TLS_KEY_FILE="" if not enable else runner.settings.TLS_KEY_FILE,
    )
    app.settings = runner.settings
    if was_running:
        app._start_server()
    app.message = ""
    if enable:
        app.notify(app.t("https_on", url=app.lan_url(), fingerprint=certs.ca_fingerprint(data_dir)))
    else:
        app.notify(app.t("https_off", url=app.lan_url()))


def install_ca(app: TrayApp) -> None:
    # cryptography and the LAN helpers load when an entry is used, not with the tray
    from messenger.lan import certs
    from messenger.lan.trust import install_ca as trust_ca

    paths = certs.cert_paths(app.runner.settings.data_dir)
    certs.ensure_ca(paths)
    ok, key, params = trust_ca(paths.ca_cert)
    message = app.t(key, **params)
    app.message = "" if ok else app.t("failed", reason=message)
    app.notify(message)


def open_setup_page(app: TrayApp) -> None:
    """The set-up page shows every address as text and as a QR code, and how to trust the CA."""
    from gui.desktop import open_url

    runner = app.runner
    if not runner.running:
        raise RuntimeError(app.t("stopped"))
    open_url(f"http://127.0.0.1:{runner.port}/setup/certificate")


def save_diagnostics(app: TrayApp) -> None:
    """Ask where to save (a native save dialog); without one, save into the data folder and show the
    file in its folder. Cancelling the dialog saves nothing."""
    from gui.desktop import NoDialog, ask_save_path, show_in_folder
    from messenger.lan.diagnostics import bundle_name, write_bundle  # loaded when used, not with the tray

    settings = app.runner.settings
    try:
        target = ask_save_path(app.t("diagnostics_title"), Path.home() / bundle_name())
    except NoDialog as exc:
        log.info("no save dialog (%s): the diagnostics go into the data folder", exc)
        path = write_bundle(settings)
        app.message = ""
        app.notify(app.t("diagnostics_saved", path=str(path)))
        show_in_folder(path)
        return
    app.message = ""
    if target is None:
        return  # cancelled
    if target.suffix.lower() != ".zip":
        target = target.with_name(target.name + ".zip")
    path = write_bundle(settings, target)
    app.notify(app.t("diagnostics_saved", path=str(path)))


def startup_warnings(app: TrayApp) -> list[str]:
    """Warnings to show once the server runs: certificate expiring soon, address changed."""
    # cryptography and the LAN helpers load when an entry is used, not with the tray
    from messenger.lan import certs

    out: list[str] = []
    settings: Any = app.runner.settings
    if settings.local_ca_https:
        st = certs.status(settings.data_dir)
        if st.warn and st.days_left is not None:
            out.append(app.t("cert_expiring", days=st.days_left))
    changed = getattr(app.runner, "address_change", None)
    if changed:
        out.append(app.t("address_changed", before=", ".join(changed[0]), now=", ".join(changed[1]) or "-"))
    return out
