"""Scoring categorization rules against labelled corpora of real failures (issues 12 and 18).

Owns the corpus format (`[[case]]` tables), the pure scoring (`evaluate`) and the plain-text
report. It must not print or exit: the `streamstress triage-eval` command and the ratchet test
call it and decide what to do with the figures.

Two corpora (issue 18 part 4): the training file, which rules are written from, and the held-back
file, labelled before anyone read it for rules, whose figures are the headline. The held-back part
is only ever handled as `Figures`: counts that name and quote no case. `score_blind` loads it with
error messages that name no case, and `format_report` takes it as Figures only, so no miss list,
case id or message of the held-back part can reach a terminal, a log or a failing test's output.

Figures: accuracy overall and on plain and hard cases (`hard = true` marks cases whose message
alone misleads), precision and recall per category and the confusion table (true category by row,
predicted by column); for the training part also every miss with the rule that fired and the text
it matched.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_streamstress import model
from pytest_streamstress._infra.toml import load_toml
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.triage import categorize
from pytest_streamstress.triage.facts import COMPONENTS, ClusterFacts

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
        "step",
        "spec",
        "scenario",
        "tags",
        "served_apis",
        "installed",
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
    step: str = ""
    """The failing Gauge step's text, where the source shows it."""
    spec: str = ""
    scenario: str = ""
    tags: tuple[str, ...] = ()
    source: str = ""
    url: str = ""
    reason: str = ""
    served_apis: frozenset[str] | None = None
    """The API group/versions the source shows the cluster serving (for the groups the message
    names); None when the source does not say. Rules with `api_version` read it."""
    installed: tuple[str, ...] = ()
    """Components the source shows installed, "!"-prefixed when it shows them absent
    (facts.COMPONENTS ids). Rules with `component` read it."""

    @property
    def facts(self) -> ClusterFacts:
        return ClusterFacts.from_installed(self.installed, served_apis=self.served_apis)


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
class Figures:
    """The aggregate figures of one scoring: counts only, nothing that names or quotes a case.

    This is all that is ever shown of the held-back part.
    """

    categories: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]
    """confusion[i][j]: cases of categories[i] predicted as categories[j]."""
    plain: tuple[int, int]
    """(correct, total) over plain cases."""
    hard: tuple[int, int]
    """(correct, total) over hard cases."""

    @property
    def total(self) -> int:
        return self.plain[1] + self.hard[1]

    def accuracy(self, *, hard: bool | None = None) -> float | None:
        """Share of correct outcomes; hard=True/False restricts to hard/plain cases."""
        chosen = [self.plain, self.hard] if hard is None else [self.hard if hard else self.plain]
        total = sum(count for _, count in chosen)
        return sum(correct for correct, _ in chosen) / total if total else None

    @property
    def scores(self) -> tuple[CategoryScore, ...]:
        return tuple(
            CategoryScore(
                category=name,
                support=sum(self.confusion[i]),
                predicted=sum(row[i] for row in self.confusion),
                correct=self.confusion[i][i],
            )
            for i, name in enumerate(self.categories)
        )

    def score(self, category: str) -> CategoryScore:
        for item in self.scores:
            if item.category == category:
                return item
        raise KeyError(category)


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """A scoring with its outcomes: for the training part, whose misses are listed."""

    outcomes: tuple[Outcome, ...]
    figures: Figures

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def categories(self) -> tuple[str, ...]:
        return self.figures.categories

    @property
    def confusion(self) -> tuple[tuple[int, ...], ...]:
        return self.figures.confusion

    @property
    def scores(self) -> tuple[CategoryScore, ...]:
        return self.figures.scores

    def accuracy(self, *, hard: bool | None = None) -> float | None:
        return self.figures.accuracy(hard=hard)

    def score(self, category: str) -> CategoryScore:
        return self.figures.score(category)

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
                step=case.step,
                spec=case.spec,
                scenario=case.scenario,
                tags=case.tags,
                facts=case.facts,
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

    def tally(hard: bool) -> tuple[int, int]:
        chosen = [o for o in outcomes if o.case.hard is hard]
        return (sum(o.is_correct for o in chosen), len(chosen))

    figures = Figures(
        categories=categories,
        confusion=tuple(tuple(row) for row in matrix),
        plain=tally(False),
        hard=tally(True),
    )
    return Report(outcomes=outcomes, figures=figures)


def score_blind(rules: categorize.Rules, path: Path) -> Figures:
    """Score the held-back file and return its figures only; its cases never leave this function."""
    return evaluate(rules, load_corpus(path, categories=rules.categories, blind=True)).figures


# --- corpus -----------------------------------------------------------------------------------


def load_corpus(path: Path, *, categories: Sequence[str] = (), blind: bool = False) -> tuple[Case, ...]:
    """Read a corpus file; a case with an unknown category (when `categories` is given) is an error.

    `blind` (the held-back file): error messages say what is wrong but name no case and quote no
    value, so that loading it never shows its content.
    """
    data = load_toml(path)
    raw_cases = data.get("case")
    if not isinstance(raw_cases, list) or not raw_cases:
        raise ConfigError("no [[case]] tables found", path=path, hint="see tests/data/triage/corpus.toml")
    cases: list[Case] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_cases):
        case = _case(raw, index=index, path=path, blind=blind)
        where = _where(case.id, index, blind=blind)
        if case.id in seen:
            raise ConfigError(f"{where}: duplicate id", path=path, hint="give every case its own id")
        if categories and case.category not in categories:
            value = "" if blind else f" {case.category!r}"
            raise ConfigError(
                f"{where}: unknown category{value}",
                path=path,
                hint=f"categories of the rules file: {', '.join(categories)}",
            )
        seen.add(case.id)
        cases.append(case)
    return tuple(cases)


def _where(name: str, index: int, *, blind: bool) -> str:
    return f"case #{index + 1} (held-back, not shown)" if blind else f"case {name!r}"


def _case(raw: Any, *, index: int, path: Path, blind: bool) -> Case:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"case #{index + 1} is not a table", path=path)
    where = _where(str(raw.get("id", f"#{index + 1}")), index, blind=blind)
    unknown = sorted(set(raw) - _CASE_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(unknown)}",
            path=path,
            hint=f"fields: {', '.join(sorted(_CASE_KEYS))}",
        )
    for required in ("id", "category", "message"):
        if not isinstance(raw.get(required), str):
            raise ConfigError(f"{where}: {required} must be a string", path=path)
    tags = raw.get("tags", [])
    return Case(
        id=raw["id"],
        category=raw["category"],
        message=raw["message"],
        hard=bool(raw.get("hard", False)),
        trace=str(raw.get("trace", "")),
        step=str(raw.get("step", "")),
        spec=str(raw.get("spec", "")),
        scenario=str(raw.get("scenario", "")),
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (str(tags),),
        source=str(raw.get("source", "")),
        url=str(raw.get("url", "")),
        reason=str(raw.get("reason", "")),
        served_apis=_served(raw.get("served_apis"), where=where, path=path),
        installed=_installed(raw.get("installed", []), where=where, path=path),
    )


def _served(value: Any, *, where: str, path: Path) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"{where}: served_apis must be a list of group/versions",
            path=path,
            hint='e.g. served_apis = ["serving.knative.dev/v1"]; [] means the source shows none served',
        )
    return frozenset(value)


def _installed(value: Any, *, where: str, path: Path) -> tuple[str, ...]:
    names = value if isinstance(value, list) else [value]
    unknown = [
        name for name in names if not isinstance(name, str) or name.removeprefix("!") not in COMPONENTS
    ]
    if unknown:
        raise ConfigError(
            f"{where}: installed must list component ids, '!'-prefixed when absent",
            path=path,
            hint=f'components: {", ".join(COMPONENTS)}; e.g. installed = ["!knative-eventing"]',
        )
    return tuple(names)


# --- text report ------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _counts(figures: Figures) -> str:
    return f"{figures.total} cases ({figures.plain[1]} plain, {figures.hard[1]} hard)"


def format_report(
    training: Report,
    *,
    heldout: Figures | None = None,
    default_category: str = "upstream-regression",
    rules_source: str = "",
    training_source: str = "",
    heldout_source: str = "",
) -> str:
    """The plain-text report of `streamstress triage-eval`: held-back headline, training beside it.

    The held-back part arrives as Figures only: its misses cannot be listed, by construction.
    """
    parts = [heldout, training.figures] if heldout is not None else [training.figures]
    names = ["held-back", "training"] if heldout is not None else ["training"]
    lines = [f"rules: {rules_source}"] if rules_source else []
    if heldout is not None:
        lines.append(f"held-back: {heldout_source or '-'}: {_counts(heldout)} (the headline figures)")
    else:
        lines.append("held-back: none (the training figures below overstate how well the rules generalize)")
    lines += [f"training:  {training_source or '-'}: {_counts(training.figures)}", ""]
    lines += _summary(parts, names, default_category)
    lines += ["", *_category_table(parts, names)]
    for figures, name in zip(parts, names, strict=True):
        lines += [
            "",
            f"confusion, {name} (true category by row, predicted by column)",
            _confusion_table(figures),
        ]
    misses = training.misses
    lines += ["", f"training misses: {len(misses)}"]
    for outcome in misses:
        got = outcome.got
        hard = " (hard)" if outcome.case.hard else ""
        evidence = f" matched {got.evidence!r} in {got.field}" if got.evidence else ""
        lines.append(
            f"  {outcome.case.id}{hard}: expected {outcome.case.category}, got {got.category}"
            f" by rule {got.rule!r}{evidence} [{outcome.case.source}]"
        )
    if heldout is not None:
        wrong = heldout.total - sum(score.correct for score in heldout.scores)
        lines.append(f"held-back misses: {wrong} (never listed: the held-back part is only shown as figures)")
    return "\n".join(lines) + "\n"


def _summary(parts: Sequence[Figures], names: Sequence[str], default_category: str) -> list[str]:
    header = f"{'':<30}" + "".join(f"{name:>14}" for name in names)
    rows = [header]
    for label, hard in (("accuracy overall", None), ("accuracy plain", False), ("accuracy hard", True)):
        rows.append(f"{label:<30}" + "".join(f"{_pct(f.accuracy(hard=hard)):>14}" for f in parts))
    for measure in ("precision", "recall"):
        label = f"{default_category} {measure}"
        values = [
            _ratio(getattr(f.score(default_category), measure)) if default_category in f.categories else "n/a"
            for f in parts
        ]
        rows.append(f"{label:<30}" + "".join(f"{value:>14}" for value in values))
    return rows


def _category_table(parts: Sequence[Figures], names: Sequence[str]) -> list[str]:
    columns = f"{'support':>8}{'predicted':>10}{'precision':>10}{'recall':>8}"
    header = f"{'category':<22}" + "".join(f"  | {name:<34}" for name in names)
    rows = [header, f"{'':<22}" + f"  | {columns}" * len(parts)]
    for category in parts[0].categories:
        cells = []
        for figures in parts:
            if category not in figures.categories:
                cells.append(f"  | {'':>36}")
                continue
            item = figures.score(category)
            precision, recall = _ratio(item.precision), _ratio(item.recall)
            cells.append(f"  | {item.support:>8}{item.predicted:>10}{precision:>10}{recall:>8}")
        rows.append(f"{category:<22}" + "".join(cells))
    return rows


def _confusion_table(figures: Figures) -> str:
    short = [name[:10] for name in figures.categories]
    width = max(10, *(len(name) for name in short)) + 1
    header = "true \\ predicted".ljust(22) + "".join(name.rjust(width) for name in short)
    rows = [header]
    for name, row in zip(figures.categories, figures.confusion, strict=True):
        rows.append(name.ljust(22) + "".join(str(count).rjust(width) for count in row))
    return "\n".join(rows)
