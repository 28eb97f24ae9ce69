"""pytest's own early stop (-x, --maxfail) is told apart from Ctrl-C and from a stop signal."""

from __future__ import annotations

import pytest
from xdist.dsession import Interrupted as XdistInterrupted

from pytest_streamstress.run.interrupted import early_stop

SAYS = "stopping after 1 failures"


@pytest.mark.parametrize(
    ("stop", "pytest_says", "signal", "expected"),
    [
        (pytest.Session.Failed(SAYS), SAYS, "", SAYS),  # -x on one process
        (pytest.Session.Interrupted("Test failed, continuing from here"), "Test failed", "", "Test failed"),
        (XdistInterrupted(SAYS), "", "", SAYS),  # -x under -n: the controller's own exception
        (XdistInterrupted("[gw0] node received keyboard-interrupt"), "", "", ""),  # Ctrl-C on a worker
        (KeyboardInterrupt(), "", "", ""),  # Ctrl-C
        (KeyboardInterrupt(), "", "SIGTERM", ""),  # a CI cancel
        (XdistInterrupted(SAYS), "", "SIGTERM", ""),  # a signal came first: it is the stop
        (pytest.Session.Interrupted("1 error during collection"), "", "", ""),  # not a stop in the loop
    ],
    ids=[
        "serial-x",
        "stepwise",
        "xdist-x",
        "worker-ctrl-c",
        "ctrl-c",
        "signal",
        "signal-first",
        "collection",
    ],
)
def test_only_pytest_ending_its_own_loop_is_an_early_stop(
    stop: BaseException, pytest_says: str, signal: str, expected: str
) -> None:
    assert early_stop(stop, pytest_says=pytest_says, signal=signal) == expected
