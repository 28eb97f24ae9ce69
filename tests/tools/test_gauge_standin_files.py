"""Which files the gauge stand-in finds, the way gauge's Go walk finds them (docs/standins.md).

gauge v1.6.28 lists spec directories, concept files and env properties with getgauge/common
`FindFilesInDir` (common.go:156-171), a Go `filepath.Walk`: linked directories are never entered,
linked files are read like any file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.testing.standins import install_standins, path_with

pytestmark = pytest.mark.tools

SPEC = "# Linked spec\n\n## Only scenario\n\n* Say hi\n"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The real files: a spec directory with one spec and an env directory."""
    root = tmp_path / "checkout"
    (root / "specs" / "inner").mkdir(parents=True)
    (root / "specs" / "inner" / "a.spec").write_text(SPEC, encoding="utf-8")
    (root / "env" / "default").mkdir(parents=True)
    (root / "env" / "default" / "x.properties").write_text("gauge_reports_dir = reports\n", encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "manifest.json").write_text('{"Language": "go", "Plugins": []}', encoding="utf-8")
    return root


def gauge(tmp_path: Path, project: Path, *args: str) -> _proc.Completed:
    bin_dir = install_standins(tmp_path / "bin", ("gauge",))
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith("gauge_")}
    env.pop("TERM", None)
    env["PATH"] = path_with(bin_dir, os.environ.get("PATH", ""))
    return _proc.run(["gauge", "run", "--simple-console", *args], timeout=30, env=env, cwd=project)


def test_a_linked_spec_directory_argument_has_no_specifications(
    tmp_path: Path, checkout: Path, project: Path
) -> None:
    (project / "specs").symlink_to(checkout / "specs", target_is_directory=True)
    done = gauge(tmp_path, project, "specs")
    assert (done.returncode, done.stdout.strip()) == (1, "No specifications found in specs.")


def test_specs_below_a_linked_directory_are_not_walked_into(
    tmp_path: Path, checkout: Path, project: Path
) -> None:
    (project / "specs").mkdir()
    (project / "specs" / "inner").symlink_to(checkout / "specs" / "inner", target_is_directory=True)
    done = gauge(tmp_path, project, "specs")
    assert (done.returncode, done.stdout.strip()) == (1, "No specifications found in specs.")


def test_a_linked_spec_file_in_a_real_directory_runs(tmp_path: Path, checkout: Path, project: Path) -> None:
    (project / "specs").mkdir()
    (project / "specs" / "a.spec").symlink_to(checkout / "specs" / "inner" / "a.spec")
    done = gauge(tmp_path, project, "specs")
    assert done.returncode == 0
    assert "Scenarios:\t1 executed\t1 passed\t0 failed\t0 skipped" in done.stdout


def test_a_spec_file_argument_through_a_linked_directory_runs(
    tmp_path: Path, checkout: Path, project: Path
) -> None:
    """A file argument is opened by path (os.Stat), so the link in between does not matter."""
    (project / "specs").symlink_to(checkout / "specs", target_is_directory=True)
    done = gauge(tmp_path, project, "specs/inner/a.spec:3")
    assert done.returncode == 0
    assert "Scenarios:\t1 executed\t1 passed\t0 failed\t0 skipped" in done.stdout


def test_env_properties_are_read_from_nested_directories_but_not_linked_ones(
    tmp_path: Path, checkout: Path, project: Path
) -> None:
    """env/env.go:144-147 walks the env directory too: a nested properties file counts, a linked one not."""
    (project / "env" / "default" / "nested").mkdir(parents=True)
    (project / "env" / "default" / "nested" / "r.properties").write_text(
        "gauge_reports_dir = nested-reports\n", encoding="utf-8"
    )
    (project / "env" / "default" / "linked").symlink_to(
        checkout / "env" / "default", target_is_directory=True
    )
    (project / "specs").mkdir()
    (project / "specs" / "a.spec").write_text(SPEC, encoding="utf-8")
    (project / "manifest.json").write_text('{"Language": "go", "Plugins": ["xml-report"]}', encoding="utf-8")
    done = gauge(tmp_path, project, "specs")
    assert done.returncode == 0
    assert (project / "nested-reports" / "xml-report" / "result.xml").is_file()
