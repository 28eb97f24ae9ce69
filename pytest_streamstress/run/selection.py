"""This session's selection (`history/selection.py`), read from pytest's options and ours."""

from __future__ import annotations

import pytest

from pytest_streamstress.history.selection import Selection, selection_words
from pytest_streamstress.options import Settings


def selection(config: pytest.Config, settings: Settings) -> Selection:
    """-k, -m, --deselect, test paths or node ids, --lf, --sw and --gauge-tags, as this run was asked."""
    option = config.option
    given = config.args_source == pytest.Config.ArgsSource.ARGS
    return selection_words(
        gauge_tags=settings.gauge_tags,
        keyword=str(getattr(option, "keyword", "") or ""),
        markexpr=str(getattr(option, "markexpr", "") or ""),
        args=[str(a) for a in config.args] if given else (),
        deselect=[str(d) for d in getattr(option, "deselect", None) or ()],
        last_failed=bool(getattr(option, "lf", False)),
        stepwise=bool(getattr(option, "stepwise", False)),
    )
