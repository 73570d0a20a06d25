"""Every ``# type: ignore`` in messenger/, gui/, build/ and launcher.py names its error code and says why (mypy runs in CI)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<code>\[[a-z0-9_,\- ]+\])?(?P<after>.*)$")


def test_every_type_ignore_has_a_code_and_a_reason() -> None:
    bare = []
    for folder in ("messenger", "gui", "build", "launcher.py"):
        for path in sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).is_dir() else [ROOT / folder]:
            if path.is_relative_to(ROOT / "build" / "work"):  # build.py's venv and PyInstaller's files (git-ignored)
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, 1):
                match = IGNORE.search(line)
                if not match:
                    continue
                reason_after = match["after"].strip().lstrip("#").strip()
                reason_above = number > 1 and lines[number - 2].strip().startswith("#")
                if not match["code"] or not (reason_after or reason_above):
                    bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not bare, "a # type: ignore needs [code] and a reason (same line or the comment above):\n" + "\n".join(bare)
