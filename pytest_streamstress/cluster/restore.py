"""Put the operator back: `--restore`'s recorded images, or `--confirm`'s shipped ones.

Both patch the same IMAGE_* variables the deploy set (through the CSV and the operator Deployment,
`operator_env.py`), re-create the affected operands and wait until they are back; `streamstress
restore` and `--restore` replay the record the deploy wrote (`deploy.write_record`), `--confirm`
reads the CSV's `spec.relatedImages`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_streamstress._infra.waits import Cutoff
from pytest_streamstress.cluster import images as img
from pytest_streamstress.cluster.deploy import (
    RESTORE_RECORD,
    DeployParams,
    Progress,
    read_record,
    wait_for_operands,
    wait_operator,
    write_record,
)
from pytest_streamstress.cluster.deploy_plan import (
    absent_components,
    expected_images,
    plan_changes,
    sets_belonging_to,
    verifiable,
)
from pytest_streamstress.cluster.operands import delete_installer_sets, list_installer_sets
from pytest_streamstress.cluster.operator_env import (
    OperatorTarget,
    csv_images,
    find_operator,
    patch_csv,
    patch_deployment,
)
from pytest_streamstress.components import ComponentCatalog
from pytest_streamstress.errors import ClusterError
from pytest_streamstress.model import BuildResult, ComponentSpec

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster


def restore(
    cluster: Cluster,
    record_path: Path,
    catalog: ComponentCatalog,
    params: DeployParams,
    *,
    say: Progress | None = None,
    cutoff: Cutoff | None = None,
    shipped: bool = False,
) -> None:
    """Put the recorded IMAGE_* values back, re-create the operands, wait until they run them.

    The patches are always made whole; an armed `cutoff` (a stop signal) only shortens the waits,
    and a cut wait keeps the record, so `streamstress restore` can finish the job. `shipped` puts the
    CSV's shipped images on the recorded variables instead (`streamstress restore --shipped`).
    """
    say = say or (lambda _text: None)
    data = read_record(record_path)
    target = find_operator(cluster)
    if target.csv != data["csv"]:
        say(
            f"warning: the record is for CSV {data['csv']}, the cluster now runs {target.csv};"
            " restoring there"
        )
    original: dict[str, str | None] = dict(data["original"])
    if shipped:
        original = dict(_shipped_for(target, csv_images(cluster, target).shipped, original))
        say(f"putting the shipped images of CSV {target.csv} on {len(original)} IMAGE_* variable(s)")
    else:
        say(f"restoring {len(original)} IMAGE_* variable(s) recorded at {data.get('written_at', '?')}")
    specs = [catalog[name] for name in data.get("components", []) if name in catalog.names]
    _settle(cluster, target, original, specs, params, say=say, cutoff=cutoff, what="restored")
    record_path.rename(record_path.with_name(RESTORE_RECORD + ".restored"))
    done = "the shipped images are on" if shipped else "restored"
    say(f"{done}; the record is kept as restore.json.restored")


def put_shipped(
    cluster: Cluster,
    builds: Sequence[BuildResult],
    catalog: ComponentCatalog,
    params: DeployParams,
    *,
    record: bool,
    say: Progress | None = None,
) -> None:
    """Set this run's IMAGE_* variables to the shipped images of the CSV; wait until the operands run them.

    `--confirm`'s baseline. The shipped images come from the CSV's `spec.relatedImages`, not from the
    restore record: on a cluster an earlier run left patched, the record holds that run's upstream
    images, and a rerun on them would compare upstream with upstream. `record` writes a restore
    record first (what the cluster runs now), for a session whose own deploy had nothing to change.
    """
    say = say or (lambda _text: None)
    target = find_operator(cluster)
    images = csv_images(cluster, target)
    legacy = img.needs_legacy_console_var(target.openshift_version, target.operator_version)
    changes = plan_changes(builds, catalog, images.current, legacy_console=legacy)
    if not changes:
        raise ClusterError("this run deployed no images: there is nothing to compare with the shipped ones")
    variables = {c.env_var: images.current.get(c.env_var) for c in changes}
    values = _shipped_for(target, images.shipped, variables)
    components = sorted({c.component for c in changes})
    if values == variables:
        raise ClusterError(
            f"the operator already runs the shipped images of CSV {target.csv} for {', '.join(components)}:"
            " this run's images are the shipped ones, so a rerun on them proves nothing"
        )
    if record:
        write_record(
            params.record_dir, target, variables, params.strategy, components, shipped=images.shipped
        )
    say(
        f"setting {len(values)} IMAGE_* variable(s) of {', '.join(components)} to the shipped images of"
        f" CSV {target.csv} (spec.relatedImages)"
    )
    _settle(cluster, target, values, [catalog[c] for c in components], params, say=say, what="shipped")


def _shipped_for(
    target: OperatorTarget, shipped: Mapping[str, str], variables: Mapping[str, object]
) -> dict[str, str]:
    missing = sorted(var for var in variables if var not in shipped)
    if missing:
        raise ClusterError(
            f"CSV {target.csv} names no shipped image for {', '.join(missing)} in spec.relatedImages",
            hint="the bundle lists one related image per IMAGE_* variable (reference §5.1); is this"
            " operator built by hand?",
        )
    return {var: shipped[var] for var in variables}


def _settle(
    cluster: Cluster,
    target: OperatorTarget,
    values: Mapping[str, str | None],
    specs: Sequence[ComponentSpec],
    params: DeployParams,
    *,
    say: Progress,
    what: str,
    cutoff: Cutoff | None = None,
) -> None:
    """Patch the CSV and the Deployment to `values`, re-create the operands, and wait as the deploy
    does: TektonConfig Ready and every operand on the `values` images. Before, Ready alone: right
    after the installer sets go it still says True from before, so "restored" (and --confirm's
    "shipped") could be said of operands that still ran this run's images."""
    patch_csv(cluster, target, values)
    # A Deployment edit survives CSV changes only until OLM re-applies; make both agree.
    patch_deployment(cluster, target, values)
    wait_operator(
        cluster,
        target,
        values,
        params.deploy_timeout,
        f"operator pod with the {what} env",
        cutoff=cutoff,
        say=say,
        pace=params.pace,
    )
    present = list_installer_sets(cluster)  # before they go: a component with none is not installed
    legacy = img.needs_legacy_console_var(target.openshift_version, target.operator_version)
    expected, _notes = verifiable(
        expected_images(values, specs, legacy_console=legacy),
        absent=absent_components(present, specs),
        openshift_version=target.openshift_version,
    )
    delete_installer_sets(cluster, sets_belonging_to(present, specs))
    step = "restore" if what == "restored" else f"putting the {what} images on"
    wait_for_operands(cluster, params, expected, say, what=what, step=step, cutoff=cutoff)
