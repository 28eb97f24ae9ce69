"""Scenario stamps in results.json keep milliseconds; older whole-second ones still read (#21 gap 4)."""

from __future__ import annotations

import datetime as dt

import pytest

from pytest_streamstress.model import Status
from pytest_streamstress.report import allure
from pytest_streamstress.report.results_json import ScenarioRecord, iso

MOMENT = dt.datetime(2026, 6, 29, 10, 16, 40, 123456, tzinfo=dt.timezone.utc)


def test_a_scenario_stamp_keeps_milliseconds_cut_not_rounded() -> None:
    assert iso(MOMENT.timestamp(), milliseconds=True) == "2026-06-29T10:16:40.123Z"


def test_a_run_stamp_stays_whole_seconds() -> None:
    assert iso(MOMENT) == "2026-06-29T10:16:40Z"


@pytest.mark.parametrize(
    ("stamp", "start_ms"),
    [("2026-12-06T02:01:00.250Z", 1796522460250), ("2026-12-06T02:01:00Z", 1796522460000)],
    ids=["milliseconds", "whole-seconds-of-older-runs"],
)
def test_allure_reads_a_scenario_start_in_either_form(stamp: str, start_ms: int) -> None:
    record = ScenarioRecord(
        nodeid="specs/a.spec::A",
        spec="specs/a.spec",
        scenario="A",
        line=3,
        tags=(),
        status=Status.PASSED,
        started_at=stamp,
    )
    run = allure.AllureRun(
        run_id="run-1",
        started_at=dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.timezone.utc),
        emulated=True,
        cluster="emulated",
        components=(),
        verdict="passed",
    )
    assert allure.result_of(record, run=run)["start"] == start_ms
