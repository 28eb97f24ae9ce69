"""Build once, deploy once, per session, also under pytest-xdist (DESIGN "Shape").

Scenario items call `Phases.ready()` in their setup: the first call builds the requested components
and deploys them; later calls return the stored outcome or re-raise the stored failure, so a broken
build or deploy shows up as the same readable setup error on every item. Under xdist the workers
coordinate through a file lock in a directory named after xdist's `testrunuid` and share the
outcome as JSON (never a pickle, R27). The fixtures `streamstress_builds` and
`streamstress_deployment` expose the same values to users' own Python tests.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from .components import ComponentCatalog
from .errors import StreamstressError
from .model import (
    BuildResult,
    BuildStatus,
    BuiltImage,
    ClusterInfo,
    ComponentName,
    Deployment,
    DeployStatus,
    ImageRef,
    RunningImage,
    SourceCommit,
)
from .settings import Settings, is_worker

log = logging.getLogger(__name__)

PHASE_LOCK_TIMEOUT_S: Final = 6 * 3600.0
"""A worker waits at most this long for another worker's build and deploy (bounded, R17)."""


class PhaseFailed(StreamstressError):
    """Building or deploying failed; every scenario item errors at setup with this message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseOutcome:
    builds: tuple[BuildResult, ...]
    deployment: Deployment
    error: str = ""
    error_phase: str = ""


class Phases:
    """Holds the session's build and deploy outcome; registered as a plugin for its fixtures."""

    def __init__(self, config: pytest.Config, settings: Settings, catalog: ComponentCatalog) -> None:
        self.config = config
        self.settings = settings
        self.catalog = catalog
        self._outcome: PhaseOutcome | None = None

    # -- the fixtures -------------------------------------------------------------------------------

    @pytest.fixture(scope="session")
    def streamstress_builds(self) -> tuple[BuildResult, ...]:
        """The session's builds (built once, shared by every worker)."""
        return self.outcome().builds

    @pytest.fixture(scope="session")
    def streamstress_deployment(self) -> Deployment:
        """The session's deployment; errors the test at setup when build or deploy failed."""
        return self.ready()

    # -- the API items use --------------------------------------------------------------------------

    @property
    def outcome_if_run(self) -> PhaseOutcome | None:
        """The outcome if the phases already ran in this process (the Recorder reads it at the end)."""
        return self._outcome

    def ready(self) -> Deployment:
        """Run build and deploy if nobody did yet; raise `PhaseFailed` if either failed."""
        outcome = self.outcome()
        if outcome.error:
            raise PhaseFailed(f"{outcome.error_phase} failed, so this scenario did not run:\n{outcome.error}")
        return outcome.deployment

    def outcome(self) -> PhaseOutcome:
        if self._outcome is None:
            self._outcome = self._shared_outcome() if is_worker(self.config) else self._run_phases()
        return self._outcome

    # -- internals ----------------------------------------------------------------------------------

    def _shared_outcome(self) -> PhaseOutcome:
        from filelock import FileLock

        workerinput: dict[str, Any] = self.config.workerinput  # type: ignore[attr-defined]  # set by xdist
        shared = Path(tempfile.gettempdir()) / f"streamstress-{workerinput['testrunuid']}"
        shared.mkdir(parents=True, exist_ok=True)
        record = shared / "phases.json"
        with FileLock(str(shared / "phases.lock"), timeout=PHASE_LOCK_TIMEOUT_S):
            if record.exists():
                return outcome_from_json(json.loads(record.read_text(encoding="utf-8")))
            outcome = self._run_phases()
            tmp = record.with_suffix(".tmp")
            tmp.write_text(json.dumps(outcome_to_json(outcome)), encoding="utf-8")
            tmp.replace(record)
            return outcome

    def _run_phases(self) -> PhaseOutcome:
        settings = self.settings
        builds: tuple[BuildResult, ...] = ()
        if not settings.skip_build:
            return PhaseOutcome(
                builds=(),
                deployment=Deployment(status=DeployStatus.SKIPPED),
                error=(
                    "building components is not supported yet (issue #6); run with --skip-build"
                    " (and --skip-deploy) to test what the cluster runs now"
                ),
                error_phase="build",
            )
        if settings.skip_deploy:
            return PhaseOutcome(builds=builds, deployment=Deployment(status=DeployStatus.SKIPPED,
                                                                     message="--skip-deploy"))
        return PhaseOutcome(
            builds=builds,
            deployment=Deployment(status=DeployStatus.SKIPPED),
            error="deploying is not supported yet (issue #5); run with --skip-deploy",
            error_phase="deploy",
        )


phases_key: Final = pytest.StashKey[Phases]()


def phases_of(config: pytest.Config) -> Phases:
    return config.stash[phases_key]


# -- JSON for sharing between workers (and for --images-from) -------------------------------------------


def build_to_json(build: BuildResult) -> dict[str, Any]:
    return {
        "component": build.component,
        "repo": build.repo,
        "status": build.status.value,
        "source": None if build.source is None else {
            "sha": build.source.sha, "date": build.source.date, "subject": build.source.subject,
            "ref": build.source.ref,
        },
        "images": [{"name": i.name, "ref": i.ref, "env_vars": list(i.env_vars)} for i in build.images],
        "error": build.error,
        "log_path": None if build.log_path is None else str(build.log_path),
        "duration_s": build.duration_s,
    }


def build_from_json(data: dict[str, Any]) -> BuildResult:
    source = data.get("source")
    return BuildResult(
        component=ComponentName(data["component"]),
        repo=data["repo"],
        status=BuildStatus(data["status"]),
        source=None if source is None else SourceCommit(
            sha=source["sha"], date=source["date"], subject=source["subject"], ref=source.get("ref"),
        ),
        images=tuple(
            BuiltImage(name=i["name"], ref=ImageRef(i["ref"]), env_vars=tuple(i["env_vars"]))
            for i in data.get("images", [])
        ),
        error=data.get("error", ""),
        log_path=Path(data["log_path"]) if data.get("log_path") else None,
        duration_s=float(data.get("duration_s", 0.0)),
    )


def deployment_to_json(deployment: Deployment) -> dict[str, Any]:
    cluster = deployment.cluster
    return {
        "status": deployment.status.value,
        "strategy": deployment.strategy,
        "cluster": {
            "kind": cluster.kind, "server": cluster.server, "openshift_version": cluster.openshift_version,
            "operator_csv": cluster.operator_csv, "operator_version": cluster.operator_version,
        },
        "running": [
            {"component": r.component, "env_var": r.env_var, "expected": r.expected, "actual": r.actual,
             "where": r.where}
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
            RunningImage(component=ComponentName(r["component"]), env_var=r["env_var"],
                         expected=ImageRef(r["expected"]), actual=r["actual"], where=r["where"])
            for r in data.get("running", [])
        ),
        message=data.get("message", ""),
        restore_record=Path(data["restore_record"]) if data.get("restore_record") else None,
    )


def outcome_to_json(outcome: PhaseOutcome) -> dict[str, Any]:
    return {
        "builds": [build_to_json(b) for b in outcome.builds],
        "deployment": deployment_to_json(outcome.deployment),
        "error": outcome.error,
        "error_phase": outcome.error_phase,
        "written_at": time.time(),
    }


def outcome_from_json(data: dict[str, Any]) -> PhaseOutcome:
    return PhaseOutcome(
        builds=tuple(build_from_json(b) for b in data["builds"]),
        deployment=deployment_from_json(data["deployment"]),
        error=data.get("error", ""),
        error_phase=data.get("error_phase", ""),
    )
