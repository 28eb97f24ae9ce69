"""The heartbeat's pure parts: when a line is due, what it says, and that it fits one line (issue 22)."""

from __future__ import annotations

import pytest

from pytest_streamstress._infra.heartbeat import ELLIPSIS, Heartbeat, Pace, seconds

LONG_STATE = "Deployment/tekton-pipelines-controller container x is registry.redhat.io/" + "a" * 400


def beat(lines: list[str], **kwargs: object) -> Heartbeat:
    options: dict[str, object] = {"what": "the operator", "bound": 600.0, "option": "--setup-timeout"}
    options["pace"] = Pace(every_s=30.0, width=120)
    options.update(kwargs)
    return Heartbeat(lines.append, **options)  # type: ignore[arg-type]  # the test's keyword overrides


def test_a_wait_shorter_than_ten_seconds_says_nothing() -> None:
    lines: list[str] = []
    heartbeat = beat(lines)
    for elapsed in (0.0, 5.0, 9.9):
        heartbeat(elapsed, "CSV phase Installing")
    assert lines == []


def test_a_long_wait_says_what_how_long_the_bound_and_the_option_every_thirty_seconds() -> None:
    lines: list[str] = []
    heartbeat = beat(lines, lead="auto-setup")
    for elapsed in (10.0, 20.0, 39.0, 40.0, 69.0, 70.0, 125.0):
        heartbeat(elapsed, "TektonConfig not Ready")
    tail = "of 10m00s (--setup-timeout) for the operator; last: TektonConfig not Ready"
    assert lines == [
        f"auto-setup: waiting 10s {tail}",
        f"auto-setup: waiting 40s {tail}",
        f"auto-setup: waiting 1m10s {tail}",
        f"auto-setup: waiting 2m05s {tail}",
    ]


def test_with_on_change_a_new_state_shows_at_once_and_an_old_one_repeats() -> None:
    lines: list[str] = []
    heartbeat = beat(lines, on_change=True, what="the operands", option="--deploy-timeout", bound=900.0)
    heartbeat(0.0, "pods pending")
    heartbeat(1.0, "pods pending")
    heartbeat(2.0, "TektonConfig not Ready")
    heartbeat(31.0, "TektonConfig not Ready")
    heartbeat(32.0, "TektonConfig not Ready")
    assert [line.split("; last: ")[1] for line in lines] == [
        "pods pending",
        "TektonConfig not Ready",
        "TektonConfig not Ready",
    ]


@pytest.mark.parametrize(
    ("width", "prefix"), [(80, 0), (120, 14), (200, 14)], ids=["80", "120-prefixed", "200"]
)
def test_a_long_state_is_cut_to_the_width_with_an_ellipsis(width: int, prefix: int) -> None:
    lines: list[str] = []
    heartbeat = beat(lines, pace=Pace(every_s=30.0, width=width, prefix_len=prefix))
    heartbeat(12.0, LONG_STATE + "\nsecond line")
    [line] = lines
    assert len(line) == width - prefix
    assert line.endswith(ELLIPSIS)
    assert "\n" not in line


def test_a_running_process_leads_with_itself_and_its_state() -> None:
    lines: list[str] = []
    heartbeat = beat(lines, what="gauge specs/a.spec", option="--gauge-timeout", bound=3600.0, running=True)
    heartbeat(75.0, 'scenario 3/7 "Run sample pipeline"')
    assert lines == [
        'gauge specs/a.spec: scenario 3/7 "Run sample pipeline", running 1m15s of 1h00m (--gauge-timeout)'
    ]


def test_the_interval_is_a_parameter_and_the_quiet_time_a_third_of_it() -> None:
    pace = Pace(every_s=0.6)
    assert pace.quiet_s == pytest.approx(0.2)
    assert pace.poll_s <= pace.quiet_s
    assert Pace().quiet_s == 10.0


@pytest.mark.parametrize(("value", "shown"), [(9.7, "9s"), (61, "1m01s"), (3599, "59m59s"), (7260, "2h01m")])
def test_seconds_are_short(value: float, shown: str) -> None:
    assert seconds(value) == shown
