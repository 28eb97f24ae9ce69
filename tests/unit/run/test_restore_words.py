"""What results.json, the summary and the morning page say of a restore that did not finish.

The terminal shows a wait's whole diagnosis (a line per workload, pod and event); the morning page
showed all of it as one paragraph of digests. It keeps the first line and the pods' lines first:
they name the image that does not run.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pytest_streamstress.model import RestoreState
from pytest_streamstress.options import OPTIONS, Settings
from pytest_streamstress.run.deploying import GIST_WIDTH, gist, left_before_restore

DIAGNOSIS = """restore did not finish within 15s (--deploy-timeout):
- TektonConfig not Ready: ComponentsReady=False
- Deployment tekton-pipelines-controller: 1/1 updated, 0/1 available
- pod tekton-pipelines-controller-x container c: ImagePullBackOff (image registry.redhat.io/p@sha256:1)
- pod tekton-pipelines-webhook-y container w: ImagePullBackOff (image registry.redhat.io/w@sha256:2)
- Warning Failed Pod/tekton-pipelines-webhook-y: Error: ImagePullBackOff"""


def test_the_gist_keeps_the_first_line_and_the_pods_first() -> None:
    assert gist(DIAGNOSIS) == (
        "restore did not finish within 15s (--deploy-timeout):"
        " pod tekton-pipelines-controller-x container c: ImagePullBackOff"
        " (image registry.redhat.io/p@sha256:1);"
        " pod tekton-pipelines-webhook-y container w: ImagePullBackOff"
        " (image registry.redhat.io/w@sha256:2);"
        " and 3 more line(s) on the terminal"
    )


def test_the_gist_cuts_a_long_line_and_leaves_a_one_line_message_alone() -> None:
    long = "pod p container c: " + "x" * 400
    text = gist(f"restore did not finish:\n- {long}")
    assert text == f"restore did not finish: {long[: GIST_WIDTH - 1]}…"
    assert gist("TektonConfig absent") == "TektonConfig absent"


@pytest.mark.parametrize(
    ("restore", "state"), [(True, RestoreState.PENDING), (False, RestoreState.NOT_ASKED)]
)
def test_before_the_restore_a_record_of_this_session_is_pending_or_not_asked(
    tmp_path: Path, restore: bool, state: RestoreState
) -> None:
    defaults = Settings(**{o.name: o.default for o in OPTIONS}, rootdir=tmp_path, full_trace=False)
    settings = dataclasses.replace(defaults, results_dir=tmp_path, restore=restore)
    assert left_before_restore(settings, deploy_started_at=None) is None, "nothing deployed"
    (tmp_path / "restore.json").write_text("{}")
    left = left_before_restore(settings, deploy_started_at=0.0)
    assert left is not None and left.state is state
    assert f"`streamstress restore {tmp_path}`" in left.message
    assert left_before_restore(settings, deploy_started_at=10**10) is None, "an older session's record"
