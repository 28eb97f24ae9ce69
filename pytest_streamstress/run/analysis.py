"""Reads a run against its history at session end (issue 10), as a plugin object (STYLE R7).

It implements our own `pytest_streamstress_results` hook, so the Recorder stays unaware of it: the
`analysis` section and each scenario's `history` entry are added to the document just before it is
written, and the terminal summary gets the "new failures first" lines. History is a directory in the
history-store layout (`runs/<run-id>/results.json`), e.g. a checkout of the published gh-pages
branch; a malformed run in it is skipped with a warning naming it.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.history import store
from pytest_streamstress.history.analyze import Analysis, analyze, summary_lines
from pytest_streamstress.history.attribution import usual_scenarios
from pytest_streamstress.history.model import scenario_identity
from pytest_streamstress.history.selection import selection_of
from pytest_streamstress.options import Settings, is_worker
from pytest_streamstress.run.selection import selection
from pytest_streamstress.triage.known import KnownFailure, load_known

log = logging.getLogger(__name__)


class AnalysisPlugin:
    """Adds the history-aware analysis to results.json and the terminal summary."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.analysis: Analysis | None = None
        self._history: list[dict[str, Any]] | None = None
        self.skipped: list[str] = []
        """History run files that could not be read: the terminal names each one."""
        self.not_recorded = ""
        """Why this run could not join the history (the terminal says it: tomorrow compares without it)."""
        try:
            self.known: tuple[KnownFailure, ...] = load_known(settings.known_failures)
        except ConfigError as exc:
            raise pytest.UsageError(f"--known-failures: {exc}") from None

    def history(self) -> list[dict[str, Any]]:
        """The earlier runs (`--history`), read once per session: the verdict and the analysis share them."""
        if self._history is None:
            self._history = []
            if self.settings.history is not None:
                try:
                    self._history = store.history_documents(
                        self.settings.history, cluster=self.settings.cluster_name, skipped=self.skipped
                    )
                except ConfigError as exc:
                    log.warning("history not used: %s", exc)
        return self._history

    def usual_scenarios(self) -> int | None:
        """How many scenarios a run asked the same way usually executes, for the verdict's 75 % guard.

        A shard (issue 23) usually runs what its plan gave it, not what a whole run ran.
        """
        from pytest_streamstress.run.shards import planned_scenarios

        planned = planned_scenarios(self.config)
        if planned is not None:
            return planned
        asked = selection(self.config, self.settings)
        if asked.varies:
            return None  # --lf, --sw: each run asks for what the last one left
        source = "an earlier run's results.json"
        alike = [doc for doc in self.history() if selection_of(doc) == asked.words]
        return usual_scenarios([store.outcomes_from_json(doc, source=source) for doc in alike])

    def pytest_streamstress_results(self, config: pytest.Config, results: dict[str, Any]) -> None:
        this_run = results.get("run_id", "")
        history = [doc for doc in self.history() if doc.get("run_id") != this_run]
        if not history and not self.known:
            return
        self.analysis = analyze(results, history, known=self.known, today=dt.date.today())
        results["analysis"] = self.analysis.to_json()
        by_test = self.analysis.by_test()
        known = {match.test: match for match in self.analysis.known}
        for scenario in results.get("scenarios", []):
            identity = scenario.get("id") or scenario_identity(scenario["spec"], scenario["scenario"])
            verdict = by_test.get(identity)
            match = known.get(identity)
            scenario["history"] = {
                "id": identity,
                "verdict": verdict.verdict.value if verdict else None,
                "failing_since": verdict.failing_since if verdict else "",
                "streak": verdict.streak if verdict else 0,
                "alert": verdict.alert_open if verdict else False,
                "known": None if match is None else {"issue": match.entry.issue, "stale": match.stale},
            }
            if match is not None and not scenario.get("known_issue"):
                scenario["known_issue"] = match.entry.issue

    def pytest_streamstress_results_written(self, config: pytest.Config, path: Path) -> None:
        """With --history, the run joins the history so tomorrow's run is read against it."""
        if self.settings.history is None or config.option.collectonly:
            return
        if self.settings.shard is not None:
            # A shard is part of a run: the merged run joins the history (the launcher on the emulated
            # cluster, `streamstress collect --history`), never each part on its own (issue 23).
            log.info("shard %d/%d: not added to the history; the merged run is", *self.settings.shard)
            return
        from pytest_streamstress.history.store import HistoryError, record_run

        try:
            record_run(self.settings.history, path, label=self.settings.run_label)
        except (HistoryError, OSError) as exc:
            self.not_recorded = f"this run was not added to {self.settings.history}: {exc}; {path} is kept"
            log.warning("%s", self.not_recorded)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if is_worker(self.config) or self.config.get_verbosity() < 0:
            return
        if self.analysis is None and not self.skipped and not self.not_recorded:
            return
        terminalreporter.write_sep("-", "streamstress: against the history")
        if self.not_recorded:
            terminalreporter.write_line(f"history: {self.not_recorded}", red=True)
        for reason in self.skipped:
            terminalreporter.write_line(
                f"history: skipped {reason}; this run is not compared with it (fix or remove the file)"
            )
        for line in summary_lines(self.analysis) if self.analysis is not None else ():
            terminalreporter.write_line(line)
