"""What a stop leaves of a run, for results.json: a signal's cut phases, and pytest's own early stop.

A signal cuts `Phases` before they return an outcome; without this an interrupted run wrote
`components: []` and `deploy: not-run`, although components had been built and the operator
patched. The session collects each build as it ends (`SoFar.builds`); this module turns
that, and the phase the signal cut, into the outcome results.json reports (docs/signals.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import pytest

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

IN_CLUSTER: Final = "the in-cluster run"
"""The stage of a launcher once its Job is launched (`SoFar.stage`)."""
CLAIMING: Final = "cluster claim"
"""A session waiting for another run to let the cluster go (run/claim.py)."""
UPSTREAM_RERUNS: Final = "confirm"
RESTORING: Final = "confirm restore"
SHIPPED_RERUNS: Final = "confirm on shipped"
REDEPLOY: Final = "confirm redeploy"
"""Where `--confirm` (run/confirm.py) is when a signal stops the run."""
_IN_WORDS: Final = {
    CLAIMING: "while waiting for another regression run to let the cluster go",
    "cluster access": "while connecting to the cluster",
    "auto-setup": "during auto-setup",
    "build": "during the build",
    "deploy": "during the deploy",
    IN_CLUSTER: "while the in-cluster Job ran",
    UPSTREAM_RERUNS: "during the --confirm reruns on the upstream images",
    RESTORING: "while --confirm put the operator's shipped images on",
    SHIPPED_RERUNS: "during the --confirm reruns on the shipped images (the operator runs them now)",
    REDEPLOY: "while --confirm put this run's images back (the operator may run some of each)",
}


def early_stop(stop: BaseException, *, pytest_says: str, signal: str) -> str:
    """pytest's words when it ended the test loop itself (`-x`, `--maxfail`, `--sw`); "" for a stop
    by a person or a signal. Such a run is not interrupted (nobody pressed Ctrl-C) and not a pass
    either: the scenarios after the stop never ran (report/verdict.py files it incomplete).

    `pytest_says` is `session.shouldfail or session.shouldstop` (a serial run raises Session.Failed
    or Session.Interrupted with it); xdist's controller raises its own Interrupted with the words.
    """
    if signal:
        return ""
    if isinstance(stop, pytest.Session.Failed | pytest.Session.Interrupted):
        return pytest_says
    if type(stop).__module__ == "xdist.dsession" and "keyboard-interrupt" not in str(stop):
        return str(stop)  # "stopping after 1 failures"; a worker's Ctrl-C says "received keyboard-interrupt"
    return ""


def stopped_during(stage: str) -> str:
    """The verdict's words for the stage a stop cut ("during the build"); "" for the tests or none."""
    return _IN_WORDS.get(stage, "")


@dataclass(slots=True)
class SoFar:
    """What the phases of this process have done so far; `Phases` updates it as they go (the one
    mutable record here: a stop signal can come between any two of its updates)."""

    stage: str = ""
    """The phase running: "cluster access", "auto-setup", "build", "deploy", IN_CLUSTER, "tests"."""
    builds: list[BuildResult] = field(default_factory=list)
    """Each build as it ends (build threads append; the build step's return replaces the list)."""
    deployed: Deployment | None = None
    """The deploy, once it finished: a launcher stopped while its Job runs still reports it."""


def left_by_a_stop(
    so_far: SoFar,
    *,
    requested: Sequence[ComponentSpec],
    settings: Settings,
    cluster: ClusterInfo,
    redactor: Redactor,
) -> PhaseOutcome:
    """The builds that ended, every other requested component as `not-built`, and the deploy's state."""
    stage, ended, deployed = so_far.stage, tuple(so_far.builds), so_far.deployed
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
    deployment = deployed or _deployment(stage, settings, cluster)
    return PhaseOutcome(builds=(*ended, *unbuilt), deployment=deployment)


def _deployment(stage: str, settings: Settings, cluster: ClusterInfo) -> Deployment:
    if stage == IN_CLUSTER:
        return Deployment(
            status=DeployStatus.SKIPPED,
            cluster=cluster,
            message="not deployed by this session: the in-cluster Job deploys; on a real cluster it runs"
            " on, and `streamstress status` and `streamstress collect` show how far it got",
        )
    if stage != "deploy":
        return Deployment(
            status=DeployStatus.SKIPPED,
            cluster=cluster,
            message=f"not deployed: the run stopped during {stage}",
        )
    back = (
        "--restore puts the recorded ones back (deploy.restore says whether it did)"
        if settings.restore
        else f"`streamstress restore {settings.results_dir}` puts the recorded ones back"
    )
    return Deployment(
        status=DeployStatus.INTERRUPTED,
        cluster=cluster,
        message=f"a stop signal cut the deploy: the operator may carry some of the new images; {back}",
    )


def after_a_confirm_stop(deployment: Deployment, stage: str, settings: Settings) -> Deployment:
    """A stop while `--confirm` had put the operator's shipped images on, or was putting this run's
    back, leaves the operator so: results.json says it beside the deploy, which itself happened.
    With `--restore` the stop's own restore puts back what the operator ran before the session."""
    if settings.restore or stage not in {RESTORING, SHIPPED_RERUNS, REDEPLOY}:
        return deployment
    back = f"`streamstress restore {settings.results_dir}` puts back what it ran before this run"
    if stage == REDEPLOY:
        now = (
            "a stop signal cut --confirm while it put this run's images back: the operator may run some"
            f" of each; {back} (with --shipped: its shipped images)"
        )
    else:
        now = (
            "a stop signal came while --confirm had put the operator's shipped images on: the operator"
            f" runs its shipped images now, not this run's; {back}"
        )
    message = f"{deployment.message}; {now}" if deployment.message else now
    return dataclasses.replace(deployment, message=message)
