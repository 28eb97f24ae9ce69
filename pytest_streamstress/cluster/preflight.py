"""Can this session reach its cluster at all? One quick question before any work starts (issue 22).

A kubeconfig that is missing or names no such context, a server that does not answer, a refused
certificate or credentials: each is one clear message in seconds, instead of a release-tests clone
followed by the same error on every scenario, or 15 s of retries per request. The question is one
`GET /version` with a short timeout and no retries, on a client of its own.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Final

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.errors import ClusterError

if TYPE_CHECKING:
    from kubernetes import client as k8s

    from pytest_streamstress.cluster.access import Access

REACH_TIMEOUT_S: Final = 5.0
"""How long the API may take to answer the first question before the run gives up (issue 22)."""


def check_reachable(access: Access, *, timeout: float = REACH_TIMEOUT_S) -> str:
    """The server's URL when it answers `GET /version` in time; a ClusterError naming the fix if not."""
    probe = ApiProbe(access, timeout=timeout)
    try:
        probe.ask()
    finally:
        probe.close()
    return probe.server


class ApiProbe:
    """`GET /version` on a client of its own, no retries: asked once at start-up (`check_reachable`) and
    every few seconds while the scenarios run (run/api_watch.py), on one connection pool."""

    def __init__(self, access: Access, *, timeout: float) -> None:
        from kubernetes import client as k8s

        configuration = _configuration(access)
        configuration.retries = 0
        self.server = str(configuration.host)
        self.timeout = timeout
        self._client = k8s.ApiClient(configuration)
        self._api = k8s.VersionApi(self._client)

    def ask(self) -> None:
        """Returns when the API answered; a ClusterError saying what it did instead."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        server, timeout = self.server, self.timeout
        try:
            self._api.get_code(_request_timeout=(timeout, timeout))
        except ApiException as exc:
            if exc.status in (401, 403):
                raise ClusterError(
                    f"the API server at {server} refused these credentials (HTTP {exc.status})",
                    hint="log in again (oc login) or fix the token in the kubeconfig",
                ) from None
            raise ClusterError(f"the API server at {server} answered HTTP {exc.status}") from None
        except urllib3.exceptions.MaxRetryError as exc:
            raise _unreachable(server, exc.reason, timeout) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _unreachable(server, exc, timeout) from None

    def close(self) -> None:
        self._client.close()


def _configuration(access: Access) -> k8s.Configuration:
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config

    from pytest_streamstress.cluster.access import is_in_cluster, kubeconfig_path

    configuration = k8s.Configuration()
    path = kubeconfig_path(access)
    if path is None and is_in_cluster():
        k8s_config.load_incluster_config(client_configuration=configuration)
        return configuration
    if path is None:
        raise ClusterError(
            "no kubeconfig found ($KUBECONFIG unset, ~/.kube/config missing) and not running in a pod",
            hint="pass --kubeconfig PATH, set KUBECONFIG, or use --cluster emulated",
        )
    if not path.is_file():
        raise ClusterError(f"kubeconfig {path} does not exist", hint="pass --kubeconfig PATH of a file")
    try:
        k8s_config.load_kube_config(
            config_file=str(path),
            context=access.context or None,
            client_configuration=configuration,
            persist_config=False,
        )
    except (k8s_config.ConfigException, OSError, ValueError) as exc:
        raise ClusterError(
            f"cannot use kubeconfig {path}: {Redactor()(str(exc))}",
            hint="check the file and --context (kubectl config get-contexts lists the contexts)",
        ) from None
    return configuration


def _unreachable(server: str, reason: object, timeout: float) -> ClusterError:
    if isinstance(reason, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(reason):
        return ClusterError(
            f"the API server at {server} presented a certificate this kubeconfig does not trust: {reason}",
            hint="put the cluster's CA in the kubeconfig (certificate-authority-data),"
            " or pass the right --kubeconfig",
        )
    refused = isinstance(reason, ConnectionRefusedError) or "Connection refused" in str(reason)
    # a refused connection is answered at once: "did not answer within 30s" sent people after timeouts
    what = "refused the connection" if refused else f"did not answer within {timeout:g}s"
    return ClusterError(
        f"the API server at {server} {what}: {reason}",
        hint="check that the cluster is up and reachable from here (VPN, proxy),"
        " or pass the right --kubeconfig",
    )
