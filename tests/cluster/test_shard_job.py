"""`--shards N --in-cluster`: one Indexed Job whose pods run the real plugin, merged into one run (issue 23).

The emulator runs each index's pod as a local process: `python -m pytest_streamstress.cluster.job
results -- --streamstress ... --shard=$(JOB_COMPLETION_INDEX)/N`, the kubelet's expansion included.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress._infra.waits import Probe, wait_until
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.job.launch import JobLaunch, launch_job
from pytest_streamstress.cluster.job.manifest import (
    CLAIM_ENV,
    DEFAULT_COMMAND,
    DEFAULT_DEADLINE_S,
    POD_RESULTS_DIR,
    JobRequest,
)
from pytest_streamstress.cluster.job.shards import INDEX_ANNOTATION, job_finished
from pytest_streamstress.cluster.lease import LeaseGate
from pytest_streamstress.errors import WaitTimeout
from pytest_streamstress.history.store import load_index
from pytest_streamstress.report.results_json import load_schema
from pytest_streamstress.run.claim import CLAIM_LEASE
from pytest_streamstress.testing.emulator import Emulator
from pytest_streamstress.testing.emulator.controllers.jobs import TERMINATE_ANNOTATION
from pytest_streamstress.testing.standins import install_standins, path_with

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

NAMESPACE = "openshift-pipelines"


def test_shards_on_the_embedded_emulator_run_as_one_indexed_job_and_merge_into_one_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)

    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--streamstress",
        "--cluster",
        "emulated",
        "--in-cluster",
        "--shards=2",
        "--skip-build",
        "--skip-deploy",
        "--no-auto-setup",
    )

    result.stdout.fnmatch_lines(
        [
            "*Job launched: openshift-pipelines/streamstress-*",
            "*shard plan: 2 shards balanced by *",
            "*shard 0/2: * specs, * scenarios*",
            "*shard 1/2: * specs, * scenarios*",
            "*shard 0: pod streamstress-*-0-* on *: Completed (exit 0), finished",
            "*shard 1: pod streamstress-*-1-* on *: Completed (exit 0), finished",
            "*merged 2 shards: * scenarios, run *, in *in-cluster*streamstress-*results.json",
        ]
    )
    [job_dir] = (pytester.path / "results" / "in-cluster").iterdir()
    document = json.loads((job_dir / "results.json").read_text())
    jsonschema.validate(document, load_schema())
    # The merged run is the session's run: its results.json, its exit code (the demo's failures gate).
    assert json.loads((pytester.path / "results" / "results.json").read_text()) == document
    assert result.ret == document["exit_code"] == 1
    planned = [
        s["nodeid"]
        for shard in document["shards"]["plan"]["shards"]
        for spec in shard["specs"]
        for s in spec["scenarios"]
    ]
    assert sorted(s["nodeid"] for s in document["scenarios"]) == sorted(planned)
    assert len(set(planned)) == len(planned) > 2
    assert {s["shard"] for s in document["scenarios"]} == {0, 1}
    assert [s["status"] for s in document["shards"]["summaries"]] == ["finished", "finished"]
    assert all(s["pod"] and s["node"] and s["started_at"] for s in document["shards"]["summaries"])
    assert document["emulated"] is True
    assert (job_dir / "shards" / "0" / "results.json").is_file()


def _spec(name: str, scenarios: int) -> str:
    body = "".join(
        f'\n## {name} {i}: PIPELINES-96-TC{name}{i}\nTags: e2e\n* Create "{name}{i}.yaml"\n'
        for i in range(scenarios)
    )
    return f"# Spec {name}\n{body}"


def _launch_two_shards(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    specs: dict[str, str],
    outcomes: str,
    *,
    deadline_s: int = DEFAULT_DEADLINE_S,
    env: tuple[tuple[str, str], ...] = (),
) -> tuple[Cluster, JobLaunch]:
    """An Indexed Job of two real plugin pods over `specs`, the gauge stand-in following `outcomes`."""
    bin_dir = install_standins(tmp_path / "bin", ("gauge",))
    monkeypatch.setenv(
        "PATH", path_with(bin_dir, os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    )
    root = tmp_path / "rt"
    (root / "specs").mkdir(parents=True)
    (root / "manifest.json").write_text('{"Language": "go", "Plugins": ["xml-report"]}')
    for name, text in specs.items():
        (root / "specs" / name).write_text(text)
    (tmp_path / "outcomes.toml").write_text(outcomes)
    request = JobRequest(
        namespace=NAMESPACE,
        image="quay.io/example/streamstress:1",
        command=(sys.executable, *DEFAULT_COMMAND[1:]),
        plugin_args=(
            "--streamstress",
            "-p",
            "no:cacheprovider",
            "--skip-build",
            "--skip-deploy",
            "--no-auto-setup",
            f"--release-tests-dir={root}",
            f"--results-dir={POD_RESULTS_DIR}",
            "--shard=$(JOB_COMPLETION_INDEX)/2",
        ),
        env=(("GAUGE_STANDIN_OUTCOMES", str(tmp_path / "outcomes.toml")), *env),
        completions=2,
        deadline_s=deadline_s,
    )
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    return cluster, launch_job(cluster, request)


@pytest.mark.parametrize("reason", ["OOMKilled", "Evicted"])
def test_a_shard_whose_pod_is_killed_loses_only_its_scenarios_as_harness_errors_with_the_pods_reason(
    make_emulator: Callable[..., Emulator],
    reason: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:

    emulator = make_emulator(state="installed")
    # equal split: a -> shard 0, b -> shard 1; shard 0 is still inside its gauge run when the test
    # kills its pod (600 s is the bound, not a timing)
    cluster, launch = _launch_two_shards(
        emulator,
        tmp_path,
        monkeypatch,
        {"a.spec": _spec("a", 2), "b.spec": _spec("b", 2)},
        '[[scenario]]\nmatch = "PIPELINES-96-TCa0"\nstatus = "pass"\nsleep_s = 600\n',
    )

    def shard_zero_sleeping() -> Probe:
        log = ""
        for pod in cluster.core.list_namespaced_pod(
            NAMESPACE, label_selector=f"job-name={launch.name}"
        ).items:
            if (pod.metadata.annotations or {}).get(
                INDEX_ANNOTATION
            ) == "0" and pod.status.phase == "Running":
                log = cluster.core.read_namespaced_pod_log(pod.metadata.name, NAMESPACE)
                if "a.spec" in log:
                    return Probe(done=True, state=pod.metadata.name)
        return Probe(done=False, state=log[-300:])

    pod = wait_until(shard_zero_sleeping, what="shard 0 did not start its spec", timeout=120, poll=0.2)
    cluster.core.patch_namespaced_pod(
        pod.state, NAMESPACE, {"metadata": {"annotations": {TERMINATE_ANNOTATION: reason}}}
    )
    _wait_until_ended(cluster, launch.name, timeout=120)

    from pytest_streamstress.cli import main as cli

    # `streamstress status` shows every shard, so a lost one shows before anything is collected.
    assert cli.main(["status", "--kubeconfig", str(emulator.kubeconfig), launch.name]) == 1
    status = capsys.readouterr().out.splitlines()
    assert f"{NAMESPACE}/{launch.name}  failed  2 shards" in status[0]
    assert status[1].startswith("  shard 0: pod ") and status[1].endswith(f": {reason} (exit 137)")
    assert status[2].startswith("  shard 1: pod ") and status[2].endswith(": Completed (exit 0)")

    history = tmp_path / "history"
    code, out, document = _collect(emulator, launch, tmp_path / "merged", capsys, "--history", str(history))

    assert code == 1, out
    # The merged run joins the history whole; the shards (which read it) never added themselves.
    assert load_index(history).run_ids() == (document["run_id"],)
    assert f"added {document['run_id']} to the history {history}" in out
    assert "shard 0: pod " in out and f": {reason} (exit 137), lost" in out
    assert "1 shards lost, their scenarios are harness errors" in out
    jsonschema.validate(document, load_schema())
    outcome = {s["scenario"]: (s["shard"], s["status"], s.get("category")) for s in document["scenarios"]}
    assert outcome == {
        "a 0: PIPELINES-96-TCa0": (0, "error", "harness"),
        "a 1: PIPELINES-96-TCa1": (0, "error", "harness"),
        "b 0: PIPELINES-96-TCb0": (1, "passed", None),
        "b 1: PIPELINES-96-TCb1": (1, "passed", None),
    }
    assert all(reason in s["message"] for s in document["scenarios"] if s["shard"] == 0)
    assert [s["status"] for s in document["shards"]["summaries"]] == ["lost", "finished"]
    assert (document["status"], document["exit_code"]) == ("incomplete", 1)
    cluster.close()


def _collect(
    emulator: Emulator, launch: JobLaunch, dest: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, dict[str, Any]]:
    """`streamstress collect DEST JOB`: its exit code, what it printed, and the merged results.json."""
    from pytest_streamstress.cli import main as cli

    code = cli.main(["collect", "--kubeconfig", str(emulator.kubeconfig), *extra, str(dest), launch.name])
    out = capsys.readouterr().out
    document: dict[str, Any] = json.loads((dest / "results.json").read_text())
    return code, out, document


def _wait_until_ended(cluster: Cluster, job: str, *, timeout: float = 300) -> None:
    wait_until(
        lambda: Probe(*job_finished(cluster, NAMESPACE, job)),
        what="the shards did not end",
        timeout=timeout,
        poll=0.2,
    )


def _window(scenario: dict[str, str]) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.fromisoformat(scenario["started_at"].replace("Z", "+00:00")),
        dt.datetime.fromisoformat(scenario["finished_at"].replace("Z", "+00:00")),
    )


def test_a_serial_scenario_never_runs_beside_another_shards_scenarios(
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:

    emulator = make_emulator(state="installed")
    serial = (
        '# Spec a\n\n## a 0: PIPELINES-96-TCa0\nTags: admin\n* Create "a0.yaml"\n'
        '\n## a 1: PIPELINES-96-TCa1\nTags: e2e\n* Create "a1.yaml"\n'
    )
    # both pods start together and every scenario takes 3 s: without the gate they would overlap
    cluster, launch = _launch_two_shards(
        emulator,
        tmp_path,
        monkeypatch,
        {"a.spec": serial, "b.spec": _spec("b", 2)},
        '[[scenario]]\nmatch = "PIPELINES-96"\nstatus = "pass"\nsleep_s = 3\n',
    )
    _wait_until_ended(cluster, launch.name)

    code, _out, document = _collect(emulator, launch, tmp_path / "merged", capsys)
    assert code == 0
    scenarios = {s["scenario"]: s for s in document["scenarios"]}
    assert {s["status"] for s in scenarios.values()} == {"passed"}
    admin_start, admin_end = _window(scenarios["a 0: PIPELINES-96-TCa0"])
    for other in ("b 0: PIPELINES-96-TCb0", "b 1: PIPELINES-96-TCb1"):
        start, end = _window(scenarios[other])
        assert end <= admin_start or start >= admin_end, (other, scenarios[other], admin_start, admin_end)
    lease = cluster.coordination.read_namespaced_lease("streamstress-serial", NAMESPACE, _request_timeout=10)
    assert lease.metadata.annotations["streamstress.io/readers"] == "{}"  # every shard left the gate
    cluster.close()


def test_no_shard_starts_a_scenario_before_another_shard_s_install_scenario_ended(
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The install scenario configures what the other specs need. Each shard ordered its own scenarios,
    so the shard without it ran its specs first, on a cluster it had not configured yet; the serial
    gate only kept them from running beside it (run/shard_setup.py)."""
    emulator = make_emulator(state="installed")
    olm = (
        "# Olm\n\n## Install the operator: PIPELINES-09-TC01\nTags: install, admin\n* Subscribe to operator\n"
    )
    cluster, launch = _launch_two_shards(
        emulator,
        tmp_path,
        monkeypatch,
        {"b.spec": _spec("b", 2), "olm.spec": olm},
        '[[scenario]]\nmatch = "PIPELINES-09"\nstatus = "pass"\nsleep_s = 3\n\n'
        '[[scenario]]\nmatch = "PIPELINES-96"\nstatus = "pass"\nsleep_s = 0.5\n',
    )
    _wait_until_ended(cluster, launch.name)
    code, _out, document = _collect(emulator, launch, tmp_path / "merged", capsys)
    assert code == 0
    scenarios = {s["scenario"]: s for s in document["scenarios"]}
    assert {s["status"] for s in scenarios.values()} == {"passed"}
    install = scenarios["Install the operator: PIPELINES-09-TC01"]
    assert {s["shard"] for s in scenarios.values() if s is not install} == {1 - install["shard"]}
    _, install_end = _window(install)
    for other in ("b 0: PIPELINES-96-TCb0", "b 1: PIPELINES-96-TCb1"):
        start, _ = _window(scenarios[other])
        assert start >= install_end, (other, start, install_end)
    lease = cluster.coordination.read_namespaced_lease("streamstress-serial", NAMESPACE, _request_timeout=10)
    assert lease.metadata.annotations["streamstress.io/setup-ended"] == launch.name
    cluster.close()


def test_the_shard_pods_carry_their_launcher_s_claim_on_the_cluster_until_the_last_one_ended(
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A shards launcher deploys and returns once the Job is launched. Before, nothing held the
    cluster's claim while the shards ran: another run could deploy under their scenarios."""
    emulator = make_emulator(state="installed")
    launcher = "alice@laptop pid 4711 since 2026-12-07T02:00:00+00:00"
    cluster, launch = _launch_two_shards(
        emulator,
        tmp_path,
        monkeypatch,
        {"a.spec": _spec("a", 2), "b.spec": _spec("b", 2)},
        '[[scenario]]\nmatch = "PIPELINES-96"\nstatus = "pass"\nsleep_s = 1.5\n',
        env=((CLAIM_ENV, launcher),),
    )
    other = LeaseGate(
        cluster, "openshift-operators", "bob@laptop pid 2", poll_s=0.1, timeout_s=0.5, name=CLAIM_LEASE
    )
    held_while_running: list[str] = []

    def shards_run_and_hold_it() -> Probe:
        done, state = job_finished(cluster, NAMESPACE, launch.name)
        if not done and other.writer():
            held_while_running.append(other.writer())
        return Probe(done, state)

    wait_until(shards_run_and_hold_it, what="the shards did not end", timeout=300, poll=0.2)
    assert held_while_running and set(held_while_running) == {launcher}
    code, _out, document = _collect(emulator, launch, tmp_path / "merged", capsys)
    assert code == 0 and {s["status"] for s in document["scenarios"]} == {"passed"}
    # Ended, the last pod leaves the claim to lapse within a minute; another run still waits for it.
    assert other.writer() == launcher
    with pytest.raises(WaitTimeout), other.hold(exclusive=True):
        pass
    cluster.close()


def test_ci_launches_the_shards_then_publishes_their_merged_run_once(
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import subprocess

    from pytest_streamstress.cli import main as cli
    from pytest_streamstress.cluster.job.state import list_jobs
    from pytest_streamstress.testing.embedded import DEMO_SUITE

    emulator = make_emulator(state="installed")
    bin_dir = install_standins(tmp_path / "bin")
    monkeypatch.setenv(
        "PATH", path_with(bin_dir, os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    )
    for name in ("KUBECONFIG", "GITHUB_TOKEN", "GH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    bare = tmp_path / "pages.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, timeout=60)
    argv = [
        "ci",
        "--build",
        "--kubeconfig",
        str(emulator.kubeconfig),
        "--job-image",
        "quay.io/example/ss:1",
        "--results",
        str(tmp_path / "runs"),
        "--publish-repo",
        str(bare),
        "--",
        "--shards=2",
        "--skip-build",
        "--skip-deploy",
        "--no-auto-setup",
        f"--release-tests-dir={DEMO_SUITE}",
    ]

    assert cli.main(argv) == 0
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    [job] = list_jobs(cluster, NAMESPACE)
    assert job.sharded
    _wait_until_ended(cluster, job.name)
    assert cli.main(argv) == 0

    out = capsys.readouterr().out
    assert "streamstress ci: collect:" in out and "merged 2 shards" in out
    document = json.loads((tmp_path / "runs" / job.name / "results.json").read_text())
    assert [s["status"] for s in document["shards"]["summaries"]] == ["finished", "finished"]
    assert {s["shard"] for s in document["scenarios"]} == {0, 1}
    shown = subprocess.run(
        ["git", "--git-dir", str(bare), "ls-tree", "-r", "--name-only", "gh-pages"],
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    assert f"runs/{document['run_id']}/results.json" in shown
    cluster.close()


def test_a_job_past_its_deadline_loses_the_unfinished_shard_with_deadline_exceeded(
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:

    emulator = make_emulator(state="installed")
    # shard 0 would sleep far past the Job's 10 s deadline (a bound, not a timing)
    cluster, launch = _launch_two_shards(
        emulator,
        tmp_path,
        monkeypatch,
        {"a.spec": _spec("a", 2), "b.spec": _spec("b", 2)},
        '[[scenario]]\nmatch = "PIPELINES-96-TCa0"\nstatus = "pass"\nsleep_s = 600\n',
        deadline_s=10,
    )
    wait_until(
        lambda: Probe(*job_finished(cluster, NAMESPACE, launch.name)),
        what="the deadline did not end the shards",
        timeout=300,
        poll=0.2,
    )

    code, _out, document = _collect(emulator, launch, tmp_path / "merged", capsys)
    assert code == 1
    summary = document["shards"]["summaries"][0]
    assert (summary["status"], summary["reason"]) == ("lost", "DeadlineExceeded")
    lost = [s for s in document["scenarios"] if s["shard"] == 0]
    assert [s["status"] for s in lost] == ["error", "error"]
    assert all(s["category"] == "harness" and "DeadlineExceeded" in s["message"] for s in lost)
    cluster.close()


def test_a_job_the_controller_has_not_seen_yet_is_not_finished(
    make_emulator: Callable[..., Emulator],
) -> None:
    """A Job just created has no status: the shards' wait says so and goes on (it raised AttributeError)."""
    emulator = make_emulator(state="empty", controllers=False)
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    cluster.core.create_namespace({"metadata": {"name": NAMESPACE}})
    body = {
        "metadata": {"name": "fresh"},
        "spec": {
            "completionMode": "Indexed",
            "completions": 2,
            "parallelism": 2,
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}]}},
        },
    }
    cluster.batch.create_namespaced_job(NAMESPACE, body)
    assert job_finished(cluster, NAMESPACE, "fresh") == (False, "no status yet")
    cluster.close()
