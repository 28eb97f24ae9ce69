"""`--clusters FILE` (issue 23): build once, then one session per cluster, in parallel; one run per cluster.

The session that reads the file is the fleet's: at start-up it checks the file and the options,
starts the emulators of `emulated = true` members and points itself at the first cluster (the build
pushes there). After the build (`run/preconditions.py` hands over instead of deploying) it prepares
each member on a thread of its own (connect, auto-setup, copy the images into its registry:
`run/fleet_members.py`) and starts that member's session as a process: an ordinary streamstress
session with `--cluster-name`, which deploys, runs the suite (as an Indexed Job with the member's
`shards`), restores, and records its run in `results/clusters/<name>/` and in `--history`. A member
that cannot be reached, refuses the copy or breaks does not stop the others: its line says why.

When every member has ended, the fleet writes `results/clusters.json` (one entry per cluster: its
status, exit code, verdict and results.json), builds the dashboard over all of them, publishes each
run once with `--publish`, and exits with the worst member's exit code. A stop signal reaches every
member's process group (`_infra/proc`); each member restores and writes its own interrupted run.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.errors import ConfigError, StreamstressError
from pytest_streamstress.options import Settings, is_given
from pytest_streamstress.run.fleet_file import FleetMember, load_fleet
from pytest_streamstress.run.fleet_summary import (
    NOT_STARTED,
    SUMMARY_FILE,
    MemberResult,
    read_result,
    write_summary,
)

if TYPE_CHECKING:
    from pytest_streamstress._infra.proc import Running
    from pytest_streamstress.build.registry import RegistryTarget
    from pytest_streamstress.cluster.client import Cluster
    from pytest_streamstress.model import BuildResult
    from pytest_streamstress.run.fleet_members import MemberPlan, SessionShape

log = logging.getLogger(__name__)

fleet_key: Final = pytest.StashKey["Fleet"]()
STOP_MARGIN_S: Final = 30.0
"""Beyond --stop-timeout: a member's session ends its gauge and writes results.json after its restore."""


@dataclass
class Fleet:
    """The members, their kubeconfigs and the emulators this session started for them (R7: a plugin)."""

    source: Path
    members: tuple[FleetMember, ...]
    kubeconfigs: dict[str, Path] = field(default_factory=dict)
    emulators: list[Any] = field(default_factory=list)
    saved_env: dict[str, str | None] = field(default_factory=dict)
    results: list[MemberResult] = field(default_factory=list)
    site: Path | None = None
    published: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def home(self) -> FleetMember:
        return self.members[0]

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.results:
            return
        terminalreporter.write_sep("=", f"streamstress: {len(self.members)} clusters")
        order = {m.name: i for i, m in enumerate(self.members)}
        for result in sorted(self.results, key=lambda r: order[r.name]):
            terminalreporter.write_line(result.line, red=result.exit_code != 0, green=result.exit_code == 0)
        if self.site is not None:
            terminalreporter.write_line(f"dashboard: {self.site.resolve().as_uri()}")
        for line in self.published:
            terminalreporter.write_line(f"published: {line}")
        for line in self.problems:
            terminalreporter.write_line(line, yellow=True)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        from pytest_streamstress.testing.embedded import restore_env

        for emulator in self.emulators:
            emulator.stop()
        restore_env(self.saved_env)


def prepare_fleet(config: pytest.Config, settings: Settings) -> tuple[Settings, Fleet]:
    """Read the file, refuse what cannot work, start emulated members; this session builds for the first."""
    assert settings.clusters is not None
    source = Path(config.invocation_params.dir, settings.clusters)
    try:
        members = load_fleet(source)
    except ConfigError as exc:
        raise pytest.UsageError(f"--clusters: {exc}") from None
    _check_options(config, settings, members)
    fleet = Fleet(source=source, members=members)
    config.pluginmanager.register(fleet, "streamstress-fleet")
    config.stash[fleet_key] = fleet
    emulated = [m for m in members if m.emulated]
    if emulated:
        _start_emulators(
            fleet, emulated, settings.results_dir / "emulator", demo=settings.release_tests_dir is None
        )
    for member in members:
        if member.kubeconfig is not None:
            fleet.kubeconfigs[member.name] = member.kubeconfig
    home = fleet.home
    if len(emulated) == len(members):
        # All emulated: this session joins the first emulator the embedded way (stand-ins, local upstreams).
        from pytest_streamstress.testing.embedded import ENV_KUBECONFIG, set_env

        set_env(fleet.saved_env, ENV_KUBECONFIG, str(fleet.kubeconfigs[home.name]))
        return dataclasses.replace(settings, cluster="emulated", kubeconfig=None, context=""), fleet
    return (
        dataclasses.replace(
            settings, cluster="kubeconfig", kubeconfig=fleet.kubeconfigs[home.name], context=home.context
        ),
        fleet,
    )


def _check_options(config: pytest.Config, settings: Settings, members: Sequence[FleetMember]) -> None:
    """Contradictions are usage errors before anything is cloned or built (issue 22's rule)."""
    for name in ("kubeconfig", "context", "cluster_name", "shards", "shard"):
        if is_given(config, name):
            flag = "--" + name.replace("_", "-")
            raise pytest.UsageError(
                f"{flag} with --clusters: each cluster's kubeconfig, context, name and shards come from"
                f" the file {settings.clusters}; drop {flag} or set it in the file's [[cluster]] table"
            )
    if getattr(config.option, "numprocesses", None):
        raise pytest.UsageError(
            "-n with --clusters: this session only builds and waits; give --streamstress-parallel N"
            " and each cluster's session starts its own workers"
        )
    sharded = [m.name for m in members if m.shards > 1]
    if sharded and settings.confirm:
        raise pytest.UsageError(
            f"--confirm with shards (clusters {', '.join(sharded)}): confirmation reruns on the shipped"
            " images would redeploy the operator under the other shards; drop shards or --confirm"
        )
    real_sharded = [m.name for m in members if m.shards > 1 and not m.emulated]
    if real_sharded and settings.restore:
        raise pytest.UsageError(
            f"--restore with shards on {', '.join(real_sharded)}: their launch returns before the last"
            " shard ends; drop --restore and run `streamstress restore` after `streamstress collect`"
        )


def _start_emulators(fleet: Fleet, members: Sequence[FleetMember], workdir: Path, *, demo: bool) -> None:
    from pytest_streamstress.testing.embedded import DEMO_SUITE, set_env, start_emulator
    from pytest_streamstress.testing.standins import install_standins, path_with

    bin_dir = install_standins(workdir / "bin")
    set_env(fleet.saved_env, "PATH", path_with(bin_dir))
    if demo and "GAUGE_STANDIN_OUTCOMES" not in os.environ:
        set_env(fleet.saved_env, "GAUGE_STANDIN_OUTCOMES", str(DEMO_SUITE / "outcomes.toml"))
    for member in members:
        emulator = start_emulator(workdir / member.name)
        fleet.emulators.append(emulator)
        fleet.kubeconfigs[member.name] = Path(emulator.kubeconfig)
        log.info("emulated cluster %s at %s", member.name, emulator.url)


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetRun:
    """What `run_fleet` needs from the session that built."""

    settings: Settings
    shape: SessionShape
    builds: tuple[BuildResult, ...]
    home_target: RegistryTarget | None
    components: Callable[[Sequence[BuildResult]], list[dict[str, Any]]]
    """The builds as results.json's `components` list (the member's `--images-from` file)."""
    connect: Callable[[FleetMember, Path], Cluster]
    setup: Callable[[Cluster, Callable[[str], None]], str]
    """Auto-setup of a member's cluster; returns its registry route's host ("" when not set up)."""
    say: Callable[[str], None]
    heartbeat_s: float


def run_fleet(fleet: Fleet, run: FleetRun) -> int:
    """Prepare and start every member at once, wait for all, summarise; returns the worst exit code."""
    from pytest_streamstress._infra.heartbeat import seconds

    started = time.monotonic()
    lock = threading.Lock()
    say_once = run.say

    def say(text: str) -> None:
        with lock:  # the members' threads share one terminal: one whole line at a time
            say_once(text)

    run = dataclasses.replace(run, say=say)
    # Each member says it ended through its own Event: a Thread.join that a KeyboardInterrupt cuts
    # can leave the Thread marked as stopped while it still runs (seen on CPython 3.11), and the summary
    # written after a stop signal would then miss a member that was only finishing.
    ended = {member.name: threading.Event() for member in fleet.members}
    threads = [
        threading.Thread(
            target=_member_thread,
            args=(fleet, member, run, ended[member.name]),
            name=f"cluster-{member.name}",
        )
        for member in fleet.members
    ]
    names = ", ".join(m.name for m in fleet.members)
    run.say(f"clusters: running on {len(fleet.members)} clusters at once ({names})")
    for thread in threads:
        thread.start()
    next_beat = run.heartbeat_s
    try:
        while not all(event.is_set() for event in ended.values()):
            for event in ended.values():
                event.wait(timeout=0.2)
            elapsed = time.monotonic() - started
            if run.heartbeat_s and elapsed >= next_beat:
                next_beat = elapsed + run.heartbeat_s
                waiting = [name for name, event in ended.items() if not event.is_set()]
                done = len(ended) - len(waiting)
                run.say(f"clusters: waiting {seconds(elapsed)} for {', '.join(waiting)}; {done} done")
    except KeyboardInterrupt:
        # The stop signal already reached every member's process group (_infra/proc.stop_all): each
        # restores its cluster and writes its interrupted run; wait for that, within the stop bound.
        run.say("clusters: stopping; waiting for each cluster's session to restore and write its results")
        deadline = time.monotonic() + run.settings.stop_timeout + STOP_MARGIN_S
        for event in ended.values():
            event.wait(timeout=max(0.0, deadline - time.monotonic()))
        raise
    finally:
        write_summary(fleet.source, fleet.members, fleet.results, run.settings.results_dir)
    return max((r.exit_code for r in fleet.results), default=NOT_STARTED)


def _member_thread(fleet: Fleet, member: FleetMember, run: FleetRun, ended: threading.Event) -> None:
    """One member, start to end; every failure becomes this member's result, never the others'."""
    try:
        _member(fleet, member, run)
    finally:
        ended.set()


def _member(fleet: Fleet, member: FleetMember, run: FleetRun) -> None:
    from pytest_streamstress.run import fleet_members as fm

    def say(text: str) -> None:
        run.say(f"[{member.name}] {text}")

    results_dir = fm.member_results_dir(run.settings.results_dir, member.name)
    started = time.monotonic()
    try:
        kubeconfig = fleet.kubeconfigs[member.name]
        cluster = run.connect(member, kubeconfig)
        try:
            host = run.setup(cluster, say)
            dest = None
            if run.home_target is not None and not run.settings.registry and member != fleet.home:
                dest = fm.member_target(cluster, host, insecure=run.settings.registry_insecure)
        finally:
            cluster.close()  # the member's own session connects for itself
        builds = fm.copy_images(run.builds, run.home_target, dest, say=say)
        images = fm.write_images(results_dir / fm.IMAGES_FILE, run.components(builds)) if builds else None
        plan = fm.MemberPlan(
            member=member,
            results_dir=results_dir,
            argv=tuple(fm.member_argv(run.shape, member, results_dir=results_dir, images=images)),
            env=fm.member_env(member, kubeconfig),
            kubeconfig=kubeconfig,
        )
        result = _session(plan, say=say, cwd=run.shape.invocation_dir, started=started)
    except (StreamstressError, OSError) as exc:  # unreachable, refused copy, or the run is stopping
        result = MemberResult.not_started(member.name, str(exc))
        say(result.message)
    except Exception as exc:  # a bug met on one cluster must not take the others' results with it
        log.exception("cluster %s: preparing its session failed", member.name)
        result = MemberResult.not_started(
            member.name, f"internal error {type(exc).__name__}: {exc} (traceback in the log)"
        )
        say(result.message)
    fleet.results.append(result)


def _session(plan: MemberPlan, *, say: Callable[[str], None], cwd: Path, started: float) -> MemberResult:
    from pytest_streamstress._infra import proc
    from pytest_streamstress.run import fleet_members as fm

    def shown(stream: str, line: str) -> None:
        text = line.rstrip()
        if text.startswith(("streamstress:", "verdict:")):
            say(text.removeprefix("streamstress: "))

    results_dir = plan.results_dir
    say(f"session started: results in {results_dir}, log {results_dir / fm.SESSION_LOG}")
    process: Running = proc.spawn(
        plan.argv, env=plan.env, cwd=cwd, log_to=results_dir / fm.SESSION_LOG, on_line=shown
    )
    code = process.wait(timeout=float("inf"), what=f"the session of cluster {plan.member.name}").returncode
    return read_result(plan.member.name, code, results_dir, time.monotonic() - started)


def hand_over(
    config: pytest.Config,
    settings: Settings,
    cluster: Cluster | None,
    builds: tuple[BuildResult, ...],
    *,
    registry_host: str,
    say: Callable[[str], None],
    redactor: Redactor,
) -> None:
    """After the build: run every member, then end this session with the worst exit code (`pytest.exit`)."""
    from pytest_streamstress.run import fleet_members as fm

    fleet = config.stash[fleet_key]
    run = FleetRun(
        settings=settings,
        shape=fm.session_shape(config),
        builds=builds,
        home_target=_home_target(settings, cluster, registry_host),
        components=lambda done: _components(done, settings, redactor),
        connect=lambda member, kubeconfig: _connect(member, kubeconfig, settings, redactor),
        setup=lambda member_cluster, say: _setup(member_cluster, settings, say, config),
        say=say,
        heartbeat_s=settings.heartbeat,
    )
    code = run_fleet(fleet, run)
    _site_and_publish(config, settings, fleet)
    passed = sum(1 for r in fleet.results if r.exit_code == 0)
    pytest.exit(
        f"clusters: {passed} of {len(fleet.members)} ended with exit 0; exit {code}"
        f" (summary: {settings.results_dir / SUMMARY_FILE})",
        returncode=code,
    )


def _home_target(settings: Settings, cluster: Cluster | None, registry_host: str) -> RegistryTarget | None:
    """Where the build pushed (the first cluster's registry route, or `--registry`)."""
    from pytest_streamstress.run.building import registry_target

    if cluster is None or not (settings.registry or registry_host):
        return None
    from pytest_streamstress.cluster.tls import ingress_ca

    ca = None if settings.registry else ingress_ca(cluster)
    return registry_target(
        settings,
        registry_host,
        cluster.token,
        ca_pem=ca.pem if ca is not None else b"",
        ca_source=ca.source if ca is not None else "",
    )


def _components(
    builds: Sequence[BuildResult], settings: Settings, redactor: Redactor
) -> list[dict[str, Any]]:
    from pytest_streamstress.report.results_json import components_list

    return components_list(builds, settings.components, redactor)


def _connect(member: FleetMember, kubeconfig: Path, settings: Settings, redactor: Redactor) -> Cluster:
    from pytest_streamstress.cluster.access import Access
    from pytest_streamstress.cluster.client import Cluster

    access = Access(kubeconfig=kubeconfig, context=member.context, request_timeout=settings.api_timeout)
    return Cluster.connect(access, redactor=redactor)


def _setup(cluster: Cluster, settings: Settings, say: Callable[[str], None], config: pytest.Config) -> str:
    if settings.no_auto_setup:
        return ""
    from pytest_streamstress.run.deploying import run_setup
    from pytest_streamstress.run.heartbeats import pace_of

    return run_setup(cluster, settings, say, pace=pace_of(config))


def _site_and_publish(config: pytest.Config, settings: Settings, fleet: Fleet) -> None:
    """The dashboard over every member's run; with `--publish`, each run published once, here."""
    from pytest_streamstress.report.site import build_run_site, build_site
    from pytest_streamstress.run.dashboard import publish_results

    written = [r.results for r in fleet.results if r.results is not None]
    site_dir = settings.results_dir / "site"
    try:
        if settings.history is not None and settings.history.is_dir():
            fleet.site = build_site(settings.history, site_dir)
        else:
            for path in written:
                fleet.site = build_run_site(path, site_dir, label=settings.run_label)
    except (StreamstressError, OSError) as exc:
        fleet.problems.append(f"dashboard not built: {exc}")
    if settings.publish:
        for path in written:
            published, problem = publish_results(config, settings, path)
            fleet.problems += [problem] if problem else []
            fleet.published += [published] if published else []
