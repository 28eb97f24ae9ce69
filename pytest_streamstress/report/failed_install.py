"""Failures that follow a failed install scenario are not blamed on upstream without evidence of their own.

release-tests' install scenario (specs/olm.spec, tagged `install`) configures what the other specs
need: the hub, the git resolver's token, the bundles resolver, the Chains signing secret, Results,
the manual approval gate (run/setup_first.py runs it first). When it fails half way, a hub spec's
"503 from the hub API" or a Chains spec's "no signature" says only that the setup is missing; no rule
knows that, so the default rule filed each one as an upstream regression, and a nightly gated on
`--fail-on upstream-regression` went red on a dozen "regressions" behind one setup failure.

So a failure the rules filed as an upstream regression by the **default** rule (no evidence found)
whose scenario ran after a failed install scenario becomes `unattributed` (rule
`after-failed-install`), with the install scenario's failing step as its evidence. A failure a
specific rule filed (a controller panic, a withdrawn API, an unpullable product image) keeps its
verdict: that evidence does not depend on the setup. The install scenario keeps its own verdict: if
upstream broke the install, that failure says so. Like the suite's own CI (which runs the other specs
after a failed install, `|| true`), nothing is left out.

Pure, so a session (run/recorder.py) and the merge of a sharded run (report/shard_merge.py, where the
install scenario ran in another shard's pod) decide it alike.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, MutableMapping
from typing import Final

from pytest_streamstress.model import (
    AFTER_FAILED_INSTALL,
    UNATTRIBUTED,
    UPSTREAM_REGRESSION,
    Categorization,
    Status,
    has_setup_tag,
)
from pytest_streamstress.report.results_json import ScenarioRecord, epoch
from pytest_streamstress.triage.categorize import DEFAULT_RULE

log = logging.getLogger(__name__)

RULE: Final = AFTER_FAILED_INSTALL
FAILED: Final = frozenset({Status.FAILED, Status.ERROR})


def refile_after_failed_install(
    records: MutableMapping[str, ScenarioRecord], *, install_ran_first: bool
) -> list[str]:
    """Re-file the default rule's upstream regressions that ran after a failed install scenario;
    returns the node ids moved.

    "After" is read from the scenarios' start times; where gauge's output gave none, a scenario ran
    after the install scenario only when this session ran that first (`install_ran_first`: not with
    `--lifecycle-scenarios=run`)."""
    failed = install_failures(records.values())
    if not failed:
        return []
    install = min(failed, key=lambda r: epoch(r.started_at) or 0.0)
    cause = _cause(install)
    moved = []
    for nodeid, record in records.items():
        category = record.category
        if (
            record.status not in FAILED
            or has_setup_tag(record.tags)
            or category is None
            or category.category != UPSTREAM_REGRESSION
            or category.rule != DEFAULT_RULE
            or not _ran_after(record, install, install_ran_first=install_ran_first)
        ):
            continue
        records[nodeid] = dataclasses.replace(
            record,
            category=Categorization(
                category=UNATTRIBUTED,
                rule=RULE,
                evidence=f"{cause}; it sets up what the other specs need, so this failure may"
                " follow from it: no rule found evidence of an upstream regression (rule 'default')",
                field="run",
                known_issue=category.known_issue,
            ),
        )
        moved.append(nodeid)
    if moved:
        log.info(
            "re-filed %d failure(s) as unattributed: they followed a failed install scenario", len(moved)
        )
    return moved


def install_failures(records: Iterable[ScenarioRecord]) -> list[ScenarioRecord]:
    """The install scenarios that failed."""
    return [r for r in records if r.status in FAILED and has_setup_tag(r.tags)]


def _ran_after(record: ScenarioRecord, install: ScenarioRecord, *, install_ran_first: bool) -> bool:
    start, install_start = epoch(record.started_at), epoch(install.started_at)
    if start is None or install_start is None:
        return install_ran_first
    return start >= install_start


def _cause(install: ScenarioRecord) -> str:
    step = f" at step '{install.failing_step.text}'" if install.failing_step is not None else ""
    first = next((line.strip() for line in install.message.splitlines() if line.strip()), "no message")
    if len(first) > 160:
        first = first[:159] + "…"
    return f"the install scenario '{install.scenario}' ({install.spec}:{install.line}) failed{step}: {first}"
