"""The suite's `install` scenario runs before every other scenario of the session, also under `-n`.

release-tests' `specs/olm.spec` install scenario subscribes to the operator and configures what the
other specs need: the hub, the git resolver's token, the bundles resolver, the console plugin, the
Chains signing secret, Results with Loki, the manual approval gate. Gauge runs specs in file order,
so in a whole-suite run `chains/`, `hub/`, `manualapprovalgate/` and `metrics/` ran before it; under
`-n` any spec could, on another worker. On a cluster the install scenario had not configured yet
(a new cluster, one auto-setup just installed) their failures were filed against this run's
upstream build. The suite's own CI runs the install scenario first, alone (openshift/release,
ci-operator/step-registry/openshift-pipelines/install-and-tests/...-commands.sh: `gauge run --tags
install specs/olm.spec`, then the other specs).

So, unless `--lifecycle-scenarios=run` asks for file order: the scenarios tagged `install` move to the
front of the session (their gauge run serves no other scenario), and under xdist every other
scenario waits until they ended, on any worker (a file per setup scenario in the run's shared
directory). The wait is bounded by `--gauge-timeout`: a worker that died with the install scenario
must not hold the others forever. Shards are separate processes on separate pods: each orders its
own scenarios, and the shard pods of one Job wait for the one with the install scenario through the
cluster (run/shard_setup.py).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

import pytest

from pytest_streamstress.model import has_setup_tag

if TYPE_CHECKING:
    from pytest_streamstress.gauge.collect import ScenarioItem
    from pytest_streamstress.options import Settings

setup_first_key: Final = pytest.StashKey[frozenset[str]]()
"""Node ids of the setup scenarios this session runs first; empty: no order is imposed."""
DONE_DIR: Final = "setup-scenarios-done"
POLL_S: Final = 0.2


def is_setup(item: ScenarioItem) -> bool:
    return has_setup_tag(item.scenario.all_tags)


def setup_first(items: list[pytest.Item], settings: Settings, *, by_file: bool = False) -> frozenset[str]:
    """Move the setup scenarios that will run to the front of `items` (stable); their node ids.

    Nothing moves with `--lifecycle-scenarios=run` (file order, as gauge alone would run them), nor
    when they are all that runs: then there is nothing to run first. `by_file` (xdist hands out
    whole spec files in this order, run/parallel.py): after the setup scenarios' files, the files
    with more scenarios go first, as xdist's own reorder would have sent them."""
    from pytest_streamstress.gauge.collect import ScenarioItem
    from pytest_streamstress.run.selection import is_marked_to_skip

    if settings.lifecycle_scenarios == "run":
        return frozenset()
    running = [i for i in items if isinstance(i, ScenarioItem) and not is_marked_to_skip(i)]
    first = [i for i in running if is_setup(i)]
    if not first or len(first) == len(running):
        return frozenset()
    moved = set(first)
    rest = [i for i in items if i not in moved]
    if by_file:
        sizes = Counter(i.path for i in rest)
        setup_files = {i.path for i in first}
        rest.sort(key=lambda i: (i.path not in setup_files, -sizes[i.path]))  # stable: file order within
    items[:] = [*first, *rest]
    return frozenset(i.nodeid for i in first)


class SetupBarrier:
    """Under xdist, where the worker that runs a setup scenario says it started and ended, and the
    others wait. If every worker waits and none started it, xdist queued it behind them (an explicit
    `--loadscope-reorder`): they stop waiting at once rather than never."""

    def __init__(
        self, shared: Path | None, setup_ids: frozenset[str], *, worker: str = "", workers: int = 0
    ) -> None:
        self.directory = None if shared is None or not setup_ids else shared / DONE_DIR
        self.setup_ids = setup_ids
        self.worker = worker
        self.workers = workers

    def _flag(self, nodeid: str, state: str = "ended") -> Path:
        assert self.directory is not None
        return self.directory / f"{hashlib.sha256(nodeid.encode()).hexdigest()[:24]}.{state}"

    def _mark(self, nodeids: Iterable[str], state: str) -> None:
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for nodeid in nodeids:
            if nodeid in self.setup_ids:
                self._flag(nodeid, state).touch()

    def starting(self, nodeids: Iterable[str]) -> None:
        """Before the setup scenarios' gauge run: the waiting workers know it is on its way."""
        self._mark(nodeids, "started")

    def ended(self, nodeids: Iterable[str]) -> None:
        """After the setup scenarios' gauge run, whatever its outcome: the others may start."""
        self._mark(nodeids, "ended")

    def pending(self) -> list[str]:
        if self.directory is None:
            return []
        return sorted(n for n in self.setup_ids if not self._flag(n).exists())

    def _stuck(self, pending: Sequence[str]) -> bool:
        """Every worker waits and none has started a pending setup scenario: none ever will. The first
        worker to see it leaves a mark, so the others (whose count drops as it leaves) see it too."""
        assert self.directory is not None
        gave_up = self.directory / "gave-up"
        if gave_up.exists():
            return True
        if self.workers < 1 or any(self._flag(n, "started").exists() for n in pending):
            return False
        if len(list(self.directory.glob("*.waiting"))) < self.workers:
            return False
        gave_up.touch()
        return True

    def wait(
        self, group: Sequence[ScenarioItem], *, bound: float, progress: Callable[[float, str], object]
    ) -> str:
        """Block a group of ordinary scenarios until every setup scenario ended; "" or why it stopped
        waiting (`bound` seconds passed: the worker that ran it died, or gauge hangs beyond it)."""
        if self.directory is None or any(i.nodeid in self.setup_ids for i in group):
            return ""
        self.directory.mkdir(parents=True, exist_ok=True)
        waiting = self.directory / f"{self.worker or 'worker'}.waiting"
        started = time.monotonic()
        waiting.touch()
        try:
            while True:
                left = self.pending()
                if not left:
                    return ""
                waited = time.monotonic() - started
                names = ", ".join(n.rsplit("::", 1)[-1] for n in left)
                if waited >= bound:
                    return (
                        f"the setup scenario {names} had not ended after {bound:g}s (--gauge-timeout):"
                        " the other scenarios run without it"
                    )
                if self._stuck(left):
                    return (
                        f"every worker waits for the setup scenario {names} and none has it next: the"
                        " other scenarios run without it (--loadscope-reorder queues it behind them)"
                    )
                progress(waited, f"the setup scenario {names} (tagged install: it configures the cluster)")
                time.sleep(POLL_S)
        finally:
            waiting.unlink(missing_ok=True)


class Barrier(Protocol):
    def starting(self, nodeids: Iterable[str]) -> None: ...
    def ended(self, nodeids: Iterable[str]) -> None: ...
    def wait(
        self, group: Sequence[ScenarioItem], *, bound: float, progress: Callable[[float, str], object]
    ) -> str: ...


class Barriers:
    """The xdist workers' barrier and the shard pods' (run/shard_setup.py), one after the other."""

    def __init__(self, *parts: Barrier) -> None:
        self.parts = parts

    def starting(self, nodeids: Iterable[str]) -> None:
        ids = list(nodeids)
        for part in self.parts:
            part.starting(ids)

    def ended(self, nodeids: Iterable[str]) -> None:
        ids = list(nodeids)
        for part in self.parts:
            part.ended(ids)

    def wait(
        self, group: Sequence[ScenarioItem], *, bound: float, progress: Callable[[float, str], object]
    ) -> str:
        said = [part.wait(group, bound=bound, progress=progress) for part in self.parts]
        return "; ".join(text for text in said if text)


def tell(config: pytest.Config) -> None:
    """One line after collection: which scenarios run first, and why. Under xdist the controller
    collects nothing, so the first worker says it through the progress relay."""
    from pytest_streamstress.options import is_worker

    first = config.stash.get(setup_first_key, frozenset())
    if not first or config.get_verbosity() < 0:
        return
    text = (
        f"runs first, before every other scenario: {', '.join(sorted(first))} (tagged install: it"
        " configures what the other scenarios need; --lifecycle-scenarios=run keeps file order)"
    )
    if is_worker(config):
        if getattr(config, "workerinput", {}).get("workerid") == "gw0":
            from pytest_streamstress.run.preconditions import phases_of

            phases_of(config).say(text)
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"streamstress: {text}")
