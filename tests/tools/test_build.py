"""build_components end to end with real git upstreams and the ko stand-in on PATH.

These builds are dry (`BuildOptions(push=False)`, ko `--push=false`), so no registry is needed;
pushing is covered against the emulator's registry. Parallelism is proven by the start/end stamps
the ko stand-in writes to `KO_STANDIN_RECORD`, never by timing (R36).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import pytest

from pytest_streamstress import build
from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.redact import Redactor, Secret
from pytest_streamstress.build import BuildEvent, BuildOptions, RegistryTarget
from pytest_streamstress.model import (
    BuildResult,
    BuildStatus,
    BuildSystem,
    ComponentName,
    ComponentRequest,
    ComponentSpec,
    ImageSpec,
)
from pytest_streamstress.testing.standins import install_standins, path_with

pytestmark = pytest.mark.tools

REGISTRY = RegistryTarget.cluster("registry.example.test", token=Secret("sha256~not-a-real-token-123"))


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "U",
        "GIT_AUTHOR_EMAIL": "u@example.com",
        "GIT_COMMITTER_NAME": "U",
        "GIT_COMMITTER_EMAIL": "u@example.com",
    }
    return _proc.run(["git", *args], timeout=30, cwd=cwd, env=env, check=True).stdout.strip()


def make_component(
    root: Path,
    name: str,
    *,
    images: tuple[str, ...] = ("controller",),
    duration_s: float = 0.0,
    fail: str = "",
    rendezvous: Path | None = None,
    parties: int = 0,
) -> ComponentSpec:
    """A bare upstream repo shaped like a Go module with one `cmd/<image>` per image."""
    work = root / f"{name}-work"
    (work / "cmd").mkdir(parents=True)
    (work / "go.mod").write_text(f"module github.com/example/{name}\n\ngo 1.22\n", encoding="utf-8")
    knobs = f"duration_s = {duration_s}\n"
    if rendezvous is not None:
        knobs += f'rendezvous = "{rendezvous}"\nparties = {parties}\n'
    (work / ".ko-standin.toml").write_text(knobs, encoding="utf-8")
    for image in images:
        (work / "cmd" / image).mkdir()
        (work / "cmd" / image / "main.go").write_text(f"package main // {name} {image}\n", encoding="utf-8")
        if image == fail:
            (work / "cmd" / image / "FAIL_BUILD").write_text(
                "undefined: reconciler.NewThing\n", encoding="utf-8"
            )
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", f"{name}: initial")
    bare = root / f"{name}.git"
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    return ComponentSpec(
        name=ComponentName(name),
        repo=str(bare),
        build=BuildSystem.KO,
        installer_sets=(),
        images=tuple(
            ImageSpec(name=f"{name}-{i}", path=f"./cmd/{i}", env_vars=(f"IMAGE_{name.upper()}_{i.upper()}",))
            for i in images
        ),
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    bin_dir = install_standins(tmp_path / "bin", ("ko", "docker", "podman"))
    return {
        **os.environ,
        "PATH": path_with(bin_dir),
        "KO_STANDIN_RECORD": str(tmp_path / "ko-record.jsonl"),
        "HOME": str(tmp_path / "home"),
    }


def records(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "ko-record.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run_build(
    tmp_path: Path,
    env: dict[str, str],
    specs: list[ComponentSpec],
    *,
    jobs: int = 4,
    shared_dir: Path | None = None,
    worker_id: str | None = None,
    events: list[BuildEvent] | None = None,
    redactor: Redactor | None = None,
    requests: list[ComponentRequest] | None = None,
    platform: str = "",
) -> tuple[BuildResult, ...]:
    selected = [
        (spec, (requests[i] if requests else ComponentRequest(name=spec.name)))
        for i, spec in enumerate(specs)
    ]
    tag = worker_id or "solo"
    return build.build_components(
        selected,
        options=BuildOptions(jobs=jobs, timeout_s=120, push=False, platform=platform),
        registry=REGISTRY,
        work_dir=tmp_path / f"work-{tag}",
        log_dir=tmp_path / f"logs-{tag}",
        cache_dir=tmp_path / f"cache-{tag}",
        env=env,
        redactor=Redactor() if redactor is None else redactor,
        on_event=None if events is None else events.append,
        shared_dir=shared_dir,
        worker_id=worker_id,
    )


def by_component(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(row["repo"]).split("/")[-1].split("-")[0]: row for row in rows}


def test_two_components_build_at_the_same_time(tmp_path: Path, env: dict[str, str]) -> None:
    # Each build waits at a rendezvous for the other: with jobs=2 both arrive; serial builds would not.
    meet = tmp_path / "meet"
    specs = [make_component(tmp_path, n, rendezvous=meet, parties=2) for n in ("alpha", "beta")]
    results = run_build(tmp_path, env, specs, jobs=2)
    assert [r.status for r in results] == [BuildStatus.BUILT, BuildStatus.BUILT]
    stamps = by_component(records(tmp_path))
    alpha, beta = stamps["alpha"], stamps["beta"]
    assert alpha["start"] < beta["end"] and beta["start"] < alpha["end"]  # type: ignore[operator]


def test_build_jobs_one_builds_one_component_at_a_time(tmp_path: Path, env: dict[str, str]) -> None:
    specs = [make_component(tmp_path, n, duration_s=0.2) for n in ("alpha", "beta")]
    run_build(tmp_path, env, specs, jobs=1)
    first, second = sorted(records(tmp_path), key=lambda r: r["start"])  # type: ignore[arg-type, return-value]
    assert first["end"] <= second["start"]  # type: ignore[operator]


def test_built_refs_are_in_cluster_pull_refs_with_the_digest_ko_printed(
    tmp_path: Path, env: dict[str, str]
) -> None:
    (result,) = run_build(
        tmp_path, env, [make_component(tmp_path, "alpha", images=("controller", "webhook"))]
    )
    refs = {i.name: i.ref for i in result.images}
    assert set(refs) == {"alpha-controller", "alpha-webhook"}
    assert refs["alpha-controller"].startswith(
        "image-registry.openshift-image-registry.svc:5000/tekton-upstream/alpha-controller@sha256:"
    )
    log_text = result.log_path.read_text(encoding="utf-8") if result.log_path else ""
    assert refs["alpha-controller"].split("@")[1] in log_text
    assert "KO_DOCKER_REPO" not in log_text and "--bare" in log_text


def test_platform_option_builds_although_the_shell_sets_goos_and_goarch(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Real ko refuses --platform next to GOOS/GOARCH (the stand-in too): the build clears them."""
    env = {**env, "GOOS": "darwin", "GOARCH": "arm64"}
    (result,) = run_build(tmp_path, env, [make_component(tmp_path, "alpha")], platform="linux/s390x")
    assert result.status is BuildStatus.BUILT, result.error
    log_text = result.log_path.read_text(encoding="utf-8") if result.log_path else ""
    assert "for linux/s390x" in log_text


def test_each_image_is_pushed_under_its_own_repository(tmp_path: Path, env: dict[str, str]) -> None:
    run_build(tmp_path, env, [make_component(tmp_path, "alpha", images=("controller", "webhook"))])
    repos = sorted(str(r["repo"]) for r in records(tmp_path))
    assert repos == [
        "registry.example.test/tekton-upstream/alpha-controller",
        "registry.example.test/tekton-upstream/alpha-webhook",
    ]


def test_same_tree_gives_the_same_digest_on_a_rebuild(tmp_path: Path, env: dict[str, str]) -> None:
    spec = make_component(tmp_path, "alpha")
    (first,) = run_build(tmp_path, env, [spec])
    (second,) = run_build(tmp_path, env, [spec])
    assert first.images == second.images
    assert first.source == second.source


def test_pull_request_build_records_the_pull_request_commit(tmp_path: Path, env: dict[str, str]) -> None:
    spec = make_component(tmp_path, "alpha")
    work = tmp_path / "alpha-work"
    (work / "cmd" / "controller" / "main.go").write_text("package main // changed by PR\n", encoding="utf-8")
    git(work, "commit", "-q", "-am", "PR change")
    pr_sha = git(work, "rev-parse", "HEAD")
    git(work, "push", "-q", spec.repo, "HEAD:refs/pull/7/head")
    (main,) = run_build(tmp_path, env, [spec])
    (pr,) = run_build(tmp_path, env, [spec], requests=[ComponentRequest(name=spec.name, pull_request=7)])
    assert pr.source is not None and pr.source.sha == pr_sha and pr.source.subject == "PR change"
    assert pr.images[0].ref != main.images[0].ref


def test_one_failing_component_does_not_stop_the_others(tmp_path: Path, env: dict[str, str]) -> None:
    broken = make_component(tmp_path, "alpha", images=("controller", "webhook"), fail="controller")
    fine = make_component(tmp_path, "beta")
    events: list[BuildEvent] = []
    failed, built = run_build(tmp_path, env, [broken, fine], events=events)
    assert built.status is BuildStatus.BUILT and len(built.images) == 1
    assert failed.status is BuildStatus.FAILED and failed.images == ()
    assert "exit code 1" in failed.error
    assert "main.go:12:2: undefined: reconciler.NewThing" in failed.error
    assert failed.log_path is not None and str(failed.log_path) in failed.error
    assert failed.source is not None
    assert {(e.kind, e.component) for e in events} >= {
        ("start", "alpha"),
        ("fail", "alpha"),
        ("finish", "beta"),
    }


def test_failure_error_quotes_at_most_the_last_50_log_lines(tmp_path: Path, env: dict[str, str]) -> None:
    broken = make_component(tmp_path, "alpha", fail="controller")
    (failed,) = run_build(tmp_path, env, [broken])
    tail = failed.error.split("---\n", 1)[1]
    assert "--- last" in failed.error and len(tail.splitlines()) <= 50


def test_missing_ko_is_a_clear_message_per_component(tmp_path: Path, env: dict[str, str]) -> None:
    bin_dir = install_standins(tmp_path / "bin-no-ko", ("docker",))
    no_ko = {**env, "PATH": os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])}
    (result,) = run_build(tmp_path, no_ko, [make_component(tmp_path, "alpha")])
    assert result.status is BuildStatus.FAILED
    assert "cannot run 'ko': not found on PATH" in result.error
    assert "go install github.com/google/ko" in result.error


def test_two_workers_sharing_a_dir_build_each_component_once(tmp_path: Path, env: dict[str, str]) -> None:
    meet = tmp_path / "meet"
    specs = [make_component(tmp_path, n, rendezvous=meet, parties=2) for n in ("alpha", "beta")]
    shared = tmp_path / "shared"
    outcomes: dict[str, tuple[BuildResult, ...]] = {}

    def worker(worker_id: str) -> None:
        outcomes[worker_id] = run_build(tmp_path, env, specs, jobs=1, shared_dir=shared, worker_id=worker_id)

    threads = [threading.Thread(target=worker, args=(w,)) for w in ("gw0", "gw1")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    rows = records(tmp_path)
    assert sorted(str(r["repo"]).rsplit("/", 1)[1] for r in rows) == ["alpha-controller", "beta-controller"]
    stamps = by_component(rows)
    assert stamps["alpha"]["start"] < stamps["beta"]["end"]  # type: ignore[operator]
    assert stamps["beta"]["start"] < stamps["alpha"]["end"]  # type: ignore[operator]
    assert {Path(str(r["cwd"])).parent.name for r in rows} == {"cache-gw0", "cache-gw1"}
    assert outcomes["gw0"] == outcomes["gw1"]
    assert all(r.status is BuildStatus.BUILT for r in outcomes["gw0"])


def test_a_worker_reuses_a_result_already_in_the_shared_dir(tmp_path: Path, env: dict[str, str]) -> None:
    specs = [make_component(tmp_path, "alpha")]
    shared = tmp_path / "shared"
    first = run_build(tmp_path, env, specs, shared_dir=shared, worker_id="gw0")
    events: list[BuildEvent] = []
    second = run_build(tmp_path, env, specs, shared_dir=shared, worker_id="gw1", events=events)
    assert second == first
    assert len(records(tmp_path)) == 1
    assert [e.kind for e in events] == ["shared"]


def test_registry_token_never_reaches_the_log_or_the_result(tmp_path: Path, env: dict[str, str]) -> None:
    token = "sha256~not-a-real-token-123"
    spec = make_component(tmp_path, "alpha")
    leaky = ComponentSpec(
        name=spec.name,
        repo=str(tmp_path / f"gone-{token}.git"),
        build=spec.build,
        images=spec.images,
        installer_sets=(),
    )
    (result,) = run_build(tmp_path, env, [leaky], redactor=Redactor())
    assert result.status is BuildStatus.FAILED and "gone-***.git" in result.error
    assert result.log_path is not None and token not in result.log_path.read_text(encoding="utf-8")
    assert token not in json.dumps(build.result_to_json(result))


def test_auth_config_is_private_and_removed_after_the_build(tmp_path: Path) -> None:
    from pytest_streamstress.build import registry as registry_module

    with registry_module.auth_environment(REGISTRY, base_env={"HOME": str(tmp_path)}) as access:
        directory = Path(access.env["DOCKER_CONFIG"])
        mode = directory.stat().st_mode & 0o777
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    assert mode == 0o700
    assert set(config["auths"]) == {"registry.example.test"}
    assert not directory.exists()


WORKER_SCRIPT = """
import json, os, sys
from pathlib import Path
from pytest_streamstress import build
from pytest_streamstress.build import BuildOptions, RegistryTarget
from pytest_streamstress.model import BuildSystem, ComponentName, ComponentRequest, ComponentSpec, ImageSpec

worker, root, *repos = sys.argv[1:]
root = Path(root)
specs = [
    ComponentSpec(name=ComponentName(Path(repo).stem), repo=repo, build=BuildSystem.KO, installer_sets=(),
                  images=(ImageSpec(name=Path(repo).stem + "-controller", path="./cmd/controller",
                                    env_vars=("IMAGE_X_" + Path(repo).stem.upper(),)),))
    for repo in repos
]
results = build.build_components(
    [(spec, ComponentRequest(name=spec.name)) for spec in specs],
    options=BuildOptions(jobs=1, timeout_s=120, push=False),
    registry=RegistryTarget.cluster("registry.example.test", token=None),
    work_dir=root / f"work-{worker}", log_dir=root / "logs", cache_dir=root / f"cache-{worker}",
    shared_dir=root / "shared", worker_id=worker,
)
sys.stdout.write(json.dumps([build.result_to_json(r) for r in results]))
"""


def test_two_worker_processes_share_the_builds_through_file_locks(
    tmp_path: Path, env: dict[str, str]
) -> None:
    meet = tmp_path / "meet"
    specs = [make_component(tmp_path, n, rendezvous=meet, parties=2) for n in ("alpha", "beta")]
    script = tmp_path / "worker.py"
    script.write_text(WORKER_SCRIPT, encoding="utf-8")
    argv = [sys.executable, str(script)]
    repos = [spec.repo for spec in specs]
    workers = [_proc.spawn([*argv, w, str(tmp_path), *repos], env=env) for w in ("gw0", "gw1")]
    outputs = [w.wait(timeout=120) for w in workers]
    assert all(o.ok for o in outputs), [o.tail() for o in outputs]
    rows = records(tmp_path)
    assert sorted(str(r["repo"]).rsplit("/", 1)[1] for r in rows) == ["alpha-controller", "beta-controller"]
    assert {Path(str(r["cwd"])).parent.name for r in rows} == {"cache-gw0", "cache-gw1"}
    stamps = by_component(rows)
    assert stamps["alpha"]["start"] < stamps["beta"]["end"]  # type: ignore[operator]
    assert stamps["beta"]["start"] < stamps["alpha"]["end"]  # type: ignore[operator]
    assert json.loads(outputs[0].stdout) == json.loads(outputs[1].stdout)
