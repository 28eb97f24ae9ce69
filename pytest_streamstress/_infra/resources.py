"""Where the shipped files live: `config/` and `dashboard/` from a checkout or from the wheel.

In a checkout (and an editable install) they sit beside the package; a wheel carries them inside
the package under `_shipped/` (pyproject's force-include), so both layouts work without copying.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

_PACKAGE: Final = Path(__file__).resolve().parents[1]


def shipped_dir(name: str) -> Path:
    """`config` or `dashboard`: the wheel's copy if present, else the checkout's."""
    inside = _PACKAGE / "_shipped" / name
    if inside.is_dir():
        return inside
    beside = _PACKAGE.parent / name
    if beside.is_dir():
        return beside
    raise FileNotFoundError(
        f"shipped directory {name!r} not found in {inside} or {beside}; reinstall the package"
    )


def shipped_config(filename: str) -> Path:
    """A file of the shipped `config/`, e.g. `components.toml`."""
    return shipped_dir("config") / filename
