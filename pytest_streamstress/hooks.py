"""Hook specifications other plugins (and conftest.py files) can implement (STYLE R8)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_streamstress.model import Categorization


@pytest.hookspec(firstresult=True)
def pytest_streamstress_categorize(item: pytest.Item, message: str, trace: str) -> Categorization | None:
    """Called for each failed scenario before the shipped rules run.

    Return a `Categorization` to decide the category yourself (e.g. from your own triage service);
    return None to let the rules in categories.toml decide.
    """


def pytest_streamstress_results(config: pytest.Config, results: dict[str, Any]) -> None:
    """Called on the controller with the results.json document just before it is written.

    Implementations may add keys under `extra`; the rest of the document must keep its schema.
    """


def pytest_streamstress_results_written(config: pytest.Config, path: Path) -> None:
    """Called on the controller after results.json was written atomically to `path`."""
