"""Where builds push, where the cluster pulls, and the credentials the build tools read.

OpenShift's internal registry is reached from outside through its route
(`default-route-openshift-image-registry.apps.<domain>/tekton-upstream/...`) and from pods through
the service (`image-registry.openshift-image-registry.svc:5000/tekton-upstream/...`); both name the
same repository, so a digest pushed through one is pullable through the other (reference §9). A
build therefore pushes to `RegistryTarget.push` and records `RegistryTarget.pull` + the same
repository name + the digest. With an external `--registry` both are the same host.

The internal registry accepts exactly two path levels, `<namespace>/<image>` (reference §9); that
is why every image is pushed under its own unique name (`tekton-upstream/pipeline-controller`).

Credentials reach ko, docker and podman only through a temporary `DOCKER_CONFIG` directory (mode
0700) whose `config.json` holds `auths[<host>].auth` (base64 `user:password`), the file all three
read; podman also gets `REGISTRY_AUTH_FILE` pointing at it. The token never appears on a command
line or in a log (R25), and the directory never outlives the run (`_infra.tempdirs`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_streamstress._infra import tempdirs
from pytest_streamstress._infra.redact import Secret
from pytest_streamstress.build import tls
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.model import ImageRef

log = logging.getLogger(__name__)

AUTH_KIND: Final = "auth"
"""`streamstress-auth-*`: the temporary directories that hold registry credentials."""
INTERNAL_PULL_HOST: Final = "image-registry.openshift-image-registry.svc:5000"
DEFAULT_NAMESPACE: Final = "tekton-upstream"


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryTarget:
    """Push to `push` (`host/namespace`), record refs on `pull` (`host/namespace` as pods see it)."""

    push: str
    pull: str = ""
    """Empty: the cluster pulls from the push address (an external `--registry`)."""
    username: str = "streamstress"
    """OpenShift's registry ignores the user name of a token login; any non-empty value works."""
    password: Secret | None = None
    insecure: bool = False
    """No certificate verification (ko --insecure-registry, podman --tls-verify=false): only by the
    explicit `--registry-insecure`, which the session warns about (issue 19)."""
    ca_pem: bytes = b""
    """The CA to trust besides the system's: the cluster's ingress CA for its registry route."""
    ca_source: str = ""
    """Where `ca_pem` came from, for messages ("ConfigMap openshift-config-managed/default-ingress-cert")."""

    @property
    def push_host(self) -> str:
        return self.push.split("/", 1)[0]

    def push_repository(self, image_name: str) -> str:
        return f"{self.push}/{image_name}"

    def pull_ref(self, pushed: str) -> ImageRef:
        """Map `<push>/<name>[:tag]@sha256:...` to `<pull>/<name>@sha256:...` (the ref pods use)."""
        name_part, sep, digest = pushed.partition("@")
        if not sep or not digest.startswith("sha256:"):
            raise ValueError(f"not a digest reference: {pushed!r}")
        repository = _strip_tag(name_part)
        prefix = self.push + "/"
        if not repository.startswith(prefix):
            raise ValueError(f"{pushed!r} was not pushed under {self.push!r}")
        return ImageRef(f"{self.pull or self.push}/{repository[len(prefix) :]}@{digest}")

    def basic_credentials(self) -> str | None:
        """base64 `user:password` as docker's config.json and an HTTP Basic header carry it."""
        if self.password is None:
            return None
        return base64.b64encode(f"{self.username}:{self.password.reveal()}".encode()).decode("ascii")

    def push_ref(self, pulled: str) -> str | None:
        """The reverse of `pull_ref`: where this machine reaches a recorded ref; None if not ours."""
        for prefix in filter(None, (self.pull, self.push)):
            if pulled.startswith(prefix + "/"):
                return f"{self.push}/{pulled[len(prefix) + 1 :]}"
        return None

    @classmethod
    def cluster(
        cls,
        route_host: str,
        *,
        token: Secret | None,
        ca_pem: bytes = b"",
        ca_source: str = "",
        insecure: bool = False,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> RegistryTarget:
        """The cluster's internal registry through its route; pods pull through the service."""
        return cls(
            push=f"{route_host}/{namespace}",
            pull=f"{INTERNAL_PULL_HOST}/{namespace}",
            password=token,
            insecure=insecure,
            ca_pem=ca_pem,
            ca_source=ca_source,
        )

    @classmethod
    def from_option(
        cls, text: str, *, password: Secret | None = None, insecure: bool = False
    ) -> RegistryTarget:
        """`--registry HOST[/NS]`: an external registry the cluster pulls from directly.

        `http://HOST` needs `insecure` (`--registry-insecure`) and never gets the credentials: they
        would cross the network in the clear.
        """
        value = text.strip().rstrip("/")
        for scheme in ("https://", "http://"):
            if value.startswith(scheme):
                if scheme == "http://":
                    if not insecure:
                        raise ConfigError(
                            f"--registry: {text!r} is plain HTTP",
                            hint="use an https:// registry, or pass --registry-insecure as well (no"
                            " credentials are sent over plain HTTP)",
                        )
                    password = None
                value = value[len(scheme) :]
        if not value or value.count("/") > 1:
            raise ConfigError(
                f"--registry: {text!r} is not HOST or HOST/NAMESPACE",
                hint="e.g. --registry quay.io/myorg (images become quay.io/myorg/<image>)",
            )
        if "/" not in value:
            value = f"{value}/{DEFAULT_NAMESPACE}"
        return cls(push=value, password=password, insecure=insecure)


def _strip_tag(repository: str) -> str:
    """`host:5000/ns/name:tag` -> `host:5000/ns/name` (a colon after the last slash is a tag)."""
    head, slash, last = repository.rpartition("/")
    return f"{head}{slash}{last.split(':', 1)[0]}"


def docker_config_json(target: RegistryTarget, existing: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Pure: the user's config (for base-image pulls) plus `auths[<push host>]` for our push."""
    config: dict[str, Any] = dict(existing or {})
    auths = dict(config.get("auths") or {})
    credentials = target.basic_credentials() if target.password else None
    if credentials:
        auths[target.push_host] = {"auth": credentials}
    config["auths"] = auths
    # A credential helper for our host would shadow the auth entry.
    helpers = dict(config.get("credHelpers") or {})
    helpers.pop(target.push_host, None)
    config["credHelpers"] = helpers
    if target.password:
        # A global credential store would be asked instead of our auth entry.
        config.pop("credsStore", None)
    return config


@dataclass(frozen=True, slots=True)
class ToolAccess:
    """What the build tools get: the environment (credentials, CA bundle) and podman's --cert-dir."""

    env: dict[str, str]
    cert_dir: Path | None = None


@contextlib.contextmanager
def auth_environment(target: RegistryTarget, *, base_env: Mapping[str, str]) -> Iterator[ToolAccess]:
    """`DOCKER_CONFIG`, `REGISTRY_AUTH_FILE` (and `SSL_CERT_FILE` for the cluster CA) in a private dir.

    The directory (`_infra.tempdirs`, kind `auth`) is 0700, the file 0600, and both are gone when
    the block ends, at the end of the session and at exit; a killed run's is swept by the next one.
    """
    with tempdirs.private_dir(AUTH_KIND) as directory:
        config_file = directory / "config.json"
        fd = os.open(config_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(docker_config_json(target, _user_docker_config(base_env)), handle)
        env = {"DOCKER_CONFIG": str(directory), "REGISTRY_AUTH_FILE": str(config_file)}
        cert_dir = None
        if target.ca_pem and not target.insecure:
            trust = tls.write_trust(directory, target.ca_pem, environ=base_env)
            env.update(trust.env())
            cert_dir = trust.cert_dir
        yield ToolAccess(env=env, cert_dir=cert_dir)


def _user_docker_config(env: Mapping[str, str]) -> dict[str, Any] | None:
    """The config the tools would read without us (for pull credentials of base images)."""
    home = env.get("HOME") or str(Path.home())
    directory = env.get("DOCKER_CONFIG") or str(Path(home) / ".docker")
    path = Path(directory) / "config.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable docker config %s: %s", path, exc)
        return None
    return data if isinstance(data, dict) else None
