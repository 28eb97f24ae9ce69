"""`--since-last-run` on one emulated cluster over two nights: only what moved is built.

Night one builds pipeline and triggers and pushes both to the emulator's registry; its results.json
becomes the history. Then only pipeline's upstream moves. Night two builds pipeline at the new head
and deploys triggers from night one's images (they are still in the cluster's registry), so the
deploy succeeds with one build.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra.git import Git
from pytest_streamstress.testing.embedded import ENV_KUBECONFIG
from pytest_streamstress.testing.emulator import Emulator
from pytest_streamstress.testing.standins import install_standins
from pytest_streamstress.testing.upstreams import GIT_IDENTITY

pytestmark = pytest.mark.emulator


def night(pytester: pytest.Pytester, results: Path, *extra: str) -> dict[str, Any]:
    result = pytester.runpytest_subprocess(
        "--streamstress",
        "--cluster",
        "emulated",
        "--components",
        "pipeline,triggers",
        f"--results-dir={results}",
        "--fail-on=none",
        "-p",
        "no:cacheprovider",
        *extra,
        "specs/versions.spec",
        timeout=300,
    )
    assert result.ret == 0, result.stdout.str()[-3000:]
    document: dict[str, Any] = json.loads((results / "results.json").read_text(encoding="utf-8"))
    document["_stdout"] = result.stdout.str()
    return document


def components(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in document["components"]}


def first_night_then_pipeline_moves(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> tuple[Path, dict[str, Any], str]:
    """Night one builds both; its results.json becomes the history; pipeline's upstream moves."""
    bin_dir = install_standins(pytester.path / "bin")
    monkeypatch.setenv("PATH", os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]))
    monkeypatch.setenv(ENV_KUBECONFIG, str(emulator.kubeconfig))
    monkeypatch.setenv("KUBECONFIG", str(emulator.kubeconfig))
    results = pytester.path / "results"

    first = night(pytester, results)
    assert {c["status"] for c in first["components"]} == {"built"}
    history = pytester.path / "history" / "runs" / first["run_id"]
    history.mkdir(parents=True)
    shutil.copy(results / "results.json", history / "results.json")

    upstream = results / "emulator" / "upstreams" / "pipeline"
    git = Git(url=str(upstream), clone_dir=upstream, timeout=60, env={**os.environ, **GIT_IDENTITY})
    for main in upstream.rglob("main.go"):  # a real change: ko's image digest follows the source
        main.write_text(main.read_text(encoding="utf-8") + "// change 4\n", encoding="utf-8")
    git.run("commit", "-q", "-am", "pipeline: change 4", what="moving pipeline")
    head = git.run("rev-parse", "HEAD", what="reading the head").stdout.strip()
    return results, first, head


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_the_unmoved_component_is_deployed_from_the_last_runs_images(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    make_emulator: Callable[..., Emulator],
    workers: tuple[str, ...],
) -> None:
    results, first, head = first_night_then_pipeline_moves(
        pytester, monkeypatch, make_emulator(state="installed")
    )

    second = night(pytester, results, "--since-last-run", f"--history={pytester.path / 'history'}", *workers)

    built, before = components(second), components(first)
    assert built["pipeline"]["status"] == "built"
    assert built["pipeline"]["commit"]["sha"] == head
    assert built["triggers"]["status"] == "reused"
    assert built["triggers"]["commit"]["sha"] == before["triggers"]["commit"]["sha"]
    assert [i["ref"] for i in built["triggers"]["images"]] == [i["ref"] for i in before["triggers"]["images"]]
    assert second["deploy"]["status"] == "deployed"
    assert "build: not building triggers: deploying the given images" in second["_stdout"]
    assert "build: 1/1 component(s) built" in second["_stdout"]
    assert "--since-last-run: moved since " in second["_stdout"]
    assert "reusing the images of triggers (unchanged): running" in second["_stdout"]
    # Night one's gauge run directory is gone: the results directory holds the last run.
    assert len(list((results / "gauge").glob("specs__versions-*"))) == 1
    reuse_file = json.loads((results / "since-last-run-images.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in reuse_file["components"]] == ["triggers"]


def test_a_pruned_image_is_built_again_at_the_commit_it_came_from(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, make_emulator: Callable[..., Emulator]
) -> None:
    emulator = make_emulator(state="installed")
    results, first, head = first_night_then_pipeline_moves(pytester, monkeypatch, emulator)
    before = components(first)
    for image in before["triggers"]["images"]:  # the image pruner took last night's triggers images
        repository, _, digest = image["ref"].partition("/")[2].partition("@")
        assert emulator.registry.delete_manifest(repository, digest)

    second = night(pytester, results, "--since-last-run", f"--history={pytester.path / 'history'}")

    built = components(second)
    assert built["triggers"]["status"] == "built"
    assert built["triggers"]["commit"]["sha"] == before["triggers"]["commit"]["sha"]
    assert built["pipeline"]["commit"]["sha"] == head
    assert second["deploy"]["status"] == "deployed"
    assert "build: last run's images of triggers" in second["_stdout"]
    assert "are not in the registry (pruned?)" in second["_stdout"]
