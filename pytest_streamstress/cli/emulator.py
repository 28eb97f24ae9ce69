"""`streamstress emulator`: serve the OpenShift emulator until Ctrl-C or SIGTERM.

Owns the command line only; the emulator itself is `pytest_streamstress.testing.emulator`.
Prints the kubeconfig path, the API URL and the registry host (never the token) so that
`kubectl --kubeconfig PATH ...` works against it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

HELP: Final = "Serve the OpenShift emulator (a Kubernetes API on loopback) until stopped"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", type=Path, required=True, help="Where to write the kubeconfig")
    parser.add_argument("--port", type=int, default=0, help="API port on 127.0.0.1 (default: a free port)")
    parser.add_argument("--registry-port", type=int, default=0, help="Registry port (default: a free port)")
    parser.add_argument(
        "--state",
        choices=("bare", "installed", "empty"),
        default="installed",
        help="bare: no operator; installed: OpenShift Pipelines installed and Ready; empty: no objects",
    )
    parser.add_argument("--http", action="store_true", help="Serve plain HTTP instead of HTTPS")
    parser.add_argument(
        "--faults",
        default="",
        metavar="JSON",
        help="Fault switches: the JSON object STREAMSTRESS_EMULATOR_FAULTS takes, e.g."
        + " '{\"operator_never_ready\": true}'",
    )
    parser.add_argument("--openshift-version", default="4.20.3", help="Emulated OpenShift version")


def run(args: argparse.Namespace) -> int:
    from pytest_streamstress.testing.emulator import Emulator

    kubeconfig: Path = args.kubeconfig.resolve()
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal %s: stopping the emulator", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with tempfile.TemporaryDirectory(prefix="streamstress-emulator-") as workdir:
        emulator = Emulator(
            Path(workdir),
            state=args.state,
            https=not args.http,
            port=args.port,
            registry_port=args.registry_port,
            kubeconfig_path=kubeconfig,
            openshift_version=args.openshift_version,
            controllers=args.state != "empty",
        )
        with emulator:
            emulator.faults.apply_json(args.faults, source="--faults")
            sys.stdout.write(
                f"kubeconfig: {kubeconfig}\napi: {emulator.url}\nregistry: {emulator.registry_host}\n"
                f"state: {args.state}\n"
                + (f"faults: {args.faults}\n" if args.faults else "")
                + "serving until Ctrl-C or SIGTERM\n"
            )
            sys.stdout.flush()
            while not stop.wait(3600):
                pass
    sys.stdout.write("emulator stopped\n")
    return 0
