"""`streamstress bisect`: find the upstream commit that broke one scenario, one build-deploy-test at a time.

This module wires the engine (`bisect.py`: halving, step cache, skip, confirmation) to the real
`StepRunner`: a `python -m pytest --streamstress --components <component>:<sha> <nodeid>` session
per step, started through `_proc` (STYLE R15), whose results.json says pass, fail or error for
the scenario; a build failure of the component makes the step a skip, as `git bisect skip`.
It does not build, deploy or run Gauge itself: every step is an ordinary streamstress session,
so a step behaves exactly like the nightly run that found the failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Final

from pytest_streamstress._infra import git as gitrepo
from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.errors import ConfigError, ToolFailed
from pytest_streamstress.history.bisection import (
    BisectResult,
    Step,
    StepCache,
    StepOutcome,
    cache_path,
    commits_between,
    describe_steps,
    run_bisect,
)

log = logging.getLogger(__name__)

HELP: Final = (
    "Find the upstream commit that broke a scenario: build, deploy and test halfway, until one is left"
)
DEFAULT_STEP_TIMEOUT_S: Final = 4 * 3600.0
"""One step is a whole build + deploy + one scenario (with retries) on a real cluster."""
GIT_TIMEOUT_S: Final = 600.0
RESTORE_RECORD: Final = "restore.json"
"""What deploy writes before its first patch (cluster/deploy.py); the first step's copy is the bisect's."""
_SLUG_KEEP: Final = "abcdefghijklmnopqrstuvwxyz0123456789-_."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--component", required=True, help="Component to bisect, e.g. 'pipeline'")
    parser.add_argument(
        "--scenario",
        required=True,
        metavar="NODEID",
        help="The scenario's pytest node id, e.g. 'specs/pipelines/run.spec::Run sample: X-01-TC01'",
    )
    parser.add_argument("--good", default="", metavar="SHA", help="A commit where the scenario passes")
    parser.add_argument("--bad", default="", metavar="SHA", help="A later commit where it fails")
    parser.add_argument(
        "--good-run",
        type=Path,
        default=None,
        metavar="RESULTS_JSON",
        help="Take the good commit from this run's results.json",
    )
    parser.add_argument(
        "--bad-run",
        type=Path,
        default=None,
        metavar="RESULTS_JSON",
        help="Take the bad commit from this run's results.json",
    )
    parser.add_argument(
        "--repo",
        default="",
        help="Git URL or path (a mirror of the repository the steps build from) to list the commits from"
        " (default: the repo recorded in --bad-run, else the component's repo in components.toml)",
    )
    parser.add_argument(
        "--source-dir",
        type=Path,
        default=None,
        help="Use this existing clone to list the commits (fetched from its origin as needed)",
    )
    parser.add_argument(
        "--components-config",
        type=Path,
        default=None,
        help="components.toml passed to every step (default: the shipped one)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=1,
        metavar="N",
        help="Re-run a failing scenario up to N times in each step before calling the commit bad"
        " (rules out flakes; default 1)",
    )
    parser.add_argument(
        "--cluster",
        choices=("kubeconfig", "emulated"),
        default="kubeconfig",
        help="Passed to every step: a real cluster through the kubeconfig, or the emulator",
    )
    parser.add_argument("--kubeconfig", type=Path, default=None, help="Kubeconfig passed to every step")
    parser.add_argument("--context", default="", help="Kubeconfig context passed to every step")
    parser.add_argument(
        "--release-tests-dir", type=Path, default=None, help="Release-tests checkout passed to every step"
    )
    parser.add_argument(
        "--pytest-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="Extra argument for every step's pytest (repeatable), e.g. --pytest-arg=--gauge-env=ci",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".streamstress-bisect"),
        help="Where step results and the resumable step cache live (default: .streamstress-bisect)",
    )
    parser.add_argument(
        "--step-timeout",
        type=float,
        default=DEFAULT_STEP_TIMEOUT_S,
        help="Seconds one build-deploy-test step may take",
    )
    parser.add_argument("--no-confirm", action="store_true", help="Do not re-run the culprit's parent")
    parser.add_argument(
        "--restore",
        action="store_true",
        help="When done, put back the operator images the cluster ran before the first step",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="Directory each step's pytest runs in (default: the current one)",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class StepCommand:
    """What every step's pytest gets besides the commit: the passthrough options."""

    component: str
    scenario: str
    retries: int
    cluster: str
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
    """Pure over the results.json document: good, bad, or skip (the component did not build)."""
    if not results.exists():
        raise ToolFailed(
            f"the step session wrote no results.json (pytest exit code {exit_code}); last output:\n{tail}",
            hint="fix the problem shown above (options, components config, cluster access) and re-run:"
            " finished steps are kept" + (f"; full log: {log_path}" if log_path else ""),
            returncode=exit_code,
            log_path=log_path,
        )
    doc = json.loads(results.read_text(encoding="utf-8"))
    if doc.get("status") in ("error", "interrupted") and _scenario_record(doc, scenario) is None:
        # The session broke before judging the scenario (internal error, collection error): no verdict.
        problems = "; ".join(str(e.get("message", "")).splitlines()[0] for e in doc.get("errors", []) if e)
        raise ToolFailed(
            f"the step session ended with status {doc.get('status')} (pytest exit code {exit_code}) before"
            f" {scenario!r} ran" + (f": {problems}" if problems else "") + f"; last output:\n{tail}",
            hint="fix the problem above and re-run: finished steps are kept"
            + (f"; full log: {log_path}" if log_path else ""),
            returncode=exit_code,
            log_path=log_path,
        )
    return judge_document(doc, component=component, scenario=scenario, results=results)


def judge_document(doc: Mapping[str, Any], *, component: str, scenario: str, results: Path) -> StepOutcome:
    built = next((c for c in doc.get("components", []) if c.get("name") == component), None)
    if built is not None and built.get("status") == "failed":
        first = str(built.get("error", "")).strip().splitlines()
        return StepOutcome.skip("build failed" + (f": {first[0]}" if first else ""))
    record = _scenario_record(doc, scenario)
    if record is None:
        raise ConfigError(
            f"scenario {scenario!r} did not run in the step session",
            path=results,
            hint="pass the node id exactly as pytest shows it (`pytest --streamstress --collect-only -q`)",
        )
    status = record.get("status")
    attempts = record.get("attempts")
    tries = f" after {attempts} attempt(s)" if attempts else ""
    if status == "passed":
        return StepOutcome.passed("passed" + (" (flaky: passed on a retry)" if record.get("flaky") else ""))
    if status in ("failed", "error"):
        message = str(record.get("message", "")).strip().splitlines()
        return StepOutcome.failed(f"{status}{tries}" + (f": {message[0][:200]}" if message else ""))
    return StepOutcome.skip(f"scenario {status}: cannot judge this commit")


def _scenario_record(doc: Mapping[str, Any], scenario: str) -> Mapping[str, Any] | None:
    records = list(doc.get("scenarios", []))
    for record in records:
        if scenario in (record.get("nodeid"), record.get("id")):
            return dict(record)
    matching = [r for r in records if str(r.get("nodeid", "")).endswith(scenario)]
    if len(matching) == 1:
        return dict(matching[0])
    return None


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
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{option}: cannot read {path}: {exc}", hint="give a results.json of a run"
        ) from exc
    for entry in doc.get("components", []):
        if entry.get("name") == component:
            sha = (entry.get("commit") or {}).get("sha", "")
            if sha:
                return str(sha), str(entry.get("repo", ""))
    raise ConfigError(
        f"{option}: {path} records no commit of {component!r}",
        hint=f"that run did not build {component} from source; give the commit with --good/--bad",
    )


# -- the command -------------------------------------------------------------------------------------


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    # `kill` (SIGTERM) must stop the running step too: as KeyboardInterrupt, `_proc` kills its process group.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main else None
    try:
        return _run(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _run(args: argparse.Namespace) -> int:
    from filelock import FileLock, Timeout

    from pytest_streamstress.components import load_catalog

    if args.retries < 0:
        raise ConfigError(f"--retries: {args.retries} is negative", hint="give 0 or more")
    catalog = load_catalog(args.components_config)
    if args.component not in catalog.names:
        raise ConfigError(
            f"--component: unknown component {args.component!r}; known: {', '.join(catalog.names)}"
        )
    spec = catalog[args.component]
    ends = endpoints_from(args, catalog_repo=spec.repo)
    state_dir = args.state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    sources = state_dir / "sources"
    clone_dir = args.source_dir.resolve() if args.source_dir else gitrepo.clone_dir_for(sources, ends.repo)
    git = gitrepo.Git(url=ends.repo, clone_dir=clone_dir, timeout=GIT_TIMEOUT_S, log_to=state_dir / "git.log")
    if args.source_dir is not None:
        origin = git.run(
            "config", "--get", "remote.origin.url", what="reading the clone's origin", check=False
        )
        git = gitrepo.Git(
            url=origin.stdout.strip() or ends.repo,
            clone_dir=clone_dir,
            timeout=GIT_TIMEOUT_S,
            log_to=state_dir / "git.log",
        )
    with gitrepo.locked(clone_dir, timeout=GIT_TIMEOUT_S):
        commits = commits_between(git, ends.good, ends.bad, default_branch=spec.default_branch)
    path = cache_path(state_dir, args.component, commits[0], commits[-1])
    try:
        with FileLock(str(path) + ".lock", timeout=0):
            result = _bisect(args, commits, path, state_dir)
    except Timeout:
        raise ConfigError(
            f"another bisect is using {path}", hint="wait for it, or give this one its own --state-dir"
        ) from None
    _report(result, git)
    if args.restore:
        _restore(args, path)
    return 0 if result.culprit is not None else 1


def _bisect(args: argparse.Namespace, commits: Sequence[str], path: Path, state_dir: Path) -> BisectResult:
    cache = StepCache(path, component=args.component, scenario=args.scenario, commits=commits)
    env = dict(os.environ)
    if args.kubeconfig is not None:
        # The scenario's own code (release-tests) finds the cluster through $KUBECONFIG.
        env["KUBECONFIG"] = str(args.kubeconfig.resolve())
    command = StepCommand(
        component=args.component,
        scenario=args.scenario,
        retries=args.retries,
        cluster=args.cluster,
        components_config=args.components_config.resolve() if args.components_config else None,
        kubeconfig=args.kubeconfig.resolve() if args.kubeconfig else None,
        context=args.context,
        release_tests_dir=args.release_tests_dir.resolve() if args.release_tests_dir else None,
        extra=tuple(args.pytest_arg),
        pytest_cache=state_dir / "pytest-cache",
    )
    runner = PytestStepRunner(
        command=command,
        steps_dir=path.with_suffix("") / "steps",
        timeout=args.step_timeout,
        cwd=args.workdir,
        env=env,
        restore_copy=path.with_suffix("") / RESTORE_RECORD,
    )
    size = len(commits) - 1
    _say(
        f"bisect: {args.component} {commits[0][:12]}..{commits[-1][:12]}: {size} commit(s) may be the"
        f" first bad one; about {max(1, (size - 1).bit_length())} step(s) plus one confirmation"
    )
    _say(f"bisect: state in {path}")
    counter = {"n": 0}

    def on_step(step: Step, lo: int, hi: int) -> None:
        counter["n"] += 1
        origin = " (cached)" if step.cached else ""
        what = "confirm parent" if step.kind == "confirm" else "step"
        left = f"; {hi - lo} candidate(s) left" if step.kind == "step" else ""
        _say(
            f"bisect: {what} {counter['n']}: {step.sha[:12]} {step.verdict.value}{origin}"
            f" in {step.duration_s:.1f}s{left}" + (f" ({step.detail})" if step.detail else "")
        )

    return run_bisect(
        commits,
        component=args.component,
        scenario=args.scenario,
        runner=runner,
        cache=cache,
        confirm=not args.no_confirm,
        on_step=on_step,
    )


def _report(result: BisectResult, git: gitrepo.Git) -> None:
    from pytest_streamstress.history.culprits import compare_url

    _say("")
    if result.culprit is not None:
        commit = gitrepo.describe(git, result.culprit, ref=None)
        author = git.run(
            "show", "-s", "--format=%an", result.culprit, what="reading the author"
        ).stdout.strip()
        confirmed = "confirmed: its parent passes" if result.is_confirmed else "NOT confirmed"
        _say(f"culprit: {commit.sha} ({confirmed})")
        _say(f"  {commit.date} {author}: {commit.subject}")
        parent = result.commits[result.commits.index(result.culprit) - 1]
        url = compare_url(git.url, parent, result.culprit)
        if url:
            _say(f"  {url}")
    else:
        _say("culprit: not found; the first bad commit is one of:")
        for sha in result.suspects:
            _say(f"  {sha}")
    for note in result.notes:
        _say(f"note: {note}")
    cached = len(result.steps) - result.new_steps
    _say(
        f"steps: {len(result.steps)} ({result.bisect_steps} bisect, "
        f"{len(result.steps) - result.bisect_steps} confirmation; {cached} from the cache)"
        f" over a range of {result.range_size} commit(s)"
    )
    _say(f"time spent: {result.time_spent_s:.1f}s in steps ({result.wall_s:.1f}s in this invocation)")
    for line in describe_steps(result.steps):
        _say(line)


def _restore(args: argparse.Namespace, path: Path) -> None:
    record = path.with_suffix("") / RESTORE_RECORD
    if args.cluster == "emulated":
        _say("--restore: every step ran on its own emulated cluster; nothing to put back")
        return
    if not record.exists():
        _say("--restore: no step recorded the operator's images (nothing was deployed); nothing to put back")
        return
    from pytest_streamstress.cli._cluster_args import connect
    from pytest_streamstress.cluster.deploy import DeployParams, restore
    from pytest_streamstress.components import load_catalog

    connect_args = argparse.Namespace(kubeconfig=args.kubeconfig, context=args.context, api_timeout=30.0)
    cluster = connect(connect_args)
    try:
        restore(
            cluster,
            record,
            load_catalog(args.components_config),
            DeployParams(deploy_timeout=900.0, record_dir=path.parent),
            say=lambda text: _say(f"  .. {text}"),
        )
    finally:
        cluster.close()
    _say("--restore: the operator images from before the bisect are back")
