"""Option values from text: pure parse functions, str in, value out, ValueError with a sentence.

Each is the `parse` of one or more `Opt` entries (options/table.py); the CLI and ini forms of an
option go through the same function, so both reject the same values with the same words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, get_args

from pytest_streamstress.model import ComponentRequest


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def parse_str(text: str) -> str:
    return text.strip()


def parse_path(text: str) -> Path | None:
    text = text.strip()
    return Path(text).expanduser() if text else None


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError("expected a number of seconds") from None


def parse_positive_float(text: str) -> float:
    value = _seconds(text)
    if value <= 0:
        raise ValueError("expected a number greater than 0")
    return value


def parse_non_negative_float(text: str) -> float:
    value = _seconds(text)
    if value < 0:
        raise ValueError("expected 0 or more")
    return value


def parse_non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value < 0:
        raise ValueError("expected 0 or more")
    return value


def parse_positive_int(text: str) -> int:
    value = parse_non_negative_int(text)
    if value == 0:
        raise ValueError("expected 1 or more")
    return value


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("expected a date as YYYY-MM-DD") from None


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?i?b?)?\s*$", re.IGNORECASE)
_SIZE_FACTORS: Final = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "ki": 2**10,
    "kib": 2**10,
    "m": 10**6,
    "mb": 10**6,
    "mi": 2**20,
    "mib": 2**20,
    "g": 10**9,
    "gb": 10**9,
    "gi": 2**30,
    "gib": 2**30,
}


def parse_size(text: str) -> int:
    """`50MB`, `1.5GiB`, `200k`, plain bytes."""
    match = _SIZE.match(text)
    if not match or (match.group(2) or "").lower() not in _SIZE_FACTORS:
        raise ValueError("expected a size such as 50MB, 1GiB or 500000")
    return int(float(match.group(1)) * _SIZE_FACTORS[(match.group(2) or "").lower()])


def parse_csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


_COMPONENT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_PR = re.compile(r"^pr/(\d+)$")


def parse_components(text: str) -> tuple[ComponentRequest, ...]:
    """`pipeline,triggers:v0.34.0,chains:pr/123`; syntax only, names are checked against the catalog later."""
    if not text.strip():
        raise ValueError("no component named: leave the option out to build all components, or name some")
    requests: list[ComponentRequest] = []
    seen: set[str] = set()
    for index, raw in enumerate(text.split(",")):
        entry = raw.strip()
        if not entry:
            if index == len(text.split(",")) - 1 and index > 0:
                continue  # a trailing comma is harmless
            raise ValueError(f"entry {index + 1} is empty (two commas in a row?)")
        name, sep, ref = entry.partition(":")
        name = name.strip()
        ref = ref.strip()
        if not _COMPONENT_NAME.match(name):
            raise ValueError(f"{entry!r} is not 'name', 'name:ref' or 'name:pr/N'")
        if sep and not ref:
            raise ValueError(
                f"empty ref in {entry!r}; write '{name}' for the default branch or '{name}:<ref>'"
            )
        if name in seen:
            raise ValueError(f"component {name!r} is given twice")
        seen.add(name)
        pr = _PR.match(ref)
        if pr:
            requests.append(ComponentRequest(name=name, pull_request=int(pr.group(1))))  # type: ignore[arg-type]  # NewType
        elif ref.startswith("pr/"):
            raise ValueError(f"{entry!r}: a pull request is written pr/<number>")
        else:
            requests.append(ComponentRequest(name=name, ref=ref or None))  # type: ignore[arg-type]  # NewType
    return tuple(requests)


def parse_image_assignment(text: str) -> tuple[str, str]:
    """`NAME=REF` for `--image`, e.g. `pipeline-controller=reg/ns/x@sha256:...`."""
    name, sep, ref = text.partition("=")
    if not sep or not name.strip() or not ref.strip():
        raise ValueError("expected NAME=REF, e.g. pipeline-controller=registry/ns/img@sha256:...")
    return name.strip(), ref.strip()


def choice(literal: Any) -> Callable[[str], Any]:
    """A parser for one of a Literal's values: `choice(DeployStrategy)`."""
    allowed: tuple[str, ...] = get_args(literal)

    def parse(text: str) -> Any:
        value = text.strip()
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return value

    return parse


def parse_parallel(text: str) -> int | None:
    """`auto` (None: take the last profile's recommendation) or a number of workers."""
    if text.strip() == "auto":
        return None
    return parse_positive_int(text)
