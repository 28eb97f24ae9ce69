"""The index's test x run outcome matrix, its incremental changes, and a run's row in it (`record_of`).

Pure: values in, values out. `directory.py` reads and writes the index; nothing here touches a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from pytest_streamstress.history.store.results import ComponentResult, RunResults, ScenarioResult
from pytest_streamstress.history.store.summaries import (
    ABSENT_CODE,
    FLAKY_CODE,
    INDEX_FORMAT,
    NO_CATEGORY,
    STATUS_CODES,
    SUMMARY_VERSION,
    CaseOutcome,
    CategoryLabel,
    ComponentCommit,
    HistoryError,
    RunRecord,
    RunSummary,
    SkippedFile,
    TestCase,
    Trim,
    summary_from_json,
    summary_to_json,
)
from pytest_streamstress.model import Status

_CATEGORY_ALPHABET: Final = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def category_code(position: int) -> str:
    """The letter of the `position`-th category of `HistoryIndex.categories` in the `cats` rows."""
    return _CATEGORY_ALPHABET[position]


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryIndex:
    """Every run's summary (oldest first) and the test x run outcome matrix.

    `cells[t][r]` is the outcome code of test `t` in run `r`; `cats[t][r]` the index of its category
    in `categories` (one character of `_CATEGORY_ALPHABET`, `.` for none).
    """

    runs: tuple[RunSummary, ...] = ()
    tests: tuple[TestCase, ...] = ()
    cells: tuple[str, ...] = ()
    cats: tuple[str, ...] = ()
    categories: tuple[CategoryLabel, ...] = ()
    """Every category seen, in order of first appearance (its letter in `cats`). The label is the
    first run's; the colour the newest run's that gives one, so a palette change shows on the next run."""
    skipped: tuple[SkippedFile, ...] = field(default=())
    summary_version: int = SUMMARY_VERSION

    def run_ids(self) -> tuple[str, ...]:
        return tuple(run.run_id for run in self.runs)

    # ---------------------------------------------------------------- incremental changes

    def with_run(self, record: RunRecord) -> HistoryIndex:
        """A new index with `record` inserted in time order (normally appended)."""
        if record.summary.run_id in self.run_ids():
            return self
        position = self._position_for(record.summary.started_at)
        categories = self._categories_with(record, newest=position == len(self.runs))
        category_code = {c.category: _CATEGORY_ALPHABET[i] for i, c in enumerate(categories)}
        tests, cells, cats = self._rows_with_column(record, position, category_code)
        runs = (*self.runs[:position], record.summary, *self.runs[position:])
        return replace(
            self,
            runs=runs,
            tests=tuple(tests),
            cells=tuple(cells),
            cats=tuple(cats),
            categories=tuple(categories),
        )

    def _position_for(self, started_at: str) -> int:
        """Where a run that started at `started_at` goes: after every run that started before it."""
        position = len(self.runs)
        while position > 0 and self.runs[position - 1].started_at > started_at:
            position -= 1
        return position

    def _categories_with(self, record: RunRecord, *, newest: bool) -> list[CategoryLabel]:
        """The known categories plus the run's new ones (its labels first, then bare ids), in order.

        A colour the run gives replaces the known one when the run is the newest, or fills a gap.
        """
        categories = list(self.categories)
        known = {c.category: i for i, c in enumerate(categories)}
        for label in record.category_labels:
            at = known.get(label.category)
            if at is None:
                known[label.category] = len(categories)
                categories.append(label)
            elif label.color and (newest or not categories[at].color):
                categories[at] = replace(categories[at], color=label.color)
        for outcome in record.outcomes:
            if outcome.category is not None and outcome.category not in known:
                known[outcome.category] = len(categories)
                categories.append(CategoryLabel(category=outcome.category, label=outcome.category))
        if len(categories) > len(_CATEGORY_ALPHABET):
            raise HistoryError(
                f"more than {len(_CATEGORY_ALPHABET)} failure categories in the history",
                hint="merge categories in categories.toml",
            )
        return categories

    def _rows_with_column(
        self, record: RunRecord, position: int, category_code: Mapping[str, str]
    ) -> tuple[list[TestCase], list[str], list[str]]:
        """Every row with the run's cell inserted at `position`, then a row per test new to the history."""
        by_key = {outcome.case.key: outcome for outcome in record.outcomes}
        tests = list(self.tests)
        cells = list(self.cells)
        cats = list(self.cats)
        for row, case in enumerate(tests):
            found = by_key.pop(case.key) if case.key in by_key else None
            code = found.code if found else ABSENT_CODE
            cat = category_code[found.category] if found and found.category else NO_CATEGORY
            cells[row] = cells[row][:position] + code + cells[row][position:]
            cats[row] = cats[row][:position] + cat + cats[row][position:]
            if found is not None and found.case.tags != case.tags:
                tests[row] = found.case
        width = len(self.runs)
        for outcome in record.outcomes:
            if outcome.case.key not in by_key:
                continue
            tests.append(outcome.case)
            cat = category_code[outcome.category] if outcome.category else NO_CATEGORY
            cells.append(ABSENT_CODE * position + outcome.code + ABSENT_CODE * (width - position))
            cats.append(NO_CATEGORY * position + cat + NO_CATEGORY * (width - position))
        return tests, cells, cats

    def without_runs(self, run_ids: Iterable[str]) -> HistoryIndex:
        """A new index without these runs; tests left with no outcome at all disappear."""
        drop = set(run_ids)
        keep = [i for i, run in enumerate(self.runs) if run.run_id not in drop]
        tests: list[TestCase] = []
        cells: list[str] = []
        cats: list[str] = []
        for case, row, cat_row in zip(self.tests, self.cells, self.cats, strict=True):
            new_row = "".join(row[i] for i in keep)
            if new_row.strip(ABSENT_CODE):
                tests.append(case)
                cells.append(new_row)
                cats.append("".join(cat_row[i] for i in keep))
        return replace(
            self,
            runs=tuple(self.runs[i] for i in keep),
            tests=tuple(tests),
            cells=tuple(cells),
            cats=tuple(cats),
        )

    def with_trimmed(self, run_id: str, trimmed: Trim) -> HistoryIndex:
        runs = tuple(replace(run, trimmed=trimmed) if run.run_id == run_id else run for run in self.runs)
        return replace(self, runs=runs)

    # ---------------------------------------------------------------- JSON (the one boundary, R11)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": INDEX_FORMAT,
            "summary_version": self.summary_version,
            "runs": [summary_to_json(run) for run in self.runs],
            "tests": [{"k": t.key, "s": t.spec, "n": t.scenario, "t": list(t.tags)} for t in self.tests],
            "cells": list(self.cells),
            "cats": list(self.cats),
            "categories": [{"id": c.category, "label": c.label, "color": c.color} for c in self.categories],
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
        }

    @classmethod
    def from_json(cls, data: Any) -> HistoryIndex:
        """Raises ValueError/KeyError/TypeError on a shape we did not write; the caller rebuilds."""
        if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
            raise ValueError(f"not an index of format {INDEX_FORMAT}")
        runs = tuple(summary_from_json(run) for run in data["runs"])
        tests = tuple(
            TestCase(
                key=str(t["k"]),
                spec=str(t["s"]),
                scenario=str(t["n"]),
                tags=tuple(str(tag) for tag in t["t"]),
            )
            for t in data["tests"]
        )
        cells = tuple(str(row) for row in data["cells"])
        cats = tuple(str(row) for row in data["cats"])
        if len(cells) != len(tests) or len(cats) != len(tests):
            raise ValueError("matrix rows do not match the tests")
        if any(len(row) != len(runs) for row in (*cells, *cats)):
            raise ValueError("matrix columns do not match the runs")
        categories = tuple(
            CategoryLabel(category=str(c["id"]), label=str(c["label"]), color=str(c.get("color", "")))
            for c in data["categories"]
        )
        skipped = tuple(
            SkippedFile(path=str(s["path"]), reason=str(s["reason"])) for s in data.get("skipped", ())
        )
        return cls(
            runs=runs,
            tests=tests,
            cells=cells,
            cats=cats,
            categories=categories,
            skipped=skipped,
            summary_version=int(data.get("summary_version", 1)),
        )


def record_of(run: RunResults) -> RunRecord:
    """The index's view of a run: its summary and one outcome per test."""
    outcomes: list[CaseOutcome] = []
    seen: set[str] = set()
    for scenario in run.scenarios:
        if scenario.key in seen:
            continue  # a retried scenario listed twice: the first entry is the final outcome
        seen.add(scenario.key)
        outcomes.append(_case_outcome(scenario))
    summary = RunSummary(
        run_id=run.run_id,
        label=run.label,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_s=run.duration_s,
        status=run.status or "",
        emulated=run.emulated,
        counts=run.counts,
        categories=tuple((c.category, c.count) for c in run.categories),
        components=tuple(_component_commit(c) for c in run.components),
        errors=len(run.errors),
        trimmed=run.trimmed,
        profile=run.profile,
        verdict=run.verdict,
        confirmations=_confirmation_counts(run),
        cluster=run.cluster,
        selection=run.selection,
        restore=run.restore,
    )
    return RunRecord(summary=summary, outcomes=tuple(outcomes), category_labels=_labels_of(run))


def _labels_of(run: RunResults) -> tuple[CategoryLabel, ...]:
    """The run's categories with failures first (its `categories[]`), then the rest it declares."""
    labels = [CategoryLabel(category=c.category, label=c.label, color=c.color) for c in run.categories]
    seen = {label.category: i for i, label in enumerate(labels)}
    for declared in run.category_labels:
        at = seen.get(declared.category)
        if at is None:
            seen[declared.category] = len(labels)
            labels.append(declared)
        elif declared.color and not labels[at].color:
            labels[at] = declared
    return tuple(labels)


def _confirmation_counts(run: RunResults) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for scenario in run.scenarios:
        if scenario.confirmation is not None:
            counts[scenario.confirmation] = counts.get(scenario.confirmation, 0) + 1
    return tuple(sorted(counts.items()))


def _case_outcome(scenario: ScenarioResult) -> CaseOutcome:
    case = TestCase(key=scenario.key, spec=scenario.spec, scenario=scenario.scenario, tags=scenario.tags)
    passed_on_retry = scenario.status is Status.PASSED and scenario.flaky
    code = FLAKY_CODE if passed_on_retry else STATUS_CODES[scenario.status.value]
    return CaseOutcome(case=case, code=code, category=scenario.category if scenario.is_failing else None)


def _component_commit(component: ComponentResult) -> ComponentCommit:
    return ComponentCommit(
        name=component.name,
        repo=component.repo,
        ref=component.ref,
        sha=component.sha,
        subject=component.commit.subject if component.commit is not None else "",
        status=component.status or "",
    )
