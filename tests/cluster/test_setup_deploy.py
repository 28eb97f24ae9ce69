"""Auto-setup and deploy against the emulator, through the official client over real HTTPS."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress._infra.waits import Probe, wait_until
from pytest_streamstress.cli import main as cli
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.deploy import RESTORE_RECORD, DeployParams, deploy, read_record
from pytest_streamstress.cluster.deploy_plan import ImageChange
from pytest_streamstress.cluster.drift import images_moved
from pytest_streamstress.cluster.operands import workload_state
from pytest_streamstress.cluster.operator_env import (
    csv_images,
    current_values,
    find_operator,
    patch_csv,
    patch_deployment,
)
from pytest_streamstress.cluster.restore import put_shipped, restore
from pytest_streamstress.cluster.setup import ItemStatus, SetupParams, check, ensure
from pytest_streamstress.components import load_catalog
from pytest_streamstress.errors import ClusterError, WaitTimeout
from pytest_streamstress.model import (
    BuildResult,
    BuildStatus,
    BuiltImage,
    ComponentName,
    DeployStatus,
    ImageRef,
)
from pytest_streamstress.testing.emulator import Emulator

pytestmark = pytest.mark.emulator

INTERNAL = "image-registry.openshift-image-registry.svc:5000/tekton-upstream"
CATALOG = load_catalog()


@pytest.fixture
def connect() -> Iterator[Callable[[Emulator], Cluster]]:
    clusters: list[Cluster] = []

    def make(emulator: Emulator) -> Cluster:
        cluster = Cluster.connect(
            Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor()
        )
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.close()


def push(emulator: Emulator, name: str, content: str = "v1") -> ImageRef:
    """Arrange an image in the emulated registry, as a ko push would."""
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "annotations": {"image": name, "content": content},
        }
    ).encode()
    digest = emulator.registry.put_manifest(
        f"tekton-upstream/{name}", "latest", body, "application/vnd.oci.image.manifest.v1+json"
    )
    return ImageRef(f"{INTERNAL}/{name}@{digest}")


def built(component: str, refs: dict[str, ImageRef]) -> BuildResult:
    spec = CATALOG[component]
    images = tuple(
        BuiltImage(name=i.name, ref=refs[i.name], env_vars=i.env_vars) for i in spec.images if i.name in refs
    )
    return BuildResult(
        component=ComponentName(component), repo=spec.repo, status=BuildStatus.BUILT, images=images
    )


def params(tmp_path: Path, **overrides: Any) -> DeployParams:
    values: dict[str, Any] = {
        "strategy": "auto",
        "olm_timeout": 10.0,
        "deploy_timeout": 20.0,
        "record_dir": tmp_path / "results",
    }
    values.update(overrides)
    return DeployParams(**values)


def installer_sets(emulator: Emulator) -> set[str]:
    rtype = emulator.store.rtype("operator.tekton.dev/v1alpha1", "TektonInstallerSet")
    return {item["metadata"]["name"] for item in emulator.store.list(rtype)[0]}


def lifecycle_env(emulator: Emulator) -> dict[str, str]:
    rtype = emulator.store.rtype("apps/v1", "Deployment")
    deployment = emulator.store.get(rtype, "openshift-operators", "openshift-pipelines-operator")
    container = next(
        c
        for c in deployment["spec"]["template"]["spec"]["containers"]
        if c["name"] == "openshift-pipelines-operator-lifecycle"
    )
    return {e["name"]: e.get("value", "") for e in container["env"]}


# -- setup ----------------------------------------------------------------------------------------------


def test_setup_of_a_bare_cluster_installs_the_operator_and_waits_for_ready(
    make_emulator: Any, connect: Any
) -> None:
    emulator = make_emulator(state="bare")
    cluster = connect(emulator)
    report = ensure(cluster, SetupParams(timeout=30))
    assert report.ok, report.items
    assert report.registry_host == emulator.registry_host
    assert report.csv == "openshift-pipelines-operator-rh.v1.21.3"
    assert "subscription openshift-operators/openshift-pipelines-operator" in report.changed
    assert "namespace tekton-upstream" in report.changed


def test_running_setup_twice_changes_nothing_the_second_time(make_emulator: Any, connect: Any) -> None:
    emulator = make_emulator(state="bare")
    cluster = connect(emulator)
    ensure(cluster, SetupParams(timeout=30))
    version_before = emulator.store.resource_version
    second = ensure(cluster, SetupParams(timeout=30))
    assert second.changed == ()
    assert emulator.store.resource_version == version_before


def test_check_reports_missing_items_with_what_fix_would_do(make_emulator: Any, connect: Any) -> None:
    emulator = make_emulator(state="bare")
    report = check(connect(emulator))
    statuses = {item.name: item.status for item in report.items}
    assert statuses["operator"] is ItemStatus.MISSING
    assert statuses["image namespace"] is ItemStatus.MISSING
    assert all(item.fix for item in report.items if item.status is not ItemStatus.OK)


def test_check_command_exit_codes_follow_the_original_tool(make_emulator: Any, capsys: Any) -> None:
    emulator = make_emulator(state="bare")
    assert cli.main(["check", "--kubeconfig", str(emulator.kubeconfig)]) == 1
    assert cli.main(["check", "--fix", "--timeout", "30", "--kubeconfig", str(emulator.kubeconfig)]) == 0
    assert cli.main(["check", "--kubeconfig", str(emulator.kubeconfig)]) == 0
    assert cli.main(["check", "--kubeconfig", str(emulator.workdir / "missing")]) == 2
    assert "ok" in capsys.readouterr().out


# -- deploy ---------------------------------------------------------------------------------------------


def _pipeline_build(emulator: Emulator, content: str = "v1") -> BuildResult:
    refs = {
        name: push(emulator, name, content)
        for name in ("pipeline-controller", "pipeline-webhook", "pipeline-entrypoint", "pipeline-nop")
    }
    return built("pipeline", refs)


def test_deploy_of_a_pipeline_build_rolls_operands_and_verifies_images_and_arguments(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    build = _pipeline_build(emulator)
    result = deploy(connect(emulator), [build], CATALOG, params(tmp_path))
    assert result.status is DeployStatus.DEPLOYED
    assert result.strategy == "csv"
    verified = {r.env_var: r.where for r in result.running}
    assert verified["IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE"].endswith("arg -entrypoint-image")
    assert verified["IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER"] == (
        "Deployment/tekton-pipelines-controller container tekton-pipelines-controller"
    )
    assert result.cluster.operator_csv == "openshift-pipelines-operator-rh.v1.21.3"
    assert (tmp_path / "results" / RESTORE_RECORD).exists()


def test_a_second_deploy_of_the_same_images_is_a_noop(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    build = _pipeline_build(emulator)
    cluster = connect(emulator)
    deploy(cluster, [build], CATALOG, params(tmp_path))
    sets_before = installer_sets(emulator)
    said: list[str] = []
    again = deploy(cluster, [build], CATALOG, params(tmp_path), say=said.append)
    assert again.status is DeployStatus.NOOP
    assert installer_sets(emulator) == sets_before
    assert any("no-op" in line for line in said)


def test_deploying_triggers_leaves_pipeline_variables_alone(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    before = lifecycle_env(emulator)
    refs = {
        "triggers-controller": push(emulator, "triggers-controller"),
        "triggers-eventlistenersink": push(emulator, "triggers-eventlistenersink"),
    }
    deploy(connect(emulator), [built("triggers", refs)], CATALOG, params(tmp_path))
    after = lifecycle_env(emulator)
    pipeline_vars = {k for k in before if k.startswith("IMAGE_PIPELINES_")}
    assert {k: after[k] for k in pipeline_vars} == {k: before[k] for k in pipeline_vars}
    assert after["IMAGE_TRIGGERS_TEKTON_TRIGGERS_CONTROLLER"] == refs["triggers-controller"]


def test_auto_falls_back_to_the_deployment_when_olm_does_not_propagate(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    emulator.faults.olm_ignores_csv_env = True
    said: list[str] = []
    result = deploy(
        connect(emulator),
        [_pipeline_build(emulator)],
        CATALOG,
        params(tmp_path, olm_timeout=1.0),
        say=said.append,
    )
    assert result.status is DeployStatus.DEPLOYED
    assert result.strategy == "deployment"
    assert any("did not roll the CSV change" in line for line in said)


def test_deploy_survives_a_conflict_storm_on_the_csv(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    emulator.faults.conflict_storm = {"ClusterServiceVersion": 5}
    result = deploy(connect(emulator), [_pipeline_build(emulator)], CATALOG, params(tmp_path))
    assert result.status is DeployStatus.DEPLOYED


def test_deploy_retries_server_errors_and_throttling(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    emulator.faults.retry_after_s = 0
    emulator.faults.throttle_next = 3
    emulator.faults.error_rate = 0.2
    emulator.faults.error_status = 503
    emulator.faults.only_methods = frozenset({"GET"})
    result = deploy(connect(emulator), [_pipeline_build(emulator)], CATALOG, params(tmp_path))
    assert result.status is DeployStatus.DEPLOYED


def test_deploy_completes_when_watches_are_dropped(make_emulator: Any, connect: Any, tmp_path: Path) -> None:
    emulator = make_emulator(state="installed")
    emulator.faults.drop_watch_after_events = 1
    result = deploy(connect(emulator), [_pipeline_build(emulator)], CATALOG, params(tmp_path))
    assert result.status is DeployStatus.DEPLOYED


def test_an_operator_that_never_gets_ready_is_diagnosed_within_the_timeout(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    emulator.faults.operator_never_ready = True
    with pytest.raises(WaitTimeout) as excinfo:
        deploy(connect(emulator), [_pipeline_build(emulator)], CATALOG, params(tmp_path, deploy_timeout=3.0))
    message = str(excinfo.value)
    assert "deploy did not finish within 3s (--deploy-timeout)" in message
    assert "--setup-timeout" not in message
    assert "TektonConfig config: " in message
    assert "Ready=False" in message


def test_an_image_that_cannot_be_pulled_is_named_in_the_error(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    missing = ImageRef(f"{INTERNAL}/pipeline-controller@sha256:" + "0" * 64)
    with pytest.raises(WaitTimeout) as excinfo:
        deploy(
            connect(emulator),
            [built("pipeline", {"pipeline-controller": missing})],
            CATALOG,
            params(tmp_path, deploy_timeout=3.0),
        )
    assert "ImagePullBackOff" in str(excinfo.value)
    assert missing in str(excinfo.value)


def test_restore_puts_the_recorded_values_back(make_emulator: Any, connect: Any, tmp_path: Path) -> None:
    emulator = make_emulator(state="installed")
    cluster = connect(emulator)
    original = current_values(cluster, find_operator(cluster))
    deploy(cluster, [_pipeline_build(emulator)], CATALOG, params(tmp_path))
    assert current_values(cluster, find_operator(cluster)) != original
    restore(cluster, tmp_path / "results" / RESTORE_RECORD, CATALOG, params(tmp_path))
    assert current_values(cluster, find_operator(cluster)) == original
    assert (tmp_path / "results" / (RESTORE_RECORD + ".restored")).exists()


def test_restore_waits_for_the_operands_on_the_restored_images_not_for_a_stale_ready(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    """Right after the installer sets go, TektonConfig still says Ready from before: a restore that
    waited for Ready alone said "restored" while the operands ran this run's images (or none)."""
    emulator = make_emulator(state="installed")
    cluster = connect(emulator)
    deploy(cluster, [_pipeline_build(emulator)], CATALOG, params(tmp_path))
    record = read_record(tmp_path / "results" / RESTORE_RECORD)
    emulator.faults.unpullable_images |= {image for image in record["original"].values() if image}
    with pytest.raises(WaitTimeout) as excinfo:
        restore(cluster, tmp_path / "results" / RESTORE_RECORD, CATALOG, params(tmp_path, deploy_timeout=3.0))
    message = str(excinfo.value)
    assert "restore did not finish within 3s (--deploy-timeout)" in message
    assert "ImagePullBackOff" in message
    assert (tmp_path / "results" / RESTORE_RECORD).exists(), "kept for `streamstress restore`"

    emulator.faults.unpullable_images.clear()
    restore(cluster, tmp_path / "results" / RESTORE_RECORD, CATALOG, params(tmp_path))
    expected = [
        ImageChange(
            component=ComponentName("pipeline"),
            image=image.name,
            env_var=var,
            new=ImageRef(record["original"][var]),
            old=None,
            deployment=image.deployment,
            container=image.container,
        )
        for image in CATALOG["pipeline"].images
        for var in image.env_vars
        if record["original"].get(var)
    ]
    running, problems = workload_state(cluster, "openshift-pipelines", expected)
    assert problems == []
    assert {image.env_var for image in running} == {c.env_var for c in expected}


# -- a cluster an earlier run left on its images (no --restore) -----------------------------------------


PIPELINE_VARS = {v for image in CATALOG["pipeline"].images for v in image.env_vars}


def pipeline_values(cluster: Cluster) -> dict[str, str | None]:
    return {k: v for k, v in current_values(cluster, find_operator(cluster)).items() if k in PIPELINE_VARS}


@dataclasses.dataclass(frozen=True)
class LeftOn:
    """A cluster last night's run left on its images: it ended without --restore."""

    emulator: Emulator
    cluster: Cluster
    shipped: dict[str, str | None]
    found: dict[str, str | None]


@pytest.fixture
def left_on(make_emulator: Any, connect: Any, tmp_path: Path) -> LeftOn:
    emulator = make_emulator(state="installed")
    cluster = connect(emulator)
    shipped = pipeline_values(cluster)
    deploy(cluster, [_pipeline_build(emulator, "last night")], CATALOG, params(tmp_path / "night"))
    return LeftOn(emulator=emulator, cluster=cluster, shipped=shipped, found=pipeline_values(cluster))


def test_a_deploy_over_an_earlier_runs_images_records_them_as_found_and_says_so(
    left_on: LeftOn, tmp_path: Path
) -> None:
    said: list[str] = []
    tonight = _pipeline_build(left_on.emulator, "tonight")
    result = deploy(left_on.cluster, [tonight], CATALOG, params(tmp_path), say=said.append)
    assert [line for line in said if "an earlier run left its images on" in line]
    assert "an earlier run left its images on" in result.message
    record = read_record(tmp_path / "results" / RESTORE_RECORD)
    assert record["original"] == {k: left_on.found[k] for k in record["original"]}
    assert record["shipped"] == {k: left_on.shipped[k] for k in record["original"]}
    assert record["original"] != record["shipped"]


def test_put_shipped_sets_the_csvs_shipped_images_and_keeps_the_record_of_what_was_found(
    left_on: LeftOn, tmp_path: Path
) -> None:
    cluster = left_on.cluster
    tonight = _pipeline_build(left_on.emulator, "tonight")
    deploy(cluster, [tonight], CATALOG, params(tmp_path))
    upstream = pipeline_values(cluster)
    put_shipped(cluster, [tonight], CATALOG, params(tmp_path), record=False)
    assert pipeline_values(cluster) == left_on.shipped, "the record's values are last night's, not shipped"
    deploy(cluster, [tonight], CATALOG, params(tmp_path, keep_record=True))  # --confirm puts tonight's back
    assert pipeline_values(cluster) == upstream
    restore(cluster, tmp_path / "results" / RESTORE_RECORD, CATALOG, params(tmp_path))
    assert pipeline_values(cluster) == left_on.found, "--restore leaves the cluster as it was found"


def test_put_shipped_waits_until_the_operands_run_the_shipped_images(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    """--confirm's baseline: a rerun "on the shipped images" that starts on a stale Ready runs on this
    run's images still, fails again, and files a real regression fails-on-shipped."""
    emulator = make_emulator(state="installed")
    cluster = connect(emulator)
    tonight = _pipeline_build(emulator)
    deploy(cluster, [tonight], CATALOG, params(tmp_path))
    shipped = csv_images(cluster, find_operator(cluster)).shipped
    emulator.faults.unpullable_images |= {shipped[var] for var in PIPELINE_VARS if var in shipped}
    with pytest.raises(WaitTimeout) as excinfo:
        put_shipped(cluster, [tonight], CATALOG, params(tmp_path, deploy_timeout=3.0), record=False)
    assert "putting the shipped images on did not finish within 3s (--deploy-timeout)" in str(excinfo.value)
    assert "ImagePullBackOff" in str(excinfo.value)


def test_put_shipped_records_first_when_the_sessions_deploy_changed_nothing(
    left_on: LeftOn, tmp_path: Path
) -> None:
    cluster = left_on.cluster
    same = _pipeline_build(left_on.emulator, "last night")
    assert deploy(cluster, [same], CATALOG, params(tmp_path)).status is DeployStatus.NOOP
    put_shipped(cluster, [same], CATALOG, params(tmp_path), record=True)
    assert pipeline_values(cluster) == left_on.shipped
    record = read_record(tmp_path / "results" / RESTORE_RECORD)
    assert record["original"] == {k: left_on.found[k] for k in record["original"]}
    restore(cluster, tmp_path / "results" / RESTORE_RECORD, CATALOG, params(tmp_path))
    assert pipeline_values(cluster) == left_on.found


def test_put_shipped_on_the_shipped_images_says_a_rerun_proves_nothing(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    cluster = connect(emulator)
    build = _pipeline_build(emulator)
    deploy(cluster, [build], CATALOG, params(tmp_path))
    restore(cluster, tmp_path / "results" / RESTORE_RECORD, CATALOG, params(tmp_path))
    with pytest.raises(ClusterError, match=r"already runs the shipped images .* proves nothing"):
        put_shipped(cluster, [build], CATALOG, params(tmp_path), record=False)


def test_restore_shipped_puts_the_csvs_images_on_the_recorded_variables(
    left_on: LeftOn, tmp_path: Path
) -> None:
    deploy(left_on.cluster, [_pipeline_build(left_on.emulator, "tonight")], CATALOG, params(tmp_path))
    restore(left_on.cluster, tmp_path / "results" / RESTORE_RECORD, CATALOG, params(tmp_path), shipped=True)
    assert pipeline_values(left_on.cluster) == left_on.shipped


def test_the_restore_command_puts_the_shipped_images_back_also_after_a_restore_as_found(
    left_on: LeftOn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy(left_on.cluster, [_pipeline_build(left_on.emulator, "tonight")], CATALOG, params(tmp_path))
    argv = ["restore", str(tmp_path / "results"), "--kubeconfig", str(left_on.emulator.kubeconfig)]
    assert cli.main([*argv, "--timeout", "20"]) == 0
    assert pipeline_values(left_on.cluster) == left_on.found, "as found: last night's images"
    assert cli.main([*argv, "--shipped", "--timeout", "20"]) == 0
    assert pipeline_values(left_on.cluster) == left_on.shipped
    assert "shipped images of CSV openshift-pipelines-operator-rh.v1.21.3" in capsys.readouterr().out


# -- after the scenarios: did the operator keep this run's images? (cluster/drift.py) --------------------


def test_images_moved_is_empty_while_the_operator_keeps_the_images(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    cluster = connect(emulator)
    deployed = deploy(cluster, [_pipeline_build(emulator)], CATALOG, params(tmp_path))
    assert images_moved(cluster, deployed) is None


def test_images_moved_names_the_variable_another_session_put_back_in_the_csv(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    cluster = connect(emulator)
    shipped = pipeline_values(cluster)
    deployed = deploy(cluster, [_pipeline_build(emulator)], CATALOG, params(tmp_path))
    variable = "IMAGE_PIPELINES_WEBHOOK"
    patch_csv(cluster, find_operator(cluster), {variable: shipped[variable]})
    moved = str(images_moved(cluster, deployed))
    assert moved.startswith(
        f"CSV openshift-pipelines-operator-rh.v1.21.3 now sets {variable}=registry.redhat.io/"
    )
    assert "another session or a person changed the operator's images" in moved


def test_images_moved_reads_the_deployment_the_fallback_patched(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    emulator.faults.olm_ignores_csv_env = True
    cluster = connect(emulator)
    shipped = pipeline_values(cluster)
    deployed = deploy(cluster, [_pipeline_build(emulator)], CATALOG, params(tmp_path, olm_timeout=1.0))
    assert deployed.strategy == "deployment"
    assert images_moved(cluster, deployed) is None, "the CSV never held this run's images: not a move"
    variable = "IMAGE_PIPELINES_WEBHOOK"
    patch_deployment(cluster, find_operator(cluster), {variable: shipped[variable]})
    assert str(images_moved(cluster, deployed)).startswith(
        f"Deployment openshift-operators/openshift-pipelines-operator now sets {variable}="
    )


def test_images_moved_names_an_operator_upgrade(make_emulator: Any, connect: Any, tmp_path: Path) -> None:
    """The deploy patched v1.21.2; OLM has since installed v1.21.3 (the emulator's OLM knows one CSV)."""
    emulator = make_emulator(state="installed")
    cluster = connect(emulator)
    deployed = deploy(cluster, [_pipeline_build(emulator)], CATALOG, params(tmp_path))
    before = dataclasses.replace(
        deployed,
        cluster=dataclasses.replace(deployed.cluster, operator_csv="openshift-pipelines-operator-rh.v1.21.2"),
    )
    assert str(images_moved(cluster, before)) == (
        "the operator's CSV changed from openshift-pipelines-operator-rh.v1.21.2 to"
        " openshift-pipelines-operator-rh.v1.21.3 during the run: an OLM upgrade or a reinstall (the new CSV"
        " carries its own shipped images) changed the operator's images"
    )


def test_the_bearer_token_never_reaches_logs_or_errors(
    make_emulator: Any, connect: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emulator = make_emulator(state="installed")
    emulator.faults.operator_never_ready = True
    token = emulator.token.reveal()
    with pytest.raises(WaitTimeout) as excinfo:
        deploy(connect(emulator), [_pipeline_build(emulator)], CATALOG, params(tmp_path, deploy_timeout=2.0))
    assert token not in str(excinfo.value)
    assert token not in caplog.text
    for path in (tmp_path / "results").rglob("*"):
        if path.is_file():
            assert token not in path.read_text(encoding="utf-8", errors="replace"), path


def test_a_component_the_cluster_does_not_run_is_set_but_not_waited_for(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    refs = {
        name: push(emulator, name)
        for name in ("manual-approval-gate-controller", "manual-approval-gate-webhook")
    }
    said: list[str] = []
    result = deploy(
        connect(emulator), [built("manual-approval-gate", refs)], CATALOG, params(tmp_path), say=said.append
    )
    assert result.status is DeployStatus.DEPLOYED
    assert "not installed on this cluster: manual-approval-gate" in result.message
    assert (
        lifecycle_env(emulator)["IMAGE_MAG_TEKTON_TASKGROUP_CONTROLLER"]
        == refs["manual-approval-gate-controller"]
    )
    assert any(line.startswith("warning: not installed on this cluster") for line in said)


# -- which bound applies where (issue 19) -----------------------------------------------------------------


def test_setup_that_installs_an_operator_that_never_gets_ready_names_the_setup_timeout(
    make_emulator: Any, connect: Any
) -> None:
    emulator = make_emulator(state="bare")
    emulator.faults.operator_never_ready = True
    with pytest.raises(WaitTimeout) as excinfo:
        ensure(connect(emulator), SetupParams(timeout=2))
    message = str(excinfo.value)
    assert "auto-setup not complete (--setup-timeout) after 2s" in message
    assert "TektonConfig not Ready" in message
    assert "raise --setup-timeout" in message


def test_setup_of_an_installed_operator_leaves_the_ready_wait_to_the_deploy(
    make_emulator: Any, connect: Any
) -> None:
    emulator = make_emulator(state="installed")
    emulator.faults.operator_never_ready = True
    _make_not_ready(emulator)
    said: list[str] = []
    report = ensure(connect(emulator), SetupParams(timeout=600, wait_ready=False), on_progress=said.append)
    assert report.csv == "openshift-pipelines-operator-rh.v1.21.3"
    assert any("the deploy waits for it (--deploy-timeout)" in line for line in said), said


def _make_not_ready(emulator: Emulator) -> None:
    """Touch TektonConfig so the operator (never Ready now) reconciles it to Ready=False."""
    rtype = emulator.store.rtype("operator.tekton.dev/v1alpha1", "TektonConfig")
    config = emulator.store.get(rtype, None, "config")
    config["metadata"].setdefault("annotations", {})["touched"] = "1"
    emulator.store.update(rtype, config)

    def not_ready() -> Probe:
        status = emulator.store.get(rtype, None, "config").get("status") or {}
        ready = [c for c in status.get("conditions", []) if c.get("type") == "Ready"]
        return Probe(done=bool(ready) and ready[0].get("status") != "True", state=str(ready))

    wait_until(not_ready, what="TektonConfig Ready=False", timeout=30, poll=0.05)
