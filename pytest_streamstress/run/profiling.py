"""`--profile`: sample cluster metrics while scenarios run and add the profile to results.json.

A plugin object (STYLE R7) on the controller: the sampler starts at session start (with its own
connection and timeouts), stops when results.json is about to be written, and the per-scenario
windows and namespaces come from the scenario records themselves, so attribution works the same
under xdist. A cluster without metrics is one warning and a profile marked unavailable, never a
failed run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

from pytest_streamstress.errors import StreamstressError
from pytest_streamstress.options import Settings, is_worker
from pytest_streamstress.profile.stats import (
    ScenarioProfile,
    ScenarioWindow,
    attribute,
    profile_section,
    recommend,
    summary_lines,
)
from pytest_streamstress.report.results_json import epoch
from pytest_streamstress.run.serial import is_serial

if TYPE_CHECKING:
    from pytest_streamstress.cluster.metrics import MetricsSampler
    from pytest_streamstress.run.preconditions import Phases

log = logging.getLogger(__name__)

STAMP_RESOLUTION_S = 1.0
"""How far a scenario's window reaches past its recorded end (attribution is by namespace first, so a
wider window takes no other scenario's pods). Scenario stamps are milliseconds now, but a metrics
sample is stamped when its two API calls returned (cluster/metrics.py `_sample`), so the last sample
of a scenario's pods can be stamped after it ended; and results.json before issue 21 cut stamps to
whole seconds. One second covers both."""


class ProfilePlugin:
    def __init__(self, config: pytest.Config, settings: Settings, phases: Phases) -> None:
        self.config = config
        self.settings = settings
        self.phases = phases
        self.sampler: MetricsSampler | None = None
        self.unavailable = ""
        self.sentence = ""
        self.profiles: tuple[ScenarioProfile, ...] = ()
        self.warnings: list[str] = []

    def _warn(self, text: str) -> None:
        self.warnings.append(text)
        log.warning("%s", text)
        self.phases.say(text)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if is_worker(self.config):
            return
        from pytest_streamstress.cluster.metrics import MetricsSampler

        try:
            cluster = self.phases.connect()
        except StreamstressError as exc:
            self.unavailable = f"no cluster access for metrics: {exc.message}"
            self._warn(f"profile: {self.unavailable}; the run goes on without a profile")
            return
        self.sampler = MetricsSampler(
            cluster, interval=self.settings.profile_interval, warn=self._warn
        ).start()

    def pytest_streamstress_results(self, config: pytest.Config, results: dict[str, Any]) -> None:
        if self.sampler is None:
            results["profile"] = profile_section(
                (), None, None, status="unavailable", reason=self.unavailable
            )
            return
        state = self.sampler.stop()
        windows = []
        serial = 0
        for record in results.get("scenarios", []):
            start, end = epoch(record.get("started_at")), epoch(record.get("finished_at"))
            if start is None or end is None:
                continue
            is_alone = is_serial(record.get("tags", []), self.settings.serial_tags)
            serial += int(is_alone)
            windows.append(
                ScenarioWindow(
                    nodeid=record["nodeid"],
                    start=start,
                    end=end + STAMP_RESOLUTION_S,
                    namespaces=frozenset(record.get("namespaces", [])),
                    serial=is_alone,
                )
            )
        profiles = attribute(windows, state.samples, target_namespace=self.settings.target_namespace)
        measured = [p for p in profiles if p.samples]
        self.profiles = tuple(measured)
        recommendation = (
            recommend(state.capacity, measured, serial_scenarios=serial) if state.capacity else None
        )
        if recommendation is not None:
            self.sentence = recommendation.sentence()
        by_nodeid = {p.nodeid: p for p in profiles}
        for record in results.get("scenarios", []):
            found = by_nodeid.get(record["nodeid"])
            record["profile"] = found.to_json() if found else None
        results["profile"] = profile_section(
            profiles,
            state.capacity,
            recommendation,
            status=state.status,
            reason=state.reason,
            samples=len(state.samples),
            failed_samples=state.failed,
        )

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if is_worker(self.config) or self.config.get_verbosity() < 0:
            return
        for line in summary_lines(self.profiles):
            terminalreporter.write_line(f"profile: {line}")
        if self.sentence:
            terminalreporter.write_line(f"profile: {self.sentence}")
        elif self.unavailable or (self.sampler is not None and self.sampler.state.status == "unavailable"):
            reason = self.unavailable or self.sampler.state.reason if self.sampler else self.unavailable
            terminalreporter.write_line(f"profile: unavailable ({reason})")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.sampler is not None:
            self.sampler.stop()
