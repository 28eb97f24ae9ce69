"""The pure parts of `cluster.job`: the results archive, the log filter, the Job's shape and arguments."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pytest_streamstress._infra.redact import Secret
from pytest_streamstress.cluster.job.archive import (
    ARCHIVE_BEGIN,
    ArchiveError,
    ArchiveFilter,
    emit_archive,
    parse_archive,
)
from pytest_streamstress.cluster.job.entry import entry
from pytest_streamstress.cluster.job.manifest import JobRequest, job_manifest


@pytest.fixture
def results(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    (folder / "logs").mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({"run_id": "run-1", "pad": "x" * 3000}))
    (folder / "logs" / "gauge.log").write_text("line\n" * 200)
    return folder


def archived(folder: Path) -> str:
    out = io.StringIO()
    emit_archive(folder, out)
    return out.getvalue()


def test_an_archive_read_back_from_a_log_is_verified_and_keeps_the_rest_of_the_log(results: Path) -> None:
    log_text = "before\n" + archived(results) + "after\n"
    archive = parse_archive(log_text)
    assert archive.log_without_archive == "before\nafter\n"
    assert len(archive.data) > 0


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: lines[1:], "begin marker is missing"),
        (lambda lines: lines[:-1], "end marker is missing"),
        (lambda lines: lines[:2] + lines[3:], "incomplete: got"),
        (lambda lines: [lines[0], lines[1].replace("A", "B", 1), *lines[2:]], "incomplete: got"),
    ],
    ids=["head-rotated-away", "cut-before-the-end", "line-lost", "bytes-changed"],
)
def test_a_damaged_archive_is_an_error_that_says_what_is_wrong(
    results: Path, damage: object, message: str
) -> None:
    lines = archived(results).splitlines(keepends=True)
    damaged = "".join(damage(lines))  # type: ignore[operator]  # the parametrized callables
    with pytest.raises(ArchiveError, match=message):
        parse_archive("log\n" + damaged)


def test_the_filter_shows_one_line_instead_of_the_archive(results: Path) -> None:
    shown: list[str] = []
    text = "first\n" + archived(results) + "last"
    show = ArchiveFilter(shown.append)
    for start in range(0, len(text), 37):  # arbitrary chunking, as a stream delivers it
        show(text[start : start + 37])
    show.flush()
    assert shown[0] == "first\n" and shown[-1] == "last\n"
    assert len(shown) == 3 and "results archive (" in shown[1]
    assert not any(ARCHIVE_BEGIN in line for line in shown)


def test_the_manifest_never_puts_a_secret_in_args_or_plain_env() -> None:
    request = JobRequest(
        namespace="ns",
        image="img",
        plugin_args=("--streamstress",),
        secret_env=(("GITHUB_TOKEN", Secret("ghp_supersecret")),),
    )
    manifest = job_manifest(request, "streamstress-1", secret_name="streamstress-1-env")
    assert "ghp_supersecret" not in json.dumps(manifest)
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["results", "--", "--streamstress"]
    token = next(e for e in container["env"] if e["name"] == "GITHUB_TOKEN")
    assert token["valueFrom"] == {"secretKeyRef": {"name": "streamstress-1-env", "key": "GITHUB_TOKEN"}}


def test_shards_make_an_indexed_job_whose_pods_all_run_at_once_and_read_the_plan_from_its_config_map() -> (
    None
):
    request = JobRequest(
        namespace="ns",
        image="img",
        plugin_args=("--streamstress", "--shard=$(JOB_COMPLETION_INDEX)/3"),
        completions=3,
        config_env=(("STREAMSTRESS_SHARD_PLAN", '{"count": 3}'),),
    )

    manifest = job_manifest(request, "streamstress-1")

    spec = manifest["spec"]
    assert (spec["completionMode"], spec["completions"], spec["parallelism"]) == ("Indexed", 3, 3)
    assert spec["backoffLimitPerIndex"] == 0 and "backoffLimit" not in spec  # one lost shard stops no other
    container = spec["template"]["spec"]["containers"][0]
    plan = next(e for e in container["env"] if e["name"] == "STREAMSTRESS_SHARD_PLAN")
    assert plan["valueFrom"] == {
        "configMapKeyRef": {"name": "streamstress-1-config", "key": "STREAMSTRESS_SHARD_PLAN"}
    }
    assert '{"count": 3}' not in json.dumps(manifest)


def test_one_shard_is_the_ordinary_one_pod_job_without_retries() -> None:
    spec = job_manifest(JobRequest(namespace="ns", image="img", plugin_args=()), "streamstress-1")["spec"]

    assert spec["backoffLimit"] == 0 and "completionMode" not in spec


@pytest.mark.parametrize(
    ("pytest_code", "job_code"),
    [(0, 0), (1, 0), (2, 2), (4, 4)],
    ids=["passed", "scenarios-failed", "interrupted", "usage-error"],
)
def test_the_entry_point_fails_the_job_only_when_pytest_could_not_run_the_suite(
    results: Path, pytest_code: int, job_code: int
) -> None:
    out = io.StringIO()
    assert (
        entry([str(results), "--", "--streamstress"], out=out, run_pytest=lambda _args: pytest_code)
        == job_code
    )
    archive = parse_archive(out.getvalue())
    assert archive.exit_code == pytest_code


def test_the_pod_kubeconfig_points_at_the_mounted_token_without_copying_it(tmp_path: Path) -> None:
    from pytest_streamstress._infra.redact import Redactor
    from pytest_streamstress.cluster.access import Access
    from pytest_streamstress.cluster.client import Cluster
    from pytest_streamstress.cluster.job.kubeconfig import write_incluster_kubeconfig

    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text("sa-token-value")
    (account / "ca.crt").write_text("not a real CA")
    (account / "namespace").write_text("openshift-pipelines")
    path = tmp_path / "home" / ".kube" / "config"
    environ = {"KUBERNETES_SERVICE_HOST": "172.30.0.1", "KUBERNETES_SERVICE_PORT": "443"}

    assert write_incluster_kubeconfig(path, environ, account_dir=account)
    assert "sa-token-value" not in path.read_text()
    cluster = Cluster.connect(Access(kubeconfig=path), redactor=Redactor())
    assert cluster.server == "https://172.30.0.1:443"
    assert cluster.token is not None and cluster.token.reveal() == "sa-token-value"
    cluster.close()


def test_no_pod_kubeconfig_is_written_outside_a_pod(tmp_path: Path) -> None:
    from pytest_streamstress.cluster.job.kubeconfig import write_incluster_kubeconfig

    assert not write_incluster_kubeconfig(tmp_path / "config", {}, account_dir=tmp_path)
    assert not (tmp_path / "config").exists()


def _block(data: bytes, *, end_digest: str | None = None) -> str:
    import base64
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    encoded = base64.b64encode(data).decode()
    return (
        f"{ARCHIVE_BEGIN}: format=tar.gz+base64 size={len(data)} sha256={digest} ====\n{encoded}\n"
        f"==== streamstress results archive end: sha256={end_digest or digest} ====\n"
    )


def test_an_archive_entry_outside_the_destination_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    import tarfile

    from pytest_streamstress.cluster.job.collect import extract_archive

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in ("results.json", "../escaped.txt"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"{}"))
    archive = parse_archive(_block(buffer.getvalue()))
    with pytest.raises(ArchiveError, match=r"unsafe entry '\.\./escaped\.txt'"):
        extract_archive(archive.data, tmp_path / "dest")
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "dest").exists()


def test_an_end_marker_of_another_archive_is_an_error(results: Path) -> None:
    import hashlib

    text = archived(results)
    damaged = _block(b"x" * 10, end_digest=hashlib.sha256(b"other").hexdigest())
    with pytest.raises(ArchiveError, match="end marker does not match"):
        parse_archive(text + damaged)
