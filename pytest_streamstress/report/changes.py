"""How each test moved since the previous scored run: new failure, still failing, fixed (pure).

The morning page's lists and counts (report/morning.py) come from here, and the grid's "since the
previous run" filter (dashboard/static/core.js `changeOf`) applies the same rule, so a number on the
morning page opens a view listing exactly its tests. Each test is compared with the last scored run
*it ran in*, as the history analysis does (history/classify.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from pytest_streamstress.history.selection import is_rerun
from pytest_streamstress.history.store import HistoryIndex, RunSummary

FAILING_CODES: Final = frozenset("FE")
PASSING_CODES: Final = frozenset("PK")
UNSCORED_STATUSES: Final = frozenset({"incomplete", "interrupted", "error"})
USUAL_WINDOW: Final = 7
"""The newest runs whose largest sets the scale a rerun is small against (a week of nightlies)."""
RERUN_SHARE: Final = 0.5

ChangeKind = Literal["new", "still", "fixed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """How one test moved between the previous scored run and the newest one."""

    test: int
    kind: ChangeKind
    since: int
    """The run (index) its failing streak started in; for `fixed`, the run it was fixed in."""
    runs: int
    """How many runs (that ran it and were scored) the streak has lasted, this one included."""


def is_scored(run: RunSummary) -> bool:
    """Whether new failures may be read from a run: the verdict says so, else its status (R13)."""
    if run.verdict is not None:
        return run.verdict.scored
    return run.status not in UNSCORED_STATUSES


def subject_of(runs: Sequence[RunSummary]) -> int:
    """The run the morning page is about: the newest one that is not a rerun; -1 for no runs.

    A morning `-k TC02` rerun that lands in the history must not take the page from the nightly: the
    nightly's new regressions would vanish behind "1 fixed". A rerun is narrowed by pytest
    (history/selection.is_rerun) *and* ran under RERUN_SHARE of the scenarios of the largest of the
    newest USUAL_WINDOW runs: a nightly that itself passes `-m 'not flaky'` runs nearly the whole suite
    and is not taken for a rerun of itself. The reruns after the subject are listed under it instead;
    when every run is one, the page is about the newest."""
    flags = rerun_flags(runs)
    return next((r for r in range(len(runs) - 1, -1, -1) if not flags[r]), len(runs) - 1)


def rerun_flags(runs: Sequence[RunSummary]) -> list[bool]:
    """Which runs are reruns, in the sense of `subject_of` (the trends leave them out too)."""
    largest = max((_total(run) for run in runs[-USUAL_WINDOW:]), default=0)
    return [is_rerun(run.selection) and _total(run) < RERUN_SHARE * largest for run in runs]


def _total(run: RunSummary) -> int:
    return dict(run.counts).get("total", 0)


def previous_scored(index: HistoryIndex, before: int) -> int:
    """The newest scored run older than run `before`; -1 when there is none."""
    for r in range(before - 1, -1, -1):
        if is_scored(index.runs[r]):
            return r
    return -1


def changes(index: HistoryIndex, latest: int, previous: int) -> list[Change]:
    """New failures, still failing and fixed tests since the previous scored run, in index order (pure).

    Each test is compared with the last scored run *it ran in*, at or before `previous`, as the
    history analysis does (history/classify.py): after a `-k` rerun of one scenario, the nightly's
    other failures are not "new" for having been left out of it."""
    out = []
    scored = [is_scored(run) for run in index.runs]
    for t, row in enumerate(index.cells):
        now, before = row[latest], last_ran(row, previous, scored)
        if now in FAILING_CODES and before in FAILING_CODES:
            since, runs = _streak(row, latest, scored)
            out.append(Change(test=t, kind="still", since=since, runs=runs))
        elif now in FAILING_CODES:
            out.append(Change(test=t, kind="new", since=latest, runs=1))
        elif now in PASSING_CODES and before in FAILING_CODES:
            out.append(Change(test=t, kind="fixed", since=latest, runs=1))
    return out


def last_ran(row: str, upto: int, scored: Sequence[bool]) -> str:
    """The test's code in the newest scored run at or before `upto` that ran it; "-" for none."""
    for r in range(upto, -1, -1):
        if scored[r] and (row[r] in FAILING_CODES or row[r] in PASSING_CODES):
            return row[r]
    return "-"


def _streak(row: str, latest: int, scored: Sequence[bool]) -> tuple[int, int]:
    since, runs = latest, 1
    for r in range(latest - 1, -1, -1):
        if row[r] == "-" or not scored[r]:
            continue
        if row[r] not in FAILING_CODES:
            break
        since, runs = r, runs + 1
    return since, runs
