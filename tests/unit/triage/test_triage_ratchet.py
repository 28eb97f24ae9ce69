"""CI ratchet: the shipped rules must not score worse on either corpus file than recorded (issues 12, 18).

The recorded figures live in tests/data/triage/ratchet.toml, one table per part. Raise them when the
rules get better; never lower them to make a change pass. The held-back file is only ever scored
through `evaluate.score_blind`, which returns counts: no test here can print one of its cases, even
when it fails (assertions compare plain numbers and dicts of figures, never a Report or a Case).
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any, Final

import pytest

from pytest_streamstress._infra.toml import load_toml
from pytest_streamstress.triage import categorize
from pytest_streamstress.triage import evaluate as triage_eval

TRIAGE: Final = Path(__file__).resolve().parents[2] / "data" / "triage"
CORPUS: Final = TRIAGE / "corpus.toml"
HELDOUT: Final = TRIAGE / "corpus-heldout.toml"
RATCHET: Final = TRIAGE / "ratchet.toml"
TOLERANCE: Final = 1e-9
REGRESSION: Final = "upstream-regression"


@pytest.fixture(scope="module")
def rules() -> categorize.Rules:
    return categorize.load_rules()


@pytest.fixture(scope="module")
def cases(rules: categorize.Rules) -> tuple[triage_eval.Case, ...]:
    return triage_eval.load_corpus(CORPUS, categories=rules.categories)


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    return load_toml(RATCHET)


@pytest.fixture(scope="module")
def training(rules: categorize.Rules, cases: tuple[triage_eval.Case, ...]) -> triage_eval.Figures:
    return triage_eval.evaluate(rules, cases).figures


@pytest.fixture(scope="module")
def heldout(rules: categorize.Rules) -> triage_eval.Figures:
    return triage_eval.score_blind(rules, HELDOUT)


def accuracy_below(figures: triage_eval.Figures, floor: dict[str, float]) -> dict[str, float | None]:
    measured = {
        "overall": figures.accuracy(),
        "plain": figures.accuracy(hard=False),
        "hard": figures.accuracy(hard=True),
    }
    return {name: measured[name] for name in floor if (measured[name] or 0.0) + TOLERANCE < floor[name]}


def scores_below(figures: triage_eval.Figures, recorded: dict[str, Any]) -> dict[str, float | None]:
    below: dict[str, float | None] = {}
    for category in figures.categories:
        score = figures.score(category)
        for measure in ("precision", "recall"):
            floor = recorded[measure].get(category)
            value = getattr(score, measure)
            if floor is not None and (value or 0.0) + TOLERANCE < floor:
                below[f"{category}.{measure}"] = value
    return below


def test_training_corpus_has_at_least_one_hundred_sourced_cases(cases: tuple[triage_eval.Case, ...]) -> None:
    unsourced = [
        case.id for case in cases if not (case.source and case.url.startswith("https://") and case.reason)
    ]
    assert len(cases) >= 100
    assert unsourced == []


def test_the_held_back_file_loads_and_has_at_least_sixty_cases(heldout: triage_eval.Figures) -> None:
    assert heldout.total >= 60


def test_no_thread_is_in_both_files(cases: tuple[triage_eval.Case, ...]) -> None:
    """Counted, never listed: a failure must not print a held-back source."""
    held_sources = {str(case.get("source", "")) for case in load_toml(HELDOUT)["case"]}
    overlap = sum(case.source in held_sources for case in cases)
    assert overlap == 0


def test_training_cases_added_after_the_split_are_on_the_training_side_of_it(
    cases: tuple[triage_eval.Case, ...],
) -> None:
    """SOURCES.md: a thread is held back when sha1(source) starts with 0-a; later training cases keep that."""
    late = [case for case in cases if int(case.id.lstrip("c")) > 107]
    held_side = [
        case.id for case in late if hashlib.sha1(case.source.encode()).hexdigest()[0] in "0123456789a"
    ]
    assert held_side == []


def test_every_rule_names_training_cases_that_exist(
    rules: categorize.Rules, cases: tuple[triage_eval.Case, ...]
) -> None:
    known = {case.id for case in cases}
    dangling = {rule.name: [c for c in rule.cases if c not in known] for rule in rules.rules}
    assert {name: ids for name, ids in dangling.items() if ids} == {}
    assert [rule.name for rule in rules.rules if not rule.cases] == []


def test_every_rule_says_which_evidence_class_it_stands_on(rules: categorize.Rules) -> None:
    assert [rule.name for rule in rules.rules if "Evidence class" not in rule.comment] == []


@pytest.mark.parametrize("part", ["training", "heldout"])
def test_shipped_rules_do_not_fall_below_recorded_accuracy(
    part: str, request: pytest.FixtureRequest, recorded: dict[str, Any]
) -> None:
    figures: triage_eval.Figures = request.getfixturevalue(part)
    floor = recorded[part]["accuracy"]
    below = accuracy_below(figures, floor)
    assert below == {}, f"{part} accuracy fell below {RATCHET.name}: {below} (recorded {floor})"


@pytest.mark.parametrize("part", ["training", "heldout"])
def test_shipped_rules_do_not_fall_below_recorded_precision_and_recall(
    part: str, request: pytest.FixtureRequest, recorded: dict[str, Any]
) -> None:
    figures: triage_eval.Figures = request.getfixturevalue(part)
    below = scores_below(figures, recorded[part])
    assert below == {}, f"{part} per-category figures fell below {RATCHET.name}: {below}"


@pytest.mark.xfail(
    strict=True,
    reason=(
        "issue 18's goals are not met on the held-back part (round 6, 42 rules, 120 cases): plain "
        "84.3% (70/83, goal 90%), upstream-regression precision 0.66 (31/47, goal 0.8), recall 0.70 "
        "(31/44, goal 0.9); see docs/triage.md"
    ),
)
def test_shipped_rules_meet_the_goals_issue_18_sets_on_the_held_back_part(
    heldout: triage_eval.Figures,
) -> None:
    """The absolute goals, measured where they mean something: on failures no rule was written from."""
    regression = heldout.score(REGRESSION)
    measured = {
        "plain": heldout.accuracy(hard=False) or 0.0,
        "regression.precision": regression.precision or 0.0,
        "regression.recall": regression.recall or 0.0,
    }
    goals = {"plain": 0.9, "regression.precision": 0.8, "regression.recall": 0.9}
    assert {name: value for name, value in measured.items() if value + TOLERANCE < goals[name]} == {}


def test_an_api_version_rule_needs_the_discovery_facts_a_case_carries(
    rules: categorize.Rules, cases: tuple[triage_eval.Case, ...]
) -> None:
    """c066 and c067 are one message; only what the cluster serves tells them apart."""
    by_id = {case.id: case for case in cases}
    assert by_id["c066"].message.split(": ", 1)[1] == by_id["c067"].message.split(": ", 1)[1].replace(
        "deploy/k8s/HelloKnative.yaml", "/workspace/git-source/knative/picalc.yaml"
    )
    withdrawn = triage_eval.evaluate(rules, [by_id["c067"]]).outcomes[0].got
    absent = triage_eval.evaluate(rules, [by_id["c066"]]).outcomes[0].got
    unknown = (
        triage_eval.evaluate(rules, [dataclasses.replace(by_id["c067"], served_apis=None)]).outcomes[0].got
    )
    assert (withdrawn.category, withdrawn.rule) == ("upstream-regression", "api-version-withdrawn")
    assert "cluster serves Service at serving.knative.dev/v1" in withdrawn.evidence
    assert (absent.category, absent.rule) == ("missing-component", "crd-not-installed")
    assert (unknown.category, unknown.rule) == ("missing-component", "crd-not-installed")


def test_an_absent_component_fact_decides_before_the_message(
    rules: categorize.Rules, cases: tuple[triage_eval.Case, ...]
) -> None:
    """c111 names tekton.dev and the source shows Tekton Pipelines not installed."""
    case = next(case for case in cases if case.id == "c111")
    with_fact = triage_eval.evaluate(rules, [case]).outcomes[0].got
    without = triage_eval.evaluate(rules, [dataclasses.replace(case, installed=())]).outcomes[0].got
    assert (with_fact.rule, with_fact.field) == ("component-not-installed", "installed")
    assert "tekton-pipelines is not installed" in with_fact.evidence
    assert (without.category, without.rule) == ("missing-component", "crd-not-installed")
