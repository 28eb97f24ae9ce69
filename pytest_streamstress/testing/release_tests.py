"""Where this project's tests find the real release-tests specs, and how they say so when they cannot.

Tests that parse or run the real suite read it from `$STREAMSTRESS_RELEASE_TESTS` or from
`../shared/fixtures/release-tests` beside the checkout, and skip with one reason that says how to get
it; the suite's conftest counts those skips in the summary, so a fresh clone sees what it missed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import pytest

ENV: Final = "STREAMSTRESS_RELEASE_TESTS"
HOW_TO_GET: Final = (
    "needs the release-tests specs: set STREAMSTRESS_RELEASE_TESTS to a checkout of"
    " openshift-pipelines/release-tests (git clone https://github.com/openshift-pipelines/release-tests)"
)


def release_tests_dir(repo: Path) -> Path:
    """`$STREAMSTRESS_RELEASE_TESTS`, else `<repo>/../shared/fixtures/release-tests`."""
    return Path(os.environ.get(ENV) or repo.parent / "shared" / "fixtures" / "release-tests")


def needs_release_tests(path: Path) -> pytest.MarkDecorator:
    """Skip unless `path` holds a Gauge project (manifest.json), with the reason that says how to get one."""
    return pytest.mark.skipif(
        not (path / "manifest.json").is_file(), reason=f"{HOW_TO_GET}; looked in {path}"
    )
