"""`streamstress bisect`: find the upstream commit that broke one scenario, one build-deploy-test at a time.

This module is the command: its arguments, the commit list, and the report. It wires the engine
(`history/bisection.py`: halving, step cache, skip, confirmation) to the real `StepRunner`
(`bisect_step.py`: one `python -m pytest --streamstress --components <component>:<sha> <nodeid>`
session per step, judged from its results.json). It does not build, deploy or run Gauge itself:
every step is an ordinary streamstress session, so a step behaves exactly like the nightly run that
found the failure.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Final

from pytest_streamstress._infra import git as gitrepo
from pytest_streamstress.cli import bisect_step
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.history.bisection import (
    BisectResult,
    Step,
    StepCache,
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
    _check_scenario(args)
    ends = bisect_step.endpoints_from(args, catalog_repo=spec.repo)
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


def _check_scenario(args: argparse.Namespace) -> None:
    """--scenario names a scenario of the suite the steps will run, checked before anything is cloned
    or built: a typo used to surface in the first step's pytest log, after a whole build and deploy.
    Without a suite here (the steps clone release-tests themselves) the first step is the check."""
    from pytest_streamstress.errors import SpecSyntaxError
    from pytest_streamstress.gauge.parse.spec import parse_spec_file

    suite = args.release_tests_dir
    if suite is None and args.cluster == "emulated":
        from pytest_streamstress.testing.embedded import DEMO_SUITE

        suite = DEMO_SUITE
    if suite is None:
        return
    relpath, _, name = args.scenario.partition("::")
    spec_file = Path(suite) / relpath
    if not name or not spec_file.is_file():
        raise ConfigError(
            f"--scenario {args.scenario!r}: no spec file {relpath!r} in {suite}",
            hint="give the node id pytest prints for it: 'specs/<dir>/<file>.spec::<scenario heading>'",
        )
    try:
        headings = [scenario.heading for scenario in parse_spec_file(spec_file).scenarios]
    except SpecSyntaxError:
        return  # gauge rejects the spec; the step's run says where
    if name.partition("[")[0] not in headings:
        raise ConfigError(
            f"--scenario {args.scenario!r}: {relpath} has no scenario {name!r}",
            hint="its scenarios: " + "; ".join(headings),
        )


def _bisect(args: argparse.Namespace, commits: Sequence[str], path: Path, state_dir: Path) -> BisectResult:
    cache = StepCache(path, component=args.component, scenario=args.scenario, commits=commits)
    env = dict(os.environ)
    if args.kubeconfig is not None:
        # The scenario's own code (release-tests) finds the cluster through $KUBECONFIG.
        env["KUBECONFIG"] = str(args.kubeconfig.resolve())
    command = bisect_step.StepCommand(
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
    runner = bisect_step.PytestStepRunner(
        command=command,
        steps_dir=path.with_suffix("") / "steps",
        timeout=args.step_timeout,
        cwd=args.workdir,
        env=env,
        restore_copy=path.with_suffix("") / bisect_step.RESTORE_RECORD,
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
    record = path.with_suffix("") / bisect_step.RESTORE_RECORD
    if args.cluster == "emulated":
        _say("--restore: every step ran on its own emulated cluster; nothing to put back")
        return
    if not record.exists():
        _say("--restore: no step recorded the operator's images (nothing was deployed); nothing to put back")
        return
    from pytest_streamstress.cli._cluster_args import connect
    from pytest_streamstress.cluster.deploy import DeployParams
    from pytest_streamstress.cluster.restore import restore
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
