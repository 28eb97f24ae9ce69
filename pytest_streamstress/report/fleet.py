"""The clusters of a history (issue 23): which runs each holds, for the page's filter, grid and morning.

Pure (R13): the index in, values out. A history whose runs all name one cluster, or none, has no
groups, so the page looks as it did before clusters existed. Runs that name no cluster form a group
of their own when others do: the analysis reads them apart too (`history_documents(cluster="")`),
so a failure is new only against its own cluster's runs, here as in `--history`.

The group's id is the filter's value in the URL (`#cluster=ocp-4-16`); the app applies the same
rule to each run's `cluster.name` (dashboard/static/core.js `S.clusterId`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from pytest_streamstress.history.store import HistoryIndex, RunSummary

UNNAMED_ID: Final = "-"
"""The group of runs that name no cluster, in the URL (`#cluster=-`)."""
UNNAMED_LABEL: Final = "unnamed cluster"
"""Its label wherever a cluster is named (reads as a name: `-` read like a missing value)."""
WORST_FIRST: Final = ("interrupted", "error", "incomplete", "failed")
"""Verdicts that need a look, most urgent first: a cluster whose newest run broke off or could not run
comes before one with failures; any other verdict but `passed` follows them, `passed` comes last."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterGroup:
    """One cluster's runs, and what the page names it by."""

    id: str
    """The cluster's name, or `UNNAMED_ID` for the runs that name none."""
    label: str
    openshift_version: str = ""
    """The newest run's that gives one (a run whose deployment failed may know none)."""
    operator_version: str = ""
    runs: tuple[str, ...] = ()
    """Run ids, oldest first."""
    latest_status: str = ""
    """The newest run's verdict (`passed`, `failed`, ...; its status when it has no verdict)."""

    @property
    def is_named(self) -> bool:
        """False for the runs that name no cluster: their label is no name ("Cluster unnamed cluster")."""
        return self.id != UNNAMED_ID

    @property
    def versions(self) -> str:
        """`OCP 4.16.12 · operator 1.16.1`, as far as the runs told; "" when they told nothing."""
        parts = []
        if self.openshift_version:
            parts.append(f"OCP {self.openshift_version}")
        if self.operator_version:
            parts.append(f"operator {self.operator_version}")
        return " · ".join(parts)

    def to_json(self) -> dict[str, str]:
        """What the app needs beside the runs' own `cluster` (it groups runs by `cluster_id` itself)."""
        return {
            "id": self.id,
            "label": self.label,
            "openshift_version": self.openshift_version,
            "operator_version": self.operator_version,
        }


def cluster_id(run: RunSummary) -> str:
    return run.cluster.name or UNNAMED_ID


def cluster_groups(index: HistoryIndex) -> tuple[ClusterGroup, ...]:
    """One group per cluster, by name (the runs that name none last); none when there are fewer than two."""
    runs: dict[str, list[RunSummary]] = {}
    for run in index.runs:
        runs.setdefault(cluster_id(run), []).append(run)
    if len(runs) < 2:
        return ()
    order = sorted(runs, key=lambda name: (name == UNNAMED_ID, name))
    return tuple(_group(name, runs[name]) for name in order)


def _group(name: str, runs: list[RunSummary]) -> ClusterGroup:
    newest = runs[::-1]
    return ClusterGroup(
        id=name,
        label=UNNAMED_LABEL if name == UNNAMED_ID else name,
        openshift_version=next(
            (r.cluster.openshift_version for r in newest if r.cluster.openshift_version), ""
        ),
        operator_version=next((r.cluster.operator_version for r in newest if r.cluster.operator_version), ""),
        runs=tuple(run.run_id for run in runs),
        latest_status=runs[-1].verdict.status if runs[-1].verdict is not None else runs[-1].status,
    )


def worst_first(
    groups: tuple[ClusterGroup, ...], new_regressions: Mapping[str, int] | None = None
) -> tuple[ClusterGroup, ...]:
    """The groups by their newest run's verdict (`WORST_FIRST`, passed last), then by how many new
    upstream regressions that run brought (most first), then by name.

    The morning page's order: the cluster a QE engineer must look at comes first; of two failed
    clusters, the one where upstream broke something new. The filter, grid and charts keep the name
    order, so a cluster keeps its place (and its line's colour) from night to night.
    """
    unknown = len(WORST_FIRST)
    new = new_regressions or {}

    def rank(group: ClusterGroup) -> tuple[int, int]:
        if group.latest_status in WORST_FIRST:
            verdict = WORST_FIRST.index(group.latest_status)
        else:
            verdict = unknown + (group.latest_status == "passed")
        return verdict, -new.get(group.id, 0)

    return tuple(sorted(groups, key=rank))  # stable: the name order within a verdict and count


def group_index(index: HistoryIndex, group: ClusterGroup) -> HistoryIndex:
    """The index of one cluster's runs only: its tests (those it ran) against its runs."""
    keep = set(group.runs)
    return index.without_runs(run_id for run_id in index.run_ids() if run_id not in keep)
