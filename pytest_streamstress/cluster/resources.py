"""Names of the API objects we touch (reference openshift-pipelines.md §2): one table, no guessing."""

from __future__ import annotations

from typing import Final

REGISTRY_CONFIG: Final = ("imageregistry.operator.openshift.io", "v1", "configs", "cluster")
ROUTE: Final = ("route.openshift.io", "v1", "routes")
REGISTRY_NAMESPACE: Final = "openshift-image-registry"
REGISTRY_ROUTE_NAME: Final = "default-route"
INTERNAL_REGISTRY: Final = "image-registry.openshift-image-registry.svc:5000"

OLM_GROUP: Final = "operators.coreos.com"
OLM_VERSION: Final = "v1alpha1"
SUBSCRIPTIONS: Final = "subscriptions"
CSVS: Final = "clusterserviceversions"
OPERATOR_NAMESPACE: Final = "openshift-operators"
SUBSCRIPTION_NAME: Final = "openshift-pipelines-operator"
PACKAGE: Final = "openshift-pipelines-operator-rh"
SOURCE_NAMESPACE: Final = "openshift-marketplace"
OPERATOR_DEPLOYMENT: Final = "openshift-pipelines-operator"
LIFECYCLE_CONTAINER: Final = "openshift-pipelines-operator-lifecycle"

TEKTON_GROUP: Final = "operator.tekton.dev"
TEKTON_VERSION: Final = "v1alpha1"
TEKTONCONFIGS: Final = "tektonconfigs"
TEKTONCONFIG_NAME: Final = "config"
INSTALLERSETS: Final = "tektoninstallersets"
CREATED_BY_LABEL: Final = "operator.tekton.dev/created-by"
TYPE_LABEL: Final = "operator.tekton.dev/type"

CLUSTERVERSION: Final = ("config.openshift.io", "v1", "clusterversions", "version")

IMAGE_NAMESPACE: Final = "tekton-upstream"
PULLER_ROLEBINDING: Final = "image-puller-all-authenticated"
PULLER_CLUSTERROLE: Final = "system:image-puller"
PULLER_GROUP: Final = "system:authenticated"
"""TaskRun pods in any user namespace pull entrypoint/nop/workingdirinit from tekton-upstream (§7)."""


def condition(obj: dict[str, object], kind: str) -> dict[str, object] | None:
    """The status condition of a type, or None."""
    status = obj.get("status")
    if not isinstance(status, dict):
        return None
    for cond in status.get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return None


def is_ready(obj: dict[str, object]) -> bool:
    cond = condition(obj, "Ready")
    return cond is not None and cond.get("status") == "True"


def describe_conditions(obj: dict[str, object]) -> str:
    status = obj.get("status")
    conditions = status.get("conditions") if isinstance(status, dict) else None
    if not conditions:
        return "no conditions yet"
    parts = []
    for cond in conditions:
        if not isinstance(cond, dict):
            continue
        text = f"{cond.get('type')}={cond.get('status')}"
        if cond.get("status") != "True" and (cond.get("message") or cond.get("reason")):
            text += f" ({cond.get('reason') or ''}: {cond.get('message') or ''})".replace("(: ", "(")
        parts.append(text)
    return ", ".join(parts)
