"""Known failures: matched, still counted, stale after expiry, bad entries named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.triage.known import known_from_toml, load_known, match_known, stale_entries

TODAY = dt.date(2026, 11, 26)


def _entries() -> tuple:  # type: ignore[type-arg]
    return known_from_toml(
        {
            "known": [
                {
                    "scenario": "PIPELINES-03-TC01",
                    "issue": "https://issues/1",
                    "expires": dt.date(2027, 1, 1),
                },
                {
                    "message": "context deadline exceeded",
                    "issue": "https://issues/2",
                    "expires": dt.date(2026, 11, 1),
                },
            ]
        }
    )


def test_a_failure_matching_an_entry_is_known_with_its_issue() -> None:
    matches = match_known(
        {"specs/run.spec::PIPELINES-03-TC01": "boom", "specs/x.spec::Y": "fine?"}, _entries(), today=TODAY
    )
    assert [(m.test, m.entry.issue, m.stale) for m in matches] == [
        ("specs/run.spec::PIPELINES-03-TC01", "https://issues/1", False)
    ]


def test_an_expired_entry_is_reported_stale() -> None:
    matches = match_known({"specs/x.spec::Z": "wait: context deadline exceeded"}, _entries(), today=TODAY)
    assert [m.stale for m in matches] == [True]
    assert [e.issue for e in stale_entries(_entries(), today=TODAY)] == ["https://issues/2"]


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"scenario": "x"}, "'issue'"),
        ({"issue": "u"}, "needs 'scenario' or 'message'"),
        ({"scenario": "(", "issue": "u"}, "bad regular expression"),
        ({"scenario": "x", "issue": "u", "ttl": 1}, "'ttl'"),
    ],
    ids=["no-issue", "no-matcher", "bad-regex", "unknown-key"],
)
def test_bad_entries_are_named(entry: dict, fragment: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=fragment):
        known_from_toml({"known": [entry]}, source=Path("known.toml"))


def test_shipped_file_loads_and_is_empty_by_default() -> None:
    assert load_known() == ()
