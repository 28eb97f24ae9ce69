"""Benchmark: the emulator's own cost on loopback, measured with the official kubernetes client.

Prints requests per second for get, list (50 objects), merge patch, and watch-event delivery
(objects created in-process, events received by a `Watch` over HTTPS), so later benchmarks can
subtract the emulator's cost. The last line is the headline in the form
`<measure>: <value>x <baseline> (goal <goal>)`. Bounded: fixed request counts, one emulator,
127.0.0.1 only. Run: `.venv/bin/python bench/emulator.py [--requests N]`.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from kubernetes import client, config, watch

from pytest_streamstress.testing.emulator import Emulator

LIST_SIZE = 50


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def bench(requests: int) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory() as workdir,
        Emulator(Path(workdir), state="empty", controllers=False) as emu,
    ):
        store = emu.store
        store.create(store.rtype("v1", "Namespace"), {"metadata": {"name": "bench"}})
        cms = store.rtype("v1", "ConfigMap")
        for n in range(LIST_SIZE):
            store.create(
                cms, {"metadata": {"name": f"cm-{n:03d}", "namespace": "bench"}, "data": {"n": str(n)}}
            )
        api = config.new_client_from_config(config_file=str(emu.kubeconfig))
        core = client.CoreV1Api(api)
        rates: dict[str, float] = {}
        for _ in range(20):  # warm up: TLS handshake, connection pool, code paths
            core.read_namespaced_config_map("cm-000", "bench", _request_timeout=10)

        start = time.perf_counter()
        for _ in range(requests):
            core.read_namespaced_config_map("cm-000", "bench", _request_timeout=10)
        rates["get"] = _rate(requests, time.perf_counter() - start)

        start = time.perf_counter()
        for _ in range(requests // 5):
            core.list_namespaced_config_map("bench", _request_timeout=10)
        rates["list"] = _rate(requests // 5, time.perf_counter() - start)

        start = time.perf_counter()
        for n in range(requests):
            core.patch_namespaced_config_map("cm-001", "bench", {"data": {"n": str(n)}}, _request_timeout=10)
        rates["patch"] = _rate(requests, time.perf_counter() - start)

        rates["watch"] = _watch_rate(emu, core, requests)
        api.close()
        return rates


def _watch_rate(emu: Emulator, core: client.CoreV1Api, events: int) -> float:
    cms = emu.store.rtype("v1", "ConfigMap")
    since = str(emu.store.resource_version)
    received = 0
    done = threading.Event()

    def consume() -> None:
        nonlocal received
        for _event in watch.Watch().stream(
            core.list_namespaced_config_map,
            "bench",
            resource_version=since,
            timeout_seconds=60,
            _request_timeout=70,
        ):
            received += 1
            if received >= events:
                break
        done.set()

    consumer = threading.Thread(target=consume, daemon=True)
    start = time.perf_counter()
    consumer.start()
    for n in range(events):
        emu.store.mutate(cms, "bench", "cm-002", lambda obj, n=n: obj.update(data={"n": str(n)}))
    done.wait(60)
    return _rate(received, time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="Requests per measure (list uses a fifth)")
    args = parser.parse_args()
    rates = bench(args.requests)
    print(f"get: {rates['get']:.0f} req/s")
    print(f"list ({LIST_SIZE} objects): {rates['list']:.0f} req/s")
    print(f"patch (merge): {rates['patch']:.0f} req/s")
    print(f"watch delivery: {rates['watch']:.0f} events/s")
    print(f"list throughput: {rates['list'] / rates['get']:.2f}x get rate (goal n/a)")
    print(f"patch throughput: {rates['patch'] / rates['get']:.2f}x get rate (goal >0.5x)")
    print(f"watch delivery: {rates['watch'] / rates['get']:.2f}x get rate (goal >0.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
