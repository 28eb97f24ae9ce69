"""Gauge specs collected as pytest items: node ids, counts, errors, reportinfo (issue 2 item 5)."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest

from pytest_streamstress.gauge.collect import ScenarioItem, marker_name
from pytest_streamstress.gauge.junit import case_name
from pytest_streamstress.testing.release_tests import needs_release_tests, release_tests_dir

REPO = Path(__file__).parents[2]
FIXTURES = release_tests_dir(REPO)
GRAMMAR = REPO / "tests" / "data" / "specs" / "grammar"

RUN_SPEC = """\
# Run pipelines
* Validate Operator should be installed

## Run sample pipeline: PIPELINES-03-TC01
Tags: e2e, sanity, non-admin
* Create "pipeline.yaml"

## Cancel pipelinerun Test: PIPELINES-03-TC06
Tags: e2e, admin, linux/amd64
* Cancel "run"
"""


def make_project(pytester: pytest.Pytester, name: str = "proj", **specs: str) -> Path:
    root = pytester.path / name
    (root / "specs").mkdir(parents=True)
    (root / "manifest.json").write_text('{"Language": "go"}')
    for relpath, text in specs.items():
        path = root / "specs" / (relpath.replace("__", "/") + ".spec")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def collected(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if "::" in line and not line.startswith(("ERROR", "FAILED"))]


@needs_release_tests(FIXTURES)
def test_fixture_suite_lists_every_scenario_with_the_right_count_per_spec(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--streamstress", "--collect-only", "-q", f"--release-tests-dir={FIXTURES}")
    lines = collected(result)
    per_spec = Counter(line.split("::")[0] for line in lines)
    assert len(lines) == 45
    assert len(per_spec) == 21
    assert (
        per_spec["specs/pipelines/run.spec"],
        per_spec["specs/pac/pac-gitlab.spec"],
        per_spec["specs/olm.spec"],
    ) == (6, 4, 3)
    assert "specs/pipelines/run.spec::Run sample pipeline: PIPELINES-03-TC01" in lines
    assert result.ret == 0


def test_node_ids_are_relative_to_the_project_root_outside_rootdir(pytester: pytest.Pytester) -> None:
    root = make_project(pytester, pipelines__run=RUN_SPEC)
    result = pytester.runpytest("--streamstress", "--collect-only", "-q", f"--release-tests-dir={root}")
    assert collected(result) == [
        "specs/pipelines/run.spec::Run sample pipeline: PIPELINES-03-TC01",
        "specs/pipelines/run.spec::Cancel pipelinerun Test: PIPELINES-03-TC06",
    ]


def test_a_malformed_spec_is_one_error_item_naming_file_and_line_and_the_others_still_collect(
    pytester: pytest.Pytester,
) -> None:
    """gauge reports a spec it cannot parse and runs the others (issue 22): so do we."""
    root = make_project(pytester, run=RUN_SPEC, broken='# Broken\n## S\n* Say "oops\n')
    result = pytester.runpytest("--streamstress", "--collect-only", "-q", f"--release-tests-dir={root}")
    assert collected(result) == [
        "specs/broken.spec::ParseError",
        "specs/run.spec::Run sample pipeline: PIPELINES-03-TC01",
        "specs/run.spec::Cancel pipelinerun Test: PIPELINES-03-TC06",
    ]
    assert result.ret == pytest.ExitCode.OK


def test_a_malformed_spec_errors_with_gauges_wording_and_no_traceback(
    pytester: pytest.Pytester,
) -> None:
    root = make_project(pytester, run=RUN_SPEC, broken='# Broken\n## S\n* Say "oops\n')
    result = pytester.runpytest(
        "--streamstress",
        f"--release-tests-dir={root}",
        "--skip-build",
        "--skip-deploy",
        "-p",
        "no:cacheprovider",
    )
    result.stdout.fnmatch_lines(
        [f"[ParseError] {root / 'specs' / 'broken.spec'}:3: String not terminated => '* Say \"oops'"]
    )
    assert "Traceback" not in result.stdout.str()
    assert "SpecSyntaxError" not in result.stdout.str()


def test_a_broken_concept_file_errors_every_spec_naming_the_cpt_file(pytester: pytest.Pytester) -> None:
    root = make_project(pytester, run=RUN_SPEC)
    (root / "specs" / "bad.cpt").write_text("# Concept\n")
    result = pytester.runpytest(
        "--streamstress", f"--release-tests-dir={root}", "--skip-build", "--skip-deploy"
    )
    result.stdout.fnmatch_lines([f"*{root / 'specs' / 'bad.cpt'}:1: Concept should have at least one step*"])
    result.assert_outcomes(errors=1)


def test_undecodable_bytes_are_one_error_item_not_a_stopped_session(pytester: pytest.Pytester) -> None:
    root = make_project(pytester, run=RUN_SPEC)
    (root / "specs" / "bytes.spec").write_bytes(b'# Bytes\n\n## X\n* Do "\xff\xfe"\n')
    result = pytester.runpytest("--streamstress", "--collect-only", "-q", f"--release-tests-dir={root}")
    assert "specs/bytes.spec::ParseError" in collected(result)
    assert len(collected(result)) == 3


def test_a_table_row_with_the_wrong_cell_count_is_a_visible_warning(pytester: pytest.Pytester) -> None:
    """gauge pads a short row and cuts a long one (gauge/table.go toHeaderSizeRow), so it runs: a
    warning in pytest's warnings summary, shown without any log level."""
    spec = "# Rows\n\n## Rows\n\n   |a|b|\n   |-|-|\n   |1|\n* Use <a>\n"
    root = make_project(pytester, rows=spec)
    result = pytester.runpytest("--streamstress", "--collect-only", "-q", f"--release-tests-dir={root}")
    result.stdout.fnmatch_lines(
        [
            "*warnings summary*",
            "*GaugeSpecWarning*rows.spec:7 table row has 1 cell but its header has 2; gauge runs it anyway"
            " (empty cells are added): fix the row",
        ]
    )


def test_data_driven_scenario_yields_one_item_per_row(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--streamstress", "--collect-only", "-q", f"--release-tests-dir={GRAMMAR}")
    lines = collected(result)
    assert [line for line in lines if "datadriven" in line] == [
        "specs/datadriven.spec::Uses the spec column[1]",
        "specs/datadriven.spec::Uses the spec column[2]",
        "specs/datadriven.spec::Uses nothing",
        "specs/datadriven.spec::Own table[1]",
        "specs/datadriven.spec::Own table[2]",
        "specs/datadriven.spec::Own table[3]",
        "specs/datadriven.spec::External table[1]",
        "specs/datadriven.spec::External table[2]",
    ]


def test_items_carry_scenario_spec_root_row_and_report_the_spec_line(pytester: pytest.Pytester) -> None:
    items, _ = pytester.inline_genitems("--streamstress", f"--release-tests-dir={GRAMMAR}")
    by_id = {item.nodeid: item for item in items}
    item = by_id["specs/datadriven.spec::External table[2]"]
    assert isinstance(item, ScenarioItem)
    assert (item.scenario.heading, item.spec.heading, item.project_root) == (
        "External table",
        "Data driven",
        GRAMMAR,
    )
    assert (item.row, item.row_values) == (2, (("first", "Alan"), ("last", "Turing")))
    # a scenario table's row: xml-report 0.5.3 numbers it by the spec table's row (none: 1), 0.5.4 by its own
    assert item.junit_name == "External table 1: [first: Alan] [last: Turing]"
    assert case_name(item.scenario.heading, item.data_row, naming="0.5.4") == (
        "External table | ScnRow: 2: [first: Alan] [last: Turing]"
    )
    assert item.gauge_arg == "specs/datadriven.spec:22"
    assert item.reportinfo() == (GRAMMAR / "specs" / "datadriven.spec", 21, "scenario: External table")


def test_gauge_tags_become_markers_including_inherited_spec_tags(pytester: pytest.Pytester) -> None:
    items, _ = pytester.inline_genitems("--streamstress", f"--release-tests-dir={GRAMMAR}")
    item = next(i for i in items if i.nodeid == "specs/tags.spec::Inherits and adds")
    names = [mark.name for mark in item.iter_markers()]
    assert names == ["spec-tag", "linux/amd64", "continuedtag", "skip-4.14", "own", "e2e"]


@pytest.mark.parametrize(
    ("tag", "marker"),
    [
        ("e2e", "e2e"),
        ("Admin", "admin"),
        ("linux/amd64", "linux/amd64"),
        ("to-do", "to-do"),
        ("skip-4.14", "skip-4.14"),
        ("skip", "gauge_skip"),
        ("xfail", "gauge_xfail"),
        ("not", "gauge_not"),
        ("a:b (c)", "a_b_c_"),
        ("continued tag", "continuedtag"),
        ("(wip)", "gauge__wip_"),
    ],
)
def test_marker_name_mapping(tag: str, marker: str) -> None:
    assert marker_name(tag) == marker


def test_heading_node_id_selects_every_row_and_a_bracketed_one_selects_one(pytester: pytest.Pytester) -> None:
    base = f"--release-tests-dir={GRAMMAR}"
    every = pytester.runpytest(
        "--streamstress", "--collect-only", "-q", base, "specs/datadriven.spec::Own table"
    )
    one = pytester.runpytest(
        "--streamstress", "--collect-only", "-q", base, "specs/datadriven.spec::Own table[2]"
    )
    assert collected(every) == [f"specs/datadriven.spec::Own table[{n}]" for n in (1, 2, 3)]
    assert collected(one) == ["specs/datadriven.spec::Own table[2]"]


def test_last_failed_finds_a_data_row_by_its_bracketed_node_id(pytester: pytest.Pytester) -> None:
    cache = pytester.path / ".pytest_cache" / "v" / "cache"
    cache.mkdir(parents=True)
    (cache / "lastfailed").write_text('{"specs/datadriven.spec::Own table[2]": true}')
    result = pytester.runpytest(
        "--streamstress", "--collect-only", "-q", "--lf", f"--release-tests-dir={GRAMMAR}"
    )
    assert collected(result) == ["specs/datadriven.spec::Own table[2]"]


KUBERNETES_PROBE = """\
import sys

def pytest_unconfigure(config):
    loaded = sorted(m for m in sys.modules if m == "kubernetes" or m.startswith("kubernetes."))
    config.rootpath.joinpath("kubernetes-modules.txt").write_text("\\n".join(loaded))
"""


def test_collecting_without_deploy_never_loads_the_kubernetes_client(pytester: pytest.Pytester) -> None:
    """`--skip-deploy --collect-only` is what an IDE does on every keystroke: no 0.5 s client import."""
    root = make_project(pytester, run=RUN_SPEC)
    pytester.makeconftest(KUBERNETES_PROBE)
    result = pytester.runpytest_subprocess(
        "--streamstress",
        "--collect-only",
        "-q",
        "--skip-build",
        "--skip-deploy",
        f"--release-tests-dir={root}",
    )
    assert result.ret == 0
    assert len(collected(result)) == 2
    assert (pytester.path / "kubernetes-modules.txt").read_text() == ""
