"""pytest's own early stop (-x, --maxfail) is an incomplete run, not a pass and not a Ctrl-C.

Before, `-x --fail-on none` wrote `"status": "passed"` and exited 0 after 2 of 4 scenarios, and
under `-n 2` the run read "INTERRUPTED by Ctrl-C" although nobody pressed a key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import OfflineSession

pytestmark = pytest.mark.tools


def _spec(name: str, count: int) -> str:
    scenarios = "\n".join(
        f'## {name} {i}: PIPELINES-93-TC{name}{i}\nTags: e2e\n* Create "{name}{i}.yaml"\n'
        for i in range(1, count + 1)
    )
    return f"# Spec {name}\n\n{scenarios}"


def test_x_on_one_process_is_incomplete_and_names_what_did_not_run(
    gauge_project: Callable[..., Path], offline_session: OfflineSession
) -> None:
    outcomes = '[[scenario]]\nmatch = "a 2"\nstatus = "fail"\nmessage = "secrets \\"git\\" not found"\n'
    root = gauge_project({"a.spec": _spec("a", 3), "b.spec": _spec("b", 1)}, outcomes=outcomes)
    result, document = offline_session(root, "-x")
    reason = (
        "pytest stopped the session early (stopping after 1 failures): 2 of 4 scenarios did not run,"
        " so the run is not scored"
    )
    assert document["status"] == "incomplete"
    assert document["verdict"]["reasons"] == [reason]
    assert not document["verdict"]["scored"]
    assert [s["status"] for s in document["scenarios"]] == ["passed", "failed"]
    assert result.ret == 1, "--fail-on none is about test verdicts: 2 scenarios never ran"
    result.stdout.fnmatch_lines([f"verdict: INCOMPLETE: {reason}, whatever --fail-on says; exit 1"])


def test_x_under_xdist_is_incomplete_not_an_interruption(
    gauge_project: Callable[..., Path], offline_session: OfflineSession
) -> None:
    # loadfile sends each worker two specs at the start: "a" and "c" to one, "b" and "d" to the other;
    # "e" waits until a worker runs low, which the slow b and d keep from happening before "a" fails.
    # The worker that ran "a" obeys -x itself and never starts "c".
    outcomes = (
        '[[scenario]]\nmatch = "^a "\nstatus = "fail"\nmessage = "secrets \\"git\\" not found"\n'
        '[[scenario]]\nmatch = "^[bcd] "\nstatus = "pass"\nsleep_s = 5\n'
    )
    root = gauge_project({f"{n}.spec": _spec(n, 1) for n in "abcde"}, outcomes=outcomes)
    result, document = offline_session(root, "-x", "-n", "2")
    assert document["status"] == "incomplete", document["verdict"]
    assert document["verdict"]["reasons"] == [
        "pytest stopped the session early (stopping after 1 failures): 2 of 5 scenarios did not run,"
        " so the run is not scored"
    ]
    assert sorted(s["scenario"][0] for s in document["scenarios"]) == ["a", "b", "d"]
    assert result.ret == 1
    assert "Ctrl-C" not in result.stdout.str()
