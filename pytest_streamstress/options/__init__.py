"""Every option once (CLI + ini) -> `Settings` (options/settings.py) -> one frozen value per phase.

`table` declares the options, `parse` turns their text into values, `settings` resolves them for a
session, `render` shows them (defaults, the README's table). The names below are the public API;
run/ turns `Settings` into each phase's parameters.
"""

from __future__ import annotations

from pytest_streamstress.options.opt import Opt
from pytest_streamstress.options.parse import parse_components, parse_parallel, parse_path, parse_size
from pytest_streamstress.options.render import options_markdown
from pytest_streamstress.options.settings import (
    Settings,
    add_options,
    config_error_to_usage,
    is_active,
    is_given,
    is_worker,
    settings_key,
    settings_of,
)
from pytest_streamstress.options.table import DEFAULT_RELEASE_TESTS_REPO, OPTIONS, OPTIONS_BY_NAME

__all__ = [
    "DEFAULT_RELEASE_TESTS_REPO",
    "OPTIONS",
    "OPTIONS_BY_NAME",
    "Opt",
    "Settings",
    "add_options",
    "config_error_to_usage",
    "is_active",
    "is_given",
    "is_worker",
    "options_markdown",
    "parse_components",
    "parse_parallel",
    "parse_path",
    "parse_size",
    "settings_key",
    "settings_of",
]
