"""The bisection engine: from "good at A, bad at B" to the first bad commit, one halving at a time.

It owns the ordered commit list (oldest first, the good commit at index 0 and the bad one last),
the choice of the next commit to test, the on-disk step cache, and the verdict. It does not know
how a commit is tested: that is the `StepRunner` Protocol (the declared seam, STYLE R29/R34); the
real runner builds, deploys and runs one scenario in a pytest subprocess (`cli/bisect_step.py`).

Like `git bisect`: the first bad commit lies in (last good, first bad]; test the commit in the
middle and keep the half that holds it. A commit that does not build is skipped and a neighbour is
tried instead; when only skipped commits are left the answer is the set "one of these". The culprit
is then confirmed by running its parent once more: a pass there rules out that the failure was a
flake of the environment rather than the commit.

Every step's outcome is written to `<state dir>/bisect-<component>-<good>-<bad>.json` (atomically,
before the next step starts), keyed by scenario, so an interrupted bisect resumes where it stopped
and a re-run skips what it knows.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from pytest_streamstress._infra import git as gitrepo
from pytest_streamstress._infra.files import write_json_atomically
from pytest_streamstress.errors import ConfigError

log = logging.getLogger(__name__)

CACHE_VERSION: Final = 1


class Verdict(enum.Enum):
    """One step's outcome, in `git bisect` words."""

    GOOD = "good"
    BAD = "bad"
    SKIP = "skip"
    """The commit cannot be tested (it does not build, or deploy failed): no information."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StepOutcome:
    """What testing one commit said, and why (shown in the report and kept in the cache)."""

    verdict: Verdict
    detail: str = ""

    @classmethod
    def passed(cls, detail: str = "") -> StepOutcome:
        return cls(verdict=Verdict.GOOD, detail=detail)

    @classmethod
    def failed(cls, detail: str = "") -> StepOutcome:
        return cls(verdict=Verdict.BAD, detail=detail)

    @classmethod
    def skip(cls, detail: str = "") -> StepOutcome:
        return cls(verdict=Verdict.SKIP, detail=detail)


class StepRunner(Protocol):
    """Tests one commit: build it, deploy it, run the scenario (with retries), say good/bad/skip."""

    def run(self, sha: str) -> StepOutcome: ...


StepKind = Literal["step", "confirm"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One commit tested, now or in an earlier (interrupted) invocation."""

    sha: str
    kind: StepKind
    verdict: Verdict
    detail: str
    duration_s: float
    finished_at: str
    cached: bool = False
    """True when this invocation read it from the step cache instead of running it."""

    def to_json(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "kind": self.kind,
            "verdict": self.verdict.value,
            "detail": self.detail,
            "duration_s": round(self.duration_s, 3),
            "finished_at": self.finished_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        return cls(
            sha=str(data["sha"]),
            kind="confirm" if data.get("kind") == "confirm" else "step",
            verdict=Verdict(data["verdict"]),
            detail=str(data.get("detail", "")),
            duration_s=float(data.get("duration_s", 0.0)),
            finished_at=str(data.get("finished_at", "")),
            cached=True,
        )


def cache_path(state_dir: Path, component: str, good: str, bad: str) -> Path:
    return state_dir / f"bisect-{component}-{good[:12]}-{bad[:12]}.json"


class StepCache:
    """The on-disk record of one bisect range; one section per scenario.

    Written after every step with a temporary file and `os.replace`, so a kill at any moment
    leaves either the old or the new record, never half of one.
    """

    def __init__(self, path: Path, *, component: str, scenario: str, commits: Sequence[str]) -> None:
        self.path = path
        self.component = component
        self.scenario = scenario
        self.commits = tuple(commits)
        self._doc = self._load()

    def _load(self) -> dict[str, Any]:
        fresh: dict[str, Any] = {
            "version": CACHE_VERSION,
            "component": self.component,
            "good": self.commits[0],
            "bad": self.commits[-1],
            "commits": list(self.commits),
            "scenarios": {},
        }
        if not self.path.exists():
            return fresh
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"the bisect state file cannot be read: {exc}",
                path=self.path,
                hint="delete it to start this bisect over",
            ) from exc
        if not isinstance(doc, dict) or doc.get("version") != CACHE_VERSION:
            raise ConfigError(
                "the bisect state file has an unknown format",
                path=self.path,
                hint="delete it to start this bisect over",
            )
        if list(doc.get("commits", [])) != list(self.commits):
            # The same endpoints with another list: upstream history was rewritten; old verdicts are void.
            log.warning("%s: the commit list changed since the last bisect; starting over", self.path)
            return fresh
        return doc

    def steps(self) -> list[Step]:
        section = self._doc["scenarios"].get(self.scenario, {})
        return [Step.from_json(item) for item in section.get("steps", [])]

    def record(self, step: Step) -> None:
        section = self._doc["scenarios"].setdefault(self.scenario, {"steps": []})
        section["steps"].append(step.to_json())
        write_json_atomically(self.path, self._doc, indent=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class BisectResult:
    """The answer: the first bad commit (or the skipped set it hides in), and what it cost."""

    component: str
    scenario: str
    commits: tuple[str, ...]
    """good, then every commit up to bad, oldest first."""
    culprit: str | None
    suspects: tuple[str, ...] = ()
    """When skipped commits hide the answer: the first bad commit is one of these."""
    confirmation: Step | None = None
    steps: tuple[Step, ...] = ()
    wall_s: float = 0.0
    """Time this invocation took."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def range_size(self) -> int:
        """Commits that may be the first bad one: good excluded, bad included."""
        return len(self.commits) - 1

    @property
    def bisect_steps(self) -> int:
        return sum(1 for s in self.steps if s.kind == "step")

    @property
    def new_steps(self) -> int:
        return sum(1 for s in self.steps if not s.cached)

    @property
    def time_spent_s(self) -> float:
        """Time of every step, those of earlier interrupted invocations included."""
        return sum(s.duration_s for s in self.steps)

    @property
    def is_confirmed(self) -> bool:
        return self.confirmation is not None and self.confirmation.verdict is Verdict.GOOD

    def to_json(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "scenario": self.scenario,
            "good": self.commits[0],
            "bad": self.commits[-1],
            "range_size": self.range_size,
            "culprit": self.culprit,
            "suspects": list(self.suspects),
            "confirmed": self.is_confirmed,
            "steps": [s.to_json() | {"cached": s.cached} for s in self.steps],
            "time_spent_s": round(self.time_spent_s, 3),
            "wall_s": round(self.wall_s, 3),
            "notes": list(self.notes),
        }


def next_index(commits: Sequence[str], verdicts: dict[str, Verdict]) -> tuple[int, int, int | None]:
    """Pure: (last good index, first bad index, next index to test or None when done).

    The first bad index is the lowest known bad (the bad endpoint if none); the last good is the
    highest known good below it. Among the untested, unskipped commits strictly between them, the
    one nearest the middle is next (a skipped middle moves to its nearest neighbour, as git bisect).
    """
    hi = len(commits) - 1
    for index, sha in enumerate(commits[1:-1], start=1):
        if verdicts.get(sha) is Verdict.BAD:
            hi = index
            break
    lo = 0
    for index in range(hi - 1, 0, -1):
        if verdicts.get(commits[index]) is Verdict.GOOD:
            lo = index
            break
    open_indexes = [i for i in range(lo + 1, hi) if commits[i] not in verdicts]
    if not open_indexes:
        return lo, hi, None
    middle = (lo + hi) / 2
    return lo, hi, min(open_indexes, key=lambda i: (abs(i - middle), i))


def run_bisect(
    commits: Sequence[str],
    *,
    component: str,
    scenario: str,
    runner: StepRunner,
    cache: StepCache,
    confirm: bool = True,
    clock: Callable[[], float] = time.monotonic,
    on_step: Callable[[Step, int, int], None] | None = None,
) -> BisectResult:
    """Bisect `commits` (good first, bad last) for `scenario`; every step lands in `cache` before the next.

    `on_step(step, remaining_lo, remaining_hi)` is told about every step (cached ones included) for
    progress output.
    """
    if len(commits) < 2:
        raise ConfigError(
            "a bisect needs a good and a later bad commit",
            hint="check --good and --bad: the bad commit must come after the good one",
        )
    started = clock()
    tell = on_step or _told_nobody
    steps = cache.steps()
    confirmation = next((s for s in steps if s.kind == "confirm"), None)
    _replay(commits, steps, tell)
    lo, hi, verdicts = _narrow(commits, steps, runner=runner, cache=cache, clock=clock, tell=tell)
    result = BisectResult(
        component=component, scenario=scenario, commits=tuple(commits), culprit=None, steps=tuple(steps)
    )
    hidden = tuple(commits[i] for i in range(lo + 1, hi) if verdicts.get(commits[i]) is Verdict.SKIP)
    if hidden:
        note = (
            f"{len(hidden)} commit(s) between the last good and the first bad commit could not be"
            " tested (they do not build): the first bad commit is one of the suspects"
        )
        return replace(result, suspects=(*hidden, commits[hi]), wall_s=clock() - started, notes=(note,))
    parent = commits[hi - 1]
    if confirm and (confirmation is None or confirmation.sha != parent):
        confirmation = _run_step(runner, parent, "confirm", clock)
        cache.record(confirmation)
        steps.append(confirmation)
        tell(confirmation, lo, hi)
    return replace(
        result,
        culprit=commits[hi],
        confirmation=confirmation,
        steps=tuple(steps),
        wall_s=clock() - started,
        notes=_confirmation_notes(confirmation, parent),
    )


def _told_nobody(step: Step, lo: int, hi: int) -> None:
    """The progress callback when nobody listens."""


def _replay(commits: Sequence[str], steps: Sequence[Step], tell: Callable[[Step, int, int], None]) -> None:
    """Tell about the cached steps as they narrowed the range then."""
    replayed: dict[str, Verdict] = {}
    for step in steps:
        if step.kind == "step":
            replayed[step.sha] = step.verdict
        tell(step, *next_index(commits, replayed)[:2])


def _narrow(
    commits: Sequence[str],
    steps: list[Step],
    *,
    runner: StepRunner,
    cache: StepCache,
    clock: Callable[[], float],
    tell: Callable[[Step, int, int], None],
) -> tuple[int, int, dict[str, Verdict]]:
    """Test the next commit until none is left, appending to `steps`; (last good, first bad, verdicts)."""
    verdicts = {s.sha: s.verdict for s in steps if s.kind == "step"}
    while True:
        lo, hi, index = next_index(commits, verdicts)
        if index is None:
            return lo, hi, verdicts
        step = _run_step(runner, commits[index], "step", clock)
        cache.record(step)
        steps.append(step)
        verdicts[step.sha] = step.verdict
        tell(step, *next_index(commits, verdicts)[:2])


def _confirmation_notes(confirmation: Step | None, parent: str) -> tuple[str, ...]:
    if confirmation is not None and confirmation.verdict is Verdict.BAD:
        return (
            f"the culprit's parent {parent[:12]} failed when run once more: the failure is flaky or"
            " comes from outside this component; raise --retries or check the environment",
        )
    if confirmation is not None and confirmation.verdict is Verdict.SKIP:
        return (f"the culprit's parent {parent[:12]} could not be run again: the culprit is unconfirmed",)
    return ()


def _run_step(runner: StepRunner, sha: str, kind: StepKind, clock: Callable[[], float]) -> Step:
    log.info("bisect %s: testing %s", kind, sha)
    started = clock()
    outcome = runner.run(sha)
    return Step(
        sha=sha,
        kind=kind,
        verdict=outcome.verdict,
        detail=outcome.detail,
        duration_s=clock() - started,
        finished_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


# -- the commit list, from git ---------------------------------------------------------------------


def commits_between(
    git: gitrepo.Git, good: str, bad: str, *, default_branch: str = "main"
) -> tuple[str, ...]:
    """Full SHAs `good, ..., bad`, oldest first, along the first-parent line (merges are the unit tested).

    As `git bisect --first-parent`: a pull request merged into the branch is one step, and the
    culprit is the merge commit that brought it in (its compare URL lists the PR's commits).

    Fetches what is missing from the cached clone. A good commit that is not an ancestor of the bad
    one is bad input, reported with both SHAs.
    """
    from pytest_streamstress.history.culprits import fetch_history, has_commit

    gitrepo.ensure_clone(git)
    fetch_history(git, (good, bad), default_branch=default_branch)
    for option, sha in (("--good", good), ("--bad", bad)):
        if not has_commit(git, sha):
            raise ConfigError(
                f"{option} {sha}: no such commit in {git.redactor(git.url)}",
                hint="give a commit of the component's repository (full or unambiguous short SHA)",
            )
    good_full = git.run("rev-parse", f"{good}^{{commit}}", what=f"resolving {good}").stdout.strip()
    bad_full = git.run("rev-parse", f"{bad}^{{commit}}", what=f"resolving {bad}").stdout.strip()
    if good_full == bad_full:
        raise ConfigError(
            f"--good and --bad are the same commit {good_full[:12]}",
            hint="give the last commit known to pass and the first known to fail",
        )
    if not git.run(
        "merge-base", "--is-ancestor", good_full, bad_full, what="ordering the endpoints", check=False
    ).ok:
        raise ConfigError(
            f"--good {good_full[:12]} is not an ancestor of --bad {bad_full[:12]}",
            hint="swap them if you mixed them up; bisect walks from an older good to a newer bad",
        )
    out = git.run(
        "rev-list",
        "--reverse",
        "--first-parent",
        f"{good_full}..{bad_full}",
        what=f"listing {good_full[:12]}..{bad_full[:12]}",
    ).stdout
    listed = [line.strip() for line in out.splitlines() if line.strip()]
    return (good_full, *listed)


def describe_steps(steps: Iterable[Step]) -> list[str]:
    """One line per step for the report."""
    lines = []
    for number, step in enumerate(steps, start=1):
        origin = " (cached)" if step.cached else ""
        what = "confirm parent" if step.kind == "confirm" else "step"
        detail = f": {step.detail}" if step.detail else ""
        lines.append(
            f"{number:>3}. {what} {step.sha[:12]} {step.verdict.value}{origin}"
            f" in {step.duration_s:.1f}s{detail}"
        )
    return lines
