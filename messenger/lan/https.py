"""Plain-HTTP side of local-CA HTTPS: everything redirects to HTTPS except the set-up pages a phone
needs before it trusts the CA (``/setup/…``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

HTTP_ALLOWED_PREFIXES = ("/setup/", "/api/health")


class RedirectToHttps:
    """WSGI middleware for the HTTP listener: 308 to the same path on the HTTPS port."""

    def __init__(self, app: Callable[..., Any], https_port: Callable[[], int | None]) -> None:
        self.app = app
        self.https_port = https_port

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        port = self.https_port()
        if port is None or path.startswith(HTTP_ALLOWED_PREFIXES):
            return self.app(environ, start_response)
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
        if host.startswith("["):
            hostname = host.split("]")[0] + "]"
        else:
            hostname = host.rsplit(":", 1)[0] if ":" in host else host
        query = environ.get("QUERY_STRING", "")
        location = f"https://{hostname}:{port}{path}" + (f"?{query}" if query else "")
        start_response("308 Permanent Redirect", [("Location", location), ("Content-Length", "0"),
                                                  ("Cache-Control", "no-store")])
        return [b""]
