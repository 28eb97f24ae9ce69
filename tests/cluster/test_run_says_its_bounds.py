"""A failed run names the option of the wait that gave up, and results.json still says which cluster it used.

Issue 19: with the operator never Ready the wait used to be --setup-timeout (600 s) while
--deploy-timeout was ignored, and a failed deploy on the emulated cluster wrote `emulated: false`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import SessionRunner

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def test_an_operator_never_ready_is_bounded_by_the_deploy_timeout_and_results_say_emulated(
    session_runner: SessionRunner,
) -> None:
    env = session_runner.env(STREAMSTRESS_EMULATOR_FAULTS=json.dumps({"operator_never_ready": True}))
    done = session_runner.run(
        ["--components", "pipeline", "--deploy-timeout", "3", "--setup-timeout", "600"], env=env
    )
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.output[-3000:]
    assert "deploy did not finish within 3s (--deploy-timeout)" in done.output
    assert "auto-setup not complete" not in done.output
    document = done.results()
    assert document["status"] == "error"
    assert document["emulated"] is True
    assert document["cluster"]["kind"] == "emulated"
    assert document["cluster"]["server"].startswith("https://127.0.0.1:")
    assert document["deploy"]["status"] == "failed"
    assert any("(--deploy-timeout)" in error["message"] for error in document["errors"])
