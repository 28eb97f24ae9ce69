"""What a `--clusters` run says at its end (issue 23): one `MemberResult` per cluster and `clusters.json`.

A member's result is read from the results.json its session wrote, through the history's one typed
reader; a member whose session never started (unreachable, refused copy) has its reason instead.
`clusters.json` lists every cluster of the file in its order, with its status, exit code, verdict
sentence, versions and the path of its run, and the fleet's exit code (the worst member's).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_streamstress._infra.files import write_json_atomically
from pytest_streamstress.run.fleet_file import FleetMember

SUMMARY_FILE: Final = "clusters.json"
NOT_STARTED: Final = 1
"""The exit code of a member whose session never started (unreachable cluster, failed copy)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberResult:
    """How one member's session ended, as `clusters.json` and the summary say it."""

    name: str
    status: str
    exit_code: int
    message: str
    results: Path | None = None
    run_id: str = ""
    duration_s: float = 0.0
    openshift_version: str = ""
    operator_version: str = ""

    def to_json(self, base: Path) -> dict[str, Any]:
        results = None if self.results is None else os.path.relpath(self.results, base)
        return {
            "name": self.name,
            "status": self.status,
            "exit_code": self.exit_code,
            "message": self.message,
            "results": results,
            "run_id": self.run_id,
            "openshift_version": self.openshift_version,
            "operator_version": self.operator_version,
            "duration_s": round(self.duration_s, 1),
        }

    @classmethod
    def not_started(cls, name: str, why: str) -> MemberResult:
        """A member whose session never ran: unreachable, refused copy, a stop signal first."""
        return cls(name=name, status="error", exit_code=NOT_STARTED, message=f"not started: {why}")

    @property
    def line(self) -> str:
        where = f" ({self.results})" if self.results is not None else ""
        versions = (
            f" [OCP {self.openshift_version}, operator {self.operator_version}]"
            if self.openshift_version
            else ""
        )
        return f"cluster {self.name}{versions}: {self.status}, exit {self.exit_code}: {self.message}{where}"


def read_result(name: str, code: int, results_dir: Path, duration: float) -> MemberResult:
    from pytest_streamstress.history.store import HistoryError, read_run

    path = results_dir / "results.json"
    try:
        run = read_run(path)
    except HistoryError as exc:
        return MemberResult(
            name=name,
            status="error",
            exit_code=code or NOT_STARTED,
            message=f"no results: {exc}",
            duration_s=duration,
        )
    sentence = run.verdict.sentence if run.verdict is not None else ""
    return MemberResult(
        name=name,
        status=str(run.status or "error"),
        exit_code=code,
        message=sentence or f"exit {code}",
        results=path,
        run_id=run.run_id,
        duration_s=duration,
        openshift_version=run.cluster.openshift_version,
        operator_version=run.cluster.operator_version,
    )


def write_summary(
    source: Path, members: Sequence[FleetMember], results: Sequence[MemberResult], base: Path
) -> Path:
    """`clusters.json` in `base` (atomically): every member in the file's order, ended or not."""
    order = {m.name: i for i, m in enumerate(members)}
    ended = sorted(results, key=lambda r: order[r.name])
    document = {
        "clusters_file": str(source),
        "exit_code": max((r.exit_code for r in ended), default=NOT_STARTED),
        "clusters": [r.to_json(base) for r in ended]
        + [
            {
                "name": m.name,
                "status": "not-run",
                "exit_code": None,
                "message": "never ended",
                "results": None,
            }
            for m in members
            if m.name not in {r.name for r in ended}
        ],
    }
    path = base / SUMMARY_FILE
    base.mkdir(parents=True, exist_ok=True)
    write_json_atomically(path, document, indent=1)
    return path
