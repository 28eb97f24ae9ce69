"""Auto-setup of a bare cluster, idempotent: registry route, image namespace and pull RBAC, operator.

`check` only reads and says, per item, ok / missing / wrong and what `--fix` would do; `ensure`
fixes what is missing and then waits (by watch) for the operator's CSV to succeed and TektonConfig
to exist, which the original tool never waited for (reference §12.1, §13.10). Running `ensure`
twice changes nothing the second time: every write is preceded by a read that proves it is needed.

Which bound waits for TektonConfig Ready (issue 19): setup's own `timeout` (`--setup-timeout`) when
setup installed the operator (its first reconcile is part of the install) or when `wait_ready`
asks for it (nothing waits later, e.g. `--skip-deploy`); otherwise the deploy waits for Ready after
its image swap, under `--deploy-timeout`, and an operator that is never Ready is the deploy's
error, not a setup timeout.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_streamstress._infra.waits import Probe, Wakeup, wait_until
from pytest_streamstress.cluster import resources as r
from pytest_streamstress.cluster.watchers import WatchSet
from pytest_streamstress.errors import ClusterError, NotFound

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


class ItemStatus(enum.Enum):
    OK = "ok"
    MISSING = "missing"
    WRONG = "wrong"


@dataclass(frozen=True, slots=True, kw_only=True)
class SetupParams:
    channel: str = "latest"
    source: str = "redhat-operators"
    target_namespace: str = "openshift-pipelines"
    timeout: float = 600.0
    wait_ready: bool = True
    """Wait for TektonConfig Ready even when the operator was installed already (nothing waits later)."""
    timeout_option: str = "--setup-timeout"
    """The option that sets `timeout`, named when the wait gives up."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckItem:
    name: str
    status: ItemStatus
    detail: str
    fix: str = ""
    """What `--fix` does about it; empty when nothing can be done automatically."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetupReport:
    items: tuple[CheckItem, ...]
    registry_host: str = ""
    csv: str = ""
    changed: tuple[str, ...] = field(default=())
    """What `ensure` created or patched; empty on a second run."""

    @property
    def ok(self) -> bool:
        return all(item.status is ItemStatus.OK for item in self.items)


# -- reading ------------------------------------------------------------------------------------------


def _registry_item(cluster: Cluster) -> tuple[CheckItem, str]:
    config = cluster.get_custom(*r.REGISTRY_CONFIG)
    if config is None:
        return CheckItem(
            name="image registry",
            status=ItemStatus.WRONG,
            detail="configs.imageregistry.operator.openshift.io/cluster not found",
            fix="",
        ), ""
    spec = config.get("spec") or {}
    problems = _registry_patch(spec)
    host = _route_host(cluster)
    if problems:
        return CheckItem(
            name="image registry route",
            status=ItemStatus.MISSING,
            detail="registry config needs " + ", ".join(f"{k}={v}" for k, v in problems.items()),
            fix="merge-patch the registry config: " + ", ".join(problems),
        ), host
    if not host:
        return CheckItem(
            name="image registry route",
            status=ItemStatus.MISSING,
            detail=f"route {r.REGISTRY_NAMESPACE}/{r.REGISTRY_ROUTE_NAME} not there yet",
            fix="wait for the registry operator to create the route",
        ), ""
    return CheckItem(name="image registry route", status=ItemStatus.OK, detail=host), host


def _registry_patch(spec: dict[str, Any]) -> dict[str, Any]:
    """Only the missing bits, as the original did (reference §12.1 step 1)."""
    patch: dict[str, Any] = {}
    if spec.get("managementState") == "Removed":
        patch["managementState"] = "Managed"
        if not spec.get("storage"):
            patch["storage"] = {"emptyDir": {}}
    if spec.get("defaultRoute") is not True:
        patch["defaultRoute"] = True
    return patch


def _route_host(cluster: Cluster) -> str:
    group, version, plural = r.ROUTE
    route = cluster.get_custom(group, version, plural, r.REGISTRY_ROUTE_NAME, r.REGISTRY_NAMESPACE)
    if route is None:
        return ""
    return str((route.get("spec") or {}).get("host") or "")


def _namespace_item(cluster: Cluster) -> CheckItem:
    try:
        cluster.call(f"get namespace {r.IMAGE_NAMESPACE}", cluster.core.read_namespace, r.IMAGE_NAMESPACE)
    except NotFound:
        return CheckItem(
            name="image namespace",
            status=ItemStatus.MISSING,
            detail=f"namespace {r.IMAGE_NAMESPACE} does not exist",
            fix=f"create namespace {r.IMAGE_NAMESPACE}",
        )
    return CheckItem(name="image namespace", status=ItemStatus.OK, detail=r.IMAGE_NAMESPACE)


def _rbac_item(cluster: Cluster) -> CheckItem:
    name = f"rolebinding {r.IMAGE_NAMESPACE}/{r.PULLER_ROLEBINDING}"
    try:
        binding = cluster.call(
            f"get {name}", cluster.rbac.read_namespaced_role_binding, r.PULLER_ROLEBINDING, r.IMAGE_NAMESPACE
        )
    except NotFound:
        return CheckItem(
            name="image pull RBAC",
            status=ItemStatus.MISSING,
            detail=f"{name} does not exist",
            fix=f"create {name}: ClusterRole {r.PULLER_CLUSTERROLE} for group {r.PULLER_GROUP}",
        )
    role = binding.role_ref.name if binding.role_ref is not None else ""
    groups = {s.name for s in (binding.subjects or []) if s.kind == "Group"}
    if role != r.PULLER_CLUSTERROLE or r.PULLER_GROUP not in groups:
        return CheckItem(
            name="image pull RBAC",
            status=ItemStatus.WRONG,
            detail=f"{name} binds {role} to {sorted(groups)}",
            fix=f"add group {r.PULLER_GROUP} to a binding of {r.PULLER_CLUSTERROLE}"
            " (not changed automatically: somebody made it on purpose)",
        )
    return CheckItem(name="image pull RBAC", status=ItemStatus.OK, detail=name)


def _operator_items(cluster: Cluster) -> tuple[list[CheckItem], str]:
    items: list[CheckItem] = []
    sub = cluster.get_custom(
        r.OLM_GROUP, r.OLM_VERSION, r.SUBSCRIPTIONS, r.SUBSCRIPTION_NAME, r.OPERATOR_NAMESPACE
    )
    config = cluster.get_custom(r.TEKTON_GROUP, r.TEKTON_VERSION, r.TEKTONCONFIGS, r.TEKTONCONFIG_NAME)
    csv = str(((sub or {}).get("status") or {}).get("installedCSV") or "")
    if sub is None and config is None:
        items.append(
            CheckItem(
                name="operator",
                status=ItemStatus.MISSING,
                detail=f"no Subscription {r.OPERATOR_NAMESPACE}/{r.SUBSCRIPTION_NAME} and no TektonConfig",
                fix=f"create the Subscription for {r.PACKAGE} and wait for TektonConfig Ready",
            )
        )
        return items, ""
    if sub is not None and not csv:
        items.append(
            CheckItem(
                name="operator",
                status=ItemStatus.WRONG,
                detail="Subscription has no installedCSV yet",
                fix="wait for OLM to install the CSV",
            )
        )
    else:
        items.append(
            CheckItem(
                name="operator",
                status=ItemStatus.OK,
                detail=csv or "installed without our Subscription (TektonConfig exists)",
            )
        )
    if config is None:
        items.append(
            CheckItem(
                name="TektonConfig",
                status=ItemStatus.MISSING,
                detail="TektonConfig config absent",
                fix="wait for the operator to create it, else create it",
            )
        )
    elif not r.is_ready(config):
        items.append(
            CheckItem(
                name="TektonConfig",
                status=ItemStatus.WRONG,
                detail="not Ready: " + r.describe_conditions(config),
                fix="wait for TektonConfig Ready",
            )
        )
    else:
        items.append(CheckItem(name="TektonConfig", status=ItemStatus.OK, detail="Ready"))
    return items, csv


def check(cluster: Cluster) -> SetupReport:
    """Read-only: what is ok, missing or wrong, and what `--fix` would do."""
    registry, host = _registry_item(cluster)
    operator, csv = _operator_items(cluster)
    items = (registry, _namespace_item(cluster), _rbac_item(cluster), *operator)
    return SetupReport(items=items, registry_host=host, csv=csv)


# -- fixing -------------------------------------------------------------------------------------------


def ensure(cluster: Cluster, params: SetupParams, *, on_progress: Progress | None = None) -> SetupReport:
    """Fix what is missing, then wait for the route, the CSV and TektonConfig Ready."""
    say = on_progress or (lambda _text: None)
    changed: list[str] = []

    config = cluster.get_custom(*r.REGISTRY_CONFIG)
    if config is None:
        raise ClusterError(
            "the image registry operator config (configs.imageregistry.operator.openshift.io/cluster)"
            " does not exist",
            hint="is this an OpenShift cluster?",
        )
    patch = _registry_patch(config.get("spec") or {})
    if patch:
        say(f"enabling the internal registry route ({', '.join(patch)})")
        group, version, plural, name = r.REGISTRY_CONFIG
        cluster.call(
            "patch registry config",
            cluster.custom.patch_cluster_custom_object,
            group,
            version,
            plural,
            name,
            {"spec": patch},
        )
        changed.append("registry config: " + ", ".join(patch))

    if _namespace_item(cluster).status is ItemStatus.MISSING:
        say(f"creating namespace {r.IMAGE_NAMESPACE}")
        cluster.call(
            f"create namespace {r.IMAGE_NAMESPACE}",
            cluster.core.create_namespace,
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": r.IMAGE_NAMESPACE}},
        )
        changed.append(f"namespace {r.IMAGE_NAMESPACE}")

    if _rbac_item(cluster).status is ItemStatus.MISSING:
        say(f"creating rolebinding {r.PULLER_ROLEBINDING}")
        cluster.call(
            f"create rolebinding {r.PULLER_ROLEBINDING}",
            cluster.rbac.create_namespaced_role_binding,
            r.IMAGE_NAMESPACE,
            _puller_binding(),
        )
        changed.append(f"rolebinding {r.IMAGE_NAMESPACE}/{r.PULLER_ROLEBINDING}")

    operator, _csv = _operator_items(cluster)
    installing = operator[0].status is ItemStatus.MISSING
    if installing:
        say(f"subscribing to {r.PACKAGE} (channel {params.channel}, source {params.source})")
        cluster.call(
            "create subscription",
            cluster.custom.create_namespaced_custom_object,
            r.OLM_GROUP,
            r.OLM_VERSION,
            r.OPERATOR_NAMESPACE,
            r.SUBSCRIPTIONS,
            _subscription(params),
        )
        changed.append(f"subscription {r.OPERATOR_NAMESPACE}/{r.SUBSCRIPTION_NAME}")

    host, csv = _wait_ready(cluster, params, say, changed, need_ready=installing or params.wait_ready)
    return SetupReport(items=check(cluster).items, registry_host=host, csv=csv, changed=tuple(changed))


def _puller_binding() -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {
            "name": r.PULLER_ROLEBINDING,
            "namespace": r.IMAGE_NAMESPACE,
            "labels": {"app.kubernetes.io/managed-by": "streamstress"},
        },
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": r.PULLER_CLUSTERROLE,
        },
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": r.PULLER_GROUP}],
    }


def _subscription(params: SetupParams) -> dict[str, Any]:
    """The Subscription the original tool creates (reference §5.3)."""
    return {
        "apiVersion": f"{r.OLM_GROUP}/{r.OLM_VERSION}",
        "kind": "Subscription",
        "metadata": {"name": r.SUBSCRIPTION_NAME, "namespace": r.OPERATOR_NAMESPACE},
        "spec": {
            "channel": params.channel,
            "name": r.PACKAGE,
            "source": params.source,
            "sourceNamespace": r.SOURCE_NAMESPACE,
            "installPlanApproval": "Automatic",
        },
    }


def _wait_ready(
    cluster: Cluster, params: SetupParams, say: Progress, changed: list[str], *, need_ready: bool
) -> tuple[str, str]:
    """Route, CSV Succeeded, TektonConfig there (and Ready with `need_ready`): one watch-driven wait."""
    wakeup = Wakeup()
    found: dict[str, str] = {"host": "", "csv": ""}
    created_config = False

    def probe() -> Probe:
        nonlocal created_config
        missing: list[str] = []
        found["host"] = _route_host(cluster)
        if not found["host"]:
            missing.append(f"route {r.REGISTRY_NAMESPACE}/{r.REGISTRY_ROUTE_NAME} has no host")
        csv_name, csv_missing = _installed_csv(cluster)
        if csv_name is not None:
            found["csv"] = csv_name
        missing += csv_missing
        config = cluster.get_custom(r.TEKTON_GROUP, r.TEKTON_VERSION, r.TEKTONCONFIGS, r.TEKTONCONFIG_NAME)
        if config is None:
            if not missing and not created_config:
                # The operator creates it when AUTOINSTALL_COMPONENTS is on; create it if it did not.
                say("creating TektonConfig config")
                created_config = _create_tektonconfig(cluster, params)
                if created_config:
                    changed.append("tektonconfig config")
            missing.append("TektonConfig config does not exist yet")
        elif need_ready and not r.is_ready(config):
            missing.append("TektonConfig not Ready: " + r.describe_conditions(config))
        return Probe(done=not missing, state="; ".join(missing))

    with WatchSet(cluster, wakeup) as watches:
        _watch_setup_objects(watches, cluster)
        wait_until(
            probe,
            what=f"auto-setup not complete ({params.timeout_option})",
            timeout=params.timeout,
            wake=wakeup,
            on_progress=lambda elapsed, state: log.info("setup waiting %.0fs: %s", elapsed, state),
            hint=f"see `streamstress check` for each item; raise {params.timeout_option} if the operator"
            " install is just slow",
        )
    config = cluster.get_custom(r.TEKTON_GROUP, r.TEKTON_VERSION, r.TEKTONCONFIGS, r.TEKTONCONFIG_NAME)
    if not need_ready and config is not None and not r.is_ready(config):
        say(
            "TektonConfig is not Ready yet (" + r.describe_conditions(config) + "); the deploy waits for it"
            " (--deploy-timeout)"
        )
    return found["host"], found["csv"]


def _installed_csv(cluster: Cluster) -> tuple[str | None, list[str]]:
    """The CSV the Subscription installed (None: no Subscription yet) and what keeps it from Succeeded."""
    sub = cluster.get_custom(
        r.OLM_GROUP, r.OLM_VERSION, r.SUBSCRIPTIONS, r.SUBSCRIPTION_NAME, r.OPERATOR_NAMESPACE
    )
    if sub is None:
        return None, []
    csv_name = str((sub.get("status") or {}).get("installedCSV") or "")
    if not csv_name:
        return csv_name, ["Subscription has no installedCSV yet"]
    csv = cluster.get_custom(r.OLM_GROUP, r.OLM_VERSION, r.CSVS, csv_name, r.OPERATOR_NAMESPACE)
    phase = str(((csv or {}).get("status") or {}).get("phase") or "absent")
    if phase != "Succeeded":
        reason = ((csv or {}).get("status") or {}).get("reason") or ""
        return csv_name, [f"CSV {csv_name} phase {phase} {reason}".rstrip()]
    return csv_name, []


def _watch_setup_objects(watches: WatchSet, cluster: Cluster) -> None:
    """What setup waits on: TektonConfig, the operator's CSVs and the registry route."""
    watches.add(
        "tektonconfigs",
        cluster.custom.list_cluster_custom_object,
        r.TEKTON_GROUP,
        r.TEKTON_VERSION,
        r.TEKTONCONFIGS,
    )
    watches.add(
        "csvs",
        cluster.custom.list_namespaced_custom_object,
        r.OLM_GROUP,
        r.OLM_VERSION,
        r.OPERATOR_NAMESPACE,
        r.CSVS,
    )
    watches.add(
        "routes",
        cluster.custom.list_namespaced_custom_object,
        *r.ROUTE[:2],
        r.REGISTRY_NAMESPACE,
        r.ROUTE[2],
    )


def _create_tektonconfig(cluster: Cluster, params: SetupParams) -> bool:
    body = {
        "apiVersion": f"{r.TEKTON_GROUP}/{r.TEKTON_VERSION}",
        "kind": "TektonConfig",
        "metadata": {"name": r.TEKTONCONFIG_NAME},
        "spec": {"targetNamespace": params.target_namespace, "profile": "all"},
    }
    try:
        cluster.call(
            "create tektonconfig config",
            cluster.custom.create_cluster_custom_object,
            r.TEKTON_GROUP,
            r.TEKTON_VERSION,
            r.TEKTONCONFIGS,
            body,
        )
    except ClusterError as exc:
        if exc.status in (404, 409):  # CRD not there yet, or the operator won the race: both are fine
            return False
        raise
    return True
