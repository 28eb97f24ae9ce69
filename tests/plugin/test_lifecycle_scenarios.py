"""The suite's upgrade and uninstall scenarios are kept away from the other scenarios of a run.

release-tests' specs/olm.spec upgrades and removes the operator. Before, a whole-suite run gave them
to gauge in the middle of the suite (or beside the other specs under xdist), and every scenario after
them ran on another operator or none, with its failures filed against the run's upstream build.
Each test runs a real session over the gauge stand-in, which records every command line it gets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import GaugeProject, OfflineSession

pytestmark = pytest.mark.tools

OLM_SPEC = """\
# Olm

## Install openshift-pipelines operator: PIPELINES-09-TC01
Tags: install, admin, sanity
* Subscribe to operator

## Upgrade openshift-pipelines operator: PIPELINES-09-TC02
Tags: Upgrade, admin
* Upgrade operator subscription

## Uninstall openshift-pipelines operator: PIPELINES-09-TC03
Tags: uninstall, admin
* Uninstall Operator
"""
RUN_SPEC = """\
# Run

## Run sample pipeline: PIPELINES-03-TC01
Tags: e2e, sanity
* Create "pipeline.yaml"
"""
INSTALL = "specs/olm.spec::Install openshift-pipelines operator: PIPELINES-09-TC01"
UPGRADE = "specs/olm.spec::Upgrade openshift-pipelines operator: PIPELINES-09-TC02"
UNINSTALL = "specs/olm.spec::Uninstall openshift-pipelines operator: PIPELINES-09-TC03"
RUN = "specs/run.spec::Run sample pipeline: PIPELINES-03-TC01"

Session = Callable[..., "tuple[pytest.RunResult, dict[str, Any], list[str]]"]


@pytest.fixture
def session(
    pytester: pytest.Pytester,
    gauge_project: GaugeProject,
    offline_session: OfflineSession,
    monkeypatch: pytest.MonkeyPatch,
) -> Session:
    """`session(*args)`: (result, results.json, the ID of every scenario gauge ran, in order)."""
    root = gauge_project({"olm.spec": OLM_SPEC, "run.spec": RUN_SPEC})
    record = pytester.path / "gauge-record.jsonl"
    monkeypatch.setenv("GAUGE_STANDIN_RECORD", str(record))

    def run(*args: str) -> tuple[pytest.RunResult, dict[str, Any], list[str]]:
        record.unlink(missing_ok=True)
        result, document = offline_session(root, "-rs", *args)
        runs = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
        return result, document, [r["scenario"].rpartition(" ")[2] for r in runs]

    return run


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {s["nodeid"]: s["status"] for s in document["scenarios"]}


def test_a_whole_suite_run_skips_upgrade_and_uninstall_and_says_why(session: Session) -> None:
    result, document, asked = session()
    assert statuses(document) == {INSTALL: "passed", UPGRADE: "skipped", UNINSTALL: "skipped", RUN: "passed"}
    assert asked == ["PIPELINES-09-TC01", "PIPELINES-03-TC01"], "gauge never ran the two skipped scenarios"
    upgrade = next(s for s in document["scenarios"] if s["nodeid"] == UPGRADE)
    assert upgrade["message"] == (
        "left out: this upgrade scenario replaces the operator, so the scenarios run with it would test"
        " what it left behind instead of this run's operator; run it on its own (its node id, -k, or"
        " --gauge-tags), or pass --lifecycle-scenarios=run"
    )
    result.stdout.fnmatch_lines(
        [
            "left out (2): they replace or remove the operator the other scenarios test (--lifecycle-*)",
            f"  {UPGRADE}",
            f"  {UNINSTALL}",
            "results: *",
        ]
    )
    result.stdout.fnmatch_lines(["SKIPPED*left out: this uninstall scenario removes the operator*"])
    assert document["settings"]["lifecycle_scenarios"] == "auto"
    assert result.ret == 0


@pytest.mark.parametrize(
    "narrowing",
    [("-k", "PIPELINES-09-TC02"), ("--gauge-tags", "upgrade | uninstall"), ("specs/olm.spec",)],
    ids=["keyword", "gauge-tags", "spec-path"],
)
def test_asked_for_alone_they_run_since_nothing_runs_after_them(
    session: Session, narrowing: tuple[str, ...], pytester: pytest.Pytester
) -> None:
    args = [os.fspath(pytester.path / "rt" / a) if a.startswith("specs/") else a for a in narrowing]
    result, document, asked = session(*args)
    assert "skipped" not in statuses(document).values(), statuses(document)
    assert UPGRADE in statuses(document)
    assert "PIPELINES-09-TC02" in asked
    assert result.ret == 0


def test_run_gives_them_to_gauge_with_the_others_and_skip_leaves_them_out_even_alone(
    session: Session,
) -> None:
    _, document, asked = session("--lifecycle-scenarios=run")
    assert set(statuses(document).values()) == {"passed"}
    assert asked == ["PIPELINES-09-TC01", "PIPELINES-09-TC02", "PIPELINES-09-TC03", "PIPELINES-03-TC01"]

    _, document, asked = session("--lifecycle-scenarios=skip", "-k", "PIPELINES-09-TC02")
    assert statuses(document) == {UPGRADE: "skipped"}
    assert asked == []
    upgrade = document["scenarios"][0]
    assert upgrade["message"].endswith("--lifecycle-scenarios=auto or run lets it run")


def test_a_shard_is_never_alone_on_its_cluster(session: Session, pytester: pytest.Pytester) -> None:
    """The other shards run on the same cluster at the same time, whatever this shard holds."""
    _, document, asked = session("--shard=0/1", os.fspath(pytester.path / "rt" / "specs" / "olm.spec"))
    assert statuses(document) == {INSTALL: "passed", UPGRADE: "skipped", UNINSTALL: "skipped"}
    assert asked == ["PIPELINES-09-TC01"]


def test_a_bad_value_names_the_option_and_the_choices(session: Session, pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--streamstress", "--lifecycle-scenarios=later", "--collect-only")
    result.stderr.fnmatch_lines(["*--lifecycle-scenarios*'later'*expected one of auto, skip, run*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_collect_only_lists_them(session: Session, pytester: pytest.Pytester) -> None:
    root = Path(pytester.path / "rt")
    result = pytester.runpytest("--streamstress", "--collect-only", "-q", f"--release-tests-dir={root}")
    assert UPGRADE in result.stdout.str()
