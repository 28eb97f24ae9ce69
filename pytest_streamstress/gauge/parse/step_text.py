"""Step text as gauge reads it (G parser/stepParser.go processStepText; reference gauge.md §2.3).

A step line's text becomes its step value, every parameter replaced by `{}`, plus the parameters
themselves: `"static"`, `<dynamic>`, and `<special:x>` (a dynamic parameter with a colon; only
`file:` and `table:` stay special, see `resolve_special`). A backslash escapes the next character,
`{` and `}` outside parameters are reserved. The scanner works like gauge's acceptors, one per
parameter kind, but on runs of plain text rather than character by character. Used by the lexer for
step lines and by `spec.py` for concept headings. Pure: text in, values out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, Literal

ArgKind = Literal["static", "dynamic", "special"]

_SPECIAL_PREFIXES: Final = frozenset({"file", "table"})
_Mode = Literal["text", "static", "dynamic", "special"]
"""Where the step scanner is: gauge's inDefault, inQuotes, inDynamicParam, inSpecialParam."""

_ESCAPES: Final = {"n": "\n", "t": "\t"}
_STEP_SPECIALS: Final = '"<\\{}'
_RESERVED: Final = "{}"
_MARKS: Final = frozenset('"<>:{}')
_PIECES: Final = re.compile(r'[^"<>:\\{}]+|\\.?|.', re.DOTALL)
"""A run of plain characters, a backslash with the character it escapes, or one mark."""
_OPENS: Final[Mapping[str, _Mode]] = {'"': "static", "<": "dynamic"}
_CLOSES: Final[Mapping[_Mode, str]] = {"static": '"', "dynamic": ">", "special": ">"}
_UNTERMINATED: Final[Mapping[_Mode, str]] = {
    "static": "String not terminated",
    "dynamic": "Dynamic parameter not terminated",
    "special": "Dynamic parameter not terminated",
}


class _StepScanner:
    """Gauge's step acceptors: `"…"` makes a static parameter, `<…>` a dynamic one (special with `:`)."""

    __slots__ = ("args", "current", "kinds", "mode", "value")

    def __init__(self) -> None:
        self.mode: _Mode = "text"
        self.value: list[str] = []
        self.current: list[str] = []
        self.args: list[str] = []
        self.kinds: list[ArgKind] = []

    def scan(self, text: str) -> tuple[str, tuple[str, ...], tuple[ArgKind, ...]]:
        for piece in _PIECES.findall(text):
            if piece[0] == "\\":
                self._escaped(piece[1:])
            elif piece in _MARKS:
                self._mark(piece)
            else:
                (self.value if self.mode == "text" else self.current).append(piece)
        if self.mode != "text":
            raise ValueError(_UNTERMINATED[self.mode])
        return "".join(self.value).strip(), tuple(self.args), tuple(self.kinds)

    def _escaped(self, char: str) -> None:
        """Outside parameters the backslash stays (except before `{`/`}`); inside, `\\n`/`\\t` expand."""
        if not char:
            return  # a trailing backslash escapes nothing
        if self.mode == "text" and char not in _RESERVED:
            self.value.append("\\" + char)
        else:
            (self.value if self.mode == "text" else self.current).append(_ESCAPES.get(char, char))

    def _mark(self, char: str) -> None:
        if self.mode == "text":
            if char in _OPENS:
                self.mode = _OPENS[char]
            elif char in _RESERVED:
                raise ValueError(f"'{char}' is a reserved character and should be escaped")
            else:
                self.value.append(char)
        elif char == _CLOSES[self.mode]:
            self.args.append("".join(self.current))
            self.kinds.append(self.mode)
            self.current.clear()
            self.value.append("{}")
            self.mode = "text"
        else:
            if char == ":" and self.mode == "dynamic":
                self.mode = "special"
            self.current.append(char)


def parse_step_text(text: str) -> tuple[str, tuple[str, ...], tuple[ArgKind, ...]]:
    """Gauge's processStepText: (step value with `{}` placeholders, arg texts, arg kinds).

    Raises ValueError with gauge's message for reserved `{`/`}` and unterminated params.
    """
    if not any(char in text for char in _STEP_SPECIALS):
        return text.strip(), (), ()
    return _StepScanner().scan(text)


def resolve_special(arg: str) -> tuple[ArgKind, list[str]]:
    """`file:x`/`table:x` stay special; an unknown prefix is treated as dynamic with gauge's warning."""
    prefix = arg.split(":", 1)[0].strip().lower()
    if prefix in _SPECIAL_PREFIXES:
        return "special", []
    return "dynamic", [f"Could not resolve special param type <{arg}>. Treating it as dynamic param."]
