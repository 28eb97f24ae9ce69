"""The operands: the installer sets that re-create them, and what their workloads run now.

Deleting a component's TektonInstallerSets makes the operator re-create its operands with the new
images (reference §6). `workload_state` reads the workloads (Deployments, or the StatefulSets
`statefulset-ordinals` makes of them) and pods and hands them to the pure
`deploy_plan.verify_workloads`; `diagnose` says in words what is not ready when a wait gives up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pytest_streamstress.cluster import resources as r
from pytest_streamstress.cluster.deploy_plan import ImageChange, sets_belonging_to, verify_workloads
from pytest_streamstress.errors import ClusterError, NotFound
from pytest_streamstress.model import ComponentSpec, RunningImage

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)


def list_installer_sets(cluster: Cluster) -> list[dict[str, Any]]:
    return cluster.list_custom(r.TEKTON_GROUP, r.TEKTON_VERSION, r.INSTALLERSETS)


def installer_sets_of(cluster: Cluster, components: Iterable[ComponentSpec]) -> list[str]:
    """Names of the installer sets that belong to these components, read from the cluster now."""
    return sets_belonging_to(list_installer_sets(cluster), components)


def delete_installer_sets(cluster: Cluster, names: Iterable[str]) -> None:
    for name in names:
        try:
            cluster.call(
                f"delete tektoninstallerset {name}",
                cluster.custom.delete_cluster_custom_object,
                r.TEKTON_GROUP,
                r.TEKTON_VERSION,
                r.INSTALLERSETS,
                name,
            )
        except NotFound:
            log.info("installer set %s already gone", name)


def workload_state(
    cluster: Cluster, namespace: str, changes: Sequence[ImageChange]
) -> tuple[list[RunningImage], list[str]]:
    names = {c.deployment for c in changes if c.deployment}
    workloads: dict[str, dict[str, Any]] = {}
    statefulsets = _statefulsets(cluster, namespace)
    for name in names:
        found = read_workload(cluster, namespace, name, statefulsets)
        if found is not None:
            workloads[name] = found
    pods = cluster.call(f"list pods in {namespace}", cluster.core.list_namespaced_pod, namespace)
    pod_dicts = [cluster.api_client.sanitize_for_serialization(p) for p in pods.items]
    return verify_workloads(changes, workloads, pod_dicts)


def _statefulsets(cluster: Cluster, namespace: str) -> dict[str, dict[str, Any]]:
    """The namespace's StatefulSets by name, listed once (one request whatever the operands)."""
    listed = cluster.call(
        f"list statefulsets in {namespace}", cluster.apps.list_namespaced_stateful_set, namespace
    )
    found: dict[str, dict[str, Any]] = {}
    for item in listed.items:
        obj: dict[str, Any] = cluster.api_client.sanitize_for_serialization(item)
        obj["kind"] = "StatefulSet"  # list items carry no kind
        found[item.metadata.name] = obj
    return found


def read_workload(
    cluster: Cluster, namespace: str, name: str, statefulsets: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    """The Deployment of that name, else the StatefulSet the operator made of it with
    `statefulset-ordinals` (tektoncd/operator tektonpipeline/transform.go:98-103); None when neither."""
    try:
        obj = cluster.call(
            f"get deployment {namespace}/{name}", cluster.apps.read_namespaced_deployment, name, namespace
        )
    except NotFound:
        return statefulsets.get(name)
    found: dict[str, Any] = cluster.api_client.sanitize_for_serialization(obj)
    found["kind"] = "Deployment"  # the typed client drops kind on a single read
    return found


def diagnose(
    cluster: Cluster, namespace: str, changes: Sequence[ImageChange], problems: Sequence[str]
) -> str:
    """What is not ready, in words a QE engineer can act on (issue 5 item 3)."""
    lines: list[str] = []
    config = cluster.get_custom(r.TEKTON_GROUP, r.TEKTON_VERSION, r.TEKTONCONFIGS, r.TEKTONCONFIG_NAME)
    if config is None:
        lines.append("TektonConfig config: does not exist")
    else:
        lines.append("TektonConfig config: " + r.describe_conditions(config))
    for problem in problems:
        lines.append(f"- {problem}")
    try:
        pods = cluster.call(f"list pods in {namespace}", cluster.core.list_namespaced_pod, namespace)
        for pod in pods.items:
            for status in pod.status.container_statuses or []:
                waiting = status.state.waiting if status.state is not None else None
                if waiting is not None and waiting.reason:
                    lines.append(
                        f"- pod {pod.metadata.name} container {status.name}: {waiting.reason}"
                        f" (image {status.image}){': ' + waiting.message if waiting.message else ''}"
                    )
        events = cluster.call(
            f"list events in {namespace}",
            cluster.core.list_namespaced_event,
            namespace,
            field_selector="type=Warning",
        )
        warnings = sorted(events.items, key=lambda e: str(e.last_timestamp or e.event_time or ""))[-5:]
        for event in warnings:
            involved = event.involved_object
            lines.append(f"- Warning {event.reason} {involved.kind}/{involved.name}: {event.message}")
    except ClusterError as exc:
        lines.append(f"(could not read pods/events: {exc})")
    lines.append(
        f"Operator log: oc logs -n {r.OPERATOR_NAMESPACE} deploy/{r.OPERATOR_DEPLOYMENT}"
        f" -c {r.LIFECYCLE_CONTAINER}"
    )
    return "\n".join(lines)
