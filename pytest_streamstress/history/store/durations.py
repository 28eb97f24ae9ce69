"""What each spec took in earlier runs: the shard plan's weights (issue 23), read from the history.

A lean view of results.json documents, like `reader.outcomes_from_json`: only `scenarios[].spec`,
`duration_s` and the run's status are read. A spec's duration in one run is the sum of its
scenarios' durations; over the newest `RECENT_RUNS` scored runs that ran it, the median (one slow
night does not reshuffle the shards). Runs the history does not score (incomplete, interrupted,
error) are left out: their durations are of a run that did not happen as planned.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from typing import Any, Final

from pytest_streamstress.history.store.reader import is_scored

RECENT_RUNS: Final = 5


def spec_durations(documents: Iterable[Mapping[str, Any]], *, recent: int = RECENT_RUNS) -> dict[str, float]:
    """spec path -> expected seconds, from documents oldest first (`history_documents`' order)."""
    seen: dict[str, list[float]] = {}
    for document in reversed(list(documents)):
        if not is_scored(document):
            continue
        totals: dict[str, float] = {}
        for scenario in document.get("scenarios") or ():
            if not isinstance(scenario, Mapping):
                continue
            spec, duration = scenario.get("spec"), scenario.get("duration_s")
            if isinstance(spec, str) and isinstance(duration, int | float) and not isinstance(duration, bool):
                totals[spec] = totals.get(spec, 0.0) + max(0.0, float(duration))
        for spec, total in totals.items():
            runs = seen.setdefault(spec, [])
            if len(runs) < recent:
                runs.append(total)
    return {spec: statistics.median(values) for spec, values in seen.items()}
