"""Write the README's settings tables (Korean and English) from the declaration in messenger/settings.py.

    python build/settings_table.py          # rewrite README.md between the settings-table markers
    python build/settings_table.py --check  # exit 1 when README.md is out of date

Help texts come from the web client's catalogs (``settingHelp.<NAME>``), the rest from the declaration.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from messenger.settings import SPECS, Bool, Choice, Float, Int, Rate, Spec, Url  # noqa: E402

README = ROOT / "README.md"
CATALOGS = ROOT / "messenger" / "web" / "static" / "i18n"
HEADERS = {"ko": ("키", "기본값", "허용 값", "설명"), "en": ("Key", "Default", "Accepts", "Description")}
WORDS = {
    "ko": {"none": "(없음)", "text": "글자", "list": "쉼표로 구분한 목록", "rate": "`10/minute` 형식", "empty": "또는 빈 값"},
    "en": {"none": "(none)", "text": "text", "list": "comma-separated list", "rate": "like `10/minute`", "empty": "or empty"},
}


def _code(value: Any) -> str:
    return f"`{value}`"


def _default(spec: Spec, lang: str) -> str:
    value = spec.default
    if value == "" or value == ():
        return WORDS[lang]["none"]
    if isinstance(value, bool):
        return _code("true" if value else "false")
    if isinstance(value, tuple):
        return _code(", ".join(value))
    if isinstance(value, float):
        return _code(f"{value:g}")
    return _code(value)


def _accepts(spec: Spec, lang: str) -> str:
    kind, words = spec.kind, WORDS[lang]
    if isinstance(kind, Bool):
        return "`true` / `false`"
    if isinstance(kind, (Int, Float)):
        return f"`{kind.minimum:g}`–`{kind.maximum:g}`" if isinstance(kind, Float) else f"`{kind.minimum}`–`{kind.maximum}`"
    if isinstance(kind, Choice):
        return " / ".join(_code(c) for c in kind.choices)
    if isinstance(kind, Rate):
        return words["rate"]
    if isinstance(kind, Url):
        text = " ".join(_code(s + "…") for s in kind.schemes)
        return text + (f" {words['empty']}" if kind.allow_empty else "")
    if kind.type_name == "list":
        return words["list"]
    return words["text"]


def render(lang: str) -> str:
    """The Markdown table of every setting in ``lang`` (``ko`` or ``en``)."""
    catalog = json.loads((CATALOGS / f"{lang}.json").read_text(encoding="utf-8"))
    head = HEADERS[lang]
    rows = [f"| {' | '.join(head)} |", "|" + "---|" * len(head)]
    for spec in SPECS:
        help_text = catalog[spec.help_key]
        rows.append(f"| `{spec.name}` | {_default(spec, lang)} | {_accepts(spec, lang)} | {help_text} |")
    return "\n".join(rows)


def updated(text: str) -> str:
    """``text`` (the README) with both tables regenerated between their markers."""
    for lang in ("ko", "en"):
        start, end = f"<!-- settings-table:{lang} -->", f"<!-- /settings-table:{lang} -->"
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = f"{before}{start}\n{render(lang)}\n{end}{after}"
    return text


def main(argv: list[str]) -> int:
    current = README.read_text(encoding="utf-8")
    fresh = updated(current)
    if "--check" in argv:
        if fresh != current:
            print("README.md settings tables are out of date: run python build/settings_table.py")
            return 1
        return 0
    if fresh != current:
        README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
