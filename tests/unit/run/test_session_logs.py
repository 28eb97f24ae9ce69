"""logs/ holds the current run's logs only (issue 22)."""

from __future__ import annotations

from pathlib import Path

from pytest_streamstress.run.session import prune_previous_logs


def test_earlier_sessions_logs_are_removed_and_other_files_stay(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "specs__run.log").write_text("yesterday")
    (logs / "build-pipeline.log").write_text("yesterday")
    (logs / "notes.txt").write_text("not ours")
    assert prune_previous_logs(tmp_path) == 2
    assert sorted(p.name for p in logs.iterdir()) == ["notes.txt"]


def test_no_logs_directory_is_fine(tmp_path: Path) -> None:
    assert prune_previous_logs(tmp_path) == 0
