"""Culprit ranges at session end: `analysis.culprits` in results.json and a terminal section (issue 11).

A plugin object (STYLE R7) on the controller. It runs after the history analysis has added the
`analysis` section (trylast on `pytest_streamstress_results`), reads the same history, and asks
`culprit.py` for the commits between the last good and the first bad run of every new failure and
regression, from the build's cached clones (`<pytest cache>/d/streamstress`). It does no git itself
and never fails the session: a range that cannot be read carries a note instead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.history.culprits import Culprit, culprits_from_analysis, summary_lines
from pytest_streamstress.options import Settings, is_worker

if TYPE_CHECKING:
    from pytest_streamstress.components import ComponentCatalog

log = logging.getLogger(__name__)


class CulpritPlugin:
    """Adds culprit ranges to the analysis section and prints them after the history summary."""

    def __init__(self, config: pytest.Config, settings: Settings, catalog: ComponentCatalog) -> None:
        self.config = config
        self.settings = settings
        self.branches: dict[str, str] = {str(spec.name): spec.default_branch for spec in catalog}
        self.culprits: tuple[Culprit, ...] = ()

    @pytest.hookimpl(trylast=True)
    def pytest_streamstress_results(self, config: pytest.Config, results: dict[str, Any]) -> None:
        analysis = results.get("analysis")
        if self.settings.history is None or not isinstance(analysis, dict):
            return
        if not analysis.get("new_failures") and not analysis.get("regressions"):
            return
        from pytest_streamstress.history import store

        try:
            history = store.history_documents(
                self.settings.history,
                exclude_run=results.get("run_id", ""),
                cluster=self.settings.cluster_name,
            )
        except ConfigError as exc:
            log.warning("culprit ranges not computed: %s", exc)
            return
        # The build's clones live in pytest's cache (run/preconditions.py);
        # `-p no:cacheprovider` removes `config.cache`.
        cache = getattr(config, "cache", None)
        cache_dir = cache.mkdir("streamstress") if cache is not None else self.settings.results_dir / "cache"
        self.culprits = culprits_from_analysis(
            results, history, analysis, cache_dir=cache_dir, default_branches=self.branches
        )
        analysis["culprits"] = [culprit.to_json() for culprit in self.culprits]

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.culprits or is_worker(self.config) or self.config.get_verbosity() < 0:
            return
        terminalreporter.write_sep("-", "streamstress: culprit ranges")
        for line in summary_lines(self.culprits):
            terminalreporter.write_line(line)
