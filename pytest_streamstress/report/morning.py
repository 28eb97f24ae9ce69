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

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from pytest_streamstress.history.store import HistoryIndex, RunDetails, RunSummary
from pytest_streamstress.model import AFTER_FAILED_INSTALL
from pytest_streamstress.report.changes import (
    FAILING_CODES,
    changes,
    is_scored,
    previous_scored,
    subject_of,
)
from pytest_streamstress.report.morning_items import (
    UPSTREAM,
    Group,
    Item,
    ItemBuilder,
    Tone,
    hash_link,
    run_name,
)
from pytest_streamstress.report.palette import Palette
from pytest_streamstress.report.verdict import CLUSTER_LOST, IMAGES_MOVED

RESTORE_FAILED: Final = frozenset({"failed", "cut-off"})
"""`deploy.restore.state`s that raise a run's exit code (report/verdict.after_restore)."""
CARDS: Final = 10
"""New upstream regressions shown in full; the rest are one click away (the count's link)."""
COMPACT_ITEMS: Final = 40
"""Lines of the compact fixed and still-failing lists."""
ABSENT: Final = "-"
OUTCOME_WORDS: Final = {"P": "passed", "K": "flaky", "F": "failed", "E": "error", "S": "skipped"}
"""The index's outcome codes as the grid names them (dashboard/static/core.js STATUS_OF)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Gate:
    """A run's verdict as a badge that says what it means: "4 failures, none gate the job"."""

    status: str
    text: str
    tone: Tone


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
    reruns: tuple[Rerun, ...] = ()
    """The reruns after this run (a few scenarios, narrowed by -k, -m, node ids...: report/changes.py),
    newest first: the page stays on this run and says what each rerun found."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RerunResult:
    """A scenario a rerun ran, against how it ended in the run the page is about."""

    scenario: str
    spec: str
    outcome: str
    """passed, flaky, failed, error or skipped (the grid's words)."""
    before: str
    """Its outcome in the page's run; "not run" when it was not in it."""
    link: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Rerun:
    run_name: str
    link: str
    selection: str
    gate: Gate
    results: tuple[RerunResult, ...]
    """The page's failures first (passed now, or failed again), then the rest; at most COMPACT_ITEMS."""
    count: int


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
    """The morning page of `index`'s newest run that is not a rerun (pure; report/changes.subject_of).

    `cluster`: the index holds that cluster's runs only (report/fleet.py); its grid links then filter
    on it, so each number leads to the tests of that cluster's own comparison.
    """
    if not index.runs:
        return MorningView(has_runs=False)
    latest = subject_of(index.runs)
    run = index.runs[latest]
    upto = run.run_id if latest < len(index.runs) - 1 else ""
    left = next((r for r in reversed(index.runs[latest:]) if r.restore is not None), run)  # the cluster now
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
        cluster_left=_cluster_left(left),
        cluster_left_warns=left.restore is not None and left.restore[0] not in {"restored", "not-asked"},
        selection=run.selection,
        reruns=_reruns(index, latest),
    )
    builder = ItemBuilder(index, details, palette, cluster=cluster, latest=latest)
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
        regressions_link=hash_link(view="grid", chg="new", cat=UPSTREAM, cluster=cluster, upto=upto),
        new_groups=builder.groups(others, change="new"),
        new_link=hash_link(view="grid", chg="new", cat=f"!{UPSTREAM}", cluster=cluster, upto=upto),
        new_count=len(others),
        fixed=tuple(fixed[:COMPACT_ITEMS]),
        fixed_count=len(fixed),
        fixed_link=hash_link(view="grid", chg="fixed", cluster=cluster, upto=upto),
        still_failing=tuple(still[:COMPACT_ITEMS]),
        still_count=len(still),
        still_link=hash_link(view="grid", chg="still", cluster=cluster, upto=upto),
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


def _reruns(index: HistoryIndex, subject: int) -> tuple[Rerun, ...]:
    """The reruns after the page's run, newest first, each with what it found."""
    out = []
    for r in range(len(index.runs) - 1, subject, -1):
        rerun = index.runs[r]
        ran = [t for t, row in enumerate(index.cells) if row[r] != ABSENT]
        # The page's failures first: whether they passed now is the rerun's news.
        ran.sort(key=lambda t: (index.cells[t][subject] not in FAILING_CODES, t))
        results = tuple(
            RerunResult(
                scenario=index.tests[t].scenario,
                spec=index.tests[t].spec,
                outcome=OUTCOME_WORDS.get(index.cells[t][r], index.cells[t][r]),
                before=OUTCOME_WORDS.get(index.cells[t][subject], "not run"),
                link=hash_link(view="run", run=rerun.run_id, open=index.tests[t].key),
            )
            for t in ran[:COMPACT_ITEMS]
        )
        out.append(
            Rerun(
                run_name=run_name(rerun),
                link=hash_link(view="run", run=rerun.run_id),
                selection=rerun.selection,
                gate=gate_of(rerun),
                results=results,
                count=len(ran),
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


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
