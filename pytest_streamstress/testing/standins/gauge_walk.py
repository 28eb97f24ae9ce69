"""How the gauge stand-in finds spec, concept and properties files: Go's `filepath.Walk`, as gauge uses it.

gauge v1.6.28 finds every file it reads in a directory through getgauge/common `FindFilesInDir`
(common.go:156-171), a `filepath.Walk`: specs of a directory argument (gauge util/fileUtils.go:66-77,
157-175), concept files under the project root (fileUtils.go:90-99, 177-221) and the properties of an
env directory (env/env.go:144-147). Walk looks at every entry with `Lstat` and never follows a
symbolic link to a directory, not even at the root it was given (Go's path/filepath docs: "Walk does
not follow symbolic links"; golang/go#4759): a linked directory is visited as a non-directory entry and
its files are never seen, while a linked file is found like any file. Names are visited in lexical
(byte) order. The one liberty taken: a link whose target is no regular file is left out (gauge would
list it and then fail to read it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def _never(_path: Path) -> bool:
    return False


def go_walk(
    root: Path, *, wanted: Callable[[Path], bool], skip_dir: Callable[[Path], bool] = _never
) -> list[Path]:
    """Files under `root` that `wanted` accepts, in Walk's order; `skip_dir` is Walk's SkipDir (root too)."""
    found: list[Path] = []
    pending = [root]
    while pending:
        path = pending.pop()
        if path.is_symlink() or not path.is_dir():
            if wanted(path) and path.is_file():
                found.append(path)
            continue
        if skip_dir(path):
            continue
        try:
            children = sorted(path.iterdir(), key=lambda p: p.name)
        except OSError:
            break  # FindFilesInDir's callback returns Walk's error, which ends the whole walk
        pending.extend(reversed(children))
    return found
