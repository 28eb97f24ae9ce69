"""`--allure-results=DIR`: the session's side of report/allure.py (controller only, R27).

A plugin object registered by `session._register_plugins` when the option is set. At session end,
after the Recorder has the final verdicts (trylast, like the JUnit finisher), it hands the records,
the run's facts and each scenario's steps to `report.allure.write_results`. The steps come from the
spec files themselves (gauge's xml-report names only the failing step); a controller that never
collected (xdist) reads them from the suite's root, as reruns do. The option is ours and named so
that it never meets allure-pytest's `--alluredir` (both plugins may be installed; each writes its
own folder).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_streamstress.errors import StreamstressError
from pytest_streamstress.options import Settings, is_worker
from pytest_streamstress.report import allure
from pytest_streamstress.report.results_json import ScenarioRecord, stable_id

if TYPE_CHECKING:
    from pytest_streamstress.gauge.parse.model import Step
    from pytest_streamstress.run.recorder import Recorder

log = logging.getLogger(__name__)


class AllureWriter:
    def __init__(self, config: pytest.Config, settings: Settings, recorder: Recorder) -> None:
        self.config = config
        self.recorder = recorder
        directory = settings.allure_results
        assert directory is not None  # registered only when the option is set
        self.directory = Path(config.invocation_params.dir, directory)  # an absolute path stays as it is
        self.written = 0

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if is_worker(self.config) or self.config.option.collectonly:
            return
        records = self.recorder.sorted_records()
        try:
            self.written = allure.write_results(
                self.directory,
                records,
                run=self._run(),
                categories=self.recorder.rules.labels,
                steps=self._outlines(records),
                known=frozenset(
                    stable_id(r.spec, r.scenario)
                    for r in records
                    if r.category is not None and r.category.known_issue
                ),
            )
        except OSError as exc:
            log.warning("--allure-results %s not written: %s", self.directory, exc)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.written and self.config.get_verbosity() >= 0:
            terminalreporter.write_line(f"allure results: {self.written} scenarios in {self.directory}")

    def _run(self) -> allure.AllureRun:
        from pytest_streamstress.run.preconditions import phases_of

        phased = phases_of(self.config).outcome_if_run
        cluster = phased.deployment.cluster if phased is not None and phased.deployment is not None else None
        verdict = self.recorder.verdict
        return allure.AllureRun(
            run_id=self.recorder.run_id,
            started_at=self.recorder.started,
            label=self.recorder.settings.run_label,
            emulated=self.recorder.emulated,
            cluster=cluster.kind if cluster is not None else "none",
            server=cluster.server if cluster is not None else "",
            openshift_version=cluster.openshift_version if cluster is not None else "",
            operator_version=cluster.operator_version if cluster is not None else "",
            components=tuple(
                (b.component, b.source.sha) for b in (phased.builds if phased else ()) if b.source is not None
            ),
            verdict=verdict.status if verdict is not None else "",
            build_url=_ci_build_url(os.environ),
        )

    def _outlines(self, records: Sequence[ScenarioRecord]) -> dict[str, tuple[allure.StepOutline, ...]]:
        """Each record's steps as its spec writes them; none when the spec cannot be read."""
        from pytest_streamstress.errors import SpecSyntaxError
        from pytest_streamstress.gauge.parse import spec as specs
        from pytest_streamstress.run.suite import suite_root

        try:
            root = suite_root(self.config)
            concepts = specs.load_concepts(root)
        except (StreamstressError, OSError) as exc:
            log.info("allure results without steps: %s", exc)
            return {}
        parsed: dict[str, Any] = {}
        outlines: dict[str, tuple[allure.StepOutline, ...]] = {}
        for record in records:
            if record.spec not in parsed:
                try:
                    parsed[record.spec] = specs.parse_spec_file(
                        root / record.spec, concepts=concepts, project_root=root
                    )
                except SpecSyntaxError as exc:
                    log.info("allure results: no steps for %s: %s", record.spec, exc)
                    parsed[record.spec] = None
            spec = parsed[record.spec]
            if spec is None:
                continue
            scenario = next(
                (s for s in spec.scenarios if s.heading == record.scenario and s.line == record.line),
                next((s for s in spec.scenarios if s.heading == record.scenario), None),
            )
            if scenario is not None:
                steps = (*spec.context_steps, *scenario.steps, *spec.teardown_steps)
                outlines[record.nodeid] = _outline(steps)
        return outlines


def _outline(steps: Iterable[Step]) -> tuple[allure.StepOutline, ...]:
    return tuple(
        allure.StepOutline(text=step.text, line=step.line, steps=_outline(step.concept_steps))
        for step in steps
    )


def _ci_build_url(environ: Mapping[str, str]) -> str:
    """The CI job's page when GitHub Actions runs the session (its documented default variables)."""
    names = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    server, repo, run = (environ.get(name, "") for name in names)
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else ""
