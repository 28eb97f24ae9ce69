"""CI ratchet: the shipped rules must not score worse on the shipped corpus than recorded (issue 12).

The recorded figures live in tests/data/triage/ratchet.toml. Raise them when the rules get
better; never lower them to make a change pass. The held-out check re-derives a "training
only" rule set mechanically (every pattern that matches no case outside the held-out third is
dropped) and scores it on the held-out third, so a rule written for a single held-out message
cannot inflate that figure.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra.toml import load_toml
from pytest_streamstress.triage import categorize
from pytest_streamstress.triage import evaluate as triage_eval

TRIAGE = Path(__file__).resolve().parents[2] / "data" / "triage"
CORPUS = TRIAGE / "corpus.toml"
RATCHET = TRIAGE / "ratchet.toml"
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def rules() -> categorize.Rules:
    return categorize.load_rules()


@pytest.fixture(scope="module")
def cases(rules: categorize.Rules) -> tuple[triage_eval.Case, ...]:
    return triage_eval.load_corpus(CORPUS, categories=rules.categories)


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    return load_toml(RATCHET)


def is_held_out(case: triage_eval.Case) -> bool:
    return int(case.id.lstrip("c")) % 3 == 0


def field_texts(case: triage_eval.Case, field: str) -> tuple[str, ...]:
    if field == "tags":
        return case.tags
    return (str(getattr(case, field)),)


def train_only(rules: categorize.Rules, train: list[triage_eval.Case]) -> categorize.Rules:
    """Drop every pattern (and then every rule) that no training case supports."""
    kept: list[categorize.Rule] = []
    for rule in rules.rules:
        changes: dict[str, tuple[object, ...]] = {}
        for field in categorize.FIELDS:
            patterns = rule.patterns(field)
            if not patterns:
                continue
            supported = tuple(
                p
                for p in patterns
                if any(p.search(text) for case in train for text in field_texts(case, field))
            )
            changes[field] = supported
        if all(changes.values()):
            kept.append(dataclasses.replace(rule, **changes))  # type: ignore[arg-type]  # field names are FIELDS
    return dataclasses.replace(rules, rules=tuple(kept))


def test_corpus_has_at_least_one_hundred_sourced_cases(cases: tuple[triage_eval.Case, ...]) -> None:
    unsourced = [
        case.id for case in cases if not (case.source and case.url.startswith("https://") and case.reason)
    ]
    assert len(cases) >= 100
    assert unsourced == []


def test_every_rule_names_corpus_cases_that_exist(
    rules: categorize.Rules, cases: tuple[triage_eval.Case, ...]
) -> None:
    known = {case.id for case in cases}
    dangling = {rule.name: [c for c in rule.cases if c not in known] for rule in rules.rules}
    assert {name: ids for name, ids in dangling.items() if ids} == {}
    assert [rule.name for rule in rules.rules if not rule.cases] == []


def test_shipped_rules_do_not_fall_below_recorded_accuracy(
    rules: categorize.Rules, cases: tuple[triage_eval.Case, ...], recorded: dict[str, Any]
) -> None:
    report = triage_eval.evaluate(rules, cases)
    floor = recorded["accuracy"]
    measured = {
        "overall": report.accuracy(),
        "plain": report.accuracy(hard=False),
        "hard": report.accuracy(hard=True),
    }
    below = {name: measured[name] for name in floor if (measured[name] or 0.0) + TOLERANCE < floor[name]}
    assert below == {}, f"accuracy fell below {RATCHET.name}: {below} (recorded {floor})"


def test_shipped_rules_do_not_fall_below_recorded_precision_and_recall(
    rules: categorize.Rules, cases: tuple[triage_eval.Case, ...], recorded: dict[str, Any]
) -> None:
    report = triage_eval.evaluate(rules, cases)
    below: dict[str, float] = {}
    for category in rules.categories:
        score = report.score(category)
        for measure in ("precision", "recall"):
            key = f"{category}.{measure}"
            floor = recorded[measure].get(category)
            value = getattr(score, measure)
            if floor is not None and (value or 0.0) + TOLERANCE < floor:
                below[key] = value
    assert below == {}


def test_training_only_rules_keep_their_recorded_accuracy_on_the_held_out_third(
    rules: categorize.Rules, cases: tuple[triage_eval.Case, ...], recorded: dict[str, Any]
) -> None:
    train = [case for case in cases if not is_held_out(case)]
    held = [case for case in cases if is_held_out(case)]
    report = triage_eval.evaluate(train_only(rules, train), held)
    floor = recorded["held_out"]
    measured = {"overall": report.accuracy(), "plain": report.accuracy(hard=False)}
    below = {name: measured[name] for name in floor if (measured[name] or 0.0) + TOLERANCE < floor[name]}
    assert below == {}, f"held-out accuracy fell: {below} (recorded {floor})"


def test_shipped_rules_meet_the_goals_issue_12_sets(
    rules: categorize.Rules, cases: tuple[triage_eval.Case, ...]
) -> None:
    """The absolute goals, beside the ratchet: a recorded floor below them would not catch a slide."""
    report = triage_eval.evaluate(rules, cases)
    regression = report.score("upstream-regression")
    assert (report.accuracy(hard=False) or 0.0) >= 0.9
    assert (regression.recall or 0.0) >= 0.9
    assert (regression.precision or 0.0) >= 0.8


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
