"""The metrics sampler against the emulator: scripted usage, missing API, stopping cleanly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.metrics import MetricsSampler
from pytest_streamstress.profile.stats import ScenarioWindow, attribute

pytestmark = pytest.mark.emulator


def _cluster(emulator: Any) -> Cluster:
    return Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())


def _scripted_pod(emulator: Any, namespace: str, script: list[list[Any]]) -> None:
    store = emulator.store
    store.create(store.rtype("v1", "Namespace"), {"metadata": {"name": namespace}})
    store.create(
        store.rtype("v1", "Pod"),
        {
            "metadata": {
                "name": "step-pod",
                "namespace": namespace,
                "annotations": {"emulator.streamstress.io/usage": json.dumps(script)},
            },
            "spec": {"containers": [{"name": "step", "image": "registry.redhat.io/ubi9/ubi-minimal:latest"}]},
        },
    )


def test_sampled_peaks_equal_the_scripted_usage(make_emulator: Any) -> None:
    emulator = make_emulator(state="installed")
    _scripted_pod(emulator, "releasetest-abcde", [[0, "300m", "256Mi"]])
    sampler = MetricsSampler(_cluster(emulator), interval=60, warn=pytest.fail)
    sampler.start()
    sample = sampler.sample_once()
    state = sampler.stop()
    assert state.status == "ok"
    assert state.capacity is not None and state.capacity.allocatable_cpu_m > 0
    (profile,) = attribute(
        [
            ScenarioWindow(
                nodeid="x",
                start=sample.at - 1,
                end=sample.at + 1,
                namespaces=frozenset({"releasetest-abcde"}),
            )
        ],
        state.samples,
        target_namespace="openshift-pipelines",
    )
    assert profile.peak_cpu_m == pytest.approx(300.0)
    assert profile.peak_memory_b == 256 * 2**20


def test_missing_metrics_api_is_one_warning_and_an_unavailable_profile(make_emulator: Any) -> None:
    emulator = make_emulator(state="installed")
    emulator.faults.metrics_unavailable = True
    warnings: list[str] = []
    sampler = MetricsSampler(_cluster(emulator), interval=0.01, warn=warnings.append).start()
    state = sampler.stop()
    assert state.status == "unavailable"
    assert "metrics API (metrics.k8s.io) not available" in state.reason
    assert len(warnings) == 1
