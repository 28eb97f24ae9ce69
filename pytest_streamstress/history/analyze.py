"""One run against its history: the `analysis` section of results.json and the summary lines.

Glue over the pure parts (classify, regression, clusters, known); the Recorder calls `analyze` at
session end with the document it is about to write and the history it loaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_streamstress.history.classify import TestClass, Verdict, classify_run
from pytest_streamstress.history.clusters import Cluster, cluster_failures
from pytest_streamstress.history.model import EARLIER_RUN, THIS_RUN
from pytest_streamstress.history.regression import Regression, detect_regressions
from pytest_streamstress.history.store import outcomes_from_json, run_from_json
from pytest_streamstress.triage.known import KnownFailure, KnownMatch, match_known, stale_entries


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    classes: tuple[TestClass, ...]
    regressions: tuple[Regression, ...]
    clusters: tuple[Cluster, ...]
    known: tuple[KnownMatch, ...]
    stale: tuple[KnownFailure, ...]
    history_runs: int
    scored: bool = True
    """False for a run that did not happen as asked (incomplete, error, interrupted): no new
    failures, fixes or regressions are read from it (issue 18 part 1)."""

    def by_test(self) -> dict[str, TestClass]:
        return {c.test: c for c in self.classes}

    def to_json(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for item in self.classes:
            counts[item.verdict.value] = counts.get(item.verdict.value, 0) + 1
        return {
            "history_runs": self.history_runs,
            "scored": self.scored,
            "counts": counts,
            "new_failures": [c.test for c in self.classes if c.verdict is Verdict.NEW_FAILURE],
            "still_failing": [
                {"test": c.test, "since": c.failing_since, "runs": c.streak}
                for c in self.classes
                if c.verdict is Verdict.STILL_FAILING
            ],
            "fixed": [c.test for c in self.classes if c.verdict is Verdict.FIXED],
            "flaky": [c.test for c in self.classes if c.verdict is Verdict.FLAKY],
            "new_tests": [c.test for c in self.classes if c.verdict is Verdict.NEW_TEST],
            "removed": [c.test for c in self.classes if c.verdict is Verdict.REMOVED],
            "alerts": [c.test for c in self.classes if c.alert_open],
            "regressions": [
                {
                    "subject": r.subject,
                    "recent": [r.recent_pass, r.recent_fail],
                    "basis": [r.basis_pass, r.basis_fail],
                    "recent_rate": round(r.recent_rate, 4),
                    "basis_rate": round(r.basis_rate, 4),
                    "p_value": r.p_value,
                }
                for r in self.regressions
            ],
            "clusters": [
                {
                    "signature": c.signature,
                    "size": len(c.members),
                    "members": list(c.members),
                    "example": c.example[:500],
                }
                for c in self.clusters
            ],
            "known": [
                {"test": m.test, "issue": m.entry.issue, "reason": m.entry.reason, "stale": m.stale}
                for m in self.known
            ],
            "stale_known_entries": [
                {"issue": e.issue, "expired": e.expires.isoformat() if e.expires else None}
                for e in self.stale
            ],
        }


def analyze(
    current: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    *,
    known: Sequence[KnownFailure] = (),
    today: dt.date | None = None,
) -> Analysis:
    """`current` and `history` are results.json documents; history oldest first, without `current`.

    The documents are read by the history's one typed reader (`history.store.run_from_json`).
    """
    today = today or dt.date.today()
    now = outcomes_from_json(current, source=THIS_RUN)
    past = [run for run in (outcomes_from_json(doc, source=EARLIER_RUN) for doc in history) if run.complete]
    failures = {s.key: s.message for s in run_from_json(current, source=THIS_RUN).scenarios if s.is_failing}
    return Analysis(
        classes=classify_run(now, past) if now.complete else (),
        regressions=detect_regressions([*past, now]) if now.complete else (),
        clusters=cluster_failures(failures),
        known=match_known(failures, known, today=today),
        stale=stale_entries(known, today=today),
        history_runs=len(past),
        scored=now.complete,
    )


def summary_lines(analysis: Analysis) -> list[str]:
    """New failures first: what a QE engineer reads at 9 a.m."""
    data = analysis.to_json()
    lines = [f"compared with {analysis.history_runs} earlier run(s)"]
    if not analysis.scored:
        lines.append("not scored: this run did not happen as asked (see the verdict), so no new failures")
    for key, title in (
        ("new_failures", "NEW failures"),
        ("fixed", "fixed"),
        ("flaky", "flaky"),
        ("new_tests", "new tests"),
        ("removed", "removed tests"),
    ):
        if data[key]:
            lines.append(
                f"{title} ({len(data[key])}): "
                + ", ".join(data[key][:8])
                + (" ..." if len(data[key]) > 8 else "")
            )
    for item in data["still_failing"][:8]:
        lines.append(f"still failing: {item['test']} since {item['since']} ({item['runs']} runs)")
    for regression in data["regressions"]:
        lines.append(
            f"regression: {regression['subject']} pass rate {regression['basis_rate']:.0%} ->"
            f" {regression['recent_rate']:.0%} (p={regression['p_value']:.3f})"
        )
    for cluster in data["clusters"]:
        if cluster["size"] > 1:
            lines.append(
                f"one cause, {cluster['size']} failures: {cluster['signature'].splitlines()[0][:120]}"
            )
    for match in data["known"]:
        lines.append(
            f"known{' (STALE entry)' if match['stale'] else ''}: {match['test']} -> {match['issue']}"
        )
    if data["alerts"]:
        lines.append(f"open alerts (3+ failures in a row): {', '.join(data['alerts'][:8])}")
    return lines
