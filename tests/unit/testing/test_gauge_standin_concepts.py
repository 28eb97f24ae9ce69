"""The gauge stand-in's own concept reading (reference gauge.md §2.5; G parser/conceptParser.go).

Concept files in, concepts or gauge's problems out; expected values come from gauge's rules, never
from the plugin's parser.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_streamstress.testing.standins import gauge_concepts, gauge_reader
from pytest_streamstress.testing.standins.gauge_spec import SpecError

CPT = Path("/p/c.cpt")


def concept_problems(text: str) -> list[str]:
    _concepts, found = gauge_concepts.read_concepts(textwrap.dedent(text), path=CPT)
    return [str(problem).removeprefix(f"{CPT}:") for problem in found]


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


def test_concept_heading_parameters_become_its_value_and_params() -> None:
    (concept,), found = gauge_concepts.read_concepts("# Greet <name> twice\n* Say hi to <name>\n", path=CPT)
    assert (concept.heading, concept.line, concept.value, concept.params, found) == (
        "Greet <name> twice",
        1,
        "Greet {} twice",
        ("name",),
        [],
    )


def test_step_calling_a_concept_is_expanded_recursively(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "specs/greet.cpt": "# Greet everyone\n* Say hi\n* Say bye\n",
            "concepts/outer.cpt": "# Outer <who>\n* Greet everyone\n* Wave at <who>\n",
        },
    )
    book = gauge_concepts.load_concepts(tmp_path)
    spec = gauge_reader.read_spec('# S\n## A\n* Outer "Bob"\n', path=tmp_path / "s.spec", concepts=book)
    (outer,) = spec.scenarios[0].steps
    assert [(s.text, s.line, [i.text for i in s.concept_steps]) for s in outer.concept_steps] == [
        ("Greet everyone", 2, ["Say hi", "Say bye"]),
        ("Wave at <who>", 3, []),
    ]


def test_concept_with_an_inline_table_matches_a_step_with_a_table(tmp_path: Path) -> None:
    write(tmp_path, {"c.cpt": "# Create <table>\n* Apply <table>\n"})
    book = gauge_concepts.load_concepts(tmp_path)
    step = gauge_reader.read_spec("# S\n## A\n* Create\n|a|\n|1|\n", path=tmp_path / "s.spec", concepts=book)
    assert [s.text for s in step.scenarios[0].steps[0].concept_steps] == ["Apply <table>"]


def test_concept_files_skip_dot_directories_and_gauges_own_places(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.cpt": "# A\n* a\n",
            "specs/b.CPT": "# B\n* b\n",
            ".hidden/c.cpt": "# C\n* c\n",
            "env/d.cpt": "# D\n* d\n",
            "reports/e.cpt": "# E\n* e\n",
            "specs/reports/f.cpt": "# F\n* f\n",
            "out/g.cpt": "# G\n* g\n",
        },
    )
    found = gauge_concepts.concept_files(tmp_path, skip=[Path("out")])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a.cpt",
        "specs/b.CPT",
        "specs/reports/f.cpt",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Lonely concept\n", ["1 Concept should have at least one step => 'Lonely concept'"]),
        (
            '# Concept "static"\n* x\n',
            [
                "1 Concept heading can have only Dynamic Parameters => 'Concept \"static\"'",
                "2 Step is not defined inside a concept heading => 'x'",
            ],
        ),
        ("* x\n# C\n* y\n", ["1 Step is not defined inside a concept heading => 'x'"]),
        ("# C\n* y\n## S\n", ["3 Scenario Heading is not allowed in concept file => '## S'"]),
        ("# C\n|a|\n|1|\n* y\n", ["2 Table doesn't belong to any step => '|a|'"]),
        ("# C\n* use <other>\n", ["2 Dynamic parameter <other> could not be resolved => 'use <other>'"]),
    ],
    ids=[
        "no-steps",
        "static-heading",
        "step-outside",
        "scenario-heading",
        "table-without-step",
        "unknown-param",
    ],
)
def test_concept_file_problems_are_gauges_messages(text: str, expected: list[str]) -> None:
    assert concept_problems(text) == expected


def test_concept_heading_without_steps_swallows_the_next_heading_like_gauge() -> None:
    concepts, found = gauge_concepts.read_concepts("# A\n# B\n* x\n", path=CPT)
    assert ([(c.heading, [s.text for s in c.steps]) for c in concepts], [p.line for p in found]) == (
        [("A", ["x"])],
        [1],
    )


def test_duplicate_concept_names_both_places(tmp_path: Path) -> None:
    write(tmp_path, {"c.cpt": "# Same\n* x\n# Same\n* y\n"})
    with pytest.raises(SpecError) as caught:
        gauge_concepts.load_concepts(tmp_path)
    assert [(p.line, p.message, p.text) for p in caught.value.problems] == [
        (3, "Duplicate concept definition found", "Same"),
        (1, "Duplicate concept definition found", "Same"),
    ]


def test_circular_concepts_name_both_ends_once(tmp_path: Path) -> None:
    cpt = write(tmp_path, {"c.cpt": "# A1\n* B1\n# B1\n* A1\n"}) / "c.cpt"
    with pytest.raises(SpecError) as caught:
        gauge_concepts.load_concepts(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        f"{cpt}:4 Circular reference found in concept. \"B1\" => {cpt}:3 => 'A1'",
        f"{cpt}:3 Circular reference found in concept. \"A1\" => {cpt}:4 => 'B1'",
    ]


def test_concept_files_are_not_found_inside_a_linked_directory_but_a_linked_file_is(tmp_path: Path) -> None:
    """gauge walks with Go's filepath.Walk (getgauge/common common.go:156-171), which never follows a
    linked directory: the worker overlay must not hide concepts behind one."""
    checkout = write(tmp_path / "checkout", {"specs/concepts/c.cpt": "# C\n* c\n", "top.cpt": "# T\n* t\n"})
    root = tmp_path / "project"
    (root / "nested").mkdir(parents=True)
    (root / "specs").symlink_to(checkout / "specs", target_is_directory=True)
    (root / "nested" / "concepts").symlink_to(checkout / "specs" / "concepts", target_is_directory=True)
    (root / "nested" / "top.cpt").symlink_to(checkout / "top.cpt")
    found = gauge_concepts.concept_files(root)
    assert [p.relative_to(root).as_posix() for p in found] == ["nested/top.cpt"]


def test_a_linked_project_root_yields_no_concepts(tmp_path: Path) -> None:
    """Walk takes even its root with Lstat: a root that is a link is not entered."""
    write(tmp_path / "real", {"c.cpt": "# C\n* c\n"})
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    assert gauge_concepts.concept_files(tmp_path / "link") == []
