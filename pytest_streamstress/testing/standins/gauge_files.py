"""Files the gauge stand-in writes: `.gauge/*.json`, `gauge.log`, plugin reports (gauge.md §3.4, §5.1).

Owns where each file goes and what happens when the place is not writable (a warning, never a write
into a read-only checkout). It must not decide outcomes or format the console.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
import time
from pathlib import Path

from pytest_streamstress.testing.standins import gauge_xml
from pytest_streamstress.testing.standins.gauge_cli import installed_plugins
from pytest_streamstress.testing.standins.gauge_model import SpecResult, count
from pytest_streamstress.testing.standins.gauge_outcomes import Outcomes

log = logging.getLogger(__name__)


def _out(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def _err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def guard(path: Path, root: Path) -> None:
    """Raise PermissionError when `path` is in a read-only place, judged by mode bits too: root ignores
    modes, and a read-only (r-x) release-tests checkout must never be written into."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    checks = [probe, root] if path.is_relative_to(root) else [probe]
    for place in checks:
        if not place.stat().st_mode & 0o222 or not os.access(place, os.W_OK):
            raise PermissionError(errno.EACCES, "Permission denied", str(place))


class GaugeLog:
    """`<logs_directory>/gauge.log`, appended per line; unwritable: one warning on stderr, then silent."""

    def __init__(self, path: Path, root: Path) -> None:
        self.path = path
        self._ok = True
        try:
            guard(path.parent, root)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            self._ok = False
            _err(f"Warning: cannot write gauge log {path}: {exc.strerror}; continuing without it\n")

    def __call__(self, message: str, level: str = "INFO") -> None:
        if not self._ok:
            return
        now = time.time()
        stamp = time.strftime("%d-%m-%Y %H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(f"{stamp} [Gauge] [{level}] {message}\n")


def write_state(state_dir: Path, argv: list[str], specs: list[SpecResult], root: Path) -> None:
    counts = count(specs)
    status = {
        "type": "out",
        "specsExecuted": counts.specs_executed,
        "specsPassed": counts.specs_passed,
        "specsFailed": counts.specs_failed,
        "specsSkipped": counts.specs_skipped,
        "sceExecuted": counts.scenarios_executed,
        "scePassed": counts.scenarios_passed,
        "sceFailed": counts.scenarios_failed,
        "sceSkipped": counts.scenarios_skipped,
    }
    failed = [
        f"{os.path.relpath(s.path, root)}:{sc.line}"
        for s in specs
        for sc in s.scenarios
        if sc.status == "fail"
    ]
    failed.extend(os.path.relpath(s.path, root) for s in specs if s.failed and not s.scenarios)
    directory = state_dir / ".gauge"
    try:
        guard(directory, root)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "executionStatus.json").write_text(
            json.dumps(status, separators=(",", ":")), encoding="utf-8"
        )
        (directory / "failures.json").write_text(
            json.dumps({"Args": argv, "FailedItems": failed}, indent="\t"), encoding="utf-8"
        )
        (directory / "lastRunCmd.json").write_text(json.dumps(argv), encoding="utf-8")
    except OSError as exc:
        _err(
            f"Warning: cannot write {directory}: {exc.strerror};"
            " set GAUGE_STANDIN_STATE_DIR to a writable directory\n"
        )


def _plugins(root: Path) -> list[str]:
    try:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        declared = [str(p) for p in manifest.get("Plugins", [])]
    except (OSError, ValueError, AttributeError):
        declared = []
    installed = {name for name, _ in installed_plugins()}
    return [p for p in declared if p in installed]


def plugin_messages(root: Path, props: dict[str, str], outcomes: Outcomes, results: list[SpecResult]) -> None:
    plugins = _plugins(root)
    reports = Path(props["gauge_reports_dir"])
    reports = reports if reports.is_absolute() else root / reports
    if "html-report" in plugins:
        target = reports / "html-report"
        try:
            guard(target, root)
            target.mkdir(parents=True, exist_ok=True)
            (target / "index.html").write_text(
                "<html><body>gauge stand-in html-report</body></html>\n", encoding="utf-8"
            )
            _out(f"Successfully generated html-report to => {target / 'index.html'}\n\n")
        except OSError as exc:
            _out(f"Failed to generate html-report: {exc.strerror}\n")
    if "xml-report" in plugins and outcomes.run.xml != "missing":
        target = gauge_xml.report_dir(root, props["gauge_reports_dir"], props["overwrite_reports"])
        version = dict(installed_plugins()).get("xml-report", "")
        document = gauge_xml.render(
            results,
            order=outcomes.run.suite_order,
            seed=outcomes.run.seed,
            naming=gauge_xml.naming_for(version),
        )
        try:
            guard(target, root)
            gauge_xml.write(target, document, truncated=outcomes.run.xml == "truncated")
            _out(f"Successfully generated xml-report to => {target}\n\n")
        except OSError as exc:
            _out(f"Failed to write xml report: open {target / 'result.xml'}: {exc.strerror}\n")
