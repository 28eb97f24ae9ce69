"""The emulator's metrics quantities and usage scripts, as pure functions (reference §10)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_streamstress.testing.emulator.controllers import metrics


@pytest.mark.parametrize(
    ("text", "nanocores"),
    [
        ("250m", 250_000_000),
        ("1", 1_000_000_000),
        ("1.5", 1_500_000_000),
        ("500000n", 500_000),
        ("10u", 10_000),
    ],
    ids=["milli", "cores", "fractional", "nano", "micro"],
)
def test_cpu_quantities_parse_to_nanocores(text: str, nanocores: int) -> None:
    assert metrics.parse_cpu(text) == nanocores


@pytest.mark.parametrize(
    ("text", "size"),
    [("128Mi", 128 * 2**20), ("1Gi", 2**30), ("1G", 10**9), ("64Ki", 65536), ("1000", 1000)],
    ids=["Mi", "Gi", "G-decimal", "Ki", "bytes"],
)
def test_memory_quantities_parse_to_bytes(text: str, size: int) -> None:
    assert metrics.parse_memory(text) == size


def test_bad_quantity_says_what_is_valid() -> None:
    with pytest.raises(metrics.QuantityError, match=r"use e\.g\. '250m'"):
        metrics.parse_cpu("lots")


def test_usage_script_step_in_force_is_the_last_one_started() -> None:
    steps = metrics.parse_script(json.dumps([[10, "1", "1Gi"], [0, "100m", "64Mi"], [20, "200m", "64Mi"]]))

    assert metrics.usage_at(steps, 5) == (100_000_000, 64 * 2**20)
    assert metrics.usage_at(steps, 15) == (1_000_000_000, 2**30)
    assert metrics.usage_at(steps, 25) == (200_000_000, 64 * 2**20)


def pod(script: list[Any], containers: int) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "p",
            "namespace": "n",
            "annotations": {metrics.USAGE_ANNOTATION: json.dumps(script)},
        },
        "spec": {"containers": [{"name": f"c{i}"} for i in range(containers)]},
        "status": {"phase": "Running", "startTime": "2026-01-01T00:00:00Z"},
    }


def test_pod_metrics_split_the_scripted_peak_over_containers_in_api_units() -> None:
    start = 1767225600.0  # 2026-01-01T00:00:00Z
    item = metrics.pod_metrics(pod([[0, "10m", "1Mi"], [30, "301m", "3Mi"]], 2), start + 31)

    assert item["kind"] == "PodMetrics" and item["window"] == metrics.WINDOW
    assert [c["usage"] for c in item["containers"]] == [
        {"cpu": "150500000n", "memory": "1536Ki"},
        {"cpu": "150500000n", "memory": "1536Ki"},
    ]
