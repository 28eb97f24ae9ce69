"""Stand-in executables for gauge, ko, docker and podman.

`install_standins(bin_dir)` writes small executables into `bin_dir` that run the stand-in modules with
this Python; callers put `bin_dir` first on PATH. A stand-in takes the real tool's command line and
prints the real tool's output formats and exit codes; it must not know which test calls it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

STANDINS: Final = {
    "gauge": "pytest_streamstress.testing.standins.gauge",
    "ko": "pytest_streamstress.testing.standins.ko",
    "docker": "pytest_streamstress.testing.standins.docker",
    "podman": "pytest_streamstress.testing.standins.docker",
}


def install_standins(bin_dir: Path, names: tuple[str, ...] = tuple(STANDINS)) -> Path:
    """Write the stand-in executables into `bin_dir` and return it."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        module = STANDINS[name]
        script = bin_dir / name
        script.write_text(
            f"#!{sys.executable}\n"
            "import sys\n"
            f"from {module} import main\n"
            f"sys.exit(main(sys.argv[1:], prog={name!r}))\n",
            encoding="utf-8",
        )
        script.chmod(0o755)
    return bin_dir


def path_with(bin_dir: Path, path: str | None = None) -> str:
    """PATH with `bin_dir` first."""
    return os.pathsep.join([str(bin_dir), path if path is not None else os.environ.get("PATH", "")])
