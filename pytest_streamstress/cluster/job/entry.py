"""Inside the Job's pod: run pytest, then print the results archive (`python -m ...cluster.job`).

`__main__.py` calls `entry`; the Containerfile's ENTRYPOINT and `manifest.DEFAULT_COMMAND` name
the package, so the command line the image runs did not change when job.py became a package.

A deleted pod gets SIGTERM, then SIGKILL after its grace period (issue 19). While pytest runs, the
session's own handlers take it (gauge ended, --restore, results.json `interrupted`, exit code 2).
Around pytest this entry point holds SIGTERM and SIGHUP itself: one that comes before pytest starts
stops the run before it begins, and one that comes while the archive is printed must not cut the
archive in two (`collect` would find no results): it is printed whole, and pytest's code stands.
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Final

from pytest_streamstress.cluster.job.archive import EXIT_MARKER, emit_archive
from pytest_streamstress.cluster.job.kubeconfig import write_incluster_kubeconfig


def entry(
    argv: Sequence[str], *, out: IO[str] | None = None, run_pytest: Callable[[list[str]], int] | None = None
) -> int:
    """`python -m pytest_streamstress.cluster.job RESULTS_DIR -- PYTEST_ARGS`.

    Exit 0 when pytest ran the suite (all passed, or some scenarios failed: both are a finished run
    whose results must be collected and published); pytest's own code for anything else (usage
    error, internal error, interrupted), so the Job is Failed and `ci` starts a new run.
    """
    out = sys.stdout if out is None else out
    args = list(argv)
    if len(args) < 2 or args[1] != "--":
        out.write("usage: python -m pytest_streamstress.cluster.job RESULTS_DIR -- PYTEST_ARGS...\n")
        return 2
    results_dir, pytest_args = Path(args[0]), args[2:]
    if run_pytest is None:
        import pytest

        def run_pytest(arguments: list[str]) -> int:
            return int(pytest.main(arguments))

    with _held_signals() as held:
        _write_kubeconfig(out)
        if held:
            out.write(f"streamstress job: {held[0]} before pytest started; not running\n")
            return INTERRUPTED
        _write_builds(out)
        out.write(f"streamstress job: pytest {shlex.join(pytest_args)}\n")
        out.flush()
        code = run_pytest(pytest_args)  # the session installs its own handlers while it runs
        out.write(f"{EXIT_MARKER} {code} ====\n")
        emit_archive(results_dir, out)  # whole, even if SIGTERM comes now: the grace period covers it
    return 0 if code in (0, 1) else code


def _write_builds(out: IO[str]) -> None:
    """The launcher's builds, with their commits, where `--images-from` reads them (manifest.BUILDS_ENV)."""
    import os

    from pytest_streamstress.cluster.job.manifest import BUILDS_ENV, POD_BUILDS_FILE

    builds = os.environ.get(BUILDS_ENV)
    if builds:
        Path(POD_BUILDS_FILE).write_text(builds, encoding="utf-8")
        out.write(f"streamstress job: wrote {POD_BUILDS_FILE} (the launcher's builds and their commits)\n")


def _write_kubeconfig(out: IO[str]) -> None:
    import os

    kubeconfig = Path.home() / ".kube" / "config"
    if (
        not os.environ.get("KUBECONFIG")
        and not kubeconfig.exists()
        and write_incluster_kubeconfig(kubeconfig, os.environ)
    ):
        out.write(f"streamstress job: wrote {kubeconfig} for the ServiceAccount (token file, not copied)\n")


INTERRUPTED: Final = 2
"""pytest's ExitCode.INTERRUPTED, without importing pytest before it is needed."""
HELD_SIGNALS: Final = ("SIGTERM", "SIGHUP")


@contextlib.contextmanager
def _held_signals() -> Iterator[list[str]]:
    """Note SIGTERM/SIGHUP instead of dying on them, outside pytest's own handling; yields the names."""
    held: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return
    previous = {}
    for name in HELD_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is not None:
            previous[signum] = signal.signal(
                signum, lambda number, _frame: held.append(signal.Signals(number).name)
            )
    try:
        yield held
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
