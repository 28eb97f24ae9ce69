"""The install scenario across the shards of one Job: the other shards wait until it ended.

run/setup_first.py runs the suite's install scenario before every other scenario of a session, and
under xdist the workers wait for it through files. The pods of `--shards N --in-cluster` share no
files: each ordered its own scenarios, so the shards without the install scenario ran theirs on a
cluster it had not configured yet (the hub, the Chains signing secret, the resolvers), and their
failures were filed against upstream. The serial gate only kept them from running *beside* it.

So the shard that runs it marks the cross-shard serial Lease when its gauge run ended
(`streamstress.io/setup-ended: <Job name>`, cluster/lease.py), and every other shard of that Job waits
for the mark before its first gauge run, saying so every `--heartbeat` and for at most
`--gauge-timeout` (a pod that died with it must not hold the others forever). The Job's name (`JOB_NAME`,
set in every pod) tells this run's mark from an earlier run's. Shards of a CI matrix (`--shard i/N`
outside a Job) do not coordinate, as for the serial gate (docs/shards.md).
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
    ) -> None:
        self.gate = gate if run else None
        self.run = run
        self.mine = mine
        """This shard's install scenarios: it marks the Lease when their gauge run ended."""
        self.elsewhere = tuple(elsewhere)
        """(shard, node id) of the install scenarios other shards run: this one waits for them."""
        self.poll_s = poll_s
        self.seen = False

    def starting(self, nodeids: Iterable[str]) -> None:
        """Nothing to say before: the mark is only ever "ended"."""

    def ended(self, nodeids: Iterable[str]) -> None:
        """After the install scenarios' gauge run, whatever its outcome: the other shards may start."""
        if self.gate is not None and self.mine & set(nodeids):
            self.gate.mark_setup_ended(self.run)

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
        while True:
            if self.gate.setup_ended() == self.run:
                self.seen = True
                return ""
            waited = time.monotonic() - started
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
