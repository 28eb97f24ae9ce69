"""Which scenarios a run was asked for, in words, so a run is compared only with runs asked the same way.

Kept in results.json (`settings.selection`) and in the history's index. Read by the 75 % guard
(report/verdict.py via run/analysis.py), `--since-last-run`'s baseline, the analysis's "removed
tests", `--streamstress-parallel auto` and the morning page. Before, a `-k TC02` rerun against the
nightly history read "INCOMPLETE: ran 2 of the usual 7 scenarios", listed the suite's other
scenarios as removed, and became the baseline that let the next nightly skip the whole suite.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Selection:
    words: str
    """The narrowing options as a command line would give them ("-k TC02 --gauge-tags e2e"); ""
    for the whole suite."""
    varies: bool = False
    """--lf or --sw: what runs depends on the runs before, so no usual count applies."""


def selection_words(
    *,
    gauge_tags: str = "",
    keyword: str = "",
    markexpr: str = "",
    args: Iterable[str] = (),
    deselect: Iterable[str] = (),
    last_failed: bool = False,
    stepwise: bool = False,
) -> Selection:
    """The selection in one canonical form: the same options in another order give the same words."""
    parts = []
    if gauge_tags:
        parts.append(f"--gauge-tags {shlex.quote(gauge_tags)}")
    if keyword:
        parts.append(f"-k {shlex.quote(keyword)}")
    if markexpr:
        parts.append(f"-m {shlex.quote(markexpr)}")
    parts += [f"--deselect {shlex.quote(d)}" for d in sorted(deselect)]
    parts += [shlex.quote(a) for a in sorted(args)]
    if last_failed:
        parts.append("--lf")
    if stepwise:
        parts.append("--sw")
    return Selection(words=" ".join(parts), varies=last_failed or stepwise)


def selection_of(document: Mapping[str, Any]) -> str:
    """The words of an earlier run: its `settings.selection`, or for runs written before that, the
    gauge tags it was run with (the only narrowing those recorded)."""
    settings = document.get("settings")
    if not isinstance(settings, Mapping):
        return ""
    words = settings.get("selection")
    if isinstance(words, str):
        return words
    tags = settings.get("gauge_tags")
    return selection_words(gauge_tags=tags if isinstance(tags, str) else "").words


def is_rerun(words: str) -> bool:
    """Asked with a pytest narrowing (-k, -m, node ids, --deselect, --lf, --sw), as someone rerunning a
    few scenarios asks (`--gauge-tags` alone chooses a suite). report/changes.subject_of also weighs
    how many scenarios it ran before it keeps the morning page off it."""
    tokens = shlex.split(words)
    while tokens[:1] == ["--gauge-tags"]:
        tokens = tokens[2:]
    return bool(tokens)
