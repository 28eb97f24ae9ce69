"""Publishing to a gh-pages branch with real git against a local bare repository."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.redact import Redactor, Secret
from pytest_streamstress._infra.waits import Probe, wait_until
from pytest_streamstress.cli import main as cli
from pytest_streamstress.errors import ConfigError, ToolFailed
from pytest_streamstress.report.publish import PublishResult, auth_environment, pages_url, publish_run
from pytest_streamstress.testing.histories import generate_history, write_results_dirs

pytestmark = pytest.mark.tools
TOKEN = "ghp_" + "T0kenValue" * 4
BUDGET = 50_000_000


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60
    ).stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "pages.git"
    git("init", "-q", "--bare", str(bare))
    return bare


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_results_dirs(generate_history(5, 15), tmp_path_factory.mktemp("results"))


def publish(results_dir: Path, remote: Path, work_dir: Path, **options: Any) -> PublishResult:
    defaults: dict[str, Any] = {
        "repo": str(remote),
        "branch": "gh-pages",
        "label": "",
        "token": None,
        "budget": BUDGET,
        "redactor": Redactor(),
    }
    defaults.update(options)
    return publish_run(results_dir, work_dir=work_dir, **defaults)


def branch_files(remote: Path) -> dict[str, str]:
    """path -> blob id of every file on gh-pages."""
    listing = git("--git-dir", str(remote), "ls-tree", "-r", "gh-pages")
    return {line.split("\t")[1]: line.split()[2] for line in listing.splitlines()}


def published_runs(remote: Path) -> set[str]:
    return {path.split("/")[1] for path in branch_files(remote) if path.startswith("runs/")}


def test_two_runs_published_in_sequence_are_both_on_the_branch(
    tmp_path: Path, remote: Path, runs: list[Path]
):
    first = publish(runs[0], remote, tmp_path / "w1")
    second = publish(runs[1], remote, tmp_path / "w2")
    assert published_runs(remote) == {runs[0].name, runs[1].name}
    assert {"index.html", "index.json", "assets/app.js", "assets/d3.min.js"} <= set(branch_files(remote))
    assert (first.attempts, second.attempts) == (1, 1)
    assert git("--git-dir", str(remote), "rev-list", "--count", "gh-pages").strip() == "2"


def test_publishing_a_run_leaves_earlier_runs_byte_identical(tmp_path: Path, remote: Path, runs: list[Path]):
    publish(runs[0], remote, tmp_path / "w1")
    before = branch_files(remote)[f"runs/{runs[0].name}/results.json"]
    publish(runs[1], remote, tmp_path / "w2")
    assert branch_files(remote)[f"runs/{runs[0].name}/results.json"] == before
    assert git("hash-object", str(runs[0] / "results.json")).strip() == before


def test_publishing_the_same_run_again_changes_nothing(
    tmp_path: Path, remote: Path, runs: list[Path]
) -> None:
    first = publish(runs[0], remote, tmp_path / "w")
    again = publish(runs[0], remote, tmp_path / "w")
    assert again.already_published
    assert again.commit == first.commit == git("--git-dir", str(remote), "rev-parse", "gh-pages").strip()


def test_two_racing_publishers_both_land(tmp_path: Path, remote: Path, runs: list[Path]) -> None:
    publish(runs[0], remote, tmp_path / "w0")
    barrier = threading.Barrier(2, timeout=30)
    results: dict[str, PublishResult | BaseException] = {}

    def worker(run: Path) -> None:
        barrier.wait()
        try:
            results[run.name] = publish(run, remote, tmp_path / f"w-{run.name}")
        except BaseException as exc:  # reported by the assertion below
            results[run.name] = exc

    threads = [threading.Thread(target=worker, args=(run,)) for run in runs[1:3]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(result, PublishResult) for result in results.values()), results
    assert published_runs(remote) == {run.name for run in runs[:3]}


def test_eight_publishers_at_once_all_land(tmp_path: Path, remote: Path) -> None:
    """Issue 19: with a fixed number of attempts one of eight gave up after six lost races."""
    eight = write_results_dirs(generate_history(9, 6, seed=19), tmp_path / "eight")
    publish(eight[0], remote, tmp_path / "w0")
    barrier = threading.Barrier(8, timeout=60)
    results: dict[str, PublishResult | BaseException] = {}

    def worker(run: Path) -> None:
        barrier.wait()
        try:
            results[run.name] = publish(run, remote, tmp_path / f"w-{run.name}")
        except BaseException as exc:  # reported by the assertion below
            results[run.name] = exc

    threads = [threading.Thread(target=worker, args=(run,)) for run in eight[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert all(isinstance(result, PublishResult) for result in results.values()), results
    assert len(results) == 8
    assert published_runs(remote) == {run.name for run in eight}


class FakeClock:
    """Time moves only by the back-off the publisher sleeps (R36)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_lost_races_are_retried_with_jitter_until_the_publish_timeout_then_named(
    tmp_path: Path, remote: Path, runs: list[Path]
) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'cannot lock ref: somebody else is pushing' >&2\nexit 1\n")
    hook.chmod(0o755)
    clock = FakeClock()
    with pytest.raises(ToolFailed) as excinfo:
        publish(runs[0], remote, tmp_path / "w", publish_timeout=5, clock=clock, jitter=random.Random(19))
    assert "within 5s (--publish-timeout)" in str(excinfo.value)
    assert len(clock.sleeps) >= 3
    assert sum(clock.sleeps) <= 5
    caps = [min(8.0, 0.25 * 2**n) for n in range(1, len(clock.sleeps) + 1)]
    assert all(0 <= pause <= cap for pause, cap in zip(clock.sleeps, caps, strict=True))
    assert len(set(clock.sleeps)) == len(clock.sleeps)  # jittered, never in lock step


def test_a_publisher_that_loses_the_race_redoes_its_change_on_the_new_tip(
    tmp_path: Path, remote: Path, runs: list[Path]
) -> None:
    """A pre-push hook makes a real second publisher land first, so the first push is always rejected."""
    publish(runs[0], remote, tmp_path / "w0")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    marker = tmp_path / "raced"
    (hooks / "pre-push").write_text(
        "#!/bin/sh\n"
        f'[ -e "{marker}" ] && exit 0\n'
        f'touch "{marker}"\n'
        f'exec "{sys.executable}" -m pytest_streamstress.cli.main publish "{runs[2]}" --repo "{remote}"'
        f' --work-dir "{tmp_path / "rival"}" >/dev/null\n'
    )
    (hooks / "pre-push").chmod(0o755)
    environ = dict(
        os.environ, GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="core.hooksPath", GIT_CONFIG_VALUE_0=str(hooks)
    )
    result = publish(runs[1], remote, tmp_path / "w1", environ=environ)
    assert result.attempts == 2
    assert published_runs(remote) == {runs[0].name, runs[1].name, runs[2].name}
    assert "--force" not in (tmp_path / "w1" / "publish.log").read_text()


def test_the_branch_is_squashed_by_a_leased_push_and_keeps_every_run(
    tmp_path: Path, remote: Path, runs: list[Path]
) -> None:
    blobs = []
    results = []
    for number, run in enumerate(runs):
        results.append(publish(run, remote, tmp_path / f"w{number}", squash_after=2))
        blobs.append(branch_files(remote)[f"runs/{run.name}/results.json"])
    assert [r.squashed for r in results] == [False, False, True, False, True]
    assert int(git("--git-dir", str(remote), "rev-list", "--count", "gh-pages")) <= 2
    assert published_runs(remote) == {run.name for run in runs}
    files = branch_files(remote)
    assert [files[f"runs/{run.name}/results.json"] for run in runs] == blobs


def test_the_token_reaches_neither_git_config_nor_any_log(
    tmp_path: Path, remote: Path, runs: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    secret = Secret(TOKEN)
    redactor = Redactor([secret])
    with caplog.at_level(logging.DEBUG):
        publish(
            runs[0],
            remote,
            tmp_path / "w",
            token=secret,
            redactor=redactor,
            environ=dict(os.environ, GITHUB_TOKEN=TOKEN),
        )
    assert TOKEN not in (tmp_path / "w" / "checkout" / ".git" / "config").read_text()
    for path in (tmp_path / "w").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert TOKEN not in caplog.text
    assert git("config", "--get", "remote.origin.url", cwd=tmp_path / "w" / "checkout").strip() == str(remote)


def test_the_token_is_handed_to_git_as_an_environment_only_header() -> None:
    env = auth_environment(Secret(TOKEN), {"GIT_CONFIG_COUNT": "1"}, Redactor())
    assert env["GIT_CONFIG_COUNT"] == "2"
    assert env["GIT_CONFIG_KEY_1"] == "http.extraHeader"
    assert env["GIT_CONFIG_VALUE_1"].startswith("Authorization: Basic ")
    assert TOKEN not in env["GIT_CONFIG_VALUE_1"]


def test_a_remote_url_holding_credentials_is_refused(tmp_path: Path, runs: list[Path]) -> None:
    with pytest.raises(ConfigError, match=r"holds credentials \(https://\*\*\*@github.com/o/r.git\)"):
        publish(runs[0], Path("x"), tmp_path / "w", repo=f"https://x-access-token:{TOKEN}@github.com/o/r.git")


@pytest.mark.parametrize(
    ("repo", "url"),
    [
        (
            "https://github.com/openshift-pipelines/streamstress.git",
            "https://openshift-pipelines.github.io/streamstress/",
        ),
        ("git@github.com:org/site", "https://org.github.io/site/"),
        ("/srv/git/pages.git", ""),
    ],
    ids=["https", "ssh", "local"],
)
def test_pages_url_follows_github_conventions(repo: str, url: str) -> None:
    assert pages_url(repo) == url


def test_publish_command_pushes_and_says_where(
    tmp_path: Path,
    remote: Path,
    runs: list[Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    code = cli.main(["publish", str(runs[3]), "--repo", str(remote), "--label", "nightly"])
    out = capsys.readouterr()
    assert code == 0
    assert f"published {runs[3].name} to {remote} (gh-pages)" in out.out
    assert TOKEN not in out.out + out.err
    assert published_runs(remote) == {runs[3].name}


def test_sigterm_during_a_publish_ends_its_git_and_says_interrupted(
    tmp_path: Path, remote: Path, runs: list[Path]
) -> None:
    """`streamstress cancel`, a CI cancel or `timeout` sends SIGTERM: the push's git must not live on."""
    pidfile = tmp_path / "hook.pid"
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(f'#!/bin/sh\necho $$ > "{pidfile}.tmp"\nmv "{pidfile}.tmp" "{pidfile}"\nexec sleep 600\n')
    hook.chmod(0o755)
    running = _proc.spawn(
        [
            sys.executable,
            "-m",
            "pytest_streamstress.cli.main",
            "publish",
            str(runs[0]),
            "--repo",
            str(remote),
        ],
        cwd=tmp_path,
    )
    wait_until(
        lambda: Probe(done=pidfile.is_file() or running.poll() is not None, state=running.tail()),
        what="the push to reach the remote's hook",
        timeout=120,
        poll=0.05,
    )
    assert running.poll() is None, running.tail()
    os.kill(running.pid, signal.SIGTERM)
    done = running.wait(timeout=120)
    assert done.returncode == 130, done.tail()
    assert "streamstress publish: interrupted (SIGTERM)" in done.stderr
    hook_pid = int(pidfile.read_text())
    wait_until(
        lambda: Probe(done=not _alive(hook_pid), state=f"pid {hook_pid} alive"),
        what="the push's hook to end",
        timeout=30,
        poll=0.05,
    )


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in {"Z", "X"}
