"""The categories a failure can fall in: their ids, labels and colours, and which ones the run decides.

Most categories are chosen by the rules of `categories.toml`. Two are not: **harness** (gauge or its
runner broke: the scenario never ran or never reported, so the run says nothing about upstream)
and **unattributed** (a new failure while every built component is unchanged since the scenario
last passed: no upstream change to blame). The run decides those from facts the rules never see;
a rule may not name them, and a rules file that does not declare them still gets them, so a
team's own file keeps working (issue 18 parts 1 and 2).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.model import HARNESS, UNATTRIBUTED

DecidedBy = Literal["rules", "run"]
ID_PATTERN: Final = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
COLOR_PATTERN: Final = re.compile(r"^#[0-9a-fA-F]{6}$")
_KEYS: Final = frozenset({"id", "label", "color", "decided_by", "comment"})


@dataclass(frozen=True, slots=True, kw_only=True)
class CategorySpec:
    """One `[[category]]`: what the dashboard, the summary and JUnit call it and paint it."""

    id: str
    label: str
    color: str = ""
    """`#rrggbb`; empty: the dashboard picks a muted hue."""
    decided_by: DecidedBy = "rules"


RUN_DECIDED: Final = (
    CategorySpec(id=HARNESS, label="Harness Failure", color="#6b7280", decided_by="run"),
    CategorySpec(id=UNATTRIBUTED, label="Unattributed", color="#9ca3af", decided_by="run"),
)
"""The run's own verdicts, added when a rules file does not declare them."""


def load_categories(raw: Any, *, source: Path) -> tuple[CategorySpec, ...]:
    """The `[[category]]` tables, checked, with the run-decided ones completed."""
    if not isinstance(raw, list):
        raise ConfigError("'category' must be an array of tables ([[category]])", path=source)
    specs = [_spec(entry, source=source) for entry in raw]
    declared = {spec.id for spec in specs}
    duplicated = sorted({spec.id for spec in specs if [s.id for s in specs].count(spec.id) > 1})
    if duplicated:
        raise ConfigError(f"category {duplicated[0]!r} is declared twice", path=source)
    return (*specs, *(spec for spec in RUN_DECIDED if spec.id not in declared))


def _spec(entry: Any, *, source: Path) -> CategorySpec:
    cid = entry.get("id") if isinstance(entry, dict) else None
    if not isinstance(cid, str) or not ID_PATTERN.match(cid):
        raise ConfigError(
            f"category {cid!r}: id must be kebab-case, e.g. 'upstream-regression'",
            path=source,
            hint="each [[category]] needs id = '...' and label = '...'",
        )
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise ConfigError(
            f"category {cid!r}: unknown key(s) {', '.join(unknown)}",
            path=source,
            hint="a [[category]] takes id, label, color, decided_by and comment",
        )
    color = str(entry.get("color", ""))
    if color and not COLOR_PATTERN.match(color):
        raise ConfigError(f"category {cid!r}: color {color!r} is not #rrggbb", path=source)
    decided_by = entry.get("decided_by", "run" if cid in _run_ids() else "rules")
    if decided_by not in ("rules", "run") or (decided_by == "run") != (cid in _run_ids()):
        raise ConfigError(
            f"category {cid!r}: decided_by = {decided_by!r} is not possible",
            path=source,
            hint=f"only {', '.join(_run_ids())} are decided by the run; every other category by rules",
        )
    return CategorySpec(id=cid, label=str(entry.get("label", cid)), color=color, decided_by=decided_by)


def _run_ids() -> tuple[str, ...]:
    return tuple(spec.id for spec in RUN_DECIDED)


def rule_categories(specs: Sequence[CategorySpec]) -> tuple[str, ...]:
    """The ids a rule may file a failure under, in file order."""
    return tuple(spec.id for spec in specs if spec.decided_by == "rules")
