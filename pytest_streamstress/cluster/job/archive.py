"""The results archive the Job's pod prints at the end of its log: make, emit, parse and verify it.

Results retention (docs/in-cluster.md): the pod prints a gzip'd tar of its results directory,
base64-encoded, between two marker lines that carry the archive's size and sha256. `parse_archive`
refuses anything whose size or checksum differ: a truncated or rotated log is an error that says
so, never a silent partial copy. Pure: no API calls (collect.py reads the log, entry.py prints it).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from pytest_streamstress.errors import StreamstressError

ARCHIVE_BEGIN: Final = "==== streamstress results archive begin"
ARCHIVE_END: Final = "==== streamstress results archive end"
EXIT_MARKER: Final = "==== streamstress pytest exit code"
_BEGIN_RE: Final = re.compile(
    r"^==== streamstress results archive begin: format=tar\.gz\+base64 size=(\d+) sha256=([0-9a-f]{64}) ====$"
)
_END_RE: Final = re.compile(r"^==== streamstress results archive end: sha256=([0-9a-f]{64}) ====$")
_EXIT_RE: Final = re.compile(r"^==== streamstress pytest exit code (-?\d+) ====$")
ARCHIVE_LINE: Final = 76


class ArchiveError(StreamstressError):
    """The results archive in the pod log is missing, truncated or corrupt."""


def make_archive(results_dir: Path) -> bytes:
    """gzip'd tar of the results directory, entries relative to it, deterministic order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        if results_dir.is_dir():
            for path in sorted(results_dir.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    tar.add(path, arcname=path.relative_to(results_dir).as_posix(), recursive=False)
    return buffer.getvalue()


def emit_archive(results_dir: Path, out: IO[str]) -> int:
    """Print the archive between markers carrying its size and sha256; returns its size."""
    data = make_archive(results_dir)
    digest = hashlib.sha256(data).hexdigest()
    encoded = base64.b64encode(data).decode("ascii")
    out.write(f"{ARCHIVE_BEGIN}: format=tar.gz+base64 size={len(data)} sha256={digest} ====\n")
    for start in range(0, len(encoded), ARCHIVE_LINE):
        out.write(encoded[start : start + ARCHIVE_LINE] + "\n")
    out.write(f"{ARCHIVE_END}: sha256={digest} ====\n")
    out.flush()
    return len(data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Archive:
    data: bytes
    sha256: str
    exit_code: int | None
    log_without_archive: str


def parse_archive(log_text: str) -> Archive:
    """Find, decode and verify the archive in a pod log; any gap is an `ArchiveError` saying which."""
    lines = log_text.splitlines()
    begins = [i for i, line in enumerate(lines) if line.startswith(ARCHIVE_BEGIN)]
    exit_code = None
    for line in lines:
        found = _EXIT_RE.match(line.strip())
        if found:
            exit_code = int(found.group(1))
    if not begins:
        hint = (
            "the run ended before it wrote its results (see the log above), or the kubelet rotated the"
            " log past the archive's first line (containerLogMaxSize, docs/in-cluster.md)"
        )
        if any(line.startswith(ARCHIVE_END) for line in lines) or _looks_like_base64_tail(lines):
            hint = "the log was rotated or cut: the archive's end is there but its start is gone"
        raise ArchiveError("no results archive in the pod log (its begin marker is missing)", hint=hint)
    start = begins[-1]
    header = _BEGIN_RE.match(lines[start].strip())
    if header is None:
        raise ArchiveError(
            f"malformed archive header line: {lines[start][:120]!r}",
            hint="the Job ran another version of the plugin; collect with that version",
        )
    size, digest = int(header.group(1)), header.group(2)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(ARCHIVE_END)), None)
    if end is None:
        raise ArchiveError(
            f"the results archive is truncated: its end marker is missing ({size} bytes expected)",
            hint="the pod was killed while printing it, or the log stream was cut; collect again,"
            " and if it persists see docs/in-cluster.md on log limits",
        )
    closing = _END_RE.match(lines[end].strip())
    if closing is None or closing.group(1) != digest:
        raise ArchiveError(
            "the results archive's end marker does not match its begin marker",
            hint="the log holds parts of two archives (a cut and a restart?); collect again",
        )
    body = "".join(line.strip() for line in lines[start + 1 : end])
    try:
        data = base64.b64decode(body, validate=True)
    except ValueError as exc:
        raise ArchiveError(f"the results archive is corrupt (base64: {exc})") from exc
    actual = hashlib.sha256(data).hexdigest()
    if len(data) != size or actual != digest:
        raise ArchiveError(
            f"the results archive is incomplete: got {len(data)} bytes with sha256 {actual[:12]}…, expected"
            f" {size} bytes with sha256 {digest[:12]}…",
            hint="nothing was written; collect again (a rotated or cut log cannot be repaired)",
        )
    remaining = "\n".join(lines[:start] + lines[end + 1 :]) + "\n"
    return Archive(data=data, sha256=digest, exit_code=exit_code, log_without_archive=remaining)


def _looks_like_base64_tail(lines: Sequence[str]) -> bool:
    return len(lines) > 2 and all(re.fullmatch(r"[A-Za-z0-9+/=]{8,76}", line) for line in lines[:2])


class ArchiveFilter:
    """Replaces the base64 archive block with one line while a log is shown to a human."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write
        self._partial = ""
        self._inside = False

    def __call__(self, text: str) -> None:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._line(line)

    def flush(self) -> None:
        if self._partial:
            self._line(self._partial)
            self._partial = ""

    def _line(self, line: str) -> None:
        if line.startswith(ARCHIVE_BEGIN):
            self._inside = True
            match = _BEGIN_RE.match(line.strip())
            size = f" ({match.group(1)} bytes)" if match else ""
            self._write(f"[results archive{size} in the log; copy it out with `streamstress collect DIR`]\n")
        elif line.startswith(ARCHIVE_END):
            self._inside = False
        elif not self._inside:
            self._write(line + "\n")
