"""The project overlay gauge runs in: real directories, linked files (gauge/overlay.py).

gauge's Go walk (getgauge/common common.go:156-171) never enters a linked directory, so the overlay
must not have one where the checkout has a real one.
"""

from __future__ import annotations

import os
from pathlib import Path

from pytest_streamstress.gauge.overlay import mirror_project


def checkout(root: Path) -> Path:
    for name in (
        "specs/concepts/c.cpt",
        "specs/a.spec",
        "env/default/x.properties",
        "manifest.json",
        "reports/old.xml",
        ".git/HEAD",
        "steps/hooks.go",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name, encoding="utf-8")
    return root


def tree(root: Path) -> list[str]:
    """Every entry under `root` without following links: `dir/`, `file -> target`."""
    found: list[str] = []
    for directory, dirnames, filenames in os.walk(root):
        here = Path(directory)
        for name in sorted(dirnames + filenames):
            path = here / name
            rel = path.relative_to(root).as_posix()
            found.append(f"{rel} -> {path.readlink()}" if path.is_symlink() else f"{rel}/")
    return sorted(found)


def test_directories_are_real_and_files_are_links_to_the_checkout(tmp_path: Path) -> None:
    source = checkout(tmp_path / "checkout")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    links = mirror_project(source, overlay, skip={"reports", ".git"})
    assert tree(overlay) == [
        "env/",
        "env/default/",
        f"env/default/x.properties -> {source}/env/default/x.properties",
        f"manifest.json -> {source}/manifest.json",
        "specs/",
        f"specs/a.spec -> {source}/specs/a.spec",
        "specs/concepts/",
        f"specs/concepts/c.cpt -> {source}/specs/concepts/c.cpt",
        "steps/",
        f"steps/hooks.go -> {source}/steps/hooks.go",
    ]
    assert links == 5


def test_skipped_names_count_at_the_top_only(tmp_path: Path) -> None:
    source = checkout(tmp_path / "checkout")
    (source / "specs" / "reports").mkdir()
    (source / "specs" / "reports" / "r.spec").write_text("r", encoding="utf-8")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    mirror_project(source, overlay, skip={"reports"})
    assert (overlay / "specs" / "reports" / "r.spec").is_symlink()
    assert not (overlay / "reports").exists()


def test_a_link_in_the_checkout_stays_a_link(tmp_path: Path) -> None:
    """A directory the checkout links (and gauge therefore skips) is not made visible by the overlay."""
    source = checkout(tmp_path / "checkout")
    (tmp_path / "elsewhere").mkdir()
    (source / "shared").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    mirror_project(source, overlay, skip=())
    assert (overlay / "shared").readlink() == source / "shared"
