"""The core stays platform-neutral and does no work at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import bot

FORBIDDEN = ("slack_bolt", "slack_sdk", "discord", "adapters")
CORE = Path(bot.__file__).resolve().parent
ADAPTERS = CORE.parent / "adapters"

# Which rooms of the core each room may import, besides itself and the shared modules (the
# modules directly in bot/). The wiring (app.py, assistant.py) may import every room.
CAPABILITIES = ("bot.faq", "bot.contracts", "bot.inbox", "bot.storage")
MAY_IMPORT = {
    "bot.faq": set(),
    "bot.contracts": {"bot.faq"},
    "bot.inbox": {"bot.faq"},
    "bot.storage": {"bot.faq", "bot.contracts", "bot.inbox"},
    "shared": set(),
}
WIRING = {"bot.app", "bot.assistant"}
# The settings hold the answer policy's thresholds, which they read from the environment.
SHARED_EXCEPTIONS = {"bot.settings": {"bot.faq"}}


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


def _module(path: Path) -> str:
    return ".".join(path.relative_to(CORE.parent).with_suffix("").parts).removesuffix(".__init__")


def _room(module: str) -> str:
    if module in WIRING:
        return "wiring"
    return next((c for c in CAPABILITIES if module == c or module.startswith(c + ".")), "shared")


def test_each_room_of_the_core_imports_only_the_rooms_its_docstring_allows() -> None:
    offenders: dict[str, list[str]] = {}
    for path in CORE.rglob("*.py"):
        module, bad = _module(path), []
        room = _room(module)
        if room == "wiring" or "migrations" in path.parts:
            continue
        allowed = MAY_IMPORT[room] | SHARED_EXCEPTIONS.get(module, set())
        for name in _imports(path):
            if name.split(".")[0] != "bot" or name == "bot":
                continue
            target = _room(name)
            if target not in (room, "shared") and target not in allowed:
                bad.append(name)
        if bad:
            offenders[module] = sorted(bad)
    assert offenders == {}


def test_no_capability_or_shared_module_imports_the_wiring() -> None:
    users = {
        _module(path) for path in CORE.rglob("*.py")
        if _room(_module(path)) != "wiring" and _imports(path) & WIRING
    }
    assert users == set()


def test_each_adapter_package_leaves_the_other_platforms_alone() -> None:
    """The CLI starts every adapter; a platform's package never reaches into another's."""
    packages = {p.parent.name for p in ADAPTERS.glob("*/__init__.py")} - {"cli"}
    offenders = {
        str(path.relative_to(ADAPTERS.parent)): sorted(hits)
        for package in packages
        for path in (ADAPTERS / package).rglob("*.py")
        if (hits := {n for n in _imports(path)
                     if n.split(".")[:2][-1] in packages - {package} and n.startswith("adapters.")})
    }
    assert offenders == {}


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
