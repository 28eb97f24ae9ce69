"""The item side of the Recorder: one scenario's outcome becomes its category, marker and record.

Runs in the process that ran the item (a worker under xdist), inside the report hook, so the failure
view already shows the category. A scenario gauge never ran or never reported gets the run's own
category **harness** (no rule is asked: it says nothing about upstream); any other failure is asked
of the `pytest_streamstress_categorize` hook first, then of the rules with the cluster's facts. The
record travels to the controller as one JSON property, which survives xdist's serialization (R27).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.gauge.collect import PARSE_ERROR
from pytest_streamstress.model import HARNESS, Categorization, ScenarioOutcome, Status
from pytest_streamstress.report.results_json import ScenarioRecord, iso
from pytest_streamstress.run.scenarios import SetupError, outcome_key, setup_error_key
from pytest_streamstress.triage import categorize
from pytest_streamstress.triage.facts import ClusterFacts

if TYPE_CHECKING:
    from pytest_streamstress.gauge.collect import ScenarioItem, SpecErrorItem

RECORD_PROPERTY: Final = "streamstress_record"
ERROR_PHASE_PROPERTY: Final = "streamstress_error_phase"
PROPERTY_PREFIX: Final = "streamstress_"

FactsOf = Callable[[str], "ClusterFacts | None"]
"""What the cluster says about the APIs and components a failure's text names (None: not asked)."""


def outcome_of(item: ScenarioItem, call: pytest.CallInfo[None]) -> tuple[ScenarioOutcome, SetupError | None]:
    """What the item's setup stored, or what pytest saw when the failure happened outside gauge."""
    outcome = item.stash.get(outcome_key, None)
    setup_error = item.stash.get(setup_error_key, None)
    if outcome is None and call.excinfo is not None and call.excinfo.errisinstance(pytest.skip.Exception):
        # Skipped before gauge ran (a skip marker from a conftest, -m tags): a skip, not an error.
        outcome = ScenarioOutcome(status=Status.SKIPPED, message=str(call.excinfo.value))
    passed_then_failed = call.when == "call" and call.excinfo is not None and outcome is not None
    if outcome is None or (passed_then_failed and outcome.status is Status.PASSED):
        # Failed outside gauge (a fixture or plugin error): still a record, never lost, but no
        # category: it says nothing about upstream. It is listed under errors instead.
        message = str(call.excinfo.value) if call.excinfo is not None else ""
        status = Status.ERROR if call.when == "setup" else Status.FAILED
        outcome = ScenarioOutcome(status=status, message=message)
        setup_error = setup_error or SetupError(phase="internal", message=message)
    return outcome, setup_error


def categorize_item(
    item: ScenarioItem,
    outcome: ScenarioOutcome,
    *,
    rules: categorize.Rules,
    redactor: Redactor,
    facts: FactsOf,
) -> Categorization:
    """The harness verdict for a broken gauge; else the hook's answer; else the rules'."""
    if outcome.harness is not None:
        return Categorization(
            category=HARNESS,
            rule=f"harness:{outcome.harness.kind}",
            evidence=redactor(outcome.harness.cause),
            field="gauge",
        )
    message = redactor(outcome.message)
    trace = redactor(outcome.trace)
    chosen: Categorization | None = item.config.hook.pytest_streamstress_categorize(
        item=item, message=message, trace=trace
    )
    if chosen is not None:
        return chosen
    step = outcome.failing_step
    return categorize.categorize(
        rules,
        message=message,
        trace=trace,
        step=redactor(step.text) if step is not None else "",
        spec=item.spec_relpath,
        scenario=item.scenario.heading,
        tags=tuple(item.scenario.all_tags),
        facts=facts(f"{message}\n{trace}"),
    )


def record_of(
    item: ScenarioItem, outcome: ScenarioOutcome, category: Categorization | None, redactor: Redactor
) -> ScenarioRecord:
    return ScenarioRecord(
        nodeid=item.nodeid,
        spec=item.spec_relpath,
        spec_heading=item.spec.heading,
        scenario=item.scenario.heading,
        line=item.scenario.line,
        tags=tuple(item.scenario.all_tags),
        status=outcome.status,
        duration_s=outcome.duration_s,
        failing_step=outcome.failing_step,
        message=redactor(outcome.message),
        trace=redactor(outcome.trace),
        category=category,
        attempts=outcome.attempts,
        flaky=outcome.flaky,
        source=outcome.source,
        log_path=None if outcome.log_path is None else str(outcome.log_path),
        started_at=iso(outcome.started_at, milliseconds=True),
        finished_at=iso(outcome.finished_at, milliseconds=True),
        namespaces=outcome.namespaces,
        local_cpu_s=outcome.local_cpu_s,
        local_peak_rss_b=outcome.local_peak_rss_b,
    )


def properties_of(
    record: ScenarioRecord, setup_error: SetupError | None, redactor: Redactor
) -> list[tuple[str, object]]:
    """The item's `user_properties` of ours: plain facts for JUnit readers, and the record for us."""
    category = record.category
    properties: list[tuple[str, object]] = []
    if category is not None:
        properties += [
            ("streamstress_category", category.category),
            ("streamstress_rule", category.rule),
            ("streamstress_evidence", redactor(category.evidence)),
            ("streamstress_known_issue", category.known_issue),
        ]
    if record.flaky:
        properties.append(("streamstress_flaky", "true"))
    if setup_error is not None:
        properties.append((ERROR_PHASE_PROPERTY, setup_error.phase))
    properties.append((RECORD_PROPERTY, json.dumps(record.to_json(redactor), ensure_ascii=False)))
    return properties


def spec_error_record(item: SpecErrorItem, redactor: Redactor) -> ScenarioRecord:
    """A spec gauge rejects: its scenarios never run, so the run is incomplete (a harness verdict)."""
    error = item.error
    return ScenarioRecord(
        nodeid=item.nodeid,
        spec=item.spec_relpath,
        scenario=PARSE_ERROR,
        line=max(1, error.line),
        tags=(),
        status=Status.ERROR,
        message=redactor(str(error)),
        category=Categorization(
            category=HARNESS,
            rule="harness:parse-error",
            evidence=redactor(f"{item.spec_relpath}:{error.line}: {error.reason}"),
            field="spec",
        ),
    )
