"""Gauge's tag-expression grammar and semantics (reference gauge.md §3.1; G filter/specItemFilter.go).

Gauge removes all spaces, rewrites `,` and `&&` to `&` and `||` to `|`, then evaluates the words as
booleans in a Go constant expression: `!` binds tightest, then `&`, then `|`; parentheses group.
Tags compare case-insensitively with spaces removed. Gauge evaluates by string substitution; we
parse once into a small tree (pure, no pytest) so a bad expression fails before collection, and
matching thousands of scenarios stays cheap.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

log = logging.getLogger(__name__)

_TOKEN: Final = re.compile(r"[&|!()]|[^&|!()]+")


def normalize_tag(tag: str) -> str:
    """The form gauge compares: spaces removed, lower-cased (allow_case_sensitive_tags=false)."""
    return tag.replace(" ", "").lower()


@dataclass(frozen=True, slots=True)
class _Word:
    name: str

    def evaluate(self, tags: frozenset[str]) -> bool:
        return self.name in tags


@dataclass(frozen=True, slots=True)
class _Not:
    operand: _Node

    def evaluate(self, tags: frozenset[str]) -> bool:
        return not self.operand.evaluate(tags)


@dataclass(frozen=True, slots=True)
class _Binary:
    op: str
    left: _Node
    right: _Node

    def evaluate(self, tags: frozenset[str]) -> bool:
        if self.op == "&":
            return self.left.evaluate(tags) and self.right.evaluate(tags)
        return self.left.evaluate(tags) or self.right.evaluate(tags)


_Node = _Word | _Not | _Binary


class TagExpression:
    """A parsed expression; `matches(tags)` takes a scenario's tags (own + inherited spec tags)."""

    def __init__(self, source: str, root: _Node) -> None:
        self.source = source
        self._root = root

    def matches(self, tags: Iterable[str]) -> bool:
        return self._root.evaluate(frozenset(normalize_tag(tag) for tag in tags))

    def __repr__(self) -> str:
        return f"TagExpression({self.source!r})"


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ValueError("expression ends where a tag or '(' was expected")
        self.pos += 1
        return token

    def parse_or(self) -> _Node:
        node = self.parse_and()
        while self.peek() == "|":
            self.pos += 1
            node = _Binary("|", node, self.parse_and())
        return node

    def parse_and(self) -> _Node:
        node = self.parse_unary()
        while self.peek() == "&":
            self.pos += 1
            node = _Binary("&", node, self.parse_unary())
        return node

    def parse_unary(self) -> _Node:
        token = self.take()
        if token == "!":
            return _Not(self.parse_unary())
        if token == "(":
            node = self.parse_or()
            if self.peek() != ")":
                raise ValueError("missing ')'")
            self.pos += 1
            return node
        if token in "&|)":
            raise ValueError(f"unexpected '{token}' where a tag was expected")
        return _Word(normalize_tag(token))


def parse_tag_expression(expr: str) -> TagExpression:
    """Parse with gauge's rewriting rules; raises ValueError("Invalid Expression. …") like gauge."""
    compact = expr.replace(" ", "").replace("\t", "").replace(",", "&").replace("&&", "&").replace("||", "|")
    if not compact:
        raise ValueError("Invalid Expression. the tag expression is empty")
    parser = _Parser(_TOKEN.findall(compact))
    try:
        root = parser.parse_or()
        if parser.peek() is not None:
            raise ValueError(f"unexpected '{parser.peek()}' after a complete expression")
    except ValueError as exc:
        raise ValueError(f"Invalid Expression. {exc} in {expr!r}") from None
    return TagExpression(expr, root)
