"""Regenerate the README's option table from the OPTIONS table (run after changing settings.py)."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_streamstress.options import options_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    block = "<!-- options:start -->\n" + options_markdown() + "\n<!-- options:end -->"
    new = re.sub(r"<!-- options:start -->.*?<!-- options:end -->", lambda _m: block, text, flags=re.S)
    README.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
