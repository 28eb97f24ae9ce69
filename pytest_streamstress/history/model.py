"""The shape the analysis reads: one run's outcomes per test identity, oldest run first.

Test identity across runs is the spec path plus the scenario's test-case id (`PIPELINES-03-TC01`)
when its heading has one, else the heading, so a renamed heading keeps its history (issue 10).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

CASE_ID: Final = re.compile(r"\b([A-Z][A-Z0-9]+-\d+-TC-?\d+)\b")
FAILING: Final = frozenset({"failed", "error"})


def scenario_identity(spec: str, scenario: str) -> str:
    """`specs/x.spec::PIPELINES-03-TC01`, or `specs/x.spec::<heading>` when the heading has no case id."""
    match = CASE_ID.search(scenario)
    return f"{spec}::{match.group(1) if match else scenario}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutcomes:
    """One run, reduced to what classification needs."""

    run_id: str
    timestamp: str
    outcomes: Mapping[str, str]
    """test identity -> passed / failed / error / skipped."""
    flaky: frozenset[str] = frozenset()
    """Tests that passed only after a retry in this run."""
    messages: Mapping[str, str] = field(default_factory=dict)
    components: Mapping[str, str] = field(default_factory=dict)
    """component name -> commit sha of that run, for culprit ranges."""
    complete: bool = True

    @classmethod
    def from_results(cls, data: Mapping[str, Any]) -> RunOutcomes:
        """From a results.json document (schema v1)."""
        outcomes: dict[str, str] = {}
        flaky: set[str] = set()
        messages: dict[str, str] = {}
        for record in data.get("scenarios", []):
            identity = record.get("id") or scenario_identity(record["spec"], record["scenario"])
            outcomes[identity] = record["status"]
            if record.get("flaky"):
                flaky.add(identity)
            if record.get("message"):
                messages[identity] = record["message"]
        components = {
            c["name"]: (c.get("commit") or {}).get("sha", "")
            for c in data.get("components", [])
            if c.get("commit")
        }
        return cls(
            run_id=data["run_id"],
            timestamp=data.get("started_at", ""),
            outcomes=outcomes,
            flaky=frozenset(flaky),
            messages=messages,
            components=components,
        )
