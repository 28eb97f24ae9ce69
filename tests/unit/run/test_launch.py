"""`--in-cluster`: the session's option text becomes the Job's pytest arguments (run/launch.py)."""

from __future__ import annotations

from pytest_streamstress.run.launch import plugin_arguments


def test_plugin_arguments_forward_the_run_options_and_replace_the_local_ones() -> None:
    raw = {
        "streamstress": ["true"],
        "components": ["pipeline:v0.62.0"],
        "in_cluster": ["true"],
        "job_image": ["quay.io/x:1"],
        "kubeconfig": ["/home/me/.kube/config"],
        "gauge_tags": ["e2e & !tls"],
        "skip_deploy": ["false"],
        "results_dir": ["/tmp/here"],
        "image": ["a=b"],
    }
    args = plugin_arguments(raw, [("pipeline-controller", "reg/ns/c@sha256:" + "1" * 64)])
    assert args == [
        "--streamstress",
        "--components=pipeline:v0.62.0",
        "--gauge-tags=e2e & !tls",
        "--skip-build",
        "--image=pipeline-controller=reg/ns/c@sha256:" + "1" * 64,
        "--results-dir=results",
    ]


def test_a_shard_pod_runs_its_index_deploys_nothing_and_leaves_restore_and_publish_to_the_run() -> None:
    raw = {
        "components": ["pipeline"],
        "shards": ["4"],
        "restore": ["true"],
        "publish": ["true"],
        "skip_deploy": ["false"],
        "gauge_tags": ["e2e"],
    }

    args = plugin_arguments(raw, [], shards=4)

    assert args == [
        "--streamstress",
        "--components=pipeline",
        "--gauge-tags=e2e",
        "--skip-build",
        "--results-dir=results",
        "--skip-deploy",
        "--shard=$(JOB_COMPLETION_INDEX)/4",
    ]


def test_the_pod_repeats_pytests_selection_after_the_plugin_options() -> None:
    """The pod dropped -k and node ids: `-k TC02 --in-cluster` ran the whole suite in the cluster."""
    selection = ["-k", "TC02", "specs/pipelines/run.spec::Pipelinerun with finally tasks: DEMO-03-TC02"]
    args = plugin_arguments({"components": ["pipeline"]}, [], selection=selection)
    assert args[-3:] == selection
    assert args[: -len(selection)] == [
        "--streamstress",
        "--components=pipeline",
        "--skip-build",
        "--results-dir=results",
    ]
