"""`--confirm`: prove each upstream regression by running it on the upstream and on the shipped images.

After the main run (on the controller, after every xdist worker), for each failure still filed as an
upstream regression, at most `--confirm-max`, within `--confirm-timeout` (issue 18 part 3):

1. rerun it once on the upstream images: it passes -> **passed-on-rerun** (flaky, not a regression);
2. otherwise put the operator's shipped images on (the CSV's relatedImages), wait Ready, rerun it:
   it passes -> **confirmed** (it follows the upstream code); it fails -> **fails-on-shipped**, and
   the rules file it among the other categories (upstream-regression left out; nothing left means
   unattributed);
3. put the upstream images back unless `--restore` would take them away at the end anyway.

Reruns go through the same gauge runner as the run (one gauge process per spec, the items
re-collected from their spec file), so their logs sit beside the run's in `logs/`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

from pytest_streamstress.errors import StreamstressError
from pytest_streamstress.model import (
    HARNESS,
    UNATTRIBUTED,
    UPSTREAM_REGRESSION,
    Categorization,
    Confirmation,
    ConfirmationVerdict,
    ConfirmAttempt,
    ImagesUsed,
    ScenarioOutcome,
    Status,
)
from pytest_streamstress.report.results_json import ScenarioRecord
from pytest_streamstress.run.interrupted import REDEPLOY, RESTORING, SHIPPED_RERUNS, UPSTREAM_RERUNS
from pytest_streamstress.triage import categorize

if TYPE_CHECKING:
    from pytest_streamstress.gauge.collect import ScenarioItem
    from pytest_streamstress.gauge.execute import GaugeRunner
    from pytest_streamstress.triage.categorize import Rules

log = logging.getLogger(__name__)

Say = Callable[[str], None]
PASSING: Final = frozenset({Status.PASSED})


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmPlan:
    """What the session lends the confirmation."""

    records: MutableMapping[str, ScenarioRecord]
    items: Callable[[Sequence[ScenarioRecord]], dict[str, ScenarioItem]]
    """Node id -> a fresh item for each record (re-collected from its spec file)."""
    runner: Callable[[float], GaugeRunner]
    """A gauge runner whose timeout is at most the given seconds."""
    restore_shipped: Callable[[], None]
    """Put the operator's shipped images back and wait Ready; raises StreamstressError."""
    redeploy_upstream: Callable[[], None] | None
    """Put this run's images back (None: --restore takes them away at the end anyway)."""
    rules: Rules
    limit: int
    timeout: float
    say: Say
    at: Say = lambda _stage: None
    """Told where the confirmation is (UPSTREAM_RERUNS...), so a stop signal's verdict can say it."""
    clock: Callable[[], float] = time.monotonic
    lost: Callable[[float, float], str] = lambda _start, _end: ""
    """Whether the cluster's API stopped answering between two wall-clock times, in words ("" when it
    answered): a rerun on the shipped images that failed then proves nothing (run/api_watch.py)."""
    now: Callable[[], float] = time.time


def candidates(records: MutableMapping[str, ScenarioRecord]) -> list[ScenarioRecord]:
    return sorted(
        (
            r
            for r in records.values()
            if r.category is not None
            and r.category.category == UPSTREAM_REGRESSION
            and r.status in {Status.FAILED, Status.ERROR}
        ),
        key=lambda r: (r.spec, r.line, r.nodeid),
    )


def not_checked(records: MutableMapping[str, ScenarioRecord], reason: str) -> list[str]:
    """Every candidate `not-checked` for one reason the run as a whole gives; returns their node ids."""
    chosen = candidates(records)
    for record in chosen:
        records[record.nodeid] = dataclasses.replace(
            record, confirmation=Confirmation(verdict="not-checked", reason=reason, attempts=())
        )
    return [r.nodeid for r in chosen]


def confirm(plan: ConfirmPlan) -> list[str]:
    """Confirm what can be confirmed; returns the node ids whose record changed.

    A stop signal (KeyboardInterrupt) leaves every candidate not yet settled `not-checked`, with the
    reruns it had, before it goes on: results.json still says what the confirmation found."""
    chosen = candidates(plan.records)
    if not chosen:
        return []
    reruns: dict[str, ConfirmAttempt] = {}
    try:
        _confirm(plan, chosen, reruns)
        plan.at("")
    except KeyboardInterrupt:
        for record in chosen:
            if plan.records[record.nodeid].confirmation is None:
                done = (reruns[record.nodeid],) if record.nodeid in reruns else ()
                _settle(plan, record, "not-checked", "the run was stopped during the confirmation", done)
        raise
    return [r.nodeid for r in chosen]


def _confirm(plan: ConfirmPlan, chosen: list[ScenarioRecord], reruns: dict[str, ConfirmAttempt]) -> None:
    checked, skipped = chosen[: plan.limit], chosen[plan.limit :]
    for record in skipped:
        _settle(plan, record, "not-checked", f"over --confirm-max {plan.limit}", ())
    deadline = plan.clock() + plan.timeout
    plan.say(f"confirm: rerunning {len(checked)} upstream regression(s) on the upstream images")
    plan.at(UPSTREAM_RERUNS)
    items = plan.items(checked)
    first = _rerun(plan, checked, items, "upstream", deadline)
    reruns.update(first)
    remaining = []
    for record in checked:
        attempt = first.get(record.nodeid)
        if attempt is None:
            _settle(plan, record, "not-checked", _why_not_rerun(plan, deadline), ())
        elif attempt.status in PASSING:
            reason = "failed, then passed on a rerun on the same images"
            _settle(plan, record, "passed-on-rerun", reason, (attempt,))
        else:
            remaining.append((record, attempt))
    if remaining:
        _on_shipped(plan, remaining, items, deadline)


def _on_shipped(
    plan: ConfirmPlan,
    remaining: list[tuple[ScenarioRecord, ConfirmAttempt]],
    items: dict[str, ScenarioItem],
    deadline: float,
) -> None:
    plan.say(f"confirm: {len(remaining)} still failing; putting the operator's shipped images back")
    try:
        plan.at(RESTORING)
        plan.restore_shipped()
        plan.at(SHIPPED_RERUNS)
    except StreamstressError as exc:
        for record, attempt in remaining:
            reason = f"the shipped images could not be put back: {exc}"
            _settle(plan, record, "not-checked", reason, (attempt,))
        return
    records = [record for record, _attempt in remaining]
    started = plan.now()
    second = _rerun(plan, records, items, "shipped", deadline)
    failed = any(a.status not in PASSING for a in second.values())
    lost = plan.lost(started, plan.now()) if failed else ""
    for record, attempt in remaining:
        shipped = second.get(record.nodeid)
        if shipped is None:
            _settle(plan, record, "not-checked", _why_not_rerun(plan, deadline), (attempt,))
        elif shipped.status in PASSING:
            reason = "fails on the upstream images, passes on the shipped ones"
            _settle(plan, record, "confirmed", reason, (attempt, shipped))
        elif lost:
            # a failure on a cluster that does not answer clears nothing: it stays an upstream regression
            _settle(
                plan,
                record,
                "not-checked",
                f"{lost}, during the reruns on the shipped images",
                (attempt, shipped),
            )
        else:
            _fails_on_shipped(plan, record, (attempt, shipped))
    if plan.redeploy_upstream is not None:
        plan.say("confirm: putting this run's upstream images back")
        plan.at(REDEPLOY)
        try:
            plan.redeploy_upstream()
        except StreamstressError as exc:
            plan.say(f"confirm: the upstream images could not be put back: {exc}")


def _rerun(
    plan: ConfirmPlan,
    records: Sequence[ScenarioRecord],
    items: dict[str, ScenarioItem],
    images: ImagesUsed,
    deadline: float,
) -> dict[str, ConfirmAttempt]:
    """One gauge process per spec for the records' scenarios; node id -> the attempt."""
    by_spec: dict[Path, list[ScenarioItem]] = {}
    for record in records:
        item = items.get(record.nodeid)
        if item is not None:
            by_spec.setdefault(item.path, []).append(item)
    attempts: dict[str, ConfirmAttempt] = {}
    for group in by_spec.values():
        left = deadline - plan.clock()
        if left <= 0:
            break
        ordered = sorted(group, key=lambda i: (i.scenario.line, i.row or 0))
        run = plan.runner(left).run_spec(ordered)
        for item, key in zip(ordered, run.keys, strict=True):
            attempts[item.nodeid] = _attempt(run.outcomes[key], images)
    return attempts


def _attempt(outcome: ScenarioOutcome, images: ImagesUsed) -> ConfirmAttempt:
    return ConfirmAttempt(
        images=images,
        status=outcome.status,
        message=outcome.message.splitlines()[0][:500] if outcome.message else "",
        duration_s=round(outcome.duration_s, 3),
    )


def _why_not_rerun(plan: ConfirmPlan, deadline: float) -> str:
    if plan.clock() >= deadline:
        return f"--confirm-timeout {plan.timeout:g}s reached before it was rerun"
    return "its spec could not be collected again for the rerun"


def _fails_on_shipped(
    plan: ConfirmPlan, record: ScenarioRecord, attempts: tuple[ConfirmAttempt, ...]
) -> None:
    """It fails on the shipped images too: upstream is not the cause; the rules file it elsewhere."""
    message = attempts[-1].message or record.message
    found = categorize.categorize(
        plan.rules,
        message=message,
        trace=record.trace,
        step=record.failing_step.text if record.failing_step else "",
        spec=record.spec,
        scenario=record.scenario,
        tags=record.tags,
    )
    category = (
        found
        if found.category not in {UPSTREAM_REGRESSION, HARNESS}
        else Categorization(
            category=UNATTRIBUTED,
            rule="fails-on-shipped",
            evidence="fails on the operator's shipped images too, and no other rule matches",
            field="confirmation",
        )
    )
    _settle(
        plan,
        record,
        "fails-on-shipped",
        "fails on the shipped images too: not caused by the upstream build",
        attempts,
        category=category,
    )


def _settle(
    plan: ConfirmPlan,
    record: ScenarioRecord,
    verdict: ConfirmationVerdict,
    reason: str,
    attempts: tuple[ConfirmAttempt, ...],
    *,
    category: Categorization | None = None,
) -> None:
    plan.records[record.nodeid] = dataclasses.replace(
        record,
        category=category or record.category,
        confirmation=Confirmation(verdict=verdict, reason=reason, attempts=attempts),
    )
    log.info("confirm: %s %s (%s)", record.nodeid, verdict, reason)


def recollect(
    session: pytest.Session, root: Path, records: Sequence[ScenarioRecord]
) -> dict[str, ScenarioItem]:
    """Fresh items for the records' scenarios, collected again from their spec files (also on an
    xdist controller, which never collected them)."""
    from pytest_streamstress.gauge.collect import ScenarioItem, spec_file
    from pytest_streamstress.run.collecting import state_key

    state = session.config.stash[state_key]
    wanted = {r.nodeid for r in records}
    found: dict[str, ScenarioItem] = {}
    for spec in sorted({r.spec for r in records}):
        node = spec_file(session, root / spec, state)
        if node is None:
            continue
        for item in node.collect():
            if isinstance(item, ScenarioItem) and item.nodeid in wanted:
                found[item.nodeid] = item
    return found
