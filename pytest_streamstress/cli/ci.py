"""`streamstress ci`: one idempotent step of the three-phase CI run, decided from the cluster's state.

Every trigger of `.github/workflows/streamstress.yml` runs this same command. `ci.decide` (pure)
picks the step from the newest Job; this module carries it out and writes the GitHub job summary
(`$GITHUB_STEP_SUMMARY`, else stdout): launch (optionally building first through
`pytest --streamstress --in-cluster`), report "in progress", or collect + publish + mark the Job
`streamstress.io/published` so the next trigger starts a new run.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Final

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.cli._cluster_args import connect, option_default, option_help
from pytest_streamstress.cli.ci_plan import (
    Action,
    JobView,
    PublishedView,
    decide,
    in_progress_summary,
    launched_summary,
    published_summary,
)
from pytest_streamstress.cli.status import add_job_arguments
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.job.archive import ArchiveError
from pytest_streamstress.cluster.job.collect import collect_results
from pytest_streamstress.cluster.job.image import resolve_job_image
from pytest_streamstress.cluster.job.launch import launch_job
from pytest_streamstress.cluster.job.manifest import (
    DEFAULT_COMMAND,
    DEFAULT_DEADLINE_S,
    POD_RESULTS_DIR,
    JobRequest,
)
from pytest_streamstress.cluster.job.shards import collect_and_merge, indexed_completions
from pytest_streamstress.cluster.job.state import JobState, find_job, list_jobs, mark_published
from pytest_streamstress.errors import ConfigError, StreamstressError
from pytest_streamstress.options import parse_size

HELP: Final = "One idempotent CI step: launch the Job, report progress, or collect and publish its results"
BUILD_TIMEOUT_S: Final = 4 * 3600.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_job_arguments(parser, with_name=False)  # ci always works on the newest Job
    parser.add_argument(
        "--job-image",
        default=os.environ.get("STREAMSTRESS_JOB_IMAGE", ""),
        metavar="IMAGE",
        help="Container image of the Job (default $STREAMSTRESS_JOB_IMAGE, else this release's image by"
        " digest; from a source checkout the moving :main image)",
    )
    parser.add_argument(
        "--job-command",
        default=shlex.join(DEFAULT_COMMAND),
        metavar="CMD",
        help="The Job container's command (default: the plugin's entry point)",
    )
    parser.add_argument(
        "--deadline",
        type=int,
        default=DEFAULT_DEADLINE_S,
        metavar="SECONDS",
        help="activeDeadlineSeconds of the Job (default 3 hours)",
    )
    parser.add_argument(
        "--cluster-admin",
        action="store_true",
        help="Also bind cluster-admin to the Job's ServiceAccount (admin scenarios need it)",
    )
    parser.add_argument(
        "--build",
        action="store_true",
        help="Build the components here first (pytest --streamstress --in-cluster), then launch",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=Path("streamstress-results"),
        metavar="DIR",
        help="Where collected runs go, one folder per Job (default ./streamstress-results)",
    )
    parser.add_argument(
        "--publish-repo",
        default=None,
        metavar="URL",
        help="Git remote of the dashboard (default: GitHub's GITHUB_REPOSITORY); none skips publish",
    )
    parser.add_argument(
        "--publish-branch",
        default=option_default("publish_branch"),
        metavar="NAME",
        help=option_help("publish_branch"),
    )
    parser.add_argument(
        "--label",
        default=os.environ.get("RUN_LABEL", ""),
        help="Label of this run on the dashboard (default: $RUN_LABEL)",
    )
    parser.add_argument(
        "--history-budget",
        type=parse_size,
        default=option_default("history_budget"),
        metavar="SIZE",
        help=option_help("history_budget"),
    )
    parser.add_argument(
        "--summary",
        type=Path,
        default=None,
        metavar="PATH",
        help="Markdown summary file (default $GITHUB_STEP_SUMMARY, else stdout)",
    )
    parser.add_argument(
        "plugin_args",
        nargs=argparse.REMAINDER,
        metavar="-- PYTEST_ARGS",
        help="Options for the run in the Job, e.g. -- --components pipeline --gauge-tags e2e",
    )


def _view(job: JobState | None) -> JobView | None:
    if job is None:
        return None
    return JobView(
        namespace=job.namespace,
        name=job.name,
        phase=job.phase,
        pod=job.pod,
        pod_phase=job.pod_phase,
        message=job.message,
        published=job.published,
        sharded=job.sharded,
    )


def run(args: argparse.Namespace) -> int:
    plugin_args = list(args.plugin_args)
    if plugin_args[:1] == ["--"]:
        plugin_args = plugin_args[1:]
    cluster = connect(args)
    try:
        decision = decide(_view(find_job(cluster, args.namespace)))
        sys.stdout.write(f"streamstress ci: {decision.action.value}: {decision.reason}\n")
        if decision.action is Action.WAIT:
            assert decision.job is not None
            _summary(args, in_progress_summary(decision.job))
            return 0
        if decision.action is Action.LAUNCH:
            name = _launch(args, cluster, plugin_args)
            sys.stdout.write(f"Job launched: {args.namespace}/{name}\n")
            _summary(args, launched_summary(args.namespace, name, decision.reason))
            return 0
        assert decision.job is not None
        return _collect_and_publish(args, cluster, decision.job)
    finally:
        cluster.close()


def _launch(args: argparse.Namespace, cluster: Cluster, plugin_args: list[str]) -> str:
    image = resolve_job_image(args.job_image)
    if image.note:
        sys.stdout.write(image.note + "\n")
    if args.build:
        return _build_and_launch(args, cluster, plugin_args, image=image.ref)
    if any(arg.startswith("--shards") for arg in plugin_args):
        raise ConfigError(
            "streamstress ci: --shards needs --build: the plugin collects the suite to make the shard plan",
            hint="add --build (with --skip-build after -- to reuse images), or drop --shards",
        )
    request = JobRequest(
        namespace=args.namespace,
        image=image.ref,
        command=tuple(shlex.split(args.job_command)),
        plugin_args=("--streamstress", *plugin_args, "--skip-build", f"--results-dir={POD_RESULTS_DIR}"),
        env=(("RUN_LABEL", args.label),) if args.label else (),
        deadline_s=args.deadline,
        cluster_admin=args.cluster_admin,
    )
    return launch_job(cluster, request).name


def _build_and_launch(
    args: argparse.Namespace, cluster: Cluster, plugin_args: list[str], *, image: str
) -> str:
    """Builds need the whole session machinery: run the plugin itself with --in-cluster.

    It runs in an empty directory, so that no pytest configuration of the current directory (this
    repository's own test suite, for one) is collected alongside the release-tests.
    """
    access = [f"--kubeconfig={args.kubeconfig.resolve()}"] if args.kubeconfig else []
    access += [f"--context={args.context}"] if args.context else []
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--streamstress",
        "--in-cluster",
        f"--job-image={image}",
        f"--job-namespace={args.namespace}",
        *access,
        *plugin_args,
    ]
    before = {job.name for job in list_jobs(cluster, args.namespace)}
    with tempfile.TemporaryDirectory(prefix="streamstress-ci-") as temp:
        _proc.run(
            argv,
            timeout=BUILD_TIMEOUT_S,
            cwd=Path(temp),
            log_to=Path(temp) / "build.log",
            redactor=cluster.redactor,
            what="pytest --streamstress --in-cluster",
            check=True,
        )
    launched = [job for job in list_jobs(cluster, args.namespace) if job.name not in before]
    if not launched:
        raise StreamstressError(
            "the build-and-launch session ended without launching a Job",
            hint="run `pytest --streamstress --in-cluster ...` by hand to see why",
        )
    return launched[0].name


def _collect_and_publish(args: argparse.Namespace, cluster: Cluster, job: JobView) -> int:
    dest = args.results / job.name
    shards = indexed_completions(cluster, job.namespace, job.name)
    if shards:  # an Indexed Job (--shards, issue 23): every shard, merged into one run, published once
        merged = collect_and_merge(cluster, job.namespace, job.name, shards, dest)
        for shard in merged.shards:
            sys.stdout.write(shard.line + "\n")
        sys.stdout.write(f"merged {len(merged.shards)} shards ({merged.scenarios} scenarios) into {dest}\n")
    else:
        try:
            collected = collect_results(cluster, job.namespace, job.name, dest)
        except ArchiveError as exc:
            sys.stderr.write(f"streamstress ci: collecting {job.namespace}/{job.name} failed: {exc}\n")
            return 1
        sys.stdout.write(
            f"collected {len(collected.files)} files ({collected.size} bytes, checksum verified)"
            f" into {dest}\n"
        )
    from pytest_streamstress.history.store import read_results

    record = read_results(dest / "results.json")
    view = PublishedView(
        run_id=record.summary.run_id,
        counts=record.summary.counts,
        categories=record.summary.categories,
        results_dir=str(dest),
    )
    view = _publish(args, cluster, dest, view)
    mark_published(cluster, job.namespace, job.name, view.commit[:12] or "collected")
    _summary(args, published_summary(job, view))
    return 0


def _publish(args: argparse.Namespace, cluster: Cluster, dest: Path, view: PublishedView) -> PublishedView:
    try:
        from pytest_streamstress.report.publish import default_repo, publish_run, token_from_env
    except ImportError:  # the publish module is optional in a trimmed install
        return _replace(view, skipped_reason="pytest_streamstress.report.publish is not available")
    repo = args.publish_repo if args.publish_repo is not None else default_repo(os.environ)
    if not repo:
        return _replace(view, skipped_reason="no --publish-repo and no GITHUB_REPOSITORY")
    token = token_from_env(os.environ)
    if token:
        cluster.redactor.add(token)
    with tempfile.TemporaryDirectory(prefix="streamstress-publish-") as temp:
        result = publish_run(
            dest,
            repo=repo,
            branch=args.publish_branch,
            label=args.label,
            token=token,
            budget=args.history_budget,
            work_dir=Path(temp),
            redactor=cluster.redactor,
        )
    verb = "already published" if result.already_published else "published"
    sys.stdout.write(
        f"{verb} {result.run_id} to {cluster.redactor(result.repo)} ({result.branch})"
        f" at {result.commit[:12]}\n"
    )
    return _replace(view, pages_url=result.pages_url, commit=result.commit)


def _replace(
    view: PublishedView, *, skipped_reason: str = "", pages_url: str = "", commit: str = ""
) -> PublishedView:
    return dataclasses.replace(view, skipped_reason=skipped_reason, pages_url=pages_url, commit=commit)


def _summary(args: argparse.Namespace, markdown: str) -> None:
    target = args.summary or (
        Path(os.environ["GITHUB_STEP_SUMMARY"]) if os.environ.get("GITHUB_STEP_SUMMARY") else None
    )
    if target is None:
        sys.stdout.write(markdown + "\n")
        return
    with target.open("a", encoding="utf-8") as out:
        out.write(markdown + "\n")
