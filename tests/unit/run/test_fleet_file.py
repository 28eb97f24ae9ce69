"""`--clusters FILE` read and checked (issue 23), and the command line each cluster's session gets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.run.fleet_file import FleetMember, load_fleet
from pytest_streamstress.run.fleet_members import DROPPED, SessionShape, member_argv, member_env
from pytest_streamstress.testing.embedded import ENV_KUBECONFIG


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_fleet_file_resolves_paths_against_itself_and_keeps_the_order(tmp_path: Path) -> None:
    (tmp_path / "kube").mkdir()
    (tmp_path / "kube" / "a.yaml").write_text("apiVersion: v1\n")
    fleet = load_fleet(
        _file(
            tmp_path,
            '[[cluster]]\nname = "ocp-4-16"\nkubeconfig = "kube/a.yaml"\ncontext = "admin"\nshards = 4\n\n'
            '[[cluster]]\nname = "emu"\nemulated = true\n',
        )
    )
    assert fleet == (
        FleetMember(
            name="ocp-4-16", kubeconfig=tmp_path / "kube" / "a.yaml", context="admin", shards=4, line=1
        ),
        FleetMember(name="emu", kubeconfig=None, emulated=True, line=7),
    )


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("", None, "no [[cluster]] table"),
        ('name = "x"\n', None, "unknown top-level key 'name'"),
        (
            '[[cluster]]\nname = "a"\nemulated = true\n\n[[cluster]]\nname = "a"\nemulated = true\n',
            5,
            "given twice",
        ),
        ('[[cluster]]\nname = "Bad_Name"\nemulated = true\n', 1, "not a DNS label"),
        ('[[cluster]]\nname = "a"\n', 1, "exactly one of kubeconfig and emulated = true"),
        ('[[cluster]]\nname = "a"\nemulated = true\nkubeconfig = "k"\n', 1, "exactly one of"),
        ('[[cluster]]\nname = "a"\nkubeconfig = "missing.yaml"\n', 1, "does not exist"),
        ('[[cluster]]\nname = "a"\nemulated = true\nshards = 0\n', 1, "shards = 0 is not a positive"),
        ('[[cluster]]\nname = "a"\nemulated = true\nshard = 2\n', 1, "unknown key 'shard'"),
        ('[[cluster]]\nname = "a"\nemulated = "yes"\n', 1, "is not true or false"),
        ("[[cluster]\n", 1, "malformed TOML"),
    ],
)
def test_every_mistake_names_the_file_the_line_and_the_fix(
    tmp_path: Path, text: str, line: int | None, says: str
) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_fleet(path)
    error = caught.value
    assert says in str(error)
    assert error.path == path
    assert error.line == line
    assert error.hint


def _shape(**raw: list[str]) -> SessionShape:
    return SessionShape(
        raw=raw,
        pytest_args=("--rootdir", "/repo", "-p", "no:cacheprovider", "/suite/specs"),
        suite=Path("/suite"),
        invocation_dir=Path("/repo"),
    )


def test_a_members_session_gets_the_users_options_and_its_own_cluster_name_images_and_results() -> None:
    shape = _shape(
        components=["pipeline"],
        fail_on=["none"],
        history=["hist"],
        restore=["true"],
        clusters=["fleet.toml"],
        kubeconfig=["/elsewhere"],
        publish=["true"],
        results_dir=["results"],
        registry=["quay.io/me"],
    )
    member = FleetMember(name="ocp-b", kubeconfig=Path("/k/b.yaml"), context="admin", shards=3)
    argv = member_argv(
        shape, member, results_dir=Path("/repo/results/clusters/ocp-b"), images=Path("/i.json")
    )
    assert argv[:4] == [sys.executable, "-m", "pytest", "--streamstress"]
    assert "--components=pipeline" in argv and "--fail-on=none" in argv and "--history=hist" in argv
    assert "--restore" in argv
    for flag in ("--clusters=fleet.toml", "--kubeconfig=/elsewhere", "--publish", "--registry=quay.io/me"):
        assert flag not in argv
    assert argv[argv.index("--cluster=kubeconfig") :][:3] == [
        "--cluster=kubeconfig",
        "--kubeconfig=/k/b.yaml",
        "--context=admin",
    ]
    for flag in (
        "--cluster-name=ocp-b",
        "--skip-build",
        "--results-dir=/repo/results/clusters/ocp-b",
        "--images-from=/i.json",
        "--release-tests-dir=/suite",
        "--in-cluster",
        "--shards=3",
    ):
        assert flag in argv
    # An ini file's streamstress_clusters must not make the member a fleet of its own.
    assert argv[argv.index("-o") + 1] == "streamstress_clusters="
    assert argv[-5:] == ["--rootdir", "/repo", "-p", "no:cacheprovider", "/suite/specs"]


def test_an_emulated_member_joins_the_fleets_emulator_and_no_member_inherits_anothers(tmp_path: Path) -> None:
    member = FleetMember(name="emu", kubeconfig=None, emulated=True)
    argv = member_argv(_shape(), member, results_dir=tmp_path, images=None)
    assert "--cluster=emulated" in argv and not any(a.startswith("--kubeconfig") for a in argv)
    assert not any(a.startswith("--images-from") for a in argv)
    env = member_env(member, tmp_path / "kubeconfig", {ENV_KUBECONFIG: "/other", "PATH": "/bin"})
    assert env[ENV_KUBECONFIG] == env["KUBECONFIG"] == str(tmp_path / "kubeconfig")
    real = FleetMember(name="real", kubeconfig=tmp_path / "k")
    env = member_env(real, tmp_path / "k", {ENV_KUBECONFIG: "/other", "PATH": "/bin"})
    assert ENV_KUBECONFIG not in env and env["KUBECONFIG"] == str(tmp_path / "k")


def test_every_dropped_option_exists() -> None:
    from pytest_streamstress.options import OPTIONS_BY_NAME

    assert set(OPTIONS_BY_NAME) >= DROPPED


def test_the_docs_example_fleet_is_two_emulated_clusters_one_sharded() -> None:
    example = Path(__file__).resolve().parents[3] / "docs" / "examples" / "two-emulated-clusters.toml"
    fleet = load_fleet(example)
    assert [(m.name, m.emulated, m.shards) for m in fleet] == [
        ("emulated-a", True, 1),
        ("emulated-b", True, 2),
    ]
