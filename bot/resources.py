"""Where the knowledge pack and the templates are: inside the wheel, or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _resource(name: str) -> Path:
    installed = _PACKAGE / "_resources" / name  # laid there by the wheel build
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name  # a source checkout or an editable install


def knowledge_dir() -> Path:
    """The shipped knowledge pack (entries, vocabulary, out-of-scope subjects)."""
    return _resource("knowledge")


def templates_dir() -> Path:
    """The shipped reply templates, one folder per flavor."""
    return _resource("templates")
