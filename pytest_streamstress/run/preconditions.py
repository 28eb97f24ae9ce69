"""Build once, deploy once, per session, also under pytest-xdist (DESIGN "Shape").

Scenario items call `Phases.ready()` in their setup: the first call builds the requested components
and deploys them; later calls return the stored outcome or re-raise the stored failure, so a broken
build or deploy shows up as the same readable setup error on every item. Under xdist the workers
coordinate through run/shared.py and share the outcome as JSON (never a pickle, R27). The fixtures
`streamstress_builds` and `streamstress_deployment` expose the same values to users' own tests.
The steps themselves are run/building.py and run/deploying.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

from pytest_streamstress._infra.redact import Redactor, redactor_key
from pytest_streamstress.components import ComponentCatalog
from pytest_streamstress.errors import StreamstressError
from pytest_streamstress.model import BuildResult, ClusterInfo, Deployment, DeployStatus, Restore
from pytest_streamstress.options import Settings, is_worker
from pytest_streamstress.report.verdict import PHASE_FAILED_LEAD
from pytest_streamstress.run import building, deploying, interrupted
from pytest_streamstress.run.heartbeats import pace_of
from pytest_streamstress.run.preflight import needs_cluster
from pytest_streamstress.run.shared import (
    SHARED_DIR_ENV,
    PhaseFailed,
    PhaseOutcome,
    finish_once,
    run_once,
    shared_dir,
    stored_outcome,
)

if TYPE_CHECKING:
    from pytest_streamstress.cluster.access import Access
    from pytest_streamstress.cluster.client import Cluster
    from pytest_streamstress.cluster.discovery import ServedApis
    from pytest_streamstress.profile.shards import ShardPlan
    from pytest_streamstress.testing.embedded import EmbeddedCluster

log = logging.getLogger(__name__)


class Phases:
    """Holds the session's build and deploy outcome; registered as a plugin for its fixtures."""

    def __init__(self, config: pytest.Config, settings: Settings, catalog: ComponentCatalog) -> None:
        self.config = config
        self.settings = settings
        self.catalog = catalog
        self._outcome: PhaseOutcome | None = None
        self.embedded: EmbeddedCluster | None = None
        self._redactor = Redactor()
        self.session_started_at = time.time()
        self.deploy_started_at: float | None = None
        """Wall time this process started deploying: a restore record written since then is ours."""
        self.own_shared_dir: Path | None = None
        """The shared directory this controller made (removed at the end)."""
        self._served_apis: ServedApis | None = None
        self._connected: ClusterInfo | None = None
        """Kind and server of the cluster this process connected to (None before it did)."""
        self.since_last_run = ""
        """--since-last-run's decision, shown in the report header ("" without the option)."""
        self.handed_off = False
        """`--clusters`: this session built and handed the run to one session per cluster (run/fleet.py)."""
        self.so_far = interrupted.SoFar()
        """Where the phases are and what they did: what results.json keeps when a stop cuts them."""
        self._restore_asked = False

    @property
    def is_emulated(self) -> bool:
        """The embedded emulator, or a Job pod the launcher started on it (it sets the mark)."""
        return self.embedded is not None or os.environ.get("STREAMSTRESS_EMULATED_CLUSTER") == "1"

    @property
    def deployed_since(self) -> float | None:
        """When the deploy began; under xdist a worker deployed, so: when the session began."""
        by_worker = self.deploy_started_at is None and getattr(self.config.option, "numprocesses", None)
        return self.session_started_at if by_worker else self.deploy_started_at

    @property
    def cluster_info(self) -> ClusterInfo:
        """What this run knows of its cluster, also when setup or deploy failed or never ran (issue 19)."""
        if self.is_emulated:
            server = self._connected.server if self._connected is not None else ""
            return ClusterInfo(kind="emulated", server=server)
        return self._connected or ClusterInfo(kind="none")

    @property
    def redactor(self) -> Redactor:
        """The session's redactor (it knows the kubeconfig and registry secrets), else our own."""
        return self.config.stash.get(redactor_key, self._redactor)

    # -- the fixtures -------------------------------------------------------------------------------

    @pytest.fixture(scope="session")
    def streamstress_builds(self) -> tuple[BuildResult, ...]:
        """The session's builds (built once, shared by every worker)."""
        return self.outcome().builds

    @pytest.fixture(scope="session")
    def streamstress_deployment(self) -> Deployment:
        """The session's deployment; errors the test at setup when build or deploy failed."""
        return self.ready()

    # -- the API items use --------------------------------------------------------------------------

    @property
    def outcome_if_run(self) -> PhaseOutcome | None:
        """The outcome if the phases ran (the Recorder reads it at the end).

        Under xdist the controller never runs them itself: it reads what a worker shared.
        """
        if self._outcome is None and not is_worker(self.config):
            return stored_outcome(shared_dir(self.config))
        return self._outcome

    def ready(self) -> Deployment:
        """Run build and deploy if nobody did yet; raise `PhaseFailed` if either failed."""
        outcome = self.outcome()
        if outcome.error:
            raise PhaseFailed(f"{outcome.error_phase} failed, {PHASE_FAILED_LEAD}\n{outcome.error}")
        return outcome.deployment

    def outcome(self) -> PhaseOutcome:
        if self._outcome is None:
            if is_worker(self.config):
                shared = shared_dir(self.config)
                self._outcome = stored_outcome(shared) or self._run_phases(shared=shared)
            else:
                self._outcome = self._run_phases()
            self.so_far.stage = "tests"
        return self._outcome

    def interrupted_outcome(self) -> PhaseOutcome | None:
        """What a stop signal left of build and deploy, when it cut them before they had an outcome."""
        if self.outcome_if_run is not None or self.so_far.stage in {"", "tests"}:
            return None
        return interrupted.left_by_a_stop(
            self.so_far,
            requested=tuple(spec for spec, _ in self.catalog.select(self.settings.components)),
            settings=self.settings,
            cluster=self.cluster_info,
            redactor=self.redactor,
        )

    @property
    def served_apis(self) -> ServedApis:
        """This process's discovery facts for triage (connects on first use, never before)."""
        if self._served_apis is None:
            from pytest_streamstress.cluster.discovery import ServedApis

            self._served_apis = ServedApis(self.connect)
        return self._served_apis

    # -- internals ----------------------------------------------------------------------------------

    def _run_phases(self, *, shared: Path | None = None) -> PhaseOutcome:
        """Connect, set up, build, deploy: each step's failure becomes the items' setup error.

        With `shared` (xdist workers), setup runs in one worker, every worker takes part in the
        builds (each component is built once, by whichever worker gets to it first), and the first
        worker done building deploys for all of them.
        """
        builds: tuple[BuildResult, ...] = ()
        phase = self.so_far.stage = "cluster access"
        try:
            cluster = self.connect() if needs_cluster(self.settings) else None
            registry_host = self.settings.registry
            if cluster is not None and not self.settings.no_auto_setup:
                phase = self.so_far.stage = "auto-setup"
                ready = cluster
                registry_host = registry_host or run_once(
                    shared,
                    "setup",
                    lambda: deploying.run_setup(ready, self.settings, self.say, pace=pace_of(self.config)),
                )
            phase = self.so_far.stage = "build"
            builds = building.run_build_step(self._build_step(cluster, registry_host, shared))
            self.so_far.builds = list(builds)  # with the given (reused) images
        except StreamstressError as exc:
            error, at, info = str(exc), phase, self.cluster_info
            return finish_once(shared, lambda: _failed(builds, error, at, cluster=info))
        return self._deploy_builds(cluster, builds, shared, registry_host)

    def _deploy_builds(
        self,
        cluster: Cluster | None,
        builds: tuple[BuildResult, ...],
        shared: Path | None,
        registry_host: str = "",
    ) -> PhaseOutcome:
        from pytest_streamstress.build import decide

        settings = self.settings
        decision = decide(builds, deploy_partial=settings.deploy_partial)
        info = self.cluster_info
        if decision.skip_deploy:
            skipped = Deployment(status=DeployStatus.SKIPPED, cluster=info)
            return finish_once(shared, lambda: _failed(builds, decision.error, "build", skipped))
        plan = self._shard_plan()
        handed = self._hand_over(cluster, builds, decision.deploy, shared, registry_host, plan=plan)
        if handed is not None:
            return handed

        def deploy_for_all() -> PhaseOutcome:
            deployment = Deployment(status=DeployStatus.SKIPPED, message="--skip-deploy", cluster=info)
            if not settings.skip_deploy and cluster is not None:
                try:
                    self.so_far.stage = "deploy"
                    self.deploy_started_at = time.time()
                    deployment = deploying.run_deploy(
                        cluster,
                        decision.deploy,
                        self.catalog,
                        settings,
                        emulated=self.is_emulated,
                        say=self.say,
                        pace=pace_of(self.config),
                    )
                except StreamstressError as exc:
                    return _failed(builds, str(exc), "deploy", cluster=self.cluster_info)
                self.so_far.deployed = deployment
            if decision.error:
                # --deploy-partial: the scenarios run; the failed builds stay in results.json.
                self.say(decision.error)
            return PhaseOutcome(builds=builds, deployment=deployment)

        if plan is not None:
            # Shards (issue 23): deploy once here, then every pod tests what is deployed.
            deployed = deploy_for_all()
            if deployed.error:
                return finish_once(shared, lambda: deployed)
            return self._launch_or_fail(cluster, builds, shared, plan=plan) or deployed
        return finish_once(shared, deploy_for_all)

    def _hand_over(
        self,
        cluster: Cluster | None,
        builds: tuple[BuildResult, ...],
        deploy: tuple[BuildResult, ...],
        shared: Path | None,
        registry_host: str,
        *,
        plan: ShardPlan | None,
    ) -> PhaseOutcome | None:
        """Where this session ends after the build: `--clusters` (one session per cluster) or one Job."""
        if self.settings.clusters is not None:
            from pytest_streamstress.run.fleet import hand_over

            self.handed_off = True  # this session runs no scenario: its Recorder writes nothing
            hand_over(  # ends the session (pytest.exit)
                self.config,
                self.settings,
                cluster,
                deploy,
                registry_host=registry_host,
                say=self.say,
                redactor=self.redactor,
            )
        if self.settings.in_cluster and plan is None:
            return self._launch_or_fail(cluster, builds, shared)  # on success pytest.exit ends the session
        return None

    def _launch_or_fail(
        self,
        cluster: Cluster | None,
        builds: tuple[BuildResult, ...],
        shared: Path | None,
        *,
        plan: ShardPlan | None = None,
    ) -> PhaseOutcome | None:
        """Launch (the session then ends with pytest.exit); a launch that fails errors every item."""
        self.so_far.stage = interrupted.IN_CLUSTER
        try:
            self._launch_in_cluster(cluster, builds, plan=plan)
        except StreamstressError as exc:
            error, info = str(exc), self.cluster_info
            return finish_once(shared, lambda: _failed(builds, error, "in-cluster launch", cluster=info))
        return None

    def _shard_plan(self) -> ShardPlan | None:
        """The collection's plan when this session launches more than one shard (`--shards`)."""
        if not self.settings.in_cluster or self.settings.shards < 2:
            return None
        from pytest_streamstress.run.shards import plan_key

        plan = self.config.stash.get(plan_key, None)
        return plan if plan is not None and plan.count > 1 else None

    def _build_step(
        self, cluster: Cluster | None, registry_host: str, shared: Path | None
    ) -> building.BuildStep:
        pytest_cache = getattr(self.config, "cache", None)  # None with -p no:cacheprovider
        cache = (
            pytest_cache.mkdir("streamstress")
            if pytest_cache is not None
            else self.settings.results_dir / "cache"
        )
        ca = None
        if cluster is not None and not self.settings.registry and not self.settings.skip_build:
            from pytest_streamstress.cluster.tls import ingress_ca

            ca = ingress_ca(cluster)  # the registry route is verified, never trusted blindly (issue 19)
        return building.BuildStep(
            settings=self.settings,
            catalog=self.catalog,
            token=cluster.token if cluster is not None else None,
            registry_host=registry_host,
            registry_ca=ca.pem if ca is not None else b"",
            registry_ca_source=ca.source if ca is not None else "",
            cache_dir=cache,
            redactor=self.redactor,
            say=self.say,
            shared=shared,
            worker_id=self._worker_id(),
            pace=pace_of(self.config),
            on_result=self.so_far.builds.append,
        )

    def _launch_in_cluster(
        self, cluster: Cluster | None, builds: tuple[BuildResult, ...], *, plan: ShardPlan | None = None
    ) -> None:
        """--in-cluster: a Job runs the same options with --skip-build and these images; this session ends."""
        from pytest_streamstress.run.launch import launch_from_session

        cluster = cluster or self.connect()
        launch = launch_from_session(
            self.config,
            self.settings,
            builds,
            cluster=cluster,
            emulated=self.embedded is not None,
            plan=plan,
            say=self.say,
        )
        self.say(launch.message)
        code = 0
        from pytest_streamstress.run.shard_results import adopt_run

        if plan is not None:
            for line in plan.lines():
                self.say(line)
            if self.embedded is not None:  # the emulated cluster ends with this session: wait for the shards
                from pytest_streamstress.run.shard_results import wait_and_merge

                merged = wait_and_merge(
                    cluster, launch, self.settings.results_dir, say=self.say, pace=pace_of(self.config)
                )
                code = adopt_run(self.config, self.settings.results_dir, merged)
        elif self.embedded is not None:  # the emulated cluster ends with this session: wait for the Job here
            from pytest_streamstress.run.launch import DEFAULT_DEADLINE_S, follow_and_collect

            dest = self.settings.results_dir / "in-cluster" / launch.name
            collected = follow_and_collect(
                cluster,
                launch,
                dest,
                timeout=DEFAULT_DEADLINE_S,
                write=lambda line: self.say("job: " + line.rstrip()),
                pace=dataclasses.replace(pace_of(self.config), prefix_len=len("streamstress: job: ")),
            )
            files = len(collected.files)
            self.say(f"emulated Job finished; {files} files collected (checksum verified) to {dest}")
            if (dest / "results.json").is_file():
                code = adopt_run(self.config, self.settings.results_dir, dest / "results.json")
            else:
                code = 1
                self.say(f"the Job wrote no results.json (see its log in {dest}); exit 1")
        # The Job ran the scenarios; this session writes no results.json of its own. Not before the
        # emulated waits end: a launcher stopped in them writes an interrupted run of its own.
        self.handed_off = True
        pytest.exit(launch.message, returncode=code)

    def _worker_id(self) -> str | None:
        workerinput = getattr(self.config, "workerinput", None)
        return str(workerinput["workerid"]) if workerinput else None

    def access(self) -> Access:
        """How to reach this session's cluster (the emulator's kubeconfig with --cluster emulated)."""
        from pytest_streamstress.cluster.access import Access

        settings = self.settings
        kubeconfig = settings.kubeconfig or (self.embedded.kubeconfig if self.embedded else None)
        return Access(kubeconfig=kubeconfig, context=settings.context, request_timeout=settings.api_timeout)

    def connect(self) -> Cluster:
        """A client for this session's cluster."""
        from pytest_streamstress.cluster.client import Cluster

        cluster = Cluster.connect(self.access(), redactor=self.redactor)
        self._connected = ClusterInfo(kind=cluster.kind, server=cluster.server)
        return cluster

    def say(self, text: str) -> None:
        """Progress on the terminal (controller, not -q) and in the log (R23, R24)."""
        log.info("%s", text)
        if is_worker(self.config):
            from pytest_streamstress._infra.progress import append

            append(shared_dir(self.config), f"streamstress: {self.redactor(text)}")  # the controller shows it
            return
        if self.config.get_verbosity() < 0:
            return
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        # Phases run inside an item's setup, where output is captured; progress must reach the user live.
        context = capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext()
        with context:
            reporter.write_line(f"streamstress: {self.redactor(text)}")

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        from pytest_streamstress.run.header import header_lines

        return header_lines(self.settings, self.embedded, self.since_last_run)

    def fail_early(self, error: str, phase: str) -> None:
        """Every scenario errors at setup with `error`, also in the xdist workers (run/claim.py)."""
        failed = _failed((), error, phase, cluster=self.cluster_info)
        self._outcome = failed
        if self.own_shared_dir is not None:
            finish_once(self.own_shared_dir, lambda: failed)

    # -- end of session: --restore --------------------------------------------------------------------

    def restore_at_end(self) -> Restore | None:
        """`--restore`, once, on the controller: after every worker and --confirm's reruns. The Recorder
        calls it between its two writes of results.json; None: nothing of ours to put back."""
        if self._restore_asked or is_worker(self.config):
            return None
        self._restore_asked = True
        record = deploying.restore_record_is_ours(self.settings, self.deployed_since)
        if record is None:
            return None
        from pytest_streamstress.run.signals import cutoff_of

        cutoff, pace = cutoff_of(self.config), pace_of(self.config)
        return deploying.run_restore(
            self.connect, record, self.catalog, self.settings, self.say, cutoff=cutoff, pace=pace
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.restore_at_end()  # when the Recorder wrote nothing (--collect-only, --clusters): still restore

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self._served_apis is not None:
            self._served_apis.close()
        if self.embedded is not None:
            self.embedded.stop()
        if self.own_shared_dir is not None:
            shutil.rmtree(self.own_shared_dir, ignore_errors=True)  # locks and the workers' phases.json
            if os.environ.get(SHARED_DIR_ENV) == str(self.own_shared_dir):
                del os.environ[SHARED_DIR_ENV]


phases_key: Final = pytest.StashKey[Phases]()


def phases_of(config: pytest.Config) -> Phases:
    return config.stash[phases_key]


def _failed(
    builds: tuple[BuildResult, ...],
    error: str,
    at: str,
    deployment: Deployment | None = None,
    *,
    cluster: ClusterInfo | None = None,
) -> PhaseOutcome:
    known = cluster or ClusterInfo(kind="none")
    failed = Deployment(status=DeployStatus.FAILED, message=error, cluster=known)
    return PhaseOutcome(
        builds=builds,
        deployment=deployment or failed,
        error=error,
        error_phase=at,
    )
