"""The failing tests the morning page lists (report/morning.py): items with their evidence, and groups.

Pure (R13): looks each test up in the history index and its evidence (step, message, rule, --confirm's
proof, the culprit range) in the run's details. Split from morning.py, which decides what the page
says about the run; this module says what it says about each test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlencode

from pytest_streamstress.history.store import (
    CulpritDetail,
    FailureDetail,
    HistoryIndex,
    RunDetails,
    RunSummary,
)
from pytest_streamstress.report.changes import PASSING_CODES
from pytest_streamstress.report.palette import Palette

UPSTREAM: Final = "upstream-regression"
MESSAGE_LINES: Final = 4
MESSAGE_CHARS: Final = 400
GROUP_ITEMS: Final = 8
"""Failures shown per category group."""

Tone = Literal["ok", "warn", "bad", "broken"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Suspect:
    """A component that moved between the last good and the first bad run, as the page links it."""

    component: str
    range: str
    """`abc1234..def5678`"""
    link: str = ""
    """The compare URL (http(s) only; "" for a local repository)."""
    commits: int = 0
    note: str = ""


CONFIRMATION_TEXT: Final[Mapping[str, tuple[str, Tone]]] = {
    "confirmed": ("confirmed: fails on upstream, passes on the shipped images", "bad"),
    "passed-on-rerun": ("passed on rerun: probably flaky", "warn"),
    "fails-on-shipped": ("fails on the shipped images too: not upstream", "broken"),
    "not-checked": ("not checked by --confirm", "broken"),
    "": ("not confirmed (run with --confirm)", "broken"),
}
"""What each `--confirm` state means for the question "is it real?"."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """One failing test on the morning page."""

    key: str
    scenario: str
    spec: str
    line: int = 0
    category: str = ""
    category_label: str = ""
    color: str = ""
    text_color: str = ""
    step: str = ""
    step_line: int | None = None
    message: str = ""
    rule: str = ""
    known_issue: str = ""
    confirmation: str = ""
    """`confirmed`, `passed-on-rerun`, `fails-on-shipped`, `not-checked`; "" when --confirm did not look."""
    confirmation_reason: str = ""
    confirmation_text: str = ""
    confirmation_tone: Tone = "broken"
    suspects: tuple[Suspect, ...] = ()
    ruled_out: tuple[str, ...] = ()
    last_passed: str = ""
    """The good run of the culprit range; "" without one."""
    has_culprit: bool = False
    passed_before: bool = True
    """It passed in an earlier run of this history: without a culprit range, the run had no --history."""
    first_failing: str = ""
    """The name of the run its failing streak started in."""
    first_failing_link: str = ""
    runs: int = 1
    link: str = ""
    """The run view with this test expanded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """Failures of one category, with the link that lists exactly them."""

    category: str
    label: str
    color: str
    text_color: str
    link: str
    items: tuple[Item, ...]
    """The first GROUP_ITEMS of them; `count` says how many there are."""
    count: int = 0


def run_name(run: RunSummary) -> str:
    """`2026-12-06 06:38 · nightly · emulated`, as the page names a run everywhere."""
    text = f"{run.started_at[:10]} {run.started_at[11:16]}"
    if run.label:
        text += f" · {run.label}"
    if run.emulated:
        text += " · emulated"
    return text


def hash_link(**params: str) -> str:
    """A view of the page as a URL fragment (`#view=grid&cat=...`); empty values are left out."""
    return "#" + urlencode({key: value for key, value in params.items() if value})


class ItemBuilder:
    """Items and groups for one page: looks tests up in the index, evidence in the run's details."""

    def __init__(
        self,
        index: HistoryIndex,
        details: RunDetails | None,
        palette: Palette,
        *,
        cluster: str = "",
        latest: int | None = None,
    ) -> None:
        self.index = index
        self.cluster = cluster
        self.details = details
        self.palette = palette
        self.latest = len(index.runs) - 1 if latest is None else latest
        """The run the page is about (report/changes.subject_of): the newest unless reruns followed it."""
        self.upto = index.runs[self.latest].run_id if self.latest < len(index.runs) - 1 else ""
        """The grid's `upto` filter: its lists end at this run, as the page's do ("" for the newest)."""
        self.codes = {c.code: c for c in palette.categories if c.code}

    def category_at(self, t: int, r: int) -> str:
        found = self.codes.get(self.index.cats[t][r])
        return found.id if found is not None else ""

    def item(self, t: int, since: int, runs: int = 1) -> Item:
        case = self.index.tests[t]
        run = self.index.runs[self.latest]
        detail: FailureDetail | None = self.details.failure(case.key) if self.details else None
        category = self.category_at(t, self.latest) or (detail.category if detail and detail.category else "")
        painted = self.palette.of(category)
        first = self.index.runs[since]
        confirmation = detail.confirmation.verdict if detail and detail.confirmation else ""
        text, tone = CONFIRMATION_TEXT.get(confirmation, (confirmation, "broken"))
        culprit = self.details.culprit(case.key) if self.details else None
        return Item(
            key=case.key,
            scenario=case.scenario,
            spec=case.spec,
            line=detail.line if detail else 0,
            category=category,
            category_label=painted.label if painted else category,
            color=painted.color if painted else "",
            text_color=painted.text if painted else "",
            step=detail.step if detail else "",
            step_line=detail.step_line if detail else None,
            message=_short(detail.message) if detail else "",
            rule=detail.rule if detail else "",
            known_issue=safe_url(detail.known_issue) if detail else "",
            confirmation=confirmation,
            confirmation_reason=detail.confirmation.reason if detail and detail.confirmation else "",
            confirmation_text=text,
            confirmation_tone=tone,
            suspects=_suspects(culprit),
            ruled_out=culprit.ruled_out if culprit else (),
            last_passed=self.name_of(culprit.good_run) if culprit else "",
            has_culprit=culprit is not None,
            passed_before=any(code in PASSING_CODES for code in self.index.cells[t][: self.latest]),
            first_failing=run_name(first),
            first_failing_link=hash_link(view="run", run=first.run_id, open=case.key),
            runs=runs,
            link=hash_link(view="run", run=run.run_id, open=case.key),
        )

    def name_of(self, run_id: str) -> str:
        found = next((run for run in self.index.runs if run.run_id == run_id), None)
        return run_name(found) if found is not None else run_id

    def groups(self, items: Sequence[Item], *, change: str = "", run: str = "") -> tuple[Group, ...]:
        """Items by category, largest group first, Upstream Regression first on ties."""
        by_category: dict[str, list[Item]] = {}
        for item in items:
            by_category.setdefault(item.category, []).append(item)
        order = sorted(by_category, key=lambda cat: (-len(by_category[cat]), cat != UPSTREAM, cat))
        out = []
        for category in order:
            painted = self.palette.of(category)
            if run:
                link = hash_link(view="run", run=run, cat=category, status="" if category else "failed")
            else:
                link = hash_link(view="grid", chg=change, cat=category, cluster=self.cluster, upto=self.upto)
            out.append(
                Group(
                    category=category,
                    label=painted.label if painted else (category or "No category"),
                    color=painted.color if painted else self.palette.color(""),
                    text_color=painted.text if painted else "#ffffff",
                    link=link,
                    items=tuple(by_category[category][:GROUP_ITEMS]),
                    count=len(by_category[category]),
                )
            )
        return tuple(out)


def safe_url(url: str) -> str:
    """Only http(s) URLs from a results.json become links (no `javascript:`)."""
    return url if url.lower().startswith(("http://", "https://")) else ""


def _suspects(culprit: CulpritDetail | None) -> tuple[Suspect, ...]:
    if culprit is None:
        return ()
    return tuple(
        Suspect(
            component=s.component,
            range=f"{s.old[:7] or '?'}..{s.new[:7] or '?'}",
            link=safe_url(s.compare_url),
            commits=s.commits,
            note=s.note,
        )
        for s in culprit.suspects
    )


def _short(message: str) -> str:
    lines = message.strip().splitlines()[:MESSAGE_LINES]
    text = "\n".join(lines)
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"
