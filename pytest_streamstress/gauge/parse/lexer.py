"""Stage one of the Gauge spec parser (STYLE R14): lines in, tokens with line numbers out.

A port of gauge v1.6.x `parser/lex.go` + `processor.go` + `stepParser.go` (reference gauge.md §2.1,
§2.3): each line is trimmed and classified by the first matching rule; the lexer keeps gauge's small
state machine (comment -> setext underline, trailing-comma tag continuation, table header vs row,
blank lines swallowed after a step, and v1.6.28's `\"\"\"` multi-line string argument: a step line
whose very next line is exactly `\"\"\"` (trimmed) takes every line up to the next `\"\"\"` line, as
written and joined by newlines, as that argument; without a closing `\"\"\"` nothing is taken and the
lines are classified as usual, with no error). It knows nothing about specs, scenarios or concepts:
that is `spec.py`'s second stage. Pure: no I/O, no pytest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Final, Literal

log = logging.getLogger(__name__)

TokenKind = Literal[
    "comment", "spec", "scenario", "step", "tags", "table_header", "table_row", "data_table", "teardown"
]
ArgKind = Literal["static", "dynamic", "special"]

_COMMENT: Final = 1
_TABLE: Final = 2
_TAGS: Final = 4
_SPECIAL_PREFIXES: Final = frozenset({"file", "table"})
_SIGNIFICANT_FIRST: Final = frozenset("#=-*|_tT")
"""First characters of every line kind but free text (trimmed lines; `tags:`/`table:` start with t/T)."""


@dataclass(slots=True)
class Token:
    """One classified line (two for a setext heading: `line` is the text line, `span_end` the underline)."""

    kind: TokenKind
    line: int
    raw: str
    value: str
    span_end: int
    args: list[str] = field(default_factory=list)
    """Tag values, table cells, or the raw parameter texts of a step."""
    arg_kinds: list[ArgKind] = field(default_factory=list)
    """For a step: the kind of each entry of `args`."""
    step_value: str = ""
    """For a step: gauge's step value, every parameter replaced by `{}`."""
    multiline: str | None = None
    """For a step followed by a `\"\"\"` block: the block's lines between the quotes, joined by `\\n`."""
    unterminated_multiline: int = 0
    """For a step followed by a `\"\"\"` line that is never closed: that line's number (gauge ignores it)."""
    errors: list[str] = field(default_factory=list)


def _is_underline(text: str, char: str) -> bool:
    return text.count(char) == len(text)


def _is_table_row(text: str) -> bool:
    return len(text) > 1 and text[0] == "|" and text[-1] == "|"


def _tag_start(text: str) -> int:
    """Index after `tags:` / `tags :` when the line is a tag line, else -1 (lex.go checkTag)."""
    lower = text[:6].lower()
    if lower.startswith("tags:"):
        return 5
    if lower.startswith("tags :"):
        return 6
    return -1


def _data_table_value(text: str) -> str | None:
    """`table: path` lines (regex `^\\s*table\\s*:`, any case) -> `table: path`, else None."""
    head, colon, rest = text.partition(":")
    if not colon or head.strip().lower() != "table" or head[:1].isspace():
        return None
    return "table: " + rest.strip()


def split_table_cells(text: str) -> tuple[list[str], list[str]]:
    """Cells of a `|a|b|` row, `\\|` escaping a pipe; returns (cells, header errors if it were a header)."""
    # Without a backslash (the common case) every pipe separates cells: split fast.
    cells = _split_escaped(text) if "\\" in text else [cell.strip() for cell in text[1:-1].split("|")]
    errors: list[str] = []
    seen: set[str] = set()
    for cell in cells:
        if not cell:
            errors.append("Table header should not be blank")
        elif cell in seen:
            errors.append("Table header cannot have repeated column values")
        seen.add(cell)
    return cells, errors


def _split_escaped(text: str) -> list[str]:
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
    return cells


def is_separator_row(cells: list[str]) -> bool:
    """A `|---|---|` row: every non-empty cell is dashes only (and there is one)."""
    found = False
    for cell in cells:
        if cell:
            if cell.strip("-"):
                return False
            found = True
    return found


_ESCAPES: Final = {"n": "\n", "t": "\t"}
_STEP_SPECIALS: Final = '"<\\{}'


def parse_step_text(text: str) -> tuple[str, list[str], list[ArgKind]]:  # noqa: C901, PLR0912
    """Gauge's processStepText: (step value with `{}` placeholders, arg texts, arg kinds).

    Raises ValueError with gauge's message for reserved `{`/`}` and unterminated params.
    """
    if not any(char in text for char in _STEP_SPECIALS):
        return text.strip(), [], []
    value: list[str] = []
    arg: list[str] = []
    args: list[str] = []
    kinds: list[ArgKind] = []
    state = "default"  # default | quotes | dynamic | special
    escaping = False
    for char in text:
        if escaping:
            escaping = False
            if state == "default" and char not in "{}":
                value.append("\\" + char)
            else:
                (value if state == "default" else arg).append(_ESCAPES.get(char, char))
            continue
        if char == "\\":
            escaping = True
        elif char == "<" and state == "default":
            state = "dynamic"
        elif char == ">" and state in ("dynamic", "special"):
            kinds.append("special" if state == "special" else "dynamic")
            args.append("".join(arg))
            arg.clear()
            value.append("{}")
            state = "default"
        elif char == '"' and state == "default":
            state = "quotes"
        elif char == '"' and state == "quotes":
            kinds.append("static")
            args.append("".join(arg))
            arg.clear()
            value.append("{}")
            state = "default"
        elif state == "default":
            if char in "{}":
                raise ValueError(f"'{char}' is a reserved character and should be escaped")
            value.append(char)
        else:
            if char == ":" and state == "dynamic":
                state = "special"
            arg.append(char)
    if state == "quotes":
        raise ValueError("String not terminated")
    if state in ("dynamic", "special"):
        raise ValueError("Dynamic parameter not terminated")
    return "".join(value).strip(), args, kinds


def resolve_special(arg: str) -> tuple[ArgKind, list[str]]:
    """`file:x`/`table:x` stay special; an unknown prefix is treated as dynamic with gauge's warning."""
    prefix = arg.split(":", 1)[0].strip().lower()
    if prefix in _SPECIAL_PREFIXES:
        return "special", []
    return "dynamic", [f"Could not resolve special param type <{arg}>. Treating it as dynamic param."]


def _step_token(line_no: int, raw: str, text: str) -> Token:
    token = Token(kind="step", line=line_no, raw=raw, value=text, span_end=line_no)
    if not text:
        token.errors.append("Step should not be blank")
        token.step_value = text
        return token
    try:
        token.step_value, token.args, token.arg_kinds = parse_step_text(text)
    except ValueError as exc:
        token.errors.append(str(exc))
        token.step_value = text
    return token


_TRIPLE_QUOTE: Final = '"' * 3


def _take_multiline(token: Token, lines: list[str], following: int) -> int:
    """A triple-quote block right after a step line becomes its argument (v1.6.28 lex.go).

    `following` is the index of the line after the step; returns the index of the next line to
    classify: past the closing quotes when the block is closed, else `following` (nothing taken).
    """
    if following >= len(lines) or lines[following].strip() != _TRIPLE_QUOTE:
        return following
    for end in range(following + 1, len(lines)):
        if lines[end].strip() == _TRIPLE_QUOTE:
            token.multiline = "\n".join(lines[following + 1 : end])
            return end + 1
    token.unterminated_multiline = following + 1
    return following


def tokenize(text: str) -> list[Token]:  # noqa: C901, PLR0912, PLR0915
    """Classify every line (G parser/lex.go GenerateTokens); lexer errors ride on their tokens."""
    tokens: list[Token] = []
    state = 0
    last: Token | None = None
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        raw = lines[index]
        index += 1
        line_no = index
        trimmed = raw.strip()
        first = trimmed[:1]
        token: Token
        if not trimmed:
            if last is not None and last.kind == "step":
                continue  # swallowed: a table after blank lines still belongs to the step
            token = Token(kind="comment", line=line_no, raw=raw, value="", span_end=line_no)
        elif first not in _SIGNIFICANT_FIRST and not state & _TAGS:  # fast path: free text
            token = Token(kind="comment", line=line_no, raw=raw, value=raw.rstrip(), span_end=line_no)
        elif trimmed.startswith("##") and not trimmed.startswith("###"):
            token = Token(kind="scenario", line=line_no, raw=raw, value=trimmed[2:].strip(), span_end=line_no)
            if not token.value:
                token.errors.append("Scenario heading should have at least one character")
        elif trimmed[0] == "#" and not trimmed.startswith("##"):
            token = Token(kind="spec", line=line_no, raw=raw, value=trimmed[1:].strip(), span_end=line_no)
        elif first in "=-" and _is_underline(trimmed, first) and state & _COMMENT and tokens:
            token = tokens.pop()
            token.kind = "spec" if trimmed[0] == "=" else "scenario"
            token.value = token.raw.strip()
            token.span_end = line_no
            if token.kind == "scenario" and not token.value:
                token.errors.append("Scenario heading should have at least one character")
        elif first in "=-" and _is_underline(trimmed, first):
            token = Token(kind="comment", line=line_no, raw=raw, value=trimmed, span_end=line_no)
        elif first == "*" and not trimmed.startswith("**"):
            token = _step_token(line_no, raw, trimmed[1:].strip())
            index = _take_multiline(token, lines, index)
        elif (start := _tag_start(trimmed)) >= 0 or state & _TAGS:
            body = trimmed if state & _TAGS else trimmed[start:]
            token = Token(kind="tags", line=line_no, raw=raw, value=body.strip(), span_end=line_no)
            token.args = [tag.strip() for tag in body.split(",") if tag.strip()]
        elif _is_table_row(trimmed):
            kind: TokenKind = "table_row" if state & _TABLE else "table_header"
            token = Token(kind=kind, line=line_no, raw=raw, value=trimmed, span_end=line_no)
            token.args, header_errors = split_table_cells(trimmed)
            if kind == "table_header":
                token.errors.extend(header_errors)
        elif (table_value := _data_table_value(trimmed)) is not None:
            token = Token(kind="data_table", line=line_no, raw=raw, value=table_value, span_end=line_no)
            if table_value == "table: ":
                token.errors.append("Table location not specified")
        elif first == "_" and _is_underline(trimmed, "_"):
            token = Token(kind="teardown", line=line_no, raw=raw, value=trimmed, span_end=line_no)
            if len(trimmed) < 3:
                token.errors.append("Teardown should have at least three underscore characters")
        else:
            token = Token(kind="comment", line=line_no, raw=raw, value=raw.rstrip(), span_end=line_no)
        state = _next_state(state, token, trimmed)
        tokens.append(token)
        last = token
    return tokens


def _next_state(state: int, token: Token, trimmed: str) -> int:
    """The lexer state after `token` (processor.go: comment/step/scenario clear it, tables nest)."""
    if token.kind == "comment":
        return _COMMENT
    if token.kind in ("scenario",) or (token.kind == "step" and not token.errors):
        return 0
    if token.kind == "tags":
        return _TAGS if trimmed.endswith(",") else 0
    if token.kind in ("table_header", "table_row"):
        return state | _TABLE
    return state
