"""Writing a file so that no reader ever sees half of it (STYLE R38).

results.json, the history site, the restore record, the bisect log and the --since-last-run reuse
file are all read by another process (a browser, a later session, an xdist worker, `streamstress
restore` after a crash) possibly while they are written. One way to write them: a temporary file in
the same folder (so `os.replace` is atomic), removed again when anything goes wrong.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomically(path: Path, data: bytes, *, mode: int | None = None, fsync: bool = False) -> None:
    """Replace `path` with `data` in one step; `mode` widens mkstemp's 0600, `fsync` survives a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            if fsync:
                out.flush()
                os.fsync(out.fileno())
        if mode is not None:
            temp.chmod(mode)
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_json_atomically(path: Path, document: Any, *, indent: int = 2, fsync: bool = False) -> None:
    """`document` as UTF-8 JSON with a final newline, written with `write_atomically`."""
    text = json.dumps(document, indent=indent, ensure_ascii=False) + "\n"
    write_atomically(path, text.encode("utf-8"), fsync=fsync)
