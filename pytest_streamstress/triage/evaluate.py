"""Scoring categorization rules against a labelled corpus of real failures (issue 12).

Owns the corpus format (`corpus.toml`: `[[case]]` tables), the pure scoring (`evaluate`) and the
plain-text report. It must not print or exit: the `streamstress triage-eval` command and the
ratchet test call it and decide what to do with the figures.

Figures: accuracy overall and on plain and hard cases (`hard = true` marks cases whose message
alone misleads), precision and recall per category, the confusion table (true category by row,
predicted by column) and every miss with the rule that fired and the text it matched.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pytest_streamstress import model
from pytest_streamstress._infra.toml import load_toml
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.triage import categorize

log = logging.getLogger(__name__)

_CASE_KEYS: Final = frozenset(
    {
        "id",
        "category",
        "hard",
        "source",
        "url",
        "reason",
        "message",
        "trace",
        "spec",
        "scenario",
        "tags",
        "served_apis",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One labelled failure, quoted from a public source."""

    id: str
    category: str
    message: str
    hard: bool = False
    trace: str = ""
    spec: str = ""
    scenario: str = ""
    tags: tuple[str, ...] = ()
    source: str = ""
    url: str = ""
    reason: str = ""
    served_apis: frozenset[str] | None = None
    """The API group/versions the source shows the cluster serving (for the groups the message
    names); None when the source does not say. Rules with `api_version` read it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """How the rules categorized one case."""

    case: Case
    got: model.Categorization

    @property
    def is_correct(self) -> bool:
        return self.got.category == self.case.category


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryScore:
    category: str
    support: int
    """Cases whose true category is this one."""
    predicted: int
    """Cases the rules put into this category."""
    correct: int

    @property
    def precision(self) -> float | None:
        """None when the rules never predicted this category (undefined, not zero)."""
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.support if self.support else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    outcomes: tuple[Outcome, ...]
    categories: tuple[str, ...]
    scores: tuple[CategoryScore, ...] = field(default=())
    confusion: tuple[tuple[int, ...], ...] = field(default=())
    """confusion[i][j]: cases of categories[i] predicted as categories[j]."""

    @property
    def total(self) -> int:
        return len(self.outcomes)

    def accuracy(self, *, hard: bool | None = None) -> float | None:
        """Share of correct outcomes; hard=True/False restricts to hard/plain cases."""
        chosen = [o for o in self.outcomes if hard is None or o.case.hard is hard]
        if not chosen:
            return None
        return sum(o.is_correct for o in chosen) / len(chosen)

    def score(self, category: str) -> CategoryScore:
        for item in self.scores:
            if item.category == category:
                return item
        raise KeyError(category)

    @property
    def misses(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.is_correct)


def evaluate(rules: categorize.Rules, cases: Sequence[Case]) -> Report:
    """Categorize every case with `rules` and compute the figures (pure)."""
    outcomes = tuple(
        Outcome(
            case=case,
            got=categorize.categorize(
                rules,
                message=case.message,
                trace=case.trace,
                spec=case.spec,
                scenario=case.scenario,
                tags=case.tags,
                served_apis=case.served_apis,
            ),
        )
        for case in cases
    )
    seen = list(rules.categories)
    for outcome in outcomes:
        for name in (outcome.case.category, outcome.got.category):
            if name not in seen:
                seen.append(name)
    categories = tuple(seen)
    index = {name: i for i, name in enumerate(categories)}
    matrix = [[0] * len(categories) for _ in categories]
    for outcome in outcomes:
        matrix[index[outcome.case.category]][index[outcome.got.category]] += 1
    scores = tuple(
        CategoryScore(
            category=name,
            support=sum(matrix[i]),
            predicted=sum(row[i] for row in matrix),
            correct=matrix[i][i],
        )
        for i, name in enumerate(categories)
    )
    return Report(
        outcomes=outcomes,
        categories=categories,
        scores=scores,
        confusion=tuple(tuple(row) for row in matrix),
    )


# --- corpus -----------------------------------------------------------------------------------


def load_corpus(path: Path, *, categories: Sequence[str] = ()) -> tuple[Case, ...]:
    """Read `corpus.toml`; a case with an unknown category (when `categories` is given) is an error."""
    data = load_toml(path)
    raw_cases = data.get("case")
    if not isinstance(raw_cases, list) or not raw_cases:
        raise ConfigError("no [[case]] tables found", path=path, hint="see tests/data/triage/corpus.toml")
    cases: list[Case] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_cases):
        case = _case(raw, index=index, path=path)
        if case.id in seen:
            raise ConfigError(f"case {case.id!r}: duplicate id", path=path, hint="give every case its own id")
        if categories and case.category not in categories:
            raise ConfigError(
                f"case {case.id!r}: unknown category {case.category!r}",
                path=path,
                hint=f"categories of the rules file: {', '.join(categories)}",
            )
        seen.add(case.id)
        cases.append(case)
    return tuple(cases)


def _case(raw: Any, *, index: int, path: Path) -> Case:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"case #{index + 1} is not a table", path=path)
    name = str(raw.get("id", f"#{index + 1}"))
    unknown = sorted(set(raw) - _CASE_KEYS)
    if unknown:
        raise ConfigError(
            f"case {name!r}: unknown field(s) {', '.join(unknown)}",
            path=path,
            hint=f"fields: {', '.join(sorted(_CASE_KEYS))}",
        )
    for required in ("id", "category", "message"):
        if not isinstance(raw.get(required), str):
            raise ConfigError(f"case {name!r}: {required} must be a string", path=path)
    tags = raw.get("tags", [])
    served = raw.get("served_apis")
    if served is not None and (not isinstance(served, list) or not all(isinstance(v, str) for v in served)):
        raise ConfigError(
            f"case {name!r}: served_apis must be a list of group/versions",
            path=path,
            hint='e.g. served_apis = ["serving.knative.dev/v1"]; [] means the source shows none served',
        )
    return Case(
        id=raw["id"],
        category=raw["category"],
        message=raw["message"],
        hard=bool(raw.get("hard", False)),
        trace=str(raw.get("trace", "")),
        spec=str(raw.get("spec", "")),
        scenario=str(raw.get("scenario", "")),
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (str(tags),),
        source=str(raw.get("source", "")),
        url=str(raw.get("url", "")),
        reason=str(raw.get("reason", "")),
        served_apis=None if served is None else frozenset(served),
    )


# --- text report ------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def format_report(report: Report, *, rules_source: str = "", corpus_source: str = "") -> str:
    """The plain-text report printed by `streamstress triage-eval`."""
    plain = sum(not o.case.hard for o in report.outcomes)
    lines = []
    if rules_source or corpus_source:
        lines.append(f"rules: {rules_source}   corpus: {corpus_source}")
    lines += [
        f"cases: {report.total} ({plain} plain, {report.total - plain} hard)",
        f"accuracy: overall {_pct(report.accuracy())}   plain {_pct(report.accuracy(hard=False))}"
        f"   hard {_pct(report.accuracy(hard=True))}",
        "",
        f"{'category':<22}{'support':>8}{'predicted':>10}{'precision':>11}{'recall':>8}",
    ]
    for item in report.scores:
        lines.append(
            f"{item.category:<22}{item.support:>8}{item.predicted:>10}"
            f"{_ratio(item.precision):>11}{_ratio(item.recall):>8}"
        )
    lines += ["", _confusion_table(report), ""]
    misses = report.misses
    lines.append(f"misses: {len(misses)}")
    for outcome in misses:
        got = outcome.got
        hard = " (hard)" if outcome.case.hard else ""
        evidence = f" matched {got.evidence!r} in {got.field}" if got.evidence else ""
        lines.append(
            f"  {outcome.case.id}{hard}: expected {outcome.case.category}, got {got.category}"
            f" by rule {got.rule!r}{evidence} [{outcome.case.source}]"
        )
    return "\n".join(lines) + "\n"


def _confusion_table(report: Report) -> str:
    short = [name[:10] for name in report.categories]
    width = max(10, *(len(name) for name in short)) + 1
    header = "true \\ predicted".ljust(22) + "".join(name.rjust(width) for name in short)
    rows = [header]
    for name, row in zip(report.categories, report.confusion, strict=True):
        rows.append(name.ljust(22) + "".join(str(count).rjust(width) for count in row))
    return "\n".join(rows)
