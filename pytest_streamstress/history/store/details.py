"""What the morning page reads of the newest run beyond the index: each failure's evidence.

The index keeps one character per test and run; the page's first view needs more of the newest
run only: the failing step, gauge's message, the rule that filed it, the known issue, what
`--confirm` proved, and the culprit range the analysis recorded (issue 20). This is that reading
of one results.json (R11: the dict stops here), lean on purpose: passing scenarios are not read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_streamstress.history.store.reader import case_key, load_document
from pytest_streamstress.history.store.summaries import HistoryError
from pytest_streamstress.model import Status

_FAILING: Final = frozenset({Status.FAILED.value, Status.ERROR.value})


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmationState:
    """`scenarios[].confirmation`: what --confirm proved about a failure filed as upstream."""

    verdict: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureDetail:
    """One failed or errored scenario of the run, with its evidence."""

    key: str
    scenario: str
    spec: str
    line: int
    status: str
    category: str | None = None
    rule: str = ""
    known_issue: str = ""
    step: str = ""
    step_line: int | None = None
    message: str = ""
    confirmation: ConfirmationState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SuspectRange:
    """A component that changed between the good and the bad run: `old..new`, how many commits."""

    component: str
    old: str
    new: str
    state: str
    compare_url: str = ""
    commits: int = 0
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CulpritDetail:
    """`analysis.culprits[]`: the runs that bracket a failure and the components that moved."""

    test: str
    good_run: str
    bad_run: str
    ruled_out: tuple[str, ...] = ()
    suspects: tuple[SuspectRange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RunDetails:
    run_id: str
    failures: tuple[FailureDetail, ...] = ()
    culprits: tuple[CulpritDetail, ...] = ()

    def failure(self, key: str) -> FailureDetail | None:
        return next((f for f in self.failures if f.key == key), None)

    def culprit(self, key: str) -> CulpritDetail | None:
        return next((c for c in self.culprits if c.test == key), None)


def details_from_json(data: Any, *, source: str) -> RunDetails:
    """The failures and culprit ranges of a results.json document; `HistoryError` names a bad field."""
    try:
        return _details(data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise HistoryError(f"cannot read the run's failures: {reason}", path=Path(source)) from exc


def read_details(path: Path) -> RunDetails:
    return details_from_json(load_document(path), source=str(path))


def _details(data: Any) -> RunDetails:
    if not isinstance(data, dict):
        raise ValueError("the top level is not a JSON object")
    failures = []
    seen: set[str] = set()
    for raw in data.get("scenarios") or ():
        if not isinstance(raw, dict) or raw.get("status") not in _FAILING:
            continue
        key = case_key(raw)
        if key not in seen:  # a retried scenario listed twice: the first entry is the final one
            seen.add(key)
            failures.append(_failure(raw, key))
    analysis = data.get("analysis")
    culprits = analysis.get("culprits") if isinstance(analysis, dict) else None
    return RunDetails(
        run_id=str(data.get("run_id") or ""),
        failures=tuple(failures),
        culprits=tuple(_culprit(raw) for raw in culprits or () if isinstance(raw, dict)),
    )


def _failure(raw: Mapping[str, Any], key: str) -> FailureDetail:
    step = raw.get("failing_step")
    confirmation = raw.get("confirmation")
    return FailureDetail(
        key=key,
        scenario=str(raw["scenario"]),
        spec=str(raw["spec"]),
        line=int(raw.get("line") or 0),
        status=str(raw["status"]),
        category=None if raw.get("category") is None else str(raw["category"]),
        rule=str(raw.get("category_rule") or ""),
        known_issue=str(raw.get("known_issue") or ""),
        step=str(step.get("text") or "") if isinstance(step, dict) else "",
        step_line=_line(step.get("line")) if isinstance(step, dict) else None,
        message=str(raw.get("message") or ""),
        confirmation=_confirmation(confirmation),
    )


def _confirmation(raw: Any) -> ConfirmationState | None:
    if not isinstance(raw, dict):
        return None
    return ConfirmationState(verdict=str(raw["verdict"]), reason=str(raw.get("reason") or ""))


def _line(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _culprit(raw: Mapping[str, Any]) -> CulpritDetail:
    return CulpritDetail(
        test=str(raw["test"]),
        good_run=str(raw.get("good_run") or ""),
        bad_run=str(raw.get("bad_run") or ""),
        ruled_out=tuple(str(name) for name in raw.get("ruled_out") or ()),
        suspects=tuple(
            SuspectRange(
                component=str(r["component"]),
                old=str(r.get("old") or ""),
                new=str(r.get("new") or ""),
                state=str(r.get("state") or ""),
                compare_url=str(r.get("compare_url") or ""),
                commits=len(r.get("commits") or ()),
                note=str(r.get("note") or ""),
            )
            for r in raw.get("components") or ()
            if isinstance(r, dict)
        ),
    )
