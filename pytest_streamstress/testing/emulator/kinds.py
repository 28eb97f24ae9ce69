"""The table of resource kinds the emulator serves (reference §2 and §14), registered in one place.

Owns only the table and `register_all`. Controllers that need another kind call
`store.register(ResourceType(...))` themselves. `builtin=False` marks kinds that are custom
resources on a real OpenShift cluster (OLM, operator.tekton.dev, config.openshift.io, the image
registry config): the real server answers 415 to a strategic merge patch on those. Routes are served
by openshift-apiserver from Go types, so they accept strategic merge like built-in kinds.
"""

from __future__ import annotations

import logging
from typing import Final

from pytest_streamstress.testing.emulator.store import ResourceType, Store

log = logging.getLogger(__name__)

_RO: Final = ("get", "list")

KINDS: Final[tuple[ResourceType, ...]] = (
    # core/v1
    ResourceType(
        group="",
        version="v1",
        kind="Namespace",
        generation=False,
        plural="namespaces",
        namespaced=False,
        short_names=("ns",),
    ),
    ResourceType(
        group="",
        version="v1",
        kind="Pod",
        categories=("all",),
        plural="pods",
        namespaced=True,
        short_names=("po",),
        subresources=("status", "log"),
    ),
    ResourceType(
        group="",
        version="v1",
        kind="Service",
        categories=("all",),
        plural="services",
        namespaced=True,
        short_names=("svc",),
    ),
    ResourceType(
        group="",
        version="v1",
        kind="ServiceAccount",
        generation=False,
        plural="serviceaccounts",
        namespaced=True,
        short_names=("sa",),
        subresources=(),
    ),
    ResourceType(
        group="",
        version="v1",
        kind="ConfigMap",
        generation=False,
        plural="configmaps",
        namespaced=True,
        short_names=("cm",),
        subresources=(),
    ),
    ResourceType(
        group="",
        version="v1",
        kind="Secret",
        generation=False,
        plural="secrets",
        namespaced=True,
        subresources=(),
    ),
    ResourceType(
        group="",
        version="v1",
        kind="Event",
        generation=False,
        plural="events",
        namespaced=True,
        short_names=("ev",),
        subresources=(),
    ),
    ResourceType(group="", version="v1", kind="Node", plural="nodes", namespaced=False, short_names=("no",)),
    # apps/v1, batch/v1
    ResourceType(
        group="apps",
        version="v1",
        kind="Deployment",
        categories=("all",),
        plural="deployments",
        namespaced=True,
        short_names=("deploy",),
        subresources=("status", "scale"),
    ),
    ResourceType(
        group="apps",
        version="v1",
        kind="ReplicaSet",
        categories=("all",),
        plural="replicasets",
        namespaced=True,
        short_names=("rs",),
        subresources=("status", "scale"),
    ),
    ResourceType(
        group="apps",
        version="v1",
        kind="StatefulSet",
        categories=("all",),
        plural="statefulsets",
        namespaced=True,
        short_names=("sts",),
        subresources=("status", "scale"),
    ),
    ResourceType(
        group="batch", version="v1", kind="Job", categories=("all",), plural="jobs", namespaced=True
    ),
    # coordination.k8s.io/v1: the shards' serial gate (issue 23); no status subresource, no generation
    ResourceType(
        group="coordination.k8s.io",
        version="v1",
        kind="Lease",
        generation=False,
        plural="leases",
        namespaced=True,
        subresources=(),
    ),
    # rbac.authorization.k8s.io/v1
    ResourceType(
        group="rbac.authorization.k8s.io",
        version="v1",
        kind="Role",
        generation=False,
        plural="roles",
        namespaced=True,
        subresources=(),
    ),
    ResourceType(
        group="rbac.authorization.k8s.io",
        version="v1",
        kind="RoleBinding",
        generation=False,
        plural="rolebindings",
        namespaced=True,
        subresources=(),
    ),
    ResourceType(
        group="rbac.authorization.k8s.io",
        version="v1",
        kind="ClusterRole",
        generation=False,
        plural="clusterroles",
        namespaced=False,
        subresources=(),
    ),
    ResourceType(
        group="rbac.authorization.k8s.io",
        version="v1",
        kind="ClusterRoleBinding",
        generation=False,
        plural="clusterrolebindings",
        namespaced=False,
        subresources=(),
    ),
    # OLM (custom resources)
    ResourceType(
        group="operators.coreos.com",
        version="v1alpha1",
        kind="Subscription",
        plural="subscriptions",
        namespaced=True,
        short_names=("sub", "subs"),
        builtin=False,
    ),
    ResourceType(
        group="operators.coreos.com",
        version="v1alpha1",
        kind="ClusterServiceVersion",
        plural="clusterserviceversions",
        namespaced=True,
        short_names=("csv", "csvs"),
        builtin=False,
    ),
    ResourceType(
        group="operators.coreos.com",
        version="v1alpha1",
        kind="InstallPlan",
        plural="installplans",
        namespaced=True,
        short_names=("ip",),
        builtin=False,
    ),
    ResourceType(
        group="operators.coreos.com",
        version="v1",
        kind="OperatorGroup",
        plural="operatorgroups",
        namespaced=True,
        short_names=("og",),
        builtin=False,
    ),
    # operator.tekton.dev (all cluster-scoped custom resources, reference §2)
    *(
        ResourceType(
            group="operator.tekton.dev",
            version="v1alpha1",
            kind=kind,
            plural=plural,
            namespaced=False,
            short_names=short,
            builtin=False,
        )
        for kind, plural, short in (
            ("TektonConfig", "tektonconfigs", ()),
            ("TektonInstallerSet", "tektoninstallersets", ()),
            ("TektonPipeline", "tektonpipelines", ()),
            ("TektonTrigger", "tektontriggers", ()),
            ("TektonChain", "tektonchains", ()),
            ("TektonResult", "tektonresults", ()),
            ("ManualApprovalGate", "manualapprovalgates", ("mag",)),
            ("TektonAddon", "tektonaddons", ()),
            ("OpenShiftPipelinesAsCode", "openshiftpipelinesascodes", ("opac",)),
            ("TektonPruner", "tektonpruners", ()),
        )
    ),
    # tekton.dev: the Konflux path's PipelineRun, and what the emulated Tekton controller runs
    ResourceType(
        group="tekton.dev",
        version="v1",
        kind="PipelineRun",
        plural="pipelineruns",
        namespaced=True,
        short_names=("pr",),
        builtin=False,
    ),
    ResourceType(
        group="tekton.dev",
        version="v1",
        kind="TaskRun",
        plural="taskruns",
        namespaced=True,
        short_names=("tr",),
        builtin=False,
    ),
    # OpenShift
    ResourceType(
        group="config.openshift.io",
        version="v1",
        kind="ClusterVersion",
        plural="clusterversions",
        namespaced=False,
        builtin=False,
    ),
    ResourceType(
        group="imageregistry.operator.openshift.io",
        version="v1",
        kind="Config",
        plural="configs",
        namespaced=False,
        builtin=False,
    ),
    ResourceType(group="route.openshift.io", version="v1", kind="Route", plural="routes", namespaced=True),
    # metrics.k8s.io: read-only, answered from Emulator.metrics_provider, never stored
    ResourceType(
        group="metrics.k8s.io",
        version="v1beta1",
        kind="PodMetrics",
        plural="pods",
        namespaced=True,
        subresources=(),
        verbs=_RO,
    ),
    ResourceType(
        group="metrics.k8s.io",
        version="v1beta1",
        kind="NodeMetrics",
        plural="nodes",
        namespaced=False,
        subresources=(),
        verbs=_RO,
    ),
)

METRICS_GROUP: Final = "metrics.k8s.io"


def register_all(store: Store) -> None:
    """Register every kind of the table with `store`."""
    for rtype in KINDS:
        store.register(rtype)
