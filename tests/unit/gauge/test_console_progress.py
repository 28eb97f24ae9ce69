"""Where a running gauge process is, read from its streamed simple console (issue 22: the heartbeat)."""

from __future__ import annotations

from pytest_streamstress.gauge.console import ConsoleProgress

HEADINGS = ("Run sample pipeline: DEMO-03-TC01", "Pipelinerun with finally tasks: DEMO-03-TC02", "Third")


def feed(progress: ConsoleProgress, text: str) -> None:
    for line in text.splitlines():
        progress.feed(line)


def test_before_the_first_scenario_it_says_it_is_starting() -> None:
    progress = ConsoleProgress(HEADINGS)
    feed(progress, "# Pipelines run\n  runner output\n")
    assert progress.describe() == "starting (3 scenario(s))"


def test_it_names_the_current_scenario_and_its_place() -> None:
    progress = ConsoleProgress(HEADINGS)
    feed(
        progress,
        "# Pipelines run\n"
        "  ## Run sample pipeline: DEMO-03-TC01\t 2024/01/01 runner text on the heading line\n"
        "      * Create pipeline\n"
        "  ## Pipelinerun with finally tasks: DEMO-03-TC02\n"
        "  ## Not a heading we selected\n",
    )
    assert progress.describe() == 'scenario 2/3 "Pipelinerun with finally tasks: DEMO-03-TC02"'


def test_retries_never_count_past_the_total() -> None:
    progress = ConsoleProgress(HEADINGS[:1])
    feed(progress, "  ## Run sample pipeline: DEMO-03-TC01\n" * 3)
    assert progress.describe() == 'scenario 1/1 "Run sample pipeline: DEMO-03-TC01"'
