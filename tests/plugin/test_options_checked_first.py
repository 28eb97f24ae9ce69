"""Every option is checked before any work starts: one message with the option, the value and the fix.

Nothing here is cloned, built or deployed: each bad value stops the session at start-up (issue 22).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.tools


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            "--fail-on=upstream-regression,-known,none",
            "--fail-on: 'upstream-regression,-known,none' combines 'none' with other values;*",
        ),
        ("--fail-on=all,config-gap", "--fail-on: 'all,config-gap' combines 'all' with categories;*"),
        ("--fail-on=config-gap,config-gap", "--fail-on: 'config-gap,config-gap' names a value twice"),
        ("--components=pipeline,,triggers", "*--components*entry 2 is empty (two commas in a row?)"),
        ("--components=", "*--components*no component named: leave the option out to build all components*"),
    ],
    ids=["none-and-more", "all-and-categories", "twice", "empty-entry", "empty-components"],
)
def test_a_contradictory_or_empty_option_is_one_usage_error(
    pytester: pytest.Pytester, argument: str, message: str
) -> None:
    result = pytester.runpytest("--streamstress", argument, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}"])
    assert not (pytester.path / ".pytest_cache").exists(), "nothing was cloned"


def test_an_images_from_file_with_a_tag_is_one_usage_error_before_the_cluster_is_touched(
    pytester: pytest.Pytester,
) -> None:
    """It was a build error on every scenario, after auto-setup had already changed the cluster."""
    images = pytester.path / "images.json"
    image = {"name": "pipeline-controller", "ref": "quay.io/x/controller:latest", "env_vars": []}
    images.write_text(
        json.dumps({"components": [{"name": "pipeline", "status": "built", "images": [image]}]})
    )
    missing = pytester.path / "nowhere" / "kubeconfig"  # never read: the file is checked first
    result = pytester.runpytest(
        "--streamstress", f"--images-from={images}", f"--kubeconfig={missing}", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*{images}: --images-from: components[[]0[]] (pipeline) image pipeline-controller:*has no digest*"]
    )
    assert "--kubeconfig" not in result.stderr.str()


def test_a_missing_kubeconfig_is_named_before_anything_is_cloned(pytester: pytest.Pytester) -> None:
    missing = pytester.path / "nowhere" / "kubeconfig"
    result = pytester.runpytest("--streamstress", f"--kubeconfig={missing}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--kubeconfig: {missing} does not exist or is not a file*"])
    assert "release-tests" not in result.stderr.str()


def test_a_context_the_kubeconfig_lacks_is_one_message(pytester: pytest.Pytester, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: real, context: {cluster: c, user: u}}]\n"
        "current-context: real\n"
    )
    result = pytester.runpytest(
        "--streamstress", f"--kubeconfig={kubeconfig}", "--context=typo", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--kubeconfig/--context: cannot use kubeconfig*typo*"])


def test_a_server_that_does_not_answer_costs_one_message_not_one_per_scenario(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: real, context: {cluster: c, user: u}}]\n"
        "current-context: real\n"
    )
    result = pytester.runpytest("--streamstress", f"--kubeconfig={kubeconfig}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*the API server at https://127.0.0.1:9 refused the connection*"])


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("results.json", "is a file, not a folder; give a folder (it is created when missing)"),
        ("results.json/sub", "cannot write there (Not a directory); give a folder you can write*"),
    ],
    ids=["a-file", "under-a-file"],
)
def test_a_results_dir_that_cannot_hold_results_is_one_usage_error(
    pytester: pytest.Pytester, where: str, message: str
) -> None:
    """A file there ended the emulated run with an INTERNALERROR traceback from its upstream checkouts."""
    (pytester.path / "results.json").write_text("{}")
    target = pytester.path / where
    result = pytester.runpytest(
        "--streamstress", "--cluster=emulated", f"--results-dir={target}", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --results-dir {target}: {message}"])
    assert "INTERNALERROR" not in result.stderr.str() + result.stdout.str()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("{}"), "is a file, not a folder; give the history folder*"),
        (
            lambda p: (p.mkdir(), (p / "notes.txt").write_text("x")),
            "holds files but no runs/ folder, so it is not a history; give the history folder*",
        ),
    ],
    ids=["a-file", "not-a-history"],
)
def test_a_history_the_run_cannot_join_is_one_usage_error(
    pytester: pytest.Pytester, make: Callable[[Path], object], message: str
) -> None:
    """Before, both were a log warning nobody saw: the night was neither compared nor kept."""
    history = pytester.path / "history"
    make(history)
    result = pytester.runpytest(
        "--streamstress", "--cluster=emulated", f"--history={history}", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --history {history}: {message}"])


def test_a_new_or_hidden_only_history_folder_is_fine_to_start_one_in(pytester: pytest.Pytester) -> None:
    from pytest_streamstress.options import Settings
    from pytest_streamstress.run.preflight import check_history_dir

    fresh = pytester.path / "new-history"
    checkout = pytester.path / "gh-pages"
    (checkout / ".git").mkdir(parents=True)  # a checkout of a branch with nothing published yet
    for folder in (fresh, checkout):
        config = pytester.parseconfig("--streamstress", f"--history={folder}", "-p", "no:cacheprovider")
        check_history_dir(Settings.from_config(config))
    assert fresh.is_dir()


def test_a_node_id_that_matches_nothing_says_the_exit_code_the_process_has(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "--streamstress",
        "--cluster=emulated",
        "--skip-build",
        "--skip-deploy",
        "-p",
        "no:cacheprovider",
        "specs/pipelines/run.spec::no such scenario",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(
        ["verdict: ERROR: pytest rejected the command line (*), so no scenario ran; exit 4"]
    )
    [written] = (pytester.path / "results").glob("results*.json")
    verdict = json.loads(written.read_text())["verdict"]
    assert verdict["exit_code"] == 4


def test_a_gauge_env_the_suite_lacks_is_one_usage_error_before_the_build(pytester: pytest.Pytester) -> None:
    """gauge stopped every spec with 'Failed to load env', which read as 7 harness failures after the
    build and the deploy."""
    result = pytester.runpytest(
        "--streamstress", "--cluster=emulated", "--gauge-env=nightly", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --gauge-env 'nightly': the suite has no env/nightly folder (*); its environments: default"]
    )
    assert not (pytester.path / "results" / "build").exists(), "nothing was built"
