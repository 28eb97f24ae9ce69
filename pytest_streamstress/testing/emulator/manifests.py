"""What the emulated OpenShift Pipelines release ships: the CSV and the operand manifests.

Owns the *content* (names, containers, labels, IMAGE_* variables) of the operator bundle v1.21.3 and
of the per-component installer sets, built from the reference (§3, §5.1, §6, §7) and the public
`openshift-pipelines-operator-rh` CSV layout. Digests are not the real ones: every image is
`registry.redhat.io/openshift-pipelines/<name>@sha256:<sha256 of the name>`, deterministic and
pullable in the emulator (hosts other than the cluster registry are pullable unless a fault says no).

Must not: touch the store or decide *when* anything is created; the controllers do that. Every
function returns fresh objects, so callers may mutate them.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Final

log = logging.getLogger(__name__)

OPERATOR_VERSION: Final = "1.21.3"
PACKAGE: Final = "openshift-pipelines-operator-rh"
CSV_NAME: Final = f"{PACKAGE}.v{OPERATOR_VERSION}"
OPERATOR_NAMESPACE: Final = "openshift-operators"
OPERATOR_DEPLOYMENT: Final = "openshift-pipelines-operator"
WEBHOOK_DEPLOYMENT: Final = "tekton-operator-webhook"
LIFECYCLE_CONTAINER: Final = "openshift-pipelines-operator-lifecycle"
CLUSTER_OPERATIONS_CONTAINER: Final = "openshift-pipelines-operator-cluster-operations"
TEKTON_RELEASE: Final = "v0.78.1"
TARGET_NAMESPACE: Final = "openshift-pipelines"
CONFIG_DEFAULTS_CONFIGMAP: Final = "tekton-config-defaults"
RH_REGISTRY: Final = "registry.redhat.io/openshift-pipelines"


def image(repository: str) -> str:
    """A digest-pinned reference; the digest is derived from the name, so it is stable."""
    digest = hashlib.sha256(repository.encode()).hexdigest()
    has_host = "/" in repository and "." in repository.split("/", 1)[0]
    ref = repository if has_host else f"{RH_REGISTRY}/{repository}"
    return f"{ref}@sha256:{digest}"


# Every IMAGE_* variable of the v1.21 lifecycle container (public CSV, reference §3), in CSV order.
# Values name the Red Hat repositories; the ADDONS/HUB/PAC/PRUNER ones are there for fidelity only.
IMAGE_ENV: Final[tuple[tuple[str, str], ...]] = (
    ("IMAGE_PIPELINES_PROXY", image("pipelines-operator-proxy-rhel9")),
    ("IMAGE_JOB_PRUNER_TKN", image("pipelines-cli-tkn-rhel9")),
    ("IMAGE_HUB_TEKTON_HUB_DB", image("registry.redhat.io/rhel9/postgresql-15")),
    ("IMAGE_ADDONS_PARAM_BUILDER_IMAGE", image("registry.redhat.io/rhel9/buildah")),
    ("IMAGE_ADDONS_PARAM_KN_IMAGE", image("registry.redhat.io/openshift-serverless-1/kn-client-kn-rhel9")),
    ("IMAGE_ADDONS_MVN_SETTINGS", image("registry.redhat.io/ubi9/ubi-minimal")),
    ("IMAGE_ADDONS_SKOPEO_COPY", image("registry.redhat.io/rhel9/skopeo")),
    ("IMAGE_ADDONS_GENERATE", image("registry.redhat.io/source-to-image/source-to-image-rhel9")),
    ("IMAGE_ADDONS_PARAM_MAVEN_IMAGE", image("registry.redhat.io/ubi9/openjdk-17")),
    ("IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER", image("pipelines-controller-rhel9")),
    ("IMAGE_PIPELINES_WEBHOOK", image("pipelines-webhook-rhel9")),
    ("IMAGE_PIPELINES_CONTROLLER", image("pipelines-resolvers-rhel9")),
    ("IMAGE_PIPELINES_TEKTON_EVENTS_CONTROLLER", image("pipelines-events-rhel9")),
    ("IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE", image("pipelines-entrypoint-rhel9")),
    ("IMAGE_PIPELINES_ARG__GIT_IMAGE", image("pipelines-git-init-rhel9")),
    ("IMAGE_ADDONS_PARAM_GITINITIMAGE", image("pipelines-git-init-rhel9")),
    ("IMAGE_ADDONS_GIT_CLONE", image("pipelines-git-init-rhel9")),
    ("IMAGE_PIPELINES_ARG__WORKINGDIRINIT_IMAGE", image("pipelines-workingdirinit-rhel9")),
    ("IMAGE_PIPELINES_ARG__SIDECARLOGRESULTS_IMAGE", image("pipelines-sidecarlogresults-rhel9")),
    ("IMAGE_PIPELINES_ARG__NOP_IMAGE", image("pipelines-nop-rhel9")),
    # The CSV points the shell image at the entrypoint image (reference §3).
    ("IMAGE_PIPELINES_ARG__SHELL_IMAGE", image("pipelines-entrypoint-rhel9")),
    ("IMAGE_TRIGGERS_TEKTON_TRIGGERS_CONTROLLER", image("pipelines-triggers-controller-rhel9")),
    ("IMAGE_TRIGGERS_WEBHOOK", image("pipelines-triggers-webhook-rhel9")),
    ("IMAGE_TRIGGERS_TEKTON_TRIGGERS_CORE_INTERCEPTORS", image("pipelines-triggers-core-interceptors-rhel9")),
    ("IMAGE_TRIGGERS_ARG__EL_IMAGE", image("pipelines-triggers-eventlistenersink-rhel9")),
    ("IMAGE_ADDONS_OPC", image("pipelines-opc-rhel9")),
    ("IMAGE_ADDONS_TKN", image("pipelines-cli-tkn-rhel9")),
    ("IMAGE_CHAINS_TEKTON_CHAINS_CONTROLLER", image("pipelines-chains-controller-rhel9")),
    ("IMAGE_RESULTS_POSTGRES", image("registry.redhat.io/rhel9/postgresql-15")),
    ("IMAGE_HUB_TEKTON_HUB_API", image("pipelines-hub-api-rhel9")),
    ("IMAGE_HUB_TEKTON_HUB_UI", image("pipelines-hub-ui-rhel9")),
    ("IMAGE_MAG_TEKTON_TASKGROUP_CONTROLLER", image("pipelines-manual-approval-gate-controller-rhel9")),
    ("IMAGE_MAG_MANUAL_APPROVAL", image("pipelines-manual-approval-gate-webhook-rhel9")),
    ("IMAGE_PRUNER_CONTROLLER", image("pipelines-pruner-controller-rhel9")),
    ("IMAGE_PRUNER_WEBHOOK", image("pipelines-pruner-webhook-rhel9")),
    ("IMAGE_PAC_PAC_CONTROLLER", image("pipelines-pipelines-as-code-controller-rhel9")),
    ("IMAGE_PAC_PAC_WEBHOOK", image("pipelines-pipelines-as-code-webhook-rhel9")),
    ("IMAGE_PAC_PAC_WATCHER", image("pipelines-pipelines-as-code-watcher-rhel9")),
    ("IMAGE_PAC_PAC_CLI", image("pipelines-pipelines-as-code-cli-rhel9")),
    ("IMAGE_RESULTS_WATCHER", image("pipelines-results-watcher-rhel9")),
    ("IMAGE_RESULTS_API", image("pipelines-results-api-rhel9")),
    ("IMAGE_RESULTS_RETENTION_POLICY_AGENT", image("pipelines-results-retention-policy-agent-rhel9")),
    ("IMAGE_PIPELINES_CONSOLE_PLUGIN", image("pipelines-console-plugin-rhel9")),
    ("IMAGE_PIPELINES_CONSOLE_PLUGIN_LEGACY", image("pipelines-console-plugin-pf5-rhel9")),
)
OPERATOR_IMAGE: Final = image("pipelines-rhel9-operator")
WEBHOOK_IMAGE: Final = image("pipelines-rhel9-operator")


def _field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _configmap_env(name: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"configMapKeyRef": {"key": name, "name": CONFIG_DEFAULTS_CONFIGMAP}}}


def _lifecycle_container() -> dict[str, Any]:
    env: list[dict[str, Any]] = [
        {"name": "KUBERNETES_MIN_VERSION", "value": "v1.0.0"},
        _field_env("SYSTEM_NAMESPACE", "metadata.namespace"),
        {"name": "PLATFORM", "value": "openshift"},
        _field_env("POD_NAME", "metadata.name"),
        {"name": "OPERATOR_NAME", "value": "redhat-openshift-pipelines-operator"},
        {"name": "METRICS_DOMAIN", "value": "tekton.dev/operator"},
        {"name": "VERSION", "value": OPERATOR_VERSION},
        _configmap_env("AUTOINSTALL_COMPONENTS"),
        _configmap_env("DEFAULT_TARGET_NAMESPACE"),
        {"name": "CONFIG_OBSERVABILITY_NAME", "value": "tekton-config-observability"},
        {"name": "CONFIG_LEADERELECTION_NAME", "value": "tekton-operator-controller-config-leader-election"},
    ]
    env.extend({"name": name, "value": value} for name, value in IMAGE_ENV)
    return {
        "name": LIFECYCLE_CONTAINER,
        "image": OPERATOR_IMAGE,
        "imagePullPolicy": "Always",
        "args": [
            "-controllers",
            "tektonconfig,tektonpipeline,tektontrigger,tektonhub,tektonchain,tektonaddon,tektonresult,"
            "openshiftpipelinesascode,manualapprovalgate,tektonpruner",
            "-unique-process-name",
            "tekton-operator-lifecycle",
        ],
        "env": env,
        "resources": {},
    }


def _cluster_operations_container() -> dict[str, Any]:
    return {
        "name": CLUSTER_OPERATIONS_CONTAINER,
        "image": OPERATOR_IMAGE,
        "imagePullPolicy": "Always",
        "args": [
            "-controllers",
            "tektoninstallerset",
            "-unique-process-name",
            "tekton-operator-cluster-operations",
        ],
        "env": [
            {"name": "KUBERNETES_MIN_VERSION", "value": "v1.0.0"},
            _field_env("SYSTEM_NAMESPACE", "metadata.namespace"),
            _field_env("POD_NAME", "metadata.name"),
            {"name": "OPERATOR_NAME", "value": "redhat-openshift-pipelines-operator"},
            {"name": "PROFILING_PORT", "value": "9009"},
            {"name": "VERSION", "value": TEKTON_RELEASE},
            {"name": "METRICS_DOMAIN", "value": "tekton.dev/operator"},
        ],
        "resources": {},
    }


def csv_deployments() -> list[dict[str, Any]]:
    """`spec.install.spec.deployments` of the CSV: `{name, label, spec}` entries (reference §5.1)."""
    release_labels = {"operator.tekton.dev/release": TEKTON_RELEASE, "version": TEKTON_RELEASE}
    operator_spec = {
        "replicas": 1,
        "selector": {"matchLabels": {"name": OPERATOR_DEPLOYMENT}},
        "strategy": {},
        "template": {
            "metadata": {"labels": {"app": OPERATOR_DEPLOYMENT, "name": OPERATOR_DEPLOYMENT}},
            "spec": {
                "containers": [_lifecycle_container(), _cluster_operations_container()],
                "serviceAccountName": OPERATOR_DEPLOYMENT,
            },
        },
    }
    webhook_spec = {
        "replicas": 1,
        "selector": {"matchLabels": {"name": WEBHOOK_DEPLOYMENT}},
        "strategy": {},
        "template": {
            "metadata": {"labels": {"app": "tekton-operator", "name": WEBHOOK_DEPLOYMENT}},
            "spec": {
                "containers": [
                    {
                        "name": WEBHOOK_DEPLOYMENT,
                        "image": WEBHOOK_IMAGE,
                        "ports": [{"containerPort": 8443, "name": "https-webhook"}],
                        "env": [
                            {"name": "KUBERNETES_MIN_VERSION", "value": "v1.0.0"},
                            _field_env("SYSTEM_NAMESPACE", "metadata.namespace"),
                            _field_env("WEBHOOK_POD_NAME", "metadata.name"),
                            {"name": "CONFIG_LOGGING_NAME", "value": "config-logging"},
                        ],
                    }
                ],
                "serviceAccountName": OPERATOR_DEPLOYMENT,
            },
        },
    }
    return [
        {"name": OPERATOR_DEPLOYMENT, "label": dict(release_labels), "spec": operator_spec},
        {"name": WEBHOOK_DEPLOYMENT, "label": dict(release_labels), "spec": webhook_spec},
    ]


def csv(namespace: str = OPERATOR_NAMESPACE) -> dict[str, Any]:
    """The ClusterServiceVersion as OLM writes it into `namespace`, without status."""
    related = [{"name": name, "image": value} for name, value in IMAGE_ENV]
    related += [
        {"name": "OPENSHIFT_PIPELINES_OPERATOR_LIFECYCLE", "image": OPERATOR_IMAGE},
        {"name": "OPENSHIFT_PIPELINES_OPERATOR_CLUSTER_OPERATIONS", "image": OPERATOR_IMAGE},
    ]
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "ClusterServiceVersion",
        "metadata": {
            "name": CSV_NAME,
            "namespace": namespace,
            "annotations": {
                "olm.skipRange": f">=1.20.0 <{OPERATOR_VERSION}",
                "console.openshift.io/plugins": '["pipelines-console-plugin"]',
                "operatorframework.io/properties": "",
                "olm.operatorGroup": "global-operators",
                "olm.operatorNamespace": namespace,
                "alm-examples": (
                    '[{"apiVersion":"operator.tekton.dev/v1alpha1","kind":"TektonConfig",'
                    '"metadata":{"name":"config"},"spec":{"profile":"all",'
                    '"targetNamespace":"openshift-pipelines"}}]'
                ),
            },
            "labels": {"operatorframework.io/arch.amd64": "supported"},
        },
        "spec": {
            "displayName": "Red Hat OpenShift Pipelines",
            "version": OPERATOR_VERSION,
            "replaces": f"{PACKAGE}.v1.21.2",
            "installModes": [
                {"type": "OwnNamespace", "supported": False},
                {"type": "SingleNamespace", "supported": False},
                {"type": "MultiNamespace", "supported": False},
                {"type": "AllNamespaces", "supported": True},
            ],
            "install": {"strategy": "deployment", "spec": {"deployments": csv_deployments()}},
            "relatedImages": related,
        },
    }


def config_defaults_configmap(namespace: str = OPERATOR_NAMESPACE) -> dict[str, Any]:
    """ConfigMap `tekton-config-defaults`, shipped in the bundle (reference §5.1)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": CONFIG_DEFAULTS_CONFIGMAP, "namespace": namespace},
        "data": {"AUTOINSTALL_COMPONENTS": "true", "DEFAULT_TARGET_NAMESPACE": TARGET_NAMESPACE},
    }
