"""The controller shows what xdist workers report of build and deploy, whole lines, once each."""

from __future__ import annotations

from pathlib import Path

from pytest_streamstress._infra.progress import PROGRESS_FILE, ProgressRelay, append


def test_complete_lines_are_shown_once_and_a_partial_line_waits(tmp_path: Path) -> None:
    shown: list[str] = []
    relay = ProgressRelay(tmp_path, shown.append)
    assert relay.drain() == 0  # no worker said anything yet: no file

    append(tmp_path, "streamstress: build: 2 component(s)")
    append(tmp_path, "streamstress: build: 2 component(s)")  # the second worker's identical header
    with (tmp_path / PROGRESS_FILE).open("a", encoding="utf-8") as out:
        out.write("streamstress: build: pipeline bu")
    assert relay.drain() == 1
    assert shown == ["streamstress: build: 2 component(s)"]

    with (tmp_path / PROGRESS_FILE).open("a", encoding="utf-8") as out:
        out.write("ilt in 1.0s\n")
    append(tmp_path, "streamstress: deploy: deployed in 0.3s\n")
    assert relay.drain() == 2
    assert shown[1:] == [
        "streamstress: build: pipeline built in 1.0s",
        "streamstress: deploy: deployed in 0.3s",
    ]
