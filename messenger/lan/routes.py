"""Set-up pages a colleague opens before trusting the local CA: ``/setup/certificate`` (steps per OS
and browser, Korean and English), ``/setup/ca.crt`` (the CA certificate) and ``/setup/qr.png`` (the
server address as a QR code for phones)."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Flask, Response, render_template, request, send_file

from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.core.http import lang, serves
from messenger.netinfo import server_urls


def public_urls(svc: Services) -> list[str]:
    """The addresses colleagues can open, from the running server's ports."""
    server = svc.server
    if server is None or server.public_port is None:
        return []
    return server_urls(server.host, server.public_port, server.scheme)


def qr_target(svc: Services, wanted: str = "") -> str:
    """What the set-up page's QR code holds. With the local CA: this page itself over plain HTTP (a
    phone must trust the certificate before the HTTPS address opens without a warning); otherwise
    the address to chat at (``wanted`` when it is one of them)."""
    server: Any = svc.server
    if svc.settings.local_ca_https and server is not None and getattr(server, "port", None):
        return server_urls(server.host, int(server.port), "http")[0] + "/setup/certificate"
    urls = public_urls(svc)
    return wanted if wanted in urls else (urls[0] if urls else request.host_url.rstrip("/"))


def qr_png(text: str) -> bytes:
    import qrcode

    image = qrcode.make(text, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out, kind="PNG")  # both qrcode image factories (Pillow, pure PNG) take kind
    return out.getvalue()


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("lan", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/setup/static")

    # messenger.lan.certs (and with it cryptography, ~0.09 s) is imported by these two pages only, not
    # at every start-up of a server that does not use HTTPS.
    @bp.get("/setup/certificate")
    @serves("text/html")
    def certificate_page() -> Any:
        from messenger.lan import certs

        paths = certs.cert_paths(svc.settings.data_dir)
        has_ca = paths.ca_cert.exists()
        resp = Response(render_template(
            "setup_certificate.html",
            lang=lang(),
            has_ca=has_ca,
            fingerprint=certs.ca_fingerprint(svc.settings.data_dir) if has_ca else "",
            urls=public_urls(svc),
            https_on=svc.settings.local_ca_https,
        ))
        resp.headers["Cache-Control"] = "no-cache"
        return resp

    @bp.get("/setup/ca.crt")
    @serves("application/x-x509-ca-cert")
    def ca_certificate() -> Any:
        from messenger.lan import certs

        paths = certs.cert_paths(svc.settings.data_dir)
        if not paths.ca_cert.exists():
            raise ApiError(404, "not_found", "HTTPS is not set up on this server yet", {"reason": "https"})
        return send_file(paths.ca_cert, mimetype="application/x-x509-ca-cert", as_attachment=True,
                         download_name="intranet-messenger-ca.crt", max_age=0)

    @bp.get("/setup/qr.png")
    @serves("image/png")
    def qr() -> Any:
        resp = Response(qr_png(qr_target(svc, request.args.get("url", ""))), mimetype="image/png")
        resp.headers["Cache-Control"] = "no-cache"
        return resp

    app.register_blueprint(bp)
