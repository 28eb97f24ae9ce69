"""The run's verdict: one decision that the summary, results.json, JUnit and the exit code all read.

Pure (STYLE R13): records and facts in, a `Verdict` out. The order of precedence is the order a
QE engineer needs it read in the morning:

1. **interrupted**: Ctrl-C or a signal stopped the run; exit 2 (pytest's interrupted code).
2. **error**: a precondition failed (build, deploy, setup, collection): no scenario could run; exit 1.
3. **incomplete**: the harness broke (gauge crashed, was killed, never reported some scenarios), the
   cluster's API stopped answering while failing scenarios ran, the operator's images changed, or
   the run executed fewer than 75 % of the scenarios the history says it usually runs (Sippy's
   guard), or pytest itself stopped the loop early (`-x`, `--maxfail`) before every scenario ran.
   A run that did not happen is not a pass: exit 1 whatever `--fail-on` says, because `--fail-on`
   is about test verdicts.
4. **failed**: a scenario failure inside `--fail-on` (or a failure outside the Gauge scenarios).
5. **passed**: nothing gates; failures outside `--fail-on` are named, not hidden.

Then, once `--restore` has run (`after_restore`): a restore that failed or was cut off leaves the
cluster on this run's images, so the exit code is never 0, whatever the status says of the scenarios.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Final

from pytest_streamstress.model import HARNESS, Restore, RestoreState, RunStatus, Status
from pytest_streamstress.report.results_json import RunError, ScenarioRecord, is_gating

PARSE_RULE: Final = "harness:parse-error"
AFTER_SPEC_PHASE: Final = "after-spec"
"""The `errors[]` phase of a spec whose AfterSpec hook failed. Not a precondition: the scenarios ran
and keep their results. A test verdict like a failed test outside the scenarios: the run fails
whatever --fail-on says (gauge fails the spec and exits 1; what the hook did not undo may be left on
the cluster for later specs), and the run is still scored."""
USAGE_PHASE: Final = "usage"
INTERNAL_PHASE: Final = "internal"
PHASE_WORDS: Final = {USAGE_PHASE: "pytest's command line", INTERNAL_PHASE: "pytest itself"}
"""How the sentence names an `errors[]` phase that is not a step of the run ("build", "deploy"...)."""
PHASE_FAILED_LEAD: Final = "so this scenario did not run:"
"""How a precondition's error leads each scenario's setup error (run/preconditions.py)."""
RESTORE_WORDS: Final = {
    RestoreState.FAILED: "--restore failed, so the cluster still runs this run's images",
    RestoreState.CUT_OFF: "--restore was cut off, so the cluster may still run this run's images",
}
"""The clause `after_restore` adds to the sentence; the summary's `cluster:` line says why."""
IMAGES_MOVED: Final = "so no failure can be blamed on this run's build"
"""How an incomplete verdict ends when the operator's images changed under the run (the badge reads it)."""
CLUSTER_LOST: Final = "so they say nothing about upstream"
"""How an incomplete verdict ends when the cluster's API stopped answering (the badge reads it)."""
COVERAGE_FLOOR: Final = 0.75
"""Below this share of the usual scenario count a run is incomplete (Sippy's 75 % rule)."""
EXIT_CODES: Final[dict[RunStatus, int]] = {
    "passed": 0,
    "failed": 1,
    "error": 1,
    "incomplete": 1,
    "interrupted": 2,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    status: RunStatus
    exit_code: int
    sentence: str
    """One line a person reads first: what happened and why the exit code is what it is."""
    gating: int = 0
    """Scenario failures inside --fail-on."""
    excused: int = 0
    """Scenario failures outside --fail-on (they do not fail the session)."""
    harness: int = 0
    """Scenarios gauge never ran or never reported."""
    reasons: tuple[str, ...] = ()
    restore_failed: bool = False
    """`--restore` failed or was cut off (`after_restore`): the exit code is not the status's own."""

    @property
    def scored(self) -> bool:
        """Whether new failures and regressions may be read from this run (not for broken runs)."""
        return self.status not in {"incomplete", "error", "interrupted"}

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "exit_code": self.exit_code,
            "sentence": self.sentence,
            "gating": self.gating,
            "excused": self.excused,
            "harness": self.harness,
            "reasons": list(self.reasons),
            "scored": self.scored,
            "restore_failed": self.restore_failed,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RunState:
    """What the session knows besides the records."""

    fail_on: tuple[str, ...]
    known: Collection[str] = ()
    errors: Sequence[RunError] = ()
    other_failures: int = 0
    """Failed items that are not Gauge scenarios (a project's own Python tests)."""
    interrupted: bool = False
    signal: str = ""
    """The signal that interrupted the run ('SIGTERM'); empty for Ctrl-C or none."""
    stopped_during: str = ""
    """Where a stop signal cut the run, in words ("during the build"); "" when unknown or in the tests."""
    collected: int | None = None
    """How many items pytest collected; None when unknown."""
    usual_scenarios: int | None = None
    """How many scenarios the history says this run usually executes; None without a history."""
    stopped_early: str = ""
    """pytest's words when it ended the loop itself (-x, --maxfail: "stopping after 1 failures")."""
    not_run: int = 0
    """Collected items pytest never ran because it stopped early."""
    images_moved: str = ""
    """What changed the operator's images while the scenarios ran ("" when they stayed this run's)."""
    cluster_lost: str = ""
    """When the cluster's API did not answer and which failures fell in that time (run/api_watch.py)."""
    exit_override: int | None = None
    """pytest's own exit code when pytest itself ended the session (usage error 4, internal error 3):
    the process exits with it, so the verdict says it too."""


def decide(records: Sequence[ScenarioRecord], state: RunState) -> Verdict:
    """The verdict; see the module docstring for the precedence."""
    failures = [r for r in records if r.status in {Status.FAILED, Status.ERROR}]
    harness = [r for r in failures if _is_harness(r)]
    counted = [r for r in failures if not _is_harness(r)]
    gating = sum(1 for r in counted if r.category is not None and is_gating(r, state.fail_on, state.known))
    excused = sum(1 for r in counted if r.category is not None) - gating
    counts = {"gating": gating, "excused": excused, "harness": len(harness)}
    if state.interrupted:
        how = f"by {state.signal}" if state.signal else "by Ctrl-C"
        where = _where_stopped(records, state)
        return _verdict(
            "interrupted",
            f"INTERRUPTED {how}{' ' + where if where else ''}: the results so far are kept",
            counts,
            reasons=(where,) if where else (),
        )
    if state.errors:
        phases = sorted({e.phase for e in state.errors if e.phase not in {"gauge", AFTER_SPEC_PHASE}})
        if phases:
            what = ", ".join(PHASE_WORDS.get(phase, phase) for phase in phases)
            text = (
                "ERROR: pytest rejected the command line (its ERROR line says why), so no scenario ran"
                if phases == [USAGE_PHASE]
                else f"ERROR: {what} failed, so the scenarios could not run as asked"
            )
            return _verdict(
                "error",
                text,
                counts,
                reasons=tuple(_cause_line(e.message) for e in state.errors if e.message)[:5],
                exit_code=state.exit_override,
            )
    incomplete = _incomplete_reasons(records, harness, state)
    if incomplete:
        return _verdict(
            "incomplete",
            f"INCOMPLETE: {'; '.join(incomplete)}, whatever --fail-on says",
            counts,
            reasons=tuple(incomplete),
        )
    return _tested_verdict(counts, failures=len(counted), state=state)


def _tested_verdict(counts: dict[str, int], *, failures: int, state: RunState) -> Verdict:
    gate = ",".join(state.fail_on)
    gating, excused = counts["gating"], counts["excused"]
    hooks = [e.message for e in state.errors if e.phase == AFTER_SPEC_PHASE]
    if gating or state.other_failures or hooks:
        parts = []
        if gating:
            parts.append(f"{_n(gating, 'failure')} {_gate_verb(gating)} the job (--fail-on {gate})")
        if state.other_failures:
            parts.append(f"{_n(state.other_failures, 'test')} outside the Gauge scenarios failed")
        if hooks:
            parts.append(
                f"the AfterSpec hook of {_n(len(hooks), 'spec')} failed ({hooks[0].splitlines()[0]})"
            )
        if excused:
            parts.append(f"{excused} more outside --fail-on")
        return _verdict("failed", "FAILED: " + "; ".join(parts), counts, reasons=tuple(hooks))
    if failures:
        return _verdict(
            "passed", f"PASSED: {_n(failures, 'failure')}, none gates the job (--fail-on {gate})", counts
        )
    return _verdict("passed", "PASSED: no scenario failed", counts)


def after_restore(verdict: Verdict, restore: Restore | None) -> Verdict:
    """The verdict once `--restore` has said how it left the operator.

    A nightly whose restore failed must not be green: the next run, and anyone testing by hand on the
    shared cluster, would meet this run's images. The status stays the scenarios' (they are scored as
    usual); the exit code becomes 1 when it was 0, and the sentence says why.
    """
    words = RESTORE_WORDS.get(restore.state) if restore is not None else None
    if words is None:
        return verdict
    code = verdict.exit_code or 1
    text = verdict.sentence.removesuffix(f"; exit {verdict.exit_code}")
    return replace(verdict, exit_code=code, sentence=f"{text}; {words}; exit {code}", restore_failed=True)


def _cause_line(message: str) -> str:
    """The line that says why: a precondition's error is led by "X failed, so this scenario did not
    run:" (run/preconditions.py), which the sentence already says."""
    lines = [line for line in message.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(PHASE_FAILED_LEAD):
        return lines[1].strip()
    return lines[0] if lines else ""


def _incomplete_reasons(
    records: Sequence[ScenarioRecord], harness: Sequence[ScenarioRecord], state: RunState
) -> list[str]:
    reasons = []
    unparsed = [r for r in harness if r.category is not None and r.category.rule == PARSE_RULE]
    broke = [r for r in harness if r not in unparsed]
    if broke:
        causes = sorted({_cause(r) for r in broke})
        never = _n(len(broke), "scenario")
        reasons.append(f"gauge broke, {never} never ran or never reported ({'; '.join(causes)})")
    if unparsed:
        where = "; ".join(sorted({_cause(r) for r in unparsed}))
        reasons.append(f"{_n(len(unparsed), 'spec')} did not parse and did not run ({where})")
    if not harness and any(e.phase == "gauge" for e in state.errors):
        reasons.append("gauge broke: " + next(e.message for e in state.errors if e.phase == "gauge"))
    if state.images_moved:
        reasons.append(f"{state.images_moved}, {IMAGES_MOVED}")
    if state.cluster_lost:
        reasons.append(f"{state.cluster_lost}, {CLUSTER_LOST}")
    executed = sum(1 for r in records if r.status in {Status.PASSED, Status.FAILED})
    usual = state.usual_scenarios
    if state.stopped_early and state.not_run:
        of = f" of {state.collected}" if state.collected else ""
        reasons.append(
            f"pytest stopped the session early ({state.stopped_early}): {state.not_run}{of} scenarios"
            " did not run, so the run is not scored"
        )
    elif usual and executed < COVERAGE_FLOOR * usual:  # an early stop already says why so few ran
        reasons.append(
            f"ran {executed} of the usual {usual} scenarios (below {COVERAGE_FLOOR:.0%}: not scored for new"
            " failures or regressions)"
        )
    return reasons


def _where_stopped(records: Sequence[ScenarioRecord], state: RunState) -> str:
    """'during the deploy, before any of the 7 scenarios ran': what a morning reader asks first."""
    during, ran, collected = state.stopped_during, len(records), state.collected
    if not collected:
        return during
    if ran == 0:
        which = "the only scenario" if collected == 1 else f"any of the {collected} scenarios"
        return f"{during + ', ' if during else ''}before {which} ran"
    how_far = f"after {ran} of" if ran < collected else "after all"
    return f"{during + ', ' if during else ''}{how_far} {_n(collected, 'scenario')}"


def _is_harness(record: ScenarioRecord) -> bool:
    return record.category is not None and record.category.category == HARNESS


def _cause(record: ScenarioRecord) -> str:
    evidence = record.category.evidence if record.category is not None else ""
    if evidence:
        return evidence
    return record.message.splitlines()[0] if record.message else "no result"


def _verdict(
    status: RunStatus,
    text: str,
    counts: dict[str, int],
    *,
    reasons: tuple[str, ...] = (),
    exit_code: int | None = None,
) -> Verdict:
    code = EXIT_CODES[status] if exit_code is None else exit_code
    return Verdict(
        status=status,
        exit_code=code,
        sentence=f"{text}; exit {code}",
        gating=counts["gating"],
        excused=counts["excused"],
        harness=counts["harness"],
        reasons=reasons,
    )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _gate_verb(count: int) -> str:
    return "fails" if count == 1 else "fail"


def pytest_error(code: int) -> RunError:
    """The `errors[]` entry of a session pytest itself ended: exit 4 (usage) or 3 (internal)."""
    if code == 4:
        return RunError(
            phase=USAGE_PHASE,
            message="pytest rejected the command line (exit code 4), e.g. a node id or path that matches"
            " no scenario: see pytest's ERROR line",
        )
    return RunError(phase=INTERNAL_PHASE, message=f"pytest ended with an internal error (exit code {code})")
