"""Failures with one cause group together; different causes stay apart."""

from __future__ import annotations

from pytest_streamstress.history.clusters import cluster_failures, normalize


def test_messages_differing_only_in_generated_names_share_a_signature() -> None:
    a = (
        'pipelinerun "output-pipeline-run-vb" failed in namespace releasetest-7xk2q: pod '
        "output-pipeline-run-vb-build-pod-6d9f7c8b5d-abcde ImagePullBackOff at 2026-06-29T10:15:02Z"
    )
    b = (
        'pipelinerun "git-clone-run" failed in namespace releasetest-9fz1c: pod '
        "git-clone-run-build-pod-7f8e9d0c1b-xyz12 ImagePullBackOff at 2026-06-30T01:02:03Z"
    )
    assert normalize(a) == normalize(b)


def test_digests_numbers_and_durations_are_normalized() -> None:
    a = "image quay.io/x@sha256:" + "a" * 64 + " not found after 120s (attempt 3)"
    b = "image quay.io/x@sha256:" + "b" * 64 + " not found after 45s (attempt 1)"
    assert normalize(a) == normalize(b)


def test_twenty_scenarios_with_one_cause_are_one_cluster() -> None:
    messages = {
        f"specs/s.spec::T{i}": f'secrets "git-credentials-{i}" not found in releasetest-ab{i:03d}x'
        for i in range(20)
    }
    messages["specs/other.spec::X"] = (
        "panic: runtime error: invalid memory address or nil pointer dereference"
    )
    clusters = cluster_failures(messages)
    assert [len(c.members) for c in clusters] == [20, 1]


def test_different_causes_stay_apart() -> None:
    clusters = cluster_failures(
        {"a": "connection refused", "b": "x509: certificate signed by unknown authority"}
    )
    assert len(clusters) == 2
