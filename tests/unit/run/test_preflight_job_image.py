"""`--in-cluster` without `--job-image`: a broken recorded release image stops the run before any build."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pytest_streamstress.options import OPTIONS, Settings
from pytest_streamstress.run.preflight import check_job_image


def _settings(tmp_path: Path, **changes: object) -> Settings:
    defaults = Settings(**{o.name: o.default for o in OPTIONS}, rootdir=tmp_path, full_trace=False)
    return dataclasses.replace(defaults, **changes)


def test_a_malformed_record_is_a_usage_error_naming_the_file(tmp_path: Path) -> None:
    record = tmp_path / "job_image.txt"
    record.write_text("ghcr.io/someone/pytest-streamstress:main\n", encoding="utf-8")
    expected = r"--job-image not given .*job_image\.txt: not one image pinned"
    with pytest.raises(pytest.UsageError, match=expected):
        check_job_image(_settings(tmp_path, in_cluster=True), record=record)


def test_a_given_job_image_is_not_checked_against_the_record(tmp_path: Path) -> None:
    record = tmp_path / "job_image.txt"
    record.write_text("garbage\n", encoding="utf-8")
    check_job_image(_settings(tmp_path, in_cluster=True, job_image="quay.io/me/ss:1"), record=record)


def test_a_run_that_launches_no_job_does_not_read_the_record(tmp_path: Path) -> None:
    record = tmp_path / "job_image.txt"
    record.write_text("garbage\n", encoding="utf-8")
    check_job_image(_settings(tmp_path, in_cluster=False), record=record)
