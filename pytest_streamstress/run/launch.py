"""`--in-cluster` from a pytest session: the session's own options become the Job's pytest arguments.

Owns what a launch reads from the session: the option text the user gave (CLI first, then ini),
which options describe this machine rather than the run (`NOT_FORWARDED`), and which environment
variables travel with the Job. It builds a frozen `JobRequest` with the argv already built and
hands it to `cluster.job`, which never reads pytest's config or the option table (issue 17). On
the embedded emulator the session also waits for its Job and collects it (`follow_and_collect`):
the emulated cluster ends with the session that started it.

With `--shards N` (issue 23) the same launch makes one Indexed Job of the plan's N pods: pod i runs
`--shard=$(JOB_COMPLETION_INDEX)/N` with the launcher's plan in its environment (the Job's
ConfigMap), `--skip-deploy` (the launcher deployed once, so no shard touches the operator under
another shard's scenarios) and none of the once-per-run options (`SHARD_NOT_FORWARDED`).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pytest_streamstress._infra.heartbeat import DEFAULT_PACE, Heartbeat, Pace
from pytest_streamstress._infra.redact import Redactor, Secret
from pytest_streamstress.cluster.job.archive import ArchiveFilter
from pytest_streamstress.cluster.job.collect import Collected, collect_results
from pytest_streamstress.cluster.job.follow import LogFollower, pod_log_opener
from pytest_streamstress.cluster.job.image import resolve_job_image
from pytest_streamstress.cluster.job.launch import JobLaunch, launch_job
from pytest_streamstress.cluster.job.manifest import (
    BUILDS_ENV,
    CLAIM_ENV,
    DEFAULT_COMMAND,
    DEFAULT_DEADLINE_S,
    DEFAULT_GRACE_S,
    GRACE_MARGIN_S,
    POD_BUILDS_FILE,
    POD_RESULTS_DIR,
    JobRequest,
)
from pytest_streamstress.cluster.job.state import find_job, require_job, wait_for_pod, wait_on_job
from pytest_streamstress.options import OPTIONS, OPTIONS_BY_NAME
from pytest_streamstress.profile.shards import PLAN_ENV, ShardPlan
from pytest_streamstress.run.selection import selection_arguments, suite_relative_args

if TYPE_CHECKING:
    import pytest

    from pytest_streamstress.cluster.client import Cluster
    from pytest_streamstress.model import BuildResult
    from pytest_streamstress.options import Settings

__all__ = [
    "DEFAULT_DEADLINE_S",  # the Job's deadline: the emulated session waits for its Job as long as that
    "EMULATED_ENV",
    "EMULATED_MARK",
    "FORWARDED_ENV",
    "NOT_FORWARDED",
    "SECRET_ENV",
    "follow_and_collect",
    "launch_from_session",
    "option_arguments",
    "plugin_arguments",
]

FORWARDED_ENV: Final = ("GITHUB_REPOSITORY", "RUN_LABEL")
SECRET_ENV: Final = ("GITHUB_TOKEN", "GH_TOKEN")
"""Never on the command line: they travel in a Secret and reach the container by `secretKeyRef`."""
EMULATED_ENV: Final = ("GAUGE_STANDIN_OUTCOMES",)
"""With the embedded emulator the pod is a local process: it gets the stand-ins' settings too."""
EMULATED_MARK: Final = "STREAMSTRESS_EMULATED_CLUSTER"
"""Set in a Job pod launched on the emulated cluster: its run is labelled emulated like the launcher's."""

NOT_FORWARDED: Final = frozenset(
    {
        "in_cluster",
        "job_image",
        "job_namespace",
        "cluster",
        "kubeconfig",
        "context",
        "skip_build",
        "image",
        "images_from",
        "registry",
        "registry_insecure",
        "build_jobs",
        "build_timeout",
        "platform",
        "container_tool",
        "results_dir",
        "deploy_partial",
        "since_last_run",
        "clusters",
    }
)
"""Options that describe this machine, the build, or the launch itself; the Job gets its own values."""
SHARD_NOT_FORWARDED: Final = frozenset({"shards", "shard", "skip_deploy", "restore", "publish", "confirm"})
"""What a shard pod must not do on its own: the launcher deployed; restore and publish are once per run."""
INDEX_ARGUMENT: Final = "$(JOB_COMPLETION_INDEX)"
"""Expanded by the kubelet from the env the Job controller gives each pod of an Indexed Job."""


def option_arguments(raw: Mapping[str, Sequence[str]], *, skip: Collection[str]) -> list[str]:
    """The options the user gave, as `--flag=TEXT` (a switch as `--flag` when on), minus `skip`.

    The Job's pods and the sessions of `--clusters` repeat the session's option text this way, so
    nothing is re-rendered and a value means there what it meant here.
    """
    args: list[str] = []
    for name, values in raw.items():
        if name in skip or name == "streamstress":
            continue
        opt = OPTIONS_BY_NAME[name]
        if opt.switch:
            if values and values[-1].strip().lower() in ("1", "true", "yes", "on"):
                args.append(opt.flag)
            continue
        args += [f"{opt.flag}={value}" for value in values]
    return args


def plugin_arguments(
    raw: Mapping[str, Sequence[str]],
    images: Iterable[tuple[str, str]],
    *,
    shards: int = 1,
    builds_file: str = "",
    selection: Sequence[str] = (),
) -> list[str]:
    """The Job's pytest arguments: the session's own option text, `--skip-build` and the built images.

    `raw` maps option names to the text the user gave (CLI or ini), so nothing is re-rendered and a
    value means in the pod what it meant here. `shards` > 1: each pod runs its shard, deploys nothing.
    """
    skipped = NOT_FORWARDED | SHARD_NOT_FORWARDED if shards > 1 else NOT_FORWARDED
    args = ["--streamstress", *option_arguments(raw, skip=skipped)]
    args.append("--skip-build")
    if builds_file:
        args.append(f"--images-from={builds_file}")  # the builds with their commits (manifest.BUILDS_ENV)
    args += [f"--image={image}={ref}" for image, ref in images]
    args.append(f"--results-dir={POD_RESULTS_DIR}")
    if shards > 1:
        args += ["--skip-deploy", f"--shard={INDEX_ARGUMENT}/{shards}"]
    return [*args, *selection]  # -k, -m, node ids: the pod runs what this session was asked to


def raw_session_options(config: pytest.Config) -> dict[str, list[str]]:
    """CLI first, then ini, as `Settings.from_config` reads them (options.py, R26)."""
    raw: dict[str, list[str]] = {}
    for opt in OPTIONS:
        cli = config.getoption(opt.dest, default=None)
        if cli is not None:
            raw[opt.name] = ["true"] if opt.switch else (list(cli) if opt.multiple else [str(cli)])
            continue
        ini = config.getini(opt.ini)
        if ini is None or ini in ("", []):
            continue
        raw[opt.name] = [str(line) for line in ini] if opt.multiple else [str(ini)]
    return raw


def launch_from_session(
    config: pytest.Config,
    settings: Settings,
    builds: Sequence[BuildResult],
    *,
    cluster: Cluster,
    emulated: bool = False,
    environ: Mapping[str, str] | None = None,
    plan: ShardPlan | None = None,
    say: Callable[[str], object],
) -> JobLaunch:
    """`--in-cluster`: after the builds, launch the Job with the same options; the session then exits.

    With a `plan` of more than one shard: one Indexed Job, pod i runs shard i of that plan. Without
    `--job-image` the Job runs this release's image (`cluster.job.image`); `say` tells when that is
    the moving `:main` tag.
    """
    import os

    environ = os.environ if environ is None else environ
    # Builds that know their commit travel whole (--images-from in the pod); the others as --image.
    with_commits = [build for build in builds if build.source is not None and build.images]
    images = [(i.name, str(i.ref)) for build in builds if build not in with_commits for i in build.images]
    shipped = {i.name for build in with_commits for i in build.images} | {n for n, _ in images}
    images += [(name, ref) for name, ref in settings.image if name not in shipped]
    image = resolve_job_image(settings.job_image or ("streamstress:emulated" if emulated else ""))
    if image.note:
        say(image.note)
    command = (sys.executable, *DEFAULT_COMMAND[1:]) if emulated else DEFAULT_COMMAND
    raw = raw_session_options(config)
    env = [(key, environ[key]) for key in FORWARDED_ENV if environ.get(key)]
    if emulated:
        # `--cluster emulated` chose the bundled demo suite and the stand-ins' outcomes on this machine.
        if "release_tests_dir" not in raw and settings.release_tests_dir is not None:
            raw["release_tests_dir"] = [str(settings.release_tests_dir)]
        env += [(key, environ[key]) for key in EMULATED_ENV if environ.get(key)]
        env.append((EMULATED_MARK, "1"))  # so the pod's results.json says "emulated" too
    shards = plan.count if plan is not None else 1
    claim = config.pluginmanager.get_plugin("streamstress-claim")
    if shards > 1 and claim is not None:
        env.append((CLAIM_ENV, claim.identity))  # the pods carry this session's claim on (run/claim.py)
    request = JobRequest(
        namespace=settings.job_namespace,
        image=image.ref,
        command=command,
        plugin_args=tuple(
            plugin_arguments(
                raw,
                images,
                shards=shards,
                builds_file=POD_BUILDS_FILE if with_commits else "",
                selection=[*selection_arguments(config), *suite_relative_args(config)],
            )
        ),
        env=tuple(env),
        completions=shards,
        config_env=_config_env(plan if shards > 1 else None, with_commits, settings),
        secret_env=tuple((key, Secret(environ[key])) for key in SECRET_ENV if environ.get(key)),
        # A deleted pod must be able to finish --restore within --stop-timeout before SIGKILL.
        grace_s=max(DEFAULT_GRACE_S, math.ceil(settings.stop_timeout) + GRACE_MARGIN_S),
    )
    return launch_job(cluster, request)


def _config_env(
    plan: ShardPlan | None, builds: Sequence[BuildResult], settings: Settings
) -> tuple[tuple[str, str], ...]:
    """What the pods read from the Job's ConfigMap: the shard plan, and the builds with their commits."""
    from pytest_streamstress.history.store import handed_over_images
    from pytest_streamstress.report.results_json import components_list

    entries: list[tuple[str, str]] = []
    if plan is not None:
        entries.append((PLAN_ENV, json.dumps(plan.to_json())))
    if builds:
        entries.append(
            (
                BUILDS_ENV,
                json.dumps(
                    handed_over_images(
                        components_list(builds, settings.components, Redactor()), by="the launching session"
                    )
                ),
            )
        )
    return tuple(entries)


def follow_and_collect(
    cluster: Cluster,
    launch: JobLaunch,
    dest: Path,
    *,
    write: Callable[[str], object],
    timeout: float,
    pace: Pace = DEFAULT_PACE,
) -> Collected:
    """Show the Job's log until its pod ends, then collect its results (the embedded emulator's way:
    the emulated cluster ends with the session that started it, so that session waits for its Job).
    The waits before and after the log say what they wait for every `pace.every_s` (issue 22)."""
    from pytest_streamstress._infra.waits import DEFAULT_POLL_S, Probe

    namespace, name = launch.namespace, launch.name
    poll = min(DEFAULT_POLL_S, pace.poll_s)

    def beat(what: str) -> Heartbeat:
        return Heartbeat(write, what=what, bound=timeout, option="the Job's deadline", pace=pace)

    pod_beat = beat(f"the pod of Job {namespace}/{name}")
    state = wait_for_pod(cluster, namespace, name, timeout=timeout, progress=pod_beat, poll=poll)
    shown = ArchiveFilter(write)

    def pod_ended() -> bool:
        current = find_job(cluster, namespace, name)
        return current is None or current.pod_phase in ("Succeeded", "Failed")

    LogFollower(
        opener=pod_log_opener(cluster, namespace, state.pod), write=shown, is_finished=pod_ended
    ).run()
    shown.flush()

    def job_ended() -> Probe:
        current = require_job(cluster, namespace, name)
        return Probe(done=current.phase in ("Succeeded", "Failed"), state=f"job {current.phase}")

    ending = beat(f"Job {namespace}/{name} to finish")
    what = f"Job {namespace}/{name} not finished"
    wait_on_job(cluster, namespace, name, job_ended, what=what, timeout=timeout, poll=poll, progress=ending)
    return collect_results(cluster, namespace, name, dest)
