"""`ci.decide`: the next CI step from the newest Job alone, and the job summaries it writes."""

from __future__ import annotations

import pytest

from pytest_streamstress.cli.ci_plan import (
    Action,
    JobView,
    PublishedView,
    decide,
    in_progress_summary,
    launched_summary,
    published_summary,
)


def job(phase: str, **extra: str) -> JobView:
    return JobView(namespace="openshift-pipelines", name="streamstress-1700000000", phase=phase, **extra)


@pytest.mark.parametrize(
    ("newest", "action", "reason"),
    [
        (None, Action.LAUNCH, "no streamstress Job in the namespace"),
        (job("Pending"), Action.WAIT, "is pending"),
        (job("Running"), Action.WAIT, "is running"),
        (
            job("Failed", message="DeadlineExceeded: too long"),
            Action.LAUNCH,
            "failed (DeadlineExceeded: too long)",
        ),
        (job("Succeeded"), Action.COLLECT, "succeeded"),
        (job("Succeeded", published="0123456789ab"), Action.LAUNCH, "already published"),
        (job("Weird"), Action.WAIT, "unknown phase 'Weird'"),
    ],
    ids=["no-job", "pending", "running", "failed", "succeeded", "published", "unknown-phase"],
)
def test_decide_maps_the_newest_job_to_the_next_step(
    newest: JobView | None, action: Action, reason: str
) -> None:
    decision = decide(newest)
    assert decision.action is action
    assert reason in decision.reason
    assert decision.job == newest


def test_launched_summary_names_the_job_and_the_logs_command() -> None:
    text = launched_summary("ns", "streamstress-5", "no streamstress Job in the namespace")
    assert text.startswith("## streamstress: Job launched\n")
    assert "streamstress logs -f --namespace ns streamstress-5" in text


def test_in_progress_summary_shows_the_pod_and_its_phase() -> None:
    text = in_progress_summary(job("Running", pod="streamstress-1700000000-abcde", pod_phase="Running"))
    assert "## streamstress: in progress" in text
    assert "pod `streamstress-1700000000-abcde`: Running" in text


def test_published_summary_has_counts_by_category_and_the_dashboard_link() -> None:
    view = PublishedView(
        run_id="run-1",
        counts=[("total", 7), ("failed", 4)],
        categories=[("config-gap", 2), ("upstream-regression", 2)],
        pages_url="https://org.github.io/repo/",
        commit="abcdef0123456789",
    )
    text = published_summary(job("Succeeded"), view)
    assert "## streamstress: results published" in text
    assert "| config-gap | 2 |" in text and "| failed | 4 |" in text
    assert "[https://org.github.io/repo/](https://org.github.io/repo/)" in text
    assert "`abcdef012345`" in text


def test_published_summary_says_when_publish_was_skipped() -> None:
    view = PublishedView(run_id="run-1", counts=[], categories=[], skipped_reason="no --publish-repo")
    text = published_summary(job("Succeeded"), view)
    assert "results collected (publish skipped)" in text
    assert "Publish skipped: no --publish-repo." in text
    assert "No categorized failures." in text


def test_summary_text_from_the_cluster_cannot_inject_markdown_or_html() -> None:
    text = launched_summary("ns", "j", "the last Job ns/j failed (<script>|x)")
    assert "<script>" not in text and "&lt;script&gt;\\|x" in text


def test_a_sharded_job_that_lost_shards_is_still_collected_and_published_once() -> None:
    failed = JobView(
        namespace="ns", name="streamstress-1", phase="Failed", message="FailedIndexes", sharded=True
    )
    published = JobView(
        namespace="ns", name="streamstress-1", phase="Failed", sharded=True, published="0123456789ab"
    )

    assert decide(failed).action is Action.COLLECT
    assert "lost shards" in decide(failed).reason
    assert decide(published).action is Action.LAUNCH
