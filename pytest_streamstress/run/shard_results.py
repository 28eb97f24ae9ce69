"""The launcher of an Indexed Job on the embedded emulator waits for its shards and merges them (issue 23).

The emulated cluster ends with the session that started it, so that session cannot return at once
as a launch on a real cluster does: it waits for the Job controller to end the Job (every shard
ended, or the deadline stopped them), copies every shard's results and writes the merged
results.json under `--results-dir/in-cluster/<job>/`, as `streamstress collect DIR` does on a real
cluster. One line per shard says how its pod ended.

`adopt_run` makes the collected run (one Job's, or the shards' merged) this session's run: it becomes
`--results-dir/results.json`, joins `--history` and the dashboard, and its exit code is the session's.
The launching session ran no scenario itself, so it writes no results.json of its own: one that said
"passed, 0 scenarios" would be a lie in the history (issue 23).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_streamstress._infra.heartbeat import DEFAULT_PACE, Heartbeat, Pace
from pytest_streamstress.cluster.job.manifest import DEFAULT_DEADLINE_S
from pytest_streamstress.cluster.job.shards import collect_and_merge, indexed_completions, wait_for_shards

if TYPE_CHECKING:
    import pytest

    from pytest_streamstress.cluster.client import Cluster
    from pytest_streamstress.cluster.job.launch import JobLaunch


def wait_and_merge(
    cluster: Cluster,
    launch: JobLaunch,
    results_dir: Path,
    *,
    say: Callable[[str], None],
    pace: Pace = DEFAULT_PACE,
) -> Path:
    """Wait for every shard (saying so every `pace.every_s`, issue 22), collect each, merge; returns
    the merged results.json."""
    namespace, name = launch.namespace, launch.name
    say(f"waiting for the shards of Job {namespace}/{name}")
    beat = Heartbeat(
        say,
        what=f"the shards of Job {namespace}/{name}",
        bound=DEFAULT_DEADLINE_S,
        option="the Job's deadline",
        pace=pace,
    )
    wait_for_shards(
        cluster, namespace, name, timeout=DEFAULT_DEADLINE_S, progress=beat, poll=min(5.0, pace.poll_s)
    )
    merged = collect_and_merge(
        cluster,
        namespace,
        name,
        indexed_completions(cluster, namespace, name),
        results_dir / "in-cluster" / name,
    )
    for shard in merged.shards:
        say(shard.line)
    say(
        f"merged {len(merged.shards)} shards: {merged.scenarios} scenarios,"
        f" run {merged.status}, in {merged.path}"
    )
    return merged.path


def adopt_run(config: pytest.Config, results_dir: Path, collected: Path) -> int:
    """The collected run as this session's results.json (hooks fired as if written here); its exit code."""
    from pytest_streamstress.history.store import HistoryError, read_run

    target = results_dir / "results.json"
    if collected.resolve() != target.resolve():
        partial = target.with_name(f".{target.name}.adopting")
        shutil.copyfile(collected, partial)
        partial.replace(target)
    config.hook.pytest_streamstress_results_written(config=config, path=target)
    try:
        run = read_run(target)
    except HistoryError:
        return 1
    if run.exit_code is not None:
        return run.exit_code
    return 0 if run.status == "passed" else 1
