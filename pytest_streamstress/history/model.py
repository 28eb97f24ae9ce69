"""The shape the analysis reads: one run's outcomes per test identity, oldest run first.

Test identity across runs is the spec path plus the scenario's test-case id (`PIPELINES-03-TC01`)
when its heading has one, else the heading, so a renamed heading keeps its history (issue 10).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from pytest_streamstress.model import Status

CASE_ID: Final = re.compile(r"\b([A-Z][A-Z0-9]+-\d+-TC-?\d+)\b")
FAILING: Final = frozenset({Status.FAILED, Status.ERROR})
THIS_RUN: Final = "this run's results.json"
EARLIER_RUN: Final = "an earlier run's results.json"
"""How reading errors name the documents the analysis gets in memory, not as files."""


def scenario_identity(spec: str, scenario: str) -> str:
    """`specs/x.spec::PIPELINES-03-TC01`, or `specs/x.spec::<heading>` when the heading has no case id."""
    match = CASE_ID.search(scenario)
    return f"{spec}::{match.group(1) if match else scenario}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutcomes:
    """One run, reduced to what classification needs (`history.store.outcomes_from_json` makes it)."""

    run_id: str
    timestamp: str
    outcomes: Mapping[str, Status]
    """test identity -> its outcome in this run."""
    flaky: frozenset[str] = frozenset()
    """Tests that passed only after a retry in this run."""
    messages: Mapping[str, str] = field(default_factory=dict)
    components: Mapping[str, str] = field(default_factory=dict)
    """component name -> commit sha of that run, for culprit ranges."""
    complete: bool = True
    """False for a run that did not happen as asked (error, interrupted, incomplete): it is not scored."""
    selection: str = ""
    """How its scenarios were chosen (`settings.selection`); "" for the whole suite."""

    @property
    def executed(self) -> int:
        """Scenarios that ran to a verdict (passed or failed), for the 75 % coverage guard."""
        return sum(1 for status in self.outcomes.values() if status in {Status.PASSED, Status.FAILED})
