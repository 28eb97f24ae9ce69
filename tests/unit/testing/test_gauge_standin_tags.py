"""The gauge stand-in's own tag expressions (reference gauge.md §3.1; G filter/specItemFilter.go)."""

from __future__ import annotations

import pytest

from pytest_streamstress.testing.standins.gauge_tags import TagExpressionError, parse_tag_expression


@pytest.mark.parametrize(
    ("expression", "tags", "selected"),
    [
        ("e2e", {"e2e", "sanity"}, True),
        ("e2e & !tls", {"e2e", "tls"}, False),
        ("e2e & !tls", {"e2e"}, True),
        ("e2e,tls", {"e2e"}, False),
        ("e2e && tls || sanity", {"sanity"}, True),
        ("sanity | tls & e2e", {"tls"}, False),
        ("(sanity | tls) & e2e", {"tls", "e2e"}, True),
        ("!(a & b) | c", {"a", "b"}, False),
        ("!!a", {"a"}, True),
        ("E2E", {"e2e"}, True),
        ("e2e", {"E2E"}, True),
        ("my tag", {"mytag"}, True),
        ("e2e tls", {"e2e", "tls"}, False),
        ("linux/amd64 | skip-4.14", {"skip-4.14"}, True),
        ("true", {"true"}, True),
    ],
    ids=[
        "word",
        "not-excludes",
        "not-keeps",
        "comma-is-and",
        "double-operators",
        "and-binds-tighter",
        "parentheses",
        "negated-group",
        "double-negation",
        "upper-case-expression",
        "upper-case-tag",
        "spaces-removed-from-tags",
        "spaces-removed-from-expression",
        "slash-dash-dot-are-word-characters",
        "bool-words-are-plain-tags",
    ],
)
def test_expression_selects_like_gauge(expression: str, tags: set[str], selected: bool) -> None:
    assert parse_tag_expression(expression).matches(tags) is selected


def test_scenario_inherits_spec_tags_in_matching() -> None:
    """Callers pass own and spec tags together; a spec tag alone is enough."""
    assert parse_tag_expression("pruner & e2e").matches(("e2e", "pruner"))


@pytest.mark.parametrize(
    "expression",
    ["a &", "(e2e", "e2e)", "", "!", "()", "a(b)", "&a"],
    ids=[
        "dangling-and",
        "open-group",
        "stray-close",
        "empty",
        "lone-not",
        "empty-group",
        "juxtaposed",
        "leading-and",
    ],
)
def test_malformed_expression_is_gauges_invalid_expression(expression: str) -> None:
    with pytest.raises(TagExpressionError) as caught:
        parse_tag_expression(expression)
    assert str(caught.value).startswith("Invalid Expression.\n")
