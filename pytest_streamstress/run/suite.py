"""Where this session's Gauge suite is: the `--release-tests-dir` checkout, or the clone of the repository.

One place for it, because collection, the reruns of `--confirm`, the Allure writer and the sessions
`--clusters` starts all need the same root, and none of them may reach the others.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_streamstress.gauge import checkout
from pytest_streamstress.options import Settings, settings_of


def checkout_params(config: pytest.Config, settings: Settings) -> checkout.CheckoutParams:
    """The suite's source; the clone cache is resolved the way pytest resolves `cache_dir`.

    Our pytest_configure runs before the cache plugin's, so `config.cache` is not there yet.
    """
    try:
        cache_dir = Path(os.path.expandvars(str(config.getini("cache_dir"))))
    except ValueError:  # -p no:cacheprovider: the ini key is not even registered
        cache_dir = Path(".pytest_cache")
    directory = settings.release_tests_dir
    return checkout.CheckoutParams(
        directory=None if directory is None else Path(config.invocation_params.dir, directory),
        repo=settings.release_tests_repo,
        ref=settings.release_tests_ref,
        cache_base=Path(config.rootpath, cache_dir) / "d" / "streamstress-release-tests",
    )


_root_key = pytest.StashKey[dict[checkout.CheckoutParams, Path]]()


def suite_root(config: pytest.Config, settings: Settings | None = None) -> Path:
    """The Gauge project root of this session's suite, resolved once per session.

    Resolving a cloned suite fetches it, so collection, the `--gauge-env` check, the reruns of
    `--confirm` and the sessions of `--clusters` share the first answer instead of fetching again."""
    params = checkout_params(config, settings or settings_of(config))
    known = config.stash.setdefault(_root_key, {})
    if params not in known:
        known[params] = checkout.release_tests_root(params)
    return known[params]
