"""Words for the operator: the tray and the command line, from one set of JSON catalogs.

``catalogs/<lang>.json`` maps dotted keys to sentences with ``{name}`` placeholders (Python
``str.format``, so ``{hour:02d}`` works too): ``tray.*`` for the tray menu and its notices, ``cli.*``
for the command line, ``startup.*`` for a start-up failure (the tray, a dialog, or the terminal of a
build without gui/ word it the same way: messenger.startup.failure_lines), ``ops.*`` for results both
show (an operation returns a key and parameters, never a sentence). The web client's catalogs (messenger/web/static/i18n) are the same format for the
users' audience (``web_catalog`` reads them for the pages the server renders). Korean first: a key
missing in English falls back to Korean.
"""

from __future__ import annotations

import functools
import json
import locale
import os
import sys
from pathlib import Path
from typing import Any

LANGUAGES = ("ko", "en")
CATALOG_DIR = Path(__file__).resolve().parent / "catalogs"


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """The catalog of ``lang`` (``ko`` or ``en``), read once."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    return dict(json.loads((CATALOG_DIR / f"{lang}.json").read_text(encoding="utf-8")))


WEB_CATALOG_DIR = Path(__file__).resolve().parents[1] / "web" / "static" / "i18n"


@functools.cache
def web_catalog(lang: str) -> dict[str, str]:
    """The users' catalog of ``lang`` (the web client's ``static/i18n/<lang>.json``), for the few pages the
    server renders itself (the SSO failure page)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    return dict(json.loads((WEB_CATALOG_DIR / f"{lang}.json").read_text(encoding="utf-8")))


def system_language() -> str:
    """``"ko"`` or ``"en"`` for this PC: English only when a language is set and it is not Korean."""
    if sys.platform == "win32":
        try:
            import ctypes

            lang_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()
            return "ko" if (lang_id & 0x3FF) == 0x12 else "en"
        except Exception:
            return "ko"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            code = value.split(":")[0].split(".")[0].lower()
            if code in ("c", "posix"):
                return "ko"
            return "ko" if code.startswith("ko") else "en"
    try:
        code = (locale.getlocale()[0] or "").lower()
    except ValueError:
        code = ""
    return "en" if code and not code.startswith("ko") else "ko"


class Texts:
    """``t(key, **values)`` in one language. ``prefix`` is prepended to keys without a dot, so the tray
    says ``t("running")`` for ``tray.running`` and ``t("ops.ca_trusted", ...)`` for a shared key."""

    def __init__(self, lang: str | None = None, prefix: str = "") -> None:
        self.lang = lang if lang in LANGUAGES else system_language()
        self.prefix = prefix

    def key(self, key: str) -> str:
        return key if "." in key else self.prefix + key

    def __call__(self, key: str, **values: Any) -> str:
        full = self.key(key)
        text = catalog(self.lang).get(full) or catalog("ko")[full]
        return text.format(**values)
