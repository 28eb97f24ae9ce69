"""The gauge stand-in's behaviour script: the TOML outcome file a test writes (docs/standins.md `## gauge`).

Owns reading `$GAUGE_STANDIN_OUTCOMES` into frozen rules and choosing the rule for a scenario or spec.
It must not know which test wrote the file, and it never touches the console or the reports: it only
answers "what should happen to this scenario/spec/run". Every mistake in the file is an
`OutcomeFileError` naming the file, the entry and the fix, so a test author sees it at once.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

log = logging.getLogger(__name__)

Status = Literal["pass", "fail", "skip", "hook-fail"]
STATUSES: Final = ("pass", "fail", "skip", "hook-fail")
Hook = Literal["before-scenario", "after-scenario", "before-step", "after-step"]
HOOKS: Final = ("before-scenario", "after-scenario", "before-step", "after-step")
"""Which hook a `hook-fail` rule fails; the step hooks run around the rule's target `step`."""
XML_MODES: Final = ("normal", "missing", "truncated")
SUITE_ORDERS: Final = ("run", "reverse", "random")

DEFAULT_MESSAGE: Final = "assertion failed: stand-in failure"
DEFAULT_TRACE: Final = (
    "\t/root/go/pkg/mod/github.com/getgauge-contrib/gauge-go@v0.5.2/testsuit/testing.go:40\n"
    "github.com/openshift-pipelines/release-tests/pkg/cmd.testsuitAdaptor.Log(...)\n"
    "\t/root/release-tests/pkg/cmd/cmd.go:31 +0x1b4"
)
DEFAULT_SERVER: Final = "https://api.ci.example.com:6443"
DEFAULT_HOOK_MESSAGE: Final = "service account 'pipeline' not available in namespace {namespace}"

_SCENARIO_KEYS: Final = frozenset(
    {
        "match",
        "match_step",
        "spec",
        "status",
        "step",
        "message",
        "trace",
        "duration_s",
        "sleep_s",
        "fail_attempts",
        "fail_runs",
        "runner_output",
        "when_running",
        "hook",
        "pipelinerun",
    }
)
_PIPELINERUN_KEYS: Final = frozenset(
    {"name", "create", "verify", "tasks", "finally", "duration_s", "usage", "timeout_s"}
)
_WHEN_RUNNING_KEYS: Final = frozenset({"namespace", "deployment", "container", "image_in"})
_SPEC_KEYS: Final = frozenset({"match", "before_spec_fail", "after_spec_fail", "trace", "runner_output"})
_RUN_KEYS: Final = frozenset(
    {
        "crash_after_scenarios",
        "crash_exit",
        "crash_signal",
        "hang_after_scenarios",
        "xml",
        "exit_code",
        "hook_output",
        "seed",
        "duration_s",
        "server",
        "suite_order",
        "cluster",
        "wait_s",
    }
)


class OutcomeFileError(Exception):
    """The outcome file is malformed; the message names the file, the entry and the fix."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunningCondition:
    """`when_running`: the rule applies only while a Deployment's container runs one of these images.

    Read from the cluster through `$KUBECONFIG` with the official client, as release-tests' Go
    code reads it with client-go, so an outcome can depend on what was deployed (issue 11's
    bisect: which commit's image runs). A cluster that cannot be read makes the condition false
    and prints one `Warning:` line on stderr.
    """

    namespace: str
    deployment: str
    container: str = ""
    """Container name; "" means the Deployment's first container."""
    image_in: tuple[str, ...]
    """Substrings of the running image reference (e.g. `sha256:<hex>` digests); any one matches."""

    def holds(self) -> bool:
        kubeconfig = os.environ.get("KUBECONFIG", "")
        image = _running_image(kubeconfig, self.namespace, self.deployment, self.container)
        return image is not None and any(wanted in image for wanted in self.image_in)


@functools.lru_cache(maxsize=32)
def _running_image(kubeconfig: str, namespace: str, deployment: str, container: str) -> str | None:
    """The image the Deployment's container runs, read once per stand-in process (None: unreadable)."""
    try:
        from kubernetes import client, config

        from pytest_streamstress.testing.standins.kubeconfig import client_go_context

        api = config.new_client_from_config(
            config_file=kubeconfig or None, context=client_go_context(kubeconfig)
        )
        try:
            apps = client.AppsV1Api(api)
            found = apps.read_namespaced_deployment(deployment, namespace, _request_timeout=15)
        finally:
            api.close()
        containers = found.spec.template.spec.containers
        chosen = next((c for c in containers if c.name == container), None) if container else containers[0]
        if chosen is None:
            sys.stderr.write(f"Warning: deployment {namespace}/{deployment} has no container {container!r}\n")
            return None
        return str(chosen.image)
    except Exception as exc:  # a stand-in reports and carries on, as a test step would log it
        sys.stderr.write(f"Warning: cannot read deployment {namespace}/{deployment}: {type(exc).__name__}\n")
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineRunPlan:
    """`[scenario.pipelinerun]`: the PipelineRun a scenario's steps create and wait for (cluster mode).

    What its pods do is declared here, never by the test: each task's step runs `duration_s` and its
    pod uses what `usage` says (the emulator's metrics script, `[[seconds, cpu, memory], ...]`).
    """

    name: str
    create: re.Pattern[str] | None = None
    """The step that creates it (regex; default: the scenario's first step)."""
    verify: re.Pattern[str] | None = None
    """The step that waits for it to succeed (regex; default: the scenario's last step)."""
    tasks: tuple[str, ...] = ("build",)
    finally_tasks: tuple[str, ...] = ()
    duration_s: float = 0.5
    usage: tuple[tuple[float, str, str], ...] = ()
    timeout_s: float = 120.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioRule:
    """One `[[scenario]]` entry; all given match keys must match (regex search)."""

    index: int
    match: re.Pattern[str] | None = None
    match_step: re.Pattern[str] | None = None
    spec: re.Pattern[str] | None = None
    status: Status = "pass"
    step: re.Pattern[str] | None = None
    message: str = DEFAULT_MESSAGE
    trace: str = DEFAULT_TRACE
    duration_s: float | None = None
    sleep_s: float = 0.0
    fail_attempts: int | None = None
    """None: fails on every attempt; N: fails on attempts 1..N, passes afterwards."""
    fail_runs: int | None = None
    """None: fails in every gauge process; N: fails in the first N gauge processes that run the
    scenario (counted next to the outcome file), passes in later ones: flaky across reruns."""
    runner_output: tuple[str, ...] = ()
    when_running: RunningCondition | None = None
    hook: Hook = "before-scenario"
    """For `hook-fail`: which hook fails (a step hook runs around the target step)."""
    pipelinerun: PipelineRunPlan | None = None

    def matches(self, *, spec_path: str, heading: str, step_texts: tuple[str, ...]) -> bool:
        if self.match is not None and not self.match.search(heading):
            return False
        if self.spec is not None and not self.spec.search(spec_path):
            return False
        if self.match_step is not None and not any(self.match_step.search(t) for t in step_texts):
            return False
        # Last, so the cluster is read only for scenarios the rule is about.
        return self.when_running is None or self.when_running.holds()

    def fails_on(self, attempt: int, run: int = 1) -> bool:
        """Whether attempt `attempt` (1-based) in gauge process number `run` of this scenario fails."""
        if self.fail_runs is not None and run > self.fail_runs:
            return False
        return self.fail_attempts is None or attempt <= self.fail_attempts


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecRule:
    """One `[[spec]]` entry: spec-level behaviour (BeforeSpec hook failure)."""

    index: int
    match: re.Pattern[str]
    before_spec_fail: str | None = None
    after_spec_fail: str | None = None
    """AfterSpec hook fails after the spec's scenarios ran: the spec fails, its scenarios keep their
    results, xml-report counts it in the suite's `failures`."""
    trace: str = DEFAULT_TRACE
    runner_output: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRule:
    """The `[run]` table: whole-run faults and knobs."""

    crash_after_scenarios: int | None = None
    crash_exit: int = 1
    crash_signal: str | None = None
    hang_after_scenarios: int | None = None
    xml: Literal["normal", "missing", "truncated"] = "normal"
    exit_code: int | None = None
    hook_output: bool = True
    seed: int | None = None
    duration_s: float | None = None
    server: str = DEFAULT_SERVER
    suite_order: Literal["run", "reverse", "random"] = "run"
    cluster: bool = False
    """Act on the cluster as release-tests' runner does (namespaces, service account, PipelineRuns)."""
    wait_s: float = 60.0
    """How long the runner waits for ServiceAccount `pipeline` (release-tests' APITimeout)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcomes:
    scenarios: tuple[ScenarioRule, ...] = ()
    specs: tuple[SpecRule, ...] = ()
    run: RunRule = field(default_factory=RunRule)
    source: Path | None = None

    def for_scenario(
        self, *, spec_path: str, heading: str, step_texts: tuple[str, ...]
    ) -> ScenarioRule | None:
        """The first matching `[[scenario]]` entry, or None (the scenario passes)."""
        for rule in self.scenarios:
            if rule.matches(spec_path=spec_path, heading=heading, step_texts=step_texts):
                return rule
        return None

    def for_spec(self, spec_path: str) -> SpecRule | None:
        for rule in self.specs:
            if rule.match.search(spec_path):
                return rule
        return None


def _where(path: Path, table: str, index: int | None) -> str:
    return f"{path}: [{table}]" if index is None else f"{path}: [[{table}]] #{index + 1}"


def _regex(value: Any, where: str, key: str) -> re.Pattern[str]:
    if not isinstance(value, str):
        raise OutcomeFileError(f"{where}: {key} must be a string (a regular expression)")
    try:
        return re.compile(value)
    except re.error as exc:
        raise OutcomeFileError(
            f"{where}: {key} = {value!r} is not a valid regular expression: {exc}"
        ) from None


def _typed(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any) -> Any:
    if key not in table:
        return default
    value = table[key]
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise OutcomeFileError(f"{where}: {key} must be a number, not a boolean")
    if not isinstance(value, kind):
        name = kind.__name__ if isinstance(kind, type) else "number"
        raise OutcomeFileError(f"{where}: {key} must be a {name}, got {value!r}")
    return value


def _lines(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise OutcomeFileError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _unknown(table: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise OutcomeFileError(
            f"{where}: unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}"
        )


def _scenario_rule(path: Path, index: int, table: dict[str, Any]) -> ScenarioRule:
    where = _where(path, "scenario", index)
    _unknown(table, _SCENARIO_KEYS, where)
    status = table.get("status", "fail")
    if status not in STATUSES:
        raise OutcomeFileError(f"{where}: status = {status!r}; use one of {', '.join(STATUSES)}")
    if not any(k in table for k in ("match", "match_step", "spec")):
        raise OutcomeFileError(
            f"{where}: needs at least one of match, match_step, spec (use match = '.' for all)"
        )
    fail_attempts = _typed(table, "fail_attempts", int, where, None)
    if fail_attempts is not None and fail_attempts < 0:
        raise OutcomeFileError(f"{where}: fail_attempts must be >= 0")
    fail_runs = _typed(table, "fail_runs", int, where, None)
    if fail_runs is not None and fail_runs < 0:
        raise OutcomeFileError(f"{where}: fail_runs must be >= 0")
    duration = _typed(table, "duration_s", (int, float), where, None)
    sleep = _typed(table, "sleep_s", (int, float), where, 0.0)
    hook = table.get("hook", "before-scenario")
    if hook not in HOOKS or ("hook" in table and status != "hook-fail"):
        raise OutcomeFileError(
            f"{where}: hook = {hook!r} needs status = 'hook-fail' and one of {', '.join(HOOKS)}"
        )
    default_message = DEFAULT_HOOK_MESSAGE if hook == "before-scenario" else DEFAULT_MESSAGE
    return ScenarioRule(
        index=index,
        match=_regex(table["match"], where, "match") if "match" in table else None,
        match_step=_regex(table["match_step"], where, "match_step") if "match_step" in table else None,
        spec=_regex(table["spec"], where, "spec") if "spec" in table else None,
        status=status,
        step=_regex(table["step"], where, "step") if "step" in table else None,
        message=_typed(
            table, "message", str, where, default_message if status == "hook-fail" else DEFAULT_MESSAGE
        ),
        trace=_typed(table, "trace", str, where, DEFAULT_TRACE),
        duration_s=float(duration) if duration is not None else None,
        sleep_s=float(sleep),
        fail_attempts=fail_attempts,
        fail_runs=fail_runs,
        runner_output=_lines(table, "runner_output", where),
        when_running=_when_running(table["when_running"], where) if "when_running" in table else None,
        hook=hook,
        pipelinerun=_pipelinerun(table["pipelinerun"], where) if "pipelinerun" in table else None,
    )


def _pipelinerun(value: Any, where: str) -> PipelineRunPlan:
    where = f"{where}: pipelinerun"
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"]:
        raise OutcomeFileError(f"{where} must be a table with at least name = '<pipelinerun name>'")
    _unknown(value, _PIPELINERUN_KEYS, where)
    usage = value.get("usage", [])
    if not isinstance(usage, list) or not all(isinstance(u, list) and len(u) == 3 for u in usage):
        raise OutcomeFileError(
            f"{where}: usage must be [[seconds, cpu, memory], ...], e.g. [[0, '250m', '128Mi']]"
        )
    return PipelineRunPlan(
        name=value["name"],
        create=_regex(value["create"], where, "create") if "create" in value else None,
        verify=_regex(value["verify"], where, "verify") if "verify" in value else None,
        tasks=_lines(value, "tasks", where) or ("build",),
        finally_tasks=_lines(value, "finally", where),
        duration_s=float(_typed(value, "duration_s", (int, float), where, 0.5)),
        usage=tuple((float(t), str(cpu), str(memory)) for t, cpu, memory in usage),
        timeout_s=float(_typed(value, "timeout_s", (int, float), where, 120.0)),
    )


def _when_running(value: Any, where: str) -> RunningCondition:
    where = f"{where}: when_running"
    if not isinstance(value, dict):
        raise OutcomeFileError(f"{where} must be a table: {{ deployment = ..., image_in = [...] }}")
    _unknown(value, _WHEN_RUNNING_KEYS, where)
    if "deployment" not in value or "image_in" not in value:
        raise OutcomeFileError(
            f"{where} needs deployment = '<name>' and image_in = ['<image substring>', ...]"
        )
    images = _lines(value, "image_in", where)
    if not images or not all(images):
        raise OutcomeFileError(f"{where}: image_in must list at least one non-empty image substring")
    return RunningCondition(
        namespace=_typed(value, "namespace", str, where, "openshift-pipelines"),
        deployment=_typed(value, "deployment", str, where, ""),
        container=_typed(value, "container", str, where, ""),
        image_in=images,
    )


def _spec_rule(path: Path, index: int, table: dict[str, Any]) -> SpecRule:
    where = _where(path, "spec", index)
    _unknown(table, _SPEC_KEYS, where)
    if "match" not in table:
        raise OutcomeFileError(f"{where}: needs match = '<regex searched in the absolute spec path>'")
    return SpecRule(
        index=index,
        match=_regex(table["match"], where, "match"),
        before_spec_fail=_typed(table, "before_spec_fail", str, where, None),
        after_spec_fail=_typed(table, "after_spec_fail", str, where, None),
        trace=_typed(table, "trace", str, where, DEFAULT_TRACE),
        runner_output=_lines(table, "runner_output", where),
    )


def _run_rule(path: Path, table: dict[str, Any]) -> RunRule:
    where = _where(path, "run", None)
    _unknown(table, _RUN_KEYS, where)
    xml = table.get("xml", "normal")
    if xml not in XML_MODES:
        raise OutcomeFileError(f"{where}: xml = {xml!r}; use one of {', '.join(XML_MODES)}")
    order = table.get("suite_order", "run")
    if order not in SUITE_ORDERS:
        raise OutcomeFileError(f"{where}: suite_order = {order!r}; use one of {', '.join(SUITE_ORDERS)}")
    signal_name = _typed(table, "crash_signal", str, where, None)
    if signal_name is not None and signal_name.upper().removeprefix("SIG") not in {
        "KILL",
        "TERM",
        "SEGV",
        "ABRT",
    }:
        raise OutcomeFileError(f"{where}: crash_signal = {signal_name!r}; use KILL, TERM, SEGV or ABRT")
    duration = _typed(table, "duration_s", (int, float), where, None)
    return RunRule(
        crash_after_scenarios=_typed(table, "crash_after_scenarios", int, where, None),
        crash_exit=_typed(table, "crash_exit", int, where, 1),
        crash_signal=signal_name,
        hang_after_scenarios=_typed(table, "hang_after_scenarios", int, where, None),
        xml=xml,
        exit_code=_typed(table, "exit_code", int, where, None),
        hook_output=_typed(table, "hook_output", bool, where, True),
        seed=_typed(table, "seed", int, where, None),
        duration_s=float(duration) if duration is not None else None,
        server=_typed(table, "server", str, where, DEFAULT_SERVER),
        suite_order=order,
        cluster=_typed(table, "cluster", bool, where, False),
        wait_s=float(_typed(table, "wait_s", (int, float), where, 60.0)),
    )


def load_outcomes(path: Path | None) -> Outcomes:
    """Read the outcome file; None (env var unset) means every scenario passes."""
    if path is None:
        return Outcomes()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OutcomeFileError(
            f"{path}: cannot read the outcome file ($GAUGE_STANDIN_OUTCOMES): {exc.strerror}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise OutcomeFileError(f"{path}: not valid TOML: {exc}") from None
    extra = sorted(set(data) - {"scenario", "spec", "run"})
    if extra:
        raise OutcomeFileError(
            f"{path}: unknown table(s) {', '.join(extra)}; use [[scenario]], [[spec]] and [run]"
        )
    scenarios = data.get("scenario", [])
    specs = data.get("spec", [])
    if not isinstance(scenarios, list) or not isinstance(specs, list):
        raise OutcomeFileError(
            f"{path}: write [[scenario]] and [[spec]] as arrays of tables (double brackets)"
        )
    run = data.get("run", {})
    if not isinstance(run, dict):
        raise OutcomeFileError(f"{path}: [run] must be a table")
    outcomes = Outcomes(
        scenarios=tuple(_scenario_rule(path, i, t) for i, t in enumerate(scenarios)),
        specs=tuple(_spec_rule(path, i, t) for i, t in enumerate(specs)),
        run=_run_rule(path, run),
        source=path,
    )
    planned = [rule.index for rule in outcomes.scenarios if rule.pipelinerun is not None]
    if planned and not outcomes.run.cluster:
        raise OutcomeFileError(
            f"{_where(path, 'scenario', planned[0])}: pipelinerun needs [run] cluster = true"
            " (the runner creates it through $KUBECONFIG)"
        )
    return outcomes
