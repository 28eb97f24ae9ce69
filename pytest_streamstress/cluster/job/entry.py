"""Inside the Job's pod: run pytest, then print the results archive (`python -m ...cluster.job`).

`__main__.py` calls `entry`; the Containerfile's ENTRYPOINT and `manifest.DEFAULT_COMMAND` name
the package, so the command line the image runs did not change when job.py became a package.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

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

    import os

    kubeconfig = Path.home() / ".kube" / "config"
    if (
        not os.environ.get("KUBECONFIG")
        and not kubeconfig.exists()
        and write_incluster_kubeconfig(kubeconfig, os.environ)
    ):
        out.write(f"streamstress job: wrote {kubeconfig} for the ServiceAccount (token file, not copied)\n")
    out.write(f"streamstress job: pytest {shlex.join(pytest_args)}\n")
    out.flush()
    code = run_pytest(pytest_args)
    out.write(f"{EXIT_MARKER} {code} ====\n")
    emit_archive(results_dir, out)
    return 0 if code in (0, 1) else code
