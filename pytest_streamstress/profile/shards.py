"""The shard plan: which specs each of N shards runs, balanced by what each spec cost before (issue 23).

Pure: specs (in file order, with their scenarios) and per-spec durations in, a `ShardPlan` out.
A spec is never split (its scenarios share one gauge process, BeforeSpec hooks and namespaces), and
each shard runs its specs in file order. Balancing is the longest-processing-time rule: specs,
longest first, each onto the shard with the least expected time so far (ties: the lower index; equal
durations: the spec path), which is deterministic, so every shard of a CI matrix computes the same
plan from the same suite and history. Without a history every scenario weighs the same, so the
specs are split evenly by scenario count. A spec the history does not know is expected to take the
known scenarios' mean per scenario. The plan travels as JSON: in the Job's ConfigMap, in every
shard's results.json and in the merged one, so a lost shard's scenarios are still known.
"""

from __future__ import annotations

import heapq
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

Basis = Literal["history", "equal"]
"""What balanced the plan: the history's per-spec durations, or scenario counts (no history)."""

PLAN_ENV: Final = "STREAMSTRESS_SHARD_PLAN"
"""The plan's JSON in a shard pod's environment (from the Job's ConfigMap)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedScenario:
    nodeid: str
    scenario: str
    line: int
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedSpec:
    spec: str
    """Spec path relative to the release-tests root, as results.json names it."""
    scenarios: tuple[PlannedScenario, ...]
    expected_s: float | None = None
    """What the history says this spec takes; None when it does not know the spec."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Shard:
    index: int
    specs: tuple[PlannedSpec, ...]
    expected_s: float | None
    """Sum of the specs' expected seconds; None for a plan without history."""

    @property
    def scenarios(self) -> int:
        return sum(len(spec.scenarios) for spec in self.specs)


@dataclass(frozen=True, slots=True, kw_only=True)
class ShardPlan:
    count: int
    requested: int
    """What --shards asked for; `count` is lower when the profile's recommendation capped it."""
    cap: int | None
    basis: Basis
    shards: tuple[Shard, ...]

    def shard_of(self, spec: str) -> int | None:
        for shard in self.shards:
            if any(planned.spec == spec for planned in shard.specs):
                return shard.index
        return None

    def lines(self) -> list[str]:
        """The plan as the terminal shows it at launch: one line per shard."""
        cap = f", capped at {self.cap} by the profile's recommendation" if self.count < self.requested else ""
        basis = "the history's spec durations" if self.basis == "history" else "scenario counts (no history)"
        head = f"shard plan: {self.count} shards balanced by {basis}{cap}"
        rows = [
            f"  shard {shard.index}/{self.count}: {len(shard.specs)} specs, {shard.scenarios} scenarios,"
            f" {_minutes(shard.expected_s)}: {', '.join(spec.spec for spec in shard.specs) or '(none)'}"
            for shard in self.shards
        ]
        return [head, *rows]

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "requested": self.requested,
            "cap": self.cap,
            "basis": self.basis,
            "shards": [
                {
                    "index": shard.index,
                    "expected_s": _rounded(shard.expected_s),
                    "scenarios": shard.scenarios,
                    "specs": [
                        {
                            "spec": spec.spec,
                            "expected_s": _rounded(spec.expected_s),
                            "scenarios": [_scenario_json(s) for s in spec.scenarios],
                        }
                        for spec in shard.specs
                    ],
                }
                for shard in self.shards
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShardPlan:
        """Back from JSON (R11); raises KeyError/TypeError/ValueError on a shape we did not write."""
        basis = str(data["basis"])
        if basis not in ("history", "equal"):
            raise ValueError(f"unknown plan basis {basis!r}")
        return cls(
            count=int(data["count"]),
            requested=int(data.get("requested", data["count"])),
            cap=None if data.get("cap") is None else int(data["cap"]),
            basis="history" if basis == "history" else "equal",
            shards=tuple(
                Shard(
                    index=int(shard["index"]),
                    expected_s=None if shard.get("expected_s") is None else float(shard["expected_s"]),
                    specs=tuple(
                        PlannedSpec(
                            spec=str(spec["spec"]),
                            expected_s=None if spec.get("expected_s") is None else float(spec["expected_s"]),
                            scenarios=tuple(
                                PlannedScenario(
                                    nodeid=str(s["nodeid"]),
                                    scenario=str(s["scenario"]),
                                    line=int(s["line"]),
                                    tags=tuple(str(t) for t in s.get("tags", ())),
                                )
                                for s in spec["scenarios"]
                            ),
                        )
                        for spec in shard["specs"]
                    ),
                )
                for shard in data["shards"]
            ),
        )


def plan_shards(specs: Sequence[PlannedSpec], *, count: int, cap: int | None = None) -> ShardPlan:
    """Assign whole specs to `min(count, cap)` shards (see the module docstring for the rule)."""
    if count < 1:
        raise ValueError(f"a plan needs at least one shard, not {count}")
    shards = count if cap is None else max(1, min(count, cap))
    known = [s for s in specs if s.expected_s is not None and s.scenarios]
    basis: Basis = "history" if known else "equal"
    per_scenario = statistics.fmean((s.expected_s or 0.0) / len(s.scenarios) for s in known) if known else 1.0

    def weight(spec: PlannedSpec) -> float:
        if basis == "equal":
            return float(len(spec.scenarios))
        return spec.expected_s if spec.expected_s is not None else per_scenario * len(spec.scenarios)

    order = {spec.spec: position for position, spec in enumerate(specs)}
    heap = [(0.0, index) for index in range(shards)]
    assigned: dict[int, list[PlannedSpec]] = {index: [] for index in range(shards)}
    loads = [0.0] * shards
    for spec in sorted(specs, key=lambda s: (-weight(s), s.spec)):
        load, index = heapq.heappop(heap)
        assigned[index].append(spec)
        loads[index] = load + weight(spec)
        heapq.heappush(heap, (loads[index], index))
    return ShardPlan(
        count=shards,
        requested=count,
        cap=cap,
        basis=basis,
        shards=tuple(
            Shard(
                index=index,
                specs=tuple(sorted(assigned[index], key=lambda s: order[s.spec])),
                expected_s=round(loads[index], 3) if basis == "history" else None,
            )
            for index in range(shards)
        ),
    )


def parse_shard(text: str) -> tuple[int, int]:
    """`i/N` (0-based, as JOB_COMPLETION_INDEX counts) -> (i, N); ValueError says what is valid."""
    index, sep, total = text.strip().partition("/")
    if not sep or not index.strip().isdigit() or not total.strip().isdigit():
        raise ValueError("expected INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 0/4 (the first of four)")
    i, n = int(index), int(total)
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"shard index {i} is outside 0..{n - 1}; shards count from 0, e.g. 0/{max(n, 1)}")
    return i, n


def _scenario_json(scenario: PlannedScenario) -> dict[str, Any]:
    return {
        "nodeid": scenario.nodeid,
        "scenario": scenario.scenario,
        "line": scenario.line,
        "tags": list(scenario.tags),
    }


def _minutes(seconds: float | None) -> str:
    return "expected time unknown" if seconds is None else f"~{seconds / 60:.1f} min expected"


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
