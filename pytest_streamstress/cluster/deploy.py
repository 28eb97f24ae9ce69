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

The parts live beside it: the pure planning and verification in `deploy_plan.py`, the CSV and
Deployment edits in `operator_env.py`, the installer sets and workload reads in `operands.py`. This
module runs the whole deploy, waits for it, and writes the record behind --restore; `restore.py`
replays it (and puts --confirm's shipped images on).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from pytest_streamstress._infra.files import write_json_atomically
from pytest_streamstress._infra.heartbeat import DEFAULT_PACE, Heartbeat, Pace
from pytest_streamstress._infra.waits import DEFAULT_POLL_S, Cutoff, Probe, Wakeup, wait_until
from pytest_streamstress.cluster import images as img
from pytest_streamstress.cluster import resources as r
from pytest_streamstress.cluster.deploy_plan import (
    ImageChange,
    absent_components,
    not_shipped,
    plan_changes,
    verifiable,
)
from pytest_streamstress.cluster.operands import (
    delete_installer_sets,
    diagnose,
    installer_sets_of,
    list_installer_sets,
    workload_state,
)
from pytest_streamstress.cluster.operator_env import (
    OperatorTarget,
    csv_images,
    find_operator,
    operator_runs_values,
    patch_csv,
    patch_deployment,
)
from pytest_streamstress.cluster.watchers import WatchSet
from pytest_streamstress.components import ComponentCatalog
from pytest_streamstress.errors import ClusterError, NotFound, WaitTimeout
from pytest_streamstress.model import (
    BuildResult,
    ClusterInfo,
    Deployment,
    DeployStatus,
    DeployStrategy,
    RunningImage,
)

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
RESTORE_RECORD: Final = "restore.json"
AppliedStrategy = Literal["csv", "deployment"]
"""How they did reach it: `Deployment.strategy`, results.json's `deploy.strategy` ("none": a no-op)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeployParams:
    strategy: DeployStrategy = "auto"
    olm_timeout: float = 180.0
    deploy_timeout: float = 900.0
    target_namespace: str = "openshift-pipelines"
    record_dir: Path
    cluster_kind: Literal["emulated", "kubeconfig", "in-cluster", "none"] = "kubeconfig"
    pace: Pace = DEFAULT_PACE
    """How often a wait says what it waits for (issue 22)."""
    keep_record: bool = False
    """Keep a record already there: --confirm's redeploy must not record the shipped images as found."""


# -- the record behind --restore ----------------------------------------------------------------------


def write_record(
    record_dir: Path,
    target: OperatorTarget,
    original: Mapping[str, str | None],
    strategy: str,
    components: Sequence[str],
    *,
    shipped: Mapping[str, str] | None = None,
) -> Path:
    """Written atomically before the first patch, so a dead session can always be undone.

    `original` is what the operator ran before (what `--restore` puts back); `shipped` what its bundle
    ships for the same variables, which differs when an earlier run left its images on.
    """
    record_dir.mkdir(parents=True, exist_ok=True)
    path = record_dir / RESTORE_RECORD
    data = {
        "csv": target.csv,
        "namespace": target.namespace,
        "deployment": target.deployment,
        "strategy": strategy,
        "components": list(components),
        "original": dict(original),
        "shipped": {var: (shipped or {}).get(var) for var in original},
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
    images = csv_images(cluster, target)
    current = images.current
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
    absent = absent_components(present_sets, specs)
    changes, notes = verifiable(changes, absent=absent, openshift_version=target.openshift_version)
    for text in notes:
        say(f"warning: {text}")
    note = "; ".join(notes)
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

    left_on = not_shipped(current, images.shipped, values)
    if left_on:
        note = "; ".join([*notes, left_on])
        say(f"note: {left_on}")  # every night of a nightly without --restore: a note, not a warning
    record = params.record_dir / RESTORE_RECORD
    if not (params.keep_record and record.is_file()):
        original = {var: current.get(var) for var in values}
        record = write_record(
            params.record_dir, target, original, params.strategy, components, shipped=images.shipped
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
) -> AppliedStrategy:
    """Put the values into the operator by the chosen strategy; return the strategy that worked."""
    if params.strategy == "deployment":
        say(f"patching Deployment {target.deployment} directly ({len(values)} variables)")
        patch_deployment(cluster, target, values)
        what = "operator pod with the new env"
        wait_operator(cluster, target, values, params.deploy_timeout, what, say=say, pace=params.pace)
        return "deployment"
    say(f"patching CSV {target.csv} ({len(values)} variables); OLM rolls the operator")
    patch_csv(cluster, target, values)
    try:
        wait_operator(
            cluster,
            target,
            values,
            params.olm_timeout if params.strategy == "auto" else params.deploy_timeout,
            "OLM to roll the CSV change into the operator pod",
            option="--olm-timeout" if params.strategy == "auto" else "--deploy-timeout",
            say=say,
            pace=params.pace,
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
    what = "operator pod with the new env"
    wait_operator(cluster, target, values, params.deploy_timeout, what, say=say, pace=params.pace)
    return "deployment"


def wait_operator(
    cluster: Cluster,
    target: OperatorTarget,
    values: Mapping[str, str | None],
    timeout: float,
    what: str,
    *,
    option: str = "--deploy-timeout",
    cutoff: Cutoff | None = None,
    say: Progress | None = None,
    pace: Pace | None = None,
) -> None:
    wakeup = Wakeup()
    pace = pace or DEFAULT_PACE
    beat = Heartbeat(say, what=what, bound=timeout, option=option, pace=pace) if say is not None else None
    with WatchSet(cluster, wakeup) as watches:
        watches.add("operator pods", cluster.core.list_namespaced_pod, target.namespace)
        wait_until(
            lambda: operator_runs_values(cluster, target, values),
            what=f"waited for {what} ({option})",
            timeout=timeout,
            wake=wakeup,
            poll=min(DEFAULT_POLL_S, pace.poll_s),
            on_progress=beat,
            hint=f"raise {option} if OLM and the operator are just slow, or look at the state above",
            cutoff=cutoff,
        )


def wait_for_operands(
    cluster: Cluster,
    params: DeployParams,
    changes: Sequence[ImageChange],
    say: Progress,
    *,
    what: str = "new",
    step: str = "deploy",
    cutoff: Cutoff | None = None,
) -> list[RunningImage]:
    """TektonConfig Ready and every affected workload on the expected image, by watch (R18).

    Ready alone proves nothing right after the installer sets go: it still says True from before
    until the operator reconciles. `what`/`step` name the images and the step in the words."""
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

    # Each new state shows at once (fitted to one line), and a state that lasts repeats every
    # --heartbeat seconds (issue 22: 400-character lines, and silence while nothing changed).
    progress = Heartbeat(
        say,
        what=f"the operands on the {what} images",
        bound=params.deploy_timeout,
        option="--deploy-timeout",
        pace=params.pace,
        on_change=True,
    )

    with WatchSet(cluster, wakeup) as watches:
        watches.add(
            "tektonconfigs",
            cluster.custom.list_cluster_custom_object,
            r.TEKTON_GROUP,
            r.TEKTON_VERSION,
            r.TEKTONCONFIGS,
        )
        watches.add("deployments", cluster.apps.list_namespaced_deployment, params.target_namespace)
        watches.add("statefulsets", cluster.apps.list_namespaced_stateful_set, params.target_namespace)
        watches.add("pods", cluster.core.list_namespaced_pod, params.target_namespace)
        try:
            wait_until(
                probe,
                what=f"operands not on the {what} images",
                timeout=params.deploy_timeout,
                wake=wakeup,
                poll=min(DEFAULT_POLL_S, params.pace.poll_s),
                on_progress=progress,
                cutoff=cutoff,
            )
        except WaitTimeout:
            if cutoff is not None and cutoff.remaining() == 0:
                raise  # a stop signal's bound, which names the signal; not --deploy-timeout
            detail = diagnose(cluster, params.target_namespace, changes, seen["problems"])
            raise WaitTimeout(
                f"{step} did not finish within {params.deploy_timeout:g}s (--deploy-timeout):\n{detail}",
                hint="fix what is named above, or raise --deploy-timeout if the cluster is just slow",
            ) from None
    return list(seen["running"])
