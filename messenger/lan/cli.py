"""``launcher.py diagnostics`` and ``launcher.py https enable|disable|status|install-ca``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from messenger.datadir import load_cli_settings
from messenger.i18n import Texts


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    t = Texts()
    p = sub.add_parser("diagnostics", parents=[common], help=t("cli.help_diagnostics"))
    p.add_argument("--output", default=None, help=t("cli.help_diagnostics_output"))
    p.set_defaults(func=cmd_diagnostics)
    p = sub.add_parser("https", parents=[common], help=t("cli.help_https"))
    p.add_argument("action", choices=("enable", "disable", "status", "install-ca"))
    # SUPPRESS: ``launcher.py --port N https enable`` (the server's own option) works as well.
    p.add_argument("--port", type=_port, default=argparse.SUPPRESS,
                   help=t("cli.help_https_port"))
    p.set_defaults(func=cmd_https)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(Texts()("cli.not_a_port", value=repr(text)))
    return value


def cmd_diagnostics(args: argparse.Namespace) -> int:
    from messenger.lan.diagnostics import write_bundle

    settings = load_cli_settings(args.data_dir)
    path = write_bundle(settings, Path(args.output) if args.output else None)
    print(path)  # the zip's path alone: scripts read it
    return 0


def cmd_https(args: argparse.Namespace) -> int:
    from messenger.lan import certs
    from messenger.lan.trust import install_ca
    from messenger.settings import write_settings_file

    t = Texts()
    settings = load_cli_settings(args.data_dir)
    if args.action == "enable":
        paths = certs.ensure_server_cert(settings.data_dir)
        write_settings_file(settings.data_dir, {"HTTPS_MODE": "local-ca"})
        port = getattr(args, "port", None) or settings.DEFAULT_PORT
        print(t("cli.https_enabled", path=paths.ca_cert))
        print(t("cli.https_fingerprint", fingerprint=certs.ca_fingerprint(settings.data_dir)))
        print(t("cli.https_certificate_page", port=port))
        if settings.HTTPS_PORT:
            print(t("cli.https_address", port=settings.HTTPS_PORT))
        return 0
    if args.action == "disable":
        write_settings_file(settings.data_dir, {"HTTPS_MODE": None})
        print(t("cli.https_disabled"))
        return 0
    if args.action == "install-ca":
        certs.ensure_ca(certs.cert_paths(settings.data_dir))
        ok, key, params = install_ca(certs.cert_paths(settings.data_dir).ca_cert)
        print(t(key, **params))
        return 0 if ok else 1
    st = certs.status(settings.data_dir)
    print(t("cli.https_mode", mode=settings.HTTPS_MODE))  # the setting's value itself: off / local-ca
    if st.exists:
        print(t("cli.https_cert_renew_soon" if st.warn else "cli.https_cert_valid", until=f"{st.not_after:%Y-%m-%d}",
                days=st.days_left, names=", ".join(st.names)))
    else:
        print(t("cli.https_no_cert"))
    return 0
