"""The static dashboard site: a pure view model, one jinja2 shell, and the shipped assets.

It owns what goes into `index.html`, `assets/` and the per-run script wrappers, and nothing else:
the history store is `history.store`, git is `publish.py`. Python never assembles HTML (STYLE R38):
`build_view` is a pure function from the history index (and the newest run's failures) to a typed
`SiteView`, the template is rendered by jinja2 with `select_autoescape` and `StrictUndefined`, and
the index data is embedded once with `|tojson` into a `<script type="application/json">` block that
the plain-JavaScript app reads. The morning page (`report/morning.py`) is rendered into the page
itself, so the first paint already answers "what broke last night".

The page works from `file://` (issue 20): browsers refuse `fetch` there, so next to every
`runs/<id>/results.json` the site holds `runs/<id>/results.js`, the same bytes wrapped in one call
(`window.streamstressRun(id, {...})`) that a `<script>` element may load from disk. Each wrapper
carries the SHA-256 of the file it wraps and is rewritten only when that file changed (a label, the
byte budget's trimming). The history's byte budget counts the wrappers like every other file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_streamstress import __version__
from pytest_streamstress._infra.resources import shipped_dir
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.history.store import (
    INDEX_FILE,
    RUNS_DIR,
    HistoryError,
    HistoryIndex,
    RunDetails,
    SkippedFile,
    add_run,
    category_code,
    read_details,
    update_index,
    write_atomically,
)
from pytest_streamstress.report.changes import rerun_flags, subject_of
from pytest_streamstress.report.fleet import ClusterGroup, cluster_groups, group_index, worst_first
from pytest_streamstress.report.morning import MorningView, build_morning, gate_of
from pytest_streamstress.report.palette import OUTCOME_COLORS, PASS_LINE, Palette, build_palette

log = logging.getLogger(__name__)

TEMPLATE: Final = "index.html"
APP_PARTS: Final = (
    "static/core.js",
    "static/fleet.js",
    "static/charts.js",
    "static/grid.js",
    "static/runview.js",
    "static/compare.js",
    "static/profile.js",
    "static/main.js",
)
"""The app's sources, in load order; shipped as one `assets/app.js` (one request, no build tool)."""
STATIC_FILES: Final = ("vendor/d3.min.js", "vendor/LICENSE-d3.txt")
"""Shipped assets copied to `<site>/assets/`; d3 is vendored from the npm registry (no CDN)."""
STYLESHEET: Final = "static/app.css"
"""Inlined into index.html: a stylesheet request would hold the first paint back (bench/dashboard.py)."""
STATUSES: Final = ("passed", "failed", "error", "skipped", "flaky")
CHANGES: Final = (("new", "new failures"), ("still", "still failing"), ("fixed", "fixed"))
"""The grid's `chg` filter: how a test moved since the previous scored run (the morning page's lists)."""
WRAPPER_FILE: Final = "results.js"
_WRAPPER_HEAD: Final = (
    "/* pytest-streamstress run data, sha256 {digest}: readable from file:// (report/site.py) */\n"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterChoices:
    """The values each filter offers, taken from the history."""

    categories: tuple[tuple[str, str], ...]
    statuses: tuple[str, ...]
    changes: tuple[tuple[str, str], ...]
    components: tuple[str, ...]
    tags: tuple[str, ...]
    clusters: tuple[ClusterGroup, ...]
    """Empty unless the history holds runs of two or more clusters: no filter that offers one value."""
    first_date: str
    last_date: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MorningSection:
    """The morning page of one cluster's newest run; `cluster` None: of the history's, with one cluster."""

    cluster: ClusterGroup | None
    morning: MorningView


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
    palette: Palette
    mornings: tuple[MorningSection, ...]
    """One per cluster, each read against its own cluster's runs only (issue 23); one without clusters."""
    stylesheet: str
    """dashboard/static/app.css, shipped with the package (not data from a run)."""
    has_profiles: bool
    """Whether any run was made with --profile: the Profile tab is shown only then."""
    data: dict[str, Any]
    """The index and the palette as JSON: the one dict crossing into the template, embedded with `|tojson`."""

    def asset(self, name: str) -> str:
        return dict(self.assets)[name]


def palette_of(index: HistoryIndex, defaults: dict[str, str] | None = None) -> Palette:
    """The index's categories painted: the newest run's colours, else the shipped file's, else muted hues."""
    return build_palette(
        [(c.category, c.label, c.color) for c in index.categories],
        defaults=defaults,
        codes=[category_code(i) for i in range(len(index.categories))],
    )


def build_view(
    index: HistoryIndex,
    *,
    title: str = "pytest-streamstress dashboard",
    generated_at: dt.datetime,
    assets: tuple[tuple[str, str], ...] = (),
    details: RunDetails | None = None,
    defaults: dict[str, str] | None = None,
    stylesheet: str = "",
    cluster_details: dict[str, RunDetails | None] | None = None,
) -> SiteView:
    """The view model of the page (pure: index, the newest run's failures and the palette in, value out).

    `details` are the newest run's; with several clusters, `cluster_details` holds each cluster's
    newest run's by cluster id (`report/fleet.py`).
    """
    latest = index.runs[-1] if index.runs else None
    components = sorted({c.name for run in index.runs for c in run.components})
    tags = sorted({tag for case in index.tests for tag in case.tags})
    palette = palette_of(index, defaults)
    data = index.to_json()
    data["palette"] = {
        "categories": [
            {"id": c.id, "label": c.label, "color": c.color, "text": c.text, "code": c.code}
            for c in palette.categories
        ],
        "outcomes": dict(OUTCOME_COLORS),
        "pass_line": PASS_LINE,
    }
    for run, summary, rerun in zip(data["runs"], index.runs, rerun_flags(index.runs), strict=True):
        gate = gate_of(summary)
        run["gate"] = {"status": gate.status, "text": gate.text, "tone": gate.tone}
        if rerun:
            run["rerun"] = True  # left out of the trends (dashboard/static/main.js)
    clusters = cluster_groups(index)
    if clusters:  # one cluster, or none named: the page's data as before clusters existed
        data["clusters"] = [group.to_json() for group in clusters]
    return SiteView(
        title=title,
        generated_at=generated_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        plugin_version=__version__,
        run_count=len(index.runs),
        test_count=len(index.tests),
        latest_run=latest.run_id if latest else "",
        latest_emulated=latest.emulated if latest else False,
        choices=FilterChoices(
            categories=tuple((c.id, c.label) for c in palette.categories),
            statuses=STATUSES,
            changes=CHANGES,
            components=tuple(components),
            tags=tuple(tags),
            clusters=clusters,
            first_date=index.runs[0].started_at[:10] if index.runs else "",
            last_date=latest.started_at[:10] if latest else "",
        ),
        skipped=index.skipped,
        assets=assets,
        palette=palette,
        mornings=_mornings(index, clusters, details, cluster_details or {}, palette),
        stylesheet=stylesheet,
        has_profiles=any(run.profile is not None for run in index.runs),
        data=data,
    )


def _mornings(
    index: HistoryIndex,
    clusters: tuple[ClusterGroup, ...],
    details: RunDetails | None,
    cluster_details: dict[str, RunDetails | None],
    palette: Palette,
) -> tuple[MorningSection, ...]:
    """The history's morning page, or each cluster's, worst verdict first: a failure is new only against
    its own cluster."""
    if not clusters:
        return (MorningSection(cluster=None, morning=build_morning(index, details, palette)),)
    sections = {
        group.id: MorningSection(
            cluster=group,
            morning=build_morning(
                group_index(index, group), cluster_details.get(group.id), palette, cluster=group.id
            ),
        )
        for group in clusters
    }
    new = {name: section.morning.regression_count for name, section in sections.items()}
    return tuple(sections[group.id] for group in worst_first(clusters, new))


def shipped_colors() -> dict[str, str]:
    """The colours of the shipped categories.toml, for categories a run named without one."""
    from pytest_streamstress._infra.toml import load_toml
    from pytest_streamstress.triage.categories import load_categories

    source = shipped_dir("config") / "categories.toml"
    try:
        specs = load_categories(load_toml(source).get("category", []), source=source)
    except ConfigError as exc:  # the shipped file is checked by tests; a broken install still renders
        log.warning("no default category colours: %s", exc)
        return {}
    return {spec.id: spec.color for spec in specs if spec.color}


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
    files = [(Path(relative).name, (source / relative).read_bytes()) for relative in STATIC_FILES]
    app = b"".join(
        b"/* ---- " + relative.encode() + b" ---- */\n" + (source / relative).read_bytes() + b"\n"
        for relative in APP_PARTS
    )
    files.append(("app.js", app))
    links = []
    for name, data in files:
        target = out_dir / "assets" / name
        if not target.is_file() or target.read_bytes() != data:
            write_atomically(target, data)
        links.append((name, f"assets/{name}?v={hashlib.sha256(data).hexdigest()[:10]}"))
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


def wrap_run(run_id: str, raw: bytes) -> bytes:
    """`runs/<id>/results.js`: results.json's bytes as the argument of one call (JSON is valid JS)."""
    head = _WRAPPER_HEAD.format(digest=hashlib.sha256(raw).hexdigest())
    return (
        head.encode()
        + b"window.streamstressRun("
        + json.dumps(run_id).encode()
        + b", "
        + raw.strip()
        + b");\n"
    )


def write_run_wrappers(out_dir: Path, index: HistoryIndex) -> int:
    """Write each run's `results.js` that is missing or wraps other bytes; returns how many were written."""
    written = 0
    for run in index.runs:
        source = out_dir / run.file
        if not source.is_file():
            continue
        raw = source.read_bytes()
        target = source.with_name(WRAPPER_FILE)
        head = _WRAPPER_HEAD.format(digest=hashlib.sha256(raw).hexdigest()).encode()
        if target.is_file():
            with target.open("rb") as existing:
                if existing.readline() == head:
                    continue
        write_atomically(target, wrap_run(run.run_id, raw))
        written += 1
    return written


def _details(out_dir: Path, index: HistoryIndex, run_id: str) -> RunDetails | None:
    try:
        return read_details(out_dir / index.runs[index.run_ids().index(run_id)].file)
    except HistoryError as exc:
        log.warning("the morning page shows no messages: %s", exc)
        return None


def _latest_details(out_dir: Path, index: HistoryIndex) -> RunDetails | None:
    """The failures of the run the morning page is about: the newest that is not a rerun."""
    return _details(out_dir, index, index.runs[subject_of(index.runs)].run_id) if index.runs else None


def _cluster_details(out_dir: Path, index: HistoryIndex) -> dict[str, RunDetails | None]:
    """Each cluster's morning run's failures, for its morning page (one file read per cluster)."""
    by_id = {run.run_id: run for run in index.runs}
    out = {}
    for group in cluster_groups(index):
        runs = [by_id[run_id] for run_id in group.runs]
        out[group.id] = _details(out_dir, index, runs[subject_of(runs)].run_id)
    return out


def build_site(history_dir: Path, out_dir: Path, *, title: str = "pytest-streamstress dashboard") -> Path:
    """Update the history's index and write the site into `out_dir`; returns `<out_dir>/index.html`.

    `out_dir` may be the history directory itself (a gh-pages checkout): then only `index.json`,
    `index.html`, `assets/` and the run wrappers are written.
    """
    index = update_index(history_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if out_dir.resolve() != history_dir.resolve():
        _sync_runs(history_dir, out_dir)
        write_atomically(out_dir / INDEX_FILE, (history_dir / INDEX_FILE).read_bytes())
    write_run_wrappers(out_dir, index)
    assets = copy_assets(out_dir)
    view = build_view(
        index,
        title=title,
        generated_at=dt.datetime.now(dt.timezone.utc),
        assets=assets,
        details=_latest_details(out_dir, index),
        cluster_details=_cluster_details(out_dir, index),
        defaults=shipped_colors(),
        stylesheet=(shipped_dir("dashboard") / STYLESHEET).read_text(encoding="utf-8"),
    )
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
