"""Cluster facts that triage rules may read besides the failure's text (issue 18 part 2).

Owns the value the plugin hands to `categorize()` (`ClusterFacts`), the vocabulary of components
(`COMPONENTS`) and the pure readings of a failure message against the facts: which components it
names, which API kinds it names (`named_apis`), and how those relate to what the cluster has
(`component_fact`, `api_fact`). It must not fetch anything: the run side asks the cluster (API
discovery, the operator's TektonConfig, ClusterVersion) and passes the answers in as values. A fact
that is unknown (None, or a component in neither set) never makes a rule fire.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

COMPONENTS: Final = (
    "tekton-pipelines",
    "tekton-triggers",
    "tekton-chains",
    "tekton-results",
    "pipelines-as-code",
    "clustertasks",
    "knative-serving",
    "knative-eventing",
    "openshift-pipelines-operator",
)
"""Component ids of `ClusterFacts.installed`/`absent` and of a corpus case's `installed` (the
vocabulary of tests/data/triage/SOURCES.md). `clustertasks` is the ClusterTask kind and its
default tasks, which Tekton removed in v1.0 while the operator may still ship them."""

_GROUP_OF: Final = {
    "tekton.dev": "tekton-pipelines",
    "triggers.tekton.dev": "tekton-triggers",
    "chains.tekton.dev": "tekton-chains",
    "results.tekton.dev": "tekton-results",
    "pipelinesascode.tekton.dev": "pipelines-as-code",
    "operator.tekton.dev": "openshift-pipelines-operator",
    "serving.knative.dev": "knative-serving",
    "eventing.knative.dev": "knative-eventing",
    "sources.knative.dev": "knative-eventing",
    "messaging.knative.dev": "knative-eventing",
    "flows.knative.dev": "knative-eventing",
}
"""API group -> component: the groups a message may name a component by. For most, the CRD group it
installs (Tekton and Knative install docs); a group that no component here owns names nothing."""
OPERAND_OF: Final = {"tekton-chains": "TektonChain", "tekton-results": "TektonResult"}
"""Components that install no CRD of their own (tektoncd/chains and tektoncd/results `config/` hold
none; `chains.tekton.dev/...` and `results.tekton.dev/...` are annotation and finalizer names), so
API discovery cannot tell whether they run. The operator's CR of that kind can: it creates one for
each component TektonConfig enables (reference/openshift-pipelines.md, "Other component CRs")."""

# How a message names a component: by an API group (resource.group, group/version), by a kind only
# that component defines (its CRDs; case-sensitive where the word is also plain English) or by the
# name of a workload its installer sets create. Component names as bare words ("chains", "knative")
# are not enough: the original tool's rules filed on those and were wrong most of the time.
_GROUPS: Final = "|".join(re.escape(group) for group in sorted(_GROUP_OF, key=len, reverse=True))
_NAMING: Final = (
    ("clustertasks", re.compile(r"\bclustertasks?\b", re.IGNORECASE)),
    ("", re.compile(r"(?<![\w.-])(" + _GROUPS + r")/v\d+(?:(?:alpha|beta)\d+)?", re.IGNORECASE)),
    ("", re.compile(r"\b[a-z]+\.(" + _GROUPS + r")\b", re.IGNORECASE)),
    ("tekton-pipelines", re.compile(r"\btekton-pipelines-(?:controller|webhook|remote-resolvers)\b")),
    (
        "tekton-triggers",
        re.compile(
            r"\btekton-triggers-[a-z]|\b(?:EventListener|(?:Cluster)?TriggerBinding|TriggerTemplate)s?\b",
            re.IGNORECASE,
        ),
    ),
    ("tekton-chains", re.compile(r"\btekton-chains\b")),
    ("tekton-results", re.compile(r"\btekton-results-[a-z]|\btkn-results\b")),
    ("pipelines-as-code", re.compile(r"\bpipelines-as-code\b")),
    (
        "openshift-pipelines-operator",
        re.compile(r"\b(?:openshift-pipelines|tekton)-operator\b|\bTektonConfig\b"),
    ),
    ("knative-serving", re.compile(r"\bKnative[ -]?Serving\b|\bksvcs?\b", re.IGNORECASE)),
    (
        "knative-eventing",
        re.compile(r"\b[Kk]native[ -]?[Ee]venting\b|\b(?:Broker|PingSource|ApiServerSource|SinkBinding)s?\b"),
    ),
)

API_CONDITIONS: Final = ("withdrawn", "not-yet-served", "kind-absent", "group-absent")
"""Values of a rule's `api_version`: how the kind at the group/version a message names relates
to what the cluster's discovery serves.

withdrawn: the kind is served at a newer version of the group only (the named one was removed);
not-yet-served: only at older versions (the installed component predates the API);
kind-absent: the group is served, the kind at no version (the component dropped it, as Tekton
dropped ClusterTask, or does not have it yet);
group-absent: no version of the group is served (the component is not installed)."""

COMPONENT_CONDITIONS: Final = ("absent", "installed")
"""Values of a rule's `component`: `absent` when some component the failure names is known not to
be installed; `installed` when every component it names is known to be installed (and it names one)."""

_GV: Final = r'"?((?:[a-z0-9-]+(?:\.[a-z0-9-]+)*/)?v\d+(?:(?:alpha|beta)\d+)?)\b'
_NAMED_API: Final = (
    # kubectl/client-go: no matches for kind "Task" in version "tekton.dev/v1beta1"
    re.compile(r'kind "?([A-Za-z0-9]+)"? in version ' + _GV, re.IGNORECASE),
    # oc/kubectl: doesn't have a resource type "kind: PipelineResource, apiVersion: tekton.dev/v1alpha1"
    re.compile(r"kind:\s*([A-Za-z0-9]+),\s*apiVersion:\s*" + _GV, re.IGNORECASE),
)
_VERSION: Final = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterFacts:
    """What is known about the cluster a failure happened on; every field may be unknown.

    The run side fills it (API discovery, the operator's TektonConfig and installer sets, the
    ClusterVersion and the operator's CSV); the corpus fills it from what a thread shows.
    """

    served_apis: frozenset[str] | None = None
    """Served kinds as NamedApi.key strings ("tekton.dev/v1/Task", "v1/Pod"), at least for the
    groups the failure names; None when discovery could not be asked."""
    installed: frozenset[str] = frozenset()
    """COMPONENTS ids known to be installed."""
    absent: frozenset[str] = frozenset()
    """COMPONENTS ids known NOT to be installed. A component in neither set is unknown."""
    ocp_version: str | None = None
    """OpenShift version ("4.16.3"), None when unknown. No shipped rule reads it yet: no corpus case
    shows one, so a rule on it could not be measured."""
    operator_version: str | None = None
    """OpenShift Pipelines operator version ("1.15.0"), None when unknown; not read by rules yet."""

    @classmethod
    def from_installed(
        cls, entries: Iterable[str], *, served_apis: frozenset[str] | None = None
    ) -> ClusterFacts:
        """Facts from the corpus notation: "knative-serving" is installed, "!knative-serving" absent."""
        names = tuple(entries)
        return cls(
            served_apis=served_apis,
            installed=frozenset(name for name in names if not name.startswith("!")),
            absent=frozenset(name[1:] for name in names if name.startswith("!")),
        )


UNKNOWN: Final = ClusterFacts()
"""No fact known: rules with fact conditions never fire."""


def named_components(text: str) -> tuple[tuple[str, str], ...]:
    """The components a failure names, in order, once each, as (component id, the words naming it)."""
    found: dict[str, str] = {}
    for component, pattern in _NAMING:
        for match in pattern.finditer(text):
            name = component or _GROUP_OF[match.group(1).lower()]
            found.setdefault(name, match.group(0))
    return tuple(found.items())


def component_fact(condition: str, text: str, facts: ClusterFacts) -> str | None:
    """Whether `condition` (a COMPONENT_CONDITIONS value) holds for the components `text` names.

    Returns the evidence ("knative-eventing is not installed (named by 'eventing.knative.dev')"),
    or None when it does not hold or is not known to.
    """
    named = named_components(text)
    if condition == "absent":
        for component, words in named:
            if component in facts.absent:
                return f"{component} is not installed (named by {words!r})"
        return None
    if named and all(component in facts.installed for component, _ in named):
        listing = ", ".join(f"{component} (named by {words!r})" for component, words in named)
        return f"installed: {listing}"
    return None


@dataclass(frozen=True, slots=True)
class NamedApi:
    """A kind at an API group/version that a failure message names."""

    group: str
    """"" for the core group."""
    version: str
    kind: str

    @property
    def key(self) -> str:
        """The form discovery facts use: "tekton.dev/v1/Task", "v1/Pod" for the core group."""
        return f"{self.group}/{self.version}/{self.kind}" if self.group else f"{self.version}/{self.kind}"


def named_apis(text: str) -> tuple[NamedApi, ...]:
    """The kinds at group/versions a failure names, in order, once each."""
    found: dict[NamedApi, None] = {}
    for pattern in _NAMED_API:
        for match in pattern.finditer(text):
            group, _, version = match.group(2).lower().rpartition("/")
            found[NamedApi(group, version, match.group(1))] = None
    return tuple(found)


def _split_key(key: str) -> tuple[str, str, str]:
    """A NamedApi.key back into (group, version, kind); the core group has no group part."""
    parts = key.split("/")
    return ("", parts[0], parts[1]) if len(parts) == 2 else (parts[0], parts[1], parts[2])


def served_key(group: str, version: str, kind: str) -> str:
    """One discovery fact: `kind` is served at `group/version` (the NamedApi.key form)."""
    return NamedApi(group, version, kind).key


def version_order(version: str) -> tuple[int, int, int]:
    """Chronological order of Kubernetes API versions: v1alpha1 < v1beta1 < v1 < v2alpha1 < v2."""
    match = _VERSION.match(version)
    if match is None:
        return (-1, -1, -1)
    major, stage, minor = match.groups()
    return (int(major), {"alpha": 0, "beta": 1}.get(stage or "", 2), int(minor or 0))


def api_fact(named: Sequence[NamedApi], served: frozenset[str]) -> tuple[str, str] | None:
    """How the first unserved named kind relates to discovery: (API_CONDITIONS value, explanation).

    `served` holds NamedApi.key strings for (at least) the groups `named` mentions.
    """
    triples = [_split_key(key) for key in served]
    for api in named:
        if api.key in served:
            continue
        in_group = [(version, kind) for group, version, kind in triples if group == api.group]
        versions = sorted({version for version, kind in in_group if kind == api.kind}, key=version_order)
        group = api.group or "the core group"
        if not versions:
            if in_group:
                return "kind-absent", f"cluster serves {group} but no {api.kind} in it"
            return "group-absent", f"cluster serves no version of {group}"
        prefix = f"{api.group}/" if api.group else ""
        listing = f"cluster serves {api.kind} at {', '.join(prefix + v for v in versions)}"
        if version_order(versions[-1]) > version_order(api.version):
            return "withdrawn", listing
        return "not-yet-served", listing
    return None


def components_from_groups(
    served_groups: Iterable[str], *, operands: Iterable[str] | None = None
) -> tuple[frozenset[str], frozenset[str]]:
    """(installed, absent) components from the API groups the cluster serves: a component whose CRD
    group is served is installed; one with no served group is absent (Tekton and Knative install
    their CRDs with the component, so discovery is the cluster's own answer).

    Chains and Results install no CRD (see `OPERAND_OF`): discovery cannot tell, so they are known
    only from `operands`, the operator CR kinds the cluster holds (None: not known either way)."""
    served = set(served_groups)
    by_crd = {group: component for group, component in _GROUP_OF.items() if component not in OPERAND_OF}
    installed = {component for group, component in by_crd.items() if group in served}
    absent = set(by_crd.values()) - installed
    if operands is not None:
        present = set(operands)
        for component, kind in OPERAND_OF.items():
            (installed if kind in present else absent).add(component)
    return frozenset(installed), frozenset(absent - installed)
