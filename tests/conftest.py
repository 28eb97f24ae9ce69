"""Shared test setup for the whole suite."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

# Import cryptography before any in-process pytester run: pytester restores sys.modules afterwards,
# and a second import of cryptography's Python classes no longer matches its Rust extension
# ("curve must be an EllipticCurve instance") when a later test starts an HTTPS emulator.
from cryptography import x509  # noqa: F401
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: F401

from pytest_streamstress.testing.release_tests import HOW_TO_GET
from pytest_streamstress.testing.standins import install_standins

GaugeProject = Callable[..., Path]

_USING_NOT_TESTING = frozenset({"--streamstress", "--help", "-h", "--version", "-V"})


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """pytester is this suite's tool, not the plugin's: loaded here rather than in pyproject's addopts,
    and not when someone in this checkout runs the plugin itself or asks for help, so
    `pytest --streamstress ...` and `pytest --help` show no --lsof/--runpytest (issue 22).
    (`pytest_addoption` is historic, so pytester's own options are still added.)"""
    if not _USING_NOT_TESTING & set(sys.argv[1:]):
        pluginmanager.import_plugin("pytester")


@pytest.fixture
def gauge_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> GaugeProject:
    """A release-tests-shaped project under `pytester.path / "rt"` run by the gauge stand-in.

    `make({"p.spec": text}, outcomes=toml)` writes manifest.json and the specs, puts the stand-in
    first on PATH and points it at `outcomes` (None: every scenario passes).
    """

    def make(specs: Mapping[str, str], *, outcomes: str | None = None) -> Path:
        bin_dir = install_standins(pytester.path / "bin", ("gauge",))
        monkeypatch.setenv("PATH", os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]))
        if outcomes is None:
            monkeypatch.delenv("GAUGE_STANDIN_OUTCOMES", raising=False)
        else:
            path = pytester.path / "outcomes.toml"
            path.write_text(outcomes, encoding="utf-8")
            monkeypatch.setenv("GAUGE_STANDIN_OUTCOMES", str(path))
        root = pytester.path / "rt"
        (root / "specs").mkdir(parents=True, exist_ok=True)
        (root / "manifest.json").write_text('{"Language": "go", "Plugins": ["xml-report"]}', encoding="utf-8")
        for name, text in specs.items():
            (root / "specs" / name).write_text(text, encoding="utf-8")
        return root

    return make


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Skips that need the real release-tests specs are counted where everyone sees them (issue 22)."""
    skipped = terminalreporter.stats.get("skipped", [])
    missing = [r for r in skipped if HOW_TO_GET in str(getattr(r, "longrepr", ""))]
    if missing:
        terminalreporter.write_sep("-", "release-tests specs not found")
        terminalreporter.write_line(f"{len(missing)} tests skipped: {HOW_TO_GET}")


OfflineSession = Callable[..., "tuple[pytest.RunResult, dict[str, Any]]"]


@pytest.fixture
def offline_session(pytester: pytest.Pytester) -> OfflineSession:
    """`offline_session(root, *args, timeout=180)`: `pytest --streamstress` over the gauge project at
    `root` in its own process, nothing built or deployed, `--fail-on=none`; and its results.json."""

    def run(root: Path, *args: str, timeout: float = 180) -> tuple[pytest.RunResult, dict[str, Any]]:
        results = pytester.path / "results"
        result = pytester.runpytest_subprocess(
            "--streamstress",
            f"--release-tests-dir={root}",
            "--skip-build",
            "--skip-deploy",
            "--fail-on=none",
            f"--results-dir={results}",
            "-p",
            "no:cacheprovider",
            *args,
            timeout=timeout,
        )
        return result, json.loads((results / "results.json").read_text())

    return run
