"""The Recorder: from pytest reports to categories, the terminal summary, `--fail-on` and results.json.

A plugin object registered by `session.configure_session` on the controller and on every xdist
worker (R7). On the process that runs an item, its report hook categorizes a failed scenario (the
`pytest_streamstress_categorize` hook first, then the rules of categories.toml), applies the
`streamstress_category(...)` marker and puts the category, rule, evidence, known issue and the whole
per-scenario record (one JSON string) into `user_properties`, which survive xdist's report
serialization and land in pytest's own `--junitxml` (R27). The controller builds every record from
reports alone, prints the summary, applies `--fail-on` to the exit status and writes results.json
atomically at session end, also after collection errors, setup errors and Ctrl-C (R38).

It also owns the session's `Redactor` (R25): seeded with every secret value it can find (kubeconfig
credentials, registry auths, token environment variables) and stored under `redact.redactor_key`,
so gauge output, logs and results.json are scrubbed with the same list. It must not run gauge,
parse gauge output or format results.json itself (run.py, results.py, results_json.py do).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import shutil
from collections.abc import Generator, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

from pytest_streamstress._infra.redact import Redactor, redactor_key
from pytest_streamstress.errors import ScenarioFailed

# Names, not `from pytest_streamstress.run import recording`: pytester's sys.modules snapshots can
# leave a stale submodule attribute on the package, and the stash keys must be the live ones.
from pytest_streamstress.gauge.collect import PARSE_ERROR
from pytest_streamstress.history.store import RESULTS_FILE
from pytest_streamstress.model import HARNESS, Categorization, Restore, Status
from pytest_streamstress.options import Settings, is_worker
from pytest_streamstress.report.results_json import (
    EXCLUDE_KNOWN,
    RunError,
    RunFacts,
    ScenarioRecord,
    build_document,
    new_run_id,
    stable_id,
)
from pytest_streamstress.report.summary import summary_lines
from pytest_streamstress.report.verdict import AFTER_SPEC_PHASE, RunState, Verdict, decide, pytest_error
from pytest_streamstress.run import results_file, verdicts
from pytest_streamstress.run.recording import (
    ERROR_PHASE_PROPERTY,
    PROPERTY_PREFIX,
    RECORD_PROPERTY,
    categorize_item,
    outcome_of,
    properties_of,
    record_of,
    spec_error_record,
)
from pytest_streamstress.run.scenarios import after_spec_key, category_key
from pytest_streamstress.run.secrets import find_secrets
from pytest_streamstress.triage import categorize
from pytest_streamstress.triage.facts import OPERAND_OF, ClusterFacts, components_from_groups

if TYPE_CHECKING:
    from pytest_streamstress.cluster.drift import Snapshot
    from pytest_streamstress.components import ComponentCatalog
    from pytest_streamstress.gauge.collect import ScenarioItem
    from pytest_streamstress.run.api_watch import ApiWatch
    from pytest_streamstress.triage.known import KnownFailure

log = logging.getLogger(__name__)

AFTER_SPEC_PROPERTY: Final = "streamstress_after_spec"
"""On the teardown report of a spec's last item: the spec's failed AfterSpec hook (becomes an error)."""


class Recorder:
    """Per-session reporting state; see the module docstring for what runs where."""

    def __init__(
        self, config: pytest.Config, settings: Settings, catalog: ComponentCatalog, rules: categorize.Rules
    ) -> None:
        self.config = config
        self.settings = settings
        self.catalog = catalog
        self.rules = rules
        self.redactor = Redactor(find_secrets(settings.kubeconfig, os.environ))
        config.stash[redactor_key] = self.redactor
        config.addinivalue_line(
            "markers",
            "streamstress_category(id): failure category pytest-streamstress assigned to a scenario",
        )
        config.addinivalue_line("markers", "streamstress_flaky: the scenario passed only after a gauge retry")
        self.started = dt.datetime.now(dt.timezone.utc)
        self.run_id = new_run_id(self.started)
        self.records: dict[str, ScenarioRecord] = {}
        self.errors: list[RunError] = []
        self.other_failures = 0
        self.interrupted = False
        self.exited = False
        """`pytest.exit()` ended the session: its return code stands."""
        self.signal = ""
        """The signal that interrupted the run ('SIGTERM'); empty for Ctrl-C (run/signals.py sets it)."""
        self.stopped_early = ""
        """pytest's words when it ended the test loop itself (-x, --maxfail): not an interruption."""
        self.images_moved = ""
        self.found: Snapshot | None = None
        """A `--skip-deploy` session's operator images before its scenarios (run/verdicts.snapshot_before)."""
        """What changed the operator's images while the scenarios ran (run/verdicts.images_moved)."""
        self.images_note = ""
        """The same, when the suite's own operator scenario did it: a note on the deploy, not a verdict."""
        self.cluster_lost = ""
        """When the cluster's API did not answer while failing scenarios ran (run/api_watch.py)."""
        self.api_watch: ApiWatch | None = None
        self.ended: set[str] = set()
        """Node ids of the items that ran (a report came back), to count what an early stop left out."""
        self.verdict: Verdict | None = None
        self.emulated = False
        """What results.json says of the cluster (JUnit repeats it)."""
        self.kept_previous = False
        """No scenario ran, so the previous results.json was kept and this run's went beside it."""
        self.failed_reports: dict[str, pytest.TestReport] = {}
        self.results_path = settings.results_dir / RESULTS_FILE
        self.written: Path | None = None
        self.restore: Restore | None = None
        """How the session left the operator it patched (run/results_file.py); None: it patched nothing."""
        self._known_entries: tuple[KnownFailure, ...] | None = None

    def label(self, category: str) -> str:
        """The display label of a category id ("Upstream Regression")."""
        return self.rules.label(category)

    # -- on the process that runs the item ----------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        from pytest_streamstress.gauge.collect import ScenarioItem, SpecErrorItem

        if isinstance(item, ScenarioItem) and call.when in {"setup", "call"}:
            self._record_item(item, call)
        elif isinstance(item, SpecErrorItem) and call.when == "setup":
            record = spec_error_record(item, self.redactor)
            item.user_properties[:] = properties_of(record, None, self.redactor)
        elif isinstance(item, ScenarioItem) and call.when == "teardown" and after_spec_key in item.stash:
            hook = item.stash[after_spec_key]
            text = self.redactor(f"{item.spec_relpath}: {hook.message}")
            item.user_properties.append((AFTER_SPEC_PROPERTY, text))
        report = yield
        if (
            isinstance(item, ScenarioItem)
            and call.when == "setup"
            and report.failed
            and call.excinfo is not None
            and isinstance(call.excinfo.value, ScenarioFailed)
        ):
            # pytest builds setup errors with `_repr_failure_py`, never `repr_failure`: give them the
            # same Gauge view (R22), so a BeforeSpec, timeout or build failure reads like one.
            report.longrepr = item.driver.repr_failure(item, call.excinfo)
        elif (
            isinstance(item, ScenarioItem)
            and call.when == "teardown"
            and report.failed
            and call.excinfo is not None
            and isinstance(call.excinfo.value, ScenarioFailed)
        ):
            report.longrepr = str(call.excinfo.value)  # the AfterSpec view, no Python traceback (R22)
        elif isinstance(item, SpecErrorItem) and call.when == "setup" and call.excinfo is not None:
            report.longrepr = item.repr_failure(call.excinfo)  # gauge's [ParseError] line, no traceback
        return report

    def _record_item(self, item: ScenarioItem, call: pytest.CallInfo[None]) -> None:
        """Categorize before the report is built: the failure view (repr_failure) shows the category."""
        if call.when == "setup" and call.excinfo is None:
            return
        outcome, setup_error = outcome_of(item, call)
        category: Categorization | None = None
        if outcome.status in {Status.FAILED, Status.ERROR} and setup_error is None:
            category = categorize_item(
                item, outcome, rules=self.rules, redactor=self.redactor, facts=self._facts
            )
            item.stash[category_key] = category
            item.add_marker(pytest.mark.streamstress_category(category.category))
        if outcome.flaky:
            item.add_marker("streamstress_flaky")
        record = record_of(item, outcome, category, self.redactor)
        mine = properties_of(record, setup_error, self.redactor)
        others = [p for p in item.user_properties if not str(p[0]).startswith(PROPERTY_PREFIX)]
        item.user_properties[:] = [*others, *mine]

    def _facts(self, text: str) -> ClusterFacts | None:
        """Cluster facts, asked for only when a rule needs them (and for APIs, when the text names one)."""
        wants_apis = self.rules.asks_discovery and bool(categorize.named_apis(text))
        if not (wants_apis or self.rules.asks_components):
            return None
        from pytest_streamstress.run.preconditions import phases_of

        phases = phases_of(self.config)
        discovery = phases.served_apis
        served = discovery.facts(api.group for api in categorize.named_apis(text)) if wants_apis else None
        installed: frozenset[str] = frozenset()
        absent: frozenset[str] = frozenset()
        groups = discovery.served_groups() if self.rules.asks_components else None
        if groups is not None:
            operands = discovery.operand_kinds(OPERAND_OF.values())
            installed, absent = components_from_groups(groups, operands=operands)
        outcome = phases.outcome_if_run
        cluster = outcome.deployment.cluster if outcome is not None else None
        return ClusterFacts(
            served_apis=served,
            installed=installed,
            absent=absent,
            ocp_version=(cluster.openshift_version or None) if cluster is not None else None,
            operator_version=(cluster.operator_version or None) if cluster is not None else None,
        )

    # -- on the controller ----------------------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.ended.add(report.nodeid)
        found = False
        phase = ""
        for name, value in report.user_properties:
            if name == RECORD_PROPERTY:
                record = ScenarioRecord.from_json(json.loads(str(value)))
                self.records[record.nodeid] = record
                found = True
                if report.when in {"setup", "call"}:
                    # gauge's duration, not the moment pytest spent reading its report: JUnit,
                    # pytest-html and --durations read it from here (issue 20). The teardown report
                    # carries the same properties; it keeps its own time.
                    report.duration = record.duration_s
            elif name == ERROR_PHASE_PROPERTY:
                phase = str(value)
            elif name == AFTER_SPEC_PROPERTY and report.when == "teardown" and report.failed:
                self._add_error(AFTER_SPEC_PHASE, str(value))
        if found and report.failed and report.when in {"setup", "call"}:
            self.failed_reports[report.nodeid] = report  # the failure view is refreshed if a verdict moves
            category = self.records[report.nodeid].category
            if category is not None and category.category == HARNESS:
                self._add_error("gauge", category.evidence)
        if phase and found and report.when in {"setup", "call"}:
            self._add_error(phase, self.records[report.nodeid].message)
        if report.failed and not found:
            self.other_failures += 1

    def _add_error(self, phase: str, message: str) -> None:
        if not any(e.phase == phase and e.message == message for e in self.errors):
            self.errors.append(RunError(phase=phase, message=message))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = self.redactor(str(report.longreprtext))
            self.errors.append(RunError(phase="collection", message=f"{report.nodeid or '.'}: {text}"[:4000]))

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # pytest raises Session.Interrupted (a KeyboardInterrupt) for collection errors too: not Ctrl-C.
        # `pytest.exit(returncode=...)` (the --in-cluster launch ends the session so) lands here too:
        # its exit code is the session's word, not an interruption.
        if isinstance(excinfo.value, pytest.exit.Exception):
            self.exited = True
        elif not isinstance(excinfo.value, pytest.Session.Interrupted) and not self.stopped_early:
            self.interrupted = True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        """After the last scenario (and the last worker): the final verdicts, before anything is written.

        Also when pytest stopped the loop itself (-x, --maxfail): the failures that ran get the same
        unattributed and --confirm verdicts as in a whole run; a signal's stop gets none."""
        from pytest_streamstress.run.api_watch import watch_of
        from pytest_streamstress.run.interrupted import early_stop
        from pytest_streamstress.run.preconditions import phases_of

        self.api_watch = watch_of(self.config)
        if self.api_watch is not None:
            self.api_watch.start()
            if self.settings.skip_deploy:  # it deploys nothing: compare with what it found (run/verdicts.py)
                self.found = verdicts.snapshot_before(phases_of(self.config))
        try:
            result = yield
        except (KeyboardInterrupt, pytest.Session.Failed) as stop:
            says = str(session.shouldfail or session.shouldstop or "")
            self.stopped_early = early_stop(stop, pytest_says=says, signal=self.signal)
            if self.stopped_early and not is_worker(self.config):
                self._final_verdicts(session)
            raise
        else:
            if not is_worker(self.config) and not self.config.option.collectonly:
                self._final_verdicts(session)
        finally:
            if self.api_watch is not None:  # after --confirm's reruns, which it watches too
                self.api_watch.stop()
        return result

    def _final_verdicts(self, session: pytest.Session) -> None:
        from pytest_streamstress.report.failed_install import refile_after_failed_install
        from pytest_streamstress.run import confirm
        from pytest_streamstress.run.preconditions import phases_of

        analysis = self.config.pluginmanager.get_plugin("streamstress-analysis")
        history = getattr(analysis, "history", None)
        documents = history() if callable(history) else []
        phases = phases_of(self.config)
        phased = phases.outcome_if_run
        current = verdicts.built_commits(phased.builds if phased is not None else ())
        runs = verdicts.earlier_runs(documents)
        watch = self.api_watch
        outages = watch.outages() if watch is not None else ()
        moved, self.cluster_lost = verdicts.refile_cluster_lost(
            self.records, outages, categories=self.rules.categories
        )
        self.images_moved, self.images_note = verdicts.images_moved(phases, self.records.values(), self.found)
        moved += verdicts.refile_unattributed(self.records, current=current, runs=runs)
        moved += refile_after_failed_install(
            self.records, install_ran_first=self.settings.lifecycle_scenarios != "run"
        )
        unprovable = verdicts.cannot_confirm(images_moved=self.images_moved, outages=outages)
        if self.settings.confirm and unprovable:
            moved += confirm.not_checked(self.records, unprovable)
        elif self.settings.confirm:
            lost = watch.lost_during if watch is not None else None
            moved += verdicts.confirm_regressions(session, self.records, rules=self.rules, lost=lost)
        verdicts.refresh_views(self.failed_reports, self.records, moved, label=self.label)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int | pytest.ExitCode) -> None:
        if is_worker(self.config) or self.config.option.collectonly:
            return  # --collect-only ran nothing: keep the last run's results.json
        if self._handed_off():
            return  # --clusters: each cluster's session wrote its own run (run/fleet.py)
        records = self.sorted_records()
        pytest_code = int(session.exitstatus)
        errors = list(self.errors)
        ended_by_pytest = pytest_code in {pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR}
        if ended_by_pytest:
            errors.append(pytest_error(pytest_code))
        self.verdict = decide(
            records,
            RunState(
                fail_on=self.settings.fail_on,
                known=self.known_failures(records),
                errors=errors,
                other_failures=self.other_failures,
                interrupted=self.interrupted,
                signal=self.signal,
                stopped_during=self._stopped_during() if self.interrupted else "",
                collected=int(session.testscollected),
                usual_scenarios=self._usual_scenarios(),
                stopped_early=self.stopped_early,
                images_moved=self.images_moved,
                cluster_lost=self.cluster_lost,
                exit_override=pytest_code if ended_by_pytest else None,
                not_run=max(0, int(session.testscollected) - len(self.ended)) if self.stopped_early else 0,
            ),
        )
        if not self.exited and pytest_code not in {
            int(pytest.ExitCode.INTERNAL_ERROR),
            int(pytest.ExitCode.USAGE_ERROR),
        }:
            session.exitstatus = self.verdict.exit_code
        self.write_results(records, exit_code=int(session.exitstatus))
        if self.verdict.restore_failed and not session.exitstatus:
            session.exitstatus = self.verdict.exit_code  # a failed --restore: never green

    def _stopped_during(self) -> str:
        from pytest_streamstress.run.interrupted import stopped_during
        from pytest_streamstress.run.preconditions import phases_of

        return stopped_during(phases_of(self.config).so_far.stage)

    def _handed_off(self) -> bool:
        from pytest_streamstress.run.preconditions import phases_of

        return phases_of(self.config).handed_off

    def _usual_scenarios(self) -> int | None:
        analysis = self.config.pluginmanager.get_plugin("streamstress-analysis")
        usual = getattr(analysis, "usual_scenarios", None)
        return usual() if callable(usual) else None

    def known_failures(self, records: Sequence[ScenarioRecord]) -> set[str]:
        """Identities of failures a not-expired known-failures entry covers (for `--fail-on ...,-known`)."""
        if EXCLUDE_KNOWN not in self.settings.fail_on:
            return set()
        from pytest_streamstress.triage.known import load_known, match_known

        if self._known_entries is None:  # read the file once per session, not once per question
            self._known_entries = load_known(self.settings.known_failures)

        failures = {
            stable_id(r.spec, r.scenario): r.message
            for r in records
            if r.status in {Status.FAILED, Status.ERROR}
        }
        matches = match_known(failures, self._known_entries, today=dt.date.today())
        return {m.test for m in matches if not m.stale}

    def sorted_records(self) -> list[ScenarioRecord]:
        return sorted(self.records.values(), key=lambda r: (r.spec, r.line, r.nodeid))

    def write_results(self, records: list[ScenarioRecord], *, exit_code: int) -> None:
        from pytest_streamstress.run.interrupted import after_a_confirm_stop
        from pytest_streamstress.run.preconditions import phases_of
        from pytest_streamstress.run.signals import stopped_by

        phases = phases_of(self.config)
        interrupted = self.verdict is not None and self.verdict.status == "interrupted"
        phased = phases.outcome_if_run or (phases.interrupted_outcome() if interrupted else None)
        deployment = phased.deployment if phased is not None else None
        if interrupted and deployment is not None:
            deployment = after_a_confirm_stop(deployment, phases.so_far.stage, self.settings)
        if self.images_note and deployment is not None:
            joined = "; ".join(text for text in (deployment.message, self.images_note) if text)
            deployment = dataclasses.replace(deployment, message=joined)
        facts = RunFacts(
            run_id=self.run_id,
            started_at=self.started,
            finished_at=dt.datetime.now(dt.timezone.utc),
            status=self.verdict.status if self.verdict is not None else "error",
            exit_code=exit_code,
            label=self.settings.run_label,
            plugin_version=_plugin_version(),
            settings=results_file.public_settings(self.config, self.settings),
            requests=self.settings.components,
            builds=phased.builds if phased is not None else (),
            deployment=deployment,
            errors=tuple(self.errors),
            verdict=self.verdict.to_json() if self.verdict is not None else None,
            signal=stopped_by(self.config) if interrupted else "",
            cluster=phases.cluster_info,
            cluster_name=self.settings.cluster_name,
        )
        document = build_document(
            facts,
            records,
            labels=dict(self.rules.labels),
            colors=dict(self.rules.colors),
            redactor=self.redactor,
        )
        self.emulated = bool(document["emulated"])
        self.config.hook.pytest_streamstress_results(config=self.config, results=document)
        target = self.results_path
        ran = any(r.scenario != PARSE_ERROR for r in records)
        if not ran and target.is_file():
            # Nothing ran (no scenario reached setup): the last run's results.json is worth more
            # than an empty one; this session's record goes beside it (issue 22: nothing is lost).
            target = target.with_name(f"results-{self.run_id}.json")
            self.kept_previous = True
        written = results_file.write_run(
            target, document, phases=phases, redactor=self.redactor, verdict=self.verdict
        )
        self.written, self.restore, self.verdict = written.path, written.restore, written.verdict
        if self.written is not None and not self.kept_previous:
            self.config.hook.pytest_streamstress_results_written(config=self.config, path=target)

    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
    ) -> None:
        if is_worker(config) or config.option.collectonly or self._handed_off():
            return
        verbosity = int(getattr(config.option, "verbose", 0))
        if verbosity < -1:
            return
        lines = summary_lines(
            self.sorted_records(),
            labels=dict(self.rules.labels),
            fail_on=self.settings.fail_on,
            results_path=self.written,
            verbosity=verbosity,
            known=self.known_failures(self.sorted_records()),
            verdict=self.verdict,
            # A terminal's width; none for a pipe or CI log (the fallback): lines keep 160 characters
            width=shutil.get_terminal_size((0, 0)).columns,
            restore=self.restore,
        )
        terminalreporter.write_sep("=", "streamstress summary")
        for line in lines:
            terminalreporter.write_line(line)


def _plugin_version() -> str:
    try:
        return metadata.version("pytest-streamstress")
    except metadata.PackageNotFoundError:
        return ""
