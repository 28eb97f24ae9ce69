"""What results.json says of the operator after a stop during `--confirm` (run/interrupted.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pytest_streamstress.model import Deployment, DeployStatus
from pytest_streamstress.options import OPTIONS, Settings
from pytest_streamstress.run.interrupted import (
    REDEPLOY,
    RESTORING,
    SHIPPED_RERUNS,
    UPSTREAM_RERUNS,
    after_a_confirm_stop,
)

DEPLOYED = Deployment(status=DeployStatus.DEPLOYED, strategy="csv")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    defaults = Settings(**{o.name: o.default for o in OPTIONS}, rootdir=tmp_path, full_trace=False)
    return dataclasses.replace(defaults, results_dir=tmp_path / "results")


@pytest.mark.parametrize("stage", [RESTORING, SHIPPED_RERUNS])
def test_a_stop_with_the_shipped_images_back_says_the_operator_runs_them(
    settings: Settings, stage: str
) -> None:
    left = after_a_confirm_stop(DEPLOYED, stage, settings)
    assert left.status is DeployStatus.DEPLOYED, "the deploy itself happened"
    assert "the operator runs its shipped images now, not this run's" in left.message


def test_a_stop_while_putting_this_runs_images_back_names_the_restore_command(settings: Settings) -> None:
    left = after_a_confirm_stop(DEPLOYED, REDEPLOY, settings)
    assert left.message.endswith(
        f"`streamstress restore {settings.results_dir}` puts back what it ran before this run"
        " (with --shipped: its shipped images)"
    )


@pytest.mark.parametrize("stage", [UPSTREAM_RERUNS, "tests", ""])
def test_a_stop_elsewhere_leaves_the_deploy_as_it_was(settings: Settings, stage: str) -> None:
    assert after_a_confirm_stop(DEPLOYED, stage, settings) == DEPLOYED


def test_with_restore_the_stops_own_restore_puts_the_shipped_images_back(settings: Settings) -> None:
    assert (
        after_a_confirm_stop(DEPLOYED, SHIPPED_RERUNS, dataclasses.replace(settings, restore=True))
        == DEPLOYED
    )
