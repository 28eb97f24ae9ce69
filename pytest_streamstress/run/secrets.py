"""Every secret value a session could leak, found before anything runs (STYLE R25).

Kubeconfig credentials, registry auths and token environment variables seed the session's
`Redactor`, so gauge output, logs, results.json and the dashboard are scrubbed with one list.
The files are read, never logged; what cannot be read is skipped with a debug line.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from pytest_streamstress._infra.redact import Secret

log = logging.getLogger(__name__)

SECRET_ENV: Final = re.compile(r"(TOKEN|PASSWORD|PASSWD|SECRET|API_KEY|DOCKER_CONFIG_JSON)$", re.IGNORECASE)
"""Environment variables whose values are secrets (GITHUB_TOKEN, GH_TOKEN, PAC_GITHUB_TOKEN, …)."""
MIN_ENV_SECRET: Final = 8
KUBE_USER_SECRETS: Final = ("token", "client-key-data", "password")
AUTH_PROVIDER_SECRETS: Final = ("access-token", "refresh-token", "id-token", "client-secret")
REGISTRY_SECRETS: Final = ("auth", "identitytoken", "registrytoken", "password")


def find_secrets(kubeconfig: Path | None, environ: Mapping[str, str]) -> list[Secret]:
    """Every secret value this session could leak: kubeconfig credentials, registry auths, tokens."""
    found: list[Secret] = []
    for name, value in environ.items():
        # By name only, so short flag-like values (`X_SECRET=true`) would mask ordinary words: skip them.
        if SECRET_ENV.search(name) and len(value) >= MIN_ENV_SECRET:
            found.append(Secret(value))
    for path in _kubeconfig_paths(kubeconfig, environ):
        found.extend(kubeconfig_secrets(path))
    for path in _registry_auth_paths(environ):
        found.extend(registry_secrets(path))
    return found


def _kubeconfig_paths(kubeconfig: Path | None, environ: Mapping[str, str]) -> list[Path]:
    if kubeconfig is not None:
        return [kubeconfig]
    if environ.get("KUBECONFIG"):
        return [Path(p) for p in environ["KUBECONFIG"].split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


def _registry_auth_paths(environ: Mapping[str, str]) -> list[Path]:
    paths = []
    if environ.get("DOCKER_CONFIG"):
        paths.append(Path(environ["DOCKER_CONFIG"]) / "config.json")
    paths.append(Path.home() / ".docker" / "config.json")
    if environ.get("REGISTRY_AUTH_FILE"):
        paths.append(Path(environ["REGISTRY_AUTH_FILE"]))
    if environ.get("XDG_RUNTIME_DIR"):
        paths.append(Path(environ["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    return paths


def kubeconfig_secrets(path: Path) -> list[Secret]:
    """Tokens, client keys and passwords of every user in a kubeconfig (the file is never logged)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        log.debug("no secrets read from kubeconfig %s: %s", path, type(exc).__name__)
        return []
    found: list[Secret] = []
    users = data.get("users") if isinstance(data, dict) else None
    for entry in users if isinstance(users, list) else []:
        user = entry.get("user") if isinstance(entry, dict) else None
        if not isinstance(user, dict):
            continue
        found.extend(_values(user, KUBE_USER_SECRETS))
        provider = user.get("auth-provider")
        if isinstance(provider, dict) and isinstance(provider.get("config"), dict):
            found.extend(_values(provider["config"], AUTH_PROVIDER_SECRETS))
        if isinstance(user.get("client-key-data"), str):
            found.extend(_decoded(user["client-key-data"]))
    return found


def registry_secrets(path: Path) -> list[Secret]:
    """`auths` of a docker/podman config: the base64 `auth`, its decoded password, tokens."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        log.debug("no secrets read from registry config %s: %s", path, type(exc).__name__)
        return []
    found: list[Secret] = []
    auths = data.get("auths") if isinstance(data, dict) else None
    for entry in auths.values() if isinstance(auths, dict) else []:
        if not isinstance(entry, dict):
            continue
        found.extend(_values(entry, REGISTRY_SECRETS))
        if isinstance(entry.get("auth"), str):
            for decoded in _decoded(entry["auth"]):
                found.append(decoded)
                _user, sep, password = decoded.reveal().partition(":")
                if sep and password:
                    found.append(Secret(password))
    return found


def _values(mapping: Mapping[str, Any], keys: Iterable[str]) -> list[Secret]:
    return [Secret(mapping[k]) for k in keys if isinstance(mapping.get(k), str) and mapping[k]]


def _decoded(text: str) -> list[Secret]:
    try:
        value = base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return []
    secrets = [Secret(value)] if value else []
    # A PEM key is multi-line: gauge output might quote one line of it.
    secrets += [Secret(line) for line in value.splitlines() if len(line) >= 16 and "-----" not in line]
    return secrets
