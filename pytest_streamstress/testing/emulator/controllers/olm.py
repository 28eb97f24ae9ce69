"""OLM for one package: Subscription -> ClusterServiceVersion -> operator Deployments (reference §5).

Owns: resolving a Subscription for `openshift-pipelines-operator-rh` to the CSV
`openshift-pipelines-operator-rh.v1.21.3` (created in the Subscription's namespace), walking the CSV
through the real phases one write at a time (so a watch sees each: Pending/RequirementsUnknown ->
Pending/RequirementsNotMet -> InstallReady/AllRequirementsMet -> Installing/InstallSucceeded
[-> Installing/InstallWaiting] -> Succeeded/InstallSucceeded, each appended to
`status.conditions`), and applying `spec.install.spec.deployments` as Deployments labelled with
`olm.deployment-spec-hash` (fnv32a of the canonical JSON of the entry's `spec`, safe-encoded like
Kubernetes hashes; the real OLM hashes the Go struct, so values differ, semantics do not), the
`olm.owner*` labels, `revisionHistoryLimit: 1` and an injected `OPERATOR_CONDITION_NAME`.

On a Succeeded CSV every change re-checks the hash label against the CSV (reference §5.5): a CSV
edit changes the computed hash -> Pending/NeedsReinstall -> InstallReady -> Installing (Deployment
re-applied, so the template change rolls the pods) -> Succeeded. A direct Deployment edit keeps the
old label, so it is *not* reverted until the next CSV change (OLM issue #1853).
`faults.olm_ignores_csv_env`: on re-apply the live containers keep their env (the CSV still reaches
Succeeded and the hash label moves on), as the original tool met on one operator release.

Not emulated: catalogs, InstallPlans, OperatorGroup checks, copied CSVs, upgrades between versions.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from typing import Any, Final

from pytest_streamstress.testing.emulator import manifests
from pytest_streamstress.testing.emulator.controllers import _util
from pytest_streamstress.testing.emulator.controllers._base import Controller, Host
from pytest_streamstress.testing.emulator.store import Event, Obj

log = logging.getLogger(__name__)

HASH_LABEL: Final = "olm.deployment-spec-hash"
MAX_CONDITIONS: Final = 20


def deployment_hash(entry: dict[str, Any]) -> str:
    """The `olm.deployment-spec-hash` of one CSV deployment entry (see the module docstring)."""
    return _util.short_hash(entry.get("spec") or {})


def csv_deployment(csv: Obj, entry: dict[str, Any]) -> Obj:
    """The Deployment OLM applies for one `spec.install.spec.deployments` entry (reference §5.2)."""
    meta = csv["metadata"]
    spec = _util.canonical_copy(entry.get("spec") or {})
    spec["revisionHistoryLimit"] = 1
    template_spec = spec.setdefault("template", {}).setdefault("spec", {})
    for container in template_spec.get("containers") or []:
        env = container.setdefault("env", [])
        if not any(e.get("name") == "OPERATOR_CONDITION_NAME" for e in env):
            env.append({"name": "OPERATOR_CONDITION_NAME", "value": meta["name"]})
    labels = dict(entry.get("label") or {})
    labels.update(
        {
            HASH_LABEL: deployment_hash(entry),
            "olm.owner": meta["name"],
            "olm.owner.kind": "ClusterServiceVersion",
            "olm.owner.namespace": meta["namespace"],
            f"operators.coreos.com/{manifests.PACKAGE}.{meta['namespace']}": "",
        }
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": entry["name"],
            "namespace": meta["namespace"],
            "labels": labels,
            "ownerReferences": [_util.owner_ref(csv, controller=False)],
        },
        "spec": spec,
    }


class OlmController(Controller):
    name = "olm"

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self.subscriptions = self.store.rtype("operators.coreos.com/v1alpha1", "Subscription")
        self.csvs = self.store.rtype("operators.coreos.com/v1alpha1", "ClusterServiceVersion")
        self.deployments = self.store.rtype("apps/v1", "Deployment")
        self.configmaps = self.store.rtype("v1", "ConfigMap")
        self.service_accounts = self.store.rtype("v1", "ServiceAccount")

    def keys_for(self, event: Event) -> Iterable[Hashable]:
        meta = event.obj["metadata"]
        if event.rtype is self.subscriptions:
            return [("Subscription", meta["namespace"], meta["name"])]
        if event.rtype is self.csvs:
            return [("CSV", meta["namespace"], meta["name"]), ("Subscriptions", meta["namespace"])]
        if event.rtype is self.deployments:
            labels = meta.get("labels") or {}
            if labels.get("olm.owner.kind") == "ClusterServiceVersion":
                return [("CSV", labels.get("olm.owner.namespace", ""), labels.get("olm.owner", ""))]
        return ()

    def initial_keys(self) -> Iterable[Hashable]:
        subs, _ = self.store.list(self.subscriptions)
        csvs, _ = self.store.list(self.csvs)
        return [("Subscription", s["metadata"]["namespace"], s["metadata"]["name"]) for s in subs] + [
            ("CSV", c["metadata"]["namespace"], c["metadata"]["name"]) for c in csvs
        ]

    def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, tuple)
        if key[0] == "Subscriptions":
            for sub in self.store.list(self.subscriptions, key[1])[0]:
                self._reconcile_subscription(sub["metadata"]["namespace"], sub["metadata"]["name"])
            return None
        if key[0] == "Subscription":
            return self._reconcile_subscription(key[1], key[2])
        return self._reconcile_csv(key[1], key[2])

    # -- Subscription ------------------------------------------------------------------------------
    def _reconcile_subscription(self, namespace: str, name: str) -> float | None:
        sub = _util.get_or_none(self.store, self.subscriptions, namespace, name)
        if sub is None or _util.is_deleting(sub):
            return None
        package = (sub.get("spec") or {}).get("name", "")
        if package != manifests.PACKAGE:
            self._subscription_unresolvable(sub, package)
            return None
        csv = _util.get_or_none(self.store, self.csvs, namespace, manifests.CSV_NAME)
        if csv is None:
            csv = _util.create_if_absent(self.store, self.csvs, manifests.csv(namespace))
        installed = (csv.get("status") or {}).get("phase") == "Succeeded" or bool(
            (sub.get("status") or {}).get("installedCSV")
        )

        def status(obj: Obj) -> None:
            st = obj.setdefault("status", {})
            before = dict(st)
            st["currentCSV"] = manifests.CSV_NAME
            st["state"] = "AtLatestKnown" if installed else "UpgradePending"
            if installed:
                st["installedCSV"] = manifests.CSV_NAME
            st["installPlanGeneration"] = 1
            st["installPlanRef"] = {
                "apiVersion": "operators.coreos.com/v1alpha1",
                "kind": "InstallPlan",
                "name": "install-" + _util.short_hash([namespace, name])[:5],
                "namespace": namespace,
            }
            st.pop("conditions", None)
            if st != before:
                st["lastUpdated"] = _util.now()

        self.store.mutate(self.subscriptions, namespace, name, status, subresource="status")
        return None

    def _subscription_unresolvable(self, sub: Obj, package: str) -> None:
        meta = sub["metadata"]
        message = (
            f"constraints not satisfiable: no operators found in package {package} in the catalog "
            f"referenced by subscription {meta['name']}"
        )

        def status(obj: Obj) -> None:
            st = obj.setdefault("status", {})
            conditions: list[dict[str, Any]] = st.get("conditions") or []
            _util.set_condition(
                conditions, "ResolutionFailed", "True", reason="ConstraintsNotSatisfiable", message=message
            )
            st["conditions"] = conditions
            st.setdefault("lastUpdated", _util.now())

        self.store.mutate(self.subscriptions, meta["namespace"], meta["name"], status, subresource="status")

    # -- CSV ---------------------------------------------------------------------------------------
    def _reconcile_csv(self, namespace: str, name: str) -> float | None:
        csv = _util.get_or_none(self.store, self.csvs, namespace, name)
        if csv is None or _util.is_deleting(csv):
            return None
        status = csv.get("status") or {}
        phase, reason = status.get("phase", ""), status.get("reason", "")
        entries = list(
            (((csv.get("spec") or {}).get("install") or {}).get("spec") or {}).get("deployments") or []
        )
        if phase == "":
            self._transition(csv, "Pending", "RequirementsUnknown", "requirements not yet checked")
            return 0.0
        if phase == "Pending" and reason == "RequirementsUnknown":
            self._transition(
                csv, "Pending", "RequirementsNotMet", "one or more requirements couldn't be found"
            )
            return 0.0
        if phase == "Pending":
            self._transition(
                csv, "InstallReady", "AllRequirementsMet", "all requirements found, attempting install"
            )
            return 0.0
        if phase == "InstallReady":
            self._install(csv, entries)
            self._transition(
                csv, "Installing", "InstallSucceeded", "waiting for install components to report healthy"
            )
            return 0.0
        if phase == "Installing":
            waiting = self._first_unavailable(namespace, entries)
            if waiting is None:
                self._transition(
                    csv, "Succeeded", "InstallSucceeded", "install strategy completed with no errors"
                )
            else:
                self._transition(
                    csv,
                    "Installing",
                    "InstallWaiting",
                    f"installing: waiting for deployment {waiting} to become ready: deployment "
                    f'"{waiting}" not available: Deployment does not have minimum availability.',
                )
            return None
        if phase == "Succeeded":
            changed = self._hash_mismatch(namespace, entries)
            if changed is not None:
                self._transition(csv, "Pending", "NeedsReinstall", changed)
                return 0.0
        return None

    def _hash_mismatch(self, namespace: str, entries: list[dict[str, Any]]) -> str | None:
        """The NeedsReinstall message when a Deployment's hash label differs from the CSV's, else None."""
        for entry in entries:
            live = _util.get_or_none(self.store, self.deployments, namespace, entry["name"])
            if live is None:
                return f'installing: deployment "{entry["name"]}" not found'
            old, new = _util.labels(live).get(HASH_LABEL, ""), deployment_hash(entry)
            if old != new:
                return f"installing: deployment changed old hash={old}, new hash={new}"
        return None

    def _first_unavailable(self, namespace: str, entries: list[dict[str, Any]]) -> str | None:
        for entry in entries:
            live = _util.get_or_none(self.store, self.deployments, namespace, entry["name"])
            if live is None or not _util.is_condition_true(live, "Available"):
                return str(entry["name"])
        return None

    def _install(self, csv: Obj, entries: list[dict[str, Any]]) -> None:
        namespace = csv["metadata"]["namespace"]
        _util.create_if_absent(self.store, self.configmaps, manifests.config_defaults_configmap(namespace))
        for entry in entries:
            sa = ((entry.get("spec") or {}).get("template") or {}).get("spec", {}).get("serviceAccountName")
            if sa:
                _util.create_if_absent(
                    self.store,
                    self.service_accounts,
                    {
                        "metadata": {
                            "name": sa,
                            "namespace": namespace,
                            "labels": {"olm.owner": csv["metadata"]["name"]},
                        }
                    },
                )
            self._apply_deployment(csv, entry)

    def _apply_deployment(self, csv: Obj, entry: dict[str, Any]) -> None:
        wanted = csv_deployment(csv, entry)
        namespace, name = wanted["metadata"]["namespace"], wanted["metadata"]["name"]
        live = _util.get_or_none(self.store, self.deployments, namespace, name)
        if live is None:
            _util.create_if_absent(self.store, self.deployments, wanted)
            return
        if self.faults.olm_ignores_csv_env:
            _keep_live_env(wanted, live)
            log.info("olm: fault olm_ignores_csv_env: %s/%s keeps its env", namespace, name)

        def apply(obj: Obj) -> None:
            obj["metadata"]["labels"] = {
                **(obj["metadata"].get("labels") or {}),
                **wanted["metadata"]["labels"],
            }
            obj["metadata"]["ownerReferences"] = wanted["metadata"]["ownerReferences"]
            obj["spec"] = wanted["spec"]

        self.store.mutate(self.deployments, namespace, name, apply)

    def _transition(self, csv: Obj, phase: str, reason: str, message: str) -> None:
        stamp = _util.now()

        def status(obj: Obj) -> None:
            st = obj.setdefault("status", {})
            if (st.get("phase"), st.get("reason"), st.get("message")) == (phase, reason, message):
                return
            if st.get("phase") != phase:
                st["lastTransitionTime"] = stamp
            st.update(phase=phase, reason=reason, message=message, lastUpdateTime=stamp)
            st.setdefault("requirementStatus", [])
            conditions = list(st.get("conditions") or [])
            conditions.append(
                {
                    "phase": phase,
                    "reason": reason,
                    "message": message,
                    "lastTransitionTime": stamp,
                    "lastUpdateTime": stamp,
                }
            )
            st["conditions"] = conditions[-MAX_CONDITIONS:]

        meta = csv["metadata"]
        log.debug("olm: CSV %s/%s -> %s/%s", meta["namespace"], meta["name"], phase, reason)
        self.store.mutate(self.csvs, meta["namespace"], meta["name"], status, subresource="status")


def _keep_live_env(wanted: Obj, live: Obj) -> None:
    live_env = {
        c.get("name"): c.get("env")
        for c in ((live.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
    }
    for container in wanted["spec"]["template"]["spec"].get("containers") or []:
        if container.get("name") in live_env and live_env[container["name"]] is not None:
            container["env"] = live_env[container["name"]]
