"""Stage one of the Gauge spec parser (STYLE R14): lines in, tokens with line numbers out.

Shaped like gauge v1.6.x `parser/lex.go` + `processor.go` (reference gauge.md §2.1), in our own
code. Each line is trimmed and tried against `_RULES`, gauge's ordered list of line
kinds (scenario heading, spec heading, setext underlines, step, tags, table row, `table:` line,
teardown); the first rule that takes the line makes its token, and anything no rule takes is free
text (a comment). Every rule keys on the trimmed line's first character, so the rules are indexed by
it and a line only meets the rules it can match. After each token, that kind's entry of `_PROCESSORS`
moves gauge's small state: comment -> setext underline, trailing-comma tag continuation (a state that
lets the tags rule take any line), table header vs row. Blank lines right after a step are swallowed,
so a table after blank lines still belongs to the step, and v1.6.28's `\"\"\"` multi-line string
argument is taken by the step rule: a step line whose very next line is exactly `\"\"\"` (trimmed)
takes every line up to the next `\"\"\"` line, as written and joined by newlines, as that argument;
without a closing `\"\"\"` nothing is taken and the lines are classified as usual, with no error.

A step's text is taken apart by `step_text.py` (stepParser.go). The lexer knows nothing about specs,
scenarios or concepts: that is `convert.py`'s and `spec.py`'s second stage. Pure: no I/O, no pytest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Final, Literal, NamedTuple

from pytest_streamstress.gauge.parse.step_text import ArgKind, parse_step_text

log = logging.getLogger(__name__)

TokenKind = Literal[
    "comment", "spec", "scenario", "step", "tags", "table_header", "table_row", "data_table", "teardown"
]

_COMMENT: Final = 1
_TABLE: Final = 2
_TAGS: Final = 4
_TRIPLE_QUOTE: Final = '"' * 3


class Token(NamedTuple):
    """One classified line (two for a setext heading: `line` is the text line, `span_end` the underline).

    Immutable as STYLE R10 asks, but a NamedTuple, like the JUnit reader's `CaseResult`: every line of
    every spec becomes one, and a frozen dataclass's `__init__` costs several times a NamedTuple's
    (bench/collect.py).
    """

    kind: TokenKind
    line: int
    raw: str
    value: str
    span_end: int
    args: tuple[str, ...] = ()
    """Tag values, table cells, or the raw parameter texts of a step."""
    arg_kinds: tuple[ArgKind, ...] = ()
    """For a step: the kind of each entry of `args`."""
    step_value: str = ""
    """For a step: gauge's step value, every parameter replaced by `{}`."""
    multiline: str | None = None
    """For a step followed by a `\"\"\"` block: the block's lines between the quotes, joined by `\\n`."""
    unterminated_multiline: int = 0
    """For a step followed by a `\"\"\"` line that is never closed: that line's number (gauge ignores it)."""
    errors: tuple[str, ...] = ()


# --- table cells (processor.go processTable) ---------------------------------------------------------


def split_table_cells(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Cells of a `|a|b|` row, `\\|` escaping a pipe; returns (cells, header errors if it were a header)."""
    # Without a backslash (the common case) every pipe separates cells: split fast.
    cells = _split_escaped(text) if "\\" in text else tuple(cell.strip() for cell in text[1:-1].split("|"))
    errors: list[str] = []
    seen: set[str] = set()
    for cell in cells:
        if not cell:
            errors.append("Table header should not be blank")
        elif cell in seen:
            errors.append("Table header cannot have repeated column values")
        seen.add(cell)
    return cells, tuple(errors)


def _split_escaped(text: str) -> tuple[str, ...]:
    """processor.go processTable: a backslash keeps the next character, even a pipe."""
    cells: list[str] = []
    buffer: list[str] = []
    escaped = False
    for char in text[1:]:
        if escaped:
            buffer.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            cells.append("".join(buffer).strip())
            buffer.clear()
        else:
            buffer.append(char)
    return tuple(cells)


def is_separator_row(cells: Sequence[str]) -> bool:
    """A `|---|---|` row: every non-empty cell is dashes only (and there is one)."""
    found = False
    for cell in cells:
        if cell:
            if cell.strip("-"):
                return False
            found = True
    return found


# --- line rules (lex.go GenerateTokens, in gauge's order) -------------------------------------------


class _Line(NamedTuple):
    number: int
    raw: str
    trimmed: str


def _token(
    kind: TokenKind, line: _Line, value: str, *, args: tuple[str, ...] = (), errors: tuple[str, ...] = ()
) -> Token:
    return Token(kind, line.number, line.raw, value, line.number, args=args, errors=errors)


def _comment(line: _Line) -> Token:
    return _token("comment", line, line.raw.rstrip())


_NO_SCENARIO_TEXT: Final = ("Scenario heading should have at least one character",)


def _scenario_heading(line: _Line, lexer: _Lexer) -> Token | None:
    if not line.trimmed.startswith("##") or line.trimmed.startswith("###"):
        return None
    value = line.trimmed[2:].strip()
    return _token("scenario", line, value, errors=() if value else _NO_SCENARIO_TEXT)


def _spec_heading(line: _Line, lexer: _Lexer) -> Token | None:
    if line.trimmed.startswith("##"):
        return None  # `###…`: free text
    return _token("spec", line, line.trimmed[1:].strip())


def _underline(line: _Line, lexer: _Lexer) -> Token | None:
    """A line of `=` (`-`) right after free text makes the token above it a spec (scenario) heading."""
    trimmed = line.trimmed
    if trimmed.count(trimmed[0]) != len(trimmed):
        return None
    if not lexer.state & _COMMENT or not lexer.tokens:
        return _token("comment", line, trimmed)
    text = lexer.tokens.pop()
    kind: TokenKind = "spec" if trimmed[0] == "=" else "scenario"
    value = text.raw.strip()
    errors = text.errors + (_NO_SCENARIO_TEXT if kind == "scenario" and not value else ())
    return text._replace(kind=kind, value=value, span_end=line.number, errors=errors)


def _step(line: _Line, lexer: _Lexer) -> Token | None:
    if line.trimmed.startswith("**"):
        return None
    text = line.trimmed[1:].strip()
    if not text:
        return _step_token(line, text, (text, (), ()), ("Step should not be blank",), lexer)
    try:
        parsed = parse_step_text(text)
    except ValueError as exc:
        return _step_token(line, text, (text, (), ()), (str(exc),), lexer)
    return _step_token(line, text, parsed, (), lexer)


def _step_token(
    line: _Line,
    text: str,
    parsed: tuple[str, tuple[str, ...], tuple[ArgKind, ...]],
    errors: tuple[str, ...],
    lexer: _Lexer,
) -> Token:
    step_value, args, kinds = parsed
    multiline, unterminated = lexer.take_multiline()
    return Token(
        kind="step",
        line=line.number,
        raw=line.raw,
        value=text,
        span_end=line.number,
        args=args,
        arg_kinds=kinds,
        step_value=step_value,
        multiline=multiline,
        unterminated_multiline=unterminated,
        errors=errors,
    )


def _tags_from(line: _Line, body: str) -> Token:
    return _token(
        "tags", line, body.strip(), args=tuple(tag.strip() for tag in body.split(",") if tag.strip())
    )


def _tags(line: _Line, lexer: _Lexer) -> Token | None:
    """`tags:` / `tags :` in any case (lex.go checkTag)."""
    lower = line.trimmed[:6].lower()
    if lower.startswith("tags:"):
        return _tags_from(line, line.trimmed[5:])
    if lower.startswith("tags :"):
        return _tags_from(line, line.trimmed[6:])
    return None


def _continued_tags(line: _Line, lexer: _Lexer) -> Token | None:
    """After a tag line ending with `,` the next line is more tags, whatever it looks like."""
    return _tags_from(line, line.trimmed)


def _table_row(line: _Line, lexer: _Lexer) -> Token | None:
    trimmed = line.trimmed
    if len(trimmed) < 2 or trimmed[-1] != "|":
        return None
    cells, header_errors = split_table_cells(trimmed)
    if lexer.state & _TABLE:
        return _token("table_row", line, trimmed, args=cells)
    return _token("table_header", line, trimmed, args=cells, errors=header_errors)


def _data_table(line: _Line, lexer: _Lexer) -> Token | None:
    """`table: path` lines (regex `^\\s*table\\s*:`, any case) -> `table: path`."""
    head, colon, rest = line.trimmed.partition(":")
    if not colon or head.strip().lower() != "table" or head[:1].isspace():
        return None
    value = "table: " + rest.strip()
    return _token(
        "data_table", line, value, errors=("Table location not specified",) if value == "table: " else ()
    )


def _teardown(line: _Line, lexer: _Lexer) -> Token | None:
    trimmed = line.trimmed
    if trimmed.count("_") != len(trimmed):
        return None
    short = ("Teardown should have at least three underscore characters",) if len(trimmed) < 3 else ()
    return _token("teardown", line, trimmed, errors=short)


_Rule = Callable[[_Line, "_Lexer"], "Token | None"]
"""Make the token of a line this rule takes, else None (the next rule is tried)."""

_RULES: Final[tuple[tuple[str, _Rule], ...]] = (
    ("#", _scenario_heading),
    ("#", _spec_heading),
    ("=", _underline),
    ("-", _underline),
    ("*", _step),
    ("tT", _tags),
    ("|", _table_row),
    ("tT", _data_table),
    ("_", _teardown),
)
"""Gauge's line kinds in its order, each with the first characters (of the trimmed line) it can take."""


def _index_rules(*, continuing_tags: bool) -> tuple[dict[str, tuple[_Rule, ...]], tuple[_Rule, ...]]:
    """Rules by first character, and the rules for any other character (none, or the tag continuation)."""
    rules = [
        ("", _continued_tags) if continuing_tags and rule is _tags else (chars, rule)
        for chars, rule in _RULES
    ]
    firsts = {char for chars, _ in rules for char in chars}
    by_first = {char: tuple(rule for chars, rule in rules if not chars or char in chars) for char in firsts}
    return by_first, tuple(rule for chars, rule in rules if not chars)


_RULE_INDEX: Final = (_index_rules(continuing_tags=False), _index_rules(continuing_tags=True))
"""Indexed by whether a tag line ending with `,` came last."""


# --- the state after each token (processor.go: one processor per token kind) ------------------------


def _keep(state: int, token: Token) -> int:
    return state


def _clear(state: int, token: Token) -> int:
    return 0


def _after_comment(state: int, token: Token) -> int:
    return _COMMENT  # free text (a blank line too) may be a setext heading's text


def _after_step(state: int, token: Token) -> int:
    return state if token.errors else 0  # processStep clears the state only for a valid step


def _after_tags(state: int, token: Token) -> int:
    return _TAGS if token.value.endswith(",") else 0


def _in_table(state: int, token: Token) -> int:
    return state | _TABLE


_PROCESSORS: Final[Mapping[TokenKind, Callable[[int, Token], int]]] = {
    "comment": _after_comment,
    "scenario": _clear,
    "step": _after_step,
    "tags": _after_tags,
    "table_header": _in_table,
    "table_row": _in_table,
    "spec": _keep,
    "data_table": _keep,
    "teardown": _keep,
}


class _Lexer:
    __slots__ = ("index", "lines", "state", "tokens")

    """gauge's SpecParser while it makes tokens: the lines, where it is, its state and the tokens so far."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.index = 0
        """The index of the next line to classify."""
        self.state = 0
        self.tokens: list[Token] = []

    def run(self) -> list[Token]:
        while self.index < len(self.lines):
            raw = self.lines[self.index]
            self.index += 1
            token = self._classify(_Line(self.index, raw, raw.strip()))
            if token is not None:
                self.state = _PROCESSORS[token.kind](self.state, token)
                self.tokens.append(token)
        return self.tokens

    def _classify(self, line: _Line) -> Token | None:
        if not line.trimmed:
            if self.tokens and self.tokens[-1].kind == "step":
                return None  # swallowed: a table after blank lines still belongs to the step
            return _token("comment", line, "")
        by_first, otherwise = _RULE_INDEX[self.state & _TAGS != 0]
        for rule in by_first.get(line.trimmed[0], otherwise):
            token = rule(line, self)
            if token is not None:
                return token
        return _comment(line)

    def take_multiline(self) -> tuple[str | None, int]:
        """A triple-quote block right after a step line becomes its argument (v1.6.28 lex.go).

        Returns (the block's text, 0) past its closing line, or (None, the opening line's number) when
        the block is never closed (nothing is taken), or (None, 0) when no block follows.
        """
        following = self.index
        if following >= len(self.lines) or self.lines[following].strip() != _TRIPLE_QUOTE:
            return None, 0
        for end in range(following + 1, len(self.lines)):
            if self.lines[end].strip() == _TRIPLE_QUOTE:
                self.index = end + 1
                return "\n".join(self.lines[following + 1 : end]), 0
        return None, following + 1


def tokenize(text: str) -> list[Token]:
    """Classify every line (G parser/lex.go GenerateTokens); lexer errors ride on their tokens."""
    return _Lexer(text).run()
