"""Every real release-tests spec, read by the gauge stand-in's own reader and by the plugin's parser.

The scenario counts below were written down by counting the `##` heading lines of each fixture file
with grep (no parser involved). Each test also asks the plugin's parser: the two readers share no
code (DESIGN.md), so a disagreement here is a finding about one of them, to be settled against
reference gauge.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_streamstress.gauge.parse import spec as product
from pytest_streamstress.testing.release_tests import needs_release_tests, release_tests_dir
from pytest_streamstress.testing.standins import gauge_concepts, gauge_reader
from pytest_streamstress.testing.standins.gauge_concepts import ConceptBook
from pytest_streamstress.testing.standins.gauge_spec import Spec
from pytest_streamstress.testing.standins.gauge_steps import DataFiles

REPO = Path(__file__).resolve().parents[3]
FIXTURES = release_tests_dir(REPO)

pytestmark = needs_release_tests(FIXTURES)

SCENARIOS = {
    "specs/chains/chains.spec": 2,
    "specs/hub/hub.spec": 1,
    "specs/icon.spec": 1,
    "specs/manualapprovalgate/manual-approval-gate.spec": 2,
    "specs/metrics/metrics.spec": 1,
    "specs/olm.spec": 3,
    "specs/pac/pac-github.spec": 1,
    "specs/pac/pac-gitlab.spec": 4,
    "specs/pac/pac.spec": 4,
    "specs/pipelines/bundles-resolver.spec": 2,
    "specs/pipelines/cluster-resolvers.spec": 2,
    "specs/pipelines/fail.spec": 2,
    "specs/pipelines/git-resolvers.spec": 2,
    "specs/pipelines/http-resolvers.spec": 1,
    "specs/pipelines/hub-resolvers.spec": 1,
    "specs/pipelines/run.spec": 6,
    "specs/results/results.spec": 2,
    "specs/triggers/cron.spec": 1,
    "specs/triggers/triggerbinding.spec": 3,
    "specs/triggers/tutorial.spec": 2,
    "specs/versions.spec": 2,
}


@pytest.fixture(scope="module")
def concepts() -> ConceptBook:
    return gauge_concepts.load_concepts(FIXTURES, files=DataFiles(FIXTURES))


@pytest.fixture(scope="module")
def product_concepts() -> product.ConceptIndex:
    return product.load_concepts(FIXTURES)


def read(relpath: str, concepts: ConceptBook) -> Spec:
    return gauge_reader.read_spec_file(FIXTURES / relpath, concepts=concepts, files=DataFiles(FIXTURES))


def test_the_fixture_set_is_the_one_counted_here() -> None:
    found = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("specs/**/*.spec"))
    assert found == sorted(SCENARIOS)


def test_the_three_concept_files_define_fourteen_concepts(concepts: ConceptBook) -> None:
    assert (len(gauge_concepts.concept_files(FIXTURES)), len(concepts)) == (3, 14)


@pytest.mark.parametrize(
    "relpath", sorted(SCENARIOS), ids=lambda p: p.removeprefix("specs/").removesuffix(".spec")
)
def test_both_readers_count_the_written_down_scenarios(
    relpath: str, concepts: ConceptBook, product_concepts: product.ConceptIndex
) -> None:
    ours = len(read(relpath, concepts).scenarios)
    theirs = len(product.parse_spec_file(FIXTURES / relpath, concepts=product_concepts).scenarios)
    assert (ours, theirs) == (SCENARIOS[relpath], SCENARIOS[relpath])


@pytest.mark.parametrize(
    "relpath", sorted(SCENARIOS), ids=lambda p: p.removeprefix("specs/").removesuffix(".spec")
)
def test_both_readers_agree_on_headings_lines_spans_tags_and_steps(
    relpath: str, concepts: ConceptBook, product_concepts: product.ConceptIndex
) -> None:
    ours = read(relpath, concepts)
    theirs = product.parse_spec_file(FIXTURES / relpath, concepts=product_concepts)
    assert [
        (s.heading, s.line, s.span_end, s.tags, [(t.text, t.line, t.value) for t in s.steps])
        for s in ours.scenarios
    ] == [
        (s.heading, s.line, s.span_end, s.tags, [(t.text, t.line, t.value) for t in s.steps])
        for s in theirs.scenarios
    ]


def test_fail_spec_has_its_context_step_and_the_create_steps_inline_table(concepts: ConceptBook) -> None:
    spec = read("specs/pipelines/fail.spec", concepts)
    create = spec.scenarios[0].steps[1]
    assert [(s.text, s.line) for s in spec.context_steps] == [("Validate Operator should be installed", 7)]
    assert (create.text, create.line, create.value) == ("Create", 21, "Create {}")
    assert create.table is not None
    assert (create.table.headers, create.table.rows) == (
        ("S.NO", "resource_dir"),
        (("1", "testdata/negative/v1beta1/pipelinerun.yaml"),),
    )


def test_icon_spec_tag_line_with_two_spaces_still_gives_three_tags(concepts: ConceptBook) -> None:
    assert read("specs/icon.spec", concepts).scenarios[0].tags == ("icon", "console", "manualonly")


def test_suite_has_45_scenarios_and_no_data_tables_or_teardowns(concepts: ConceptBook) -> None:
    specs = [read(relpath, concepts) for relpath in SCENARIOS]
    assert sum(len(s.scenarios) for s in specs) == 45
    assert all(s.data_table is None and not s.teardown_steps for s in specs)
