"""What a stop signal leaves of the build and deploy phases, for results.json.

A signal cuts `Phases` before they return an outcome; without this an interrupted run wrote
`components: []` and `deploy: not-run`, although components had been built and the operator
patched. The session collects each build as it ends (`Phases.builds_so_far`); this module turns
that, and the phase the signal cut, into the outcome results.json reports (docs/signals.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.model import (
    BuildResult,
    BuildStatus,
    ClusterInfo,
    ComponentSpec,
    Deployment,
    DeployStatus,
)
from pytest_streamstress.options import Settings
from pytest_streamstress.run.shared import PhaseOutcome


def left_by_a_stop(
    *,
    stage: str,
    ended: Sequence[BuildResult],
    requested: Sequence[ComponentSpec],
    settings: Settings,
    cluster: ClusterInfo,
    redactor: Redactor,
) -> PhaseOutcome:
    """The builds that ended, every other requested component as `not-built`, and the deploy's state."""
    done = {b.component for b in ended}
    unbuilt = tuple(
        BuildResult(
            component=spec.name,
            repo=redactor(spec.repo),
            status=BuildStatus.NOT_BUILT,
            error=f"not built: the run stopped during {stage}",
        )
        for spec in requested
        if spec.name not in done
    )
    return PhaseOutcome(builds=(*ended, *unbuilt), deployment=_deployment(stage, settings, cluster))


def _deployment(stage: str, settings: Settings, cluster: ClusterInfo) -> Deployment:
    if stage != "deploy":
        return Deployment(
            status=DeployStatus.SKIPPED,
            cluster=cluster,
            message=f"not deployed: the run stopped during {stage}",
        )
    back = (
        "--restore put the recorded ones back (see its lines above)"
        if settings.restore
        else f"`streamstress restore {settings.results_dir}` puts the recorded ones back"
    )
    return Deployment(
        status=DeployStatus.INTERRUPTED,
        cluster=cluster,
        message=f"a stop signal cut the deploy: the operator may carry some of the new images; {back}",
    )
