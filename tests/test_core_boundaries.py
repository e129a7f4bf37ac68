"""The core stays platform-neutral and does no work at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import bot

FORBIDDEN = ("slack_bolt", "slack_sdk", "discord", "adapters")
CORE = Path(bot.__file__).resolve().parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_core_module_imports_a_platform_library_or_the_adapters() -> None:
    offenders = {
        str(path.relative_to(CORE.parent)): sorted(
            n for n in _imports(path) if n.split(".")[0] in FORBIDDEN
        )
        for path in CORE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_every_core_module_pulls_in_no_platform_library() -> None:
    modules = [
        ".".join(p.relative_to(CORE.parent).with_suffix("").parts)
        for p in CORE.rglob("*.py")
        if "migrations" not in p.parts
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_schema_revision_constant_is_alembics_newest_migration() -> None:
    from bot.storage.database import SCHEMA_REVISION, head_revision

    assert head_revision() == SCHEMA_REVISION
