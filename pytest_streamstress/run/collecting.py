"""Collection for a session: which specs, from where, with which driver, and `--gauge-tags`.

The session's side of gauge/collect.py: it reads the options, points a path-less run at the
release-tests checkout, makes the one `CollectionState` (with the `ScenarioDriver` of
run/scenarios.py) that every `SpecFile` gets, and deselects by Gauge tag expression. It imports
nothing of the cluster: collecting with `--skip-deploy` never loads the Kubernetes client.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import pytest

from pytest_streamstress.gauge.collect import CollectionState, SpecFile, deselect_by_tags, spec_file
from pytest_streamstress.gauge.parse.tags import parse_tag_expression
from pytest_streamstress.options import Settings
from pytest_streamstress.run.scenarios import SessionDriver
from pytest_streamstress.run.suite import suite_root

log = logging.getLogger(__name__)

state_key: Final = pytest.StashKey[CollectionState]()


def configure_collection(config: pytest.Config, settings: Settings) -> None:
    """Check `--gauge-tags`, make the collection state, and point a path-less run at the specs."""
    expression = None
    if settings.gauge_tags.strip():
        try:
            expression = parse_tag_expression(settings.gauge_tags)
        except ValueError as exc:
            raise pytest.UsageError(
                f"--gauge-tags: {settings.gauge_tags!r}: {exc}; "
                "use tags with & (or ,), |, ! and parentheses, e.g. 'e2e & !tls'"
            ) from None
    config.stash[state_key] = CollectionState(driver=SessionDriver(config), expression=expression)
    if config.getoption("help", False) or config.getoption("version", 0):
        return
    _rewrite_args(config, settings)
    _check_gauge_env(config, settings)


def _check_gauge_env(config: pytest.Config, settings: Settings) -> None:
    """`--gauge-env NAME` names a folder `env/NAME` of the suite, checked before anything is built: gauge
    stops every spec with 'Failed to load env' otherwise, which read as 7 harness failures after the
    build and the deploy. `default` may be absent (gauge then runs with its defaults)."""
    name = settings.gauge_env
    if name == "default":
        return
    root = suite_root(config, settings)
    if (root / "env" / name).is_dir():
        return
    envs = root / "env"
    found = sorted(p.name for p in envs.iterdir() if p.is_dir()) if envs.is_dir() else []
    fix = f"its environments: {', '.join(found)}" if found else "it has no env/ folder: leave the option out"
    raise pytest.UsageError(f"--gauge-env {name!r}: the suite has no env/{name} folder ({root}); {fix}")


def _rewrite_args(config: pytest.Config, settings: Settings) -> None:
    """No paths -> the checkout's specs; `specs/x.spec::name` not found here -> the checkout's file.

    `testpaths` counts as no paths: in a project that runs streamstress it names the project's own
    Python tests, while `--streamstress` without paths means the Gauge suite.
    """
    if config.args_source in {pytest.Config.ArgsSource.INVOCATION_DIR, pytest.Config.ArgsSource.TESTPATHS}:
        root = suite_root(config, settings)
        specs = root / "specs"
        config.args[:] = [str(specs if specs.is_dir() else root)]
        log.info("collecting Gauge specs from %s", config.args[0])
        return
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return
    found: Path | None = None
    for index, arg in enumerate(config.args):
        strpath = arg.partition("[")[0].split("::")[0]
        if not strpath or Path(config.invocation_params.dir, strpath).exists():
            continue
        if not (strpath.endswith(".spec") or Path(strpath).parts[:1] == ("specs",)):
            continue
        found = found or suite_root(config, settings)
        if (found / strpath).exists():
            config.args[index] = str(found / strpath) + arg[len(strpath) :]


def collect_file(file_path: Path, parent: pytest.Collector) -> SpecFile | None:
    return spec_file(parent, file_path, parent.config.stash[state_key])


def select_items(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`--gauge-tags`: keep scenarios whose tags (own + spec's) satisfy the expression."""
    expression = config.stash[state_key].expression
    if expression is None:
        return
    dropped = deselect_by_tags(items, expression)
    if dropped:
        config.hook.pytest_deselected(items=dropped)


def order_items(config: pytest.Config, items: list[pytest.Item]) -> None:
    """After every other selection: the lifecycle scenarios are judged on the whole run (an uninstall
    must not run because its shard holds nothing else), then a shard keeps its specs (run/shards.py),
    then the install scenario goes first among what this session runs (before, a shard without it
    waited for it under -n until --gauge-timeout)."""
    from pytest_streamstress.options import is_worker, settings_of
    from pytest_streamstress.run.lifecycle import skip_lifecycle
    from pytest_streamstress.run.setup_first import setup_first, setup_first_key, tell

    settings = settings_of(config)
    skip_lifecycle(items, settings)
    shards = config.pluginmanager.get_plugin("streamstress-shards")
    if shards is not None:
        shards.keep_mine(config, items)
    by_file = is_worker(config) and str(config.getoption("dist", "no")) in {"loadfile", "loadscope"}
    config.stash[setup_first_key] = setup_first(items, settings, by_file=by_file)
    tell(config)
