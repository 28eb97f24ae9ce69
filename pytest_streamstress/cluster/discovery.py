"""What the cluster serves, asked once per API group, for triage (issue 12).

The same 'no matches for kind "Service" in version "serving.knative.dev/v1alpha1"' is a missing
component on a cluster that serves no Service of that group and an upstream API removal on one that
serves it at v1. Categorization is pure (`categorize.api_fact`); this module fetches the facts it
needs, lazily: only when a rule asks for them and a failure names an API, each group once per
process. A cluster that cannot answer leaves the facts unknown (the rule then does not fire) and is
not asked again: triage must never fail or stall a run that already has its results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from pytest_streamstress.cluster.resources import TEKTON_GROUP
from pytest_streamstress.errors import StreamstressError
from pytest_streamstress.triage.categorize import served_key

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)


def _plural(kind: str) -> str:
    """`TektonChain` -> `tektonchains`: the operator's component CRs are plain lower-case plurals."""
    return kind.lower() + "s"


class ServedApis:
    """Discovery facts as `categorize.NamedApi.key` strings, cached per group."""

    def __init__(self, connect: Callable[[], Cluster]) -> None:
        self._connect = connect
        self._cluster: Cluster | None = None
        self._versions: dict[str, tuple[str, ...]] | None = None
        """Every served group's versions: one `GET /apis` per process, read on first need."""
        self._groups: dict[str, frozenset[str]] = {}
        self.unavailable = ""
        """Why discovery is off for this process ("" while it works)."""
        self._operands: frozenset[str] | None = None

    def facts(self, groups: Iterable[str]) -> frozenset[str] | None:
        """The served kinds of `groups` ("" = core), or None when the cluster cannot say."""
        wanted = set(groups)
        if self.unavailable:
            return None
        try:
            for group in sorted(wanted - set(self._groups)):
                self._groups[group] = self._kinds_of(group)
        except StreamstressError as exc:
            self.unavailable = str(exc).splitlines()[0]
            log.warning("triage without API discovery (api_version rules do not fire): %s", self.unavailable)
            self.close()
            return None
        return frozenset[str]().union(*(self._groups[group] for group in wanted))

    def served_groups(self) -> frozenset[str] | None:
        """Every API group the cluster serves ("" = core), or None when it cannot say."""
        if self.unavailable:
            return None
        try:
            if self._cluster is None:
                self._cluster = self._connect()
            if self._versions is None:
                self._versions = self._cluster.api_group_versions()
        except StreamstressError as exc:
            self.unavailable = str(exc).splitlines()[0]
            log.warning("triage without API discovery (component rules do not fire): %s", self.unavailable)
            self.close()
            return None
        return frozenset(self._versions)

    def operand_kinds(self, kinds: Iterable[str]) -> frozenset[str] | None:
        """Which of these operator CR kinds (`TektonChain`, ...) have an instance, asked once; None when
        the cluster cannot say or serves no operator group (then the operator did not install them)."""
        groups = self.served_groups()
        if groups is None or TEKTON_GROUP not in groups or self._cluster is None or self._versions is None:
            return None
        if self._operands is None:
            version = self._versions[TEKTON_GROUP][0]
            try:
                self._operands = frozenset(
                    kind for kind in kinds if self._cluster.list_custom(TEKTON_GROUP, version, _plural(kind))
                )
            except StreamstressError as exc:
                log.warning("triage without the operator's component CRs: %s", str(exc).splitlines()[0])
                return None
        return self._operands

    def _kinds_of(self, group: str) -> frozenset[str]:
        if self._cluster is None:
            self._cluster = self._connect()
        if self._versions is None:
            self._versions = self._cluster.api_group_versions()
        return frozenset(
            served_key(group, version, kind)
            for version in self._versions.get(group, ())
            for kind in self._cluster.kinds_at(group, version)
        )

    def close(self) -> None:
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
