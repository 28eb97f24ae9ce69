"""The operator's IMAGE_* variables: where they live, how to read them, how to change them.

The installed CSV comes from the Subscription's `status.installedCSV` (never a name guess). The
values live in the lifecycle container of the CSV's deployment spec (OLM rolls the operator when
it changes) and, after a fallback, in the operator Deployment itself (OLM keeps that edit until the
next CSV change; reference §5). Writes are read-modify-replace, re-read on 409 boundedly (R19).
`operator_runs_values` is the probe that proves the running operator pod got them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pytest_streamstress._infra.waits import Probe
from pytest_streamstress.cluster import images as img
from pytest_streamstress.cluster import resources as r
from pytest_streamstress.errors import ClusterError, Conflict, NotFound

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)

CONFLICT_RETRIES: Final = 20
"""Read-modify-write attempts on 409 before giving up (R19: bounded)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorTarget:
    """Where the IMAGE_* variables live: the CSV and the Deployment it owns."""

    csv: str
    namespace: str
    deployment: str
    openshift_version: str
    operator_version: str


def find_operator(cluster: Cluster) -> OperatorTarget:
    """The installed CSV from the Subscription's status (never a name guess) and the versions."""
    sub = cluster.get_custom(
        r.OLM_GROUP, r.OLM_VERSION, r.SUBSCRIPTIONS, r.SUBSCRIPTION_NAME, r.OPERATOR_NAMESPACE
    )
    csv_name = ""
    namespace = r.OPERATOR_NAMESPACE
    if sub is not None:
        csv_name = str((sub.get("status") or {}).get("installedCSV") or "")
    if not csv_name:
        csvs = cluster.list_custom(r.OLM_GROUP, r.OLM_VERSION, r.CSVS, r.OPERATOR_NAMESPACE)
        names = [
            c["metadata"]["name"]
            for c in csvs
            if c["metadata"]["name"].startswith(r.PACKAGE + ".")
            and "olm.copiedFrom" not in (c["metadata"].get("labels") or {})
        ]
        if len(names) != 1:
            raise NotFound(
                f"no installed OpenShift Pipelines operator: Subscription {r.OPERATOR_NAMESPACE}/"
                f"{r.SUBSCRIPTION_NAME} has no installedCSV and {len(names)} {r.PACKAGE} CSVs were found",
                hint="install it (drop --no-auto-setup, or run `streamstress check --fix`)",
            )
        csv_name = names[0]
    csv = cluster.get_custom(r.OLM_GROUP, r.OLM_VERSION, r.CSVS, csv_name, namespace)
    if csv is None:
        raise NotFound(f"CSV {namespace}/{csv_name} named by the Subscription does not exist")
    version = str(csv.get("spec", {}).get("version", ""))
    return OperatorTarget(
        csv=csv_name,
        namespace=namespace,
        deployment=r.OPERATOR_DEPLOYMENT,
        openshift_version=openshift_version(cluster),
        operator_version=version,
    )


def openshift_version(cluster: Cluster) -> str:
    """ClusterVersion `version`'s `status.desired.version`: the one field the operator reads
    (tektoncd/operator pkg/reconciler/openshift/common/common_utils.go:33-42); "" when absent."""
    version = cluster.get_custom(*r.CLUSTERVERSION)
    if version is None:
        return ""
    return str(((version.get("status") or {}).get("desired") or {}).get("version") or "")


def _lifecycle_container(deployment_spec: dict[str, Any], what: str) -> dict[str, Any]:
    for container in deployment_spec.get("template", {}).get("spec", {}).get("containers", []):
        if container.get("name") == r.LIFECYCLE_CONTAINER:
            return dict(container)
    raise ClusterError(
        f"{what} has no container {r.LIFECYCLE_CONTAINER}",
        hint="is this the OpenShift Pipelines operator (reference §5.1)?",
    )


def _csv_deployment(csv: dict[str, Any], name: str) -> dict[str, Any]:
    install = csv.get("spec", {}).get("install", {})
    entries: list[dict[str, Any]] = install.get("spec", {}).get("deployments", [])
    for entry in entries:
        if entry.get("name") == name:
            return entry  # the CSV's own dict: edits change the CSV body
    raise ClusterError(f"CSV {csv['metadata']['name']} has no deployment {name} in spec.install")


def current_values(cluster: Cluster, target: OperatorTarget) -> dict[str, str | None]:
    """IMAGE_* values of the lifecycle container as the CSV declares them."""
    return csv_images(cluster, target).current


@dataclass(frozen=True, slots=True, kw_only=True)
class CsvImages:
    """The CSV's IMAGE_* variables as set now, and the images its bundle ships for them (one read)."""

    current: dict[str, str | None]
    shipped: dict[str, str]
    """IMAGE_* name -> image, from `spec.relatedImages`: the bundle names each related image after its
    variable (reference §5.1) and a patch of the variables leaves that list alone, so it still says what
    the operator shipped when an earlier run left its own images in the variables."""


def csv_images(cluster: Cluster, target: OperatorTarget) -> CsvImages:
    csv = cluster.get_custom(r.OLM_GROUP, r.OLM_VERSION, r.CSVS, target.csv, target.namespace)
    if csv is None:
        raise NotFound(f"CSV {target.namespace}/{target.csv} disappeared")
    entry = _csv_deployment(csv, target.deployment)
    related = (csv.get("spec") or {}).get("relatedImages") or []
    return CsvImages(
        current=img.env_values(_lifecycle_container(entry.get("spec", {}), f"CSV {target.csv}")),
        shipped={
            str(entry["name"]): str(entry["image"])
            for entry in related
            if isinstance(entry, Mapping)
            and str(entry.get("name", "")).startswith("IMAGE_")
            and entry.get("image")
        },
    )


def deployment_values(cluster: Cluster, target: OperatorTarget) -> dict[str, str | None]:
    """IMAGE_* values of the lifecycle container in the operator Deployment: what the operator pod gets
    (OLM writes the CSV's values here; the `deployment` strategy writes its own)."""
    what = f"Deployment {target.namespace}/{target.deployment}"
    deployment = cluster.call(
        f"get {what}", cluster.apps.read_namespaced_deployment, target.deployment, target.namespace
    )
    body = dict(cluster.api_client.sanitize_for_serialization(deployment))
    return img.env_values(_lifecycle_container(body.get("spec", {}), what))


def _set_lifecycle_env(pod_spec: dict[str, Any], values: Mapping[str, str | None]) -> bool:
    changed = False
    for container in pod_spec["containers"]:
        if container.get("name") == r.LIFECYCLE_CONTAINER:
            changed = img.set_env(container, values) or changed
    return changed


def _replace_until_applied(
    what: str,
    read: Callable[[], dict[str, Any]],
    edit: Callable[[dict[str, Any]], bool],
    write: Callable[[dict[str, Any]], object],
) -> bool:
    """Read, edit, replace; on 409 read again and reapply, boundedly (R19). False: nothing to change."""
    for _attempt in range(CONFLICT_RETRIES):
        body = read()
        if not edit(body):
            return False
        try:
            write(body)
            return True
        except Conflict:
            log.info("%s changed meanwhile (409); reading again", what)
    raise Conflict(
        f"{what} kept changing: {CONFLICT_RETRIES} conflicts in a row",
        hint="something else is editing it (an upgrade?); try again later",
    )


def patch_csv(cluster: Cluster, target: OperatorTarget, values: Mapping[str, str | None]) -> bool:
    """Set the variables in the CSV's deployment spec (OLM then rolls the operator)."""
    what = f"CSV {target.namespace}/{target.csv}"

    def read() -> dict[str, Any]:
        csv = cluster.get_custom(r.OLM_GROUP, r.OLM_VERSION, r.CSVS, target.csv, target.namespace)
        if csv is None:
            raise NotFound(f"{what} disappeared")
        return csv

    def edit(csv: dict[str, Any]) -> bool:
        entry = next(
            e for e in csv["spec"]["install"]["spec"]["deployments"] if e.get("name") == target.deployment
        )
        return _set_lifecycle_env(entry["spec"]["template"]["spec"], values)

    def write(csv: dict[str, Any]) -> object:
        return cluster.call(
            f"replace {what}",
            cluster.custom.replace_namespaced_custom_object,
            r.OLM_GROUP,
            r.OLM_VERSION,
            target.namespace,
            r.CSVS,
            target.csv,
            csv,
        )

    return _replace_until_applied(what, read, edit, write)


def patch_deployment(cluster: Cluster, target: OperatorTarget, values: Mapping[str, str | None]) -> bool:
    """Set the variables on the operator Deployment directly; OLM keeps this until the next CSV change."""
    what = f"Deployment {target.namespace}/{target.deployment}"

    def read() -> dict[str, Any]:
        deployment = cluster.call(
            f"get {what}", cluster.apps.read_namespaced_deployment, target.deployment, target.namespace
        )
        return dict(cluster.api_client.sanitize_for_serialization(deployment))

    def write(body: dict[str, Any]) -> object:
        return cluster.call(
            f"replace {what}",
            cluster.apps.replace_namespaced_deployment,
            target.deployment,
            target.namespace,
            body,
        )

    return _replace_until_applied(
        what, read, lambda body: _set_lifecycle_env(body["spec"]["template"]["spec"], values), write
    )


def _operator_pods(cluster: Cluster, target: OperatorTarget) -> list[dict[str, Any]]:
    deployment = cluster.call(
        f"get deployment {target.namespace}/{target.deployment}",
        cluster.apps.read_namespaced_deployment,
        target.deployment,
        target.namespace,
    )
    selector = ",".join(f"{k}={v}" for k, v in (deployment.spec.selector.match_labels or {}).items())
    pods = cluster.call(
        f"list operator pods ({selector})",
        cluster.core.list_namespaced_pod,
        target.namespace,
        label_selector=selector,
    )
    return [cluster.api_client.sanitize_for_serialization(p) for p in pods.items]


def operator_runs_values(cluster: Cluster, target: OperatorTarget, values: Mapping[str, str | None]) -> Probe:
    """Do all live operator pods run the lifecycle container with these values (and are they Ready)?"""
    pods = [p for p in _operator_pods(cluster, target) if not p["metadata"].get("deletionTimestamp")]
    if not pods:
        return Probe(done=False, state="no operator pod")
    for pod in pods:
        container = next(
            (c for c in pod["spec"]["containers"] if c.get("name") == r.LIFECYCLE_CONTAINER), None
        )
        if container is None:
            return Probe(done=False, state=f"pod {pod['metadata']['name']} has no {r.LIFECYCLE_CONTAINER}")
        env = img.env_values(container)
        wrong = [name for name, value in values.items() if env.get(name) != value]
        if wrong:
            return Probe(
                done=False,
                state=f"operator pod {pod['metadata']['name']} still has old {wrong[0]}"
                + (f" (+{len(wrong) - 1} more)" if len(wrong) > 1 else ""),
            )
        ready = next(
            (
                s.get("ready")
                for s in pod.get("status", {}).get("containerStatuses", []) or []
                if s.get("name") == r.LIFECYCLE_CONTAINER
            ),
            False,
        )
        if not ready:
            return Probe(done=False, state=f"operator pod {pod['metadata']['name']} not ready")
    return Probe(done=True, state="operator runs the new values")
