"""Fixtures for tests that talk to the OpenShift emulator over real HTTP(S).

`make_emulator(**kwargs)` starts a fresh `Emulator` in `tmp_path` (stopped at teardown);
`emulator` is an API-only one (no controllers, no seed) with namespaces `default` and `demo`;
`kube` is an official-client `ApiClient` loaded from its kubeconfig.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.testing.emulator import Emulator

MakeEmulator = Callable[..., Emulator]


@pytest.fixture
def make_emulator(tmp_path: Path) -> Iterator[MakeEmulator]:
    started: list[Emulator] = []

    def make(**kwargs: Any) -> Emulator:
        workdir = tmp_path / f"emulator-{len(started)}"
        emulator = Emulator(workdir, **kwargs).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator: MakeEmulator) -> Emulator:
    emulator = make_emulator(state="empty", controllers=False)
    ns_type = emulator.store.rtype("v1", "Namespace")
    for name in ("default", "demo"):
        emulator.store.create(ns_type, {"metadata": {"name": name}})
    return emulator


@pytest.fixture
def kube(emulator: Emulator) -> Iterator[Any]:
    from kubernetes import config

    client = config.new_client_from_config(config_file=str(emulator.kubeconfig))
    yield client
    client.close()
