"""report/changes.subject_of: which run the morning page is about when reruns follow the nightly."""

from __future__ import annotations

import pytest

from pytest_streamstress.history.store import RunSummary
from pytest_streamstress.report.changes import subject_of

NIGHTLY = ("", 45)
RERUN = ("-k TC02", 1)
TAGGED = ("--gauge-tags e2e", 30)
MARKED = ("-m 'not flaky'", 43)
BIG_LF = ("--lf", 30)
"""--lf after a nightly where two thirds failed: most of the suite, so not a rerun."""


def runs(*selections: tuple[str, int]) -> list[RunSummary]:
    return [
        RunSummary(
            run_id=f"run-{i:02d}",
            label="nightly",
            started_at=f"2026-12-{i + 1:02d}T02:00:00Z",
            finished_at=f"2026-12-{i + 1:02d}T03:00:00Z",
            duration_s=3600.0,
            status="passed",
            emulated=False,
            counts=(("total", total),),
            categories=(),
            components=(),
            errors=0,
            selection=words,
        )
        for i, (words, total) in enumerate(selections)
    ]


@pytest.mark.parametrize(
    ("selections", "subject"),
    [
        pytest.param([], -1, id="no-runs"),
        pytest.param([NIGHTLY], 0, id="one-nightly"),
        pytest.param([NIGHTLY, RERUN], 0, id="a-rerun-after-the-nightly"),
        pytest.param([NIGHTLY, RERUN, RERUN], 0, id="two-reruns"),
        pytest.param([NIGHTLY, RERUN, NIGHTLY], 2, id="the-next-nightly"),
        pytest.param([TAGGED, TAGGED, RERUN], 1, id="gauge-tags-choose-a-suite"),
        pytest.param([RERUN, RERUN], 1, id="every-run-a-rerun"),
        # A nightly that itself passes -m is asked the usual way, not a rerun of itself.
        pytest.param([MARKED] * 5 + [RERUN], 4, id="a-marked-nightly"),
        pytest.param([NIGHTLY] * 3 + [MARKED] + [RERUN], 3, id="switching-the-nightly-to--m"),
        pytest.param([NIGHTLY, BIG_LF], 1, id="a-large---lf"),
        pytest.param([NIGHTLY, ("--lf", 12)], 0, id="a-small---lf"),
    ],
)
def test_the_page_is_about_the_newest_run_that_is_not_a_small_narrowed_rerun(
    selections: list[tuple[str, int]], subject: int
) -> None:
    assert subject_of(runs(*selections)) == subject
