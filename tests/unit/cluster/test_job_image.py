"""The Job's default image: the release's recorded digest, else the moving `:main` tag (issue 23 part 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_streamstress.cluster.job.image import MOVING_IMAGE, REPOSITORY, parse_record, resolve_job_image
from pytest_streamstress.errors import ConfigError

DIGEST = "sha256:" + "0123456789abcdef" * 4
PINNED = f"ghcr.io/someone/pytest-streamstress@{DIGEST}"


def test_a_recorded_release_digest_is_the_default(tmp_path: Path) -> None:
    record = tmp_path / "job_image.txt"
    record.write_text(PINNED + "\n", encoding="utf-8")
    image = resolve_job_image("", record=record)
    assert (image.ref, image.source, image.note) == (PINNED, "release", "")


def test_without_a_record_the_moving_main_image_is_used_and_said_in_one_line(tmp_path: Path) -> None:
    image = resolve_job_image("", record=tmp_path / "job_image.txt")
    assert (image.ref, image.source) == (f"{REPOSITORY}:main", "moving")
    assert image.ref == MOVING_IMAGE
    assert "\n" not in image.note
    assert image.note.startswith(f"job image: {MOVING_IMAGE} (")
    assert "--job-image" in image.note


def test_a_given_image_wins_over_the_record_and_is_not_remarked(tmp_path: Path) -> None:
    record = tmp_path / "job_image.txt"
    record.write_text(PINNED, encoding="utf-8")
    image = resolve_job_image("quay.io/me/streamstress:dev", record=record)
    assert (image.ref, image.source, image.note) == ("quay.io/me/streamstress:dev", "given", "")


def test_a_given_image_wins_even_over_a_malformed_record(tmp_path: Path) -> None:
    record = tmp_path / "job_image.txt"
    record.write_text("garbage", encoding="utf-8")
    assert resolve_job_image("quay.io/me/streamstress:dev", record=record).source == "given"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ghcr.io/someone/ss:v0.2.0\n", "'ghcr.io/someone/ss:v0.2.0'"),
        (f"ghcr.io/someone/ss:v0.2.0@{DIGEST}", "'ghcr.io/someone/ss:v0.2.0@"),
        (f"ghcr.io/Someone/ss@{DIGEST}", "'ghcr.io/Someone/"),
        ("ghcr.io/someone/ss@sha256:abc", "'ghcr.io/someone/ss@sha256:abc'"),
        (f"ss@{DIGEST}", "'ss@"),
        (f"{PINNED}\n{PINNED}\n", "2 lines"),
        ("\n", "an empty file"),
    ],
    ids=["tag-only", "tag-and-digest", "uppercase", "short-digest", "no-registry", "two-lines", "empty"],
)
def test_a_malformed_record_is_a_config_error_naming_the_file(tmp_path: Path, text: str, found: str) -> None:
    record = tmp_path / "job_image.txt"
    record.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        resolve_job_image("", record=record)
    message = str(caught.value)
    assert message.startswith(f"{record}: not one image pinned by digest (found {found}")
    assert "REGISTRY/REPOSITORY@sha256:" in message and "--job-image" in message


def test_an_unreadable_record_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    record = tmp_path / "job_image.txt"
    record.mkdir()
    with pytest.raises(ConfigError, match=f"^{record}: cannot read the recorded job image"):
        resolve_job_image("", record=record)


def test_a_registry_with_a_port_and_a_nested_path_is_a_valid_record(tmp_path: Path) -> None:
    ref = f"registry.example.com:5000/team/tools/pytest-streamstress@{DIGEST}"
    assert parse_record(f"  {ref}  \n\n", path=tmp_path / "job_image.txt") == ref
