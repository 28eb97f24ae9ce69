"""Where the specs come from: --release-tests-dir, or a real git clone at a ref (issue 2 item 5)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_streamstress._infra import proc as _proc

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SPEC = "# Versions\n\n## Check versions: PIPELINES-22-TC01\nTags: sanity\n* Check\n"
EXTRA = "# Extra\n\n## Extra scenario: PIPELINES-98-TC01\n* Extra\n"


def git(repo: Path, *args: str) -> None:
    argv = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(repo), *args]
    _proc.run(argv, timeout=60, check=True)


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    """A release-tests-like repository: tag v1 has one spec, branch main a second one."""
    repo = tmp_path / "upstream"
    (repo / "specs").mkdir(parents=True)
    (repo / "manifest.json").write_text('{"Language": "go"}')
    (repo / "specs" / "versions.spec").write_text(SPEC)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "v1")
    git(repo, "tag", "v1")
    (repo / "specs" / "extra.spec").write_text(EXTRA)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "extra")
    return repo


def items(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if "::" in line]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--streamstress", "--collect-only", "-q", *args)


@pytest.mark.tools
def test_a_second_session_reuses_the_clone_and_moves_it_to_the_new_ref(
    pytester: pytest.Pytester, upstream: Path
) -> None:
    first = run(pytester, f"--release-tests-repo={upstream}", "--release-tests-ref=v1")
    second = run(pytester, f"--release-tests-repo={upstream}", "--release-tests-ref=main")
    assert items(first) == ["specs/versions.spec::Check versions: PIPELINES-22-TC01"]
    assert items(second) == [
        "specs/extra.spec::Extra scenario: PIPELINES-98-TC01",
        "specs/versions.spec::Check versions: PIPELINES-22-TC01",
    ]


@pytest.mark.tools
def test_a_commit_sha_is_a_valid_ref(pytester: pytest.Pytester, upstream: Path) -> None:
    sha = _proc.run(["git", "-C", str(upstream), "rev-parse", "v1"], timeout=60, check=True).stdout.strip()
    result = run(pytester, f"--release-tests-repo={upstream}", f"--release-tests-ref={sha}")
    assert items(result) == ["specs/versions.spec::Check versions: PIPELINES-22-TC01"]


@pytest.mark.tools
def test_unknown_ref_is_a_usage_error_naming_the_options_and_the_fix(
    pytester: pytest.Pytester, upstream: Path
) -> None:
    result = run(pytester, f"--release-tests-repo={upstream}", "--release-tests-ref=no-such-ref")
    result.stderr.fnmatch_lines(
        [
            f"*--release-tests-repo/--release-tests-ref: cannot check out {upstream} at 'no-such-ref'*",
            "*hint: check the URL and ref, or use --release-tests-dir with a local checkout*",
        ]
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_missing_release_tests_dir_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--release-tests-dir=nowhere")
    result.stderr.fnmatch_lines([f"*--release-tests-dir: {pytester.path / 'nowhere'} is not a directory*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_release_tests_dir_without_manifest_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.mkdir("plain")
    result = run(pytester, "--release-tests-dir=plain")
    result.stderr.fnmatch_lines(["*--release-tests-dir: *plain is not a Gauge project (no manifest.json)*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_explicit_paths_are_collected_as_given_without_a_checkout(pytester: pytest.Pytester) -> None:
    root = pytester.mkdir("suite")
    (root / "manifest.json").write_text("{}")
    (root / "one.spec").write_text(SPEC)
    result = run(pytester, "suite", "--release-tests-repo=/nonexistent/repo")
    assert items(result) == ["one.spec::Check versions: PIPELINES-22-TC01"]


def test_spec_outside_a_gauge_project_is_a_collection_error_saying_so(pytester: pytest.Pytester) -> None:
    pytester.makefile(".spec", lonely=SPEC)
    result = run(pytester, "lonely.spec")
    result.stdout.fnmatch_lines(["*lonely.spec:1: not inside a Gauge project: no manifest.json*"])
    result.assert_outcomes(errors=1)


@pytest.mark.tools
def test_clone_goes_to_the_default_cache_dir_even_without_the_cache_plugin(
    pytester: pytest.Pytester, upstream: Path
) -> None:
    result = run(
        pytester, "-p", "no:cacheprovider", f"--release-tests-repo={upstream}", "--release-tests-ref=v1"
    )
    assert items(result) == ["specs/versions.spec::Check versions: PIPELINES-22-TC01"]
    assert (pytester.path / ".pytest_cache" / "d" / "streamstress-release-tests").is_dir()
