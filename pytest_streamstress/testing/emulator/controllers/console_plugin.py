"""The TektonConfig console-plugin reconciler of the emulated operator (one set, its own rules).

Owns the `tekton-config-console-plugin-manifests-` set: its hash covers the transformed manifest
(so a new image alone recreates it), and the image variable it reads, chosen once per operator
process from ClusterVersion `version` `status.desired.version` (tektoncd/operator
pkg/reconciler/openshift/tektonconfig/console_plugin_reconciler.go:83-198, common_utils.go:26-49):
`_LEGACY` below OpenShift 4.22 (operator >= 1.21), the plain variable otherwise, and no variable
at all when the version is unknown, which keeps the manifest's default image. Driven by the
operator loop (`tekton_operator.py`), which lends it its set helpers. Must not: reconcile the
component sets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_streamstress.testing.emulator import operands, transform
from pytest_streamstress.testing.emulator.controllers import _util
from pytest_streamstress.testing.emulator.controllers.installer_sets import (
    A_HASH,
    L_CREATED_BY,
    L_RELEASE,
    L_TYPE,
)
from pytest_streamstress.testing.emulator.store import Obj, Store

log = logging.getLogger(__name__)


def openshift_version_of(cluster_version: Obj | None) -> str | None:
    """ClusterVersion `version`'s `status.desired.version`, the only field the operator reads
    (common_utils.go:33-42); None when absent."""
    if cluster_version is None:
        return None
    desired = ((cluster_version.get("status") or {}).get("desired") or {}).get("version")
    return str(desired) if desired else None


@dataclass
class ConsolePlugin:
    store: Store
    sets: Callable[[str], list[Obj]]
    create_set: Callable[..., Obj]
    delete_set: Callable[[Obj], None]
    say: Callable[[str], None]
    chosen: tuple[str, str | None] | None = None
    """(operator pod uid, variable): `updateOnce` runs under a sync.Once per operator process."""

    def variable(self, pod: Obj | None, version: str) -> str | None:
        """The variable this operator process reads; a later ClusterVersion change counts only after
        the operator pod restarted (console_plugin_reconciler.go:154-198)."""
        uid = str(((pod or {}).get("metadata") or {}).get("uid", ""))
        if self.chosen is None or self.chosen[0] != uid:
            rtype = self.store.rtype("config.openshift.io/v1", "ClusterVersion")
            cluster = openshift_version_of(_util.get_or_none(self.store, rtype, None, "version"))
            self.chosen = (uid, transform.console_plugin_env_var(cluster, version))
            if self.chosen[1] is None:
                self.say(
                    "pipelines console plugin image not found from environment, continuing with the"
                    " default image from the manifest"
                )
        return self.chosen[1]

    def reconcile(
        self, config: Obj, env: Mapping[str, str], version: str, *, target: str, pod: Obj | None
    ) -> str | None:
        """Make the console-plugin set right; the reason it is not ready, or None."""
        created_by = operands.CONSOLE_PLUGIN_CREATED_BY
        sets = self.sets(created_by)
        deleting = [s for s in sets if _util.is_deleting(s)]
        if deleting:
            return f"waiting for TektonInstallerSet {_util.name_of(deleting[0])} to be deleted"
        variable = self.variable(pod, version)
        wanted = [
            transform.transform_console_plugin(obj, env.get(variable) if variable else None)
            for obj in operands.console_plugin_manifests(target)
        ]
        manifest_hash = _util.canonical_hash(wanted)
        current = [s for s in sets if _annotations(s).get(A_HASH) == manifest_hash]
        if len(sets) == 1 and current and _util.labels(sets[0]).get(L_RELEASE) == version:
            return (
                None
                if _util.is_condition_true(sets[0], "Ready")
                else f"installer set {_util.name_of(sets[0])} not ready"
            )
        for tis in sets:
            self.delete_set(tis)
        if sets:
            return "updating the console plugin installer set"
        self.create_set(
            owner=config,
            generate_name=operands.CONSOLE_PLUGIN_SET_PREFIX,
            labels={L_CREATED_BY: created_by, L_TYPE: "config", L_RELEASE: version},
            spec_hash=manifest_hash,
            manifests_=wanted,
        )
        return "installer set created"


def _annotations(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("annotations") or {})
