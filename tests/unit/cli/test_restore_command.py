"""`streamstress restore DIR` reads the record before it reads a kubeconfig.

Before, a folder without a record, or one whose record an earlier restore had already used, was met
with "no kubeconfig found", which sent the engineer after the wrong problem.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_streamstress.cli.main import main


@pytest.fixture(autouse=True)
def no_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))


def test_a_folder_without_a_record_is_named_before_the_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["restore", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert f"no restore record at {tmp_path / 'restore.json'}" in error
    assert "kubeconfig" not in error


def test_a_record_already_used_is_nothing_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "restore.json.restored").write_text('{"csv": "x", "original": {}}')
    assert main(["restore", str(tmp_path)]) == 0
    assert "nothing to restore" in capsys.readouterr().out


def test_a_broken_record_is_named_before_the_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "restore.json").write_text("{cut")
    assert main(["restore", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "not a restore record" in error
    assert "kubeconfig" not in error
