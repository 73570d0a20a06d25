"""The settings table: every setting declared once, and everything derived from that declaration."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from messenger.settings import (
    SPECS,
    Settings,
    SettingsError,
    Text,
    check_changes,
    describe_settings,
    load_settings,
    restart_needed,
    spec_of,
    write_settings_file,
)

ROOT = Path(__file__).resolve().parent.parent
BAD = {"int": "many", "float": "soon", "bool": "maybe", "string": "x"}


def _table_script() -> Any:
    spec = importlib.util.spec_from_file_location("settings_table", ROOT / "build" / "settings_table.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_tables_match_the_declaration() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _table_script().updated(readme) == readme, "run: python build/settings_table.py"
    for spec in SPECS:
        assert readme.count(f"| `{spec.name}` |") == 2  # the Korean and the English table


def test_every_setting_has_help_in_both_catalogs() -> None:
    for lang in ("ko", "en"):
        catalog = json.loads((ROOT / "messenger/web/static/i18n" / f"{lang}.json").read_text(encoding="utf-8"))
        declared = {spec.help_key for spec in SPECS}
        in_catalog = {key for key in catalog if key.startswith("settingHelp.")}
        assert declared == in_catalog, lang
        assert all(catalog[key].strip() for key in declared)


def test_every_default_is_a_value_the_setting_accepts() -> None:
    for spec in SPECS:
        parsed = spec.parse(spec.default)
        if isinstance(parsed, tuple):
            assert sorted(parsed) == sorted(spec.default), spec.name
        else:
            assert parsed == spec.default, spec.name
    assert {spec.name for spec in SPECS} == {f for f in Settings.__dataclass_fields__ if f != "data_dir"}


@pytest.mark.parametrize("spec", [s for s in SPECS if not isinstance(s.kind, Text) and s.kind.type_name != "list"],
                         ids=lambda s: s.name)
def test_a_bad_value_gives_one_line_with_key_and_allowed_values(tmp_path: Path, spec: Any) -> None:
    raw = BAD[spec.kind.type_name]
    with pytest.raises(SettingsError) as info:
        load_settings(tmp_path, env={spec.name: raw})
    message = str(info.value)
    assert "\n" not in message and message.startswith(spec.name + ": expected ")
    assert spec.kind.allowed() in message and info.value.key == spec.name


def test_out_of_range_names_the_range(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^DEFAULT_PORT: expected an integer from 1 to 65535, got 70000$"):
        load_settings(tmp_path, env={"DEFAULT_PORT": "70000"})
    with pytest.raises(SettingsError, match=r"LOG_LEVEL: expected one of debug, info, warning, error"):
        load_settings(tmp_path, env={"LOG_LEVEL": "loud"})


def test_console_describes_validates_and_writes(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    described = {item["name"]: item for item in describe_settings(settings)}
    assert described["DEFAULT_PORT"] | {"min": 1, "max": 65535, "value": 5000, "type": "int"} == described["DEFAULT_PORT"]
    assert described["HTTPS_MODE"]["choices"] == ["off", "local-ca"]
    assert described["RETENTION_DAYS"]["help"] == "settingHelp.RETENTION_DAYS"
    assert "SECRET_KEY" not in described and "OIDC_CLIENT_SECRET" not in described
    assert not described["DEFAULT_PORT"]["in_file"]

    with pytest.raises(SettingsError) as info:
        check_changes({"DEFAULT_PORT": "70000"})
    assert info.value.key == "DEFAULT_PORT" and info.value.allowed == "an integer from 1 to 65535"
    for key in ("SECRET_KEY", "OIDC_CLIENT_SECRET", "DATABASE_URL", "NOPE"):
        with pytest.raises(SettingsError):
            check_changes({key: "x"})
    changes = check_changes({"DEFAULT_PORT": "6000", "RETENTION_DAYS": 30, "HTTPS_MODE": None})
    assert changes == {"DEFAULT_PORT": 6000, "RETENTION_DAYS": 30, "HTTPS_MODE": None}
    assert restart_needed(changes) == ["DEFAULT_PORT", "HTTPS_MODE"]

    write_settings_file(tmp_path, {"DEFAULT_PORT": 6000, "RETENTION_DAYS": 30})
    reloaded = load_settings(tmp_path, env={})
    assert (reloaded.DEFAULT_PORT, reloaded.RETENTION_DAYS) == (6000, 30)
    assert {i["name"]: i["in_file"] for i in describe_settings(reloaded)}["DEFAULT_PORT"] is True
    assert settings.with_changes({"RETENTION_DAYS": "7"}).RETENTION_DAYS == 7
    write_settings_file(tmp_path, {"DEFAULT_PORT": None})
    assert load_settings(tmp_path, env={}).DEFAULT_PORT == 5000
    with pytest.raises(SettingsError, match="DEFAULT_PORT"):
        write_settings_file(tmp_path, {"DEFAULT_PORT": 0})
    with pytest.raises(SettingsError):
        write_settings_file(tmp_path, {"SECRET_KEY": "k"})
    assert load_settings(tmp_path, env={}).RETENTION_DAYS == 30  # a refused write changed nothing


def test_secret_key_never_comes_from_the_environment(tmp_path: Path) -> None:
    assert load_settings(tmp_path, env={"SECRET_KEY": "from-env"}).SECRET_KEY == ""
    assert spec_of("SECRET_KEY").secret and "SECRET_KEY" not in repr(load_settings(tmp_path, env={}))
