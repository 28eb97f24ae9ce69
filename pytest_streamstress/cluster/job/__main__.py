"""`python -m pytest_streamstress.cluster.job RESULTS_DIR -- PYTEST_ARGS`: the Job's entry point.

The Containerfile's ENTRYPOINT and `manifest.DEFAULT_COMMAND` run this; the work is in `entry.py`.
"""

from __future__ import annotations

import sys

from pytest_streamstress.cluster.job.entry import entry

if __name__ == "__main__":
    # A pod's stdout is a pipe, so Python buffers it by blocks: with a `--job-image` that does not set
    # PYTHONUNBUFFERED (ours does), `streamstress logs -f` showed the run's lines minutes late.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure):
            reconfigure(line_buffering=True)
    sys.exit(entry(sys.argv[1:]))
