"""`python -m pytest_streamstress.cluster.job RESULTS_DIR -- PYTEST_ARGS`: the Job's entry point.

The Containerfile's ENTRYPOINT and `manifest.DEFAULT_COMMAND` run this; the work is in `entry.py`.
"""

from __future__ import annotations

import sys

from pytest_streamstress.cluster.job.entry import entry

if __name__ == "__main__":
    sys.exit(entry(sys.argv[1:]))
