"""Every error code (and reason) the server can return has words in both web catalogs, and no Python
source under messenger/ carries a user-facing Korean string.

The codes are read from the sources, not listed by hand: ``ApiError(status, "code", …, {"reason": "…"})``,
``bad_request("code", …)``, ``not_found("what")``, validation's ``_invalid(name, "reason", …)``, any dict
literal with a ``"code"`` key, and the HTTP status table in core/http.py."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "messenger" / "web" / "static" / "i18n"
HANGUL = re.compile("[\uac00-\ud7a3]")


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _reason(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if _literal(key) == "reason":
                return _literal(value)
    return None


def server_error_keys() -> set[str]:
    """``error.<code>`` and ``error.<code>.<reason>`` for every code and reason found in messenger/."""
    keys: set[str] = set()
    for path in (ROOT / "messenger").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                args = node.args
                code = reason = None
                if name == "ApiError" and len(args) >= 2:
                    code = _literal(args[1])
                    reason = _reason(args[3]) if len(args) > 3 else None
                elif name == "bad_request" and args:
                    code = _literal(args[0])
                    reason = _reason(args[2]) if len(args) > 2 else None
                elif name == "not_found" and path.name != "errors.py":
                    code = "not_found"
                    what = _literal(args[0]) if args else None
                    reason = what.replace(" ", "_") if what and what != "resource" else None
                elif name == "_invalid":
                    assert len(args) >= 3, f"{path}:{node.lineno}: _invalid(name, reason, message, **params)"
                    code, reason = "invalid_field", _literal(args[1])
                    assert reason and reason.isidentifier(), f"{path}:{node.lineno}: reason must be a literal"
                for kw in node.keywords:
                    if kw.arg == "params":
                        reason = _reason(kw.value)
                if code:
                    keys.add(f"error.{code}")
                    if reason:
                        keys.add(f"error.{code}.{reason}")
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if _literal(key) == "code" and _literal(value):
                        keys.add(f"error.{_literal(value)}")
    from messenger.core.http import _HTTP_CODES

    keys.update(f"error.{code}" for code in _HTTP_CODES.values())
    keys.add("error.http_error")
    return keys


def test_the_scan_finds_the_codes_it_should() -> None:
    """The scanner itself: a test that found nothing would pass for nothing."""
    keys = server_error_keys()
    for expected in ("error.invalid_json", "error.invalid_field.max_len", "error.not_found.room",
                     "error.rate_limited.send_message", "error.session_revoked", "error.file_too_large",
                     "error.not_found.upload_job", "error.method_not_allowed", "error.internal_error"):
        assert expected in keys
    assert len(keys) > 60


def test_every_server_error_code_is_in_both_catalogs() -> None:
    keys = server_error_keys()
    for lang in ("ko", "en"):
        catalog = json.loads((CATALOGS / f"{lang}.json").read_text(encoding="utf-8"))
        missing = sorted(k for k in keys if not catalog.get(k))
        assert not missing, f"{lang}.json lacks {missing}"


def test_both_catalogs_have_the_same_keys_and_placeholders() -> None:
    ko = json.loads((CATALOGS / "ko.json").read_text(encoding="utf-8"))
    en = json.loads((CATALOGS / "en.json").read_text(encoding="utf-8"))
    assert sorted(set(ko) ^ set(en)) == []
    holes = re.compile(r"\{(\w+)\}")
    for key in ko:
        assert set(holes.findall(ko[key])) == set(holes.findall(en[key])), key
    assert not [k for k, v in en.items() if HANGUL.search(v) and k not in ("lang.ko",)], "Korean in en.json"


# Korean that is not words for users: the jamo tables of search, the "@모두" mention keyword and the "예"/"네"
# answers people type (gui/failure.py),
# the Name[ko] line of the Linux desktop entry (the desktop's own catalog format), and the migrations that
# read the words older versions stored.
ALLOWED = {"messenger/search/hangul.py", "messenger/messages/service.py", "messenger/ops/autostart.py",
           "messenger/storage/migrations/versions/0007_system_events.py",
           "messenger/storage/migrations/versions/0009_deleted_user_names.py", "gui/failure.py"}
# Still to move into catalogs (each must still hold Korean, so this list can only shrink).
PENDING: set[str] = set()


def _korean_strings() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted([*(ROOT / "messenger").rglob("*.py"), *(ROOT / "gui").rglob("*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if HANGUL.search(node.value):
                    found.setdefault(rel, []).append(f"{node.lineno}: {node.value[:40]!r}")
    return found


def test_no_korean_words_in_server_python() -> None:
    """Words for users live in catalogs; no string constant under messenger/ or gui/ (docstrings aside) holds
    Korean outside the files listed above with their reason."""
    found = _korean_strings()
    assert {f: v for f, v in found.items() if f not in ALLOWED | PENDING} == {}
    assert sorted(PENDING - set(found)) == [], "done: take these off PENDING"


def test_every_system_event_has_words_in_both_catalogs() -> None:
    from messenger.core.system_events import EVENTS

    for lang in ("ko", "en"):
        catalog = json.loads((CATALOGS / f"{lang}.json").read_text(encoding="utf-8"))
        missing = [e for e in EVENTS if e != "legacy" and not catalog.get(f"system.{e}")]
        assert missing == [], f"{lang}.json lacks system.{missing}"


def test_every_sso_failure_code_has_words_in_both_catalogs() -> None:
    from messenger.oidc.routes import CODES

    for lang in ("ko", "en"):
        catalog = json.loads((CATALOGS / f"{lang}.json").read_text(encoding="utf-8"))
        assert [c for c in (*CODES, "failed", "back") if not catalog.get(f"sso.{c}")] == [], lang


def verify_codes() -> set[str]:
    """Every finding the console's verify answer can carry: the ``_found("ops.verify_<code>", …)`` calls."""
    tree = ast.parse((ROOT / "messenger" / "ops" / "verify.py").read_text(encoding="utf-8"))
    return {key.removeprefix("ops.verify_") for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_found"
            and (key := _literal(node.args[0])) and key.startswith("ops.verify_")}


def test_every_verify_code_is_in_both_catalogs_with_its_parameters() -> None:
    """The console words verify's checks and problems from ``console.check.<code>``, with the same placeholders
    as the operator catalogs (tray, CLI) that word the same findings."""
    codes = verify_codes()
    assert {"file_damaged", "files_ok", "manifest_missing", "schema_newer"} <= codes, codes  # the scan works
    holes = re.compile(r"\{(\w+)\}")
    operator = json.loads((ROOT / "messenger" / "i18n" / "catalogs" / "en.json").read_text(encoding="utf-8"))
    for lang in ("ko", "en"):
        catalog = json.loads((CATALOGS / f"{lang}.json").read_text(encoding="utf-8"))
        assert sorted(c for c in codes if not catalog.get(f"console.check.{c}")) == [], lang
        assert [c for c in codes if set(holes.findall(catalog[f"console.check.{c}"]))
                != set(holes.findall(operator[f"ops.verify_{c}"]))] == [], lang
