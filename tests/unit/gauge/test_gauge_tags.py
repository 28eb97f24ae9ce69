"""Gauge tag expressions: grammar, precedence and matching (reference gauge.md §3.1)."""

from __future__ import annotations

import pytest

from pytest_streamstress.gauge.parse.tags import parse_tag_expression

CASES = [
    ("e2e", ["e2e", "sanity"], True),
    ("!e2e", ["e2e"], False),
    ("e2e & !tls", ["e2e"], True),
    ("e2e & !tls", ["e2e", "tls"], False),
    ("e2e,sanity", ["e2e"], False),
    ("e2e,sanity", ["E2E", "Sanity"], True),
    ("e2e && sanity", ["e2e", "sanity"], True),
    ("a || b", ["b"], True),
    ("a | b & c", ["a"], True),
    ("a | b & c", ["b"], False),
    ("(a | b) & c", ["a"], False),
    ("(a | b) & c", ["b", "c"], True),
    ("!(a & b) | c", ["a", "b"], False),
    ("!(a & b) | c", ["a", "b", "c"], True),
    ("!!a", ["a"], True),
    ("linux/amd64 & skip-4.14", ["linux/amd64", "skip-4.14"], True),
    ("continued tag", ["continuedtag"], True),
    ("true", ["true"], True),
    ("true", [], False),
]


@pytest.mark.parametrize(("expr", "tags", "expected"), CASES, ids=[f"{c[0]}-{'+'.join(c[1])}" for c in CASES])
def test_expression_matches_like_gauge(expr: str, tags: list[str], expected: bool) -> None:
    assert parse_tag_expression(expr).matches(tags) is expected


def test_and_binds_tighter_than_or_on_both_sides() -> None:
    expression = parse_tag_expression("a & b | c & d")
    assert expression.matches(["c", "d"])
    assert not expression.matches(["b", "c"])


@pytest.mark.parametrize(
    "expr",
    ["", "   ", "a &", "& a", "a | & b", "(a", "a)", "()", "!", "a !b"],
    ids=[
        "empty",
        "spaces",
        "trailing-and",
        "leading-and",
        "or-and",
        "open-paren",
        "close-paren",
        "empty-parens",
        "bare-not",
        "not-after-word",
    ],
)
def test_malformed_expression_raises_invalid_expression(expr: str) -> None:
    with pytest.raises(ValueError, match=r"^Invalid Expression\."):
        parse_tag_expression(expr)
