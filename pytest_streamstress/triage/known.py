"""Known failures: a failure matching an entry is reported as known (still counted, never hidden).

Entries carry an issue link and an expiry date; an expired entry is reported as stale so somebody
re-checks it instead of it silently hiding a new regression forever.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_streamstress._infra.resources import shipped_config
from pytest_streamstress._infra.toml import load_toml
from pytest_streamstress.errors import ConfigError

_KEYS: Final = {"scenario", "message", "issue", "expires", "reason"}


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownFailure:
    scenario: re.Pattern[str] | None
    message: re.Pattern[str] | None
    issue: str
    expires: dt.date | None
    reason: str = ""
    index: int = 0

    def is_stale(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def matches(self, test: str, message: str) -> bool:
        if self.scenario is not None and not self.scenario.search(test):
            return False
        return not (self.message is not None and not self.message.search(message))


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownMatch:
    test: str
    entry: KnownFailure
    stale: bool


def load_known(path: Path | None = None) -> tuple[KnownFailure, ...]:
    source = path if path is not None else shipped_config("known-failures.toml")
    return known_from_toml(load_toml(source), source=source)


def known_from_toml(data: Mapping[str, Any], *, source: Path | None = None) -> tuple[KnownFailure, ...]:
    entries: list[KnownFailure] = []
    for index, raw in enumerate(data.get("known", []), start=1):
        where = f"[[known]] entry #{index}"
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{where} must be a table", path=source)
        unknown = sorted(set(raw) - _KEYS)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(_KEYS))}", path=source
            )
        if "scenario" not in raw and "message" not in raw:
            raise ConfigError(f"{where}: needs 'scenario' or 'message'", path=source)
        if not raw.get("issue"):
            raise ConfigError(
                f"{where}: 'issue' (a link) is required",
                path=source,
                hint="every known failure needs a tracking issue",
            )
        expires = raw.get("expires")
        if expires is not None and not isinstance(expires, dt.date):
            raise ConfigError(f"{where}: expires must be a TOML date like 2027-01-31", path=source)
        entries.append(
            KnownFailure(
                scenario=_regex(raw.get("scenario"), where, source),
                message=_regex(raw.get("message"), where, source),
                issue=str(raw["issue"]),
                expires=expires,
                reason=str(raw.get("reason", "")),
                index=index,
            )
        )
    return tuple(entries)


def _regex(value: object, where: str, source: Path | None) -> re.Pattern[str] | None:
    if value is None:
        return None
    try:
        return re.compile(str(value))
    except re.error as exc:
        raise ConfigError(f"{where}: bad regular expression {value!r}: {exc}", path=source) from exc


def match_known(
    failures: Mapping[str, str], entries: Sequence[KnownFailure], *, today: dt.date
) -> tuple[KnownMatch, ...]:
    """test -> message of the run's failures in; one match per failure that an entry covers."""
    matches: list[KnownMatch] = []
    for test, message in sorted(failures.items()):
        for entry in entries:
            if entry.matches(test, message):
                matches.append(KnownMatch(test=test, entry=entry, stale=entry.is_stale(today)))
                break
    return tuple(matches)


def stale_entries(entries: Sequence[KnownFailure], *, today: dt.date) -> tuple[KnownFailure, ...]:
    return tuple(entry for entry in entries if entry.is_stale(today))
