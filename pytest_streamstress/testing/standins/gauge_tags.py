"""The gauge stand-in's own tag expressions: `--tags` and `--retry-only` (reference gauge.md §3.1).

Gauge (G filter/specItemFilter.go) removes every space, rewrites `,` and `&&` to `&` and `||` to `|`,
splits the rest on `& | ! ( )`, replaces each word by whether the scenario has that tag (its own
and its spec's, compared lower-cased with spaces removed) and evaluates the result as a Go integer
expression: `!` binds tightest, then `&`, then `|`; parentheses group. A malformed expression is
fatal: `Invalid Expression.` and the reason. This module reads the expression once into a small tree
with the same precedence. It shares nothing with the plugin's tag code on purpose: the stand-in
must be able to disagree with the product (DESIGN.md, "testing/ has its own spec reading").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

log = logging.getLogger(__name__)

OPERATORS: Final = frozenset("&|!()")
_PIECES: Final = re.compile(r"[&|!()]|[^&|!()]+")

Test = Callable[[frozenset[str]], bool]
"""A compiled (sub)expression: the scenario's normalised tags in, selected or not out."""


class TagExpressionError(ValueError):
    """A malformed expression; `str()` is gauge's text: `Invalid Expression.` + newline + reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid Expression.\n{reason}")
        self.reason = reason


def normalise_tag(tag: str) -> str:
    """How gauge compares a tag: spaces removed, lower-cased (`allow_case_sensitive_tags=false`)."""
    return tag.replace(" ", "").lower()


def compact(expression: str) -> str:
    """Gauge's rewriting before it splits the expression (spaces go first: `e2e tls` is one word)."""
    text = expression.replace(" ", "").replace(",", "&")
    return text.replace("&&", "&").replace("||", "|")


@dataclass(frozen=True, slots=True)
class TagExpression:
    """A parsed expression; `matches` takes every tag of a scenario (its own and its spec's)."""

    source: str
    test: Test

    def matches(self, tags: Iterable[str]) -> bool:
        return self.test(frozenset(normalise_tag(tag) for tag in tags))


class _Reader:
    """Recursive descent over the pieces: either := both ('|' both)*; both := one ('&' one)*."""

    def __init__(self, pieces: list[str]) -> None:
        self.pieces = pieces
        self.at = 0

    def peek(self) -> str | None:
        return self.pieces[self.at] if self.at < len(self.pieces) else None

    def either(self) -> Test:
        tests = [self.both()]
        while self.peek() == "|":
            self.at += 1
            tests.append(self.both())
        if len(tests) == 1:
            return tests[0]
        return lambda tags: any(test(tags) for test in tests)

    def both(self) -> Test:
        tests = [self.one()]
        while self.peek() == "&":
            self.at += 1
            tests.append(self.one())
        if len(tests) == 1:
            return tests[0]
        return lambda tags: all(test(tags) for test in tests)

    def one(self) -> Test:
        piece = self.peek()
        if piece is None:
            raise TagExpressionError("the expression ends where a tag, '!' or '(' should follow")
        self.at += 1
        if piece == "!":
            inner = self.one()
            return lambda tags: not inner(tags)
        if piece == "(":
            inner = self.either()
            if self.peek() != ")":
                raise TagExpressionError("a '(' is never closed")
            self.at += 1
            return inner
        if piece in OPERATORS:
            raise TagExpressionError(f"'{piece}' stands where a tag, '!' or '(' should")
        word = piece.strip().lower()
        return lambda tags: word in tags


def parse_tag_expression(expression: str) -> TagExpression:
    """Read `expression` with gauge's rules; a malformed one raises `TagExpressionError`."""
    pieces = _PIECES.findall(compact(expression))
    if not pieces:
        raise TagExpressionError("the tag expression is empty")
    reader = _Reader(pieces)
    test = reader.either()
    rest = reader.peek()
    if rest is not None:
        raise TagExpressionError(f"'{rest}' follows a complete expression")
    return TagExpression(expression, test)
