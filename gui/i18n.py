"""Tray words: the ``tray.*`` keys of the operator catalogs (messenger/i18n/catalogs/<lang>.json).

One language per tray: Korean by default, English when the system language is set and is not Korean.
A new label is a new ``tray.<key>`` in both catalogs (a test checks they have the same keys); results
of operations the tray shows come as ``ops.*`` keys with parameters, so nothing English slips into a
Korean tray.
"""

from __future__ import annotations

from messenger.i18n import LANGUAGES, catalog, system_language
from messenger.i18n import Texts as _Texts

__all__ = ["LABELS", "Texts", "system_language"]

# The tray's labels by language, without the "tray." prefix (tests look labels up here).
LABELS: dict[str, dict[str, str]] = {
    lang: {k.removeprefix("tray."): v for k, v in catalog(lang).items() if k.startswith("tray.")}
    for lang in LANGUAGES
}


class Texts(_Texts):
    def __init__(self, lang: str | None = None) -> None:
        super().__init__(lang, prefix="tray.")

    def keys(self) -> list[str]:
        """The tray's label keys (without the prefix)."""
        return list(LABELS[self.lang])
