"""The web client: the single page and its static files (all served locally; no CDN)."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask.typing import ResponseReturnValue

from messenger.core.context import Services
from messenger.core.http import serves


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("web", __name__)

    @bp.get("/")
    @bp.get("/console")  # the operator console (server admins): the tray opens it where it has no menu
    @bp.get("/setup")  # the first run: the same page opens the registration with the setup code field
    @serves("text/html")
    def index() -> ResponseReturnValue:
        resp = app.make_response(render_template("index.html"))
        resp.headers["Cache-Control"] = "no-cache"
        return resp

    app.register_blueprint(bp)
