"""Every real release-tests spec parses to the counts written down by reading the files (STYLE R33).

The numbers below were counted from the fixture files with grep/awk (lines starting `##`, `*`
before/after the first scenario, `|` rows right after a step), never by running this parser. The
fixture set is the 21-spec subset of the 34-spec suite that reference gauge.md §7 describes.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from pytest_streamstress.gauge.parse import spec
from pytest_streamstress.testing.release_tests import needs_release_tests, release_tests_dir

REPO = Path(__file__).parents[3]
FIXTURES = release_tests_dir(REPO)

pytestmark = needs_release_tests(FIXTURES)

# spec path: (scenarios, steps in scenarios, context steps, inline tables)
EXPECTED = {
    "specs/chains/chains.spec": (2, 13, 1, 2),
    "specs/hub/hub.spec": (1, 10, 0, 0),
    "specs/icon.spec": (1, 5, 0, 0),
    "specs/manualapprovalgate/manual-approval-gate.spec": (2, 10, 1, 2),
    "specs/metrics/metrics.spec": (1, 2, 1, 1),
    "specs/olm.spec": (3, 38, 0, 2),
    "specs/pac/pac-github.spec": (1, 10, 0, 0),
    "specs/pac/pac-gitlab.spec": (4, 48, 0, 0),
    "specs/pac/pac.spec": (4, 35, 0, 0),
    "specs/pipelines/bundles-resolver.spec": (2, 4, 1, 4),
    "specs/pipelines/cluster-resolvers.spec": (2, 8, 4, 6),
    "specs/pipelines/fail.spec": (2, 6, 1, 4),
    "specs/pipelines/git-resolvers.spec": (2, 5, 1, 4),
    "specs/pipelines/http-resolvers.spec": (1, 2, 1, 2),
    "specs/pipelines/hub-resolvers.spec": (1, 2, 1, 2),
    "specs/pipelines/run.spec": (6, 13, 1, 12),
    "specs/results/results.spec": (2, 12, 1, 4),
    "specs/triggers/cron.spec": (1, 8, 1, 1),
    "specs/triggers/triggerbinding.spec": (3, 18, 1, 6),
    "specs/triggers/tutorial.spec": (2, 19, 1, 3),
    "specs/versions.spec": (2, 14, 0, 0),
}


@pytest.fixture(scope="module")
def concepts() -> spec.ConceptIndex:
    return spec.load_concepts(FIXTURES)


def parsed(relpath: str, concepts: spec.ConceptIndex) -> spec.Spec:
    return spec.parse_spec_file(FIXTURES / relpath, concepts=concepts)


def test_the_fixture_set_is_the_one_counted_here() -> None:
    found = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("specs/**/*.spec"))
    assert found == sorted(EXPECTED)


def test_the_three_concept_files_define_fourteen_concepts(concepts: spec.ConceptIndex) -> None:
    assert len(concepts) == 14
    assert len(spec.concept_files(FIXTURES)) == 3


@pytest.mark.parametrize(
    "relpath", sorted(EXPECTED), ids=lambda p: p.removeprefix("specs/").removesuffix(".spec")
)
def test_fixture_spec_has_the_counted_scenarios_steps_context_steps_and_tables(
    relpath: str, concepts: spec.ConceptIndex
) -> None:
    result = parsed(relpath, concepts)
    steps = [step for scenario in result.scenarios for step in scenario.steps]
    tables = [s for s in (*result.context_steps, *steps) if s.table is not None]
    assert (len(result.scenarios), len(steps), len(result.context_steps), len(tables)) == EXPECTED[relpath]


def test_fixture_suite_has_45_scenarios_and_no_data_tables_or_teardowns(concepts: spec.ConceptIndex) -> None:
    specs = [parsed(relpath, concepts) for relpath in EXPECTED]
    assert sum(len(s.scenarios) for s in specs) == 45
    assert all(s.data_table is None and not s.teardown_steps and not s.tags for s in specs)
    assert all(sc.data_table is None for s in specs for sc in s.scenarios)


def test_run_spec_headings_lines_and_tags_are_as_written(concepts: spec.ConceptIndex) -> None:
    result = parsed("specs/pipelines/run.spec", concepts)
    assert [(s.heading, s.line) for s in result.scenarios][:2] == [
        ("Run sample pipeline: PIPELINES-03-TC01", 7),
        ("Pipelinerun Timeout failure Test: PIPELINES-03-TC04", 31),
    ]
    assert result.scenarios[0].tags == ("e2e", "pipelines", "non-admin")
    assert result.scenarios[5].tags == ("e2e", "integration", "pipelines", "non-admin", "results", "sanity")


def test_icon_spec_tag_line_with_two_spaces_still_splits_into_three_tags(concepts: spec.ConceptIndex) -> None:
    assert parsed("specs/icon.spec", concepts).scenarios[0].tags == ("icon", "console", "manualonly")


def test_fail_spec_context_step_and_inline_tables(concepts: spec.ConceptIndex) -> None:
    result = parsed("specs/pipelines/fail.spec", concepts)
    assert [(s.text, s.line) for s in result.context_steps] == [("Validate Operator should be installed", 7)]
    create = result.scenarios[0].steps[1]
    assert (create.text, create.line, create.value) == ("Create", 21, "Create {}")
    assert create.table is not None
    assert create.table.headers == ("S.NO", "resource_dir")
    assert create.table.rows == (("1", "testdata/negative/v1beta1/pipelinerun.yaml"),)


def test_tutorial_spec_keeps_the_skip_tag_with_a_dot(concepts: spec.ConceptIndex) -> None:
    assert "skip-4.14" in parsed("specs/triggers/tutorial.spec", concepts).scenarios[1].tags


def test_scenario_spans_cover_the_file_without_gaps(concepts: spec.ConceptIndex) -> None:
    result = parsed("specs/pipelines/run.spec", concepts)
    spans = [(s.line, s.span_end) for s in result.scenarios]
    assert all(end + 1 == start for (_, end), (start, _) in itertools.pairwise(spans))
