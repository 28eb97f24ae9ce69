"""The house rules that import-linter and ruff cannot state (issue 17; docs/architecture.md).

import-linter holds the arrows between rooms and the absence of cycles (pyproject.toml), ruff the
complexity gates; these tests hold the sizes: no module over 500 lines, at most 8 modules loose at
the package's top, and every room a package with a docstring that says what it owns.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

PACKAGE: Final = Path(__file__).resolve().parents[2] / "pytest_streamstress"
MAX_MODULE_LINES: Final = 500
MAX_LOOSE_MODULES: Final = 8
ROOMS: Final = (
    "run",
    "build",
    "cluster",
    "gauge",
    "triage",
    "history",
    "profile",
    "report",
    "cli",
    "_infra",
    "testing",
)


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_module_is_over_500_lines() -> None:
    too_long = {}
    for path in _modules():
        rel = path.relative_to(PACKAGE).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_long[rel] = lines
    assert too_long == {}, f"split these modules below {MAX_MODULE_LINES} lines: {too_long}"


def test_at_most_eight_modules_sit_loose_at_the_top() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(loose) <= MAX_LOOSE_MODULES, f"move some into a room: {loose}"


def test_every_room_is_a_package_that_says_what_it_owns() -> None:
    undocumented = []
    for room in ROOMS:
        init = PACKAGE / room / "__init__.py"
        assert init.is_file(), f"{room}/ is not a package"
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        if len(docstring.split()) < 12:
            undocumented.append(room)
    assert undocumented == [], f"say in __init__.py what these rooms own and must not do: {undocumented}"
