"""The project overlay gauge runs in: real directories mirroring the checkout, a link for each file.

gauge writes `.gauge/`, `logs/` and `reports/` into its project, so concurrent workers would clash in
one checkout, and a read-only checkout (or the installed demo suite) must stay untouched: each worker
runs gauge in an overlay under the results directory instead (gauge/execute.py). Why not link the
top-level directories and be done: gauge finds concept files, the specs of a directory argument and
env properties with Go's `filepath.Walk` (getgauge/common common.go:156-171, called from gauge
v1.6.28 util/fileUtils.go:66-99 and env/env.go:144-147), and Walk never enters a linked directory. A
linked `specs/` hides `specs/concepts/*.cpt` from a real gauge, and every step calling a concept
becomes "Step implementation not found". Linked files are read like any file, so the overlay mirrors
every directory for real and links only files. A link already in the checkout is copied as a link,
so the overlay hides from gauge exactly what the checkout hides. Must not run gauge or read specs.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path


def mirror_project(root: Path, overlay: Path, *, skip: Collection[str]) -> int:
    """Fill the empty directory `overlay` from `root`, leaving out the top-level names in `skip`.

    Returns the number of links made. Directories are created, files (and links) linked by absolute
    path, so nothing in the overlay is a link to a directory of the checkout.
    """
    source = Path(os.path.abspath(root))  # noqa: PTH100 - keep the checkout's own path, links and all
    links = 0
    for directory, dirnames, filenames in os.walk(source):  # followlinks=False: a linked dir is a leaf
        here = Path(directory)
        target = overlay / here.relative_to(source)
        top = here == source
        if top:
            dirnames[:] = [d for d in dirnames if d not in skip]
        for name in dirnames:
            if (here / name).is_symlink():
                (target / name).symlink_to(here / name, target_is_directory=True)
                links += 1
            else:
                (target / name).mkdir()
        for name in filenames:
            if top and name in skip:
                continue
            (target / name).symlink_to(here / name)
            links += 1
    return links
