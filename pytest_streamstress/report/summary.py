"""The terminal summary of a run: pure text from records (STYLE R13, R23).

Owns what the end of a streamstress session prints: failures counted by category, the upstream
regressions first (with failing step and the evidence that put them there), the other failures
with their rule, flaky scenarios, how many failures `--fail-on` let through, and where
results.json is. It returns lines; the Recorder writes them through the terminal reporter, which
decides about colour and `-q`. It must not read pytest state or files.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pytest_streamstress.model import (
    AFTER_FAILED_INSTALL,
    HARNESS,
    LEFT_OUT,
    UNATTRIBUTED,
    Restore,
    Status,
)
from pytest_streamstress.report.failed_install import install_failures
from pytest_streamstress.report.results_json import (
    UPSTREAM_REGRESSION,
    ScenarioRecord,
    category_order,
    is_gating,
)

if TYPE_CHECKING:
    from pytest_streamstress.report.verdict import Verdict

log = logging.getLogger(__name__)

MESSAGE_CHARS: Final = 160
"""How much of a message line is shown when the terminal's width is not known."""
MESSAGE_LINES: Final = 3
"""Lines of a failure message shown under its scenario."""
ENTRY_INDENT: Final = "      "
NOT_RUN_LINES: Final = 6
"""Lines of a build/deploy/setup error shown once for all the scenarios it stopped."""


def message_lines(text: str, *, width: int = 0) -> list[str]:
    """The first `MESSAGE_LINES` telling lines of a failure message, each cut to fit the terminal.

    The first line alone often says nothing: release-tests' adaptor starts with `[assertion failed: `
    and puts the command and exit code below, its PipelineRun wait puts the failed task's log under
    `pipelinerun logs: ` (pkg/pipelines/pipelines.go), gotest.tools puts `expected … got …` on the next
    lines, and a Go panic names the signal on its second line. Blank lines and bare headers (a line
    ending in `:`, like `Stdout:` with nothing after it) are left out unless nothing else is left;
    tabs are expanded. `width` is the terminal's (0: `MESSAGE_CHARS`).
    """
    room = max(20, width - len(ENTRY_INDENT)) if width > 0 else MESSAGE_CHARS
    lines = [line.expandtabs(4).strip() for line in text.strip().splitlines() if line.strip()]
    telling = [line for line in lines if not line.endswith(":")] or lines
    return [line if len(line) <= room else line[: room - 1] + "…" for line in telling[:MESSAGE_LINES]]


def _where(record: ScenarioRecord) -> str:
    step = record.failing_step
    if step is None:
        return ""
    location = f"{record.spec}:{step.line}" if step.line is not None else f"{record.spec} (inside a concept)"
    return f"step '{step.text}' at {location}"


def _evidence(record: ScenarioRecord) -> str:
    cat = record.category
    if cat is None:
        return ""
    text = f"rule '{cat.rule}'"
    if cat.evidence:
        text += f" matched {cat.field or 'text'} '{cat.evidence}'"
    if cat.known_issue:
        text += f"; known issue {cat.known_issue}"
    return text


def summary_lines(
    records: Sequence[ScenarioRecord],
    *,
    labels: Mapping[str, str],
    fail_on: Sequence[str],
    results_path: Path | None,
    verbosity: int = 0,
    known: Collection[str] = (),
    verdict: Verdict | None = None,
    width: int = 0,
    restore: Restore | None = None,
) -> list[str]:
    """The summary; `verbosity < 0` (-q) keeps only the verdict, the counts and the results path.

    The verdict comes first: it is the same sentence results.json and the exit code carry. `width`
    is the terminal's: failure messages are cut to it (`message_lines`). `restore` adds how the
    operator was left when that was not as found (the restore's own lines scrolled by long before).
    """
    failed = [r for r in records if r.status in {Status.FAILED, Status.ERROR}]
    lines = [f"verdict: {verdict.sentence}"] if verdict is not None else []
    if restore is not None and restore.left_patched:
        lines.append(f"cluster: {restore.message}")
    lines += _after_install_lines(failed, labels)
    lines += _count_lines(records, failed, labels)
    if verbosity >= 0:
        regressions = [
            r for r in failed if r.category is not None and r.category.category == UPSTREAM_REGRESSION
        ]
        broken = [r for r in failed if r.category is not None and r.category.category == HARNESS]
        not_run = [r for r in failed if r.category is None and r.status is Status.ERROR]
        others = [r for r in failed if r not in regressions and r not in not_run and r not in broken]
        lines += _regression_lines(regressions, labels, width=width)
        lines += _not_run_lines(broken, title="never ran or never reported (Harness Failure)")
        lines += _not_run_lines(not_run)
        lines += _other_lines(others, labels, width=width)
        lines += _flaky_lines(records)
        lines += _left_out_lines(records)
    outside = [r for r in failed if not is_gating(r, fail_on, known)]
    if outside and verdict is None:
        lines.append("")
        lines.append(
            f"{len(outside)} failure{'s' if len(outside) != 1 else ''} outside --fail-on"
            f" {','.join(fail_on)}: they do not fail the session"
        )
    if results_path is not None and results_path.name != "results.json":
        lines.append(f"results: {results_path} (no scenario ran: the last run's results.json is kept)")
    elif results_path is not None:
        lines.append(f"results: {results_path}")
    return lines


def _after_install_lines(failed: Sequence[ScenarioRecord], labels: Mapping[str, str]) -> list[str]:
    """One line when failures were re-filed because the install scenario failed: fix that first."""
    after = [r for r in failed if r.category is not None and r.category.rule == AFTER_FAILED_INSTALL]
    install = next(iter(install_failures(failed)), None)
    if not after or install is None:
        return []
    step = f" at step '{install.failing_step.text}'" if install.failing_step is not None else ""
    category = labels.get(UNATTRIBUTED, UNATTRIBUTED)
    later = (
        "1 later failure with no evidence of its own"
        if len(after) == 1
        else (f"{len(after)} later failures with no evidence of their own")
    )
    return [
        f"setup: the install scenario {install.scenario} ({install.spec}:{install.line}) failed{step};"
        f" {later} filed {category} (rule '{AFTER_FAILED_INSTALL}'): fix the install first"
    ]


def _count_lines(
    records: Sequence[ScenarioRecord], failed: Sequence[ScenarioRecord], labels: Mapping[str, str]
) -> list[str]:
    statuses = Counter(r.status for r in records)
    lines = [
        f"{len(records)} scenarios: {statuses[Status.PASSED]} passed, {statuses[Status.FAILED]} failed,"
        f" {statuses[Status.ERROR]} error, {statuses[Status.SKIPPED]} skipped"
        + (f", {sum(r.flaky for r in records)} flaky" if any(r.flaky for r in records) else "")
    ]
    categorized = Counter(r.category.category for r in failed if r.category is not None)
    if categorized:
        lines.append(
            "failures by category: "
            + ", ".join(f"{categorized[c]} {labels.get(c, c)}" for c in category_order(categorized))
        )
    return lines


def _regression_lines(
    regressions: Sequence[ScenarioRecord], labels: Mapping[str, str], *, width: int
) -> list[str]:
    """The upstream regressions first: what the run exists to find."""
    if not regressions:
        return []
    lines = ["", f"{labels.get(UPSTREAM_REGRESSION, UPSTREAM_REGRESSION)} ({len(regressions)}):"]
    for record in regressions:
        lines.extend(_entry(record, width=width))
    return lines


def _not_run_lines(not_run: Sequence[ScenarioRecord], *, title: str = "did not run") -> list[str]:
    """A build/deploy/setup error once for all the scenarios it stopped, not once per scenario."""
    by_message: dict[str, list[ScenarioRecord]] = {}
    for record in not_run:
        by_message.setdefault(record.message, []).append(record)
    lines: list[str] = []
    for message, group in by_message.items():
        lines.append("")
        lines.append(f"{title} ({len(group)} scenario{'s' if len(group) != 1 else ''}):")
        lines.extend(f"    {line}" for line in _head_or_tail(message.strip().splitlines()))
    return lines


def _head_or_tail(lines: list[str]) -> list[str]:
    """A setup error's first lines; for a harness cause ("...; last output:") its last lines, since
    gauge's output ends where it broke, and its first lines are the spec's heading."""
    if len(lines) <= NOT_RUN_LINES or not lines[0].endswith("last output:"):
        return lines[:NOT_RUN_LINES]
    return [lines[0], "…", *lines[-(NOT_RUN_LINES - 2) :]]


def _other_lines(others: Sequence[ScenarioRecord], labels: Mapping[str, str], *, width: int) -> list[str]:
    if not others:
        return []
    lines = ["", f"other failures ({len(others)}):"]
    for record in others:
        label = labels.get(record.category.category, record.category.category) if record.category else ""
        lines.extend(_entry(record, label=label, width=width))
    return lines


def _flaky_lines(records: Sequence[ScenarioRecord]) -> list[str]:
    flaky = [r for r in records if r.flaky]
    if not flaky:
        return []
    return [
        "",
        f"flaky, passed after a retry ({len(flaky)}):",
        *(f"  {r.nodeid} ({r.attempts} attempts)" for r in flaky),
    ]


def _left_out_lines(records: Sequence[ScenarioRecord]) -> list[str]:
    """The suite's upgrade/uninstall scenarios a run skipped (run/lifecycle.py): a reader who looks
    for them in the morning learns here that they did not run, and why, without -rs."""
    left = [r for r in records if r.status is Status.SKIPPED and r.message.startswith(LEFT_OUT)]
    if not left:
        return []
    return [
        "",
        f"left out ({len(left)}): they replace or remove the operator the other scenarios test"
        " (--lifecycle-scenarios)",
        *(f"  {r.nodeid}" for r in left),
    ]


def _entry(record: ScenarioRecord, *, label: str = "", width: int = 0) -> list[str]:
    head = (
        f"  {record.nodeid}"
        + (f" [{label}]" if label else "")
        + (" (error)" if record.status is Status.ERROR else "")
    )
    out = [head]
    where = _where(record)
    if where:
        out.append(f"      {where}")
    out.extend(ENTRY_INDENT + line for line in message_lines(record.message, width=width))
    evidence = _evidence(record)
    if evidence:
        out.append(f"      {evidence}")
    if record.confirmation is not None:
        out.append(f"      confirmation: {record.confirmation.verdict} ({record.confirmation.reason})")
    return out
