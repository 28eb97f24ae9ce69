"""One step of `streamstress bisect`: a streamstress session at one commit, judged from its results.json.

`PytestStepRunner` is the real `StepRunner` of the bisection engine (`history/bisection.py`): it runs
`python -m pytest --streamstress --components <component>:<sha> <nodeid>` through `_proc` (STYLE
R15) and judges the session's results.json, read by the history's one typed reader
(`history.store.read_run`): pass, fail or error for the scenario; a build failure of the component
makes the step a skip, as `git bisect skip`. The endpoints of `--good-run`/`--bad-run` are read the
same way. It holds no pytest state: per DESIGN.md this orchestration belongs to run/, and lives
under cli/ while issue 17 moves that room.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.errors import ConfigError, ToolFailed
from pytest_streamstress.history.bisection import StepOutcome
from pytest_streamstress.history.store import HistoryError, RunResults, ScenarioResult, read_run
from pytest_streamstress.model import ClusterChoice, Status

RESTORE_RECORD: Final = "restore.json"
"""What deploy writes before its first patch (cluster/deploy.py); the first step's copy is the bisect's."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StepCommand:
    """What every step's pytest gets besides the commit: the passthrough options."""

    component: str
    scenario: str
    retries: int
    cluster: ClusterChoice
    components_config: Path | None = None
    kubeconfig: Path | None = None
    context: str = ""
    release_tests_dir: Path | None = None
    extra: tuple[str, ...] = ()
    pytest_cache: Path | None = None

    def argv(self, sha: str, results_dir: Path) -> list[str]:
        argv = [
            sys.executable,
            "-m",
            "pytest",
            "--streamstress",
            "--components",
            f"{self.component}:{sha}",
            "--results-dir",
            str(results_dir),
            "--gauge-retries",
            str(self.retries),
            "--cluster",
            self.cluster,
        ]
        if self.components_config is not None:
            argv += ["--components-config", str(self.components_config)]
        if self.kubeconfig is not None:
            argv += ["--kubeconfig", str(self.kubeconfig)]
        if self.context:
            argv += ["--context", self.context]
        if self.release_tests_dir is not None:
            argv += ["--release-tests-dir", str(self.release_tests_dir)]
        if self.pytest_cache is not None:
            # One cache for every step: the component's clone is fetched, never cloned again.
            argv += ["-o", f"cache_dir={self.pytest_cache}"]
        return [*argv, *self.extra, self.scenario]


@dataclass
class PytestStepRunner:
    """The real `StepRunner`: one streamstress session per commit, judged from its results.json."""

    command: StepCommand
    steps_dir: Path
    timeout: float
    cwd: Path | None = None
    env: Mapping[str, str] | None = None
    restore_copy: Path | None = None
    """Where to keep the first step's restore.json (the cluster's images before the bisect)."""
    _count: int = field(default=0, init=False)

    def run(self, sha: str) -> StepOutcome:
        self._count += 1
        results_dir = self.steps_dir / f"{sha[:12]}-{self._count}"
        if results_dir.exists():
            shutil.rmtree(results_dir)  # a leftover of a killed step must not be read as this one's results
        results_dir.mkdir(parents=True)
        log_path = results_dir / "pytest.log"
        done = _proc.run(
            self.command.argv(sha, results_dir),
            timeout=self.timeout,
            env=self.env,
            cwd=self.cwd,
            log_to=log_path,
            what=f"the bisect step at {sha[:12]}",
        )
        self._keep_restore_record(results_dir)
        return judge_step(
            results_dir / "results.json",
            component=self.command.component,
            scenario=self.command.scenario,
            exit_code=done.returncode,
            tail=done.tail(20),
            log_path=log_path,
        )

    def _keep_restore_record(self, results_dir: Path) -> None:
        record = results_dir / RESTORE_RECORD
        if self.restore_copy is not None and record.exists() and not self.restore_copy.exists():
            self.restore_copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(record, self.restore_copy)


def judge_step(
    results: Path,
    *,
    component: str,
    scenario: str,
    exit_code: int,
    tail: str = "",
    log_path: Path | None = None,
) -> StepOutcome:
    """Good, bad, or skip (the component did not build), from the step session's results.json."""
    if not results.exists():
        raise ToolFailed(
            f"the step session wrote no results.json (pytest exit code {exit_code}); last output:\n{tail}",
            hint="fix the problem shown above (options, components config, cluster access) and re-run:"
            " finished steps are kept" + (f"; full log: {log_path}" if log_path else ""),
            returncode=exit_code,
            log_path=log_path,
        )
    run = read_run(results)
    if run.status in ("error", "interrupted") and _scenario_in(run, scenario) is None:
        # The session broke before judging the scenario (internal error, collection error): no verdict.
        problems = "; ".join(message.splitlines()[0] for message in run.errors if message)
        raise ToolFailed(
            f"the step session ended with status {run.status} (pytest exit code {exit_code}) before"
            f" {scenario!r} ran" + (f": {problems}" if problems else "") + f"; last output:\n{tail}",
            hint="fix the problem above and re-run: finished steps are kept"
            + (f"; full log: {log_path}" if log_path else ""),
            returncode=exit_code,
            log_path=log_path,
        )
    return judge_document(run, component=component, scenario=scenario, results=results)


def judge_document(run: RunResults, *, component: str, scenario: str, results: Path) -> StepOutcome:
    """Pure over the read results.json: good, bad, or skip."""
    built = run.component(component)
    if built is not None and built.status == "failed":
        first = built.error.strip().splitlines()
        return StepOutcome.skip("build failed" + (f": {first[0]}" if first else ""))
    record = _scenario_in(run, scenario)
    if record is None:
        raise ConfigError(
            f"scenario {scenario!r} did not run in the step session",
            path=results,
            hint="pass the node id exactly as pytest shows it (`pytest --streamstress --collect-only -q`)",
        )
    tries = f" after {record.attempts} attempt(s)" if record.attempts else ""
    if record.status is Status.PASSED:
        return StepOutcome.passed("passed" + (" (flaky: passed on a retry)" if record.flaky else ""))
    if record.is_failing:
        message = record.message.strip().splitlines()
        return StepOutcome.failed(
            f"{record.status.value}{tries}" + (f": {message[0][:200]}" if message else "")
        )
    return StepOutcome.skip(f"scenario {record.status.value}: cannot judge this commit")


def _scenario_in(run: RunResults, scenario: str) -> ScenarioResult | None:
    """The scenario by node id or stable id, else the one node id that ends with it."""
    for record in run.scenarios:
        if scenario in (record.nodeid, record.key):
            return record
    matching = [r for r in run.scenarios if r.nodeid.endswith(scenario)]
    return matching[0] if len(matching) == 1 else None


# -- endpoints ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoints:
    good: str
    bad: str
    repo: str


def endpoints_from(args: argparse.Namespace, *, catalog_repo: str) -> Endpoints:
    """`--good/--bad`, or the component's commits recorded in `--good-run/--bad-run`."""
    good, bad, repo = args.good, args.bad, args.repo
    if args.good_run is not None:
        good_sha, _ = _commit_in_run(args.good_run, args.component, "--good-run")
        good = good or good_sha
    if args.bad_run is not None:
        bad_sha, bad_repo = _commit_in_run(args.bad_run, args.component, "--bad-run")
        bad = bad or bad_sha
        repo = repo or bad_repo
    if not good or not bad:
        raise ConfigError(
            "bisect needs a good and a bad commit",
            hint="give --good SHA --bad SHA, or --good-run/--bad-run with two results.json files",
        )
    return Endpoints(good=good, bad=bad, repo=repo or catalog_repo)


def _commit_in_run(path: Path, component: str, option: str) -> tuple[str, str]:
    try:
        run = read_run(path)
    except HistoryError as exc:
        raise ConfigError(
            f"{option}: cannot read {path}: {exc.reason}", hint="give a results.json of a run"
        ) from exc
    built = next((c for c in run.components if c.name == component and c.sha), None)
    if built is not None:
        return built.sha, built.repo
    raise ConfigError(
        f"{option}: {path} records no commit of {component!r}",
        hint=f"that run did not build {component} from source; give the commit with --good/--bad",
    )
