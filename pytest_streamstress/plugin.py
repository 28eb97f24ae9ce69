"""The pytest11 entry point: hooks and options only (DESIGN "Shape", STYLE R5).

Every hook body is one call into the module that owns the work. Nothing happens unless the plugin is
active (`--streamstress` or `streamstress = true`), so installing the package changes nothing for
other test suites. Per-run state lives in plugin objects that `session.configure_session` registers
(R7), not here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_streamstress.options import add_options, is_active

if TYPE_CHECKING:
    from pytest_streamstress.gauge.collect import SpecFile


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_streamstress import hooks

    pluginmanager.add_hookspecs(hooks)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    if is_active(config):
        from pytest_streamstress.run.parallel import apply_parallel, choose_distribution

        apply_parallel(config)
        choose_distribution(config)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not is_active(config):
        return
    from pytest_streamstress.run.session import configure_session

    configure_session(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SpecFile | None:
    if not is_active(parent.config):
        return None
    from pytest_streamstress.run.collecting import collect_file

    return collect_file(file_path, parent)


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not is_active(config):
        return
    from pytest_streamstress.run.collecting import select_items

    select_items(config, items)


@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def pytest_order_scenarios(config: pytest.Config, items: list[pytest.Item]) -> None:
    """trylast: judged on what -k, -m and --deselect left (run/collecting.order_items)."""
    if not is_active(config):
        return
    from pytest_streamstress.run.collecting import order_items

    order_items(config, items)
