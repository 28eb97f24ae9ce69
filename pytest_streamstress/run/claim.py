"""One regression run per cluster at a time: the session claims the cluster before it changes it.

Two sessions that patch one operator test each other's builds: the second one's deploy, or its
`--restore`, swaps the images under the first one's scenarios (cluster/drift.py finds that after the
fact and files the run incomplete; this keeps it from happening). The session's controller holds the
Lease `openshift-operators/streamstress-run` exclusively (cluster/lease.py, renewed while held, so a
killed run frees it within a minute) from start-up, before the build, to the end, after `--confirm`
and `--restore`; xdist workers run inside that. A second run waits up to `--cluster-wait`, saying who
holds it, and then every scenario errors at setup with that cause, so results.json says why nothing
ran. Sessions that do not patch the operator (`--skip-deploy`, a Job or fleet launcher whose pods and
members claim for themselves) claim nothing.

Shards (`--shards N --in-cluster`): the launcher deploys for its pods and returns once the Job is
launched, so its claim outlives it: it lingers HANDOFF_S for the pods to start, and every shard pod
carries it on under the launcher's identity (`CLAIM_ENV`), renewing it while it runs and never letting
it go, so it lapses a minute after the last shard ended. Before, a sharded run held no claim at all:
another run could deploy under its shards, whose failures were then filed against upstream.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import logging
import os
import socket
from typing import TYPE_CHECKING, Final

import pytest

from pytest_streamstress.cluster.job.manifest import CLAIM_ENV
from pytest_streamstress.errors import ClusterError, Forbidden, StreamstressError, WaitTimeout
from pytest_streamstress.options import is_worker
from pytest_streamstress.run.interrupted import CLAIMING

if TYPE_CHECKING:
    from pytest_streamstress.options import Settings
    from pytest_streamstress.run.preconditions import Phases

log = logging.getLogger(__name__)

CLAIM_LEASE: Final = "streamstress-run"
CLAIM_PHASE: Final = "cluster claim"
CLAIM_DURATION_S: Final = 60.0
"""A claim nobody renews (a killed session) frees the cluster after this long."""
CLAIM_POLL_S: Final = 2.0
HANDOFF_S: Final = 900.0
"""How long a shards launcher's claim outlives it, for the pods to start (image pulls, scheduling)."""


def needs_claim(config: pytest.Config, settings: Settings) -> bool:
    """The sessions that patch this cluster's operator themselves, and the shard pods that carry on
    their launcher's claim."""
    if is_worker(config) or config.option.collectonly or config.option.help or settings.clusters is not None:
        return False
    if settings.in_cluster:  # a shards launcher deploys for its pods; a one-pod Job's pod claims itself
        return settings.shards > 1 and not settings.skip_deploy
    if settings.skip_deploy:
        return settings.shard is not None and bool(os.environ.get(CLAIM_ENV))
    return True


def holder() -> str:
    """Who holds it, as `kubectl get lease` and the waiting run show it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        user = str(os.getuid())
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return f"{user}@{socket.gethostname()} pid {os.getpid()} since {started}"


class ClusterClaim:
    """Takes the claim when the session starts; lets it go when pytest ends (after --restore)."""

    def __init__(self, config: pytest.Config, settings: Settings, phases: Phases) -> None:
        self.config, self.settings, self.phases = config, settings, phases
        self._held = contextlib.ExitStack()
        carried = os.environ.get(CLAIM_ENV, "") if settings.shard is not None else ""
        self.identity = carried or holder()
        """Who holds it: this session, or for a shard pod the launcher whose claim it carries on."""
        self.linger_s: float | None = None
        if settings.in_cluster and settings.shards > 1:
            self.linger_s = HANDOFF_S  # the pods carry it on
        elif carried:
            self.linger_s = 0.0  # the other shards may still run: it lapses after the last one

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from pytest_streamstress._infra.heartbeat import Heartbeat
        from pytest_streamstress.cluster import resources as r
        from pytest_streamstress.cluster.lease import LeaseGate
        from pytest_streamstress.run.heartbeats import pace_of

        wait = self.settings.cluster_wait
        try:
            cluster = self.phases.connect()
        except StreamstressError as exc:  # the phases say it again, as a cluster access failure
            self.phases.say(f"cluster claim: not taken, the cluster cannot be reached ({exc.message})")
            return
        self._held.callback(cluster.close)
        where = f"Lease {r.OPERATOR_NAMESPACE}/{CLAIM_LEASE}"
        gate = LeaseGate(
            cluster,
            r.OPERATOR_NAMESPACE,
            self.identity,
            duration_s=CLAIM_DURATION_S,
            poll_s=CLAIM_POLL_S,
            timeout_s=wait,
            name=CLAIM_LEASE,
            purpose="cluster claim",
        )
        beat = Heartbeat(
            self.phases.say,
            what="the cluster (another regression run holds it)",
            bound=wait,
            option="--cluster-wait",
            pace=pace_of(self.config),
        )
        self.phases.so_far.stage = CLAIMING  # a stop signal now says so
        try:
            self._held.enter_context(gate.hold(exclusive=True, progress=beat, linger_s=self.linger_s))
        except Forbidden as exc:  # a kubeconfig that may patch the CSV but not hold a Lease there
            self.phases.say(f"warning: cluster claim: not taken ({exc.message}); running without one")
        except WaitTimeout:
            error = ClusterError(
                f"another regression run holds this cluster: {gate.writer() or 'a run that just ended'}"
                f" ({where}); waited {wait:g}s (--cluster-wait)",
                hint="let it end, raise --cluster-wait, or run on another cluster;"
                f" `kubectl get lease -n {r.OPERATOR_NAMESPACE} {CLAIM_LEASE} -o yaml` shows it",
            )
            self._fail(error)
        except StreamstressError as exc:
            self._fail(exc)
        self.phases.so_far.stage = ""  # not on a stop signal: its verdict names the wait

    def _fail(self, error: StreamstressError) -> None:
        self._held.close()
        self.phases.say(f"cluster claim: {error}")
        self.phases.fail_early(str(error), CLAIM_PHASE)

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        try:
            self._held.close()  # before the embedded emulator stops; after --restore (sessionfinish)
        except StreamstressError as exc:
            log.warning("cluster claim: letting it go failed (%s); it lapses in %gs", exc, CLAIM_DURATION_S)
