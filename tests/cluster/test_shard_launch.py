"""`--shards N --in-cluster`: one Indexed Job; pod i runs shard i of the printed plan (issue 23)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.job.state import list_jobs
from pytest_streamstress.profile.shards import PLAN_ENV, ShardPlan
from pytest_streamstress.testing.embedded import DEMO_SUITE
from pytest_streamstress.testing.emulator import Emulator
from pytest_streamstress.testing.standins import install_standins, path_with

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

NAMESPACE = "openshift-pipelines"


def test_shards_launch_one_indexed_job_whose_pods_run_their_index_of_the_printed_plan(
    make_emulator: Callable[..., Emulator],
    pytester: pytest.Pytester,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = make_emulator(state="installed")
    bin_dir = install_standins(tmp_path / "bin")
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
        "--shards=3",
        "--job-image=quay.io/example/streamstress:1",
        "--skip-build",
        "--skip-deploy",
        "--no-auto-setup",
        f"--release-tests-dir={DEMO_SUITE}",
    )

    result.stdout.fnmatch_lines(
        [
            "*Job launched: openshift-pipelines/streamstress-*",
            "*shard plan: 3 shards balanced by scenario counts (no history)",
            "*shard 0/3: * specs, * scenarios, expected time unknown: specs/*",
            "*shard 1/3: *",
            "*shard 2/3: *",
        ]
    )
    assert result.stdout.str().count("shard plan:") == 1  # once, with the launch
    assert result.ret == 0
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    [job] = list_jobs(cluster, NAMESPACE)
    spec = cluster.batch.read_namespaced_job(job.name, NAMESPACE, _request_timeout=10).spec
    assert (spec.completion_mode, spec.completions, spec.parallelism) == ("Indexed", 3, 3)
    args = spec.template.spec.containers[0].args
    assert "--shard=$(JOB_COMPLETION_INDEX)/3" in args and "--skip-deploy" in args
    assert not any(a.startswith("--shards") for a in args)
    config = cluster.core.read_namespaced_config_map(f"{job.name}-config", NAMESPACE, _request_timeout=10)
    plan = ShardPlan.from_json(json.loads(config.data[PLAN_ENV]))
    assert plan.count == 3 and sum(shard.scenarios for shard in plan.shards) > 3
    assert config.metadata.owner_references[0].name == job.name  # deleting the Job deletes the plan
    cluster.close()
