"""`--clusters FILE` on emulated clusters (issue 23 part 4): build once, one named run per cluster.

Each session here is a real `pytest --streamstress` process (tests/cluster/conftest.py's
SessionRunner); the emulators are the fleet's own (`emulated = true`) or started by the test, and
every member's session is a process of its own talking HTTP to its emulator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_streamstress.history.store import history_documents, load_index
from pytest_streamstress.report.results_json import load_schema
from pytest_streamstress.testing.embedded import DEMO_SUITE
from tests.cluster.conftest import SessionRunner

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _summary(results: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((results / "clusters.json").read_text(encoding="utf-8"))
    return data


def _offline_fleet(fleet: Path) -> list[str]:
    """A `--clusters` session over the demo suite with nothing built or deployed."""
    return [
        f"--clusters={fleet}",
        "--skip-build",
        "--skip-deploy",
        "--fail-on=none",
        f"--release-tests-dir={DEMO_SUITE}",
    ]


def _run(results: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (results / "clusters" / name / "results.json").read_text(encoding="utf-8")
    )
    return data


def test_two_emulated_clusters_build_once_and_each_records_its_own_named_run(
    session_runner: SessionRunner, tmp_path: Path
) -> None:
    fleet = _write(
        tmp_path / "fleet.toml",
        '[[cluster]]\nname = "ocp-a"\nemulated = true\n\n'
        '[[cluster]]\nname = "ocp-b"\nemulated = true\nshards = 2\n',
    )
    ko_record = tmp_path / "ko.jsonl"
    history = tmp_path / "history"
    done = session_runner.run(
        [f"--clusters={fleet}", "--components=pipeline", "--fail-on=none", f"--history={history}"],
        env=session_runner.env(KO_STANDIN_RECORD=str(ko_record)),
    )
    results = done.results_dir
    assert done.returncode == 0, done.output[-3000:]

    # Built once: every import path went through ko once, for the first cluster's registry.
    builds = [json.loads(line) for line in ko_record.read_text().splitlines()]
    paths = [p for entry in builds for p in entry["import_paths"]]
    assert len(paths) == len(set(paths)) > 0
    assert len({entry["repo"].split("/", 1)[0] for entry in builds}) == 1  # one registry: the first cluster's
    assert "[ocp-b] copied 8 images to " in done.output

    summary = _summary(results)
    assert [(c["name"], c["status"], c["exit_code"]) for c in summary["clusters"]] == [
        ("ocp-a", "passed", 0),
        ("ocp-b", "passed", 0),
    ]
    runs = {name: _run(results, name) for name in ("ocp-a", "ocp-b")}
    for name, document in runs.items():
        jsonschema.validate(document, load_schema())
        assert document["cluster"]["name"] == name
        assert document["cluster"]["openshift_version"] and document["cluster"]["operator_version"]
        assert document["emulated"] is True
        assert len(document["scenarios"]) == 7
        [entry] = [c for c in summary["clusters"] if c["name"] == name]
        assert entry["run_id"] == document["run_id"]
        assert entry["openshift_version"] == document["cluster"]["openshift_version"]
        assert entry["operator_version"] == document["cluster"]["operator_version"]
    # The same bytes on both clusters: the same digests, from the same commit.
    images = {name: [i["ref"] for c in d["components"] for i in c["images"]] for name, d in runs.items()}
    assert images["ocp-a"] == images["ocp-b"] != []
    commits = {name: [c["commit"]["sha"] for c in d["components"]] for name, d in runs.items()}
    assert commits["ocp-a"] == commits["ocp-b"]
    # Built by this run (once, by the fleet), so each cluster's run says built, not reused.
    assert {name: [c["status"] for c in d["components"]] for name, d in runs.items()} == {
        "ocp-a": ["built"],
        "ocp-b": ["built"],
    }
    # ocp-b ran as an Indexed Job of 2 pods, merged into its run.
    assert {s["shard"] for s in runs["ocp-b"]["scenarios"]} == {0, 1}
    assert "shard" not in runs["ocp-a"]["scenarios"][0]

    # One run per cluster in the history, each read against its own cluster's runs only.
    index = load_index(history)
    assert len(index.run_ids()) == 2
    assert [d["run_id"] for d in history_documents(history, cluster="ocp-a")] == [runs["ocp-a"]["run_id"]]
    assert (results / "site" / "index.html").is_file()
    assert "streamstress: 2 clusters" in done.output


def test_a_cluster_that_cannot_be_reached_does_not_stop_the_others(
    session_runner: SessionRunner, tmp_path: Path
) -> None:
    dead = _write(
        tmp_path / "dead.kubeconfig",
        "apiVersion: v1\nkind: Config\ncurrent-context: dead\n"
        "clusters: [{name: dead, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: dead, user: {token: not-a-secret}}]\n"
        "contexts: [{name: dead, context: {cluster: dead, user: dead}}]\n",
    )
    fleet = _write(
        tmp_path / "fleet.toml",
        '[[cluster]]\nname = "ocp-a"\nemulated = true\n\n'
        f'[[cluster]]\nname = "gone"\nkubeconfig = "{dead.name}"\n',
    )
    done = session_runner.run(
        [
            *_offline_fleet(fleet),
            "--api-timeout=5",
        ]
    )
    results = done.results_dir
    assert done.returncode == 1, done.output[-3000:]
    summary = _summary(results)
    by_name = {c["name"]: c for c in summary["clusters"]}
    assert by_name["ocp-a"]["status"] == "passed" and by_name["ocp-a"]["exit_code"] == 0
    assert by_name["gone"]["status"] == "error" and by_name["gone"]["exit_code"] == 1
    assert by_name["gone"]["message"].startswith("not started: ")
    assert "127.0.0.1:9" in by_name["gone"]["message"]
    assert summary["exit_code"] == 1
    assert len(_run(results, "ocp-a")["scenarios"]) == 7
    assert not (results / "clusters" / "gone" / "results.json").exists()
    assert "cluster gone: error, exit 1: not started: " in done.output


def test_sigterm_reaches_every_clusters_session_and_each_writes_its_interrupted_run(
    session_runner: SessionRunner, tmp_path: Path
) -> None:
    fleet = _write(
        tmp_path / "fleet.toml",
        '[[cluster]]\nname = "ocp-a"\nemulated = true\n\n[[cluster]]\nname = "ocp-b"\nemulated = true\n',
    )
    started: set[str] = set()

    def both_running(line: str) -> bool:
        for name in ("ocp-a", "ocp-b"):
            if f"[{name}] deploy: deployed" in line:
                started.add(name)
        return started == {"ocp-a", "ocp-b"}

    slow = _write(tmp_path / "slow.toml", '[[scenario]]\nmatch = "."\nstatus = "pass"\nsleep_s = 60\n')
    done = session_runner.run(
        [f"--clusters={fleet}", "--components=pipeline", "--fail-on=none", "--restore"],
        signals=[(both_running, "SIGTERM")],
        env=session_runner.env(GAUGE_STANDIN_OUTCOMES=str(slow)),
    )
    assert done.sent == ["SIGTERM"], done.output[-3000:]
    assert done.returncode == int(pytest.ExitCode.INTERRUPTED), done.output[-3000:]
    summary = _summary(done.results_dir)
    assert {c["name"]: c["status"] for c in summary["clusters"]} == {
        "ocp-a": "interrupted",
        "ocp-b": "interrupted",
    }
    assert [c["exit_code"] for c in summary["clusters"]] == [2, 2]  # each ended on its own, none was killed
    for name in ("ocp-a", "ocp-b"):
        run = _run(done.results_dir, name)
        assert run["status"] == "interrupted" and run["signal"] == "SIGTERM"
    assert "restored" in done.output
    assert session_runner.stray_processes() == []


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--kubeconfig=/dev/null"], "--kubeconfig with --clusters"),
        (["--shards=2", "--in-cluster"], "--shards with --clusters"),
        (["-n", "2"], "-n with --clusters"),
    ],
)
def test_contradictions_with_clusters_are_usage_errors_before_anything_runs(
    session_runner: SessionRunner, tmp_path: Path, extra: list[str], says: str
) -> None:
    fleet = _write(tmp_path / "fleet.toml", '[[cluster]]\nname = "ocp-a"\nemulated = true\n')
    done = session_runner.run([f"--clusters={fleet}", *extra])
    assert done.returncode == int(pytest.ExitCode.USAGE_ERROR), done.output[-2000:]
    assert says in done.output
    assert not (done.results_dir / "clusters.json").exists()


def test_publish_puts_every_clusters_run_on_the_pages_branch_once_at_the_end(
    session_runner: SessionRunner, tmp_path: Path
) -> None:
    import subprocess

    remote = tmp_path / "pages.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True, timeout=30)
    fleet = _write(
        tmp_path / "fleet.toml",
        '[[cluster]]\nname = "ocp-a"\nemulated = true\n\n[[cluster]]\nname = "ocp-b"\nemulated = true\n',
    )
    identity = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid"}
    identity |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t.invalid"}
    done = session_runner.run(
        [
            *_offline_fleet(fleet),
            "--publish",
            f"--publish-repo={remote}",
        ],
        env=session_runner.env(**identity),
    )
    assert done.returncode == 0, done.output[-3000:]
    listing = subprocess.run(
        ["git", "--git-dir", str(remote), "ls-tree", "-r", "--name-only", "gh-pages"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    run_ids = {_run(done.results_dir, name)["run_id"] for name in ("ocp-a", "ocp-b")}
    assert {path.split("/")[1] for path in listing if path.startswith("runs/")} == run_ids
    assert done.output.count("published: ") == 2
    # The members did not publish themselves: --publish is the fleet's, once per run.
    for name in ("ocp-a", "ocp-b"):
        log = (done.results_dir / "clusters" / name / "session.log").read_text()
        assert "published:" not in log


def test_each_clusters_session_runs_the_selection_it_was_given(
    session_runner: SessionRunner, tmp_path: Path
) -> None:
    """-k, -m, --deselect and --maxfail reach every cluster's session, as they reach a Job's pods."""
    fleet = _write(tmp_path / "fleet.toml", '[[cluster]]\nname = "ocp-a"\nemulated = true\n')
    done = session_runner.run(
        [
            *_offline_fleet(fleet),
            "-k",
            "DEMO-03",
            "--deselect=specs/pipelines/run.spec::Run sample pipeline: DEMO-03-TC01",
        ]
    )
    assert done.returncode == 0, done.output[-3000:]
    run = _run(done.results_dir, "ocp-a")
    assert sorted(s["id"].rsplit("::")[-1] for s in run["scenarios"]) == [
        "DEMO-03-TC02",
        "DEMO-03-TC03",
        "DEMO-03-TC04",
    ]
    assert run["settings"]["selection"] == (
        "-k DEMO-03 --deselect 'specs/pipelines/run.spec::Run sample pipeline: DEMO-03-TC01'"
    )
