"""At session end: the local dashboard site, and with `--publish` the gh-pages branch (issue 7).

A plugin object (STYLE R7) reacting to our own `pytest_streamstress_results_written` hook, after the
analysis has added the run to the history (trylast). The site lands in `<results_dir>/site`: built
from `--history` when given, else from the runs made into the same results directory. Publishing
failures are reported, never raised: results.json is already written and nothing is lost.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra.redact import Redactor, redactor_key
from pytest_streamstress.errors import StreamstressError
from pytest_streamstress.options import Settings

log = logging.getLogger(__name__)


class DashboardPlugin:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.site: Path | None = None
        self.published: str = ""
        self.problem: str = ""
        if settings.publish and not (settings.publish_repo or os.environ.get("GITHUB_REPOSITORY")):
            raise pytest.UsageError(
                "--publish needs a repository: pass --publish-repo URL (or set GITHUB_REPOSITORY in CI)"
            )

    @property
    def site_dir(self) -> Path:
        return self.settings.results_dir / "site"

    @pytest.hookimpl(trylast=True)
    def pytest_streamstress_results_written(self, config: pytest.Config, path: Path) -> None:
        if config.option.collectonly:
            return
        if self.settings.shard is not None:
            # A shard is part of a run: the merged run gets the dashboard (the launcher, or
            # `streamstress collect` then `report`). A site per shard pod was built, archived and
            # copied back for nothing (issue 23).
            log.info("shard %d/%d: no dashboard of its own; the merged run has one", *self.settings.shard)
            return
        from pytest_streamstress.report.site import build_run_site, build_site

        try:
            if self.settings.history is not None and self.settings.history.is_dir():
                self.site = build_site(self.settings.history, self.site_dir)
            else:
                self.site = build_run_site(path, self.site_dir, label=self.settings.run_label)
        except (StreamstressError, OSError) as exc:
            self.problem = f"dashboard not built: {exc}"
            log.warning("%s", self.problem)
        if self.settings.publish:
            from pytest_streamstress.run.signals import stopped_by

            stopped = stopped_by(config)
            if stopped:
                self.problem = (
                    f"not published: the run was stopped by {stopped}; publish it later with"
                    f" `streamstress publish {path.parent}`"
                )
                return
            self._publish(path)

    def _publish(self, path: Path) -> None:
        self.published, self.problem = publish_results(self.config, self.settings, path)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.config.get_verbosity() < 0:
            return
        if self.site is not None:
            # The page works opened from disk (run details load through <script>, report/site.py);
            # serving it is for sharing it or for a browser that blocks file pages (issue 20).
            folder = self.site.parent.resolve()
            terminalreporter.write_line(f"dashboard: {self.site.resolve().as_uri()}")
            terminalreporter.write_line(
                f"  open that file in a browser, or serve the folder:"
                f" python3 -m http.server --directory {folder} 8000, then http://127.0.0.1:8000/"
            )
        if self.published:
            terminalreporter.write_line(f"published: {self.published}")
        if self.problem:
            terminalreporter.write_line(self.problem, yellow=True)


def publish_results(config: pytest.Config, settings: Settings, path: Path) -> tuple[str, str]:
    """Publish one run's results.json to gh-pages; (where it went, "") or ("", the problem). Never raises:
    results.json is already written and nothing is lost."""
    from pytest_streamstress.report.publish import default_repo, publish_run, token_from_env

    redactor: Redactor = config.stash.get(redactor_key, Redactor())
    token = token_from_env(os.environ)
    if token is not None:
        redactor.add(token)
    try:
        result = publish_run(
            path.parent,
            repo=settings.publish_repo or default_repo(os.environ),
            branch=settings.publish_branch,
            label=settings.run_label,
            token=token,
            budget=settings.history_budget,
            work_dir=settings.results_dir / "publish",
            redactor=redactor,
            publish_timeout=settings.publish_timeout,
        )
    except StreamstressError as exc:
        problem = f"publish failed (results.json is kept): {redactor(str(exc))}"
        log.warning("%s", problem)
        return "", problem
    return result.pages_url or f"{result.repo} {result.branch} @ {result.commit[:12]}", ""
