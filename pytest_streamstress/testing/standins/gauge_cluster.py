"""What release-tests' Go runner does to the cluster, for the gauge stand-in's `[run] cluster = true`.

Owns the cluster side of a scenario, read and written through `$KUBECONFIG` with the official
client, as release-tests does with client-go (openshift-pipelines/release-tests e2889e1):
- BeforeScenario (steps/hooks.go:24-46): a new namespace `releasetest-<5 random>`
  (`names.SimpleNameGenerator`, pkg/k8s/k8s.go:37-50), then, unless the scenario's own tags hold
  `install`, a wait for ServiceAccount `pipeline` there (k8s.go:74-91); absent: the hook fails with
  "service account 'pipeline' not available in namespace <ns>".
- AfterScenario (hooks.go:49-60): a passed scenario's namespace is deleted, a failed one's kept.
- A scenario's PipelineRun (`[scenario.pipelinerun]` of the outcome file): created in the namespace
  by its `create` step, waited for by its `verify` step like pkg/pipelines/pipelines.go:38-60 does,
  whose error on a failed run quotes the run and the logs of its failed steps.
It must not decide outcomes (the executor does) or print (it returns the runner's lines).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pytest_streamstress.testing.standins.kubeconfig import client_go_context

if TYPE_CHECKING:
    from pytest_streamstress.testing.standins.gauge_outcomes import PipelineRunPlan

NAME_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"
"""k8s.io/apiserver names.SimpleNameGenerator's alphabet (utilrand.String)."""
USAGE_ANNOTATION: Final = "emulator.streamstress.io/usage"
DURATION_ANNOTATION: Final = "emulator.streamstress.io/duration-s"
SA_TIMEOUT_S: Final = 60.0
POLL_S: Final = 0.05
REQUEST_TIMEOUT_S: Final = 15
STEP_IMAGE: Final = "registry.access.redhat.com/ubi9/ubi-minimal"


class ClusterProblem(Exception):
    """The cluster could not be read or written; the message says what was being done."""


def namespace_name(rng: random.Random) -> str:
    return "releasetest-" + "".join(rng.choice(NAME_ALPHABET) for _ in range(5))


@dataclass
class ClusterSession:
    """One stand-in process's connection, opened on first use and closed by `close`."""

    kubeconfig: str
    _api: Any = field(default=None, repr=False)

    def _client(self) -> Any:
        if self._api is None:
            from kubernetes import config

            try:
                self._api = config.new_client_from_config(
                    config_file=self.kubeconfig or None, context=client_go_context(self.kubeconfig)
                )
            except Exception as exc:  # an unreadable kubeconfig is reported as release-tests would
                raise ClusterProblem(f"cannot load kubeconfig {self.kubeconfig!r}: {exc}") from None
        return self._api

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None

    def _call(self, what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return function(*args, _request_timeout=REQUEST_TIMEOUT_S, **kwargs)
        except ApiException as exc:
            raise ClusterProblem(f"{what}: {exc.status} {exc.reason}") from None
        except HTTPError as exc:
            raise ClusterProblem(f"{what}: {type(exc).__name__}") from None

    def create_namespace(self, name: str) -> None:
        from kubernetes import client

        core = client.CoreV1Api(self._client())
        self._call(f"oc new-project {name}", core.create_namespace, {"metadata": {"name": name}})

    def delete_namespace(self, name: str) -> None:
        from kubernetes import client

        core = client.CoreV1Api(self._client())
        self._call(f"oc delete project {name}", core.delete_namespace, name)

    def wait_for_service_account(self, namespace: str, name: str, timeout: float = SA_TIMEOUT_S) -> bool:
        from kubernetes import client

        core = client.CoreV1Api(self._client())
        deadline = time.monotonic() + timeout
        while True:
            found = self._call("list serviceaccounts", core.list_namespaced_service_account, namespace)
            if any(sa.metadata.name == name for sa in found.items):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_S)

    def create_pipelinerun(self, namespace: str, plan: PipelineRunPlan) -> str:
        """Create the run; returns `oc create`'s output line."""
        from kubernetes import client

        custom = client.CustomObjectsApi(self._client())
        self._call(
            f"oc create pipelinerun {plan.name} -n {namespace}",
            custom.create_namespaced_custom_object,
            "tekton.dev",
            "v1",
            namespace,
            "pipelineruns",
            pipelinerun_body(plan),
        )
        return f"pipelinerun.tekton.dev/{plan.name} created"

    def wait_for_pipelinerun(self, namespace: str, name: str, timeout: float) -> tuple[str, str]:
        """(status, message) of its Succeeded condition once not Unknown, else ("Unknown", why)."""
        from kubernetes import client

        custom = client.CustomObjectsApi(self._client())
        deadline = time.monotonic() + timeout
        while True:
            run = self._call(
                f"get pipelinerun {name}",
                custom.get_namespaced_custom_object,
                "tekton.dev",
                "v1",
                namespace,
                "pipelineruns",
                name,
            )
            conditions = (run.get("status") or {}).get("conditions") or []
            found: dict[str, Any] = next((c for c in conditions if c.get("type") == "Succeeded"), {})
            if found.get("status") in ("True", "False"):
                return str(found["status"]), str(found.get("message", ""))
            if time.monotonic() >= deadline:
                return "Unknown", f"timed out waiting for the condition on pipelineruns/{name}"
            time.sleep(POLL_S)

    def failed_step_logs(self, namespace: str, run: str) -> list[str]:
        """`[<task> : <step>] <line>` for each line of each failed step of the run, as `tkn pr logs`."""
        from kubernetes import client

        custom = client.CustomObjectsApi(self._client())
        core = client.CoreV1Api(self._client())
        taskruns = self._call(
            "list taskruns",
            custom.list_namespaced_custom_object,
            "tekton.dev",
            "v1",
            namespace,
            "taskruns",
            label_selector=f"tekton.dev/pipelineRun={run}",
        )
        lines: list[str] = []
        for taskrun in taskruns.get("items", []):
            task = (taskrun["metadata"].get("labels") or {}).get("tekton.dev/pipelineTask", "")
            for step in (taskrun.get("status") or {}).get("steps") or []:
                if ((step.get("terminated") or {}).get("exitCode") or 0) == 0:
                    continue
                text = self._call(
                    "read step log",
                    core.read_namespaced_pod_log,
                    taskrun["status"].get("podName", ""),
                    namespace,
                    container=step.get("container", ""),
                )
                lines += [f"[{task} : {step.get('name', '')}] {line}" for line in str(text).splitlines()]
        return lines


def pipelinerun_body(plan: PipelineRunPlan) -> dict[str, Any]:
    """A PipelineRun with an embedded spec: one single-step task per name, the emulator's script on it."""

    def task(name: str) -> dict[str, Any]:
        step = {"name": name, "image": STEP_IMAGE, "script": f"echo {name}"}
        return {"name": name, "taskSpec": {"steps": [step]}}

    annotations = {DURATION_ANNOTATION: str(plan.duration_s)}
    if plan.usage:
        annotations[USAGE_ANNOTATION] = json.dumps([list(step) for step in plan.usage])
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": plan.name, "annotations": annotations},
        "spec": {
            "pipelineSpec": {
                "tasks": [task(name) for name in plan.tasks],
                "finally": [task(name) for name in plan.finally_tasks],
            }
        },
    }


def failure_message(run: str, message: str, logs: list[str]) -> str:
    """release-tests' error for a run that should have succeeded (pkg/pipelines/pipelines.go:38-56)."""
    return (
        f"error waiting for pipeline run {run} to finish \n"
        + (f'"{run}" failed' if message and "timed out" not in message else message)
        + " \npipelinerun logs: \n"
        + "\n".join(logs)
        + " \npipelinerun events: \n"
    )
