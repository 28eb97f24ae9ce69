"""The static dashboard site: a pure view model, one jinja2 shell, and the shipped assets.

It owns what goes into `index.html` and `assets/`, and nothing else: the history store is
`history.store`, git is `publish.py`. Python never assembles HTML (STYLE R38): `build_view` is a pure
function from the history index to a typed `SiteView`, the template is rendered by jinja2 with
`select_autoescape` and `StrictUndefined`, and the index data is embedded once with `|tojson` into
a `<script type="application/json">` block that the plain-JavaScript app reads. Run details stay
in `runs/<id>/results.json` and are fetched lazily, so the first render reads only the index
(bench/dashboard.py: 365 runs x 200 tests under 2 MB).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_streamstress import __version__
from pytest_streamstress._infra.resources import shipped_dir
from pytest_streamstress.history.store import (
    INDEX_FILE,
    RUNS_DIR,
    HistoryIndex,
    SkippedFile,
    add_run,
    update_index,
    write_atomically,
)

log = logging.getLogger(__name__)

TEMPLATE: Final = "index.html"
STATIC_FILES: Final = ("static/app.js", "static/app.css", "vendor/d3.min.js", "vendor/LICENSE-d3.txt")
"""Shipped assets copied to `<site>/assets/`; d3 is vendored from the npm registry (no CDN)."""
STATUSES: Final = ("passed", "failed", "error", "skipped", "flaky")


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterChoices:
    """The values each filter offers, taken from the history."""

    categories: tuple[tuple[str, str], ...]
    statuses: tuple[str, ...]
    components: tuple[str, ...]
    tags: tuple[str, ...]
    first_date: str
    last_date: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteView:
    """Everything the shell template shows; built by `build_view` without I/O."""

    title: str
    generated_at: str
    plugin_version: str
    run_count: int
    test_count: int
    latest_run: str
    latest_emulated: bool
    choices: FilterChoices
    skipped: tuple[SkippedFile, ...]
    assets: tuple[tuple[str, str], ...]
    """(logical name, URL with a content hash) so browsers never run a stale app.js."""
    data: dict[str, Any]
    """The index as JSON: the one dict crossing into the template, embedded with `|tojson`."""

    def asset(self, name: str) -> str:
        return dict(self.assets)[name]


def build_view(
    index: HistoryIndex,
    *,
    title: str = "pytest-streamstress dashboard",
    generated_at: dt.datetime,
    assets: tuple[tuple[str, str], ...] = (),
) -> SiteView:
    """The view model of the shell (pure: index in, value out)."""
    latest = index.runs[-1] if index.runs else None
    components = sorted({c.name for run in index.runs for c in run.components})
    tags = sorted({tag for case in index.tests for tag in case.tags})
    return SiteView(
        title=title,
        generated_at=generated_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        plugin_version=__version__,
        run_count=len(index.runs),
        test_count=len(index.tests),
        latest_run=latest.run_id if latest else "",
        latest_emulated=latest.emulated if latest else False,
        choices=FilterChoices(
            categories=index.categories,
            statuses=STATUSES,
            components=tuple(components),
            tags=tuple(tags),
            first_date=index.runs[0].started_at[:10] if index.runs else "",
            last_date=latest.started_at[:10] if latest else "",
        ),
        skipped=index.skipped,
        assets=assets,
        data=index.to_json(),
    )


def _environment(templates: Path) -> Any:
    import jinja2  # R6: only the report path pays for jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_page(view: SiteView, *, templates: Path | None = None) -> str:
    folder = templates if templates is not None else shipped_dir("dashboard") / "templates"
    return str(_environment(folder).get_template(TEMPLATE).render(view=view))


def copy_assets(out_dir: Path) -> tuple[tuple[str, str], ...]:
    """Copy the shipped assets into `<out>/assets/`; their URLs carry a short content hash."""
    source = shipped_dir("dashboard")
    links = []
    for relative in STATIC_FILES:
        src = source / relative
        data = src.read_bytes()
        target = out_dir / "assets" / Path(relative).name
        if not target.is_file() or target.read_bytes() != data:
            write_atomically(target, data)
        links.append((Path(relative).name, f"assets/{target.name}?v={hashlib.sha256(data).hexdigest()[:10]}"))
    return tuple(links)


def _sync_runs(history_dir: Path, out_dir: Path) -> None:
    """Copy run files the site lacks (or holds in another version); never deletes extra files."""
    for src in sorted((history_dir / RUNS_DIR).glob("*/results.json")):
        target = out_dir / src.relative_to(history_dir)
        if (
            not target.is_file()
            or target.stat().st_size != src.stat().st_size
            or target.read_bytes() != src.read_bytes()
        ):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)


def build_site(history_dir: Path, out_dir: Path, *, title: str = "pytest-streamstress dashboard") -> Path:
    """Update the history's index and write the site into `out_dir`; returns `<out_dir>/index.html`.

    `out_dir` may be the history directory itself (a gh-pages checkout): then only `index.json`,
    `index.html` and `assets/` are written.
    """
    index = update_index(history_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if out_dir.resolve() != history_dir.resolve():
        _sync_runs(history_dir, out_dir)
        write_atomically(out_dir / INDEX_FILE, (history_dir / INDEX_FILE).read_bytes())
    assets = copy_assets(out_dir)
    view = build_view(index, title=title, generated_at=dt.datetime.now(dt.timezone.utc), assets=assets)
    page = out_dir / "index.html"
    write_atomically(page, render_page(view).encode("utf-8"))
    # GitHub Pages runs Jekyll unless told not to; Jekyll would hide nothing here but costs minutes.
    (out_dir / ".nojekyll").touch()
    log.info("dashboard of %d runs written to %s", view.run_count, page)
    return page


def build_run_site(results_json: Path, site_dir: Path, *, label: str = "") -> Path:
    """Add one run to the local history in `site_dir` and rebuild it; returns `<site_dir>/index.html`.

    What the session does at its end (beside or instead of publishing), so `pytest-html`'s report can
    link to a dashboard that holds this run and the runs made earlier into the same directory.
    """
    add_run(site_dir, results_json, label=label)
    return build_site(site_dir, site_dir)


@dataclass(frozen=True, slots=True)
class HtmlReportLink:
    """A pytest-html plugin object: puts a link to the dashboard into the report's summary.

    Register it only when pytest-html is active (`config.pluginmanager.hasplugin("html")`), since the
    hook name is unknown to pluggy otherwise. The link is rendered by jinja2 with autoescaping, so a
    URL holding markup stays text.
    """

    url: str

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        import jinja2

        template = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
            '<p class="streamstress-dashboard">Dashboard: <a href="{{ url }}">{{ url }}</a></p>'
        )
        prefix.append(template.render(url=self.url))
