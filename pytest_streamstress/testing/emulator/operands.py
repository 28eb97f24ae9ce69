"""The operand manifests the operator's installer sets carry (reference §6 and §7).

Owns the per-component `Component`/`SetTemplate` table: which TektonInstallerSets a component CR
gets (generateName, `type` label, installType) and the objects inside each, with the real
Deployment names, container names, template labels and controller arguments, images still the
upstream placeholders that the operator's transformer replaces. Must not: touch the store or apply
IMAGE_* values (`transform.py` does that).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pytest_streamstress.testing.emulator.manifests import TARGET_NAMESPACE

log = logging.getLogger(__name__)


def _deployment(
    name: str, namespace: str, container: str, labels: Mapping[str, str], *, args: list[str] | None = None
) -> dict[str, Any]:
    spec_container: dict[str, Any] = {
        "name": container,
        "image": f"gcr.io/tekton-releases/{container}:placeholder",
    }
    if args is not None:
        spec_container["args"] = args
    selector = {"app.kubernetes.io/component": name, "app.kubernetes.io/instance": "default"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": {**labels, **selector}},
                "spec": {"serviceAccountName": name, "containers": [spec_container]},
            },
        },
    }


def _configmap(name: str, namespace: str, data: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": dict(data or {}),
    }


def _service_account(name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}}


def _part_of(value: str, name: str, app: str | None = None) -> dict[str, str]:
    labels = {"app.kubernetes.io/part-of": value, "app.kubernetes.io/name": name}
    if app:
        labels["app"] = app
    return labels


def pipeline_controller_args() -> list[str]:
    """The pipelines controller's image arguments, `flag value` form (TP config/controller.yaml)."""
    return [
        "-entrypoint-image",
        "gcr.io/tekton-releases/entrypoint:placeholder",
        "-nop-image",
        "gcr.io/tekton-releases/nop:placeholder",
        "-sidecarlogresults-image",
        "gcr.io/tekton-releases/sidecarlogresults:placeholder",
        "-workingdirinit-image",
        "gcr.io/tekton-releases/workingdirinit:placeholder",
        "-shell-image",
        "cgr.dev/chainguard/busybox@sha256:placeholder",
        "-shell-image-win",
        "mcr.microsoft.com/powershell:nanoserver@sha256:placeholder",
    ]


@dataclass(frozen=True, slots=True)
class SetTemplate:
    """One TektonInstallerSet a component owns: its generateName, labels and manifests."""

    generate_name: str
    set_type: str
    install_type: str | None
    manifests: tuple[Mapping[str, Any], ...]
    statefulsets: tuple[tuple[str, str], ...] = ()
    """(Deployment, service) pairs the operator turns into StatefulSets after setting the images."""


STATEFUL_ORDINAL_ENV: Final = "STATEFUL_CONTROLLER_ORDINAL"
PIPELINE_STATEFULSETS: Final = (
    ("tekton-pipelines-controller", "tekton-pipelines-controller"),
    ("tekton-pipelines-remote-resolvers", "tekton-pipelines-remote-resolvers"),
)
"""tektoncd/operator tektonpipeline/transform.go:98-103: what `statefulset-ordinals` converts."""


def statefulset_ordinals(spec: Mapping[str, Any]) -> bool:
    """TektonPipeline `spec.performance.statefulset-ordinals` (performance_types.go:39-43)."""
    return bool((spec.get("performance") or {}).get("statefulset-ordinals"))


def sets_for(component: Component, spec: Mapping[str, Any]) -> tuple[SetTemplate, ...]:
    """The component's sets for its CR spec: with statefulset ordinals, the pipeline's workloads go in
    a `pipeline-main-statefulset-` set and its controller and resolvers become StatefulSets
    (tektoninstallerset/client/create.go:93-109; the real operator first creates, then deletes
    the `-main-deployment-` set each time, tektonpipeline/reconcile.go:98-113, which is not emulated)."""
    if component.kind != "TektonPipeline" or not statefulset_ordinals(spec):
        return component.sets
    return tuple(
        SetTemplate(
            "pipeline-main-statefulset-", t.set_type, None, t.manifests, statefulsets=PIPELINE_STATEFULSETS
        )
        if t.generate_name == "pipeline-main-deployment-"
        else t
        for t in component.sets
    )


@dataclass(frozen=True, slots=True)
class Component:
    """A component CR the operator reconciles, with its installer sets."""

    kind: str
    plural: str
    cr_name: str
    prefix: str  # IMAGE_* prefix whose variables transform its manifests
    sets: tuple[SetTemplate, ...]


def _pipeline(ns: str) -> Component:
    return Component(
        kind="TektonPipeline",
        plural="tektonpipelines",
        cr_name="pipeline",
        prefix="IMAGE_PIPELINES_",
        sets=(
            SetTemplate("pipeline-pre-", "pre", None, (_configmap("pipelines-pre-config", ns),)),
            SetTemplate(
                "pipeline-main-static-",
                "main",
                None,
                (
                    _service_account("tekton-pipelines-controller", ns),
                    _configmap("feature-flags", ns, {"enable-api-fields": "beta"}),
                ),
            ),
            SetTemplate(
                "pipeline-main-deployment-",
                "main",
                None,
                (
                    _deployment(
                        "tekton-pipelines-controller",
                        ns,
                        "tekton-pipelines-controller",
                        _part_of("tekton-pipelines", "controller", "tekton-pipelines-controller"),
                        args=pipeline_controller_args(),
                    ),
                    _deployment(
                        "tekton-pipelines-webhook",
                        ns,
                        "webhook",
                        {
                            "app.kubernetes.io/part-of": "tekton-pipelines",
                            "name": "webhook",
                            "app": "tekton-pipelines-webhook",
                        },
                    ),
                    _deployment(
                        "tekton-events-controller",
                        ns,
                        "tekton-events-controller",
                        {
                            "app.kubernetes.io/part-of": "tekton-pipelines",
                            "name": "events",
                            "app": "tekton-events-controller",
                        },
                    ),
                    _deployment(
                        "tekton-pipelines-remote-resolvers",
                        ns,
                        "controller",
                        {
                            "app.kubernetes.io/part-of": "tekton-pipelines",
                            "name": "resolvers",
                            "app": "tekton-pipelines-resolvers",
                        },
                    ),
                ),
            ),
            # Placement of the proxy webhook in the post set is an emulator choice (reference §7 lists
            # the Deployment, not which set carries it).
            SetTemplate(
                "pipeline-post-",
                "post",
                None,
                (
                    _deployment(
                        "tekton-operator-proxy-webhook",
                        ns,
                        "proxy",
                        {"name": "tekton-operator", "app": "tekton-operator"},
                    ),
                ),
            ),
        ),
    )


def _trigger(ns: str) -> Component:
    return Component(
        kind="TektonTrigger",
        plural="tektontriggers",
        cr_name="trigger",
        prefix="IMAGE_TRIGGERS_",
        sets=(
            SetTemplate(
                "trigger-main-static-", "main", None, (_service_account("tekton-triggers-controller", ns),)
            ),
            SetTemplate(
                "trigger-main-deployment-",
                "main",
                None,
                (
                    _deployment(
                        "tekton-triggers-controller",
                        ns,
                        "tekton-triggers-controller",
                        _part_of("tekton-triggers", "controller", "tekton-triggers-controller"),
                        args=[
                            "-logtostderr",
                            "-stderrthreshold",
                            "INFO",
                            "-el-image",
                            "gcr.io/tekton-releases/eventlistenersink:placeholder",
                            "-el-port",
                            "8080",
                        ],
                    ),
                    _deployment(
                        "tekton-triggers-webhook", ns, "webhook", _part_of("tekton-triggers", "webhook")
                    ),
                    _deployment(
                        "tekton-triggers-core-interceptors",
                        ns,
                        "tekton-triggers-core-interceptors",
                        _part_of("tekton-triggers", "core-interceptors"),
                    ),
                ),
            ),
        ),
    )


def _chain(ns: str) -> Component:
    return Component(
        kind="TektonChain",
        plural="tektonchains",
        cr_name="chain",
        prefix="IMAGE_CHAINS_",
        sets=(
            SetTemplate("chain-config-", "chain-config", None, (_configmap("chains-config", ns),)),
            SetTemplate(
                "chain-secret-", "chain-secret", None, (_configmap("chains-secret-placeholder", ns),)
            ),
            SetTemplate(
                "chain-",
                "chain",
                "deployment",
                (
                    _deployment(
                        "tekton-chains-controller",
                        ns,
                        "tekton-chains-controller",
                        _part_of("tekton-chains", "controller"),
                    ),
                ),
            ),
        ),
    )


def _result(ns: str) -> Component:
    def results(part: str, container: str) -> dict[str, Any]:
        name = f"tekton-results-{part}"
        return _deployment(name, ns, container, {"app.kubernetes.io/name": name, "app": name})

    return Component(
        kind="TektonResult",
        plural="tektonresults",
        cr_name="result",
        prefix="IMAGE_RESULTS_",
        sets=(
            SetTemplate("result-pre-", "pre", None, (_configmap("tekton-results-config", ns),)),
            SetTemplate(
                "result-",
                "result",
                "deployment",
                (
                    results("api", "api"),
                    results("watcher", "watcher"),
                    results("retention-policy-agent", "retention-policy-agent"),
                ),
            ),
            SetTemplate("result-post-", "post", None, (_configmap("tekton-results-post", ns),)),
        ),
    )


def _manual_approval_gate(ns: str) -> Component:
    return Component(
        kind="ManualApprovalGate",
        plural="manualapprovalgates",
        cr_name="manual-approval-gate",
        prefix="IMAGE_MAG_",
        sets=(
            SetTemplate(
                "manualapprovalgate-main-static-",
                "main",
                None,
                (_service_account("manual-approval-gate", ns),),
            ),
            SetTemplate(
                "manualapprovalgate-main-deployment-",
                "main",
                None,
                (
                    _deployment(
                        "manual-approval-gate-controller",
                        ns,
                        "tekton-taskgroup-controller",
                        _part_of(
                            "openshift-pipelines-manual-approval-gates",
                            "controller",
                            "tekton-taskgroup-controller",
                        ),
                    ),
                    _deployment(
                        "manual-approval-gate-webhook",
                        ns,
                        "manual-approval",
                        {"name": "manual-approval-gate-webhook", "app": "manual-approval-gate-webhook"},
                    ),
                ),
            ),
        ),
    )


def components(target_namespace: str = TARGET_NAMESPACE) -> tuple[Component, ...]:
    """Every component CR with its sets, in the order the TektonConfig reconciler creates them."""
    ns = target_namespace
    return (_pipeline(ns), _trigger(ns), _chain(ns), _result(ns), _manual_approval_gate(ns))


CONSOLE_PLUGIN_SET_PREFIX: Final = "tekton-config-console-plugin-manifests-"
CONSOLE_PLUGIN_CREATED_BY: Final = "tekton-config-console-plugin-manifests"


def console_plugin_manifests(target_namespace: str = TARGET_NAMESPACE) -> list[dict[str, Any]]:
    """The console plugin Deployment (reference §7), before the image is set."""
    return [
        _deployment(
            "pipelines-console-plugin",
            target_namespace,
            "pipelines-console-plugin",
            {"app": "pipelines-console-plugin", "app.kubernetes.io/part-of": "tekton-config"},
        )
    ]
