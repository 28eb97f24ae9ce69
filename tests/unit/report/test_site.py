"""The site: pure view model, strict autoescaped template, embedded data, offline assets, pytest-html link."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import pytest

from pytest_streamstress.history.store import add_run, update_index
from pytest_streamstress.report.site import (
    HtmlReportLink,
    build_site,
    build_view,
    render_page,
    write_run_wrappers,
)
from pytest_streamstress.testing.histories import XSS_MESSAGE, generate_history, write_results_dirs
from pytest_streamstress.testing.morning import morning_history

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


class Page(HTMLParser):
    """Collects the embedded index, script/link URLs and elements by data-testid from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.data_blocks: list[str] = []
        self.urls: list[str] = []
        self.testids: dict[str, dict[str, str | None]] = {}
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("type") == "application/json":
            self._in_data = True
            self.data_blocks.append("")
        for name in ("src", "href"):
            if attributes.get(name) and tag in ("script", "link"):
                self.urls.append(str(attributes[name]))
        if tag == "script" and attributes.get("data-assets"):  # loaded after the first paint
            self.urls.extend(str(attributes["data-assets"]).split())
        if attributes.get("data-testid"):
            self.testids[str(attributes["data-testid"])] = attributes

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data_blocks[-1] += data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    documents = generate_history(6, 12)
    documents[-1]["scenarios"][0]["message"] = "</script><script>window.__xss=3</script>" + XSS_MESSAGE
    documents[-1]["scenarios"][0]["status"] = "failed"
    for folder in write_results_dirs(documents, root / "results"):
        add_run(root / "history", folder / "results.json")
    build_site(root / "history", root / "out")
    return root


def test_view_offers_the_categories_components_and_tags_of_the_history(site: Path) -> None:
    view = build_view(update_index(site / "history"), generated_at=NOW)
    categories = {
        entry["category"] for document in generate_history(6, 12) for entry in document["categories"]
    }
    assert {cat_id for cat_id, _ in view.choices.categories} == categories
    assert view.choices.components == ("chains", "pipeline", "triggers")
    assert "sanity" in view.choices.tags
    assert view.run_count == 6
    assert view.generated_at == "2026-03-01 12:00 UTC"


def test_embedded_index_reads_back_as_the_index_even_with_markup_in_messages(site: Path) -> None:
    page = parse((site / "out" / "index.html").read_text())
    assert len(page.data_blocks) == 1
    data = json.loads(page.data_blocks[0])
    palette = data.pop("palette")
    gates = [run.pop("gate") for run in data["runs"]]
    assert data == json.loads((site / "out" / "index.json").read_text())
    assert {c["id"] for c in palette["categories"]} == {c["id"] for c in data["categories"]}
    assert len(gates) == len(data["runs"])


def test_page_loads_only_local_assets(site: Path) -> None:
    page = parse((site / "out" / "index.html").read_text())
    assert page.urls, "the page references its assets"
    for url in page.urls:
        assert "://" not in url and not url.startswith("//"), url
        assert (site / "out" / url.split("?")[0]).is_file()


def test_site_built_elsewhere_carries_the_runs_it_needs(site: Path) -> None:
    runs = sorted(p.relative_to(site / "history") for p in (site / "history").glob("runs/*/results.json"))
    copied = sorted(p.relative_to(site / "out") for p in (site / "out").glob("runs/*/results.json"))
    assert copied == runs


def test_an_undefined_template_variable_is_an_error_not_an_empty_string(tmp_path: Path, site: Path) -> None:
    (tmp_path / "index.html").write_text("{{ view.no_such_field }}")
    view = build_view(update_index(site / "history"), generated_at=NOW)
    with pytest.raises(jinja2.UndefinedError):
        render_page(view, templates=tmp_path)


def test_template_escapes_text_from_the_history(tmp_path: Path, site: Path) -> None:
    (tmp_path / "index.html").write_text('<p data-testid="t">{{ view.title }}</p>')
    view = build_view(update_index(site / "history"), generated_at=NOW, title="<b>x</b>")
    assert render_page(view, templates=tmp_path) == '<p data-testid="t">&lt;b&gt;x&lt;/b&gt;</p>'


def test_skipped_history_files_are_listed_on_the_page(tmp_path: Path) -> None:
    bad = tmp_path / "runs" / "run-20260101T000000Z-abcdef" / "results.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("{}")
    page = parse(build_site(tmp_path, tmp_path).read_text())
    assert "skipped-files" in page.testids


def test_pytest_html_summary_links_to_the_dashboard_with_the_url_escaped() -> None:
    prefix: list[str] = []
    HtmlReportLink('site/index.html?a="><script>').pytest_html_results_summary(prefix, [], [], session=None)
    anchors: list[dict[str, Any]] = []

    class Anchors(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a":
                anchors.append(dict(attrs))
            assert tag in ("p", "a")

    Anchors().feed(prefix[0])
    assert anchors == [{"href": 'site/index.html?a="><script>'}]


def test_pytest_html_report_carries_the_dashboard_link(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from pytest_streamstress.report.site import HtmlReportLink

        def pytest_configure(config):
            if config.pluginmanager.hasplugin("html"):
                config.pluginmanager.register(HtmlReportLink("site/index.html"), "streamstress-html-link")
        """
    )
    pytester.makepyfile("def test_one(): pass")
    result = pytester.runpytest_subprocess(
        "-p", "no:streamstress", "--html=report.html", "--self-contained-html"
    )
    result.assert_outcomes(passed=1)
    anchors: list[dict[str, str | None]] = []

    class Anchors(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a":
                anchors.append(dict(attrs))

    Anchors().feed((pytester.path / "report.html").read_text())
    assert {"href": "site/index.html"} in anchors


def test_report_command_adds_runs_to_an_existing_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_streamstress.cli import main as cli

    folders = write_results_dirs(generate_history(3, 5), tmp_path / "results")
    assert (
        cli.main(["report", str(folders[0]), str(folders[1] / "results.json"), "-o", str(tmp_path / "site")])
        == 0
    )
    assert cli.main(["report", str(folders[2]), "-o", str(tmp_path / "site")]) == 0
    assert "1 run(s) added" in capsys.readouterr().out
    assert update_index(tmp_path / "site").run_ids() == tuple(folder.name for folder in folders)


def test_report_command_names_a_directory_without_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_streamstress.cli import main as cli

    assert cli.main(["report", str(tmp_path), "-o", str(tmp_path / "site")]) == 2
    assert f"no results.json in {tmp_path}" in capsys.readouterr().err


# ------------------------------------------------------------------ issue 20: morning page, file://, palette


@pytest.fixture(scope="module")
def morning_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("morning-site")
    for folder in write_results_dirs(morning_history(6, 30), root / "results"):
        add_run(root / "site", folder / "results.json")
    build_site(root / "site", root / "site")
    return root / "site"


def test_the_morning_page_is_in_the_html_before_any_script_runs(morning_site: Path) -> None:
    page = parse((morning_site / "index.html").read_text())
    assert {"morning-verdict", "morning-regressions", "regression", "morning-still"} <= set(page.testids)


def test_every_run_has_a_script_wrapping_its_results_for_file_urls(morning_site: Path) -> None:
    for source in morning_site.glob("runs/*/results.json"):
        wrapper = source.with_name("results.js").read_bytes()
        head, _, call = wrapper.partition(b"\n")
        assert hashlib.sha256(source.read_bytes()).hexdigest().encode() in head
        run_id = source.parent.name
        assert call.startswith(b'window.streamstressRun("' + run_id.encode() + b'", ')
        assert json.loads(
            call[len(b'window.streamstressRun("' + run_id.encode() + b'", ') : -3]
        ) == json.loads(source.read_bytes())


def test_a_rebuild_rewrites_only_the_wrapper_of_a_changed_run(morning_site: Path) -> None:
    index = update_index(morning_site)
    assert write_run_wrappers(morning_site, index) == 0
    changed = morning_site / index.runs[0].file
    changed.write_bytes(changed.read_bytes().replace(b'"label": "nightly"', b'"label": "trimmed"'))
    assert write_run_wrappers(morning_site, index) == 1
    assert b'"trimmed"' in changed.with_name("results.js").read_bytes()


def test_a_colour_that_is_not_rrggbb_never_reaches_the_page(tmp_path: Path) -> None:
    documents = morning_history(2, 30)
    documents[-1]["category_labels"][0]["color"] = "red}body{display:none"
    for folder in write_results_dirs(documents, tmp_path / "results"):
        add_run(tmp_path / "site", folder / "results.json")
    html = build_site(tmp_path / "site", tmp_path / "site").read_text()
    style = html.split('<style data-testid="palette">', 1)[1].split("</style>", 1)[0]
    assert "display:none" not in style
    assert "#c62828" in style  # the shipped colour of upstream-regression stands in
    data = json.loads(parse(html).data_blocks[0])
    assert data["palette"]["categories"][0]["color"] == "#c62828"


def test_the_profile_tab_exists_only_when_a_run_was_profiled(tmp_path: Path, morning_site: Path) -> None:
    assert "tab-profile" not in parse((morning_site / "index.html").read_text()).testids
    for folder in write_results_dirs(generate_history(3, 12, profile=True), tmp_path / "results"):
        add_run(tmp_path / "site", folder / "results.json")
    assert "tab-profile" in parse(build_site(tmp_path / "site", tmp_path / "site").read_text()).testids
