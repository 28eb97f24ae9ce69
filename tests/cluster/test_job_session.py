"""`pytest --streamstress --in-cluster` launches a Job whose pod runs the real plugin (issue 8).

The emulator runs the Job's pod as a local process: here that process is `python -m
pytest_streamstress.cluster.job results -- --streamstress --skip-build ...`, i.e. this plugin on
the bundled demo suite with the gauge stand-in, exactly as the image's entry point would.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress._infra.waits import Probe, wait_until
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.job.collect import collect_results
from pytest_streamstress.cluster.job.follow import read_log
from pytest_streamstress.cluster.job.image import MOVING_IMAGE, RECORD
from pytest_streamstress.cluster.job.state import list_jobs, require_job
from pytest_streamstress.testing.embedded import DEMO_SUITE
from pytest_streamstress.testing.emulator import Emulator
from pytest_streamstress.testing.standins import install_standins, path_with

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

NAMESPACE = "openshift-pipelines"


def test_in_cluster_session_launches_a_job_that_runs_the_plugin_and_its_results_can_be_collected(
    make_emulator: Callable[..., Emulator],
    pytester: pytest.Pytester,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = make_emulator(state="installed")
    bin_dir = install_standins(tmp_path / "bin")
    # The pod inherits PATH: `python` must be this venv's (the image's python in a real cluster).
    monkeypatch.setenv(
        "PATH", path_with(bin_dir, os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    )
    monkeypatch.setenv("KUBECONFIG", str(emulator.kubeconfig))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)

    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--streamstress",
        "--in-cluster",
        "--job-image=quay.io/example/streamstress:1",
        "--skip-build",
        "--skip-deploy",
        "--no-auto-setup",
        f"--release-tests-dir={DEMO_SUITE}",
        "--gauge-tags=!slow",
    )
    result.stdout.fnmatch_lines(["*Job launched: openshift-pipelines/streamstress-*; follow it with:*"])
    assert result.ret == 0

    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    [job] = list_jobs(cluster, NAMESPACE)
    spec = cluster.batch.read_namespaced_job(job.name, NAMESPACE, _request_timeout=10).spec.template.spec
    args = spec.containers[0].args
    assert args[:2] == ["results", "--"]
    assert {
        "--skip-build",
        "--skip-deploy",
        "--no-auto-setup",
        f"--release-tests-dir={DEMO_SUITE}",
        "--gauge-tags=!slow",
        "--results-dir=results",
    } <= set(args)
    assert not any(a.startswith(("--in-cluster", "--job-image", "--kubeconfig")) for a in args)

    def finished() -> Probe:
        state = require_job(cluster, NAMESPACE, job.name)
        return Probe(done=state.phase in ("Succeeded", "Failed"), state=f"{state.phase} {state.pod_phase}")

    wait_until(finished, what="the Job's pytest run did not finish", timeout=120, poll=0.1)
    state = require_job(cluster, NAMESPACE, job.name)
    assert state.phase == "Succeeded", read_log(cluster, NAMESPACE, state.pod)

    collected = collect_results(cluster, NAMESPACE, job.name, tmp_path / "collected")
    document = json.loads((tmp_path / "collected" / "results.json").read_text())
    assert len(document["scenarios"]) == document["counts"]["total"] > 0
    assert document["status"] in ("passed", "failed"), document["status"]
    assert collected.exit_code in (0, 1)
    assert "results.json" in collected.files
    cluster.close()


def embedded_job_session(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> pytest.RunResult:
    """`--in-cluster` on the embedded emulator, with nothing built or deployed: the Job runs the demo."""
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    return pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--streamstress",
        "--cluster",
        "emulated",
        "--in-cluster",
        "--skip-build",
        "--skip-deploy",
        "--no-auto-setup",
        *extra,
    )


def test_in_cluster_on_the_embedded_emulator_waits_for_its_job_and_collects_the_results(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = embedded_job_session(pytester, monkeypatch)
    result.stdout.fnmatch_lines(
        [
            "*Job launched: openshift-pipelines/streamstress-*",
            "*job: streamstress job: pytest --streamstress *--skip-build*",
            "*emulated Job finished; * files collected (checksum verified) to *in-cluster*streamstress-*",
        ]
    )
    [collected] = (pytester.path / "results" / "in-cluster").iterdir()
    document = json.loads((collected / "results.json").read_text())
    assert document["counts"]["total"] == len(document["scenarios"]) > 0
    assert document["emulated"] is True
    # The Job's run is the session's run: no "0 scenarios, passed" results.json of the launcher's own.
    assert json.loads((pytester.path / "results" / "results.json").read_text()) == document
    assert result.ret == document["exit_code"] == 1


def test_ci_with_build_launches_through_the_plugin_then_publishes_the_real_results(
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import subprocess

    from pytest_streamstress.cli import main as cli

    emulator = make_emulator(state="installed")
    bin_dir = install_standins(tmp_path / "bin")
    monkeypatch.setenv(
        "PATH", path_with(bin_dir, os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    )
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
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
        "--summary",
        str(tmp_path / "s.md"),
        "--",
        "--skip-build",
        "--skip-deploy",
        "--no-auto-setup",
        f"--release-tests-dir={DEMO_SUITE}",
    ]

    assert cli.main(argv) == 0
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    [job] = list_jobs(cluster, NAMESPACE)

    def finished() -> Probe:
        state = require_job(cluster, NAMESPACE, job.name)
        return Probe(done=state.phase in ("Succeeded", "Failed"), state=state.phase)

    wait_until(finished, what="the Job's pytest run did not finish", timeout=120, poll=0.1)
    assert cli.main(argv) == 0
    assert "## streamstress: results published" in (tmp_path / "s.md").read_text()
    assert require_job(cluster, NAMESPACE, job.name).published
    document = json.loads((tmp_path / "runs" / job.name / "results.json").read_text())
    assert document["counts"]["total"] > 0
    assert "streamstress ci: collect:" in capsys.readouterr().out
    cluster.close()


def test_in_cluster_without_job_image_runs_the_moving_main_image_and_says_so(
    make_emulator: Callable[..., Emulator], pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source checkout records no release digest (issue 23 part 5): the Job gets `:main`, said once."""
    if RECORD.exists():
        pytest.skip(f"this installation records a release image in {RECORD}")
    emulator = make_emulator(state="installed")
    monkeypatch.setenv("KUBECONFIG", str(emulator.kubeconfig))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)

    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--streamstress",
        "--in-cluster",
        "--skip-build",
        "--skip-deploy",
        "--no-auto-setup",
        f"--release-tests-dir={DEMO_SUITE}",
    )  # the pod (a local process here) is not waited for: the emulator kills it when it stops

    result.stdout.fnmatch_lines(
        [
            f"*job image: {MOVING_IMAGE} (this installation records no release digest; :main moves*",
            "*Job launched: openshift-pipelines/streamstress-*",
        ]
    )
    assert result.ret == 0
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    [job] = list_jobs(cluster, NAMESPACE)
    spec = cluster.batch.read_namespaced_job(job.name, NAMESPACE, _request_timeout=10).spec.template.spec
    assert spec.containers[0].image == MOVING_IMAGE
    cluster.close()


def test_ci_without_job_image_launches_the_moving_main_image_and_says_so(
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pytest_streamstress.cli import main as cli

    if RECORD.exists():
        pytest.skip(f"this installation records a release image in {RECORD}")
    emulator = make_emulator(state="installed")
    monkeypatch.delenv("STREAMSTRESS_JOB_IMAGE", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    argv = ["ci", "--kubeconfig", str(emulator.kubeconfig), "--job-command", "true"]

    assert cli.main([*argv, "--summary", str(tmp_path / "s.md")]) == 0

    out = capsys.readouterr().out
    assert f"job image: {MOVING_IMAGE} (" in out
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    [job] = list_jobs(cluster, NAMESPACE)
    spec = cluster.batch.read_namespaced_job(job.name, NAMESPACE, _request_timeout=10).spec.template.spec
    assert spec.containers[0].image == MOVING_IMAGE
    cluster.close()


def test_the_job_runs_only_what_the_session_was_asked_to_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pod's pytest got the plugin's options and not pytest's own: `-k TC02` ran all 7 scenarios."""
    result = embedded_job_session(pytester, monkeypatch, "--fail-on=none", "-k", "DEMO-03-TC02")
    result.stdout.fnmatch_lines(["*job: streamstress job: pytest --streamstress *-k DEMO-03-TC02"])
    document = json.loads((pytester.path / "results" / "results.json").read_text())
    assert [s["id"].rsplit("::")[-1] for s in document["scenarios"]] == ["DEMO-03-TC02"]
    assert document["settings"]["selection"] == "-k DEMO-03-TC02"
