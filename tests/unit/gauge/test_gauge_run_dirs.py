"""Earlier sessions' gauge run directories are removed; nothing else in the results directory is."""

from __future__ import annotations

from pathlib import Path

from pytest_streamstress.gauge.execute import prune_previous_runs


def run_dir(root: Path, name: str, *contents: str) -> Path:
    path = root / "gauge" / name
    for entry in contents:
        (path / entry).mkdir(parents=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_only_our_run_directories_go(tmp_path: Path) -> None:
    old = run_dir(tmp_path, "specs__pipelines__fail-a1b2c3", "reports", "logs")
    empty = run_dir(tmp_path, "specs__versions-00ff00")
    projects = run_dir(tmp_path, "projects", "main-0")
    someone_elses = run_dir(tmp_path, "specs__x-abcdef", "reports", "notes")
    not_ours = run_dir(tmp_path, "my-reports", "reports")
    (tmp_path / "results.json").write_text("{}", encoding="utf-8")

    assert prune_previous_runs(tmp_path) == 2

    assert not old.exists() and not empty.exists()
    assert projects.is_dir() and someone_elses.is_dir() and not_ours.is_dir()
    assert (tmp_path / "results.json").is_file()


def test_a_results_directory_without_gauge_runs_is_fine(tmp_path: Path) -> None:
    assert prune_previous_runs(tmp_path / "never-used") == 0
