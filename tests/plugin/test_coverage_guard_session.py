"""The 75 % guard compares a run with runs asked the same way (history/selection.py).

A nightly that lost scenarios is incomplete; a person's `-k` rerun of one failure is not, and its
runs in the history do not lower the nightly's usual count.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import OfflineSession

pytestmark = pytest.mark.tools

SPEC = "# Spec {name}\n\n" + "\n".join(
    f'## {{name}} {i}: PIPELINES-92-TC{{name}}{i}\nTags: e2e\n* Create "{i}.yaml"\n' for i in range(1, 3)
)


def _run(
    pytester: pytest.Pytester, offline_session: OfflineSession, root: Path, *args: str
) -> tuple[pytest.RunResult, dict[str, Any]]:
    """A session with --history: it reads the earlier runs and files its own beside them."""
    result, document = offline_session(root, f"--history={pytester.path / 'history'}", *args)
    assert (pytester.path / "history" / "runs" / document["run_id"] / "results.json").is_file()
    return result, document


def test_a_k_rerun_is_not_incomplete_and_does_not_lower_the_nightly_count(
    pytester: pytest.Pytester, gauge_project: Callable[..., Path], offline_session: OfflineSession
) -> None:
    root = gauge_project({f"{n}.spec": SPEC.format(name=n) for n in "ab"})
    _run(pytester, offline_session, root)  # the nightly: 4 scenarios
    for _ in range(3):  # three reruns of one scenario by hand
        result, document = _run(pytester, offline_session, root, "-k", "TCa1")
        assert document["settings"]["selection"] == "-k TCa1"
        assert document["status"] == "passed", document["verdict"]["sentence"]
        assert result.ret == 0
    (root / "specs" / "b.spec").unlink()  # tonight's checkout lost a spec: 2 of the usual 4
    result, document = _run(pytester, offline_session, root)
    assert document["settings"]["selection"] == ""
    assert document["status"] == "incomplete", "the -k runs must not make 1 scenario the usual count"
    assert document["verdict"]["reasons"] == [
        "ran 2 of the usual 4 scenarios (below 75%: not scored for new failures or regressions)"
    ]
    assert result.ret == 1
