"""The suite's own operator lifecycle scenarios, and keeping the rest of a run off what they install.

release-tests' specs/olm.spec installs (`install`), upgrades (`upgrade`) and removes (`uninstall`)
the operator. Gauge runs specs in file order and xdist runs olm.spec next to the other specs, so in
a whole-suite run the upgrade and the uninstall happened in the middle: every scenario after them, or
beside them on another worker, ran on what the upgrade installed or on no operator at all, and its
failures were filed against this run's upstream build. The install scenario stays: on an installed
operator it subscribes to what is there and configures what the other specs need, so it runs first
(run/setup_first.py).

`auto` skips the upgrade and uninstall scenarios when anything else runs in the session, and runs
them when they are all that was asked for (`specs/olm.spec`, `-k PIPELINES-09-TC02`,
`--gauge-tags upgrade`): then nothing runs after them. A shard is never alone: the other shards run
on the same cluster at the same time. They are skipped with a mark, not deselected, so every output
names them and says why (results.json, JUnit, the dashboard, `-rs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import pytest

from pytest_streamstress.model import LEFT_OUT

if TYPE_CHECKING:
    from pytest_streamstress.gauge.collect import ScenarioItem
    from pytest_streamstress.model import LifecycleScenarios
    from pytest_streamstress.options import Settings

OPERATOR_LIFECYCLE_TAGS: Final = frozenset({"install", "upgrade", "uninstall"})
"""release-tests' own scenarios that install, upgrade or remove the operator (specs/olm.spec)."""
REPLACING_TAGS: Final = frozenset({"upgrade", "uninstall"})
"""The lifecycle scenarios that leave another operator, or none, for the scenarios after them."""


def lifecycle_tags(tags: Sequence[str]) -> frozenset[str]:
    """Gauge tags are case-insensitive (`Tags: Upgrade` selects with `--tags upgrade`)."""
    return OPERATOR_LIFECYCLE_TAGS & {t.lower() for t in tags}


def to_skip(
    items: Sequence[pytest.Item], policy: LifecycleScenarios, *, sharded: bool
) -> list[tuple[ScenarioItem, str]]:
    """The scenarios `policy` keeps out of this session, each with the tag that puts it there."""
    from pytest_streamstress.gauge.collect import ScenarioItem

    scenarios = [i for i in items if isinstance(i, ScenarioItem)]
    replacing = [(i, sorted(lifecycle_tags(i.scenario.all_tags) & REPLACING_TAGS)) for i in scenarios]
    replacing = [(i, tags) for i, tags in replacing if tags]
    if policy == "run" or not replacing:
        return []
    alone = all(lifecycle_tags(i.scenario.all_tags) for i in scenarios) and not sharded
    if policy == "auto" and alone:
        return []
    return [(item, tags[0]) for item, tags in replacing]


def skip_reason(tag: str, policy: LifecycleScenarios) -> str:
    """One sentence: what the scenario would do to the others, and the two ways to run it."""
    why = "removes the operator" if tag == "uninstall" else "replaces the operator"
    if policy == "skip":
        how = "--lifecycle-scenarios=auto or run lets it run"
    else:
        how = "run it on its own (its node id, -k, or --gauge-tags), or pass --lifecycle-scenarios=run"
    return (
        f"{LEFT_OUT}this {tag} scenario {why}, so the scenarios run with it would test what it left"
        f" behind instead of this run's operator; {how}"
    )


def skip_lifecycle(items: Sequence[pytest.Item], settings: Settings) -> None:
    """Mark the scenarios `to_skip` names; `group_of` (run/scenarios.py) then never hands them to gauge."""
    policy = settings.lifecycle_scenarios
    for item, tag in to_skip(items, policy, sharded=settings.shard is not None):
        item.add_marker(pytest.mark.skip(reason=skip_reason(tag, policy)))
