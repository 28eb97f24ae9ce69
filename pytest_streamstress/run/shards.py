"""Shards in a session (issue 23): the plan at collection, this shard's specs, the plan in results.json.

Registered by `session.configure_session` when `--shards N` (the launcher of an Indexed Job) or
`--shard INDEX/COUNT` (one shard: a Job pod, a CI matrix job, a person) is given. After the other
selections (`--gauge-tags`), it makes the plan (profile/shards.py) from the collected specs and the
history's spec durations, capped by the newest profile recommendation; a pod takes the launcher's
plan from its environment instead (`PLAN_ENV`, from the Job's ConfigMap), so every pod runs exactly
what the launcher printed. A shard session deselects the other shards' specs and adds `shards` and
each scenario's `shard` to results.json through `pytest_streamstress_results` (the Recorder stays
unaware). It never talks to the cluster itself: cluster/job/ launches and collects, and
cluster/lease.py is the serial gate across shards that `cluster_gate` lends the session.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.options import Settings, settings_key
from pytest_streamstress.profile.shards import PLAN_ENV, PlannedScenario, PlannedSpec, ShardPlan, plan_shards

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster
    from pytest_streamstress.cluster.lease import LeaseGate

log = logging.getLogger(__name__)

plan_key: Final = pytest.StashKey[ShardPlan]()
"""The session's plan, once collection made it (the launcher reads it to create the Job)."""
gate_key: Final = pytest.StashKey["LeaseGate | None"]()
INCLUSTER_ENV: Final = "STREAMSTRESS_INCLUSTER"
"""Set in every Job pod (cluster/job/manifest.py): the pod can reach its cluster's API."""


def check_shard_options(settings: Settings) -> None:
    """Contradictions are usage errors before anything is cloned or built (issue 22's rule)."""
    if settings.shards > 1 and not settings.in_cluster:
        raise pytest.UsageError(
            f"--shards {settings.shards} needs --in-cluster: it launches one Indexed Job whose pod i runs"
            " shard i; to run one shard here (a CI matrix job), give --shard INDEX/COUNT instead"
        )
    if settings.shard is not None and settings.in_cluster:
        raise pytest.UsageError(
            "--shard with --in-cluster: give --shards COUNT; the Job gives each pod its --shard"
        )
    if settings.shards > 1 and settings.restore and settings.cluster != "emulated":
        raise pytest.UsageError(
            f"--restore with --shards {settings.shards}: the launch returns before the last shard ends, so"
            " nothing here could put the operator's images back after it; drop --restore and run"
            " `streamstress restore` once `streamstress collect DIR` has merged the shards"
        )
    if (settings.shards > 1 or settings.shard is not None) and settings.confirm:
        raise pytest.UsageError(
            "--confirm with --shards/--shard is not supported yet: its reruns on the shipped images"
            " would redeploy the operator under the other shards' scenarios; run --confirm unsharded"
        )


class ShardPlugin:
    """Makes the plan, keeps this shard's items, and writes the plan into results.json."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.plan: ShardPlan | None = None

    @property
    def index(self) -> int | None:
        return self.settings.shard[0] if self.settings.shard is not None else None

    def keep_mine(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Make the plan from what the other selections left and deselect the other shards' specs.

        Called by run/collecting.order_items between judging the lifecycle scenarios (on the whole
        run) and putting the install scenario first (on this shard's items)."""
        from pytest_streamstress.gauge.collect import ScenarioItem, SpecErrorItem

        specs: dict[str, list[PlannedScenario]] = {}
        for item in items:
            if isinstance(item, ScenarioItem):
                specs.setdefault(item.spec_relpath, []).append(
                    PlannedScenario(
                        nodeid=item.nodeid,
                        scenario=item.scenario.heading,
                        line=item.scenario.line,
                        tags=tuple(item.scenario.all_tags),
                    )
                )
            elif isinstance(item, SpecErrorItem):
                specs.setdefault(item.spec_relpath, [])
        count = self.settings.shard[1] if self.settings.shard is not None else self.settings.shards
        self.plan = plan_from_environment(os.environ) or self._plan(specs, count)
        config.stash[plan_key] = self.plan
        if self.index is None:
            return
        mine = {spec.spec for shard in self.plan.shards if shard.index == self.index for spec in shard.specs}
        kept = [item for item in items if _spec_of(item) in mine]
        dropped = [item for item in items if _spec_of(item) not in mine]
        if dropped:
            items[:] = kept
            config.hook.pytest_deselected(items=dropped)

    def _plan(self, specs: Mapping[str, Sequence[PlannedScenario]], count: int) -> ShardPlan:
        durations: dict[str, float] = {}
        cap = None
        history = self.settings.history
        if history is not None:
            from pytest_streamstress.history.store import history_documents
            from pytest_streamstress.history.store.durations import spec_durations
            from pytest_streamstress.run.parallel import last_recommendation
            from pytest_streamstress.run.selection import selection

            try:
                durations = spec_durations(history_documents(history, cluster=self.settings.cluster_name))
            except ConfigError as exc:
                log.warning("shard plan: no durations from --history (%s); splitting by scenario count", exc)
            asked = selection(self.config, self.settings).words
            cap = last_recommendation(history, cluster=self.settings.cluster_name, selection=asked)
        planned = [
            PlannedSpec(spec=spec, scenarios=tuple(scenarios), expected_s=durations.get(spec))
            for spec, scenarios in specs.items()
        ]
        return plan_shards(planned, count=count, cap=cap)

    def pytest_report_collectionfinish(self, config: pytest.Config) -> list[str]:
        if self.plan is None:
            return []
        if self.index is None:
            return []  # the launcher prints the plan once, with the launch (run/preconditions.py)
        shard = next((s for s in self.plan.shards if s.index == self.index), None)
        if shard is None:
            count = self.plan.count
            return [f"streamstress: shard {self.index}: the plan has {count} shards; nothing to run"]
        return [f"streamstress: {self.plan.lines()[self.index + 1].strip()}"]

    def pytest_streamstress_results(self, config: pytest.Config, results: dict[str, Any]) -> None:
        if self.plan is None or self.index is None:
            return
        results["shards"] = {"index": self.index, "count": self.plan.count, "plan": self.plan.to_json()}
        for scenario in results.get("scenarios") or ():
            scenario["shard"] = self.index


def planned_scenarios(config: pytest.Config) -> int | None:
    """The scenarios this shard session's plan gave it; None outside a shard session."""
    plan = config.stash.get(plan_key, None)
    settings = config.stash.get(settings_key, None)
    if plan is None or settings is None or settings.shard is None:
        return None
    return next((shard.scenarios for shard in plan.shards if shard.index == settings.shard[0]), 0)


def plan_from_environment(environ: Mapping[str, str]) -> ShardPlan | None:
    """The launcher's plan in a Job pod; None outside one. A broken plan is a usage error naming it."""
    text = environ.get(PLAN_ENV, "")
    if not text:
        return None
    try:
        return ShardPlan.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise pytest.UsageError(
            f"${PLAN_ENV}: not a shard plan ({exc}); the Job's ConfigMap holds what the launcher wrote"
        ) from None


def _spec_of(item: pytest.Item) -> str:
    relpath = getattr(item, "spec_relpath", None)
    return str(relpath) if relpath is not None else item.nodeid.split("::")[0]


def cluster_gate(config: pytest.Config, connect: Callable[[], Cluster]) -> LeaseGate | None:
    """A shard's serial gate across shards (cluster/lease.py), made once; None outside a shard session.

    Only a shard that can reach the cluster takes part: a Job pod, or a shard that builds or deploys
    (`preflight.needs_cluster`). A CI-matrix shard with --skip-build --skip-deploy and no cluster
    access cannot coordinate; docs/shards.md says to keep serial scenarios out of such a matrix.
    """
    if gate_key in config.stash:
        return config.stash[gate_key]
    settings = config.stash[settings_key]
    gate = None
    from pytest_streamstress.run.preflight import needs_cluster

    reachable = os.environ.get(INCLUSTER_ENV) == "1" or needs_cluster(settings)
    if settings.shard is not None and settings.serial_tags and reachable:
        import socket

        from pytest_streamstress.cluster.lease import LeaseGate

        host = os.environ.get("HOSTNAME") or socket.gethostname()
        identity = f"shard-{settings.shard[0]}-{host}-{os.getpid()}"
        gate = LeaseGate(connect(), settings.job_namespace, identity)
    config.stash[gate_key] = gate
    return gate
