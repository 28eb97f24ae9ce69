"""The pure parts of the build phase: ko output, push/pull refs, tool choice, reused images (R13)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pytest_streamstress import build
from pytest_streamstress._infra.redact import Secret
from pytest_streamstress.build import (
    RegistryTarget,
    containerfile,
    images_from_assignments,
    images_from_results,
    ko,
)
from pytest_streamstress.build.registry import docker_config_json
from pytest_streamstress.components import load_catalog
from pytest_streamstress.errors import ConfigError, ToolNotFound
from pytest_streamstress.model import BuildResult, BuildStatus, BuiltImage, ComponentName, ImageRef, ImageSpec
from pytest_streamstress.testing.standins import install_standins

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64
REPO = "route.example/tekton-upstream/pipeline-controller"


def test_ko_ref_is_found_by_name_not_by_line_position() -> None:
    stdout = f"route.example/tekton-upstream/pipeline-webhook@{D1}\n{REPO}@{D2}\n"
    assert ko.find_ref(stdout, repository=REPO) == f"{REPO}@{D2}"


def test_ko_ref_with_a_tag_matches_its_repository() -> None:
    assert ko.find_ref(f"{REPO}:v1@{D1}\n", repository=REPO) == f"{REPO}:v1@{D1}"


def test_ko_ref_of_a_longer_name_with_the_same_prefix_does_not_match() -> None:
    assert ko.find_ref(f"{REPO}-extra@{D1}\n", repository=REPO) is None


def test_multi_platform_image_refs_file_yields_the_index_first_line() -> None:
    refs_file = f"{REPO}@{D1}\n{REPO}@{D2}\n{REPO}@{D3}\n"
    assert ko.built_ref(stdout="", refs_file_text=refs_file, repository=REPO) == f"{REPO}@{D1}"


def test_stdout_wins_over_the_image_refs_file() -> None:
    assert (
        ko.built_ref(stdout=f"{REPO}@{D3}\n", refs_file_text=f"{REPO}@{D1}\n", repository=REPO)
        == f"{REPO}@{D3}"
    )


def test_ko_command_line_uses_bare_naming_and_no_sbom() -> None:
    image = ImageSpec(name="pipeline-controller", path="./cmd/controller", env_vars=("IMAGE_X",))
    argv = ko.ko_argv(image, refs_file=Path("/w/refs"), platform="linux/arm64", insecure=True)
    assert argv == [
        "ko",
        "build",
        "--bare",
        "--sbom=none",
        "--image-refs",
        "/w/refs",
        "--platform",
        "linux/arm64",
        "--insecure-registry",
        "./cmd/controller",
    ]


def test_ko_env_sets_the_image_repository_and_vendored_modules() -> None:
    env = ko.ko_env(repository=REPO, base_env={"GOFLAGS": "-trimpath"})
    assert env["KO_DOCKER_REPO"] == REPO
    assert env["GOFLAGS"] == "-trimpath -mod=vendor"


def test_ko_env_drops_the_go_platform_variables_when_a_platform_is_passed() -> None:
    base = {"GOOS": "darwin", "GOARCH": "arm64", "GOARM": "7", "HOME": "/root"}
    env = ko.ko_env(repository=REPO, base_env=base, platform="linux/amd64")
    assert not {"GOOS", "GOARCH", "GOARM"} & set(env)
    assert env["HOME"] == "/root"


def test_ko_env_keeps_the_go_platform_variables_without_a_platform() -> None:
    env = ko.ko_env(repository=REPO, base_env={"GOOS": "linux", "GOARCH": "arm64"})
    assert (env["GOOS"], env["GOARCH"]) == ("linux", "arm64")


def test_pushed_ref_maps_to_the_in_cluster_pull_host() -> None:
    target = RegistryTarget.cluster("default-route-openshift-image-registry.apps.example.com", token=None)
    pushed = (
        f"default-route-openshift-image-registry.apps.example.com/tekton-upstream/pipeline-controller:x@{D1}"
    )
    assert target.pull_ref(pushed) == (
        f"image-registry.openshift-image-registry.svc:5000/tekton-upstream/pipeline-controller@{D1}"
    )


def test_external_registry_is_pulled_from_where_it_was_pushed() -> None:
    target = RegistryTarget.from_option("quay.io/myorg")
    assert (
        target.pull_ref(f"quay.io/myorg/pipeline-controller@{D1}")
        == f"quay.io/myorg/pipeline-controller@{D1}"
    )


def test_registry_option_with_a_port_and_no_namespace_uses_tekton_upstream() -> None:
    target = RegistryTarget.from_option("https://127.0.0.1:5000")
    assert (target.push, target.insecure) == ("127.0.0.1:5000/tekton-upstream", False)


def test_a_plain_http_registry_needs_registry_insecure() -> None:
    with pytest.raises(ConfigError, match=r"--registry: 'http://127.0.0.1:5000' is plain HTTP") as excinfo:
        RegistryTarget.from_option("http://127.0.0.1:5000", password=Secret("token-value"))
    assert "--registry-insecure" in str(excinfo.value)


def test_a_plain_http_registry_never_gets_the_credentials() -> None:
    target = RegistryTarget.from_option(
        "http://127.0.0.1:5000", password=Secret("token-value"), insecure=True
    )
    assert (target.insecure, target.password, target.basic_credentials()) == (True, None, None)


def test_registry_option_with_three_levels_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"--registry: 'a/b/c' is not HOST or HOST/NAMESPACE"):
        RegistryTarget.from_option("a/b/c")


def test_docker_config_adds_our_auth_and_keeps_the_users_other_hosts() -> None:
    target = RegistryTarget(push="reg.example/ns", password=Secret("tok-en-value"))
    config = docker_config_json(target, {"auths": {"quay.io": {"auth": "x"}}, "credsStore": "desktop"})
    assert config["auths"]["quay.io"] == {"auth": "x"}
    assert config["auths"]["reg.example"] == {"auth": "c3RyZWFtc3RyZXNzOnRvay1lbi12YWx1ZQ=="}
    assert "credsStore" not in config


def test_docker_push_digest_is_read_from_the_digest_line() -> None:
    output = f"The push refers to repository [r/ns/x]\nabc: Pushed\nlatest: digest: {D2} size: 528\n"
    assert containerfile.pushed_digest("docker", output=output, digest_file_text="") == D2


def test_podman_push_digest_is_read_from_the_digest_file() -> None:
    assert containerfile.pushed_digest("podman", output="Writing manifest", digest_file_text=D3 + "\n") == D3


def test_podman_push_gets_tls_verify_false_only_when_insecure() -> None:
    insecure = containerfile.push_argv("podman", tag="r/ns/x:1", insecure=True, digest_file=Path("/d"))
    docker = containerfile.push_argv("docker", tag="r/ns/x:1", insecure=True, digest_file=Path("/d"))
    assert insecure == ["podman", "push", "--digestfile", "/d", "--tls-verify=false", "r/ns/x:1"]
    assert docker == ["docker", "push", "r/ns/x:1"]


def test_auto_container_tool_prefers_podman(tmp_path: Path) -> None:
    both = install_standins(tmp_path / "both", ("docker", "podman"))
    only_docker = install_standins(tmp_path / "docker", ("docker",))
    assert containerfile.choose_tool("auto", env={"PATH": str(both)}) == "podman"
    assert containerfile.choose_tool("auto", env={"PATH": str(only_docker)}) == "docker"


def test_no_container_tool_is_one_message_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ToolNotFound, match="neither podman nor docker is on PATH") as info:
        containerfile.choose_tool("auto", env={"PATH": str(tmp_path)})
    assert "--container-tool" in info.value.hint


def test_image_assignment_becomes_a_reused_result_with_catalog_env_vars() -> None:
    (result,) = images_from_assignments([("pipeline-webhook", f"quay.io/x/webhook@{D1}")], load_catalog())
    assert result.component == "pipeline" and result.status is BuildStatus.REUSED
    assert [(i.name, i.env_vars) for i in result.images] == [
        ("pipeline-webhook", ("IMAGE_PIPELINES_WEBHOOK",))
    ]


def test_image_assignment_without_a_digest_is_refused_with_the_fix() -> None:
    with pytest.raises(
        ConfigError, match=r"--image pipeline-webhook=quay.io/x/webhook:latest: .* has no digest"
    ):
        images_from_assignments([("pipeline-webhook", "quay.io/x/webhook:latest")], load_catalog())


def test_image_assignment_with_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown image name 'controller'; known: .*pipeline-controller"):
        images_from_assignments([("controller", f"quay.io/x/c@{D1}")], load_catalog())


def test_images_from_results_reads_components_images_and_skips_failed_ones(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(
        json.dumps(
            {
                "components": [
                    {
                        "name": "pipeline",
                        "repo": "https://github.com/tektoncd/pipeline",
                        "ref": "pr/7",
                        "status": "built",
                        "commit": {"sha": "a" * 40, "date": "2024-01-01T00:00:00Z", "subject": "s"},
                        "images": [
                            {
                                "name": "pipeline-controller",
                                "ref": f"r/ns/pipeline-controller@{D1}",
                                "env_vars": [],
                            }
                        ],
                    },
                    {"name": "triggers", "status": "failed", "images": []},
                ]
            }
        ),
        encoding="utf-8",
    )
    (result,) = images_from_results(path, load_catalog())
    assert result.status is BuildStatus.REUSED and result.source is not None and result.source.sha == "a" * 40
    assert result.images[0].env_vars == ("IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER",)


def test_images_handed_over_by_the_same_run_stay_built_and_a_given_one_stays_reused(tmp_path: Path) -> None:
    """--clusters' members and a Job's pods deploy what their run built: it reads 'built', not 'reused'."""
    built = {
        "name": "pipeline",
        "status": "built",
        "images": [{"name": "pipeline-controller", "ref": f"r/ns/pipeline-controller@{D1}", "env_vars": []}],
    }
    given = {**built, "name": "triggers", "status": "reused"}
    given["images"] = [
        {"name": "triggers-controller", "ref": f"r/ns/triggers-controller@{D2}", "env_vars": []}
    ]
    handed = tmp_path / "images.json"
    handed.write_text(
        json.dumps({"handed_over_by": "--clusters", "components": [built, given]}), encoding="utf-8"
    )
    earlier = tmp_path / "results.json"
    earlier.write_text(json.dumps({"components": [built, given]}), encoding="utf-8")

    assert [r.status for r in images_from_results(handed, load_catalog())] == [
        BuildStatus.BUILT,
        BuildStatus.REUSED,
    ]
    assert [r.status for r in images_from_results(earlier, load_catalog())] == [BuildStatus.REUSED] * 2


def test_images_from_a_file_that_is_not_results_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(textwrap.dedent('{"tests": []}'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"other\.json: --images-from: no 'components' list"):
        images_from_results(path)


def _result(name: str, status: BuildStatus) -> BuildResult:
    images = (
        ()
        if status is BuildStatus.FAILED
        else (BuiltImage(name=f"{name}-c", ref=ImageRef(f"r/ns/{name}-c@{D1}"), env_vars=("IMAGE_X",)),)
    )
    return BuildResult(
        component=ComponentName(name),
        repo="r",
        status=status,
        images=images,
        error="building x failed: exit code 1\nmore" if status is BuildStatus.FAILED else "",
        log_path=Path(f"/logs/build-{name}.log"),
    )


def test_a_failed_build_skips_the_deploy_and_names_the_log() -> None:
    decision = build.decide(
        [_result("pipeline", BuildStatus.BUILT), _result("triggers", BuildStatus.FAILED)],
        deploy_partial=False,
    )
    assert decision.skip_deploy and decision.deploy == ()
    assert "  - triggers: building x failed: exit code 1 (log: /logs/build-triggers.log)" in decision.error


def test_deploy_partial_deploys_what_built_and_still_reports_the_failure() -> None:
    decision = build.decide(
        [_result("pipeline", BuildStatus.BUILT), _result("triggers", BuildStatus.FAILED)], deploy_partial=True
    )
    assert [r.component for r in decision.deploy] == ["pipeline"] and not decision.skip_deploy
    assert "1 of 2 component build(s) failed" in decision.error
