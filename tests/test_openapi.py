"""docs/openapi.yaml is generated from the routes and request models (build/openapi.py), never edited."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("openapi_script", ROOT / "build" / "openapi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_document_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8")
    assert _script().render() == committed, "docs/openapi.yaml is out of date: run python build/openapi.py"


def test_every_json_route_declares_its_request_model() -> None:
    """A route that reads a JSON body does so through @accepts(Model), so the document shows it."""
    import yaml

    document = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))
    bodies = {(path, method) for path, item in document["paths"].items() for method, op in item.items()
              if method != "parameters" and "requestBody" in op}
    assert ("/api/login", "post") in bodies and ("/api/rooms/{room_id}/messages", "post") in bodies
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "messenger").rglob("*.py"))
    assert "get_json(" not in sources and "request.json" not in sources
    assert len(re.findall(r"@accepts\((?!query=)", sources)) + sources.count("@form(") == len(bodies)
