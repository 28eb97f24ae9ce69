"""Swap built images into the operator, prove they run, and put the cluster back.

The flow (DESIGN "Deploy"; reference §5, §6): find the operator CSV through the Subscription's
`status.installedCSV`; record the current IMAGE_* values (written to disk before the first patch, so
`streamstress restore` can always undo); patch only the variables of the images that were built,
through the CSV (OLM rolls the operator because the deployment-spec hash changed) or the operator
Deployment (OLM does not revert that until the next CSV change); with `auto`, patch the CSV, verify
that the running operator pod's env carries the values and fall back to the Deployment when OLM did
not roll it within `olm_timeout` (one operator release did not propagate CSV edits). Then delete the
affected components' TektonInstallerSets, found by label (name prefixes miss chains, results and the
console plugin), and wait by watch until TektonConfig is Ready and every affected workload runs the
expected image: container images for container variables, controller arguments for `ARG__` ones.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pytest_streamstress._infra.files import write_json_atomically
from pytest_streamstress._infra.waits import Probe, Wakeup, wait_until
from pytest_streamstress.cluster import images as img
from pytest_streamstress.cluster import resources as r
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.watchers import WatchSet
from pytest_streamstress.components import ComponentCatalog
from pytest_streamstress.errors import ClusterError, Conflict, NotFound, WaitTimeout
from pytest_streamstress.model import (
    BuildResult,
    BuildStatus,
    ClusterInfo,
    ComponentName,
    ComponentSpec,
    Deployment,
    DeployStatus,
    ImageRef,
    RunningImage,
)

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
CONFLICT_RETRIES: Final = 20
"""Read-modify-write attempts on 409 before giving up (R19: bounded)."""
RESTORE_RECORD: Final = "restore.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeployParams:
    strategy: str = "auto"
    olm_timeout: float = 180.0
    deploy_timeout: float = 900.0
    target_namespace: str = "openshift-pipelines"
    record_dir: Path
    cluster_kind: Literal["emulated", "kubeconfig", "in-cluster", "none"] = "kubeconfig"


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


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorTarget:
    """Where the IMAGE_* variables live: the CSV and the Deployment it owns."""

    csv: str
    namespace: str
    deployment: str
    openshift_version: str
    operator_version: str


# -- planning (pure) ---------------------------------------------------------------------------------


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
            env_vars = list(built.env_vars or spec.env_vars)
            if img.CONSOLE_VAR in env_vars and legacy_console:
                env_vars.append(img.LEGACY_CONSOLE_VAR)
            for var in env_vars:
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


def verify_workloads(
    changes: Iterable[ImageChange], deployments: Mapping[str, dict[str, Any]], pods: Sequence[dict[str, Any]]
) -> tuple[list[RunningImage], list[str]]:
    """Which expected images run, and a sentence for each that does not (pure; deploy feeds it objects)."""
    running: list[RunningImage] = []
    problems: list[str] = []
    for change in changes:
        deployment = deployments.get(change.deployment)
        if deployment is None:
            problems.append(f"Deployment {change.deployment} does not exist (yet)")
            continue
        containers = deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
        container = next((c for c in containers if c.get("name") == change.container), None)
        if container is None:
            problems.append(f"Deployment {change.deployment} has no container {change.container}")
            continue
        flag = img.argument_flag(change.env_var)
        if flag is not None:
            actual = img.argument_value(container.get("args") or [], flag) or ""
            where = f"Deployment/{change.deployment} container {change.container} arg {flag}"
        else:
            actual = str(container.get("image", ""))
            where = f"Deployment/{change.deployment} container {change.container}"
        if actual != change.new:
            problems.append(f"{where} is {actual or 'unset'}, expected {change.new}")
            continue
        rollout = _rollout_problem(deployment, pods, change.container, change.new if flag is None else None)
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
    deployment: dict[str, Any], pods: Sequence[dict[str, Any]], container: str, image: str | None
) -> str:
    name = deployment["metadata"]["name"]
    spec_replicas = int(deployment.get("spec", {}).get("replicas", 1))
    status = deployment.get("status", {}) or {}
    generation = int(deployment["metadata"].get("generation", 0))
    if int(status.get("observedGeneration", 0)) < generation:
        return f"Deployment {name} rollout not observed yet"
    if (
        int(status.get("updatedReplicas", 0)) < spec_replicas
        or int(status.get("availableReplicas", 0)) < spec_replicas
    ):
        return (
            f"Deployment {name}: {status.get('updatedReplicas', 0)}/{spec_replicas} updated,"
            f" {status.get('availableReplicas', 0)}/{spec_replicas} available"
        )
    selector = deployment.get("spec", {}).get("selector", {}).get("matchLabels", {}) or {}
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


# -- the cluster side --------------------------------------------------------------------------------


def find_operator(cluster: Cluster) -> OperatorTarget:
    """The installed CSV from the Subscription's status (never a name guess) and the versions."""
    sub = cluster.get_custom(
        r.OLM_GROUP, r.OLM_VERSION, r.SUBSCRIPTIONS, r.SUBSCRIPTION_NAME, r.OPERATOR_NAMESPACE
    )
    csv_name = ""
    namespace = r.OPERATOR_NAMESPACE
    if sub is not None:
        csv_name = str((sub.get("status") or {}).get("installedCSV") or "")
    if not csv_name:
        csvs = cluster.list_custom(r.OLM_GROUP, r.OLM_VERSION, r.CSVS, r.OPERATOR_NAMESPACE)
        names = [
            c["metadata"]["name"]
            for c in csvs
            if c["metadata"]["name"].startswith(r.PACKAGE + ".")
            and "olm.copiedFrom" not in (c["metadata"].get("labels") or {})
        ]
        if len(names) != 1:
            raise NotFound(
                f"no installed OpenShift Pipelines operator: Subscription {r.OPERATOR_NAMESPACE}/"
                f"{r.SUBSCRIPTION_NAME} has no installedCSV and {len(names)} {r.PACKAGE} CSVs were found",
                hint="install it (drop --no-auto-setup, or run `streamstress check --fix`)",
            )
        csv_name = names[0]
    csv = cluster.get_custom(r.OLM_GROUP, r.OLM_VERSION, r.CSVS, csv_name, namespace)
    if csv is None:
        raise NotFound(f"CSV {namespace}/{csv_name} named by the Subscription does not exist")
    version = str(csv.get("spec", {}).get("version", ""))
    return OperatorTarget(
        csv=csv_name,
        namespace=namespace,
        deployment=r.OPERATOR_DEPLOYMENT,
        openshift_version=openshift_version(cluster),
        operator_version=version,
    )


def openshift_version(cluster: Cluster) -> str:
    version = cluster.get_custom(*r.CLUSTERVERSION)
    if version is None:
        return ""
    status = version.get("status") or {}
    desired = (status.get("desired") or {}).get("version")
    if desired:
        return str(desired)
    history = status.get("history") or []
    return str(history[0].get("version", "")) if history else ""


def _lifecycle_container(deployment_spec: dict[str, Any], what: str) -> dict[str, Any]:
    for container in deployment_spec.get("template", {}).get("spec", {}).get("containers", []):
        if container.get("name") == r.LIFECYCLE_CONTAINER:
            return dict(container)
    raise ClusterError(
        f"{what} has no container {r.LIFECYCLE_CONTAINER}",
        hint="is this the OpenShift Pipelines operator (reference §5.1)?",
    )


def _csv_deployment(csv: dict[str, Any], name: str) -> dict[str, Any]:
    install = csv.get("spec", {}).get("install", {})
    entries: list[dict[str, Any]] = install.get("spec", {}).get("deployments", [])
    for entry in entries:
        if entry.get("name") == name:
            return entry  # the CSV's own dict: edits change the CSV body
    raise ClusterError(f"CSV {csv['metadata']['name']} has no deployment {name} in spec.install")


def current_values(cluster: Cluster, target: OperatorTarget) -> dict[str, str | None]:
    """IMAGE_* values of the lifecycle container as the CSV declares them."""
    csv = cluster.get_custom(r.OLM_GROUP, r.OLM_VERSION, r.CSVS, target.csv, target.namespace)
    if csv is None:
        raise NotFound(f"CSV {target.namespace}/{target.csv} disappeared")
    entry = _csv_deployment(csv, target.deployment)
    return img.env_values(_lifecycle_container(entry.get("spec", {}), f"CSV {target.csv}"))


def _set_lifecycle_env(pod_spec: dict[str, Any], values: Mapping[str, str | None]) -> bool:
    changed = False
    for container in pod_spec["containers"]:
        if container.get("name") == r.LIFECYCLE_CONTAINER:
            changed = img.set_env(container, values) or changed
    return changed


def _replace_until_applied(
    what: str,
    read: Callable[[], dict[str, Any]],
    edit: Callable[[dict[str, Any]], bool],
    write: Callable[[dict[str, Any]], object],
) -> bool:
    """Read, edit, replace; on 409 read again and reapply, boundedly (R19). False: nothing to change."""
    for _attempt in range(CONFLICT_RETRIES):
        body = read()
        if not edit(body):
            return False
        try:
            write(body)
            return True
        except Conflict:
            log.info("%s changed meanwhile (409); reading again", what)
    raise Conflict(
        f"{what} kept changing: {CONFLICT_RETRIES} conflicts in a row",
        hint="something else is editing it (an upgrade?); try again later",
    )


def patch_csv(cluster: Cluster, target: OperatorTarget, values: Mapping[str, str | None]) -> bool:
    """Set the variables in the CSV's deployment spec (OLM then rolls the operator)."""
    what = f"CSV {target.namespace}/{target.csv}"

    def read() -> dict[str, Any]:
        csv = cluster.get_custom(r.OLM_GROUP, r.OLM_VERSION, r.CSVS, target.csv, target.namespace)
        if csv is None:
            raise NotFound(f"{what} disappeared")
        return csv

    def edit(csv: dict[str, Any]) -> bool:
        entry = next(
            e for e in csv["spec"]["install"]["spec"]["deployments"] if e.get("name") == target.deployment
        )
        return _set_lifecycle_env(entry["spec"]["template"]["spec"], values)

    def write(csv: dict[str, Any]) -> object:
        return cluster.call(
            f"replace {what}",
            cluster.custom.replace_namespaced_custom_object,
            r.OLM_GROUP,
            r.OLM_VERSION,
            target.namespace,
            r.CSVS,
            target.csv,
            csv,
        )

    return _replace_until_applied(what, read, edit, write)


def patch_deployment(cluster: Cluster, target: OperatorTarget, values: Mapping[str, str | None]) -> bool:
    """Set the variables on the operator Deployment directly; OLM keeps this until the next CSV change."""
    what = f"Deployment {target.namespace}/{target.deployment}"

    def read() -> dict[str, Any]:
        deployment = cluster.call(
            f"get {what}", cluster.apps.read_namespaced_deployment, target.deployment, target.namespace
        )
        return dict(cluster.api_client.sanitize_for_serialization(deployment))

    def write(body: dict[str, Any]) -> object:
        return cluster.call(
            f"replace {what}",
            cluster.apps.replace_namespaced_deployment,
            target.deployment,
            target.namespace,
            body,
        )

    return _replace_until_applied(
        what, read, lambda body: _set_lifecycle_env(body["spec"]["template"]["spec"], values), write
    )


def _operator_pods(cluster: Cluster, target: OperatorTarget) -> list[dict[str, Any]]:
    deployment = cluster.call(
        f"get deployment {target.namespace}/{target.deployment}",
        cluster.apps.read_namespaced_deployment,
        target.deployment,
        target.namespace,
    )
    selector = ",".join(f"{k}={v}" for k, v in (deployment.spec.selector.match_labels or {}).items())
    pods = cluster.call(
        f"list operator pods ({selector})",
        cluster.core.list_namespaced_pod,
        target.namespace,
        label_selector=selector,
    )
    return [cluster.api_client.sanitize_for_serialization(p) for p in pods.items]


def operator_runs_values(cluster: Cluster, target: OperatorTarget, values: Mapping[str, str | None]) -> Probe:
    """Do all live operator pods run the lifecycle container with these values (and are they Ready)?"""
    pods = [p for p in _operator_pods(cluster, target) if not p["metadata"].get("deletionTimestamp")]
    if not pods:
        return Probe(done=False, state="no operator pod")
    for pod in pods:
        container = next(
            (c for c in pod["spec"]["containers"] if c.get("name") == r.LIFECYCLE_CONTAINER), None
        )
        if container is None:
            return Probe(done=False, state=f"pod {pod['metadata']['name']} has no {r.LIFECYCLE_CONTAINER}")
        env = img.env_values(container)
        wrong = [name for name, value in values.items() if env.get(name) != value]
        if wrong:
            return Probe(
                done=False,
                state=f"operator pod {pod['metadata']['name']} still has old {wrong[0]}"
                + (f" (+{len(wrong) - 1} more)" if len(wrong) > 1 else ""),
            )
        ready = next(
            (
                s.get("ready")
                for s in pod.get("status", {}).get("containerStatuses", []) or []
                if s.get("name") == r.LIFECYCLE_CONTAINER
            ),
            False,
        )
        if not ready:
            return Probe(done=False, state=f"operator pod {pod['metadata']['name']} not ready")
    return Probe(done=True, state="operator runs the new values")


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


def list_installer_sets(cluster: Cluster) -> list[dict[str, Any]]:
    return cluster.list_custom(r.TEKTON_GROUP, r.TEKTON_VERSION, r.INSTALLERSETS)


def installer_sets_of(cluster: Cluster, components: Iterable[ComponentSpec]) -> list[str]:
    """Names of the installer sets that belong to these components, read from the cluster now."""
    return sets_belonging_to(list_installer_sets(cluster), components)


def delete_installer_sets(cluster: Cluster, names: Iterable[str]) -> None:
    for name in names:
        try:
            cluster.call(
                f"delete tektoninstallerset {name}",
                cluster.custom.delete_cluster_custom_object,
                r.TEKTON_GROUP,
                r.TEKTON_VERSION,
                r.INSTALLERSETS,
                name,
            )
        except NotFound:
            log.info("installer set %s already gone", name)


def workload_state(
    cluster: Cluster, namespace: str, changes: Sequence[ImageChange]
) -> tuple[list[RunningImage], list[str]]:
    names = {c.deployment for c in changes if c.deployment}
    deployments: dict[str, dict[str, Any]] = {}
    for name in names:
        try:
            obj = cluster.call(
                f"get deployment {namespace}/{name}", cluster.apps.read_namespaced_deployment, name, namespace
            )
        except NotFound:
            continue
        deployments[name] = cluster.api_client.sanitize_for_serialization(obj)
    pods = cluster.call(f"list pods in {namespace}", cluster.core.list_namespaced_pod, namespace)
    pod_dicts = [cluster.api_client.sanitize_for_serialization(p) for p in pods.items]
    return verify_workloads(changes, deployments, pod_dicts)


def diagnose(
    cluster: Cluster, namespace: str, changes: Sequence[ImageChange], problems: Sequence[str]
) -> str:
    """What is not ready, in words a QE engineer can act on (issue 5 item 3)."""
    lines: list[str] = []
    config = cluster.get_custom(r.TEKTON_GROUP, r.TEKTON_VERSION, r.TEKTONCONFIGS, r.TEKTONCONFIG_NAME)
    if config is None:
        lines.append("TektonConfig config: does not exist")
    else:
        lines.append("TektonConfig config: " + r.describe_conditions(config))
    for problem in problems:
        lines.append(f"- {problem}")
    try:
        pods = cluster.call(f"list pods in {namespace}", cluster.core.list_namespaced_pod, namespace)
        for pod in pods.items:
            for status in pod.status.container_statuses or []:
                waiting = status.state.waiting if status.state is not None else None
                if waiting is not None and waiting.reason:
                    lines.append(
                        f"- pod {pod.metadata.name} container {status.name}: {waiting.reason}"
                        f" (image {status.image}){': ' + waiting.message if waiting.message else ''}"
                    )
        events = cluster.call(
            f"list events in {namespace}",
            cluster.core.list_namespaced_event,
            namespace,
            field_selector="type=Warning",
        )
        warnings = sorted(events.items, key=lambda e: str(e.last_timestamp or e.event_time or ""))[-5:]
        for event in warnings:
            involved = event.involved_object
            lines.append(f"- Warning {event.reason} {involved.kind}/{involved.name}: {event.message}")
    except ClusterError as exc:
        lines.append(f"(could not read pods/events: {exc})")
    lines.append(
        f"Operator log: oc logs -n {r.OPERATOR_NAMESPACE} deploy/{r.OPERATOR_DEPLOYMENT}"
        f" -c {r.LIFECYCLE_CONTAINER}"
    )
    return "\n".join(lines)


# -- the record behind --restore ----------------------------------------------------------------------


def write_record(
    record_dir: Path,
    target: OperatorTarget,
    original: Mapping[str, str | None],
    strategy: str,
    components: Sequence[str],
) -> Path:
    """Written atomically before the first patch, so a dead session can always be undone."""
    record_dir.mkdir(parents=True, exist_ok=True)
    path = record_dir / RESTORE_RECORD
    data = {
        "csv": target.csv,
        "namespace": target.namespace,
        "deployment": target.deployment,
        "strategy": strategy,
        "components": list(components),
        "original": dict(original),
        "written_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    write_json_atomically(path, data)
    return path


def read_record(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(
            f"no restore record at {path}", hint="pass the results directory of the session to undo"
        ) from None
    except ValueError as exc:
        raise ClusterError(f"{path}: not a restore record ({exc})") from exc
    if not isinstance(data, dict) or "original" not in data or "csv" not in data:
        raise ClusterError(f"{path}: not a restore record (no 'csv'/'original')")
    return data


# -- the whole deploy ---------------------------------------------------------------------------------


def deploy(
    cluster: Cluster,
    builds: Sequence[BuildResult],
    catalog: ComponentCatalog,
    params: DeployParams,
    *,
    say: Progress | None = None,
) -> Deployment:
    say = say or (lambda _text: None)
    target = find_operator(cluster)
    info = ClusterInfo(
        kind=params.cluster_kind,
        server=cluster.server,
        openshift_version=target.openshift_version,
        operator_csv=target.csv,
        operator_version=target.operator_version,
    )
    current = current_values(cluster, target)
    legacy = img.needs_legacy_console_var(target.openshift_version, target.operator_version)
    changes = plan_changes(builds, catalog, current, legacy_console=legacy)
    if not changes:
        return Deployment(status=DeployStatus.NOOP, cluster=info, message="no built images to deploy")
    values = {c.env_var: str(c.new) for c in changes}
    components = sorted({c.component for c in changes})
    specs = [catalog[name] for name in components]
    # A component the cluster does not run (disabled in TektonConfig, or never installed, like a
    # manual-approval-gate without its CR) has no installer sets: its variables are still set, but
    # waiting for its workloads could only time out.
    present_sets = list_installer_sets(cluster)  # one list for the whole check
    absent = sorted(spec.name for spec in specs if not sets_belonging_to(present_sets, [spec]))
    note = ""
    if absent:
        note = (
            f"not installed on this cluster: {', '.join(absent)} (their IMAGE_* variables are set in the"
            " operator, nothing runs them)"
        )
        say(f"warning: {note}")
    changes = tuple(c for c in changes if c.component not in absent)
    needs_env = any(current.get(var) != value for var, value in values.items())
    running, problems = workload_state(cluster, params.target_namespace, changes)
    if not needs_env and not problems and operator_runs_values(cluster, target, values).done:
        say(f"no-op: the operator already runs every image of {', '.join(components)}; nothing patched")
        return Deployment(
            status=DeployStatus.NOOP,
            strategy="none",
            cluster=info,
            running=tuple(running),
            message="operator already carried every image",
        )

    record = write_record(
        params.record_dir, target, {var: current.get(var) for var in values}, params.strategy, components
    )
    strategy = apply_values(cluster, target, values, params, say)
    sets = installer_sets_of(cluster, specs)
    say(f"deleting {len(sets)} installer set(s) of {', '.join(components)}: {', '.join(sets) or 'none'}")
    delete_installer_sets(cluster, sets)
    running = wait_for_operands(cluster, params, changes, say)
    say(
        f"deployed {len(values)} image variable(s) of {', '.join(components)} via {strategy}; verified"
        f" {len(running)} running"
    )
    return Deployment(
        status=DeployStatus.DEPLOYED,
        strategy=strategy,
        cluster=info,
        running=tuple(running),
        restore_record=record,
        message=note,
    )


def apply_values(
    cluster: Cluster,
    target: OperatorTarget,
    values: Mapping[str, str | None],
    params: DeployParams,
    say: Progress,
) -> str:
    """Put the values into the operator by the chosen strategy; return the strategy that worked."""
    if params.strategy == "deployment":
        say(f"patching Deployment {target.deployment} directly ({len(values)} variables)")
        patch_deployment(cluster, target, values)
        _wait_operator(cluster, target, values, params.deploy_timeout, "operator pod with the new env")
        return "deployment"
    say(f"patching CSV {target.csv} ({len(values)} variables); OLM rolls the operator")
    patch_csv(cluster, target, values)
    try:
        _wait_operator(
            cluster,
            target,
            values,
            params.olm_timeout if params.strategy == "auto" else params.deploy_timeout,
            "OLM to roll the CSV change into the operator pod",
        )
        return "csv"
    except WaitTimeout:
        if params.strategy == "csv":
            raise
    say(
        f"warning: OLM did not roll the CSV change within {params.olm_timeout:g}s; patching Deployment"
        f" {target.deployment} directly (kept until the next CSV change)"
    )
    log.warning("OLM did not propagate the CSV env change; falling back to the Deployment")
    patch_deployment(cluster, target, values)
    _wait_operator(cluster, target, values, params.deploy_timeout, "operator pod with the new env")
    return "deployment"


def _wait_operator(
    cluster: Cluster, target: OperatorTarget, values: Mapping[str, str | None], timeout: float, what: str
) -> None:
    wakeup = Wakeup()
    with WatchSet(cluster, wakeup) as watches:
        watches.add("operator pods", cluster.core.list_namespaced_pod, target.namespace)
        wait_until(
            lambda: operator_runs_values(cluster, target, values),
            what=f"waited for {what}",
            timeout=timeout,
            wake=wakeup,
        )


def wait_for_operands(
    cluster: Cluster, params: DeployParams, changes: Sequence[ImageChange], say: Progress
) -> list[RunningImage]:
    """TektonConfig Ready and every affected workload on the expected image, by watch (R18)."""
    wakeup = Wakeup()
    seen: dict[str, Any] = {"running": [], "problems": []}

    def probe() -> Probe:
        config = cluster.get_custom(r.TEKTON_GROUP, r.TEKTON_VERSION, r.TEKTONCONFIGS, r.TEKTONCONFIG_NAME)
        running, problems = workload_state(cluster, params.target_namespace, changes)
        if config is None or not r.is_ready(config):
            problems = [
                "TektonConfig not Ready: " + (r.describe_conditions(config) if config else "absent"),
                *problems,
            ]
        seen["running"], seen["problems"] = running, problems
        return Probe(done=not problems, state="; ".join(problems[:3]) + (" ..." if len(problems) > 3 else ""))

    last_said = [""]

    def progress(elapsed: float, state: str) -> None:
        if state != last_said[0]:
            say(f"waiting {elapsed:.0f}s: {state}")
            last_said[0] = state

    with WatchSet(cluster, wakeup) as watches:
        watches.add(
            "tektonconfigs",
            cluster.custom.list_cluster_custom_object,
            r.TEKTON_GROUP,
            r.TEKTON_VERSION,
            r.TEKTONCONFIGS,
        )
        watches.add("deployments", cluster.apps.list_namespaced_deployment, params.target_namespace)
        watches.add("pods", cluster.core.list_namespaced_pod, params.target_namespace)
        try:
            wait_until(
                probe,
                what="operands not on the new images",
                timeout=params.deploy_timeout,
                wake=wakeup,
                on_progress=progress,
            )
        except WaitTimeout:
            detail = diagnose(cluster, params.target_namespace, changes, seen["problems"])
            raise WaitTimeout(
                f"deploy did not finish within {params.deploy_timeout:g}s:\n{detail}",
                hint="fix what is named above, or raise --deploy-timeout if the cluster is just slow",
            ) from None
    return list(seen["running"])


def restore(
    cluster: Cluster,
    record_path: Path,
    catalog: ComponentCatalog,
    params: DeployParams,
    *,
    say: Progress | None = None,
) -> None:
    """Put the recorded IMAGE_* values back, re-create the operands and wait for Ready."""
    say = say or (lambda _text: None)
    data = read_record(record_path)
    target = find_operator(cluster)
    if target.csv != data["csv"]:
        say(
            f"warning: the record is for CSV {data['csv']}, the cluster now runs {target.csv};"
            " restoring there"
        )
    original: dict[str, str | None] = dict(data["original"])
    say(f"restoring {len(original)} IMAGE_* variable(s) recorded at {data.get('written_at', '?')}")
    patch_csv(cluster, target, original)
    # A Deployment edit survives CSV changes only until OLM re-applies; make both agree.
    patch_deployment(cluster, target, original)
    _wait_operator(cluster, target, original, params.deploy_timeout, "operator pod with the restored env")
    specs = [catalog[name] for name in data.get("components", []) if name in catalog.names]
    sets = installer_sets_of(cluster, specs)
    delete_installer_sets(cluster, sets)
    wakeup = Wakeup()
    with WatchSet(cluster, wakeup) as watches:
        watches.add(
            "tektonconfigs",
            cluster.custom.list_cluster_custom_object,
            r.TEKTON_GROUP,
            r.TEKTON_VERSION,
            r.TEKTONCONFIGS,
        )

        def ready() -> Probe:
            config = cluster.get_custom(
                r.TEKTON_GROUP, r.TEKTON_VERSION, r.TEKTONCONFIGS, r.TEKTONCONFIG_NAME
            )
            ok = config is not None and r.is_ready(config)
            return Probe(done=ok, state=r.describe_conditions(config) if config else "TektonConfig absent")

        wait_until(
            ready, what="TektonConfig not Ready after restore", timeout=params.deploy_timeout, wake=wakeup
        )
    record_path.rename(record_path.with_name(RESTORE_RECORD + ".restored"))
    say("restored; the record is kept as restore.json.restored")
