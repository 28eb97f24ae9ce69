"""Reading TOML with errors that name the file and line: one place, so every config file reads alike."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from pytest_streamstress.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

_LINE = re.compile(r"at line (\d+)")


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; malformed TOML is a ConfigError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=path, hint="check the path given in the option") from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _LINE.search(str(exc))
        raise ConfigError(
            f"malformed TOML: {exc}",
            path=path,
            line=int(match.group(1)) if match else None,
            hint="fix the syntax at that line (https://toml.io)",
        ) from exc
