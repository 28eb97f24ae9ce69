"""Profiling maths: exact quantities, percentiles, attribution by namespace, the parallelism formula."""

from __future__ import annotations

import pytest

from pytest_streamstress.profile.stats import (
    Capacity,
    PodUsage,
    Recommendation,
    Sample,
    ScenarioProfile,
    ScenarioWindow,
    attribute,
    parse_cpu,
    parse_memory,
    percentile,
    recommend,
    summary_lines,
)


@pytest.mark.parametrize(
    ("text", "millicores"),
    [("12345678n", 12.345678), ("250u", 0.25), ("5m", 5.0), ("1", 1000.0), ("0.5", 500.0), ("1500000n", 1.5)],
)
def test_cpu_quantities_are_exact(text: str, millicores: float) -> None:
    assert parse_cpu(text) == pytest.approx(millicores, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("123456Ki", 123456 * 1024),
        ("512Mi", 512 * 2**20),
        ("1G", 10**9),
        ("100k", 100_000),
        ("1Gi", 2**30),
        ("4096", 4096),
    ],
)
def test_memory_quantities_are_exact(text: str, size: int) -> None:
    assert parse_memory(text) == size


def test_bad_quantity_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a quantity"):
        parse_cpu("5 cores")
    with pytest.raises(ValueError, match="not a CPU quantity"):
        parse_cpu("5Gi")


def test_p95_interpolates_like_numpy() -> None:
    assert percentile(list(range(1, 21)), 0.95) == pytest.approx(19.05)
    assert percentile([3.0], 0.95) == 3.0


def _sample(at: float, *pods: tuple[str, float, int]) -> Sample:
    return Sample(
        at=at,
        pods=tuple(
            PodUsage(namespace=ns, name=f"{ns}-pod", cpu_m=cpu, memory_b=mem) for ns, cpu, mem in pods
        ),
    )


def test_overlapping_scenarios_each_get_their_own_namespace_usage() -> None:
    samples = [
        _sample(
            1, ("releasetest-aaa", 100, 10), ("releasetest-bbb", 300, 30), ("openshift-pipelines", 50, 5)
        ),
        _sample(2, ("releasetest-aaa", 200, 20), ("releasetest-bbb", 100, 40)),
        _sample(9, ("releasetest-aaa", 999, 999)),
    ]
    windows = [
        ScenarioWindow(nodeid="a", start=0, end=5, namespaces=frozenset({"releasetest-aaa"})),
        ScenarioWindow(nodeid="b", start=0, end=5, namespaces=frozenset({"releasetest-bbb"})),
    ]
    a, b = attribute(windows, samples, target_namespace="openshift-pipelines")
    assert (a.peak_cpu_m, a.peak_memory_b, a.samples) == (200, 20, 2)
    assert (b.peak_cpu_m, b.peak_memory_b) == (300, 40)
    assert a.controllers_peak_cpu_m == 50


def test_a_scenario_that_named_no_namespace_takes_the_unclaimed_ones_created_in_its_window() -> None:
    samples = [
        Sample(
            at=3,
            pods=(PodUsage(namespace="releasetest-ccc", name="p", cpu_m=7, memory_b=1),),
            namespaces_created={"releasetest-ccc": 2.5, "releasetest-old": 0.5},
        )
    ]
    (profile,) = attribute([ScenarioWindow(nodeid="c", start=2, end=4)], samples, target_namespace="x")
    assert profile.namespaces == ("releasetest-ccc",)
    assert profile.attribution == "window"
    assert profile.peak_cpu_m == 7


def _profiles(*needs: tuple[float, int]) -> list[ScenarioProfile]:
    return [
        ScenarioProfile(nodeid=str(i), peak_cpu_m=c, peak_memory_b=m, peak_pods=1, samples=1, namespaces=())
        for i, (c, m) in enumerate(needs)
    ]


def test_recommendation_by_hand_limited_by_memory() -> None:
    """free cpu (12000-2000)*0.8 = 8000m / p95 500m = 16; free memory (48Gi-8Gi)*0.8 = 32Gi / 4Gi = 8."""
    capacity = Capacity(
        allocatable_cpu_m=12000,
        allocatable_memory_b=48 * 2**30,
        baseline_cpu_m=2000,
        baseline_memory_b=8 * 2**30,
    )
    result = recommend(capacity, _profiles(*[(500.0, 4 * 2**30)] * 5), serial_scenarios=2)
    assert (result.max_parallel, result.limiting_resource) == (8, "memory")
    assert result.sentence() == (
        "You can safely run 8 specs in parallel on this cluster (limited by memory);"
        " 2 admin/install/upgrade scenarios still run alone"
    )


def test_recommendation_by_hand_limited_by_cpu_and_never_below_one() -> None:
    capacity = Capacity(
        allocatable_cpu_m=1000, allocatable_memory_b=2**40, baseline_cpu_m=900, baseline_memory_b=0
    )
    result = recommend(capacity, _profiles((400.0, 1)))
    assert (result.max_parallel, result.limiting_resource) == (1, "cpu")


@pytest.mark.parametrize(
    ("parallel", "serial", "sentence"),
    [
        (
            1,
            1,
            "You can safely run 1 spec in parallel on this cluster (limited by cpu);"
            " 1 admin/install/upgrade scenario still runs alone",
        ),
        (3, 0, "You can safely run 3 specs in parallel on this cluster (limited by cpu)"),
    ],
    ids=["one-and-one", "several-and-none"],
)
def test_the_sentence_counts_in_the_right_number(parallel: int, serial: int, sentence: str) -> None:
    recommendation = Recommendation(
        max_parallel=parallel, limiting_resource="cpu", reasoning="", serial_scenarios=serial
    )
    assert recommendation.sentence() == sentence


def test_summary_lines_show_each_scenarios_peaks_and_the_heaviest_specs() -> None:
    profiles = [
        ScenarioProfile(nodeid="specs/a.spec::Heavy", peak_cpu_m=2400, peak_memory_b=1280 * 2**20,
                        peak_pods=2, samples=5, namespaces=("releasetest-a",)),
        ScenarioProfile(nodeid="specs/b.spec::Light", peak_cpu_m=150, peak_memory_b=96 * 2**20,
                        peak_pods=1, samples=5, namespaces=("releasetest-b",)),
        ScenarioProfile(nodeid="specs/a.spec::Idle", peak_cpu_m=0, peak_memory_b=0,
                        peak_pods=0, samples=5, namespaces=("releasetest-c",)),
    ]  # fmt: skip

    assert summary_lines(profiles) == [
        "2 of 3 scenarios ran pods; peaks per scenario, heaviest first:",
        "  2400m cpu, 1.25Gi, 2 pods  specs/a.spec::Heavy",
        "  150m cpu, 96Mi, 1 pod  specs/b.spec::Light",
        "heaviest specs: specs/a.spec (2400m cpu, 1.25Gi); specs/b.spec (150m cpu, 96Mi)",
    ]
