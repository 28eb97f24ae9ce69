"""Secrets: a masked value type and the redactor that scrubs known secret values from text.

Tokens, kubeconfig credentials and registry passwords must never reach a log, results.json or the
dashboard (STYLE R25). A `Secret` hides its value from `repr`/`str`; only the one place that needs
the value calls `reveal()`. A `Redactor` knows every secret value of the session and replaces it
with `***` in any text on its way to a file or the terminal; `_proc` and `cluster/` run all output
and error bodies through it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Final

import pytest

MASK: Final = "***"
_MIN_SECRET_LENGTH: Final = 4
"""Shorter values would mask ordinary words; no real token is this short."""


class Secret:
    """A string whose value is never shown by accident."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value: call only where it is sent (an Authorization header, a credential file)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


class Redactor:
    """Replaces every registered secret value with `***`; thread-safe, shared by a session."""

    def __init__(self, secrets: Iterable[Secret | str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Secret | str) -> None:
        """Register a value; empty and very short values are ignored."""
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if len(value) < _MIN_SECRET_LENGTH:
            return
        with self._lock:
            if value in self._values:
                return
            self._values.add(value)
            # Longest first, so a token that contains another token is masked whole.
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def __call__(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def __contains__(self, value: str) -> bool:
        return value in self._values

    def __len__(self) -> int:
        return len(self._values)


NO_REDACTION: Final = Redactor()
"""A redactor with no secrets, for code paths that handle none (unit tests, pure formatting)."""

redactor_key: Final = pytest.StashKey[Redactor]()
"""The session's Redactor in `config.stash`: the Recorder seeds it, run/ and the reports use it."""
