"""The Tekton operator (lifecycle + cluster-operations containers), reconciling from its running pod.

Owns: TektonConfig `config` (auto-created when AUTOINSTALL_COMPONENTS is true), the component CRs
(TektonPipeline `pipeline`, TektonTrigger `trigger`, TektonChain `chain`, TektonResult `result`,
ManualApprovalGate `manual-approval-gate`), their TektonInstallerSets (real generateName prefixes,
labels, annotations, ownerReferences and finalizer; reference §6), applying each set's manifests
(the `tektoninstallerset` controller) and running its finalizer, the console-plugin set, and the
real TektonConfig / component conditions (reference §7, §16).

Fidelity rules it keeps:
- It works only while a pod of Deployment `openshift-pipelines-operator` is Running and Ready, and
  reads IMAGE_* from that pod's lifecycle container env (the pod spec, not the Deployment), so a new
  value takes effect only after the pod was replaced (reference §1.1, §4).
- A set's `last-applied-hash` covers the component CR spec, not the images: changing IMAGE_* alone
  never refreshes a set; deleting it does (its finalizer deletes every object of its manifests, the
  component goes not ready, then the set is created again from the current env) (reference §1.4-5).
- Main sets must be exactly one `static` + one `deployment` (or `statefulset`) set, else all are
  deleted and recreated.
- The console-plugin set hashes the transformed manifest, so a new image alone recreates it; its
  variable is `_LEGACY` on OpenShift < 4.22 (ClusterVersion `version`, `status.desired.version`)
  with operator >= 1.21; with an unknown version no variable is read and the manifest's image stays.
- TektonPipeline's spec follows TektonConfig `spec.pipeline`; `performance.statefulset-ordinals`
  puts the pipelines controller and remote resolvers in StatefulSets (`operands.sets_for`).
- `TEKTON_REGISTRY_OVERRIDE` in the operator's env rewrites registries (`transform.py`) and is part
  of every set's `last-applied-hash`, so changing it refreshes the sets.
- Every namespace not matched by the operator's ignore pattern gets ServiceAccount `pipeline`
  (owner TektonConfig), which release-tests' BeforeScenario waits for (tektoncd/operator
  pkg/reconciler/openshift/tektonconfig/rbac.go:342-380, 795-830; pattern common.go:39).
- Enabled components: `profile` lite = pipeline; basic/all = pipeline, trigger, chain, result, each
  unless `spec.<trigger|chain|result>.disabled: true`. ManualApprovalGate is reconciled when its CR
  exists (created by a user, as in the CSV's alm-examples) or `spec.manualApprovalGate.disabled` is
  false in TektonConfig (then the operator creates the CR). The console plugin is deployed for every
  profile (the emulated platform is always OpenShift).
Faults: `operator_never_ready` keeps TektonConfig Ready=False (sets and pods still come up);
`slow_operator_s` delays every reconcile triggered by an event.
Not emulated: TektonAddon, PAC, Hub, Pruner, upgrades, TektonConfig deletion.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Final

from pytest_streamstress.testing.emulator import manifests, operands, transform
from pytest_streamstress.testing.emulator.controllers import _util, tekton_status
from pytest_streamstress.testing.emulator.controllers._base import Controller, Host
from pytest_streamstress.testing.emulator.controllers.console_plugin import ConsolePlugin
from pytest_streamstress.testing.emulator.controllers.installer_sets import (
    A_HASH,
    A_TARGET,
    API,
    FINALIZER,
    L_CREATED_BY,
    L_INSTALL_TYPE,
    L_RELEASE,
    L_TYPE,
    InstallerSets,
)
from pytest_streamstress.testing.emulator.store import Event, Obj

log = logging.getLogger(__name__)

KEY: Final = "operator"
IGNORED_NAMESPACES: Final = re.compile(
    r"^(openshift|kube)-|^open-cluster-management-agent-addon$|^open-cluster-management-agent$"
    r"|^dedicated-admin$|^kube-node-lease$|^kube-public$|^kube-system$"
)
"""tektoncd/operator pkg/reconciler/common/common.go:39 `NamespaceIgnorePattern`."""


def enabled_components(spec: Mapping[str, Any], *, mag_cr_exists: bool) -> set[str]:
    """CR names of the components a TektonConfig spec enables (see the module docstring)."""
    profile = spec.get("profile") or "all"
    enabled = {"pipeline"}
    if profile in ("basic", "all"):
        for name in ("trigger", "chain", "result"):
            if not (spec.get(name) or {}).get("disabled", False):
                enabled.add(name)
    mag = spec.get("manualApprovalGate")
    if mag_cr_exists or (isinstance(mag, Mapping) and mag.get("disabled") is False):
        enabled.add("manual-approval-gate")
    return enabled


class TektonOperatorController(Controller):
    name = "tekton-operator"

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self.t = {
            kind: self.store.rtype(API, kind)
            for kind in (
                "TektonConfig",
                "TektonInstallerSet",
                "TektonPipeline",
                "TektonTrigger",
                "TektonChain",
                "TektonResult",
                "ManualApprovalGate",
            )
        }
        self.pods = self.store.rtype("v1", "Pod")
        self.deployments = self.store.rtype("apps/v1", "Deployment")
        self.statefulsets = self.store.rtype("apps/v1", "StatefulSet")
        self.namespaces = self.store.rtype("v1", "Namespace")
        self.cluster_versions = self.store.rtype("config.openshift.io/v1", "ClusterVersion")
        self._target = manifests.TARGET_NAMESPACE
        self.installer_sets = InstallerSets(self.store)
        self._pod: Obj | None = None
        self.console_plugin = ConsolePlugin(
            store=self.store,
            sets=lambda created_by: self._sets(created_by=created_by),
            create_set=self._create_set,
            delete_set=self._delete_set,
            say=self._say,
        )

    # -- routing -----------------------------------------------------------------------------------
    def keys_for(self, event: Event) -> Iterable[Hashable]:
        rt, meta = event.rtype, event.obj["metadata"]
        if rt.group in ("operator.tekton.dev", "config.openshift.io") or rt is self.namespaces:
            return [KEY]
        if rt is self.pods and meta.get("namespace") == manifests.OPERATOR_NAMESPACE:
            return [KEY] if (meta.get("labels") or {}).get("name") == manifests.OPERATOR_DEPLOYMENT else ()
        if rt in (self.deployments, self.statefulsets) and meta.get("namespace") == self._target:
            return [KEY]
        return ()

    def initial_keys(self) -> Iterable[Hashable]:
        return [KEY]

    def enqueue_delay(self, key: Hashable) -> float:
        return float(self.faults.slow_operator_s)

    # -- the operator process ----------------------------------------------------------------------
    def operator_pod(self) -> Obj | None:
        """The newest Running+Ready operator pod, the one whose env the operator process has."""
        pods, _ = self.store.list(
            self.pods, manifests.OPERATOR_NAMESPACE, label_selector=f"name={manifests.OPERATOR_DEPLOYMENT}"
        )
        ready = [
            p
            for p in pods
            if not _util.is_deleting(p)
            and (p.get("status") or {}).get("phase") == "Running"
            and _util.is_condition_true(p, "Ready")
        ]
        ready.sort(
            key=lambda p: (p["metadata"].get("creationTimestamp", ""), int(p["metadata"]["resourceVersion"]))
        )
        return ready[-1] if ready else None

    def pod_env(self, pod: Obj) -> dict[str, str]:
        """The lifecycle container's environment as the process sees it (values resolved)."""
        containers = (pod.get("spec") or {}).get("containers") or []
        container = next((c for c in containers if c.get("name") == manifests.LIFECYCLE_CONTAINER), None)
        if container is None and containers:
            container = containers[0]
        return _util.container_env(self.store, pod, container or {})

    # -- reconcile ---------------------------------------------------------------------------------
    def reconcile(self, key: Hashable) -> float | None:
        pod = self.operator_pod()
        if pod is None:
            return None  # no operator process: nothing reconciles, not even finalizers
        env = self.pod_env(pod)
        version = env.get("VERSION", manifests.OPERATOR_VERSION)
        entries = transform.env_entries(env)
        registry = env.get(transform.REGISTRY_OVERRIDE_VAR, "")
        self._pod = pod
        for name in self.installer_sets.run_finalizers():
            self._say(
                f"TektonInstallerSet {name}: deleted the objects of its manifests",
                manifests.CLUSTER_OPERATIONS_CONTAINER,
            )
        config = _util.get_or_none(self.store, self.t["TektonConfig"], None, "config")
        if config is None:
            if env.get("AUTOINSTALL_COMPONENTS", "true").lower() != "true":
                return None
            config = self._create_config(env)
            self._say("TektonConfig config created (AUTOINSTALL_COMPONENTS)")
        spec = config.get("spec") or {}
        self._target = str(spec.get("targetNamespace") or env.get("DEFAULT_TARGET_NAMESPACE") or self._target)
        _util.create_if_absent(self.store, self.namespaces, {"metadata": {"name": self._target}})
        mag_exists = _util.get_or_none(self.store, self.t["ManualApprovalGate"], None, "manual-approval-gate")
        enabled = enabled_components(spec, mag_cr_exists=mag_exists is not None)
        not_ready: list[str] = []
        for component in operands.components(self._target):
            if component.cr_name not in enabled:
                self._remove_component(component)
                continue
            cr = self._ensure_cr(component, config)
            problem = self._reconcile_component(component, cr, entries, version, registry)
            if problem:
                not_ready.append(f"{component.kind}: {problem}")
        problem = self.console_plugin.reconcile(config, env, version, target=self._target, pod=self._pod)
        if problem:
            not_ready.append(f"ConsolePlugin: {problem}")
        self.installer_sets.apply_all(self._target)
        self._ensure_pipeline_service_accounts(config)
        self._write_config_status(config, version, not_ready)
        return None

    def _ensure_pipeline_service_accounts(self, config: Obj) -> None:
        """ServiceAccount `pipeline` in every namespace the operator does not ignore (rbac.go:795-830)."""
        accounts = self.store.rtype("v1", "ServiceAccount")
        namespaces, _ = self.store.list(self.namespaces)
        for namespace in namespaces:
            name = _util.name_of(namespace)
            if _util.is_deleting(namespace) or IGNORED_NAMESPACES.search(name):
                continue
            if _util.get_or_none(self.store, accounts, name, "pipeline") is None:
                _util.create_if_absent(
                    self.store,
                    accounts,
                    {
                        "metadata": {
                            "name": "pipeline",
                            "namespace": name,
                            "ownerReferences": [_util.owner_ref(config)],
                        }
                    },
                )

    def _create_config(self, env: Mapping[str, str]) -> Obj:
        target = env.get("DEFAULT_TARGET_NAMESPACE") or manifests.TARGET_NAMESPACE
        return _util.create_if_absent(
            self.store,
            self.t["TektonConfig"],
            {
                "apiVersion": API,
                "kind": "TektonConfig",
                "metadata": {"name": "config"},
                "spec": {"targetNamespace": target, "profile": "all"},
            },
        )

    # -- component CRs -----------------------------------------------------------------------------
    def _ensure_cr(self, component: operands.Component, config: Obj) -> Obj:
        rtype = self.t[component.kind]
        cr = _util.get_or_none(self.store, rtype, None, component.cr_name)
        if cr is not None and component.kind == "TektonPipeline":
            return self._follow_config(cr, config)
        if cr is not None:
            return cr
        return _util.create_if_absent(
            self.store,
            rtype,
            {
                "apiVersion": API,
                "kind": component.kind,
                "metadata": {"name": component.cr_name, "ownerReferences": [_util.owner_ref(config)]},
                "spec": {"targetNamespace": self._target},
            },
        )

    def _follow_config(self, cr: Obj, config: Obj) -> Obj:
        """TektonPipeline's spec is TektonConfig `spec.pipeline` plus the target namespace
        (tektoncd/operator pkg/reconciler/shared/tektonconfig/pipeline/pipeline.go:65-110)."""
        wanted = {**((config.get("spec") or {}).get("pipeline") or {}), "targetNamespace": self._target}
        if (cr.get("spec") or {}) == wanted:
            return cr

        def update(obj: Obj) -> None:
            obj["spec"] = wanted

        return self.store.mutate(self.t["TektonPipeline"], None, _util.name_of(cr), update)

    def _remove_component(self, component: operands.Component) -> None:
        cr = _util.get_or_none(self.store, self.t[component.kind], None, component.cr_name)
        if cr is not None:
            owner = _util.controller_of(cr)
            if owner is None or owner.get("kind") != "TektonConfig":
                return  # created by a user (a ManualApprovalGate): not the operator's to remove
            # Deleting the CR garbage-collects its sets; their finalizer removes the operands.
            _util.delete_if_present(self.store, self.t[component.kind], None, component.cr_name)
        for tis in self._sets(created_by=component.kind):
            if not _util.is_deleting(tis):
                self._delete_set(tis)

    def _sets(self, *, created_by: str) -> list[Obj]:
        items, _ = self.store.list(
            self.t["TektonInstallerSet"], label_selector=f"{L_CREATED_BY}={created_by}"
        )
        return items

    def _reconcile_component(
        self, component: operands.Component, cr: Obj, entries: list[str], version: str, registry: str
    ) -> str | None:
        """Make the component's sets right; the reason it is not ready, or None."""
        sets = self._sets(created_by=component.kind)
        deleting = [s for s in sets if _util.is_deleting(s)]
        problem: str | None = None
        if deleting:
            problem = f"waiting for TektonInstallerSet {_util.name_of(deleting[0])} to be deleted"
        else:
            # check.go:162-172 hashes the CR spec with TEKTON_REGISTRY_OVERRIDE (never the images)
            spec = cr.get("spec") or {}
            spec_hash = _util.canonical_hash([spec, registry] if registry else spec)
            problem = self._fix_sets(
                component, cr, sets, entries, version=version, spec_hash=spec_hash, registry=registry
            )
        sets = [s for s in self._sets(created_by=component.kind) if not _util.is_deleting(s)]
        if problem is None:
            unready = [s for s in sets if not _util.is_condition_true(s, "Ready")]
            if unready:
                problem = f"installer set {_util.name_of(unready[0])} not ready"
        self._write_component_status(component, problem, version, sets)
        return problem

    def _fix_sets(
        self,
        component: operands.Component,
        cr: Obj,
        sets: list[Obj],
        entries: list[str],
        *,
        version: str,
        spec_hash: str,
        registry: str,
    ) -> str | None:
        main = [s for s in sets if _util.labels(s).get(L_TYPE) == "main"]
        has_main = any(t.set_type == "main" for t in component.sets)
        if has_main and main and not _valid_main(main):
            for tis in main:
                self._delete_set(tis)
            return "invalid state of main installer sets, deleting them"
        images = transform.images_from_env(entries, component.prefix, registry=registry)
        problem: str | None = None
        templates = operands.sets_for(component, cr.get("spec") or {})
        for stale_set in _leftover_sets(sets, component.sets, templates):
            self._delete_set(stale_set)
        for template in templates:
            matching = [
                s
                for s in sets
                if _util.labels(s).get(L_TYPE) == template.set_type
                and _util.name_of(s).startswith(template.generate_name)
            ]
            stale = len(matching) > 1 or any(
                not _meta_matches(s, version=version, target=self._target) for s in matching
            )
            if stale:
                for tis in matching:
                    _util.delete_if_present(
                        self.store, self.t["TektonInstallerSet"], None, _util.name_of(tis)
                    )
                problem = f"updating installer sets of type {template.set_type}"
                continue
            if matching and _annotations(matching[0]).get(A_HASH) != spec_hash:
                # ErrUpdateRequired: the set is updated in place (tektoninstallerset/client/update.go:83-110)
                self._update_set(matching[0], spec_hash, _manifests(template, images, registry))
            if not matching:
                self._create_set(
                    owner=cr,
                    generate_name=template.generate_name,
                    labels=_set_labels(component.kind, template, version),
                    spec_hash=spec_hash,
                    manifests_=_manifests(template, images, registry),
                )
        return problem

    def _update_set(self, tis: Obj, spec_hash: str, manifests_: list[Obj]) -> None:
        def update(obj: Obj) -> None:
            obj["metadata"].setdefault("annotations", {})[A_HASH] = spec_hash
            obj["spec"] = {"manifests": manifests_}

        self.store.mutate(self.t["TektonInstallerSet"], None, _util.name_of(tis), update)
        self._say(f"updated TektonInstallerSet {_util.name_of(tis)}")

    def _delete_set(self, tis: Obj) -> None:
        _util.delete_if_present(self.store, self.t["TektonInstallerSet"], None, _util.name_of(tis))
        self._say(f"deleting TektonInstallerSet {_util.name_of(tis)}")

    def _say(self, message: str, container: str = manifests.LIFECYCLE_CONTAINER) -> None:
        """One zap-style JSON line in the operator pod's log, like the real operator writes."""
        if self._pod is None:
            return
        line = json.dumps(
            {"level": "info", "ts": _util.now(), "logger": "tekton-operator-lifecycle", "msg": message}
        )
        meta = self._pod["metadata"]
        self.store.append_log(meta["namespace"], meta["name"], container, line + "\n")

    def _create_set(
        self, *, owner: Obj, generate_name: str, labels: dict[str, str], spec_hash: str, manifests_: list[Obj]
    ) -> Obj:
        created = self._create_set_object(
            owner=owner,
            generate_name=generate_name,
            labels=labels,
            spec_hash=spec_hash,
            manifests_=manifests_,
        )
        self._say(f"created TektonInstallerSet {_util.name_of(created)}")
        return created

    def _create_set_object(
        self, *, owner: Obj, generate_name: str, labels: dict[str, str], spec_hash: str, manifests_: list[Obj]
    ) -> Obj:
        return self.store.create(
            self.t["TektonInstallerSet"],
            {
                "apiVersion": API,
                "kind": "TektonInstallerSet",
                "metadata": {
                    "generateName": generate_name,
                    "labels": labels,
                    "annotations": {A_TARGET: self._target, A_HASH: spec_hash},
                    "ownerReferences": [_util.owner_ref(owner)],
                    "finalizers": [FINALIZER],
                },
                "spec": {"manifests": manifests_},
            },
        )

    # -- status ------------------------------------------------------------------------------------
    def _write_component_status(
        self, component: operands.Component, problem: str | None, version: str, sets: list[Obj]
    ) -> None:
        if _util.get_or_none(self.store, self.t[component.kind], None, component.cr_name) is not None:
            mutator = tekton_status.component_status(problem, version, sets)
            self.store.mutate(self.t[component.kind], None, component.cr_name, mutator, subresource="status")

    def _write_config_status(self, config: Obj, version: str, not_ready: list[str]) -> None:
        if self.faults.operator_never_ready and not not_ready:
            not_ready = [tekton_status.NEVER_READY_PROBLEM]
        plugin = [
            _util.name_of(s)
            for s in self._sets(created_by=operands.CONSOLE_PLUGIN_CREATED_BY)
            if not _util.is_deleting(s)
        ]
        mutator = tekton_status.config_status(
            not_ready=not_ready,
            version=version,
            profile=(config.get("spec") or {}).get("profile") or "all",
            installer_sets={operands.CONSOLE_PLUGIN_CREATED_BY: plugin[0]} if plugin else {},
        )
        self.store.mutate(self.t["TektonConfig"], None, "config", mutator, subresource="status")


# -- pure helpers ----------------------------------------------------------------------------------
def _manifests(template: operands.SetTemplate, images: Mapping[str, str], registry: str) -> list[Obj]:
    """Images first, then the StatefulSet conversion: the order of tektonpipeline/transform.go:76-103."""
    out = transform.transform_manifests(template.manifests, images, registry=registry)
    convert = dict(template.statefulsets)
    return [
        transform.to_statefulset(obj, convert[_util.name_of(obj)], operands.STATEFUL_ORDINAL_ENV)
        if obj.get("kind") == "Deployment" and _util.name_of(obj) in convert
        else obj
        for obj in out
    ]


def _leftover_sets(
    sets: list[Obj], every: tuple[operands.SetTemplate, ...], wanted: tuple[operands.SetTemplate, ...]
) -> list[Obj]:
    """Sets of a template the spec no longer wants (the deployment set after statefulset-ordinals
    was switched on, and back: tektonpipeline/reconcile.go:98-113)."""
    unwanted = {t.generate_name for t in every} - {t.generate_name for t in wanted}
    unwanted |= {"pipeline-main-statefulset-"} - {t.generate_name for t in wanted}
    return [
        s
        for s in sets
        if not _util.is_deleting(s) and any(_util.name_of(s).startswith(prefix) for prefix in unwanted)
    ]


def _valid_main(main: list[Obj]) -> bool:
    names = [_util.name_of(s) for s in main]
    return (
        len(names) == 2
        and sum("static" in n for n in names) == 1
        and sum("deployment" in n or "statefulset" in n for n in names) == 1
    )


def _meta_matches(tis: Obj, *, version: str, target: str) -> bool:
    """Release version and target namespace: a set that differs is deleted (check.go:114-135)."""
    return _util.labels(tis).get(L_RELEASE) == version and _annotations(tis).get(A_TARGET) == target


def _annotations(obj: Obj) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("annotations") or {})


def _set_labels(kind: str, template: operands.SetTemplate, version: str) -> dict[str, str]:
    labels = {L_CREATED_BY: kind, L_TYPE: template.set_type, L_RELEASE: version}
    if template.install_type:
        labels[L_INSTALL_TYPE] = template.install_type
    return labels
