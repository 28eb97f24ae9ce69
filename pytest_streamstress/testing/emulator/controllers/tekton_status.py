"""Status shapes of the Tekton operator's CRs: TektonConfig and the component CRs (reference §7, §16).

Pure builders of store mutators: given what the reconcile found, they set the knative-style
conditions the real operator reports, keeping `lastTransitionTime` when a status does not change
(so a repeated reconcile writes nothing). TektonConfig: `PreInstall`, `ComponentsReady`,
`PostInstall`, `PreUpgrade`, `PostUpgrade` + `Ready`; not ready means `ComponentsReady=False`
(reason Error, message naming the components) and `Ready=False` with "Ready: Components not ready".
Component CRs: `PreReconciler`, `InstallerSetAvailable`, `InstallerSetReady`, `PostReconciler`,
`Ready`. Must not: read or write the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Final

from pytest_streamstress.testing.emulator.controllers import _util
from pytest_streamstress.testing.emulator.controllers.installer_sets import L_TYPE, mark
from pytest_streamstress.testing.emulator.store import Obj

log = logging.getLogger(__name__)

TEKTONCONFIG_CONDITIONS: Final = ("PreInstall", "ComponentsReady", "PostInstall", "PreUpgrade", "PostUpgrade")
NOT_READY_MESSAGE: Final = "Ready: Components not ready"
NEVER_READY_PROBLEM: Final = "TektonPipeline: reconcile again and proceed"
"""What `faults.operator_never_ready` reports (an emulator wording, shaped like the operator's)."""


def component_status(problem: str | None, version: str, sets: Sequence[Obj]) -> Callable[[Obj], None]:
    """Mutator for a component CR's status; `problem` None means ready."""
    ok = problem is None

    def status(obj: Obj) -> None:
        st = obj.setdefault("status", {})
        conditions: list[dict[str, Any]] = st.get("conditions") or []
        _util.set_condition(conditions, "PreReconciler", "True")
        mark(conditions, "InstallerSetAvailable", bool(sets), str(problem))
        mark(conditions, "InstallerSetReady", ok, str(problem))
        _util.set_condition(conditions, "PostReconciler", "True" if ok else "Unknown")
        mark(conditions, "Ready", ok, str(problem))
        st["conditions"] = conditions
        st["version"] = version
        st["tektonInstallerSets"] = {_util.labels(s).get(L_TYPE, ""): _util.name_of(s) for s in sets}

    return status


def config_status(
    *, not_ready: Sequence[str], version: str, profile: str, installer_sets: dict[str, str]
) -> Callable[[Obj], None]:
    """Mutator for TektonConfig's status; `not_ready` lists "<Kind>: <problem>" entries."""
    ok = not not_ready
    components_message = "" if ok else "Components not in ready state: " + "; ".join(not_ready)

    def status(obj: Obj) -> None:
        st = obj.setdefault("status", {})
        conditions: list[dict[str, Any]] = st.get("conditions") or []
        for ctype in TEKTONCONFIG_CONDITIONS:
            if ctype == "ComponentsReady":
                mark(conditions, ctype, ok, components_message)
            elif ctype in ("PostInstall", "PostUpgrade") and not ok:
                if _util.condition(conditions, ctype) is None:
                    _util.set_condition(conditions, ctype, "Unknown")
            else:
                _util.set_condition(conditions, ctype, "True")
        mark(conditions, "Ready", ok, NOT_READY_MESSAGE)
        conditions.sort(key=lambda c: str(c.get("type")))
        st["conditions"] = conditions
        st["profile"] = profile
        st["version"] = version
        st["tektonInstallerSets"] = dict(installer_sets)

    return status
