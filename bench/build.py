"""Benchmark: parallel component builds against the critical path and the sequential sum.

Four components whose ko stand-in builds take 1, 2, 3 and 4 s of wall time, mostly waiting
(`cpu_s` 0.05 each), are built from local git upstreams with `build_jobs=4` (the option's default
is the CPU count, 2 here, because real Go builds are CPU-bound). The ideal wall time is the
critical path, 4 s; built one after the other they take the sum, 10 s. Everything real runs:
git init/fetch/checkout per component, the stand-in started as a process per image, the result
parsing. Pushing is off (`push=False`) so no registry is needed.

Run: .venv/bin/python bench/build.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from pytest_streamstress import build
from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.build import BuildOptions, RegistryTarget
from pytest_streamstress.model import (
    BuildStatus,
    BuildSystem,
    ComponentName,
    ComponentRequest,
    ComponentSpec,
    ImageSpec,
)
from pytest_streamstress.testing.standins import install_standins, path_with

DURATIONS = (1.0, 2.0, 3.0, 4.0)
CPU_S = 0.05
GOAL = 1.15


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
    _proc.run(["git", *args], timeout=60, cwd=cwd, env=env, check=True)


def make_component(root: Path, index: int, duration_s: float) -> ComponentSpec:
    name = f"comp{index}"
    work = root / f"{name}-work"
    (work / "cmd" / "controller").mkdir(parents=True)
    (work / "go.mod").write_text(f"module example.com/{name}\n\ngo 1.22\n", encoding="utf-8")
    (work / "cmd" / "controller" / "main.go").write_text("package main\n", encoding="utf-8")
    (work / ".ko-standin.toml").write_text(f"duration_s = {duration_s}\ncpu_s = {CPU_S}\n", encoding="utf-8")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "bench")
    bare = root / f"{name}.git"
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    return ComponentSpec(
        name=ComponentName(name),
        repo=str(bare),
        build=BuildSystem.KO,
        installer_sets=(),
        images=(
            ImageSpec(name=f"{name}-controller", path="./cmd/controller", env_vars=(f"IMAGE_BENCH_{index}",)),
        ),
    )


def timed_build(root: Path, specs: list[ComponentSpec], *, jobs: int, label: str) -> float:
    env = {**os.environ, "PATH": path_with(install_standins(root / "bin", ("ko",)))}
    started = time.perf_counter()
    results = build.build_components(
        [(spec, ComponentRequest(name=spec.name)) for spec in specs],
        options=BuildOptions(jobs=jobs, timeout_s=120, push=False),
        registry=RegistryTarget.cluster("registry.bench.test", token=None),
        work_dir=root / f"work-{label}",
        log_dir=root / f"logs-{label}",
        cache_dir=root / f"cache-{label}",
        env=env,
    )
    wall = time.perf_counter() - started
    failed = [r for r in results if r.status is not BuildStatus.BUILT]
    if failed:
        sys.exit(f"bench build failed: {failed[0].error}")
    return wall


def main() -> int:
    critical, total = max(DURATIONS), sum(DURATIONS)
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        root = Path(tmp)
        specs = [make_component(root, i, d) for i, d in enumerate(DURATIONS, start=1)]
        two = timed_build(root, specs, jobs=2, label="jobs2")
        four = timed_build(root, specs, jobs=4, label="jobs4")
    print(
        f"components: {len(DURATIONS)} with stand-in build times {', '.join(f'{d:g}s' for d in DURATIONS)}"
        f" (cpu {CPU_S:g}s each); cold clones"
    )
    print(
        f"build_jobs=2 (this machine's CPU count): wall {two:.2f}s = {two / critical:.2f}x critical path,"
        f" best possible 5s with two slots"
    )
    print(
        f"build_jobs=4: wall {four:.2f}s; critical path {critical:g}s; sequential sum {total:g}s"
        f" ({four / total:.2f}x of sequential)"
    )
    print(f"build wall time: {four / critical:.2f}x critical path (goal {GOAL}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
