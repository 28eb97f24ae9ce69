"""Secret directories never outlive the run; a killed run's are swept by the next, only ours (issue 19)."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra import tempdirs


@pytest.fixture
def tmp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory private_dir and sweep_stale use."""
    import tempfile

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    return tmp_path


def _owned_by(root: Path, name: str, owner: object) -> Path:
    path = root / f"streamstress-{name}"
    path.mkdir()
    (path / "config.json").write_text('{"auths": {}}', encoding="utf-8")
    if owner is not None:
        (path / tempdirs.MARKER).write_text(json.dumps(owner), encoding="utf-8")
    return path


def _dead_pid() -> int:
    """The pid of a process that has ended and been reaped: no process owns it now."""
    return int(_proc.run([sys.executable, "-c", "import os; print(os.getpid())"], timeout=30).stdout)


def test_a_private_dir_is_0700_marked_and_gone_when_the_block_ends(tmp_root: Path) -> None:
    with tempdirs.private_dir("auth") as path:
        assert path.parent == tmp_root
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
        owner = json.loads((path / tempdirs.MARKER).read_text())
        assert owner["kind"] == "auth"
        assert owner["pid"] == os.getpid()
    assert not path.exists()
    assert path not in tempdirs.live()


def test_a_block_cut_by_an_interrupt_removes_its_dir(tmp_root: Path) -> None:
    with pytest.raises(KeyboardInterrupt), tempdirs.private_dir("auth") as path:
        (path / "config.json").write_text("secret", encoding="utf-8")
        raise KeyboardInterrupt("SIGTERM")
    assert not path.exists()


def test_remove_all_removes_a_dir_whose_block_never_ended(tmp_root: Path) -> None:
    block = tempdirs.private_dir("auth")
    path = block.__enter__()
    assert tempdirs.remove_all() >= 1
    assert not path.exists()


def test_the_sweep_removes_our_kind_of_a_dead_owner_and_nothing_else(tmp_root: Path) -> None:
    dead = _dead_pid()
    stale = _owned_by(tmp_root, "auth-dead", {"kind": "auth", "pid": dead, "started": 1.0})
    reused = _owned_by(tmp_root, "auth-reused", {"kind": "auth", "pid": os.getpid(), "started": 1.0})
    live = _owned_by(
        tmp_root, "auth-live", {"kind": "auth", "pid": os.getpid(), "started": tempdirs._started(os.getpid())}
    )
    unmarked = _owned_by(tmp_root, "auth-unmarked", None)
    other_kind = _owned_by(tmp_root, "run-dead", {"kind": "run", "pid": dead, "started": 1.0})

    removed = tempdirs.sweep_stale("auth", root=tmp_root)

    assert set(removed) == {stale, reused}
    assert not stale.exists()
    assert not reused.exists()  # the pid lives, but it is another process now
    assert live.exists()
    assert unmarked.exists()
    assert other_kind.exists()
