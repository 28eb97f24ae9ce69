"""The in-cluster Job against the emulator: its pod runs as a real local process (issue 8).

The Job's command is a small Python program (below) that waits for a gate file, so a test can see
the Job running, then writes a results directory and prints the results archive with the same
function the real entry point uses. One test runs the real plugin in the Job instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from pytest_streamstress._infra.redact import Redactor, Secret
from pytest_streamstress._infra.waits import Probe, wait_until
from pytest_streamstress.cli import main as cli
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.job.archive import ARCHIVE_BEGIN, ArchiveError, ArchiveFilter, emit_archive
from pytest_streamstress.cluster.job.collect import collect_results
from pytest_streamstress.cluster.job.follow import LogFollower, pod_log_opener, read_log
from pytest_streamstress.cluster.job.launch import JobRunning, launch_job
from pytest_streamstress.cluster.job.manifest import JobRequest
from pytest_streamstress.cluster.job.rbac import CLUSTER_ROLE, SERVICE_ACCOUNT
from pytest_streamstress.cluster.job.state import find_job, list_jobs, require_job, wait_for_pod
from pytest_streamstress.report.publish import publish_run
from pytest_streamstress.testing.emulator import Emulator
from pytest_streamstress.testing.emulator.controllers.jobs import SCRIPT_ANNOTATION

pytestmark = pytest.mark.emulator

NAMESPACE = "openshift-pipelines"
WAIT_TIMEOUT = 60.0
TOKEN = "ghp_" + "JobT0ken" * 5

PROGRAM = """
import json, os, pathlib, sys, time
from pytest_streamstress.cluster.job.archive import emit_archive
from pytest_streamstress.testing.histories import generate_history

print("streamstress job: scenario 1 of 5 running", flush=True)
here = pathlib.Path(__file__).parent  # the test's tmp_path: the gate and the exit code live there
gate = here / "gate"
deadline = time.monotonic() + 60
while not gate.exists() and time.monotonic() < deadline:
    time.sleep(0.02)
print("streamstress job: scenarios finished", flush=True)
results = pathlib.Path("results")
(results / "logs").mkdir(parents=True)
(results / "results.json").write_text(json.dumps(generate_history(1, 5)[0]))
(results / "logs" / "gauge.log").write_text("gauge: 5 scenarios\\n" * 50)
(results / "argv.json").write_text(json.dumps(sys.argv[1:]))
(results / "env.json").write_text(json.dumps({"has_token": bool(os.environ.get("GITHUB_TOKEN"))}))
print("==== streamstress pytest exit code 1 ====", flush=True)
emit_archive(results, sys.stdout)
sys.exit(int((here / "exit").read_text()) if (here / "exit").exists() else 0)
"""


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "job_program.py"
    path.write_text(PROGRAM, encoding="utf-8")
    return path


@pytest.fixture
def installed(make_emulator: Callable[..., Emulator]) -> Emulator:
    return make_emulator(state="installed")


@pytest.fixture
def cluster(installed: Emulator) -> Iterator[Cluster]:
    cluster = Cluster.connect(
        Access(kubeconfig=installed.kubeconfig, request_timeout=10), redactor=Redactor()
    )
    yield cluster
    cluster.close()


def request(program: Path, gate: Path, **overrides: Any) -> JobRequest:
    values: dict[str, Any] = {
        "namespace": NAMESPACE,
        "image": "quay.io/example/streamstress:test",
        "command": (sys.executable, str(program)),
        "plugin_args": (
            "--streamstress",
            "--components=pipeline",
            "--skip-build",
            "--image=pipeline-controller=registry/x@sha256:" + "a" * 64,
        ),
        "env": (("RUN_LABEL", "test"),),
    }
    values.update(overrides)
    return JobRequest(**values)


def wait_for_phase(cluster: Cluster, name: str, phases: Iterable[str]) -> None:
    wanted = set(phases)

    def probe() -> Probe:
        state = require_job(cluster, NAMESPACE, name)
        if state.phase in {"Succeeded", "Failed"} - wanted:
            log = read_log(cluster, NAMESPACE, state.pod) if state.pod else ""
            raise AssertionError(f"Job {name} ended {state.phase}, not {sorted(wanted)}; its log:\n{log}")
        return Probe(done=state.phase in wanted, state=f"{state.phase} pod {state.pod} {state.pod_phase}")

    wait_until(probe, what=f"Job {name} not in {sorted(wanted)}", timeout=WAIT_TIMEOUT, poll=0.05)


def pod_dir(emulator: Emulator, pod: str) -> Path:
    return emulator.workdir / "pods" / NAMESPACE / pod


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True, timeout=60).stdout


# -- the whole loop -------------------------------------------------------------------------------------


def test_launch_then_status_logs_collect_and_publish_walk_the_whole_loop(
    installed: Emulator, cluster: Cluster, program: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    launch = launch_job(cluster, request(program, gate))
    assert launch.message == (
        f"Job launched: {NAMESPACE}/{launch.name}; follow it with:"
        f" streamstress logs -f --namespace {NAMESPACE} {launch.name}"
    )

    running = wait_for_pod(cluster, NAMESPACE, launch.name, timeout=WAIT_TIMEOUT)
    assert (running.phase, running.pod_phase) == ("Running", "Running")

    gate.touch()
    shown: list[str] = []
    shown_filter = ArchiveFilter(shown.append)
    LogFollower(
        opener=pod_log_opener(cluster, NAMESPACE, running.pod),
        write=shown_filter,
        is_finished=lambda: require_job(cluster, NAMESPACE, launch.name).pod_phase == "Succeeded",
    ).run()
    shown_filter.flush()
    text = "".join(shown)
    assert "scenario 1 of 5 running\n" in text
    assert "scenarios finished\n" in text
    assert "[results archive (" in text and ARCHIVE_BEGIN not in text

    wait_for_phase(cluster, launch.name, ["Succeeded"])
    collected = collect_results(cluster, NAMESPACE, launch.name, tmp_path / "collected")
    source = pod_dir(installed, running.pod) / "results"
    assert (tmp_path / "collected" / "results.json").read_bytes() == (source / "results.json").read_bytes()
    assert (tmp_path / "collected" / "logs" / "gauge.log").read_bytes() == (
        source / "logs" / "gauge.log"
    ).read_bytes()
    assert "scenarios finished" in (tmp_path / "collected" / "logs" / f"{running.pod}.log").read_text()
    assert collected.exit_code == 1

    bare = tmp_path / "pages.git"
    git("init", "-q", "--bare", str(bare))
    published = publish_run(
        tmp_path / "collected",
        repo=str(bare),
        branch="gh-pages",
        label="",
        token=None,
        budget=50_000_000,
        work_dir=tmp_path / "publish",
        redactor=Redactor(),
    )
    files = git("--git-dir", str(bare), "ls-tree", "-r", "--name-only", "gh-pages").split()
    assert f"runs/{published.run_id}/results.json" in files


def test_a_second_launch_while_one_runs_is_refused_and_names_the_running_job(
    cluster: Cluster, program: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    first = launch_job(cluster, request(program, gate))
    with pytest.raises(JobRunning) as refused:
        launch_job(cluster, request(program, gate))
    assert f"{NAMESPACE}/{first.name} is still" in str(refused.value)
    assert "streamstress logs -f" in str(refused.value)
    gate.touch()
    wait_for_phase(cluster, first.name, ["Succeeded"])
    second = launch_job(cluster, request(program, gate))
    assert second.name != first.name


def test_the_job_has_the_shape_the_original_used_and_no_secret_on_its_command_line(
    installed: Emulator, cluster: Cluster, program: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    gate.touch()
    launch = launch_job(cluster, request(program, gate, secret_env=(("GITHUB_TOKEN", Secret(TOKEN)),)))
    job = cluster.batch.read_namespaced_job(launch.name, NAMESPACE, _request_timeout=10)
    assert launch.name.startswith("streamstress-") and launch.name.split("-")[1].isdigit()
    assert job.metadata.labels == {"app": "streamstress"}
    assert (job.spec.backoff_limit, job.spec.active_deadline_seconds) == (0, 10800)
    pod_spec = job.spec.template.spec
    assert (pod_spec.restart_policy, pod_spec.service_account_name) == ("Never", SERVICE_ACCOUNT)
    container = pod_spec.containers[0]
    assert "--skip-build" in container.args
    assert TOKEN not in json.dumps(cluster.api_client.sanitize_for_serialization(job))
    token_env = next(e for e in container.env if e.name == "GITHUB_TOKEN")
    assert token_env.value_from.secret_key_ref.name == f"{launch.name}-env"

    wait_for_phase(cluster, launch.name, ["Succeeded"])
    state = require_job(cluster, NAMESPACE, launch.name)
    assert json.loads((pod_dir(installed, state.pod) / "results" / "env.json").read_text()) == {
        "has_token": True
    }
    assert TOKEN not in read_log(cluster, NAMESPACE, state.pod)
    secret = cluster.core.read_namespaced_secret(f"{launch.name}-env", NAMESPACE, _request_timeout=10)
    assert secret.metadata.owner_references[0].name == launch.name


def test_launch_creates_the_service_account_role_and_binding_once(
    cluster: Cluster, program: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    gate.touch()
    first = launch_job(cluster, request(program, gate))
    wait_for_phase(cluster, first.name, ["Succeeded"])
    second = launch_job(cluster, request(program, gate))
    assert set(first.rbac_created) == {
        f"ServiceAccount {SERVICE_ACCOUNT}",
        f"ClusterRole {CLUSTER_ROLE}",
        f"ClusterRoleBinding {CLUSTER_ROLE}-{NAMESPACE}",
    }
    assert second.rbac_created == ()
    binding = cluster.rbac.read_cluster_role_binding(f"{CLUSTER_ROLE}-{NAMESPACE}", _request_timeout=10)
    assert binding.role_ref.name == CLUSTER_ROLE


# -- logs -------------------------------------------------------------------------------------------------


def test_following_the_log_resumes_after_a_dropped_connection_without_repeating_a_line(
    cluster: Cluster, program: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    launch = launch_job(cluster, request(program, gate))
    pod = wait_for_pod(cluster, NAMESPACE, launch.name, timeout=WAIT_TIMEOUT).pod
    real = pod_log_opener(cluster, NAMESPACE, pod)
    opened: list[int] = []

    def cut_first_connection() -> Iterator[bytes]:
        """The first connection breaks after its first chunk; the test opens the gate on the second."""
        opened.append(1)
        if len(opened) == 1:
            for chunk in real():
                yield chunk
                raise urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead")
        gate.touch()
        yield from real()

    shown: list[str] = []
    follower = LogFollower(
        opener=cut_first_connection,
        write=shown.append,
        is_finished=lambda: require_job(cluster, NAMESPACE, launch.name).pod_phase != "Running",
    )
    follower.run()
    assert follower.reconnects >= 1, follower.reconnects
    assert "".join(shown) == read_log(cluster, NAMESPACE, pod)
    assert "".join(shown).count("scenario 1 of 5 running") == 1


def test_logs_command_follows_to_the_end_and_hides_the_archive(
    installed: Emulator, cluster: Cluster, program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gate = tmp_path / "gate"
    gate.touch()
    launch = launch_job(cluster, request(program, gate))
    code = cli.main(["logs", "-f", "--kubeconfig", str(installed.kubeconfig), "--namespace", NAMESPACE])
    out, err = capsys.readouterr()
    assert code == 0
    assert "scenarios finished" in out and ARCHIVE_BEGIN not in out
    assert f"Job {NAMESPACE}/{launch.name} succeeded" in err


# -- collect, status, cancel ---------------------------------------------------------------------------------


def scripted_log_job(cluster: Cluster, program: Path, tmp_path: Path, log_text: str) -> str:
    launch = launch_job(
        cluster,
        request(
            program,
            tmp_path / "gate",
            pod_annotations=((SCRIPT_ANNOTATION, json.dumps({"exit": 0, "log": log_text})),),
        ),
    )
    wait_for_phase(cluster, launch.name, ["Succeeded"])
    return launch.name


def archive_text(results: Path) -> str:
    import io

    out = io.StringIO()
    emit_archive(results, out)
    return out.getvalue()


def test_collect_of_a_truncated_archive_is_an_error_and_writes_nothing(
    cluster: Cluster, program: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "results.json").write_text(json.dumps({"big": "x" * 5000}))
    lines = archive_text(results).splitlines(keepends=True)
    cut = "".join(lines[:-3] + lines[-1:])  # two base64 lines lost, as a cut retrieval would
    name = scripted_log_job(cluster, program, tmp_path, "tests ran\n" + cut)
    with pytest.raises(ArchiveError, match=r"incomplete: got \d+ bytes .* expected"):
        collect_results(cluster, NAMESPACE, name, tmp_path / "collected")
    assert not (tmp_path / "collected").exists()


def test_collect_of_a_log_without_archive_says_the_run_wrote_no_results(
    installed: Emulator, cluster: Cluster, program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = scripted_log_job(cluster, program, tmp_path, "pytest crashed before the end\n")
    code = cli.main(["collect", str(tmp_path / "out"), name, "--kubeconfig", str(installed.kubeconfig)])
    assert code == 1
    assert "no results archive in the pod log" in capsys.readouterr().err


def test_status_reports_running_then_succeeded_with_the_pod_and_its_phase(
    installed: Emulator, cluster: Cluster, program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gate = tmp_path / "gate"
    launch = launch_job(cluster, request(program, gate))
    pod = wait_for_pod(cluster, NAMESPACE, launch.name, timeout=WAIT_TIMEOUT).pod
    assert cli.main(["status", "--kubeconfig", str(installed.kubeconfig)]) == 0
    assert f"{NAMESPACE}/{launch.name}  running  pod {pod} Running" in capsys.readouterr().out
    gate.touch()
    wait_for_phase(cluster, launch.name, ["Succeeded"])
    assert cli.main(["status", "--kubeconfig", str(installed.kubeconfig), launch.name]) == 0
    assert f"{NAMESPACE}/{launch.name}  succeeded  pod {pod} Succeeded" in capsys.readouterr().out


def test_status_of_a_failed_job_exits_1_and_shows_why(
    installed: Emulator, cluster: Cluster, program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gate = tmp_path / "gate"
    gate.touch()
    (tmp_path / "exit").write_text("3")
    launch = launch_job(cluster, request(program, gate))
    wait_for_phase(cluster, launch.name, ["Failed"])
    assert cli.main(["status", "--kubeconfig", str(installed.kubeconfig)]) == 1
    assert "failed" in capsys.readouterr().out


def test_cancel_stops_the_running_job_and_a_new_launch_is_allowed(
    installed: Emulator, cluster: Cluster, program: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    launch = launch_job(cluster, request(program, gate))
    wait_for_pod(cluster, NAMESPACE, launch.name, timeout=WAIT_TIMEOUT)
    assert cli.main(["cancel", "--kubeconfig", str(installed.kubeconfig), launch.name]) == 0

    def gone() -> Probe:
        return Probe(done=find_job(cluster, NAMESPACE, launch.name) is None, state="job still there")

    wait_until(gone, what="cancelled Job not deleted", timeout=WAIT_TIMEOUT, poll=0.05)
    gate.touch()
    assert launch_job(cluster, request(program, gate)).name != ""


def test_status_without_any_job_says_so_and_exits_2(
    installed: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["status", "--kubeconfig", str(installed.kubeconfig)]) == 2
    assert "no Job labelled app=streamstress in namespace openshift-pipelines" in capsys.readouterr().err


# -- streamstress ci ----------------------------------------------------------------------------------------


def test_ci_called_four_times_walks_launched_in_progress_published_and_starts_a_new_run(
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator = make_emulator(state="installed")
    program = tmp_path / "job_program.py"
    program.write_text(PROGRAM, encoding="utf-8")
    gate = tmp_path / "gate"
    bare = tmp_path / "pages.git"
    git("init", "-q", "--bare", str(bare))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    command = f"{sys.executable} {program}"
    argv = [
        "ci",
        "--kubeconfig",
        str(emulator.kubeconfig),
        "--namespace",
        NAMESPACE,
        "--job-image",
        "quay.io/example/streamstress:test",
        "--job-command",
        command,
        "--results",
        str(tmp_path / "runs"),
        "--publish-repo",
        str(bare),
        "--label",
        "nightly",
        "--",
        "--components",
        "pipeline",
    ]
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())

    # 1: nothing there -> launch
    assert cli.main(argv) == 0
    first = summary.read_text()
    assert "## streamstress: Job launched" in first
    [job] = list_jobs(cluster, NAMESPACE)
    assert f"streamstress logs -f --namespace {NAMESPACE} {job.name}" in first
    container = cluster.batch.read_namespaced_job(job.name, NAMESPACE, _request_timeout=10).spec.template.spec
    assert container.containers[0].args == [
        "--streamstress",
        "--components",
        "pipeline",
        "--skip-build",
        "--results-dir=results",
    ]

    # 2: still running (the program waits for the gate) -> in progress, nothing launched
    assert cli.main(argv) == 0
    second = summary.read_text()[len(first) :]
    assert "## streamstress: in progress" in second and job.name in second
    assert len(list_jobs(cluster, NAMESPACE)) == 1

    gate.touch()

    wait_for_phase(cluster, job.name, ["Succeeded"])

    # 3: succeeded -> collect, publish, mark
    assert cli.main(argv) == 0
    third = summary.read_text()[len(first) + len(second) :]
    assert "## streamstress: results published" in third
    assert "| Outcome | Scenarios |" in third
    published = require_job(cluster, NAMESPACE, job.name).published
    assert published
    assert (tmp_path / "runs" / job.name / "results.json").is_file()
    files = git("--git-dir", str(bare), "ls-tree", "-r", "--name-only", "gh-pages").split()
    assert any(f.startswith("runs/") and f.endswith("/results.json") for f in files)

    # 4: the published run is done -> a new run starts
    assert cli.main(argv) == 0
    fourth = summary.read_text()[len(first) + len(second) + len(third) :]
    assert "## streamstress: Job launched" in fourth
    assert "already published" in fourth
    jobs = list_jobs(cluster, NAMESPACE)
    assert len(jobs) == 2 and jobs[0].name != job.name
    out = capsys.readouterr().out
    assert out.count("streamstress ci: launch:") == 2
    cluster.close()


def test_ci_after_a_failed_job_launches_again(
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = make_emulator(state="installed")
    program = tmp_path / "job_program.py"
    program.write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "gate").touch()
    (tmp_path / "exit").write_text("4")
    summary = tmp_path / "summary.md"
    argv = [
        "ci",
        "--kubeconfig",
        str(emulator.kubeconfig),
        "--job-image",
        "img:1",
        "--summary",
        str(summary),
        "--job-command",
        f"{sys.executable} {program}",
        "--results",
        str(tmp_path / "runs"),
    ]
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    assert cli.main(argv) == 0
    [job] = list_jobs(cluster, NAMESPACE)

    wait_for_phase(cluster, job.name, ["Failed"])
    assert cli.main(argv) == 0
    assert f"the last Job {NAMESPACE}/{job.name} failed" in summary.read_text()
    assert len(list_jobs(cluster, NAMESPACE)) == 2
    assert require_job(cluster, NAMESPACE, job.name).published == ""
    cluster.close()
