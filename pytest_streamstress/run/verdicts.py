"""The last word on each failure, after every scenario ran: is it really upstream, and can we prove it?

Runs on the controller once the test loop is done (also under xdist, after the workers) and before
results.json is written, so the summary, results.json, JUnit and the exit code read the same
verdicts:

1. **unattributed**: a failure the rules filed as an upstream regression whose scenario passed in an
   earlier run while every built component is at the same commit now: nothing upstream moved
   (`history.attribution`). Without a history, or with a moved component, it stays.
2. **after a failed install scenario**: the default rule's upstream regressions of scenarios that ran
   after the suite's install scenario failed are `unattributed` too (report/failed_install.py).
3. **--confirm**: the remaining upstream regressions are proved by rerunning them (run/confirm.py).

A re-filed failure's view in pytest's own failure section is rewritten to match (pytest prints
that section after the session ends).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from pytest_streamstress.gauge.failure import with_final_verdict
from pytest_streamstress.history.attribution import attribute
from pytest_streamstress.history.model import EARLIER_RUN, RunOutcomes, scenario_identity
from pytest_streamstress.model import (
    HARNESS,
    UNATTRIBUTED,
    UPSTREAM_REGRESSION,
    BuildResult,
    Categorization,
    Status,
)
from pytest_streamstress.report.results_json import ScenarioRecord, epoch

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pytest_streamstress.cluster.drift import Snapshot
    from pytest_streamstress.gauge.collect import ScenarioItem
    from pytest_streamstress.gauge.execute import GaugeRunner
    from pytest_streamstress.run.api_watch import Outage
    from pytest_streamstress.run.preconditions import Phases
    from pytest_streamstress.triage.categorize import Rules

log = logging.getLogger(__name__)


def built_commits(builds: Iterable[BuildResult]) -> dict[str, str]:
    """component -> the commit this run's images came from (built now or given with their source)."""
    return {str(b.component): b.source.sha for b in builds if b.source is not None and b.source.sha}


def earlier_runs(documents: Sequence[Mapping[str, Any]]) -> list[RunOutcomes]:
    """The history's scored runs, oldest first, through the one typed reader."""
    from pytest_streamstress.history.store import outcomes_from_json

    runs = [outcomes_from_json(doc, source=EARLIER_RUN) for doc in documents]
    return [run for run in runs if run.complete]


def refile_unattributed(
    records: MutableMapping[str, ScenarioRecord],
    *,
    current: Mapping[str, str],
    runs: Sequence[RunOutcomes],
) -> list[str]:
    """Re-file upstream regressions nothing upstream could have caused; returns the node ids moved."""
    moved = []
    for nodeid, record in records.items():
        category = record.category
        if category is None or category.category != UPSTREAM_REGRESSION:
            continue
        if record.status not in {Status.FAILED, Status.ERROR}:
            continue
        found = attribute(scenario_identity(record.spec, record.scenario), current=current, runs=runs)
        if found.upstream_changed is not False:
            continue
        records[nodeid] = dataclasses.replace(
            record,
            category=Categorization(
                category=UNATTRIBUTED,
                rule="unattributed",
                evidence=f"{found.evidence}; the rules had said upstream regression (rule '{category.rule}')",
                field="history",
                known_issue=category.known_issue,
            ),
        )
        moved.append(nodeid)
    if moved:
        log.info("re-filed %d failure(s) as unattributed: no upstream change to blame", len(moved))
    return moved


CLUSTER_LOST_RULE = "cluster-unreachable"
PLATFORM = "platform-issue"


def refile_cluster_lost(
    records: MutableMapping[str, ScenarioRecord], outages: Sequence[Outage], *, categories: Sequence[str]
) -> tuple[list[str], str]:
    """Re-file the failures whose scenario ran while the cluster's API did not answer (run/api_watch.py);
    returns the node ids moved and why the run is not scored ("" when none moved).

    Such a failure says nothing about upstream whatever its message reads like. It becomes a Platform
    Issue (when the rules file has that category) by the rule `cluster-unreachable`, with the outage
    as its evidence. A harness failure or a precondition's error keeps what it is."""
    moved: list[str] = []
    seen: dict[Outage, None] = {}  # the outages that held failures, in the order met
    for nodeid, record in records.items():
        category = record.category
        if (
            category is None
            or category.category == HARNESS
            or record.status in {Status.PASSED, Status.SKIPPED}
        ):
            continue
        window = _window(record)
        outage = next((o for o in outages if window is not None and o.overlaps(*window)), None)
        if outage is None:
            continue
        records[nodeid] = dataclasses.replace(
            record,
            category=Categorization(
                category=PLATFORM if PLATFORM in categories else category.category,
                rule=CLUSTER_LOST_RULE,
                evidence=f"{outage}; the rules had said {category.category} (rule '{category.rule}')",
                field="cluster",
                known_issue=category.known_issue,
            ),
        )
        moved.append(nodeid)
        seen[outage] = None
    if not moved:
        return [], ""
    first = next(iter(seen))
    more = f" (and {len(seen) - 1} more time{'s' if len(seen) > 2 else ''})" if len(seen) > 1 else ""
    failures = f"{len(moved)} failure{'s' if len(moved) != 1 else ''}"
    return moved, (
        f"the cluster's API did not answer {first.words()}{more} ({first.reason}); {failures} in that"
        f" time filed by rule '{CLUSTER_LOST_RULE}'"
    )


def _window(record: ScenarioRecord) -> tuple[float, float] | None:
    """When the scenario ran, as epoch seconds; None when gauge's output did not say."""
    start, end = epoch(record.started_at), epoch(record.finished_at)
    return (start, end) if start is not None and end is not None else None


def cannot_confirm(*, images_moved: str, outages: Sequence[Outage]) -> str:
    """Why `--confirm` must not rerun anything ("" when it may): a rerun proves nothing on images this
    run did not deploy, and nothing at all on a cluster that does not answer."""
    if images_moved:
        return "the operator's images changed during the run"
    if any(o.until is None for o in outages):
        return "the cluster's API stopped answering during the run"
    return ""


def refresh_views(
    reports: Mapping[str, pytest.TestReport],
    records: Mapping[str, ScenarioRecord],
    nodeids: Iterable[str],
    *,
    label: Callable[[str], str],
) -> None:
    """Rewrite the failure view of re-filed items so pytest's failure section says what results.json says."""
    for nodeid in nodeids:
        report, record = reports.get(nodeid), records[nodeid]
        if report is None or record.category is None or not isinstance(report.longrepr, str):
            continue
        report.longrepr = with_final_verdict(
            report.longrepr, record.category, label=label, confirmation=record.confirmation
        )


def snapshot_before(phases: Phases) -> Snapshot | None:
    """For a `--skip-deploy` session: the operator's images before its first scenario, so `images_moved`
    can tell whether they changed under it too (a shard pod, a CI-matrix job); None when unreadable."""
    from pytest_streamstress.cluster.drift import snapshot
    from pytest_streamstress.errors import StreamstressError

    try:
        cluster = phases.connect()
        try:
            return snapshot(cluster)
        finally:
            cluster.close()
    except StreamstressError as exc:
        phases.say(f"warning: could not read the operator's images before the scenarios: {exc.message}")
        return None


def images_moved(
    phases: Phases, records: Iterable[ScenarioRecord], before: Snapshot | None = None
) -> tuple[str, str]:
    """(why the run is not scored, a note for the deploy): what changed the operator's images while
    the scenarios ran. A change the suite's own upgrade or uninstall scenario explains (one that ran:
    run/lifecycle.py skips them beside other scenarios by default) is only a note.

    ("", "") when nothing moved, the run deployed nothing and has no `before` (`snapshot_before`, for
    `--skip-deploy`), or the cluster cannot be read now (then a warning: an unknown is not a finding).
    """
    from pytest_streamstress.cluster.drift import images_moved as moved_on
    from pytest_streamstress.cluster.drift import moved_since
    from pytest_streamstress.errors import StreamstressError
    from pytest_streamstress.run.lifecycle import REPLACING_TAGS, lifecycle_tags

    outcome = phases.outcome_if_run
    deployed = outcome.deployment if outcome is not None and not phases.settings.skip_deploy else None
    if (deployed is None or not deployed.running) and before is None:
        return "", ""  # nothing this run deployed and verified, nor found: do not even connect
    try:
        cluster = phases.connect()
        try:
            if deployed is not None and deployed.running:
                moved = moved_on(cluster, deployed)
            else:
                assert before is not None
                moved = moved_since(cluster, before)
        finally:
            cluster.close()
    except StreamstressError as exc:
        phases.say(f"warning: could not check that the operator kept this run's images: {exc.message}")
        return "", ""
    if moved is None:
        return "", ""
    ran = [r for r in records if r.status is not Status.SKIPPED and lifecycle_tags(r.tags)]
    replacing = [f"{r.spec}::{r.scenario}" for r in ran if lifecycle_tags(r.tags) & REPLACING_TAGS]
    if not replacing:
        # the install scenario re-subscribes to what is installed; if that moved the images, the
        # scenarios after it still ran on something else than this run's build
        installs = [f"{r.spec}::{r.scenario}" for r in ran]
        return str(moved) + (f" (the suite's {installs[0]} ran before)" if installs else ""), ""
    note = f"{moved.what}: the suite's {replacing[0]} replaces the operator, so the scenarios after it ran on"
    note += " what it installed"
    phases.say(f"warning: {note}")
    return "", note


def confirm_regressions(
    session: pytest.Session,
    records: MutableMapping[str, ScenarioRecord],
    *,
    rules: Rules,
    lost: Callable[[float, float], str] | None = None,
) -> list[str]:
    """`--confirm`, wired to this session's gauge runner, restore record, deploy and watch of the
    cluster's API (run/confirm.py, run/api_watch.py)."""
    from pytest_streamstress.run import confirm
    from pytest_streamstress.run.preconditions import phases_of

    config = session.config
    phases = phases_of(config)
    settings = phases.settings
    plan = confirm.ConfirmPlan(
        records=records,
        items=lambda chosen: _items(session, chosen),
        runner=lambda seconds: _runner(config, seconds),
        restore_shipped=lambda: _restore_shipped(phases),
        redeploy_upstream=None if settings.restore else (lambda: _redeploy(phases)),
        rules=rules,
        limit=settings.confirm_max,
        timeout=settings.confirm_timeout,
        say=phases.say,
        at=lambda stage: setattr(phases.so_far, "stage", stage or "tests"),
        lost=lost or _answered,
    )
    return confirm.confirm(plan)


def _answered(_start: float, _end: float) -> str:
    return ""  # no watch (no cluster credentials): nothing known against the reruns


def _items(session: pytest.Session, chosen: Sequence[ScenarioRecord]) -> dict[str, ScenarioItem]:
    """The run's own items when this process collected them; else collected again (xdist controller)."""
    from pytest_streamstress.gauge.collect import ScenarioItem
    from pytest_streamstress.run.confirm import recollect

    wanted = {r.nodeid for r in chosen}
    own = {i.nodeid: i for i in session.items if isinstance(i, ScenarioItem) and i.nodeid in wanted}
    if len(own) == len(wanted):
        return own
    from pytest_streamstress.run.suite import suite_root

    return {**recollect(session, suite_root(session.config), chosen), **own}


def _runner(config: pytest.Config, seconds: float) -> GaugeRunner:
    from pytest_streamstress.run.collecting import state_key

    driver = config.stash[state_key].driver
    runner: GaugeRunner = driver.runner  # type: ignore[attr-defined]  # the session's SessionDriver
    params = dataclasses.replace(runner.params, timeout=max(1.0, min(runner.params.timeout, seconds)))
    return dataclasses.replace(runner, params=params)  # shares the log names: reruns get logs of their own


def _restore_shipped(phases: Phases) -> None:
    """Put the CSV's shipped images on this run's variables (cluster.restore.put_shipped says why not
    the record's); the session's restore record, written first if its deploy had nothing to change,
    keeps what the cluster ran before."""
    from pytest_streamstress.cluster.restore import put_shipped
    from pytest_streamstress.errors import ConfigError
    from pytest_streamstress.run import deploying
    from pytest_streamstress.run.heartbeats import pace_of

    settings = phases.settings
    outcome = phases.outcome_if_run
    if settings.skip_deploy or outcome is None:
        raise ConfigError(
            "this run did not deploy its images",
            hint="--confirm compares this run's images with the shipped ones; drop --skip-deploy",
        )
    params = deploying.deploy_params(settings, pace_of(phases.config))
    ours = deploying.record_written_since(settings, phases.deployed_since)
    put_shipped(
        phases.connect(), _deployed(phases), phases.catalog, params, record=ours is None, say=phases.say
    )


def _deployed(phases: Phases) -> tuple[BuildResult, ...]:
    from pytest_streamstress.build import decide

    outcome = phases.outcome_if_run
    if outcome is None:
        return ()
    return tuple(decide(outcome.builds, deploy_partial=phases.settings.deploy_partial).deploy)


def _redeploy(phases: Phases) -> None:
    """This run's images back after the shipped reruns; the restore record stays as it was."""
    from pytest_streamstress.run import deploying
    from pytest_streamstress.run.heartbeats import pace_of

    if phases.outcome_if_run is None:
        return
    deploying.run_deploy(
        phases.connect(),
        _deployed(phases),
        phases.catalog,
        phases.settings,
        emulated=phases.is_emulated,
        say=phases.say,
        pace=pace_of(phases.config),
        keep_record=True,
    )
