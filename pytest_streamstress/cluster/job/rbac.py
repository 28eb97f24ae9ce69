"""Who the Job runs as: its ServiceAccount, the runner's ClusterRole and the bindings (issue 8).

The rules are written down once (`RUNNER_RULES`) and tested against what setup, deploy and metrics
really request (tests/cluster/test_job_rbac.py); docs/in-cluster.md lists the same table. Every
object carries the `app=streamstress` label that status, logs and ci find Jobs by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pytest_streamstress.errors import Conflict

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

APP_LABEL: Final = ("app", "streamstress")
"""Every Job we launch carries `app=streamstress` (reference §12.6); status/logs/ci find Jobs by it."""
SELECTOR: Final = f"{APP_LABEL[0]}={APP_LABEL[1]}"
SERVICE_ACCOUNT: Final = "streamstress-sa"
CLUSTER_ROLE: Final = "streamstress-runner"
CLUSTER_ROLE_BINDING: Final = "streamstress-runner"
ADMIN_BINDING: Final = "streamstress-cluster-admin"


@dataclass(frozen=True, slots=True)
class Rule:
    """One PolicyRule of the runner's ClusterRole."""

    group: str
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    names: tuple[str, ...] = ()

    def to_api(self) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "apiGroups": [self.group],
            "resources": list(self.resources),
            "verbs": list(self.verbs),
        }
        if self.names:
            rule["resourceNames"] = list(self.names)
        return rule


RUNNER_RULES: Final = (
    # auto-setup: the image namespace, its pull RoleBinding, the registry route (setup.py, reference §9)
    Rule("", ("namespaces",), ("get", "list", "create")),
    Rule("rbac.authorization.k8s.io", ("rolebindings",), ("get", "create")),
    # Creating a RoleBinding to a ClusterRole needs `bind` on it (RBAC escalation check).
    Rule("rbac.authorization.k8s.io", ("clusterroles",), ("bind",), ("system:image-puller",)),
    Rule("imageregistry.operator.openshift.io", ("configs",), ("get", "patch")),
    Rule("route.openshift.io", ("routes",), ("get", "list", "watch")),
    Rule("config.openshift.io", ("clusterversions",), ("get",)),
    # OLM: subscribe, then update the CSV's IMAGE_* env (deploy.py, reference §5)
    Rule("operators.coreos.com", ("subscriptions",), ("get", "create")),
    Rule("operators.coreos.com", ("clusterserviceversions",), ("get", "list", "watch", "update")),
    # the operator: TektonConfig readiness, installer-set deletion to force re-reconciliation (§6, §7)
    Rule("operator.tekton.dev", ("tektonconfigs",), ("get", "list", "watch", "create")),
    Rule("operator.tekton.dev", ("tektoninstallersets",), ("list", "delete")),
    # triage: chains and results install no CRD, so their operator CRs say whether they run
    Rule("operator.tekton.dev", ("tektonchains", "tektonresults"), ("list",)),
    # the operator Deployment (fallback edit) and the operand workloads (image verification)
    Rule("apps", ("deployments",), ("get", "list", "watch", "update")),
    Rule("apps", ("statefulsets",), ("list", "watch")),
    Rule("", ("pods",), ("list", "watch")),
    Rule("", ("events",), ("list",)),
    # profiling (metrics.py, reference §10)
    Rule("", ("nodes",), ("list",)),
    Rule("metrics.k8s.io", ("pods",), ("list",)),
    # shards: the serial gate (cluster/lease.py, issue 23); every session: its claim on the cluster
    Rule("coordination.k8s.io", ("leases",), ("get", "create", "update")),
)
"""What the plugin itself needs inside the Job (docs/in-cluster.md lists the same table).

The release-tests scenarios create namespaces, pipelines and cluster-wide settings of their own; a
suite that runs `admin` scenarios needs `cluster_admin=True`, which binds `cluster-admin` in an
extra, separately named binding so it can be removed without touching the runner's role.
"""


def rbac_objects(namespace: str, *, cluster_admin: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """(kind, body) of the ServiceAccount, ClusterRole and binding(s) the Job runs with."""
    subject = {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": namespace}
    labels = {APP_LABEL[0]: APP_LABEL[1]}
    objects: list[tuple[str, dict[str, Any]]] = [
        (
            "ServiceAccount",
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace, "labels": labels},
            },
        ),
        (
            "ClusterRole",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": CLUSTER_ROLE, "labels": labels},
                "rules": [rule.to_api() for rule in RUNNER_RULES],
            },
        ),
        (
            "ClusterRoleBinding",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": f"{CLUSTER_ROLE_BINDING}-{namespace}", "labels": labels},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": CLUSTER_ROLE,
                },
                "subjects": [subject],
            },
        ),
    ]
    if cluster_admin:
        objects.append(
            (
                "ClusterRoleBinding",
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": f"{ADMIN_BINDING}-{namespace}", "labels": labels},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "cluster-admin",
                    },
                    "subjects": [subject],
                },
            )
        )
    return objects


def ensure_rbac(cluster: Cluster, namespace: str, *, cluster_admin: bool = False) -> list[str]:
    """Create what is missing (409 = already there, fine); the ClusterRole's rules are kept current."""
    created: list[str] = []
    for kind, body in rbac_objects(namespace, cluster_admin=cluster_admin):
        name = body["metadata"]["name"]
        try:
            if kind == "ServiceAccount":
                cluster.call(
                    f"create serviceaccount {namespace}/{name}",
                    cluster.core.create_namespaced_service_account,
                    namespace,
                    body,
                )
            elif kind == "ClusterRole":
                cluster.call(f"create clusterrole {name}", cluster.rbac.create_cluster_role, body)
            else:
                cluster.call(
                    f"create clusterrolebinding {name}", cluster.rbac.create_cluster_role_binding, body
                )
            created.append(f"{kind} {name}")
        except Conflict:
            if kind == "ClusterRole":  # an older plugin version may have written other rules
                cluster.call(
                    f"patch clusterrole {name}",
                    cluster.rbac.patch_cluster_role,
                    name,
                    {"rules": body["rules"]},
                )
    return created
