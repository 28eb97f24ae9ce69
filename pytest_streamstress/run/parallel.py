"""xdist for scenarios: how many workers (`--streamstress-parallel N|auto`) and how items are spread.

`auto` takes the number of workers from the last profile; `-n` without `--dist` spreads by spec file.

Runs in `pytest_cmdline_main`, before xdist reads `-n`, so it can only read raw option values (no
Settings exist yet). `auto` takes `max_parallel_specs` from the newest run in `--history` that has a
profile recommendation, and falls back to 1 (no parallelism) with a log line when there is none.
An explicit `-n` always wins.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_streamstress.options import OPTIONS_BY_NAME, parse_parallel, parse_path
from pytest_streamstress.run.selection import asked_selection

log = logging.getLogger(__name__)


def _raw(config: pytest.Config, name: str) -> str:
    opt = OPTIONS_BY_NAME[name]
    value = config.getoption(opt.dest, default=None)
    if value is None:
        value = config.getini(opt.ini) or ""
    return str(value).strip()


def last_recommendation(history: Path, *, cluster: str = "", selection: str = "") -> int | None:
    """`max_parallel_specs` of the newest run of this `--cluster-name` that has one, preferring runs
    asked the same way (`settings.selection`) and falling back to any run of the cluster.

    A recommendation is about one cluster's capacity under one suite's load: another cluster's, or
    a `-k` rerun's made under the load of two scenarios, set the nightly's workers too high."""
    from pytest_streamstress.history.store import HistoryError, read_run

    runs = history / "runs"
    if not runs.is_dir():
        return None
    fallback: int | None = None
    for folder in sorted((p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True):
        try:
            run = read_run(folder / "results.json")
        except HistoryError:
            continue
        count = run.profile.max_parallel if run.profile is not None else None
        if run.cluster.name != cluster or count is None or count < 1:
            continue
        if run.selection == selection:
            return count  # newest first: the nightly's own run is usually the first one read
        fallback = fallback or count
    return fallback


def apply_parallel(config: pytest.Config) -> None:
    raw = _raw(config, "parallel")
    if _raw(config, "clusters"):
        return  # --clusters: this session only builds; each cluster's session applies --parallel itself
    if not raw or getattr(config.option, "numprocesses", None) or hasattr(config, "workerinput"):
        return  # an explicit -n wins; a worker must never start workers of its own
    if not hasattr(config.option, "numprocesses"):
        raise pytest.UsageError("--streamstress-parallel needs pytest-xdist, which is not active")
    try:
        count = parse_parallel(raw)
    except ValueError as exc:
        raise pytest.UsageError(f"--streamstress-parallel: {raw!r}: {exc}") from None
    if count is None:
        history = parse_path(_raw(config, "history"))
        asked = asked_selection(config, gauge_tags=_raw(config, "gauge_tags")).words
        cluster = _raw(config, "cluster_name")
        count = (
            last_recommendation(history, cluster=cluster, selection=asked) if history is not None else None
        )
        if count is None:
            log.warning("--streamstress-parallel auto: no profile recommendation in the history; serial run")
            count = 1
    if count > 1:
        config.option.numprocesses = count


def choose_distribution(config: pytest.Config) -> None:
    """`-n N` without an explicit `--dist`: use `loadfile` so a spec's scenarios share one worker; and
    by file or scope, xdist keeps the collection's order of files (`--no-loadscope-reorder`).

    Runs in `pytest_cmdline_main`, before xdist reads the mode (and either before or after xdist's
    own `-n` -> `load` default, so both `no` and an implicit `load` are replaced).
    """
    option = config.option
    if not getattr(option, "numprocesses", None):
        return
    if not _dist_given(config) and getattr(option, "dist", "no") in {"no", "load"}:
        option.dist = "loadfile"
        log.debug("streamstress: -n without --dist: distributing by spec file (--dist loadfile)")
    if option.dist in {"loadfile", "loadscope"} and not _given(config, exact=("--loadscope-reorder",)):
        # xdist would hand out the biggest spec files first: the install scenario, which must run
        # first (run/setup_first.py), would wait behind specs whose scenarios wait for it. The
        # collection order decides instead; setup_first puts the bigger specs first itself.
        option.loadscopereorder = False


def _dist_given(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "distload", False)) or _given(
        config, exact=("-d",), prefix=("--dist",)
    )


def _given(config: pytest.Config, *, exact: tuple[str, ...] = (), prefix: tuple[str, ...] = ()) -> bool:
    """An option on the command line, in PYTEST_ADDOPTS or in the ini's addopts."""
    sources: Iterator[str] = iter(
        [
            *config.invocation_params.args,
            *os.environ.get("PYTEST_ADDOPTS", "").split(),
            *(str(a) for a in (config.getini("addopts") or ())),
        ]
    )
    return any(arg in exact or arg.startswith(prefix) for arg in sources)
