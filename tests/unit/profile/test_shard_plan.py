"""The shard plan (issue 23): whole specs, file order, longest first onto the least-loaded shard."""

from __future__ import annotations

import pytest

from pytest_streamstress.history.store.durations import spec_durations
from pytest_streamstress.profile.shards import (
    PlannedScenario,
    PlannedSpec,
    ShardPlan,
    parse_shard,
    plan_shards,
)


def _spec(name: str, scenarios: int, expected: float | None = None) -> PlannedSpec:
    return PlannedSpec(
        spec=f"specs/{name}.spec",
        scenarios=tuple(
            PlannedScenario(nodeid=f"specs/{name}.spec::s{i}", scenario=f"s{i}", line=10 + i, tags=("e2e",))
            for i in range(scenarios)
        ),
        expected_s=expected,
    )


def _names(plan: ShardPlan) -> list[list[str]]:
    return [[spec.spec.split("/")[1].split(".")[0] for spec in shard.specs] for shard in plan.shards]


def test_longest_specs_go_first_onto_the_least_loaded_shard_and_each_shard_keeps_file_order() -> None:
    specs = [_spec("a", 1, 10), _spec("b", 1, 60), _spec("c", 1, 30), _spec("d", 1, 25), _spec("e", 1, 5)]

    plan = plan_shards(specs, count=2)

    # b(60) -> 0; c(30) -> 1; d(25) -> 1 (30 < 60); a(10) -> 0? no: 1 has 55 < 60 -> 1; e(5) -> 0 (60 < 65)
    assert _names(plan) == [["b", "e"], ["a", "c", "d"]]
    assert [shard.expected_s for shard in plan.shards] == [65.0, 65.0]
    assert plan.basis == "history"


def test_without_history_specs_are_split_evenly_by_scenario_count() -> None:
    specs = [_spec("a", 4), _spec("b", 2), _spec("c", 2), _spec("d", 3), _spec("e", 1)]

    plan = plan_shards(specs, count=2)

    assert [shard.scenarios for shard in plan.shards] == [6, 6]
    assert plan.basis == "equal"
    assert all(shard.expected_s is None for shard in plan.shards)


def test_a_spec_the_history_does_not_know_weighs_the_known_mean_per_scenario() -> None:
    specs = [_spec("known", 2, 40), _spec("new", 3), _spec("small", 1, 20)]

    plan = plan_shards(specs, count=2)

    # known: 20 s per scenario -> new (3 scenarios) weighs 60 and goes first
    assert _names(plan) == [["new"], ["known", "small"]]


def test_the_plan_is_the_same_for_every_caller_and_survives_json() -> None:
    specs = [_spec(name, 2, 30) for name in "abcdefg"]

    first, second = plan_shards(specs, count=3), plan_shards(list(specs), count=3)

    assert first == second
    assert ShardPlan.from_json(first.to_json()) == first


def test_the_profiles_recommendation_caps_the_shard_count() -> None:
    plan = plan_shards([_spec(name, 1, 10) for name in "abcd"], count=4, cap=2)

    assert (plan.count, plan.requested, plan.cap) == (2, 4, 2)
    assert "capped at 2 by the profile's recommendation" in plan.lines()[0]


def test_more_shards_than_specs_leaves_some_empty() -> None:
    plan = plan_shards([_spec("a", 1, 10)], count=3)

    assert [len(shard.specs) for shard in plan.shards] == [1, 0, 0]
    assert plan.shard_of("specs/a.spec") == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [("4", "INDEX/COUNT"), ("4/4", "outside 0..3"), ("a/2", "INDEX/COUNT"), ("0/0", "outside")],
    ids=["no-slash", "index-too-big", "not-a-number", "zero-shards"],
)
def test_a_bad_shard_says_what_is_valid(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_shard(text)


def test_shard_counts_from_zero() -> None:
    assert parse_shard(" 3/4 ") == (3, 4)


def test_spec_durations_are_the_median_of_recent_scored_runs() -> None:
    def run(status: str, a: float) -> dict[str, object]:
        return {
            "status": status,
            "scenarios": [
                {"spec": "specs/a.spec", "duration_s": a},
                {"spec": "specs/a.spec", "duration_s": 1.0},
                {"spec": "specs/b.spec", "duration_s": 5.0},
            ],
        }

    documents = [run("passed", 10), run("failed", 20), run("incomplete", 900), run("passed", 30)]

    assert spec_durations(documents) == {"specs/a.spec": 21.0, "specs/b.spec": 5.0}
