"""Every option checked before any work starts: one message naming the option, the value and the fix.

Runs once at session start on the controller, after the option values are parsed and before the
suite is cloned or anything is built (issue 22): the results folder is writable; the kubeconfig and
its context, and whether the API answers within 5 s, when the run needs the cluster at all; and, for
`--in-cluster` without `--job-image`, that the release's recorded job image is readable (issue 23).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_streamstress.cluster.job.image import RECORD, resolve_job_image
from pytest_streamstress.errors import ClusterError, ConfigError
from pytest_streamstress.options import Settings


def needs_cluster(settings: Settings) -> bool:
    """A run that neither builds to nor deploys on a cluster needs none (asked by the checks and `Phases`)."""
    if settings.in_cluster:
        return True
    return not (settings.skip_deploy and (settings.skip_build or settings.registry))


def check_cluster(settings: Settings) -> None:
    """`--kubeconfig`/`--context` usable and the API answering, else one UsageError."""
    if settings.cluster == "emulated" or not needs_cluster(settings):
        return
    if settings.kubeconfig is not None and not settings.kubeconfig.is_file():
        raise pytest.UsageError(
            f"--kubeconfig: {settings.kubeconfig} does not exist or is not a file; pass the kubeconfig of"
            " the cluster to test, or use --cluster emulated"
        )
    from pytest_streamstress.cluster.access import Access
    from pytest_streamstress.cluster.preflight import check_reachable

    access = Access(
        kubeconfig=settings.kubeconfig, context=settings.context, request_timeout=settings.api_timeout
    )
    try:
        check_reachable(access)
    except ClusterError as exc:
        where = "--kubeconfig/--context" if settings.kubeconfig or settings.context else "the cluster"
        raise pytest.UsageError(f"{where}: {exc}") from None


def check_job_image(settings: Settings, *, record: Path = RECORD) -> None:
    """A broken recorded job image fails here, naming the file, not after hours of building."""
    if not settings.in_cluster or settings.job_image or settings.cluster == "emulated":
        return
    try:
        resolve_job_image(settings.job_image, record=record)
    except ConfigError as exc:
        raise pytest.UsageError(f"--job-image not given and the release's default is broken: {exc}") from None


def check_results_dir(settings: Settings) -> None:
    """`--results-dir` is a folder this process can write, else one UsageError.

    Checked first: a file there (a typo, or the results.json path itself) used to end the run with an
    INTERNALERROR traceback from the emulator's upstream checkouts, and a folder nobody may write
    would lose the run's results at its very end, after hours of work."""
    folder = settings.results_dir
    if folder.exists() and not folder.is_dir():
        raise pytest.UsageError(
            f"--results-dir {folder}: is a file, not a folder; give a folder (it is created when missing)"
        )
    _writable(folder, "--results-dir", "a folder you can write, e.g. --results-dir=./results")


def check_history_dir(settings: Settings) -> None:
    """`--history` is a history store this run can join, or a folder to start one in, else one UsageError.

    The run is filed into the history at its end; before, a file or a wrong folder there was only a
    log warning nobody saw, and the night was quietly neither compared nor kept."""
    folder = settings.history
    if folder is None:
        return
    fix = (
        "give the history folder (runs/<id>/results.json, e.g. a checkout of the published site) or a new one"
    )
    if folder.exists() and not folder.is_dir():
        raise pytest.UsageError(f"--history {folder}: is a file, not a folder; {fix}")
    shown = [entry for entry in folder.iterdir() if not entry.name.startswith(".")] if folder.is_dir() else []
    if shown and not (folder / "runs").is_dir():
        raise pytest.UsageError(
            f"--history {folder}: holds files but no runs/ folder, so it is not a history; {fix}"
        )
    _writable(folder, "--history", "a folder you can write")


def _writable(folder: Path, option: str, advice: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".streamstress-write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise pytest.UsageError(
            f"{option} {folder}: cannot write there ({exc.strerror or exc}); give {advice}"
        ) from None
