"""Failure categorization: ordered rules from `categories.toml` decide a failed scenario's category.

Owns the rules file format (loading, checking, compiling) and the pure decision `categorize()`:
text and facts in, `model.Categorization` out (STYLE R13). It must not read results, touch pytest
items or do any I/O beyond reading the rules file; the runner applies the result as a marker and
the report shows it.

Semantics (issue 3 item 4): the first rule whose every given field matches wins; a pattern
matches anywhere in its field (`re.search`, never a full match: Allure's categories match the
whole message, a known trap); a rule whose guard (`unless`) matches does not fire; no rule ->
the default category with rule name "default". The evidence is the text the pattern matched and
the field it came from, so a wrong category is one look away from the rule to fix (issue 12 item 4).

Two conditions are not text but facts about the cluster (`facts.ClusterFacts`, issue 18 part 2):
`api_version` compares the group/version a message names with what API discovery serves (the same
"no matches for kind" is a missing component when nothing of the group is served and an upstream
API removal when a newer version is), and `component` checks the components a message names
against the installed ones. The caller passes the facts as values; an unknown fact never fires.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_streamstress import model
from pytest_streamstress._infra import resources
from pytest_streamstress._infra.toml import load_toml
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.triage.categories import RUN_DECIDED, CategorySpec, load_categories, rule_categories
from pytest_streamstress.triage.facts import (
    API_CONDITIONS,
    COMPONENT_CONDITIONS,
    UNKNOWN,
    ClusterFacts,
    NamedApi,
    api_fact,
    component_fact,
    named_apis,
    served_key,
    version_order,
)

__all__ = [
    "API_CONDITIONS",
    "COMPONENT_CONDITIONS",
    "DEFAULT_RULE",
    "FIELDS",
    "ClusterFacts",
    "NamedApi",
    "Rule",
    "Rules",
    "api_fact",
    "categorize",
    "load_rules",
    "marker_name",
    "named_apis",
    "served_key",
    "version_order",
]

log = logging.getLogger(__name__)

FIELDS: Final = ("message", "trace", "step", "spec", "scenario", "tags")
"""The text fields a rule may match, in the order evidence is taken from. `step` is the failing
Gauge step's text; `tags` are the scenario's tags, spec tags included."""

DEFAULT_RULE: Final = "default"
EVIDENCE_CHARS: Final = 120
_ID: Final = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_RULE_KEYS: Final = frozenset(
    {
        "name",
        "category",
        "unless",
        "known_issue",
        "comment",
        "cases",
        "case_sensitive",
        "api_version",
        "component",
    }
    | set(FIELDS)
)
_TOP_KEYS: Final = frozenset({"default_category", "category", "rule"})

Patterns = tuple["re.Pattern[str]", ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One rule: every field it names must match (AND); a field's patterns are alternatives (OR)."""

    name: str
    category: str
    message: Patterns = ()
    trace: Patterns = ()
    step: Patterns = ()
    spec: Patterns = ()
    scenario: Patterns = ()
    tags: Patterns = ()
    unless: tuple[tuple[str, Patterns], ...] = ()
    """Guards as (field, patterns): if any matches, the rule does not fire."""
    known_issue: str = ""
    comment: str = ""
    cases: tuple[str, ...] = ()
    """Corpus case ids this rule exists for (issue 12: every rule names its evidence)."""
    api_version: str = ""
    """One of API_CONDITIONS, or "" for none: a fact from cluster discovery the rule also needs."""
    component: str = ""
    """One of COMPONENT_CONDITIONS, or "" for none: what the cluster has of the components the
    failure names."""
    unless_component: str = ""
    """`unless = { component = "installed" }`: the rule does not fire when the cluster is known to
    have that of the components the failure names (a fact guard; unknown facts never stop it)."""

    def patterns(self, field: str) -> Patterns:
        return getattr(self, field)  # type: ignore[no-any-return]  # field is one of FIELDS


@dataclass(frozen=True, slots=True)
class Rules:
    """A loaded rules file: ordered rules, the default category and the declared categories."""

    rules: tuple[Rule, ...]
    default_category: str = "upstream-regression"
    source: Path | None = None
    specs: tuple[CategorySpec, ...] = ()
    """Every category with its label and colour, the run-decided ones (harness, unattributed) too."""

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories rules may choose, in file order (not harness or unattributed)."""
        return rule_categories(self.specs)

    @property
    def labels(self) -> tuple[tuple[str, str], ...]:
        """(id, display label) of every category, e.g. ("upstream-regression", "Upstream Regression")."""
        return tuple((spec.id, spec.label) for spec in self.specs)

    @property
    def colors(self) -> tuple[tuple[str, str], ...]:
        """(id, #rrggbb) of the categories that set a colour."""
        return tuple((spec.id, spec.color) for spec in self.specs if spec.color)

    def label(self, category: str) -> str:
        """The display label of a category id (the id itself when the file gives none)."""
        return dict(self.labels).get(category, category)

    @property
    def asks_discovery(self) -> bool:
        """Some rule needs the served API versions: only then is the cluster asked for them."""
        return any(rule.api_version for rule in self.rules)

    @property
    def asks_components(self) -> bool:
        """Some rule needs to know which components are installed."""
        return any(rule.component or rule.unless_component for rule in self.rules)


def marker_name(category: str) -> str:
    """The value put into the `streamstress_category(...)` marker: the kebab-case category id."""
    return category.strip().lower().replace("_", "-").replace(" ", "-")


def categorize(
    rules: Rules,
    *,
    message: str,
    trace: str = "",
    step: str = "",
    spec: str = "",
    scenario: str = "",
    tags: Sequence[str] = (),
    served_apis: frozenset[str] | None = None,
    facts: ClusterFacts | None = None,
) -> model.Categorization:
    """Decide the category of one failure: first matching rule wins, else the default category.

    `facts` is what is known of the cluster (None: nothing). `served_apis`, kept for callers that
    only know discovery, overrides `facts.served_apis`: NamedApi.key strings ("tekton.dev/v1/Task",
    "v1/Pod"), at least for the groups the message names; None when unknown.
    """
    known = facts or UNKNOWN
    if served_apis is not None:
        known = dataclasses.replace(known, served_apis=served_apis)
    texts: dict[str, Sequence[str]] = {
        "message": (message or "",),
        "trace": (trace or "",),
        "step": (step or "",),
        "spec": (spec or "",),
        "scenario": (scenario or "",),
        "tags": tuple(tags),
    }
    named = f"{message}\n{trace}"
    for rule in rules.rules:
        hit = _match_rule(rule, texts)
        if hit is None:
            continue
        notes = _match_facts(rule, named, known)
        if notes is None:
            continue
        if rule.unless_component and component_fact(rule.unless_component, named, known) is not None:
            continue
        field, evidence = _combine(hit, notes)
        return model.Categorization(
            category=rule.category,
            rule=rule.name,
            evidence=evidence,
            field=field,
            known_issue=rule.known_issue,
        )
    return model.Categorization(category=rules.default_category, rule=DEFAULT_RULE)


def _search(patterns: Patterns, texts: Sequence[str]) -> re.Match[str] | None:
    for pattern in patterns:
        for text in texts:
            found = pattern.search(text)
            if found is not None:
                return found
    return None


def _match_rule(rule: Rule, texts: Mapping[str, Sequence[str]]) -> tuple[str, str] | None:
    """(field, evidence) of the first text field, ("", "") for a rule on facts alone; None: no match."""
    first = ("", "")
    for field in FIELDS:
        patterns = rule.patterns(field)
        if not patterns:
            continue
        found = _search(patterns, texts[field])
        if found is None:
            return None
        if not first[0]:
            first = (field, _evidence(found))
    for field, patterns in rule.unless:
        if _search(patterns, texts[field]) is not None:
            return None
    return first


def _match_facts(rule: Rule, text: str, facts: ClusterFacts) -> list[tuple[str, str]] | None:
    """(fact, explanation) for each fact condition of the rule, or None when one does not hold."""
    notes: list[tuple[str, str]] = []
    if rule.api_version:
        fact = api_fact(named_apis(text), facts.served_apis) if facts.served_apis is not None else None
        if fact is None or fact[0] != rule.api_version:
            return None
        notes.append(("served_apis", fact[1]))
    if rule.component:
        note = component_fact(rule.component, text, facts)
        if note is None:
            return None
        notes.append(("installed", note))
    return notes


def _combine(hit: tuple[str, str], notes: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """The evidence: the matched text with the facts in brackets, or the facts alone."""
    field, evidence = hit
    facts = "; ".join(note for _, note in notes)
    if not field:
        return (notes[0][0] if notes else "", facts)
    return (field, f"{evidence} ({facts})" if facts else evidence)


def _evidence(found: re.Match[str]) -> str:
    text = " ".join(found.group(0).split())
    if not text:  # a zero-width match: show where it matched instead of nothing
        line_start = found.string.rfind("\n", 0, found.start()) + 1
        text = " ".join(found.string[line_start:].split("\n", 1)[0].split())
    if len(text) > EVIDENCE_CHARS:
        text = text[: EVIDENCE_CHARS - 1] + "…"
    return text


# --- loading ---------------------------------------------------------------------------------------


def load_rules(path: Path | None = None) -> Rules:
    """Load and check a rules file; None loads the shipped `config/categories.toml`.

    Every problem is a ConfigError naming the file, the rule and (when found) its line.
    """
    source = path if path is not None else resources.shipped_config("categories.toml")
    data = load_toml(source)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError:  # load_toml just read it; a race here only costs us line numbers
        text = ""
    return _from_toml(data, source=source, text=text)


def _from_toml(data: Mapping[str, Any], *, source: Path, text: str) -> Rules:
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown top-level key(s) {', '.join(unknown)}",
            path=source,
            hint="allowed: default_category, [[category]] tables and [[rule]] tables",
        )
    specs = load_categories(data.get("category", []), source=source)
    ids = rule_categories(specs)
    default = data.get("default_category", "upstream-regression")
    if not isinstance(default, str) or (ids and default not in ids):
        raise ConfigError(
            f"default_category {default!r} is not a declared category",
            path=source,
            hint=f"declared categories: {', '.join(ids)}",
        )
    if not ids:
        specs = (CategorySpec(id=default, label=default), *specs)
        ids = (default,)
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise ConfigError("'rule' must be an array of tables ([[rule]])", path=source)
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        rule = _rule(raw, index=index, ids=ids, source=source, text=text)
        if rule.name in seen:
            raise ConfigError(
                f"rule {rule.name!r}: duplicate rule name",
                path=source,
                line=_line_of(text, rule.name, occurrence=2),
                hint="give every rule its own name; the name is the evidence users see",
            )
        seen.add(rule.name)
        rules.append(rule)
    log.debug("loaded %d rules and %d categories from %s", len(rules), len(ids), source)
    return Rules(rules=tuple(rules), default_category=default, source=source, specs=specs)


def _rule(raw: Any, *, index: int, ids: tuple[str, ...], source: Path, text: str) -> Rule:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise ConfigError(
            f"rule #{index + 1} has no name", path=source, hint="add name = '...' to every [[rule]]"
        )
    name: str = raw["name"]
    line = _line_of(text, name)

    def fail(message: str, hint: str) -> ConfigError:
        return ConfigError(f"rule {name!r}: {message}", path=source, line=line, hint=hint)

    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise fail(
            f"unknown field(s) {', '.join(unknown)}",
            f"fields a rule may have: {', '.join(sorted(_RULE_KEYS))}",
        )
    category = raw.get("category")
    if category in {spec.id for spec in RUN_DECIDED}:
        raise fail(
            f"category {category!r} is decided by the run, not by rules",
            "harness means gauge broke and unattributed means nothing upstream changed; file the"
            f" failure under one of {', '.join(ids)}",
        )
    if category not in ids:
        raise fail(f"unknown category {category!r}", f"declared categories: {', '.join(ids)}")
    flags = 0 if raw.get("case_sensitive", False) else re.IGNORECASE
    fields = {
        field: _compile(raw[field], field=field, flags=flags, fail=fail) for field in FIELDS if field in raw
    }
    api_version = _condition(raw, "api_version", API_CONDITIONS, fail=fail)
    component = _condition(raw, "component", COMPONENT_CONDITIONS, fail=fail)
    if not fields and not (api_version or component):
        raise fail(
            "matches nothing: no field pattern and no fact condition given",
            f"give at least one of: {', '.join(FIELDS)}, api_version, component",
        )
    cases = raw.get("cases", [])
    guards, unless_component = _fact_guard(raw.get("unless", {}), fail=fail)
    return Rule(
        name=name,
        category=category,
        unless=_guards(guards, flags=flags, fail=fail),
        unless_component=unless_component,
        known_issue=str(raw.get("known_issue", "")),
        comment=str(raw.get("comment", "")),
        cases=tuple(str(case) for case in cases) if isinstance(cases, list) else (str(cases),),
        api_version=api_version,
        component=component,
        **fields,
    )


def _condition(
    raw: Mapping[str, Any], key: str, choices: Sequence[str], *, fail: Callable[[str, str], ConfigError]
) -> str:
    value = raw.get(key, "")
    if value not in ("", *choices):
        raise fail(
            f"{key} {value!r} is not a known condition",
            f"one of: {', '.join(choices)} (see the header of config/categories.toml)",
        )
    return str(value)


def _fact_guard(raw: Any, *, fail: Callable[[str, str], ConfigError]) -> tuple[Any, str]:
    """`unless`'s text guards, and its `component` fact guard taken out of them ("" for none)."""
    if not isinstance(raw, dict) or "component" not in raw:
        return raw, ""
    condition = _condition(raw, "component", COMPONENT_CONDITIONS, fail=fail)
    return {field: value for field, value in raw.items() if field != "component"}, condition


def _guards(
    raw: Any, *, flags: int, fail: Callable[[str, str], ConfigError]
) -> tuple[tuple[str, Patterns], ...]:
    if isinstance(raw, (str, list)):  # shorthand: guards on the message
        raw = {"message": raw}
    if not isinstance(raw, dict):
        raise fail("'unless' must be a table of field = pattern(s)", "e.g. unless = { message = 'panic' }")
    bad = sorted(set(raw) - set(FIELDS))
    if bad:
        raise fail(f"unknown field(s) in unless: {', '.join(bad)}", f"fields: {', '.join(FIELDS)}")
    return tuple(
        (field, _compile(value, field=f"unless.{field}", flags=flags, fail=fail))
        for field, value in raw.items()
    )


def _compile(value: Any, *, field: str, flags: int, fail: Callable[[str, str], ConfigError]) -> Patterns:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(item, str) for item in items):
        raise fail(
            f"{field} must be a regex string or a list of them", "e.g. message = 'no matches for kind'"
        )
    compiled: list[re.Pattern[str]] = []
    for item in items:
        try:
            compiled.append(re.compile(item, flags))
        except re.error as exc:
            raise fail(
                f"bad regular expression in {field}: {exc.msg} at position {exc.pos} in {item!r}",
                "write regexes as TOML literal strings ('...') and escape ( [ . with a backslash",
            ) from exc
    return tuple(compiled)


def _line_of(text: str, name: str, *, occurrence: int = 1) -> int | None:
    pattern = re.compile(r"^\s*name\s*=\s*[\"']" + re.escape(name) + r"[\"']", re.MULTILINE)
    matches = list(pattern.finditer(text))
    if len(matches) < occurrence:
        return None
    return text.count("\n", 0, matches[occurrence - 1].start()) + 1
