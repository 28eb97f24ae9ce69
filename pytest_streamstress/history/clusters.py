"""Group failures that have one cause: the same message after normalizing what changes run to run.

Generated namespaces (`releasetest-x7k2q`), pod names with ReplicaSet/pod suffixes, UUIDs, digests
and hex hashes, timestamps, IP addresses, durations and plain numbers, and quoted resource names are
replaced by placeholders; twenty scenarios broken by one cause then share one signature and show as
one line with twenty members.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

_RULES: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"\x1b\[[0-9;]*m"), ""),
    (
        re.compile(r"\b\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"),
        "<time>",
    ),
    (re.compile(r"\bsha256:[0-9a-f]{12,64}\b"), "<digest>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\breleasetest-[a-z0-9]{4,}\b"), "<namespace>"),
    (re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)*-[a-f0-9]{8,10}-[a-z0-9]{5}\b"), "<pod>"),
    (re.compile(r"\b([a-z0-9]+(?:-[a-z0-9]+)*)-[bcdfghjklmnpqrstvwxz2456789]{5}\b"), r"\1-<id>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"\b[0-9a-f]{7,40}\b"), "<hash>"),
    (re.compile(r"\b\d+(?:\.\d+)?(?:ms|s|m|h)\b"), "<duration>"),
    (re.compile(r"\"[^\"\n]{1,80}\""), '"<name>"'),
    (re.compile(r"'[^'\n]{1,80}'"), "'<name>'"),
    (re.compile(r"\b\d+\b"), "<n>"),
    (re.compile(r"[ \t]+"), " "),
)


def normalize(message: str) -> str:
    """The signature of a message: its first line that says something, with the variable parts replaced."""
    text = message.strip()
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "\n".join(lines[:6])


@dataclass(frozen=True, slots=True, kw_only=True)
class Cluster:
    signature: str
    members: tuple[str, ...]
    example: str


def cluster_failures(messages: Mapping[str, str]) -> tuple[Cluster, ...]:
    """test -> message in, clusters out, largest first; a cluster of one is still a cluster."""
    groups: dict[str, list[str]] = defaultdict(list)
    examples: dict[str, str] = {}
    for test, message in sorted(messages.items()):
        signature = normalize(message) if message.strip() else "<no message>"
        groups[signature].append(test)
        examples.setdefault(signature, message)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return tuple(
        Cluster(signature=sig, members=tuple(tests), example=examples[sig]) for sig, tests in ordered
    )
