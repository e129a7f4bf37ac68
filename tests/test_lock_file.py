"""The deployment lock file keeps up with pyproject.toml: every dependency pinned, with hashes,
at or above its floor."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)")


def _pins() -> dict[str, Version]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {canonicalize_name(m[1]): Version(m[2])
            for m in map(PIN.match, text.splitlines()) if m}


def test_every_dependency_is_pinned_with_hashes_at_or_above_its_floor() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins()
    for line in project["dependencies"]:
        wanted = Requirement(line)
        name = canonicalize_name(wanted.name)
        assert name in pins, f"{name} is not in requirements.lock: run the lock command (README)"
        assert wanted.specifier.contains(pins[name]), (name, str(pins[name]), str(wanted))
    lines = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    unhashed = [line for line, after in zip(lines, [*lines[1:], ""], strict=True)
                if PIN.match(line) and "--hash=sha256:" not in after]
    assert unhashed == []
