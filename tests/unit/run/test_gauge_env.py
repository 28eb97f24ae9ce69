"""The KUBECONFIG gauge gets (run/gauge_env.py), and how the stand-ins read it (client-go's rule).

A real session for each case is in tests/cluster/test_gauge_kubeconfig.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from pytest_streamstress.cluster.access import Access
from pytest_streamstress.run.gauge_env import gauge_cluster_env
from pytest_streamstress.testing.standins.kubeconfig import client_go_context


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No ~/.kube/config and no $KUBECONFIG unless a test makes one."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return tmp_path / "home"


def test_the_kubeconfig_option_is_made_absolute_from_where_pytest_was_started(
    home: Path, tmp_path: Path
) -> None:
    env = gauge_cluster_env(Access(kubeconfig=Path("kc.yaml")), cwd=tmp_path, folder=tmp_path / "gauge")
    assert env == {"KUBECONFIG": str(tmp_path / "kc.yaml")}


def test_every_file_of_a_relative_kubeconfig_list_is_made_absolute(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(["a.yaml", "/etc/b.yaml", ""]))
    env = gauge_cluster_env(Access(), cwd=tmp_path, folder=tmp_path / "gauge")
    assert env == {"KUBECONFIG": os.pathsep.join([str(tmp_path / "a.yaml"), "/etc/b.yaml"])}


def test_the_default_file_is_named_and_no_kubeconfig_at_all_changes_nothing(
    home: Path, tmp_path: Path
) -> None:
    assert gauge_cluster_env(Access(), cwd=tmp_path, folder=tmp_path / "gauge") == {}
    (home / ".kube").mkdir(parents=True)
    (home / ".kube" / "config").write_text("apiVersion: v1\n")
    env = gauge_cluster_env(Access(), cwd=tmp_path, folder=tmp_path / "gauge")
    assert env == {"KUBECONFIG": str(home / ".kube" / "config")}


def test_a_context_goes_first_in_a_file_of_its_own_with_no_credentials(home: Path, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc.yaml"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "default/api-ocp:6443/admin",
                "contexts": [{"name": "admin@ocp:6443", "context": {"cluster": "c", "user": "u"}}],
                "users": [{"name": "u", "user": {"token": "sha256~secret"}}],
            }
        )
    )
    env = gauge_cluster_env(
        Access(kubeconfig=kubeconfig, context="admin@ocp:6443"), cwd=tmp_path, folder=tmp_path / "gauge"
    )
    first, second = env["KUBECONFIG"].split(os.pathsep)
    assert (first, second) == (str(tmp_path / "gauge" / "kubeconfig-context.yaml"), str(kubeconfig))
    written = Path(first).read_text()
    assert yaml.safe_load(written) == {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "admin@ocp:6443",
    }
    assert "secret" not in written
    assert client_go_context(env["KUBECONFIG"]) == "admin@ocp:6443", "the first file to set it wins"
    assert client_go_context(str(kubeconfig)) == "default/api-ocp:6443/admin"


def test_the_stand_ins_skip_missing_files_and_files_without_a_context(tmp_path: Path) -> None:
    (tmp_path / "none.yaml").write_text("apiVersion: v1\nkind: Config\n")
    (tmp_path / "one.yaml").write_text("current-context: one\n")
    listed = os.pathsep.join(str(tmp_path / n) for n in ("missing.yaml", "none.yaml", "one.yaml"))
    assert client_go_context(listed) == "one"
    assert client_go_context("") is None
