"""The gauge stand-in's `when_running` condition (added for issue 11's end-to-end bisect).

Its positive case, a scenario failing only while the cluster runs a given image, is exercised over
the emulator by tests/cluster/test_bisect_e2e.py; these cover the file syntax and an unreadable cluster.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_streamstress.testing.standins.gauge_outcomes import OutcomeFileError, load_outcomes


def outcome_file(tmp_path: Path, when_running: str) -> Path:
    path = tmp_path / "outcomes.toml"
    path.write_text(f'[[scenario]]\nmatch = "TC01"\nwhen_running = {when_running}\n', encoding="utf-8")
    return path


def test_when_running_is_read_with_the_default_namespace(tmp_path: Path) -> None:
    path = outcome_file(tmp_path, '{ deployment = "tekton-pipelines-controller", image_in = ["sha256:ab"] }')

    (rule,) = load_outcomes(path).scenarios

    assert rule.when_running is not None
    assert (rule.when_running.namespace, rule.when_running.deployment, rule.when_running.image_in) == (
        "openshift-pipelines",
        "tekton-pipelines-controller",
        ("sha256:ab",),
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"sha256:ab"', "when_running must be a table"),
        ('{ image_in = ["x"] }', "needs deployment = '<name>' and image_in"),
        ('{ deployment = "d", image_in = [] }', "image_in must list at least one"),
        ('{ deployment = "d", image_in = ["x"], namspace = "n" }', r"unknown key\(s\) namspace"),
    ],
    ids=["not-a-table", "no-deployment", "empty-images", "misspelt-key"],
)
def test_malformed_when_running_names_the_entry_and_the_fix(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(OutcomeFileError, match=r"\[\[scenario\]\] #1: when_running") as caught:
        load_outcomes(outcome_file(tmp_path, value))

    assert caught.match(message)


def test_unreadable_cluster_makes_the_condition_false_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    (rule,) = load_outcomes(outcome_file(tmp_path, '{ deployment = "d", image_in = ["x"] }')).scenarios

    matched = rule.matches(spec_path="/s/a.spec", heading="TC01", step_texts=())

    assert not matched
    assert "Warning: cannot read deployment openshift-pipelines/d" in capsys.readouterr().err
