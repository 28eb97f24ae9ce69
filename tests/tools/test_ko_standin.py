"""The ko stand-in behaves like `ko build`: command line, stdout/stderr shapes, naming, digests, failures."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.testing.standins import _oci, install_standins, path_with

pytestmark = pytest.mark.tools

MODULE = "github.com/tektoncd/pipeline"


@pytest.fixture
def module(tmp_path: Path) -> Path:
    root = tmp_path / "pipeline"
    for name in ("controller", "webhook"):
        (root / "cmd" / name).mkdir(parents=True)
        (root / "cmd" / name / "main.go").write_text(f"package main // {name}\n", encoding="utf-8")
    (root / "go.mod").write_text(f"module {MODULE}\n\ngo 1.22\n", encoding="utf-8")
    return root


def ko(
    tmp_path: Path, cwd: Path, *args: str, repo: str | None = "reg.example/tekton-upstream"
) -> _proc.Completed:
    bin_dir = install_standins(tmp_path / "bin", ("ko",))
    env = {**os.environ, "PATH": path_with(bin_dir)}
    env.pop("KO_DOCKER_REPO", None)
    if repo is not None:
        env["KO_DOCKER_REPO"] = repo
    return _proc.run(["ko", *args], timeout=60, cwd=cwd, env=env)


def test_missing_ko_docker_repo_is_ko_s_error(tmp_path: Path, module: Path) -> None:
    done = ko(tmp_path, module, "build", "./cmd/controller", repo=None)
    assert done.returncode == 1
    assert done.stderr.strip() == "Error: KO_DOCKER_REPO environment variable is unset"


def test_stdout_has_exactly_one_digest_ref_per_import_path(tmp_path: Path, module: Path) -> None:
    done = ko(tmp_path, module, "build", "-B", "--push=false", "./cmd/controller", "./cmd/webhook")
    lines = done.stdout.splitlines()
    assert [line.split("@")[0] for line in lines] == [
        "reg.example/tekton-upstream/controller",
        "reg.example/tekton-upstream/webhook",
    ]
    assert all(len(line.split("@sha256:")[1]) == 64 for line in lines)


def test_logs_go_to_stderr_with_full_import_paths(tmp_path: Path, module: Path) -> None:
    done = ko(tmp_path, module, "build", "--bare", "--push=false", "./cmd/controller")
    assert f"Building {MODULE}/cmd/controller for linux/amd64" in done.stderr
    assert "Building" not in done.stdout


@pytest.mark.parametrize(
    ("flags", "name"),
    [
        (("--bare",), "reg.example/tekton-upstream"),
        (("-B",), "reg.example/tekton-upstream/controller"),
        (("-P",), f"reg.example/tekton-upstream/{MODULE}/cmd/controller"),
        (
            (),
            "reg.example/tekton-upstream/controller-"
            + hashlib.md5(f"{MODULE}/cmd/controller".encode()).hexdigest(),
        ),
    ],
    ids=["bare", "base-import-paths", "preserve-import-paths", "default-md5"],
)
def test_image_naming_follows_ko_s_flags(
    tmp_path: Path, module: Path, flags: tuple[str, ...], name: str
) -> None:
    done = ko(tmp_path, module, "build", *flags, "--push=false", "./cmd/controller")
    assert done.stdout.split("@")[0] == name


def test_same_tree_same_digest_and_a_changed_file_changes_it(tmp_path: Path, module: Path) -> None:
    first = ko(tmp_path, module, "build", "--bare", "--push=false", "./cmd/controller").stdout
    again = ko(tmp_path, module, "build", "--bare", "--push=false", "./cmd/controller").stdout
    (module / "cmd" / "controller" / "main.go").write_text("package main // changed\n", encoding="utf-8")
    changed = ko(tmp_path, module, "build", "--bare", "--push=false", "./cmd/controller").stdout
    assert first == again != changed


def test_multi_platform_image_refs_hold_the_index_then_each_platform(tmp_path: Path, module: Path) -> None:
    refs = tmp_path / "refs"
    done = ko(
        tmp_path,
        module,
        "build",
        "--bare",
        "--push=false",
        "--platform",
        "linux/amd64,linux/arm64",
        "--image-refs",
        str(refs),
        "./cmd/controller",
    )
    lines = refs.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and lines[0] == done.stdout.strip()
    assert len(set(lines)) == 3


def test_one_non_latest_tag_is_shown_in_the_stdout_ref(tmp_path: Path, module: Path) -> None:
    done = ko(tmp_path, module, "build", "--bare", "--push=false", "-t", "v1.2.3", "./cmd/controller")
    assert done.stdout.startswith("reg.example/tekton-upstream:v1.2.3@sha256:")


def test_fail_build_file_fails_like_a_go_compile_error(tmp_path: Path, module: Path) -> None:
    (module / "cmd" / "webhook" / "FAIL_BUILD").write_text("undefined: webhook.Options\n", encoding="utf-8")
    done = ko(tmp_path, module, "build", "-B", "--push=false", "./cmd/webhook")
    assert done.returncode == 1 and done.stdout == ""
    assert "./cmd/webhook/main.go:12:2: undefined: webhook.Options" in done.stderr
    assert f'Error: failed to publish images: error building "ko://{MODULE}/cmd/webhook"' in done.stderr


def test_missing_go_mod_is_go_s_error(tmp_path: Path, module: Path) -> None:
    (module / "go.mod").unlink()
    done = ko(tmp_path, module, "build", "./cmd/controller")
    assert done.returncode == 1 and "go.mod file not found" in done.stderr


def test_push_to_an_unreachable_registry_names_the_request(tmp_path: Path, module: Path) -> None:
    done = ko(tmp_path, module, "build", "--bare", "./cmd/controller", repo="127.0.0.1:9/tekton-upstream/x")
    assert done.returncode == 1
    assert "Error: failed to publish images: error publishing 127.0.0.1:9/tekton-upstream/x:" in done.stderr
    # As go-containerregistry: the https ping first (then http, for a loopback host).
    assert 'Get "https://127.0.0.1:9/v2/": dial tcp 127.0.0.1:9' in done.stderr


def test_record_file_gets_start_and_end_stamps(
    tmp_path: Path, module: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("KO_STANDIN_RECORD", str(record))
    ko(tmp_path, module, "build", "--bare", "--push=false", "./cmd/controller")
    (line,) = record.read_text(encoding="utf-8").splitlines()
    assert '"import_paths": ["./cmd/controller"]' in line and '"start": ' in line and '"end": ' in line


@pytest.mark.parametrize("variable", ["GOOS", "GOARCH", "GOARM"])
def test_platform_flag_with_a_go_platform_variable_is_refused_like_ko(
    tmp_path: Path, module: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """ko-build/ko pkg/commands/resolver.go:79-84: set counts, even empty (os.LookupEnv)."""
    monkeypatch.setenv(variable, "")
    done = ko(
        tmp_path, module, "build", "--bare", "--push=false", "--platform", "linux/arm64", "./cmd/controller"
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "Error: error creating builder: error setting up builder options: cannot use --platform or"
        f' defaultPlatforms in .ko.yaml or env KO_DEFAULTPLATFORMS combined with {variable}=""'
    )


def test_goos_and_goarch_choose_the_platform_without_the_flag(
    tmp_path: Path, module: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOS", "linux")
    monkeypatch.setenv("GOARCH", "arm64")
    done = ko(tmp_path, module, "build", "--bare", "--push=false", "./cmd/controller")
    assert done.returncode == 0
    assert f"Building {MODULE}/cmd/controller for linux/arm64" in done.stderr


def test_labels_from_the_knob_file_go_into_the_image_config(tmp_path: Path, module: Path) -> None:
    (module / ".ko-standin.toml").write_text(
        '[labels]\n"org.example/all" = "yes"\n\n'
        '[paths."./cmd/controller".labels]\n"org.example/defect" = "x"\n',
        encoding="utf-8",
    )
    with_labels = ko(tmp_path, module, "build", "--bare", "--push=false", "./cmd/controller")
    webhook = ko(tmp_path, module, "build", "--bare", "--push=false", "./cmd/webhook")
    (module / ".ko-standin.toml").unlink()
    without = ko(tmp_path, module, "build", "--bare", "--push=false", "./cmd/controller")

    assert with_labels.returncode == webhook.returncode == 0
    assert with_labels.stdout != without.stdout  # the labels are in the config, so in the digest
    image = _oci.make_image(
        content_hash=f"{_oci.tree_hash(module / 'cmd' / 'controller')} {MODULE}/cmd/controller",
        platform="linux/amd64",
        entrypoint="/ko-app/controller",
        labels={"org.example/all": "yes", "org.example/defect": "x"},
    )
    assert with_labels.stdout.strip().endswith(image.manifest.digest)
