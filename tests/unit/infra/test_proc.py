"""The subprocess door: timeouts kill the whole group, missing tools get a hint, output is redacted."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.redact import Redactor, Secret
from pytest_streamstress.errors import ToolFailed, ToolNotFound, ToolTimedOut

WAIT_S = 10.0


def test_output_of_both_streams_is_captured_and_logged(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    done = _proc.run(
        [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr)"],
        timeout=30,
        log_to=log,
    )
    assert done.ok
    assert done.stdout == "out\n"
    assert done.stderr == "err\n"
    assert sorted(log.read_text().splitlines()) == ["err", "out"]


def test_missing_tool_is_reported_with_an_install_hint() -> None:
    with pytest.raises(ToolNotFound) as excinfo:
        _proc.run(["ko-definitely-missing-xyz"], timeout=5)
    assert "not found on PATH" in str(excinfo.value)


def test_known_tool_hint_names_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(ToolNotFound, match=r"go install github\.com/google/ko"):
        _proc.run([str(tmp_path / "ko")], timeout=5)


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    """A grandchild that ignores its parent's death must die too: that is what start_new_session buys."""
    pidfile = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
        "print('started', flush=True)\n"
        "time.sleep(600)\n"
    )
    with pytest.raises(ToolTimedOut) as excinfo:
        _proc.run([sys.executable, "-c", script], timeout=1.0, what="sleeper")
    assert "sleeper did not finish within 1s" in str(excinfo.value)
    assert "started" in str(excinfo.value)
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + WAIT_S  # the kernel takes a moment to finish a killed process
    while _is_running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _is_running(grandchild)


def _is_running(pid: int) -> bool:
    """A killed orphan may linger as a zombie until init reaps it; a zombie is not running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


def test_check_raises_with_the_tail_of_output() -> None:
    with pytest.raises(ToolFailed) as excinfo:
        _proc.run(
            [sys.executable, "-c", "print('boom'); raise SystemExit(3)"],
            timeout=30,
            check=True,
            what="ko build",
        )
    assert excinfo.value.returncode == 3
    assert "ko build failed with exit code 3" in str(excinfo.value)
    assert "boom" in str(excinfo.value)


def test_secrets_in_output_are_masked_in_result_log_and_callback(tmp_path: Path) -> None:
    token = "sha256~SuperSecretToken123"
    seen: list[str] = []
    log = tmp_path / "x.log"
    done = _proc.run(
        [sys.executable, "-c", f"print('Authorization: Bearer {token} ok')"],
        timeout=30,
        log_to=log,
        redactor=Redactor([Secret(token)]),
        on_line=lambda _stream, line: seen.append(line),
    )
    assert token not in done.stdout
    assert "Authorization: Bearer *** ok" in done.stdout
    assert token not in log.read_text()
    assert seen == ["Authorization: Bearer *** ok"]


# -- stopping (issue 19) ---------------------------------------------------------------------------------

SLEEPER = "import signal, sys, time\n{ignore}print('ready', flush=True)\ntime.sleep(600)\n"


@pytest.fixture
def stoppable() -> Iterator[None]:
    """Tests here stop the door on purpose; the next test must find it open again."""
    yield
    _proc.end_all(grace=0.5)
    _proc.allow_again()


def _started(ignore_term: bool = False) -> _proc.Running:
    ready = threading.Event()
    ignore = "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" if ignore_term else ""
    running = _proc.spawn(
        [sys.executable, "-c", SLEEPER.format(ignore=ignore)],
        on_line=lambda _stream, line: ready.set() if line == "ready" else None,
    )
    assert ready.wait(WAIT_S), "the sleeper never started"
    return running


@pytest.mark.usefixtures("stoppable")
def test_stop_all_ends_every_live_group_and_refuses_to_start_another() -> None:
    first, second = _started(), _started()
    assert {first.pid, second.pid} <= set(_proc.live_groups())

    assert _proc.stop_all("SIGTERM") >= 2
    assert first.wait(timeout=WAIT_S).returncode == -signal.SIGTERM
    assert second.wait(timeout=WAIT_S).returncode == -signal.SIGTERM
    with pytest.raises(ToolFailed, match=r"was not started: the run is stopping \(SIGTERM\)"):
        _proc.spawn([sys.executable, "-c", "pass"])
    assert first.pid not in _proc.live_groups()


@pytest.mark.usefixtures("stoppable")
def test_end_all_kills_a_group_that_ignores_sigterm() -> None:
    stubborn = _started(ignore_term=True)

    assert _proc.end_all(grace=0.2) >= 1
    assert stubborn.poll() == -signal.SIGKILL
    assert stubborn.pid not in _proc.live_groups()


@pytest.mark.usefixtures("stoppable")
def test_the_door_opens_again_after_a_stopped_session() -> None:
    _proc.stop_all("SIGHUP")
    _proc.allow_again()
    assert _proc.run([sys.executable, "-c", "print('again')"], timeout=30).stdout == "again\n"


def test_a_signal_held_while_a_process_starts_leaves_a_whole_entry_that_end_all_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A signal that arrives during Popen is raised as the start's critical block ends, before the
    constructor returns; the listed entry must already know its process (a sweep found end_all failing
    with "'Running' object has no attribute '_popen'" and the run exiting 1 instead of interrupted)."""
    monkeypatch.setattr(_proc.interrupts._STATE, "held", "SIGINT")
    with pytest.raises(KeyboardInterrupt):
        _proc.spawn([sys.executable, "-c", "import time; time.sleep(60)"])

    assert _proc.end_all(grace=WAIT_S) == 1
    assert _proc.end_all(grace=WAIT_S) == 0
