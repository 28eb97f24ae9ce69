"""Did the operator keep this run's images while the scenarios ran?

A second session's deploy or `--restore` on the same cluster, a person's `oc edit csv`, or OLM
upgrading the operator (a new CSV carries its own shipped images) can swap the images under a running
suite; the failures after that say nothing about this run's build, and filing them as upstream
regressions would blame upstream for a cluster someone else changed. Read once after the scenarios,
before any verdict is final, from the same two places the deploy wrote and verified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_streamstress.cluster.operator_env import current_values, deployment_values, find_operator
from pytest_streamstress.errors import NotFound
from pytest_streamstress.model import Deployment, DeployStatus

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster


@dataclass(frozen=True, slots=True, kw_only=True)
class Moved:
    """What changed the operator's images while the scenarios ran, and who can do that."""

    what: str
    by: str

    def __str__(self) -> str:
        return f"{self.what}: {self.by} changed the operator's images"


def images_moved(cluster: Cluster, deployment: Deployment) -> Moved | None:
    """None when the operator still carries every IMAGE_* value this run deployed; else what changed."""
    if deployment.status not in {DeployStatus.DEPLOYED, DeployStatus.NOOP}:
        return None
    expected = {r.env_var: str(r.expected) for r in deployment.running}
    if not expected:
        return None
    target = find_operator(cluster)
    before = deployment.cluster.operator_csv
    if before and target.csv != before:
        return _csv_changed(before, target.csv)
    places = {}
    if deployment.strategy != "deployment":  # the csv strategy and a no-op: the CSV holds the values
        places[f"CSV {target.csv}"] = current_values(cluster, target)
    places[f"Deployment {target.namespace}/{target.deployment}"] = deployment_values(cluster, target)
    return _first_change({where: expected for where in places}, places, "this run's {}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """The operator's images as a session that deploys nothing found them before its first scenario."""

    csv: str
    places: dict[str, dict[str, str]]
    """Where -> IMAGE_* -> image: the CSV and the operator Deployment."""


def snapshot(cluster: Cluster) -> Snapshot:
    """What a `--skip-deploy` session (a shard pod, a CI matrix job, a run of the cluster as it is)
    tests: read before the scenarios, compared after them by `moved_since`. No operator installed yet
    (auto-setup installs it during the first scenario's setup): an empty snapshot, nothing to compare."""
    try:
        target = find_operator(cluster)
    except NotFound:
        return Snapshot(csv="", places={})
    places = {
        f"CSV {target.csv}": current_values(cluster, target),
        f"Deployment {target.namespace}/{target.deployment}": deployment_values(cluster, target),
    }
    return Snapshot(
        csv=target.csv,
        places={where: {k: v for k, v in values.items() if v} for where, values in places.items()},
    )


def moved_since(cluster: Cluster, before: Snapshot) -> Moved | None:
    """None when the operator carries every IMAGE_* value it had in `before`; else what changed."""
    if not before.csv:
        return None  # nothing was installed yet: auto-setup installs what the scenarios then test
    now = snapshot(cluster)
    if not now.csv:
        return Moved(
            what=f"the operator (CSV {before.csv}) was uninstalled during the run",
            by="an uninstall scenario, another session or a person",
        )
    if now.csv != before.csv:
        return _csv_changed(before.csv, now.csv)
    return _first_change(before.places, now.places, "{} as when the scenarios started")


def _csv_changed(before: str, now: str) -> Moved:
    return Moved(
        what=f"the operator's CSV changed from {before} to {now} during the run",
        by="an OLM upgrade or a reinstall (the new CSV carries its own shipped images)",
    )


def _first_change(
    expected: Mapping[str, Mapping[str, str]], now: Mapping[str, Mapping[str, str | None]], was: str
) -> Moved | None:
    """The first place (CSV, Deployment) whose IMAGE_* values differ from `expected`; `was` words the
    expected image ("this run's {}")."""
    for where, values in expected.items():
        current = now.get(where, {})
        wrong = sorted(var for var, image in values.items() if current.get(var) != image)
        if wrong:
            more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
            return Moved(
                what=f"{where} now sets {wrong[0]}={_short(current.get(wrong[0]))}{more}, not"
                f" {was.format(_short(values[wrong[0]]))}",
                by="another session or a person",
            )
    return None


def _short(image: str | None) -> str:
    """An image reference with its digest cut to 12 hex digits: enough to tell two apart in a sentence."""
    if not image:
        return "(nothing)"
    name, at, digest = image.partition("@sha256:")
    return f"{name}@sha256:{digest[:12]}" if at and len(digest) > 12 else image
