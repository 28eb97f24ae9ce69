"""Ctrl-C, SIGTERM and SIGHUP at many points of a run: the invariants hold at every one (issue 19).

A seeded sweep: one calibration run counts the output lines of a whole emulated run (build, deploy,
gauge with live output); then each point of the sweep is a fresh run that gets a stop signal when
its k-th line appears, k and the signal drawn from `random.Random(SEED)`, half of them before the
deploy ended and half in the tests. Lines, not times, choose
the points, so a point is reproducible in intent (STREAMSTRESS_SWEEP_SEED / _POINTS widen the sweep
locally). Whatever the instant:

- the session ends with pytest's interrupted code, having said which signal stopped it, and either
  took the interrupted path (results.json `interrupted` with the signal) or, when the signal came
  during the cleanup, finished the cleanup;
- results.json parses and validates against the shipped schema, and says the cluster was emulated;
- a restore record, once written, has been restored;
- no process the run started is left, and no `streamstress-auth-*` directory.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
import pytest

from pytest_streamstress.report.results_json import load_schema

if TYPE_CHECKING:
    from conftest import SessionRunner, Stopped

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

SEED = int(os.environ.get("STREAMSTRESS_SWEEP_SEED", "19"))
POINTS = int(os.environ.get("STREAMSTRESS_SWEEP_POINTS", "8"))
SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
RUN = ("--components", "pipeline", "--fail-on", "none", "--restore", "-s")
SCENARIOS = """\
[[scenario]]
match = "DEMO-03-TC01"
status = "pass"
sleep_s = 1.0

[[scenario]]
match = "DEMO-05-TC02"
status = "pass"
sleep_s = 1.0
"""


@dataclass(frozen=True)
class Point:
    line: int
    signal: str

    def __str__(self) -> str:
        return f"{self.signal} at line {self.line} (seed {SEED})"


def _nth_line(n: int) -> Callable[[str], bool]:
    seen = [0]

    def predicate(_line: str) -> bool:
        seen[0] += 1
        return seen[0] == n

    return predicate


def _env(session_runner: SessionRunner, tmp_path: Path) -> dict[str, str]:
    outcomes = tmp_path / "outcomes.toml"
    outcomes.write_text(SCENARIOS, encoding="utf-8")
    return session_runner.env(
        GAUGE_STANDIN_OUTCOMES=str(outcomes),
        STREAMSTRESS_EMULATOR_FAULTS=json.dumps({"slow_operator_s": 0.5}),
        PYTHONUNBUFFERED="1",  # a line arrives when it is written: the point is where the run is
    )


def _points(deployed: int, summary: int) -> list[Point]:
    """Half the points before the deploy ended (start-up, setup, build, deploy), half in the tests."""
    rng = random.Random(SEED)
    spans = ((1, deployed), (deployed + 1, summary - 1))
    return [Point(rng.randint(*spans[number % 2]), rng.choice(SIGNALS)) for number in range(POINTS)]


def _check(point: Point, stopped: Stopped, runner: SessionRunner) -> None:
    where = f"{point}:\n{stopped.output[-4000:]}"
    assert stopped.sent == [point.signal], where
    assert stopped.returncode == pytest.ExitCode.INTERRUPTED, where
    document = stopped.results()
    schema = jsonschema.Draft202012Validator(load_schema(), format_checker=jsonschema.FormatChecker())
    schema.validate(document)
    assert document["emulated"] is True, where
    took_the_interrupted_path = f"streamstress: {point.signal}: stopping" in stopped.output
    cleaned_up_after_it = f"streamstress: {point.signal} during the cleanup" in stopped.output
    assert took_the_interrupted_path != cleaned_up_after_it, where
    if took_the_interrupted_path:
        assert (document["status"], document.get("signal")) == ("interrupted", point.signal), where
    assert not (stopped.results_dir / "restore.json").exists(), f"a restore record was left: {where}"
    assert runner.stray_processes() == [], where
    assert runner.auth_dirs() == [], where


def test_a_stop_signal_at_any_point_of_a_run_leaves_everything_as_it_should_be(
    session_runner: SessionRunner, tmp_path: Path
) -> None:
    env = _env(session_runner, tmp_path)
    calibration = session_runner.run(RUN, env=env, results_dir=tmp_path / "calibration")
    assert calibration.returncode == pytest.ExitCode.OK, calibration.output[-3000:]
    lines = calibration.output.splitlines()
    deployed = next(i for i, line in enumerate(lines) if "streamstress: deploy: deployed" in line)
    summary = next(i for i, line in enumerate(lines) if "streamstress summary" in line)

    for number, point in enumerate(_points(deployed, summary)):
        stopped = session_runner.run(
            RUN, signals=[(_nth_line(point.line), point.signal)], env=env, results_dir=tmp_path / f"r{number}"
        )
        _check(point, stopped, session_runner)
