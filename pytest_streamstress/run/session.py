"""Start of a streamstress session: settings, config files, and the per-run plugin objects.

Called once from `plugin.pytest_configure` when the plugin is active. It builds `Settings` (R12),
loads components.toml and categories.toml so that a broken file fails at start-up with its name and
line, and registers the objects that hold the run's state (R7): `Phases` (build and deploy, once
per session) and the `Recorder` (outcomes -> results.json, controller only).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_streamstress.components import ComponentCatalog, load_catalog
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.options import Settings, is_given, is_worker, settings_key
from pytest_streamstress.run.preconditions import Phases, phases_key
from pytest_streamstress.run.shared import SHARED_DIR_ENV

if TYPE_CHECKING:
    from pytest_streamstress.testing.embedded import EmbeddedCluster
    from pytest_streamstress.triage.categorize import Rules

log = logging.getLogger(__name__)


def configure_session(config: pytest.Config) -> None:
    """Settings, files and the emulated cluster first; then the plugin objects that hold the run."""
    settings = Settings.from_config(config)
    config.stash[settings_key] = settings
    from pytest_streamstress.run import signals

    # First: from here on SIGTERM and SIGHUP take the Ctrl-C path (issue 19).
    signals.register(config, bound=settings.stop_timeout, restore=settings.restore)
    if not is_worker(config):
        _sweep_stale_secrets()
        _check_folders_and_selection(config, settings)
    if settings.clusters is not None and not is_worker(config) and not config.option.help:
        from pytest_streamstress.run.fleet import prepare_fleet

        settings, _ = prepare_fleet(config, settings)  # before any clone or build (issue 22's rule)
        config.stash[settings_key] = settings
    from pytest_streamstress.run.shards import check_shard_options

    check_shard_options(settings)  # before any clone or build (issue 22's rule)
    from pytest_streamstress.run.checked_rules import load_checked_rules

    rules = load_checked_rules(settings)
    catalog = _catalog(settings)
    if settings.since_last_run:
        from pytest_streamstress.run.selection import selection
        from pytest_streamstress.run.since_last_run import apply

        asked = selection(config, settings).words
        settings, since_last_run = apply(
            settings, catalog, worker=is_worker(config), selection=asked
        )  # exit 0: nothing moved
        config.stash[settings_key] = settings
    else:
        since_last_run = ""
    _check_given_images(settings, catalog)
    if not is_worker(config) and not config.option.collectonly and not config.option.help:
        from pytest_streamstress.run.preflight import check_cluster, check_job_image

        check_cluster(settings)  # before the suite is cloned or anything is built
        check_job_image(settings)
    embedded = None
    if settings.cluster == "emulated":
        settings, embedded = _start_embedded(settings, interval_given=is_given(config, "profile_interval"))
        config.stash[settings_key] = settings

    from pytest_streamstress.run.collecting import configure_collection

    configure_collection(config, settings)
    if not is_worker(config) and not config.option.collectonly:
        from pytest_streamstress.gauge.execute import prune_previous_runs

        prune_previous_runs(settings.results_dir)  # the results directory holds the last run, not all
        prune_previous_logs(settings.results_dir)

    if settings.shards > 1 or settings.shard is not None:
        from pytest_streamstress.run.shards import ShardPlugin

        config.pluginmanager.register(ShardPlugin(config, settings), "streamstress-shards")
    phases = _register_phases(config, settings, catalog)
    from pytest_streamstress.run.heartbeats import fix_pace

    fix_pace(config)  # the terminal's width is known now, not under an item's capture
    phases.embedded = embedded
    phases.since_last_run = since_last_run
    _register_plugins(config, settings, catalog, phases, rules)


def _sweep_stale_secrets() -> None:
    """Registry credentials a killed run left in the temporary directory (only our own kind, by marker)."""
    from pytest_streamstress._infra import tempdirs
    from pytest_streamstress.build.registry import AUTH_KIND

    tempdirs.sweep_stale(AUTH_KIND)


def _catalog(settings: Settings) -> ComponentCatalog:
    try:
        catalog = load_catalog(settings.components_config)
    except ConfigError as exc:
        raise pytest.UsageError(f"--components-config: {exc}") from None
    settings.check_components(catalog)
    if settings.cluster == "emulated" and settings.components_config is None:
        from pytest_streamstress.testing.upstreams import local_catalog

        # No network in the embedded default: the shipped components build from local repositories
        # (before --since-last-run, which asks these same repositories for their heads).
        catalog = local_catalog(catalog, settings.results_dir / "emulator" / "upstreams")
    return catalog


def _check_given_images(settings: Settings, catalog: ComponentCatalog) -> None:
    """A bad `--image` or `--images-from` file is one usage error before any work (issue 22's rule),
    not a build error on every scenario after the cluster was set up."""
    from pytest_streamstress.run.building import given_images

    try:
        given_images(settings, catalog)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def _start_embedded(settings: Settings, *, interval_given: bool) -> tuple[Settings, EmbeddedCluster]:
    """`--cluster emulated`: the emulator, and the demo suite unless a suite was given."""
    from pytest_streamstress.testing.embedded import DEMO_SUITE, PROFILE_INTERVAL_S, start_embedded

    if not interval_given:
        # The emulated cluster's pipeline pods run for about a second, not minutes: sample to match.
        settings = dataclasses.replace(settings, profile_interval=PROFILE_INTERVAL_S)
    use_demo = settings.release_tests_dir is None
    if use_demo:
        # gauge runs in an overlay (gauge/execute.py), so the installed demo suite is never written to.
        settings = dataclasses.replace(settings, release_tests_dir=DEMO_SUITE)
    return settings, start_embedded(settings.results_dir / "emulator", demo_outcomes=use_demo)


def _register_phases(config: pytest.Config, settings: Settings, catalog: ComponentCatalog) -> Phases:
    phases = Phases(config, settings, catalog)
    if not is_worker(config):
        # Before xdist starts workers: they inherit the directory to coordinate in.
        phases.own_shared_dir = Path(tempfile.mkdtemp(prefix="streamstress-run-"))
        os.environ[SHARED_DIR_ENV] = str(phases.own_shared_dir)
    config.stash[phases_key] = phases
    config.pluginmanager.register(phases, "streamstress-phases")
    if phases.own_shared_dir is not None and getattr(config.option, "numprocesses", None):
        from pytest_streamstress._infra.progress import ProgressRelay

        config.pluginmanager.register(ProgressRelay(phases.own_shared_dir), "streamstress-progress")
    return phases


def _register_plugins(
    config: pytest.Config, settings: Settings, catalog: ComponentCatalog, phases: Phases, rules: Rules
) -> None:
    """The per-run plugin objects (R7); the ones that write files on the controller only (R27)."""
    from pytest_streamstress.run.claim import ClusterClaim, needs_claim

    if needs_claim(config, settings):
        config.pluginmanager.register(ClusterClaim(config, settings, phases), "streamstress-claim")
    if settings.profile:
        from pytest_streamstress.run.profiling import ProfilePlugin

        config.pluginmanager.register(ProfilePlugin(config, settings, phases), "streamstress-profile")

    from pytest_streamstress.run.analysis import AnalysisPlugin
    from pytest_streamstress.run.culprits import CulpritPlugin

    config.pluginmanager.register(AnalysisPlugin(config, settings), "streamstress-analysis")
    config.pluginmanager.register(CulpritPlugin(config, settings, catalog), "streamstress-culprits")
    if not is_worker(config):
        from pytest_streamstress.run.dashboard import DashboardPlugin

        config.pluginmanager.register(DashboardPlugin(config, settings), "streamstress-dashboard")
        if config.pluginmanager.hasplugin("html"):
            from pytest_streamstress.report.site import HtmlReportLink

            link = (settings.results_dir / "site" / "index.html").as_uri()
            config.pluginmanager.register(HtmlReportLink(link), "streamstress-html-link")

    from pytest_streamstress.run.recorder import Recorder

    recorder = Recorder(config, settings, catalog, rules)
    config.pluginmanager.register(recorder, "streamstress-recorder")
    if not is_worker(config) and config.pluginmanager.hasplugin("html"):
        from pytest_streamstress.run.html_report import HtmlReport

        config.pluginmanager.register(HtmlReport(recorder), "streamstress-html")
    if not is_worker(config):
        from pytest_streamstress.run.junit import JUnitFinisher

        config.pluginmanager.register(JUnitFinisher(config, recorder), "streamstress-junit")
        if settings.allure_results is not None:
            from pytest_streamstress.run.allure import AllureWriter

            config.pluginmanager.register(AllureWriter(config, settings, recorder), "streamstress-allure")


def prune_previous_logs(results_dir: Path) -> int:
    """`logs/` holds this run's logs only: a gauge or build log of an earlier session beside today's
    would be read as today's (issue 22). Earlier runs' results stay in `--history`."""
    removed = 0
    logs = results_dir / "logs"
    for path in sorted(logs.glob("*.log")) if logs.is_dir() else ():
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("removed %d log files of earlier sessions from %s", removed, logs)
    return removed


def _check_folders_and_selection(config: pytest.Config, settings: Settings) -> None:
    """Before the fleet's folders and the emulator's upstreams are made in --results-dir (issue 22)."""
    from pytest_streamstress.run.preflight import check_history_dir, check_results_dir

    if not config.option.help:
        check_results_dir(settings)
        check_history_dir(settings)
    _check_selection_travels(config, settings)


def _check_selection_travels(config: pytest.Config, settings: Settings) -> None:
    """--lf and --sw select from this machine's pytest cache, which a Job pod or another cluster's
    session does not have: they would run the whole suite there."""
    from pytest_streamstress.run.selection import needs_this_cache

    flag = needs_this_cache(config)
    away = "--in-cluster" if settings.in_cluster else "--clusters" if settings.clusters is not None else ""
    if flag and away:
        raise pytest.UsageError(
            f"{flag} with {away}: the selection lives in this machine's pytest cache, which the sessions"
            " there do not have; name the scenarios instead (node ids, -k or --gauge-tags)"
        )
