"""What the controller and its xdist workers share for one run: a directory, once-only steps, JSON.

The controller makes the directory before xdist starts workers and names it in the environment
(`STREAMSTRESS_SHARED_DIR`), so every worker finds it. A step that must run once (auto-setup, the
deploy) runs under a file lock in it, and its value or error is stored there as JSON (never a
pickle, R27): the first worker computes, the others read.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from pytest_streamstress.build.reuse import result_from_json, result_to_json
from pytest_streamstress.errors import StreamstressError
from pytest_streamstress.model import (
    BuildResult,
    ClusterInfo,
    ComponentName,
    Deployment,
    DeployStatus,
    ImageRef,
    RunningImage,
)
from pytest_streamstress.options import is_worker

SHARED_DIR_ENV: Final = "STREAMSTRESS_SHARED_DIR"
"""Set by the controller before xdist starts workers: the directory they coordinate in."""
PHASE_LOCK_TIMEOUT_S: Final = 6 * 3600.0
"""A worker waits at most this long for another worker's build and deploy (bounded, R17)."""
OUTCOME_FILE: Final = "phases.json"


class PhaseFailed(StreamstressError):
    """Building or deploying failed; every scenario item errors at setup with this message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseOutcome:
    builds: tuple[BuildResult, ...]
    deployment: Deployment
    error: str = ""
    error_phase: str = ""


def shared_dir(config: pytest.Config) -> Path:
    """The run's directory shared by the controller and its xdist workers (made on first use)."""
    path = os.environ.get(SHARED_DIR_ENV, "")
    if not path:
        workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
        suffix = workerinput["testrunuid"] if workerinput else f"{os.getpid()}"
        path = str(Path(tempfile.gettempdir()) / f"streamstress-{suffix}")
        if not is_worker(config):
            os.environ[SHARED_DIR_ENV] = path
    Path(path).mkdir(parents=True, exist_ok=True)
    return Path(path)


def stored_outcome(shared: Path) -> PhaseOutcome | None:
    """The outcome a worker shared, if one did."""
    record = shared / OUTCOME_FILE
    if not record.is_file():
        return None
    return outcome_from_json(json.loads(record.read_text(encoding="utf-8")))


def run_once(shared: Path | None, name: str, compute: Callable[[], str]) -> str:
    """Run `compute` in one worker only; the others wait for its value (or its error)."""
    if shared is None:
        return compute()
    from filelock import FileLock

    stored = shared / f"{name}.json"
    with FileLock(str(shared / f"{name}.lock"), timeout=PHASE_LOCK_TIMEOUT_S):
        if stored.exists():
            data = json.loads(stored.read_text(encoding="utf-8"))
            if data.get("error"):
                raise PhaseFailed(data["error"])
            return str(data["value"])
        try:
            value = compute()
        except StreamstressError as exc:
            stored.write_text(json.dumps({"error": str(exc)}), encoding="utf-8")
            raise
        stored.write_text(json.dumps({"value": value}), encoding="utf-8")
        return value


def finish_once(shared: Path | None, make: Callable[[], PhaseOutcome]) -> PhaseOutcome:
    """The outcome every worker shares: the first worker to get here makes it (e.g. deploys)."""
    if shared is None:
        return make()
    from filelock import FileLock

    record = shared / OUTCOME_FILE
    with FileLock(str(shared / "phases.lock"), timeout=PHASE_LOCK_TIMEOUT_S):
        if record.exists():
            return outcome_from_json(json.loads(record.read_text(encoding="utf-8")))
        outcome = make()
        tmp = record.with_suffix(".tmp")
        tmp.write_text(json.dumps(outcome_to_json(outcome)), encoding="utf-8")
        tmp.replace(record)
        return outcome


def deployment_to_json(deployment: Deployment) -> dict[str, Any]:
    cluster = deployment.cluster
    return {
        "status": deployment.status.value,
        "strategy": deployment.strategy,
        "cluster": {
            "kind": cluster.kind,
            "server": cluster.server,
            "openshift_version": cluster.openshift_version,
            "operator_csv": cluster.operator_csv,
            "operator_version": cluster.operator_version,
        },
        "running": [
            {
                "component": r.component,
                "env_var": r.env_var,
                "expected": r.expected,
                "actual": r.actual,
                "where": r.where,
            }
            for r in deployment.running
        ],
        "message": deployment.message,
        "restore_record": None if deployment.restore_record is None else str(deployment.restore_record),
    }


def deployment_from_json(data: dict[str, Any]) -> Deployment:
    cluster = data.get("cluster", {"kind": "none"})
    return Deployment(
        status=DeployStatus(data["status"]),
        strategy=data.get("strategy", ""),
        cluster=ClusterInfo(**cluster),
        running=tuple(
            RunningImage(
                component=ComponentName(r["component"]),
                env_var=r["env_var"],
                expected=ImageRef(r["expected"]),
                actual=r["actual"],
                where=r["where"],
            )
            for r in data.get("running", [])
        ),
        message=data.get("message", ""),
        restore_record=Path(data["restore_record"]) if data.get("restore_record") else None,
    )


def outcome_to_json(outcome: PhaseOutcome) -> dict[str, Any]:
    return {
        "builds": [result_to_json(b) for b in outcome.builds],
        "deployment": deployment_to_json(outcome.deployment),
        "error": outcome.error,
        "error_phase": outcome.error_phase,
        "written_at": time.time(),
    }


def outcome_from_json(data: dict[str, Any]) -> PhaseOutcome:
    return PhaseOutcome(
        builds=tuple(result_from_json(b) for b in data["builds"]),
        deployment=deployment_from_json(data["deployment"]),
        error=data.get("error", ""),
        error_phase=data.get("error_phase", ""),
    )
