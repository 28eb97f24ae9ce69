"""Gauge tests the cluster the session was pointed at: `--kubeconfig`, `--context`, a relative $KUBECONFIG.

Before, gauge got the session's environment unchanged: `--kubeconfig`/`--context` reached only the
plugin's own client (it would patch one cluster while gauge tested `$KUBECONFIG`'s current one), and
a relative `KUBECONFIG=kc.yaml` named another file in the suite's folder, where gauge runs; every
scenario then failed with "cannot load kubeconfig" and was filed as an upstream regression (found by
running the product with `KUBECONFIG=kc`). Each test runs a real session whose gauge stand-in acts on
the cluster (`[run] cluster = true`: a namespace per scenario, as release-tests' hooks make), so a
scenario passes only if gauge reached the emulator.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

if TYPE_CHECKING:
    from conftest import MakeEmulator, OfflineSession

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

SPEC = """\
# Reach

## Acts on the cluster: PIPELINES-95-TC01
Tags: e2e
* Create "a.yaml"
"""
OUTCOMES = """\
[run]
cluster = true

[[scenario]]
match = "TC01"
status = "pass"
"""
ELSEWHERE = "https://127.0.0.1:9"
"""A server nobody answers on: where a kubeconfig's own current context points in the --context test."""


def two_contexts(kubeconfig: Path, target: Path) -> None:
    """The emulator's kubeconfig with a second context, `elsewhere`, made the current one."""
    config = yaml.safe_load(kubeconfig.read_text())
    (cluster,), (user,), (context,) = config["clusters"], config["users"], config["contexts"]
    config["clusters"].append({"name": "elsewhere", "cluster": {**cluster["cluster"], "server": ELSEWHERE}})
    config["contexts"].append(
        {"name": "elsewhere", "context": {**context["context"], "cluster": "elsewhere"}}
    )
    config["current-context"] = "elsewhere"
    assert user["name"] == context["context"]["user"]
    target.write_text(yaml.safe_dump(config))


@pytest.mark.parametrize("how", ["kubeconfig-option", "relative-env", "context-option"])
def test_gauge_reaches_the_cluster_the_session_was_pointed_at(
    how: str,
    pytester: pytest.Pytester,
    gauge_project: Callable[..., Path],
    make_emulator: MakeEmulator,
    offline_session: OfflineSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = make_emulator(state="installed")
    root = gauge_project({"reach.spec": SPEC}, outcomes=OUTCOMES)
    monkeypatch.setenv("KUBECONFIG", str(pytester.path / "no-such-kubeconfig"))
    args: list[str] = []
    if how == "kubeconfig-option":
        args.append(f"--kubeconfig={emulator.kubeconfig}")
    elif how == "relative-env":
        (pytester.path / "kc.yaml").write_text(Path(emulator.kubeconfig).read_text())
        monkeypatch.setenv("KUBECONFIG", "kc.yaml")  # the session's cwd is pytester.path; gauge's is not
    else:
        two_contexts(Path(emulator.kubeconfig), pytester.path / "two.yaml")
        context = yaml.safe_load(Path(emulator.kubeconfig).read_text())["current-context"]
        args += [f"--kubeconfig={pytester.path / 'two.yaml'}", f"--context={context}"]
    result, document = offline_session(root, *args)
    (scenario,) = document["scenarios"]
    assert scenario["status"] == "passed", scenario["message"]
    assert result.ret == 0
    if how == "context-option":
        written = (pytester.path / "results" / "gauge" / "kubeconfig-context.yaml").read_text()
        assert "token" not in written and "certificate" not in written, "no credential is copied"
