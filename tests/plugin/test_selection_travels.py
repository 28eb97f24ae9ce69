"""pytest's selection travels to the sessions that run elsewhere (a Job pod, another cluster's session).

run/selection.py turns -k, -m, --deselect, --maxfail and the node ids into arguments those sessions
repeat; node ids are given as the suite names them, since the checkout is elsewhere there. --lf and
--sw live in this machine's cache: with --in-cluster they are a usage error, not a whole-suite run.
"""

from __future__ import annotations

import pytest

from pytest_streamstress.run.selection import selection_arguments, suite_relative_args


def test_k_m_deselect_and_maxfail_become_arguments(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig(
        "--streamstress", "-k", "TC02 or TC03", "-m", "e2e", "--deselect=specs/a.spec::x", "--maxfail=2"
    )
    assert selection_arguments(config) == [
        "-k",
        "TC02 or TC03",
        "-m",
        "e2e",
        "--deselect=specs/a.spec::x",
        "--maxfail=2",
    ]
    assert selection_arguments(pytester.parseconfig("--streamstress")) == []


def test_node_ids_are_given_as_the_suite_names_them(pytester: pytest.Pytester) -> None:
    checkout = pytester.path / "cache" / "release-tests"
    config = pytester.parseconfig(
        "--streamstress", f"{checkout}/specs/pipelines/run.spec::Run sample pipeline: PIPELINES-03-TC01"
    )
    assert suite_relative_args(config) == ["specs/pipelines/run.spec::Run sample pipeline: PIPELINES-03-TC01"]


@pytest.mark.parametrize("flag", ["--lf", "--sw"])
def test_a_selection_from_this_machines_cache_cannot_go_in_cluster(
    pytester: pytest.Pytester, flag: str
) -> None:
    result = pytester.runpytest("--streamstress", "--cluster=emulated", "--in-cluster", flag)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: {flag} with --in-cluster: the selection lives in this machine's pytest cache*"]
    )


def test_the_whole_suites_folder_narrows_nothing(pytester: pytest.Pytester) -> None:
    """A `--clusters` member was given the suite's specs folder and recorded "specs" as its selection."""
    checkout = pytester.path / "cache" / "release-tests"
    assert suite_relative_args(pytester.parseconfig("--streamstress", f"{checkout}/specs")) == []
    one_folder = pytester.parseconfig("--streamstress", f"{checkout}/specs/pac")
    assert suite_relative_args(one_folder) == ["specs/pac"]
