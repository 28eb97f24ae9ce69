"""This session's selection (`history/selection.py`), read from pytest's options and ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_streamstress.history.selection import Selection, selection_words
from pytest_streamstress.options import Settings


def selection(config: pytest.Config, settings: Settings) -> Selection:
    """-k, -m, --deselect, test paths or node ids, --lf, --sw and --gauge-tags, as this run was asked."""
    return asked_selection(config, gauge_tags=settings.gauge_tags)


def asked_selection(config: pytest.Config, *, gauge_tags: str) -> Selection:
    """`selection` before the Settings exist (`pytest_cmdline_main`: `--streamstress-parallel auto`)."""
    option = config.option
    return selection_words(
        gauge_tags=gauge_tags,
        keyword=str(getattr(option, "keyword", "") or ""),
        markexpr=str(getattr(option, "markexpr", "") or ""),
        args=suite_relative_args(config),
        deselect=[str(d) for d in getattr(option, "deselect", None) or ()],
        last_failed=bool(getattr(option, "lf", False)),
        stepwise=bool(getattr(option, "stepwise", False)),
    )


def selection_arguments(config: pytest.Config) -> list[str]:
    """pytest's own selection as arguments another session repeats: -k, -m, --deselect, --maxfail.

    The Job's pods and the sessions of `--clusters` run what this session was asked to run; before,
    the pod dropped them and a `-k` for one scenario ran the whole suite in the cluster. Test paths
    and node ids are the caller's to add (they name files relative to different places)."""
    option = config.option
    args: list[str] = []
    if getattr(option, "keyword", ""):
        args += ["-k", str(option.keyword)]
    if getattr(option, "markexpr", ""):
        args += ["-m", str(option.markexpr)]
    args += [f"--deselect={item}" for item in getattr(option, "deselect", None) or ()]
    if getattr(option, "maxfail", 0):
        args.append(f"--maxfail={option.maxfail}")
    return args


def needs_this_cache(config: pytest.Config) -> str:
    """The option whose selection lives in this machine's pytest cache (--lf, --sw); "" for none."""
    option = config.option
    for name, flag in (("lf", "--lf"), ("stepwise", "--sw")):
        if getattr(option, name, False):
            return flag
    return ""


def suite_relative_args(config: pytest.Config) -> list[str]:
    """The test paths and node ids given on the command line, as the suite names them
    (`specs/pipelines/run.spec::Run sample pipeline: ...`), whatever machine collected them.

    Collection rewrote them to this machine's checkout (run/collecting.py); a Job pod or a history
    needs them relative to the suite, which is from the last `specs` folder of the path on. No file is
    read: this runs also where the suite was never cloned."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return []
    out = []
    for given in config.args:
        path = given.partition("[")[0].split("::")[0]
        parts = Path(path).parts
        named = given
        if "specs" in parts and Path(path).is_absolute():
            last = len(parts) - 1 - parts[::-1].index("specs")
            named = str(Path(*parts[last:])) + given[len(path) :]
        if named.rstrip("/") != "specs":  # the whole suite's folder narrows nothing
            out.append(named)
    return out


def is_marked_to_skip(item: pytest.Item) -> bool:
    """A `skip` mark, or a `skipif` with a plain true condition: pytest will not run it, so gauge must not.

    String conditions of `skipif` are not evaluated here (that is pytest-internal); such an item is
    run by gauge with its spec and then skipped by pytest as usual.
    """
    if item.get_closest_marker("skip") is not None:
        return True
    return any(
        any(arg is True for arg in mark.args) or mark.kwargs.get("condition") is True
        for mark in item.iter_markers("skipif")
    )
