"""The morning page's view model: what upstream broke last night, and whether it is real (issue 20).

Pure (R13): the history index, the newest run's failure details and the palette in, a typed
`MorningView` out; the jinja2 template renders it into the page itself, so the answer is on screen
before any script runs. The order is the order the question is asked in: the last run's verdict in
one line; the new upstream regressions (what --confirm proved, the failing step, gauge's message,
the rule, the culprit range, the first failing run); other new failures by category; what got
fixed; what is still failing and since when. A single run, or a run that is not scored (it did not
happen as asked), lists its failures by category instead.

"New" is decided in report/changes.py, by the rule the grid's `chg` filter applies too
(dashboard/static/core.js), so every number here links to a view that lists the same tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal
from urllib.parse import urlencode

from pytest_streamstress.history.store import (
    CulpritDetail,
    FailureDetail,
    HistoryIndex,
    RunDetails,
    RunSummary,
)
from pytest_streamstress.model import AFTER_FAILED_INSTALL
from pytest_streamstress.report.changes import (
    FAILING_CODES,
    PASSING_CODES,
    changes,
    is_scored,
    previous_scored,
)
from pytest_streamstress.report.palette import Palette
from pytest_streamstress.report.verdict import CLUSTER_LOST, IMAGES_MOVED

UPSTREAM: Final = "upstream-regression"
RESTORE_FAILED: Final = frozenset({"failed", "cut-off"})
"""`deploy.restore.state`s that raise a run's exit code (report/verdict.after_restore)."""
MESSAGE_LINES: Final = 4
MESSAGE_CHARS: Final = 400
CARDS: Final = 10
"""New upstream regressions shown in full; the rest are one click away (the count's link)."""
GROUP_ITEMS: Final = 8
"""Failures shown per category group."""
COMPACT_ITEMS: Final = 40
"""Lines of the compact fixed and still-failing lists."""

Tone = Literal["ok", "warn", "bad", "broken"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Gate:
    """A run's verdict as a badge that says what it means: "4 failures, none gate the job"."""

    status: str
    text: str
    tone: Tone


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Count:
    label: str
    value: int
    link: str
    color: str = ""
    text_color: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MorningView:
    has_runs: bool
    run_id: str = ""
    run_name: str = ""
    run_link: str = ""
    emulated: bool = False
    gate: Gate | None = None
    sentence: str = ""
    counts: tuple[Count, ...] = ()
    compared_with: str = ""
    """The previous scored run's name; "" when there is none (a first run) or this run is not scored."""
    scored: bool = True
    regressions: tuple[Item, ...] = ()
    """The first CARDS new upstream regressions; `regression_count` says how many there are."""
    regression_count: int = 0
    regressions_link: str = ""
    new_groups: tuple[Group, ...] = ()
    new_link: str = ""
    new_count: int = 0
    fixed: tuple[Item, ...] = ()
    fixed_count: int = 0
    fixed_link: str = ""
    still_failing: tuple[Item, ...] = ()
    """Longest streak first, the first COMPACT_ITEMS; `still_count` says how many there are."""
    still_count: int = 0
    still_link: str = ""
    failures_by_category: tuple[Group, ...] = ()
    """A single or unscored run: its failures by category (the lists above stay empty)."""
    details_note: str = ""
    """Why messages and steps are missing, when they are."""
    cluster_left: str = ""
    """How the run left the operator when it did not put it back: whoever uses the cluster next must know."""
    cluster_left_warns: bool = False
    """True when `--restore` was asked for and did not finish (not a nightly's choice to stay patched)."""
    after_failed_install: str = ""
    """How many failures followed a failed install scenario with no evidence of their own (rule
    `after-failed-install`): the install is the one to fix first."""
    selection: str = ""
    """How the run chose its scenarios ("-k TC02"): a morning reader must know a rerun of one
    scenario from the nightly. "" for the whole suite."""


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


def gate_of(run: RunSummary) -> Gate:
    """The badge of a run: its verdict and what the failures mean for the job.

    A passed run whose `--restore` failed or was cut off exited 1 (report/verdict.after_restore):
    the badge says so in red, so a page that reads "no failures" never hides a red job."""
    gate = _gate(run)
    if gate.status == "passed" and run.restore is not None and run.restore[0] in RESTORE_FAILED:
        return replace(gate, text=f"{gate.text}; --restore {run.restore[0]}: the job failed", tone="bad")
    return gate


def _gate(run: RunSummary) -> Gate:
    counts = dict(run.counts)
    failures = counts.get("failed", 0) + counts.get("error", 0)
    status = run.verdict.status if run.verdict is not None else run.status or "unknown"
    gating = run.verdict.gating if run.verdict is not None else None
    if status == "passed":
        if not failures:
            return Gate(status=status, text="no failures", tone="ok")
        if failures == 1:
            return Gate(status=status, text="1 failure, it does not gate the job", tone="warn")
        return Gate(status=status, text=f"{failures} failures, none gate the job", tone="warn")
    if status == "failed":
        if gating:
            verb = "gates" if gating == 1 else "gate"
            return Gate(
                status=status, text=f"{gating} of {_n(failures, 'failure')} {verb} the job", tone="bad"
            )
        return Gate(status=status, text=f"{_n(failures, 'failure')}, the job failed", tone="bad")
    harness = run.verdict.harness if run.verdict is not None else 1
    sentence = run.verdict.sentence if run.verdict is not None else ""
    # harness 0: the cluster's API was lost, the images moved, or Sippy's 75 % guard or pytest's -x
    # stopped it; gauge did not break
    incomplete = (
        "the harness broke: not scored"
        if harness
        else "the cluster's API stopped answering: not scored"
        if CLUSTER_LOST in sentence
        else "the operator's images changed during the run: not scored"
        if IMAGES_MOVED in sentence
        else "not every scenario ran: not scored"
    )
    reasons = {
        "incomplete": incomplete,
        "error": "the scenarios could not run as asked",
        "interrupted": "stopped before the end",
    }
    return Gate(status=status, text=reasons.get(status, status), tone="broken")


def build_morning(
    index: HistoryIndex, details: RunDetails | None, palette: Palette, *, cluster: str = ""
) -> MorningView:
    """The morning page of `index`'s newest run (pure).

    `cluster`: the index holds that cluster's runs only (report/fleet.py); its grid links then filter
    on it, so each number leads to the tests of that cluster's own comparison.
    """
    if not index.runs:
        return MorningView(has_runs=False)
    latest = len(index.runs) - 1
    run = index.runs[latest]
    counts = dict(run.counts)
    view = MorningView(
        has_runs=True,
        run_id=run.run_id,
        run_name=run_name(run),
        run_link=hash_link(view="run", run=run.run_id),
        emulated=run.emulated,
        gate=gate_of(run),
        sentence=_sentence(run),
        counts=_counts(run, counts, palette),
        scored=is_scored(run),
        details_note=_details_note(run, details),
        after_failed_install=_after_failed_install(details),
        cluster_left=_cluster_left(run),
        cluster_left_warns=run.restore is not None and run.restore[0] not in {"restored", "not-asked"},
        selection=run.selection,
    )
    builder = _Builder(index, details, palette, cluster=cluster)
    previous = previous_scored(index, latest) if view.scored else -1
    if previous < 0:
        failing = [t for t, row in enumerate(index.cells) if row[latest] in FAILING_CODES]
        groups = builder.groups([builder.item(t, latest) for t in failing], run=run.run_id)
        return replace(view, failures_by_category=groups)
    moved = changes(index, latest, previous)
    new = [builder.item(c.test, c.since, c.runs) for c in moved if c.kind == "new"]
    regressions = [item for item in new if item.category == UPSTREAM]
    others = [item for item in new if item.category != UPSTREAM]
    fixed = [builder.item(c.test, c.since) for c in moved if c.kind == "fixed"]
    still = sorted(
        (builder.item(c.test, c.since, c.runs) for c in moved if c.kind == "still"),
        key=lambda item: (-item.runs, item.spec, item.scenario),
    )
    return replace(
        view,
        compared_with=run_name(index.runs[previous]),
        regressions=tuple(regressions[:CARDS]),
        regression_count=len(regressions),
        regressions_link=hash_link(view="grid", chg="new", cat=UPSTREAM, cluster=cluster),
        new_groups=builder.groups(others, change="new"),
        new_link=hash_link(view="grid", chg="new", cat=f"!{UPSTREAM}", cluster=cluster),
        new_count=len(others),
        fixed=tuple(fixed[:COMPACT_ITEMS]),
        fixed_count=len(fixed),
        fixed_link=hash_link(view="grid", chg="fixed", cluster=cluster),
        still_failing=tuple(still[:COMPACT_ITEMS]),
        still_count=len(still),
        still_link=hash_link(view="grid", chg="still", cluster=cluster),
    )


class _Builder:
    """Items and groups for one page: looks tests up in the index, evidence in the run's details."""

    def __init__(
        self, index: HistoryIndex, details: RunDetails | None, palette: Palette, *, cluster: str = ""
    ) -> None:
        self.index = index
        self.cluster = cluster
        self.details = details
        self.palette = palette
        self.latest = len(index.runs) - 1
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
                link = hash_link(view="grid", chg=change, cat=category, cluster=self.cluster)
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


def _counts(run: RunSummary, counts: Mapping[str, int], palette: Palette) -> tuple[Count, ...]:
    out = [Count(label="scenarios", value=counts.get("total", 0), link=hash_link(view="run", run=run.run_id))]
    for status in ("passed", "failed", "error", "skipped"):
        if counts.get(status):
            out.append(
                Count(
                    label=status,
                    value=counts[status],
                    link=hash_link(view="run", run=run.run_id, status=status),
                )
            )
    for category, count in run.categories:
        painted = palette.of(category)
        out.append(
            Count(
                label=painted.label if painted else category,
                value=count,
                link=hash_link(view="run", run=run.run_id, cat=category),
                color=painted.color if painted else "",
                text_color=painted.text if painted else "",
            )
        )
    return tuple(out)


def _sentence(run: RunSummary) -> str:
    """The verdict's sentence without its status word (the badge says it)."""
    if run.verdict is not None and run.verdict.sentence:
        head, colon, rest = run.verdict.sentence.partition(": ")
        return rest if colon and head.isupper() else run.verdict.sentence
    counts = dict(run.counts)
    failures = counts.get("failed", 0) + counts.get("error", 0)
    return f"{failures} of {_n(counts.get('total', 0), 'scenario')} failed or errored"


def _cluster_left(run: RunSummary) -> str:
    if run.restore is None:
        return ""
    state, message = run.restore
    if state == "restored":
        return ""
    if state == "not-asked":
        return "The cluster still runs this run's images: it ran without --restore."
    return f"The cluster may still run this run's images. {message}"


def _after_failed_install(details: RunDetails | None) -> str:
    after = [f for f in details.failures if f.rule == AFTER_FAILED_INSTALL] if details is not None else []
    if not after:
        return ""
    which = "1 failure" if len(after) == 1 else f"{len(after)} failures"
    return (
        f"The install scenario failed, and {which} after it had no evidence of"
        f" {'its' if len(after) == 1 else 'their'} own: filed Unattributed (rule {AFTER_FAILED_INSTALL})."
        " Fix the install first."
    )


def _details_note(run: RunSummary, details: RunDetails | None) -> str:
    if details is None:
        return f"The run's details ({run.file}) could not be read: steps and messages are missing."
    if run.trimmed:
        return "The history's byte budget trimmed this run: messages are missing."
    return ""


def _short(message: str) -> str:
    lines = message.strip().splitlines()[:MESSAGE_LINES]
    text = "\n".join(lines)
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
