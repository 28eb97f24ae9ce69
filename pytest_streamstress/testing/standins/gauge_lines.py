"""Stage one of the gauge stand-in's spec reading: lines in, classified tokens with line numbers out.

Follows gauge v1.6.28's lexer (G parser/lex.go, processor.go, stepParser.go; reference gauge.md §2.1,
§2.3): every line is trimmed and tested in gauge's order (blank, `##`, `#`, `===`, `---`, `*`, `Tags:`,
`|row|`, `table:`, `___`, anything else is a comment); blank lines right after a step belong to it;
a `\"\"\"` line right after a step line opens a multi-line argument that ends at the next `\"\"\"` line
(never closed: ignored); `Tags:` lines ending in `,` continue on the next line; the first table row
after anything else is a header. Problems the lexer itself reports (a blank step, an unterminated
string, a blank or repeated table header, a short teardown line) ride on the token; the structure
rules are stage two's (`gauge_reader`). Spec and concept files share this stage. Pure: no I/O.
Written from gauge's rules, sharing nothing with the plugin's parser (DESIGN.md).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from typing import Final, Literal

log = logging.getLogger(__name__)

TokenKind = Literal[
    "comment", "spec", "scenario", "step", "tags", "table_header", "table_row", "table_file", "teardown"
]
ParamKind = Literal["static", "dynamic", "special"]

TRIPLE_QUOTE: Final = '"""'
_TABLE_FILE: Final = re.compile(r"^\s*table\s*:", re.IGNORECASE)
_RESERVED: Final = frozenset("{}")
_ESCAPES: Final = {"n": "\n", "t": "\t"}
_NO_TABLE_PATH: Final = "Table location not specified"
_SHORT_TEARDOWN: Final = "Teardown should have at least three underscore characters"


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    kind: TokenKind
    line: int
    value: str
    """Heading text, step text after `*`, tag text, `table: <path>`, the trimmed row, or the comment."""
    text: str
    """What gauge's parse errors show after `=>` (LineText): the step text, else the line as written."""
    cells: tuple[str, ...] = ()
    """The cells of a table row, or the values of a `Tags:` line."""
    pattern: str = ""
    """A step's identity: each parameter replaced by `{}` (gauge's step value)."""
    params: tuple[tuple[ParamKind, str], ...] = ()
    block: str | None = None
    """The lines of a `\"\"\"` block right after a step line, joined by newlines, as written."""
    problem: str = ""


def split_lines(text: str) -> list[str]:
    """Go's bufio line scanner: split at `\\n`, drop one `\\r` before it, no empty piece at the end."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _is_underline(text: str, char: str) -> bool:
    return bool(text) and text == char * len(text)


def parse_step_text(text: str) -> tuple[str, tuple[tuple[ParamKind, str], ...]]:
    """Gauge's step-text automaton: `"static"`, `<dynamic>`, `<prefix:special>`, `\\` escapes.

    Returns the step value (`{}` per parameter, trimmed) and the parameters; raises ValueError with
    gauge's message for an unterminated parameter or an unescaped `{`/`}`.
    """
    value: list[str] = []
    param: list[str] = []
    params: list[tuple[ParamKind, str]] = []
    state: Literal["text", "quoted", "angled"] = "text"
    special = escaped = False
    for read in text:
        char = read
        if escaped:
            escaped = False
            if state == "text" and char not in _RESERVED:
                value.append("\\")
            elif state != "text":
                char = _ESCAPES.get(char, char)
        elif char == "\\":
            escaped = True
            continue
        elif state == "text" and char in '"<':
            state, special = ("quoted" if char == '"' else "angled"), False
            continue
        elif (state, char) in (("quoted", '"'), ("angled", ">")):
            kind: ParamKind = "static" if state == "quoted" else "special" if special else "dynamic"
            params.append((kind, "".join(param)))
            param.clear()
            value.append("{}")
            state = "text"
            continue
        elif state == "text" and char in _RESERVED:
            raise ValueError(f"'{char}' is a reserved character and should be escaped")
        special = special or (state == "angled" and char == ":")
        (value if state == "text" else param).append(char)
    if state == "quoted":
        raise ValueError("String not terminated")
    if state == "angled":
        raise ValueError("Dynamic parameter not terminated")
    return "".join(value).strip(), tuple(params)


def table_cells(row: str) -> tuple[str, ...]:
    """The trimmed cells of `|a|b|`; `\\` escapes the next character (so `\\|` is a pipe in a cell)."""
    cells: list[str] = []
    cell: list[str] = []
    escaped = False
    for char in row[1:]:
        if escaped:
            cell.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            cells.append("".join(cell).strip())
            cell.clear()
        else:
            cell.append(char)
    return tuple(cells)


def _header_problem(cells: tuple[str, ...]) -> str:
    for index, cell in enumerate(cells):
        if not cell:
            return "Table header should not be blank"
        if cell in cells[:index]:
            return "Table header cannot have repeated column values"
    return ""


def tag_values(text: str) -> tuple[str, ...]:
    return tuple(tag.strip() for tag in text.split(",") if tag.strip())


def _tags_prefix(trimmed: str) -> int:
    lowered = trimmed.lower()
    for prefix in ("tags:", "tags :"):
        if lowered.startswith(prefix):
            return len(prefix)
    return -1


class _Lexer:
    """One pass over the lines; `in_table`, `after_comment`, `in_tags` are gauge's lexer states."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.tokens: list[Token] = []
        self.index = 0
        self.in_table = self.after_comment = self.in_tags = False

    def clear(self) -> None:
        self.in_table = self.after_comment = self.in_tags = False

    def add(
        self,
        kind: TokenKind,
        raw: str,
        value: str,
        *,
        cells: tuple[str, ...] = (),
        problem: str = "",
        line: int = 0,
    ) -> None:
        token = Token(kind=kind, line=line or self.index, value=value, text=raw, cells=cells, problem=problem)
        self.tokens.append(token)

    def run(self) -> list[Token]:
        while self.index < len(self.lines):
            raw = self.lines[self.index]
            self.index += 1
            self.classify(raw, raw.strip())
        return self.tokens

    def classify(self, raw: str, trimmed: str) -> None:
        if not trimmed:
            if not (self.tokens and self.tokens[-1].kind == "step"):
                self.comment(raw, "")
        elif trimmed.startswith("##") and not trimmed.startswith("###"):
            self.scenario(Token(kind="scenario", line=self.index, value=trimmed[2:].strip(), text=raw))
        elif trimmed.startswith("#") and not trimmed.startswith("##"):
            self.add("spec", raw, trimmed[1:].strip())
        elif _is_underline(trimmed, "=") or _is_underline(trimmed, "-"):
            self.underline(raw, trimmed)
        elif trimmed.startswith("*") and not trimmed.startswith("**"):
            self.step(trimmed[1:].strip())
        elif _tags_prefix(trimmed) >= 0 or self.in_tags:
            self.tags(raw, trimmed)
        elif trimmed.startswith("|") and trimmed.endswith("|"):
            self.table_row(raw, trimmed)
        elif _TABLE_FILE.match(trimmed):
            where = trimmed.split(":", 1)[1].strip()
            self.add("table_file", raw, f"table: {where}", problem="" if where else _NO_TABLE_PATH)
        elif _is_underline(trimmed, "_"):
            self.add("teardown", raw, trimmed, problem="" if len(trimmed) >= 3 else _SHORT_TEARDOWN)
        else:
            self.comment(raw, raw.rstrip())

    def comment(self, raw: str, value: str) -> None:
        self.add("comment", raw, value)
        self.clear()
        self.after_comment = True

    def scenario(self, token: Token) -> None:
        """Gauge clears its state only after a good heading (processScenario returns early on error)."""
        if not token.value.strip():
            token = dataclasses.replace(token, problem="Scenario heading should have at least one character")
        else:
            self.clear()
        self.tokens.append(token)

    def underline(self, raw: str, trimmed: str) -> None:
        """Setext headings: `===`/`---` under a comment make the previous token a spec/scenario heading.

        Gauge re-kinds that token and runs it through its converters again, after they have seen it as
        a comment; keeping both tokens (same line) gives stage two the same sequence of events.
        """
        if not self.after_comment:
            self.comment(raw, raw.rstrip())
            return
        above = self.tokens[-1]
        if trimmed[0] == "=":
            self.add("spec", above.text, above.value, line=above.line)
        else:
            self.scenario(Token(kind="scenario", line=above.line, value=above.value, text=above.text))

    def step(self, text: str) -> None:
        """processStep: a blank step or a bad parameter is a problem, and then the state is kept."""
        line = self.index
        token = Token(kind="step", line=line, value=text, text=text, pattern=text, block=self.block())
        if not text:
            token = dataclasses.replace(token, problem="Step should not be blank")
        elif token.block is None:
            try:
                pattern, params = parse_step_text(text)
            except ValueError as exc:
                token = dataclasses.replace(token, problem=str(exc))
            else:
                token = dataclasses.replace(token, pattern=pattern, params=params)
        self.tokens.append(token)
        if not token.problem:
            self.clear()

    def block(self) -> str | None:
        """A `\"\"\"` block right after the step line (no blank line between); consumed if closed."""
        start = self.index
        if start >= len(self.lines) or self.lines[start].strip() != TRIPLE_QUOTE:
            return None
        for end in range(start + 1, len(self.lines)):
            if self.lines[end].strip() == TRIPLE_QUOTE:
                self.index = end + 1
                return "\n".join(self.lines[start + 1 : end])
        return None

    def tags(self, raw: str, trimmed: str) -> None:
        start = 0 if self.in_tags else _tags_prefix(trimmed)
        text = trimmed[start:].strip()
        self.clear()
        self.in_tags = trimmed.endswith(",")
        self.add("tags", raw, text, cells=tag_values(text))

    def table_row(self, raw: str, trimmed: str) -> None:
        cells = table_cells(trimmed)
        if self.in_table:
            self.add("table_row", raw, trimmed, cells=cells)
        else:
            self.add("table_header", raw, trimmed, cells=cells, problem=_header_problem(cells))
        self.in_table = True


def tokenize(text: str) -> list[Token]:
    """Every line of a spec or concept file as gauge's lexer sees it (swallowed blank lines omitted)."""
    return _Lexer(split_lines(text)).run()
