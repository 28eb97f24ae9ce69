"""One cluster of `--clusters` (issue 23): its images copied in, its pytest session's command line.

What a member needs before its session starts: a client for its cluster, its registry made ready
by auto-setup, the build's images copied from the first cluster's registry (same digests, nothing
rebuilt: `build/copy.py`), and a file of those images for `--images-from`, which keeps each
component's commit so the member's verdicts can still tell an upstream change from none.

A member's session is an ordinary streamstress session (`--cluster-name NAME --skip-build
--images-from FILE --results-dir results/clusters/NAME`), started as a process of its own, so a
broken cluster, a crash or a hang stays that cluster's. It gets the options the user gave, minus
those that describe this machine, the build, the fleet itself or what happens once for all
(`DROPPED`).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

from pytest_streamstress.build.registry import RegistryTarget
from pytest_streamstress.options import OPTIONS_BY_NAME
from pytest_streamstress.run.fleet_file import FleetMember

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster
    from pytest_streamstress.model import BuildResult

DROPPED: Final = frozenset(
    {
        "streamstress",
        "clusters",
        "cluster",
        "kubeconfig",
        "context",
        "cluster_name",
        "skip_build",
        "image",
        "images_from",
        "registry",
        "registry_insecure",
        "build_jobs",
        "build_timeout",
        "platform",
        "container_tool",
        "as_of",
        "results_dir",
        "since_last_run",
        "publish",
        "shards",
        "shard",
        "release_tests_dir",
        "deploy_partial",
    }
)
"""Options a member's session does not get as given: the fleet gives it its own value or none."""
IMAGES_FILE: Final = "images.json"
SESSION_LOG: Final = "session.log"
CLUSTERS_DIR: Final = "clusters"


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberPlan:
    """Everything a member's session is started with."""

    member: FleetMember
    results_dir: Path
    argv: tuple[str, ...]
    env: Mapping[str, str]
    kubeconfig: Path


def member_results_dir(results_dir: Path, name: str) -> Path:
    return results_dir / CLUSTERS_DIR / name


def copy_images(
    builds: Sequence[BuildResult],
    home: RegistryTarget | None,
    dest: RegistryTarget | None,
    *,
    say: Callable[[str], None],
) -> tuple[BuildResult, ...]:
    """The builds with every image of the home registry copied to `dest`; refs keep their digests.

    Without a `dest` (an external `--registry` every cluster pulls from) nothing is copied; an image
    not pushed to the home registry (`--image`, `--images-from`) is deployed as given.
    """
    if home is None or dest is None or dest.push == home.push:
        return tuple(builds)
    from pytest_streamstress.build.copy import copy_image

    uploaded = present = copied = 0
    for build in builds:
        for image in build.images:
            if home.push_ref(str(image.ref)) is None:
                continue
            result = copy_image(str(image.ref), home, dest)
            uploaded += result.uploaded_blobs
            present += result.present_blobs
            copied += 1
    say(f"copied {copied} images to {dest.push_host} ({uploaded} blobs uploaded, {present} already there)")
    return tuple(builds)


def member_target(cluster: Cluster, route_host: str, *, insecure: bool) -> RegistryTarget:
    """The member's internal registry through its route, verified with its own ingress CA."""
    from pytest_streamstress.cluster.tls import ingress_ca

    ca = ingress_ca(cluster)
    return RegistryTarget.cluster(
        route_host,
        token=cluster.token,
        ca_pem=ca.pem if ca is not None else b"",
        ca_source=ca.source if ca is not None else "",
        insecure=insecure,
    )


def write_images(path: Path, components: Sequence[Mapping[str, object]]) -> Path:
    """The `--images-from` file of a member: a `components` list as results.json has it, marked as this
    run's own builds (its members list them as built, not reused)."""
    from pytest_streamstress.history.store import handed_over_images

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(handed_over_images(components, by="--clusters"), indent=1), encoding="utf-8")
    return path


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionShape:
    """What every member's session shares: the user's option text and pytest's own arguments."""

    raw: Mapping[str, Sequence[str]]
    pytest_args: tuple[str, ...]
    """`-c`, `--rootdir`, `-p no:cacheprovider`, `-k`, `-m`, `-q`/`-v` and the collected paths."""
    suite: Path | None
    invocation_dir: Path


def member_argv(
    shape: SessionShape, member: FleetMember, *, results_dir: Path, images: Path | None
) -> list[str]:
    """The member session's command line; option values are the text the user gave (nothing re-rendered)."""
    from pytest_streamstress.run.launch import option_arguments

    args = [sys.executable, "-m", "pytest", "--streamstress", *option_arguments(shape.raw, skip=DROPPED)]
    if member.emulated:
        args.append(
            "--cluster=emulated"
        )  # joins the emulator the fleet started (STREAMSTRESS_EMULATOR_KUBECONFIG)
    else:
        args += ["--cluster=kubeconfig", f"--kubeconfig={member.kubeconfig}"]
        if member.context:
            args.append(f"--context={member.context}")
    args += [f"--cluster-name={member.name}", "--skip-build", f"--results-dir={results_dir}"]
    if images is not None:
        args.append(f"--images-from={images}")
    if shape.suite is not None:
        args.append(f"--release-tests-dir={shape.suite}")
    if member.shards > 1:
        args += ["--in-cluster", f"--shards={member.shards}"]
    ini = OPTIONS_BY_NAME["clusters"].ini
    args += ["-o", f"{ini}=", *shape.pytest_args]  # an ini file's --clusters must not start fleets in fleets
    return args


def member_env(
    member: FleetMember, kubeconfig: Path, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The fleet's environment, pointed at this member's cluster (an emulated one is joined, not started)."""
    from pytest_streamstress.testing.embedded import ENV_KUBECONFIG

    env = dict(os.environ if environ is None else environ)
    env.pop(ENV_KUBECONFIG, None)
    env["KUBECONFIG"] = str(kubeconfig)
    if member.emulated:
        env[ENV_KUBECONFIG] = str(kubeconfig)
    return env


def session_shape(config: pytest.Config) -> SessionShape:
    """The user's option text and the pytest arguments every member's session repeats."""
    from pytest_streamstress.run.launch import raw_session_options
    from pytest_streamstress.run.selection import selection_arguments
    from pytest_streamstress.run.suite import suite_root

    option = config.option
    args: list[str] = ["--rootdir", str(config.rootpath)]
    if config.inipath is not None:
        args += ["-c", str(config.inipath)]
    if not config.pluginmanager.has_plugin("cacheprovider"):
        args += ["-p", "no:cacheprovider"]
    args += selection_arguments(config)
    for override in getattr(option, "override_ini", None) or ():
        args += ["-o", str(override)]
    verbosity = int(getattr(option, "verbose", 0))
    if verbosity:
        args.append("-" + ("v" if verbosity > 0 else "q") * abs(verbosity))
    if config.args_source == pytest.Config.ArgsSource.ARGS:  # not the suite collection chose by itself
        args += [str(Path(config.invocation_params.dir, arg)) for arg in config.args]
    return SessionShape(
        raw=raw_session_options(config),
        pytest_args=tuple(args),
        suite=suite_root(config),
        invocation_dir=Path(config.invocation_params.dir),
    )
