"""The install scenario across the shards of one Job: the other shards wait until it ended.

run/setup_first.py runs the suite's install scenario before every other scenario of a session, and
under xdist the workers wait for it through files. The pods of `--shards N --in-cluster` share no
files: each ordered its own scenarios, so the shards without the install scenario ran theirs on a
cluster it had not configured yet (the hub, the Chains signing secret, the resolvers), and their
failures were filed against upstream. The serial gate only kept them from running *beside* it.

So the shard that runs it marks the cross-shard serial Lease when its gauge run ended
(`streamstress.io/setup-ended: <Job name>`, cluster/lease.py), and every other shard of that Job waits
for the mark before its first gauge run, saying so every `--heartbeat` and for at most
`--gauge-timeout`. A pod that died with it must not hold the others that long: it also marks when it
starts (`streamstress.io/setup-started: <Job> <identity>`), and once its claims on the gate have been
gone for LAPSE_S the others run on, saying so. The Job's name (`JOB_NAME`, set in every pod) tells
this run's mark from an earlier run's. Shards of a CI matrix (`--shard i/N` outside a Job) do not
coordinate, as for the serial gate (docs/shards.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Final

import pytest

from pytest_streamstress.model import has_setup_tag

if TYPE_CHECKING:
    from pytest_streamstress.cluster.lease import LeaseGate
    from pytest_streamstress.gauge.collect import ScenarioItem
    from pytest_streamstress.profile.shards import ShardPlan

JOB_ENV: Final = "JOB_NAME"
"""Set in every Job pod (cluster/job/manifest.py): the run the mark belongs to."""
POLL_S: Final = 1.0
LAPSE_S: Final = 120.0
"""Two of the gate's claim durations: a live shard is back on the gate (renewed, or between its mark
and its gauge run's claim) long before."""


class ShardSetupBarrier:
    """`starting`, `ended` and `wait` as run/setup_first.SetupBarrier has them, across the Job's pods."""

    def __init__(
        self,
        gate: LeaseGate | None,
        *,
        run: str,
        mine: frozenset[str],
        elsewhere: Sequence[tuple[int, str]],
        poll_s: float = POLL_S,
        lapse_s: float = LAPSE_S,
    ) -> None:
        self.gate = gate if run else None
        self.run = run
        self.mine = mine
        """This shard's install scenarios: it marks the Lease when their gauge run ended."""
        self.elsewhere = tuple(elsewhere)
        """(shard, node id) of the install scenarios other shards run: this one waits for them."""
        self.poll_s = poll_s
        self.lapse_s = lapse_s
        """How long the shard that started it may be absent from the gate before it counts as dead."""
        self.seen = False

    def starting(self, nodeids: Iterable[str]) -> None:
        """Before the install scenarios' gauge run: the others can tell from now on if this pod dies."""
        if self.gate is not None and self.mine & set(nodeids):
            self.gate.mark_setup(self.run, ended=False)

    def ended(self, nodeids: Iterable[str]) -> None:
        """After the install scenarios' gauge run, whatever its outcome: the other shards may start."""
        if self.gate is not None and self.mine & set(nodeids):
            self.gate.mark_setup(self.run, ended=True)

    def wait(
        self, group: Sequence[ScenarioItem], *, bound: float, progress: Callable[[float, str], object]
    ) -> str:
        """Block until the Job's install scenario ended in its shard; "" or why it stopped waiting."""
        if self.gate is None or not self.elsewhere or self.seen:
            return ""
        started = time.monotonic()
        shards = sorted({shard for shard, _ in self.elsewhere})
        names = ", ".join(nodeid.rsplit("::", 1)[-1] for _, nodeid in self.elsewhere)
        where = f"shard{'s' if len(shards) > 1 else ''} {', '.join(str(s) for s in shards)}"
        absent_since: float | None = None
        while True:
            marks = self.gate.setup_marks()
            if marks.ended == self.run:
                self.seen = True
                return ""
            waited = time.monotonic() - started
            # Started here, but its shard's claims on the gate lapsed: that pod died (OOM, eviction).
            gone = marks.started == self.run and marks.starter not in marks.present
            absent_since = (absent_since or time.monotonic()) if gone else None
            if absent_since is not None and time.monotonic() - absent_since >= self.lapse_s:
                self.seen = True
                return (
                    f"the shard running the setup scenario {names} ({where}) stopped before it ended (its"
                    " claims on the serial gate lapsed): this shard runs without it"
                )
            if waited >= bound:
                self.seen = True  # once: the next group does not wait again
                return (
                    f"the setup scenario {names} ({where}) had not ended after {bound:g}s"
                    " (--gauge-timeout): this shard runs without it"
                )
            progress(
                waited, f"the setup scenario {names} in {where} (tagged install: it configures the cluster)"
            )
            time.sleep(self.poll_s)


def shard_barrier(config: pytest.Config, gate: LeaseGate | None) -> ShardSetupBarrier:
    """This shard's barrier; one that never waits outside a Job's shard pod, without a serial gate,
    or with `--lifecycle-scenarios=run` (file order, as gauge alone would run them). Which install
    scenarios are whose is read from the plan, which every shard of the Job shares."""
    from pytest_streamstress.options import settings_of
    from pytest_streamstress.run.shards import plan_key

    settings = settings_of(config)
    plan = config.stash.get(plan_key, None)
    run = os.environ.get(JOB_ENV, "")
    if settings.shard is None or plan is None or settings.lifecycle_scenarios == "run":
        return ShardSetupBarrier(None, run="", mine=frozenset(), elsewhere=())
    planned = setup_scenarios(plan)
    index = settings.shard[0]
    return ShardSetupBarrier(
        gate,
        run=run,
        mine=frozenset(nodeid for shard, nodeid in planned if shard == index),
        elsewhere=[(shard, nodeid) for shard, nodeid in planned if shard != index],
    )


def setup_scenarios(plan: ShardPlan) -> list[tuple[int, str]]:
    """(shard, node id) of every install scenario the plan holds."""
    return [
        (shard.index, scenario.nodeid)
        for shard in plan.shards
        for spec in shard.specs
        for scenario in spec.scenarios
        if has_setup_tag(scenario.tags)
    ]
