"""Copying a finished Job's results out of its pod log into a local directory, verified.

`collect_results` refuses a Job that is still running or has no pod left, extracts only regular
files inside the destination, and keeps the pod log (redacted) beside them.
"""

from __future__ import annotations

import io
import logging
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_streamstress.cluster.job.archive import ArchiveError, parse_archive
from pytest_streamstress.cluster.job.follow import read_log
from pytest_streamstress.cluster.job.state import JobState, require_job
from pytest_streamstress.errors import ClusterError, NotFound

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Collected:
    job: JobState
    dest: Path
    files: tuple[str, ...]
    size: int
    sha256: str
    exit_code: int | None


def collect_results(cluster: Cluster, namespace: str, name: str, dest: Path) -> Collected:
    """Copy the finished Job's results (verified) and its pod log into `dest`."""
    job = require_job(cluster, namespace, name)
    if job.phase in ("Pending", "Running"):
        raise ClusterError(
            f"Job {namespace}/{job.name} is still {job.phase.lower()}; its results are not final",
            hint=f"wait for it: `streamstress logs -f --namespace {namespace} {job.name}`",
        )
    if not job.pod:
        raise NotFound(
            f"Job {namespace}/{job.name} has no pod left to read results from",
            status=404,
            hint="the pod was deleted (Job TTL or manual delete); the results are gone",
        )
    archive = parse_archive(read_log(cluster, namespace, job.pod))
    files = extract_archive(archive.data, dest)
    (dest / "logs").mkdir(parents=True, exist_ok=True)
    (dest / "logs" / f"{job.pod}.log").write_text(
        cluster.redactor(archive.log_without_archive), encoding="utf-8"
    )
    log.info(
        "collected %d files (%d bytes) from %s/%s into %s",
        len(files),
        len(archive.data),
        namespace,
        job.pod,
        dest,
    )
    return Collected(
        job=job,
        dest=dest,
        files=tuple(files),
        size=len(archive.data),
        sha256=archive.sha256,
        exit_code=archive.exit_code,
    )


def extract_archive(data: bytes, dest: Path) -> list[str]:
    """Regular files only, each inside `dest`; checked before anything is written (no tar filter
    needed, so it behaves the same on every Python the package supports)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
        root = dest.resolve()
        for member in members:
            target = (root / member.name).resolve()
            if not member.isfile() or not target.is_relative_to(root) or target == root:
                raise ArchiveError(
                    f"the results archive holds an unsafe entry {member.name!r}; nothing extracted"
                )
        names: list[str] = []
        for member in members:
            source = tar.extractfile(member)
            if source is None:  # isfile() members always have content; keep mypy and tarfile agreeing
                continue
            target = root / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())
            names.append(member.name)
    return names
