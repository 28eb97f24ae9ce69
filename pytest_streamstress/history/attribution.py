"""Could upstream have caused this failure? Only if a built component moved since the scenario last passed.

A failure the rules file as an upstream regression keeps that verdict when there is no history to
say otherwise, or when some component of this run was built from a different commit than in the
last run where the scenario passed. When every component is at the commit it had then, nothing
upstream changed: the failure is **unattributed** (the cluster, the suite or chance moved), with the
evidence that says so (issue 18 part 2). Pure: outcomes and component commits in, a value out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_streamstress.history.model import RunOutcomes
from pytest_streamstress.model import Status


@dataclass(frozen=True, slots=True, kw_only=True)
class Attribution:
    upstream_changed: bool | None
    """True: a component moved since the last pass; False: none did; None: nothing to compare."""
    evidence: str
    last_pass_run: str = ""


def attribute(test: str, *, current: Mapping[str, str], runs: Sequence[RunOutcomes]) -> Attribution:
    """`current`: component -> commit of this run; `runs`: earlier runs, oldest first."""
    built = {name: sha for name, sha in current.items() if sha}
    if not built:
        return Attribution(upstream_changed=None, evidence="no component of this run has a known commit")
    passed = [run for run in runs if run.outcomes.get(test) is Status.PASSED]
    if not passed:
        return Attribution(upstream_changed=None, evidence="no earlier run where this scenario passed")
    last = passed[-1]
    then = last.components
    moved = sorted(name for name, sha in built.items() if then.get(name) != sha)
    if moved:
        changes = ", ".join(f"{name} {_short(then.get(name, ''))}->{_short(built[name])}" for name in moved)
        return Attribution(
            upstream_changed=True,
            evidence=f"changed since {last.run_id}, where it passed: {changes}",
            last_pass_run=last.run_id,
        )
    same = ", ".join(f"{name} at {_short(sha)}" for name, sha in sorted(built.items()))
    return Attribution(
        upstream_changed=False,
        evidence=f"every built component is unchanged since {last.run_id}, where it passed ({same})",
        last_pass_run=last.run_id,
    )


def _short(sha: str) -> str:
    return sha[:12] if sha else "(none)"


def usual_scenarios(runs: Sequence[RunOutcomes], *, last: int = 20) -> int | None:
    """How many scenarios a run usually executes: the median over the last scored runs; None without any."""
    scored = [run.executed for run in runs if run.complete][-last:]
    if not scored:
        return None
    ordered = sorted(scored)
    return ordered[len(ordered) // 2]
