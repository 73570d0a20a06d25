"""The tray and the command line word everything from one set of JSON catalogs (messenger/i18n/catalogs),
in one language at a time."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from messenger.i18n import CATALOG_DIR, Texts, catalog
from messenger.lan.trust import install_ca

ROOT = Path(__file__).resolve().parents[2]
HANGUL = re.compile("[\uac00-\ud7a3]")
HOLES = re.compile(r"\{(\w+)")


def test_both_operator_catalogs_have_the_same_keys_and_placeholders() -> None:
    ko = json.loads((CATALOG_DIR / "ko.json").read_text(encoding="utf-8"))
    en = json.loads((CATALOG_DIR / "en.json").read_text(encoding="utf-8"))
    assert sorted(set(ko) ^ set(en)) == []
    for key in ko:
        assert set(HOLES.findall(ko[key])) == set(HOLES.findall(en[key])), key
        assert key.split(".")[0] in ("tray", "cli", "ops", "startup"), key
    assert [k for k, v in en.items() if HANGUL.search(v)] == []
    assert [k for k, v in ko.items() if not HANGUL.search(v)] == []  # a Korean tray says everything in Korean


def _used_keys() -> set[str]:
    """Literal keys passed to ``t(...)``/``app.t(...)``/``self.t(...)``/``Texts()(...)`` in gui/ (tray
    keys without a dot get the ``tray.`` prefix), the ``ops.*`` keys operations return and the ``cli.*``/``startup.*`` keys (an f-string prefix such as ``startup.fail_`` is not a key)."""
    keys: set[str] = set()
    for path in [*(ROOT / "gui").rglob("*.py"), *(ROOT / "messenger").rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_gui = path.is_relative_to(ROOT / "gui")
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    re.fullmatch(r"(ops|cli|startup)\.[a-z_]*[a-z]", node.value) and node.value != "ops.json":  # a file name
                keys.add(node.value)
            if in_gui and isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name == "t" and isinstance(node.args[0].value, str):
                    key = node.args[0].value
                    keys.add(key if "." in key else "tray." + key)
    return keys


def test_every_key_the_tray_and_cli_use_is_in_both_catalogs() -> None:
    used = _used_keys()
    assert {"tray.running", "tray.failed", "ops.ca_trusted", "cli.running"} <= used  # the scan finds them
    for lang in ("ko", "en"):
        assert sorted(used - set(catalog(lang))) == [], lang


def test_an_operation_result_is_worded_in_the_trays_language(tmp_path: Path) -> None:
    """Installing the certificate before HTTPS is on: the result is a key, so a Korean tray says it in
    Korean and an English one in English (it used to be an English sentence in a Korean menu)."""
    ok, key, params = install_ca(tmp_path / "missing-ca.crt")
    assert (ok, key, params) == (False, "ops.ca_not_enabled", {})
    from gui.i18n import Texts as TrayTexts

    ko, en = TrayTexts("ko"), TrayTexts("en")
    assert ko("failed", reason=ko(key, **params)) == "실패: HTTPS가 아직 켜져 있지 않아 설치할 인증서가 없습니다."
    assert en("failed", reason=en(key, **params)) == \
        "Failed: HTTPS is not enabled yet: there is no certificate to install."
    assert Texts("en", prefix="tray.")("running") == "Running"


def test_the_command_line_speaks_the_system_language() -> None:
    def help_text(lang: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
        env["LANG"] = lang
        out = subprocess.run([sys.executable, "launcher.py", "--help"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    korean, english = help_text("ko_KR.UTF-8"), help_text("en_US.UTF-8")
    for key in ("cli.description", "cli.help_headless", "cli.help_backup", "cli.help_https"):
        assert catalog("ko")[key] in " ".join(korean.split()), key  # argparse wraps long help lines
        assert catalog("en")[key] in " ".join(english.split()), key


def test_a_failed_backup_is_worded_by_the_catalog_in_the_tray_and_the_cli(tmp_path: Path) -> None:
    """No database yet: the OpsError carries a key, so the Korean tray and a Korean terminal say it in
    Korean, an English one in English; the exception's own text stays English for the log."""
    import secrets

    from gui.i18n import Texts as TrayTexts
    from messenger.ops.backup import create_backup
    from messenger.ops.common import OpsError
    from messenger.settings import load_settings

    data = tmp_path / "data"
    settings = load_settings(data, env={}, overrides={"SECRET_KEY": secrets.token_urlsafe(32)})
    try:
        create_backup(settings, audit=False)
    except OpsError as exc:
        err = exc
    else:
        raise AssertionError("a backup without a database must fail")
    assert err.key == "ops.no_database" and str(err).startswith("There is no database to back up yet")
    assert TrayTexts("ko")(err.key, **err.params) == f"{data}에 아직 백업할 데이터베이스가 없습니다."
    assert TrayTexts("en")(err.key, **err.params) == f"There is no database to back up yet in {data}."

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "MESSENGER_"))}
    env["LANG"] = "ko_KR.UTF-8"
    out = subprocess.run([sys.executable, "launcher.py", "backup", "--data-dir", str(data)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and f"오류: {data}에 아직 백업할 데이터베이스가 없습니다." in out.stderr, out.stderr
