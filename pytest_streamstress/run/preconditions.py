"""Build once, deploy once, per session, also under pytest-xdist (DESIGN "Shape").

Scenario items call `Phases.ready()` in their setup: the first call builds the requested components
and deploys them; later calls return the stored outcome or re-raise the stored failure, so a broken
build or deploy shows up as the same readable setup error on every item. Under xdist the workers
coordinate through a file lock in a directory named after xdist's `testrunuid` and share the
outcome as JSON (never a pickle, R27). The fixtures `streamstress_builds` and
`streamstress_deployment` expose the same values to users' own Python tests.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_streamstress._infra.redact import Redactor, redactor_key
from pytest_streamstress.build.reuse import result_from_json, result_to_json
from pytest_streamstress.components import ComponentCatalog
from pytest_streamstress.errors import ConfigError, StreamstressError
from pytest_streamstress.model import (
    BuildResult,
    BuildStatus,
    ClusterInfo,
    ComponentName,
    ComponentRequest,
    Deployment,
    DeployStatus,
    ImageRef,
    RunningImage,
)
from pytest_streamstress.options import Settings, is_worker

if TYPE_CHECKING:
    from pytest_streamstress.build.registry import RegistryTarget
    from pytest_streamstress.cluster.client import Cluster
    from pytest_streamstress.cluster.discovery import ServedApis
    from pytest_streamstress.testing.embedded import EmbeddedCluster

log = logging.getLogger(__name__)

PHASE_LOCK_TIMEOUT_S: Final = 6 * 3600.0
"""A worker waits at most this long for another worker's build and deploy (bounded, R17)."""


class PhaseFailed(StreamstressError):
    """Building or deploying failed; every scenario item errors at setup with this message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseOutcome:
    builds: tuple[BuildResult, ...]
    deployment: Deployment
    error: str = ""
    error_phase: str = ""


class Phases:
    """Holds the session's build and deploy outcome; registered as a plugin for its fixtures."""

    def __init__(self, config: pytest.Config, settings: Settings, catalog: ComponentCatalog) -> None:
        self.config = config
        self.settings = settings
        self.catalog = catalog
        self._outcome: PhaseOutcome | None = None
        self.embedded: EmbeddedCluster | None = None
        self._redactor = Redactor()
        self.deploy_started_at: float | None = None
        """Wall time this process started deploying: a restore record written since then is ours."""
        self.own_shared_dir: Path | None = None
        """The shared directory this controller made (removed at the end)."""
        self._served_apis: ServedApis | None = None
        self.since_last_run = ""
        """--since-last-run's decision, shown in the report header ("" without the option)."""

    @property
    def is_emulated(self) -> bool:
        """The embedded emulator, or a Job pod the launcher started on it (it sets the mark)."""
        return self.embedded is not None or os.environ.get("STREAMSTRESS_EMULATED_CLUSTER") == "1"

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
            record = shared_dir(self.config) / "phases.json"
            if record.is_file():
                return outcome_from_json(json.loads(record.read_text(encoding="utf-8")))
        return self._outcome

    def ready(self) -> Deployment:
        """Run build and deploy if nobody did yet; raise `PhaseFailed` if either failed."""
        outcome = self.outcome()
        if outcome.error:
            raise PhaseFailed(f"{outcome.error_phase} failed, so this scenario did not run:\n{outcome.error}")
        return outcome.deployment

    def outcome(self) -> PhaseOutcome:
        if self._outcome is None:
            self._outcome = self._shared_outcome() if is_worker(self.config) else self._run_phases()
        return self._outcome

    @property
    def served_apis(self) -> ServedApis:
        """This process's discovery facts for triage (connects on first use, never before)."""
        if self._served_apis is None:
            from pytest_streamstress.cluster.discovery import ServedApis

            self._served_apis = ServedApis(self._connect)
        return self._served_apis

    # -- internals ----------------------------------------------------------------------------------

    def _shared_outcome(self) -> PhaseOutcome:
        """Under xdist: setup once, builds shared between the workers, deploy once (DESIGN "Shape")."""
        shared = shared_dir(self.config)
        record = shared / "phases.json"
        if record.exists():
            return outcome_from_json(json.loads(record.read_text(encoding="utf-8")))
        return self._run_phases(shared=shared)

    def _once(self, shared: Path | None, name: str, compute: Callable[[], str]) -> str:
        """Run `compute` in one worker only; the others wait for its value (or its error)."""
        if shared is None:
            return compute()
        from filelock import FileLock

        stored = shared / f"{name}.json"
        with FileLock(str(shared / f"{name}.lock"), timeout=PHASE_LOCK_TIMEOUT_S):
            if stored.exists():
                data = json.loads(stored.read_text(encoding="utf-8"))
                if data.get("error"):
                    raise PhaseFailed(data["error"])
                return str(data["value"])
            try:
                value = compute()
            except StreamstressError as exc:
                stored.write_text(json.dumps({"error": str(exc)}), encoding="utf-8")
                raise
            stored.write_text(json.dumps({"value": value}), encoding="utf-8")
            return value

    def _finish(self, shared: Path | None, make: Callable[[], PhaseOutcome]) -> PhaseOutcome:
        """The outcome every worker shares: the first worker to get here makes it (e.g. deploys)."""
        if shared is None:
            return make()
        from filelock import FileLock

        record = shared / "phases.json"
        with FileLock(str(shared / "phases.lock"), timeout=PHASE_LOCK_TIMEOUT_S):
            if record.exists():
                return outcome_from_json(json.loads(record.read_text(encoding="utf-8")))
            outcome = make()
            tmp = record.with_suffix(".tmp")
            tmp.write_text(json.dumps(outcome_to_json(outcome)), encoding="utf-8")
            tmp.replace(record)
            return outcome

    def _run_phases(self, *, shared: Path | None = None) -> PhaseOutcome:  # noqa: C901
        """Connect, set up, build, deploy: each step's failure becomes the items' setup error.

        With `shared` (xdist workers), setup runs in one worker, every worker takes part in the
        builds (each component is built once, by whichever worker gets to it first), and the first
        worker done building deploys for all of them.
        """
        settings = self.settings
        builds: tuple[BuildResult, ...] = ()
        phase = "cluster access"

        def failed(error: str, at: str, deployment: Deployment | None = None) -> PhaseOutcome:
            return PhaseOutcome(
                builds=builds,
                deployment=deployment or Deployment(status=DeployStatus.FAILED, message=error),
                error=error,
                error_phase=at,
            )

        try:
            cluster = self._connect() if self._needs_cluster() else None
            registry_host = settings.registry
            if cluster is not None and not settings.no_auto_setup:
                phase = "auto-setup"
                ready_cluster = cluster
                registry_host = registry_host or self._once(
                    shared, "setup", lambda: self._setup(ready_cluster)
                )
            phase = "build"
            builds = self._builds(cluster, registry_host, shared=shared)
        except StreamstressError as exc:
            error = str(exc)
            return self._finish(shared, lambda: failed(error, phase))
        from pytest_streamstress.build import decide

        decision = decide(builds, deploy_partial=settings.deploy_partial)
        if decision.skip_deploy:
            return self._finish(
                shared, lambda: failed(decision.error, "build", Deployment(status=DeployStatus.SKIPPED))
            )
        if settings.in_cluster:
            try:
                self._launch_in_cluster(cluster, builds)  # ends the session with pytest.exit (issue 8)
            except StreamstressError as exc:
                error = str(exc)
                return self._finish(shared, lambda: failed(error, "in-cluster launch"))

        def deploy_for_all() -> PhaseOutcome:
            deployment = Deployment(
                status=DeployStatus.SKIPPED,
                message="--skip-deploy",
                cluster=ClusterInfo(kind="emulated" if self.is_emulated else "none"),
            )
            if not settings.skip_deploy and cluster is not None:
                try:
                    deployment = self._deploy(cluster, decision.deploy)
                except StreamstressError as exc:
                    return failed(str(exc), "deploy")
            if decision.error:
                # --deploy-partial: the scenarios run; the failed builds stay in results.json.
                self.say(decision.error)
            return PhaseOutcome(builds=builds, deployment=deployment)

        return self._finish(shared, deploy_for_all)

    def _launch_in_cluster(self, cluster: Cluster | None, builds: tuple[BuildResult, ...]) -> None:
        """--in-cluster: a Job runs the same options with --skip-build and these images; this session ends."""
        from pytest_streamstress.run.launch import launch_from_session

        cluster = cluster or self._connect()
        launch = launch_from_session(
            self.config,
            self.settings,
            builds,
            cluster=cluster,
            emulated=self.embedded is not None,
        )
        self.say(launch.message)
        if self.embedded is not None:  # the emulated cluster ends with this session: wait for the Job here
            from pytest_streamstress.run.launch import DEFAULT_DEADLINE_S, follow_and_collect

            dest = self.settings.results_dir / "in-cluster" / launch.name
            collected = follow_and_collect(
                cluster,
                launch,
                dest,
                timeout=DEFAULT_DEADLINE_S,
                write=lambda line: self.say("job: " + line.rstrip()),
            )
            files = len(collected.files)
            self.say(f"emulated Job finished; {files} files collected (checksum verified) to {dest}")
        pytest.exit(launch.message, returncode=0)

    def _worker_id(self) -> str | None:
        workerinput = getattr(self.config, "workerinput", None)
        return str(workerinput["workerid"]) if workerinput else None

    def _needs_cluster(self) -> bool:
        settings = self.settings
        if settings.in_cluster:
            return True
        return not (settings.skip_deploy and (settings.skip_build or settings.registry))

    def _connect(self) -> Cluster:
        from pytest_streamstress.cluster.client import Access, Cluster

        settings = self.settings
        kubeconfig = settings.kubeconfig or (self.embedded.kubeconfig if self.embedded else None)
        access = Access(kubeconfig=kubeconfig, context=settings.context, request_timeout=settings.api_timeout)
        return Cluster.connect(access, redactor=self.redactor)

    def _setup(self, cluster: Cluster) -> str:
        from pytest_streamstress.cluster.setup import SetupParams, ensure

        settings = self.settings
        self.say("auto-setup: checking the registry route, image namespace and operator")
        report = ensure(
            cluster,
            SetupParams(
                channel=settings.operator_channel,
                source=settings.operator_source,
                target_namespace=settings.target_namespace,
                timeout=settings.setup_timeout,
            ),
            on_progress=self.say,
        )
        self.say(
            "auto-setup: "
            + ("changed " + "; ".join(report.changed) if report.changed else "nothing to do")
            + f" (operator {report.csv or 'unknown'})"
        )
        return report.registry_host

    def _builds(  # noqa: C901
        self, cluster: Cluster | None, registry_host: str, *, shared: Path | None = None
    ) -> tuple[BuildResult, ...]:
        """Build the requested components, or take `--image`/`--images-from` images with --skip-build."""
        from pytest_streamstress.build import (
            BuildEvent,
            BuildOptions,
            RegistryTarget,
            build_components,
            images_from_assignments,
            images_from_results,
        )

        settings = self.settings
        given: tuple[BuildResult, ...] = ()
        if settings.image:
            given += images_from_assignments(settings.image, self.catalog)
        if settings.images_from is not None:
            given += images_from_results(settings.images_from, self.catalog)
        if settings.skip_build:
            return given
        token = cluster.token if cluster is not None else None
        if settings.registry:
            target = RegistryTarget.from_option(settings.registry, password=token)
        elif registry_host:
            target = RegistryTarget.cluster(registry_host, token=token, insecure=True)
        else:
            raise ConfigError(
                "no registry to push the builds to: the cluster's registry route is unknown",
                hint="drop --no-auto-setup (it enables the route), or pass --registry HOST/NAMESPACE",
            )
        selected = self.catalog.select(settings.components)
        building = {spec.name for spec, _ in selected}
        reused = tuple(r for r in given if r.component not in building)
        shadowed = sorted(r.component for r in given if r.component in building)
        if shadowed:
            self.say(
                f"build: the given images of {', '.join(shadowed)} are not used: this run builds"
                " them (narrow --components to deploy them instead)"
            )
        if reused and settings.since_last_run and settings.images_from is not None:
            reused, gone = self._still_in_registry(reused, target)
            if gone:
                selected = (*selected, *self.catalog.select(gone))
        if reused:
            self.say(
                f"build: not building {', '.join(r.component for r in reused)}:"
                f" deploying the given images ({settings.images_from or '--image'})"
            )
        names = ", ".join(str(request) for _spec, request in selected)
        self.say(
            f"build: {len(selected)} component(s) ({names}), {settings.build_jobs} at a time,"
            f" pushing to {target.push}"
        )

        def progress(event: BuildEvent) -> None:
            if event.kind == "finish":
                self.say(f"build: {event.component} built in {event.duration_s:.1f}s")
            elif event.kind == "fail":
                self.say(
                    f"build: {event.component} FAILED after {event.duration_s:.1f}s"
                    + (f" (log {event.log_path})" if event.log_path else "")
                )
            elif event.kind == "start":
                log.info("build: %s started", event.component)

        pytest_cache = getattr(self.config, "cache", None)  # None with -p no:cacheprovider
        cache = (
            pytest_cache.mkdir("streamstress") if pytest_cache is not None else settings.results_dir / "cache"
        )
        started = time.monotonic()
        results = build_components(
            selected,
            options=BuildOptions.from_settings(settings),
            registry=target,
            work_dir=settings.results_dir / "build",
            log_dir=settings.results_dir / "logs",
            cache_dir=cache,
            redactor=self.redactor,
            on_event=progress,
            shared_dir=shared / "builds" if shared is not None else None,
            worker_id=self._worker_id(),
        )
        built = sum(1 for r in results if r.status is BuildStatus.BUILT)
        self.say(f"build: {built}/{len(results)} component(s) built in {time.monotonic() - started:.1f}s")
        return (*results, *reused)

    def _still_in_registry(
        self, reused: tuple[BuildResult, ...], target: RegistryTarget
    ) -> tuple[tuple[BuildResult, ...], tuple[ComponentRequest, ...]]:
        """--since-last-run: keep the reused components whose images the registry still has.

        The others (pruned, or the registry cannot say) are built again at the commit they were
        built from last time, so a pruned image never turns into a failed deploy.
        """
        kept: list[BuildResult] = []
        gone: list[ComponentRequest] = []
        for result in reused:
            missing = [image.name for image in result.images if not self._present(str(image.ref), target)]
            if not missing:
                kept.append(result)
                continue
            sha = result.source.sha if result.source is not None else None
            gone.append(ComponentRequest(name=result.component, ref=sha))
            self.say(
                f"build: last run's images of {result.component} ({', '.join(missing)}) are not in the"
                f" registry (pruned?) or cannot be checked: building it again at {sha or 'its branch head'}"
            )
        return tuple(kept), tuple(gone)

    @staticmethod
    def _present(ref: str, target: RegistryTarget) -> bool:
        from pytest_streamstress.build.manifests import image_present

        where = target.push_ref(ref)
        return where is not None and image_present(where, target) is True

    def _deploy(self, cluster: Cluster, builds: tuple[BuildResult, ...]) -> Deployment:
        from pytest_streamstress.cluster.deploy import DeployParams, deploy

        settings = self.settings
        if not any(b.images for b in builds):
            self.say("deploy: no images to deploy (nothing built or given with --image/--images-from)")
        params = DeployParams(
            strategy=settings.deploy_strategy,
            olm_timeout=settings.olm_timeout,
            deploy_timeout=settings.deploy_timeout,
            target_namespace=settings.target_namespace,
            record_dir=settings.results_dir,
            cluster_kind="emulated" if self.is_emulated else cluster.kind,
        )
        started = time.monotonic()
        self.deploy_started_at = time.time()
        result = deploy(cluster, builds, self.catalog, params, say=self.say)
        self.say(f"deploy: {result.status.value} in {time.monotonic() - started:.1f}s")
        return result

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
        settings = self.settings
        lines = []
        if self.embedded is not None:
            lines.append(
                "streamstress: EMULATED cluster (built-in OpenShift emulator; not a real cluster)"
                f" at kubeconfig {self.embedded.kubeconfig}"
            )
        else:
            lines.append(
                "streamstress: cluster from "
                + (
                    str(settings.kubeconfig)
                    if settings.kubeconfig
                    else "$KUBECONFIG / ~/.kube/config / in-cluster"
                )
            )
        requested = ", ".join(str(r) for r in settings.components) or "all components"
        lines.append(
            f"streamstress: components {requested}; build {'skipped' if settings.skip_build else 'on'};"
            f" deploy {'skipped' if settings.skip_deploy else settings.deploy_strategy};"
            f" results in {settings.results_dir}"
        )
        if self.since_last_run:
            lines.append(f"streamstress: --since-last-run: {self.since_last_run}")
        return lines

    # -- end of session: --restore --------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from pytest_streamstress.cluster.deploy import RESTORE_RECORD, DeployParams, restore

        record = self.settings.results_dir / RESTORE_RECORD
        if not (self.settings.restore and self.deploy_started_at is not None and record.is_file()):
            return
        if record.stat().st_mtime < self.deploy_started_at - 1:
            return  # an older session's record; this session patched nothing (a no-op deploy)

        self.say("--restore: putting the recorded operator images back")
        try:
            cluster = self._connect()
            restore(
                cluster,
                self.settings.results_dir / RESTORE_RECORD,
                self.catalog,
                DeployParams(
                    deploy_timeout=self.settings.deploy_timeout,
                    target_namespace=self.settings.target_namespace,
                    record_dir=self.settings.results_dir,
                ),
                say=self.say,
            )
        except StreamstressError as exc:
            self.say(
                f"--restore failed: {exc}\nrun `streamstress restore {self.settings.results_dir}` to retry"
            )

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
SHARED_DIR_ENV: Final = "STREAMSTRESS_SHARED_DIR"
"""Set by the controller before xdist starts workers: the directory they coordinate in."""


def shared_dir(config: pytest.Config) -> Path:
    """The run's directory shared by the controller and its xdist workers (made on first use)."""
    path = os.environ.get(SHARED_DIR_ENV, "")
    if not path:
        workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
        suffix = workerinput["testrunuid"] if workerinput else f"{os.getpid()}"
        path = str(Path(tempfile.gettempdir()) / f"streamstress-{suffix}")
        if not is_worker(config):
            os.environ[SHARED_DIR_ENV] = path
    Path(path).mkdir(parents=True, exist_ok=True)
    return Path(path)


def phases_of(config: pytest.Config) -> Phases:
    return config.stash[phases_key]


# -- JSON for sharing between workers (and for --images-from) -------------------------------------------


def deployment_to_json(deployment: Deployment) -> dict[str, Any]:
    cluster = deployment.cluster
    return {
        "status": deployment.status.value,
        "strategy": deployment.strategy,
        "cluster": {
            "kind": cluster.kind,
            "server": cluster.server,
            "openshift_version": cluster.openshift_version,
            "operator_csv": cluster.operator_csv,
            "operator_version": cluster.operator_version,
        },
        "running": [
            {
                "component": r.component,
                "env_var": r.env_var,
                "expected": r.expected,
                "actual": r.actual,
                "where": r.where,
            }
            for r in deployment.running
        ],
        "message": deployment.message,
        "restore_record": None if deployment.restore_record is None else str(deployment.restore_record),
    }


def deployment_from_json(data: dict[str, Any]) -> Deployment:
    cluster = data.get("cluster", {"kind": "none"})
    return Deployment(
        status=DeployStatus(data["status"]),
        strategy=data.get("strategy", ""),
        cluster=ClusterInfo(**cluster),
        running=tuple(
            RunningImage(
                component=ComponentName(r["component"]),
                env_var=r["env_var"],
                expected=ImageRef(r["expected"]),
                actual=r["actual"],
                where=r["where"],
            )
            for r in data.get("running", [])
        ),
        message=data.get("message", ""),
        restore_record=Path(data["restore_record"]) if data.get("restore_record") else None,
    )


def outcome_to_json(outcome: PhaseOutcome) -> dict[str, Any]:
    return {
        "builds": [result_to_json(b) for b in outcome.builds],
        "deployment": deployment_to_json(outcome.deployment),
        "error": outcome.error,
        "error_phase": outcome.error_phase,
        "written_at": time.time(),
    }


def outcome_from_json(data: dict[str, Any]) -> PhaseOutcome:
    return PhaseOutcome(
        builds=tuple(result_from_json(b) for b in data["builds"]),
        deployment=deployment_from_json(data["deployment"]),
        error=data.get("error", ""),
        error_phase=data.get("error_phase", ""),
    )
