"""The suite's install scenario runs before every other scenario, also under `-n` (run/setup_first.py).

release-tests' install scenario configures what the other specs need (the hub, resolvers, the Chains
signing secret, Results). Before, gauge's file order ran `chains/`, `hub/` and others before
`olm.spec`, and under `-n` any spec ran beside or before it on another worker: on a cluster it had not
configured yet, their failures were filed against the run's upstream build. Each test runs a real
session over the gauge stand-in, which records every command line it gets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import GaugeProject, OfflineSession

pytestmark = pytest.mark.tools

CHAINS_SPEC = """\
# Chains

## Sign a taskrun: PIPELINES-27-TC01
Tags: e2e
* Verify the signature

## Sign an image: PIPELINES-27-TC02
Tags: e2e
* Verify the image signature

## Sign an OCI bundle: PIPELINES-27-TC03
Tags: e2e
* Verify the bundle signature
"""
HUB_SPEC = """\
# Hub

## Install the hub: PIPELINES-21-TC01
Tags: e2e
* Verify the hub API

## Search the hub: PIPELINES-21-TC02
Tags: e2e
* Search for "git-clone"

## Install a task from the hub: PIPELINES-21-TC03
Tags: e2e
* Install "git-clone"
"""
OLM_SPEC = """\
# Olm

## Install openshift-pipelines operator: PIPELINES-09-TC01
Tags: Install, admin, sanity
* Subscribe to operator

## Upgrade openshift-pipelines operator: PIPELINES-09-TC02
Tags: upgrade, admin
* Upgrade operator subscription
"""
RUN_SPEC = """\
# Run

## Run sample pipeline: PIPELINES-03-TC01
Tags: e2e
* Create "pipeline.yaml"
"""
OUTCOMES = """\
[[scenario]]
match = "PIPELINES-09-TC01"
status = "pass"
sleep_s = 3

[[scenario]]
match = "PIPELINES-"
status = "pass"
"""
INSTALL = "specs/olm.spec::Install openshift-pipelines operator: PIPELINES-09-TC01"


@pytest.fixture
def root(gauge_project: GaugeProject, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GAUGE_STANDIN_RECORD", str(pytester.path / "gauge-record.jsonl"))
    return gauge_project(
        {"chains.spec": CHAINS_SPEC, "hub.spec": HUB_SPEC, "olm.spec": OLM_SPEC, "run.spec": RUN_SPEC},
        outcomes=OUTCOMES,
    )


def records(pytester: pytest.Pytester) -> list[dict[str, Any]]:
    """One line per scenario gauge executed: its heading, the gauge process, start and end."""
    lines = (pytester.path / "gauge-record.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def gauge_runs(pytester: pytest.Pytester) -> list[list[str]]:
    """The scenario IDs of each gauge process, in the order they ran."""
    runs: dict[int, list[str]] = {}
    for record in sorted(records(pytester), key=lambda r: r["start"]):
        runs.setdefault(record["pid"], []).append(record["scenario"].rpartition(" ")[2])
    return list(runs.values())


def test_the_install_scenario_runs_first_in_its_own_gauge_run(
    root: Path, offline_session: OfflineSession, pytester: pytest.Pytester
) -> None:
    result, _ = offline_session(root)
    runs = gauge_runs(pytester)
    assert runs[0] == ["PIPELINES-09-TC01"], runs
    assert [scenario for run in runs[1:] for scenario in run] == [
        "PIPELINES-27-TC01",
        "PIPELINES-27-TC02",
        "PIPELINES-27-TC03",
        "PIPELINES-21-TC01",
        "PIPELINES-21-TC02",
        "PIPELINES-21-TC03",
        "PIPELINES-03-TC01",
    ], "the others keep file order, the upgrade is left out"
    result.stdout.fnmatch_lines(
        [f"streamstress: runs first, before every other scenario: {INSTALL} (tagged*"]
    )
    assert result.ret == 0


def test_under_xdist_no_scenario_starts_before_the_install_scenario_ended(
    root: Path, offline_session: OfflineSession, pytester: pytest.Pytester
) -> None:
    """chains.spec and hub.spec have more scenarios than olm.spec: xdist's own reorder would hand them
    out first, and both workers would wait for an install scenario queued behind them (found on the
    release-tests fixture suite: `no tests ran in 599.71s`). The collection's order of files decides."""
    # Not through the serial gate (install is one of its tags by default, but it only keeps scenarios
    # from running beside the install scenario, not before it): the order must hold on its own.
    result, _ = offline_session(root, "-n", "2", "--serial-tags=upgrade")
    ran = {r["scenario"].rpartition(" ")[2]: (r["start"], r["end"]) for r in records(pytester)}
    _, install_ended = ran.pop("PIPELINES-09-TC01")
    assert len(ran) == 7, sorted(ran)
    early = {scenario: install_ended - start for scenario, (start, _) in ran.items() if start < install_ended}
    assert early == {}, "seconds each started before the install scenario ended"
    assert "every worker waits" not in result.stdout.str()
    result.stdout.fnmatch_lines([f"streamstress: runs first, before every other scenario: {INSTALL} (*"])
    assert result.ret == 0


def test_an_explicit_loadscope_reorder_never_holds_the_workers_forever(
    root: Path, offline_session: OfflineSession
) -> None:
    """Asked for, xdist hands chains.spec and hub.spec out first and both workers wait for the install
    scenario behind them: they see that every worker waits and none started it, say so and run on."""
    result, document = offline_session(root, "-n", "2", "--serial-tags=upgrade", "--loadscope-reorder")
    result.stdout.fnmatch_lines(["*every worker waits for the setup scenario Install*none has it next*"])
    assert {s["status"] for s in document["scenarios"]} == {"passed", "skipped"}
    assert result.ret == 0


def test_run_keeps_file_order(root: Path, offline_session: OfflineSession, pytester: pytest.Pytester) -> None:
    result, _ = offline_session(root, "--lifecycle-scenarios=run")
    runs = gauge_runs(pytester)
    assert runs[2] == ["PIPELINES-09-TC01", "PIPELINES-09-TC02"], runs
    assert "runs first" not in result.stdout.str()


def test_a_shard_without_the_install_scenario_does_not_wait_for_it_under_xdist(
    gauge_project: GaugeProject, offline_session: OfflineSession
) -> None:
    """The install scenario was put first on the whole run's items, before the shard kept its own specs:
    under -n a shard without it waited for it until --gauge-timeout (an hour by default)."""
    root = gauge_project(
        {"olm.spec": OLM_SPEC.split("\n## Upgrade", maxsplit=1)[0], "hub.spec": HUB_SPEC}, outcomes=OUTCOMES
    )
    result, document = offline_session(
        root, "--shard=0/2", "-n", "2", "--heartbeat=0.6", "--gauge-timeout=30", "--dist=loadscope"
    )
    assert {s["scenario"].rpartition(" ")[2] for s in document["scenarios"]} == {
        "PIPELINES-21-TC01",
        "PIPELINES-21-TC02",
        "PIPELINES-21-TC03",
    }, "shard 0 holds hub.spec (3 scenarios), shard 1 olm.spec"
    output = result.stdout.str()
    assert "for the setup scenarios" not in output, output
    assert "runs first" not in output
    assert result.ret == 0
