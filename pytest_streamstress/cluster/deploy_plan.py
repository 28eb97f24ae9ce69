"""What a deploy must change and whether the operands run it: the pure decisions of deploy.

`plan_changes` maps the built images to the operator's IMAGE_* variables (components.toml, by
digest); `verify_workloads` says which expected images run and, in a sentence each, which do not;
`sets_belonging_to` picks a component's TektonInstallerSets by label and owner (reference §6). They
take objects already read (deploy.py and operands.py read them) and are tested with values alone.

A workload is the Deployment components.toml names, or the StatefulSet of that name: with
TektonPipeline's `statefulset-ordinals` the operator turns the pipelines controller and the remote
resolvers into StatefulSets (tektoncd/operator tektonpipeline/transform.go:98-103), so a workload
dict carries its `kind` and each kind's rollout is judged by its own status fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_streamstress.cluster import images as img
from pytest_streamstress.cluster import resources as r
from pytest_streamstress.components import ComponentCatalog
from pytest_streamstress.model import (
    BuildResult,
    BuildStatus,
    ComponentName,
    ComponentSpec,
    ImageRef,
    RunningImage,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageChange:
    """One variable to set: which component and image it belongs to, and where it must show up."""

    component: ComponentName
    image: str
    env_var: str
    new: ImageRef
    old: str | None
    deployment: str
    container: str


def plan_changes(
    builds: Sequence[BuildResult],
    catalog: ComponentCatalog,
    current: Mapping[str, str | None],
    *,
    legacy_console: bool,
) -> tuple[ImageChange, ...]:
    """Every variable the built images must set, mapped by components.toml, by digest."""
    changes: list[ImageChange] = []
    for build in builds:
        if build.status is BuildStatus.FAILED:
            continue
        component = catalog[build.component]
        specs = {image.name: image for image in component.images}
        for built in build.images:
            spec = specs.get(built.name)
            if spec is None:
                continue
            for var in variables_of(built.env_vars or spec.env_vars, legacy_console=legacy_console):
                changes.append(
                    ImageChange(
                        component=component.name,
                        image=built.name,
                        env_var=var,
                        new=built.ref,
                        old=current.get(var),
                        deployment=spec.deployment,
                        container=spec.container,
                    )
                )
    return tuple(changes)


def expected_images(
    values: Mapping[str, str | None], specs: Sequence[ComponentSpec], *, legacy_console: bool
) -> tuple[ImageChange, ...]:
    """What each operand must run once `values` are on (restore, --confirm's shipped images): a
    variable set to None (absent before the run) leaves the operator's own default, which nothing
    here can name, so it is not waited for."""
    return tuple(
        ImageChange(
            component=spec.name,
            image=image.name,
            env_var=var,
            new=ImageRef(value),
            old=None,
            deployment=image.deployment,
            container=image.container,
        )
        for spec in specs
        for image in spec.images
        for var in variables_of(image.env_vars, legacy_console=legacy_console)
        if (value := values.get(var))
    )


def variables_of(env_vars: Iterable[str], *, legacy_console: bool) -> list[str]:
    """An image's IMAGE_* variables, plus the console plugin's old name where the operator reads that."""
    names = list(env_vars)
    if img.CONSOLE_VAR in names and legacy_console:
        names.append(img.LEGACY_CONSOLE_VAR)
    return names


def absent_components(sets: Sequence[dict[str, Any]], specs: Iterable[ComponentSpec]) -> list[str]:
    """The components with no installer set: the cluster does not run them (nothing to wait for)."""
    return sorted(spec.name for spec in specs if not sets_belonging_to(sets, [spec]))


def not_shipped(
    current: Mapping[str, str | None], shipped: Mapping[str, str], variables: Iterable[str]
) -> str:
    """A warning when the operator runs images its bundle does not ship for these variables, else "".

    An earlier run that ended without `--restore` leaves its images on; this run's record then says
    those were what the cluster ran, which is true for `--restore` and false for "shipped".
    """
    odd = sorted(v for v in set(variables) if v in shipped and current.get(v) not in {None, shipped[v]})
    if not odd:
        return ""
    return (
        f"the operator ran {len(odd)} of these IMAGE_* variable(s) with images its CSV does not ship"
        f" (spec.relatedImages), e.g. {odd[0]}={current[odd[0]]}: an earlier run left its images on"
        " (it ran without --restore); --restore puts these back as found, --confirm reruns on the"
        " shipped ones"
    )


def verifiable(
    changes: Sequence[ImageChange], *, absent: Sequence[str], openshift_version: str
) -> tuple[tuple[ImageChange, ...], list[str]]:
    """The changes a deploy can wait for, and a note for each kind it cannot.

    A component the cluster does not run has no workloads; and with an OpenShift version the
    operator cannot read, its console-plugin reconciler reads no variable at all and keeps the
    manifest's default image (tektoncd/operator console_plugin_reconciler.go:171-195), so waiting
    for the console plugin could only time out. Their variables are still set.
    """
    notes: list[str] = []
    kept = tuple(c for c in changes if c.component not in absent)
    if absent:
        notes.append(
            f"not installed on this cluster: {', '.join(absent)} (their IMAGE_* variables are set in the"
            " operator, nothing runs them)"
        )
    console = {img.CONSOLE_VAR, img.LEGACY_CONSOLE_VAR}
    if not img.openshift_version_known(openshift_version) and any(c.env_var in console for c in kept):
        kept = tuple(c for c in kept if c.env_var not in console)
        shown = repr(openshift_version) if openshift_version else "none"
        notes.append(
            "the operator cannot read the OpenShift version (ClusterVersion status.desired.version:"
            f" {shown}), so its console plugin keeps the manifest's default image; the console-plugin"
            " image is set but not verified"
        )
    return kept, notes


def verify_workloads(
    changes: Iterable[ImageChange], workloads: Mapping[str, dict[str, Any]], pods: Sequence[dict[str, Any]]
) -> tuple[list[RunningImage], list[str]]:
    """Which expected images run, and a sentence for each that does not (pure; deploy feeds it objects).

    `workloads` maps a name to its Deployment or StatefulSet (each dict with its `kind`).
    """
    running: list[RunningImage] = []
    problems: list[str] = []
    for change in changes:
        workload = workloads.get(change.deployment)
        if workload is None:
            problems.append(f"Deployment {change.deployment} does not exist (yet)")
            continue
        kind = str(workload.get("kind") or "Deployment")
        containers = workload.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
        container = next((c for c in containers if c.get("name") == change.container), None)
        if container is None:
            problems.append(f"{kind} {change.deployment} has no container {change.container}")
            continue
        flag = img.argument_flag(change.env_var)
        if flag is not None:
            actual = img.argument_value(container.get("args") or [], flag) or ""
            where = f"{kind}/{change.deployment} container {change.container} arg {flag}"
        else:
            actual = str(container.get("image", ""))
            where = f"{kind}/{change.deployment} container {change.container}"
        if actual != change.new:
            problems.append(f"{where} is {actual or 'unset'}, expected {change.new}")
            continue
        rollout = _rollout_problem(workload, pods, change.container, change.new if flag is None else None)
        if rollout:
            problems.append(rollout)
            continue
        running.append(
            RunningImage(
                component=change.component,
                env_var=change.env_var,
                expected=change.new,
                actual=actual,
                where=where,
            )
        )
    return running, sorted(set(problems))


def _rollout_problem(
    workload: dict[str, Any], pods: Sequence[dict[str, Any]], container: str, image: str | None
) -> str:
    name = workload["metadata"]["name"]
    kind = str(workload.get("kind") or "Deployment")
    spec_replicas = int(workload.get("spec", {}).get("replicas", 1))
    status = workload.get("status", {}) or {}
    generation = int(workload["metadata"].get("generation", 0))
    if int(status.get("observedGeneration", 0)) < generation:
        return f"{kind} {name} rollout not observed yet"
    ready = "readyReplicas" if kind == "StatefulSet" else "availableReplicas"
    if int(status.get("updatedReplicas", 0)) < spec_replicas or int(status.get(ready, 0)) < spec_replicas:
        return (
            f"{kind} {name}: {status.get('updatedReplicas', 0)}/{spec_replicas} updated,"
            f" {status.get(ready, 0)}/{spec_replicas} {ready.removesuffix('Replicas')}"
        )
    if kind == "StatefulSet" and status.get("currentRevision") != status.get("updateRevision"):
        # `kubectl rollout status` waits for the same: the update revision is the current one
        return f"StatefulSet {name}: revision {status.get('updateRevision')} not rolled out yet"
    selector = workload.get("spec", {}).get("selector", {}).get("matchLabels", {}) or {}
    mine = [p for p in pods if _matches(p, selector) and not p["metadata"].get("deletionTimestamp")]
    for pod in mine:
        statuses = {s.get("name"): s for s in pod.get("status", {}).get("containerStatuses", []) or []}
        pod_image = next(
            (c.get("image") for c in pod["spec"].get("containers", []) if c.get("name") == container), None
        )
        if image is not None and pod_image != image:
            return f"pod {pod['metadata']['name']} still runs {pod_image}"
        state = statuses.get(container, {})
        if not state.get("ready"):
            waiting = (state.get("state") or {}).get("waiting") or {}
            reason = waiting.get("reason") or pod.get("status", {}).get("phase", "not ready")
            detail = f"{reason} {waiting.get('message', '')}".rstrip()
            return f"pod {pod['metadata']['name']} container {container}: {detail}"
    return ""


def _matches(obj: dict[str, Any], selector: Mapping[str, str]) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def sets_belonging_to(sets: Sequence[dict[str, Any]], components: Iterable[ComponentSpec]) -> list[str]:
    """Pure: names of the sets that belong to these components, by label and owner (reference §6)."""
    wanted: set[str] = set()
    for component in components:
        for selector in component.installer_sets:
            for item in sets:
                labels = item["metadata"].get("labels") or {}
                owners = {o.get("kind") for o in item["metadata"].get("ownerReferences") or []}
                if (
                    labels.get(r.CREATED_BY_LABEL) != selector.created_by
                    and selector.created_by not in owners
                ):
                    continue
                if selector.types and labels.get(r.TYPE_LABEL) not in selector.types:
                    continue
                wanted.add(item["metadata"]["name"])
    return sorted(wanted)
