"""A stop signal can land on an instruction without a line number; the interrupt still ends cleanly.

Python 3.11 reports `tb_lineno = None` for such an instruction and pytest's rendering of the
KeyboardInterrupt subtracted 1 from it: `TypeError: unsupported operand type(s) for -: 'NoneType'
and 'int'` from a hook, exit code 1 instead of 2 (issue 19, seen under load). The traceback below
is built the way the interpreter builds one there.
"""

from __future__ import annotations

import json
import sys
import types

import pytest

from pytest_streamstress.run.signals import drop_lineless_entries

LINELESS_TEST = """
import sys, types

def test_interrupted_on_an_instruction_without_a_line():
    lineless = types.TracebackType(None, sys._getframe(), 10_000, -1)
    assert lineless.tb_lineno is None
    raise KeyboardInterrupt("SIGTERM").with_traceback(lineless)
"""

WITH_STOP_SIGNALS = """
from pytest_streamstress.run.signals import StopSignals

def pytest_configure(config):
    config.pluginmanager.register(StopSignals(config, bound=30.0), "streamstress-signals")
"""


def _lineless() -> types.TracebackType:
    return types.TracebackType(None, sys._getframe(), 10_000, -1)


def test_pytest_alone_crashes_on_such_an_interrupt(pytester: pytest.Pytester) -> None:
    """The failure this guards against, so the next test proves something."""
    pytester.makepyfile(LINELESS_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != pytest.ExitCode.INTERRUPTED
    assert (
        "unsupported operand type(s) for -: 'NoneType' and 'int'" in result.stderr.str() + result.stdout.str()
    )


def test_the_stop_signal_plugin_makes_it_an_ordinary_interrupt(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(LINELESS_TEST)
    pytester.makeconftest(WITH_STOP_SIGNALS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*SIGTERM*"])
    assert "TypeError" not in result.stderr.str() + result.stdout.str()


def test_lineless_entries_are_dropped_from_the_exception_and_its_context() -> None:
    try:
        try:
            raise ValueError("first").with_traceback(_lineless())
        except ValueError:
            raise KeyboardInterrupt("SIGHUP").with_traceback(_lineless()) from None
    except KeyboardInterrupt as exc:
        interrupt = exc
    assert interrupt.__context__ is not None

    drop_lineless_entries(interrupt)

    for exc in (interrupt, interrupt.__context__):
        tb = exc.__traceback__
        while tb is not None:
            assert tb.tb_lineno is not None
            tb = tb.tb_next


def test_a_signal_during_session_start_still_writes_an_interrupted_results_json(
    pytester: pytest.Pytester,
) -> None:
    """pytest skips sessionfinish (where the Recorder writes) when session start is interrupted."""
    pytester.makeconftest(
        """
        import os, signal

        def pytest_sessionstart(session):
            os.kill(os.getpid(), signal.SIGTERM)
        """
    )
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--streamstress",
        "--cluster",
        "emulated",
        "--skip-build",
        "--skip-deploy",
        "--no-auto-setup",
        timeout=120,
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    document = json.loads((pytester.path / "results" / "results.json").read_text(encoding="utf-8"))
    assert (document["status"], document["signal"], document["emulated"]) == ("interrupted", "SIGTERM", True)
