"""The one typed reader of results.json documents (R11: the dict stops here).

Every room that reads a run reads it through here: the history index (`parse_results`,
`read_results`), the analysis and culprit ranges (`run_from_json`, `components_from_json`), `--since-last-run`
(`read_history_run`), `--images-from` (`read_images_file`) and the bisect steps (`read_run`); the
analysis of a long history reads a lean view (`outcomes_from_json`), for speed. A field
of the wrong type or outside its closed set raises `HistoryError` naming the source and the field;
a field a partial document lacks takes its default. The history admits only complete schema-1 runs
(`history_run_from_json`). It must not write anything: `directory.py` stores runs, `budget.py`
trims them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, NoReturn, TypeVar

from pytest_streamstress.history.model import RunOutcomes, scenario_identity
from pytest_streamstress.history.selection import selection_of
from pytest_streamstress.history.store.index import record_of
from pytest_streamstress.history.store.results import (
    COMPONENT_STATUSES,
    HANDED_OVER_KEY,
    RUN_STATUSES,
    CategoryCount,
    CommitResult,
    ComponentResult,
    ImageResult,
    ImagesFile,
    RunResults,
    ScenarioResult,
)
from pytest_streamstress.history.store.summaries import (
    STATUS_CODES,
    TRIM_ORDER,
    CategoryLabel,
    ClusterSummary,
    HistoryError,
    ProfileSummary,
    RunRecord,
    Trim,
    VerdictSummary,
)
from pytest_streamstress.model import Status

SCHEMA_VERSION: Final = 1

RUN_ID: Final = re.compile(r"^run-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")
_REQUIRED: Final = (
    "schema_version",
    "run_id",
    "started_at",
    "finished_at",
    "status",
    "emulated",
    "components",
    "scenarios",
    "counts",
)
_COUNT_KEYS: Final = ("total", "passed", "failed", "error", "skipped", "flaky")
_NOT_OURS: Final = f"not a pytest-streamstress results.json (schema {SCHEMA_VERSION})"
_HISTORY_HINT: Final = "the history holds only files written by pytest --streamstress"
_READ_HINT: Final = "pass the results directory of a finished run"
_STATUSES: Final = {status.value: status for status in Status}

T = TypeVar("T")


def case_key(scenario: Mapping[str, Any]) -> str:
    """Identity of a test across runs: the writer's `id`, else its rule (`model.scenario_identity`)."""
    explicit = scenario.get("id")
    if isinstance(explicit, str) and explicit:
        return explicit
    return scenario_identity(str(scenario["spec"]), str(scenario["scenario"]))


# -------------------------------------------------------------------- documents -> values (pure)


def run_from_json(data: Any, *, source: str, hint: str = _READ_HINT) -> RunResults:
    """Any results.json-shaped document (a partial one too) as `RunResults`; `source` names it in errors."""
    return _reading(_run, data, source=source, hint=hint)


def history_run_from_json(data: Any, *, source: str) -> RunResults:
    """A complete schema-1 run, as the history admits it (every field the index reads, a run id)."""
    _reading(_admit, data, source=source, hint=_HISTORY_HINT)
    return _reading(_run, data, source=source, hint=_HISTORY_HINT)


def parse_results(data: Any, *, source: str) -> RunRecord:
    """Check the shape the dashboard needs (schema_version 1) and reduce it to a `RunRecord`.

    A full JSON Schema validation would need `jsonschema` at run time; this checks every field the
    index reads and raises `HistoryError` naming `source` and the field, which is what a user needs.
    """
    return record_of(history_run_from_json(data, source=source))


def _reading(parse: Callable[[Any], T], data: Any, *, source: str, hint: str) -> T:
    try:
        return parse(data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise HistoryError(f"{_NOT_OURS}: {reason}", path=Path(source), hint=hint) from exc


def _admit(data: Any) -> None:
    if not isinstance(data, dict):
        raise ValueError("the top level is not a JSON object")
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    if data["schema_version"] != SCHEMA_VERSION:
        raise ValueError(
            f"schema_version is {data['schema_version']!r}, this dashboard reads {SCHEMA_VERSION}"
        )
    run_id = _text(data["run_id"], "run_id")
    if not RUN_ID.match(run_id):
        raise ValueError(f"run_id {run_id!r} does not look like run-YYYYMMDDTHHMMSSZ-xxxxxx")
    _require_cases(data["scenarios"])


def _require_cases(scenarios: Any) -> None:
    """The index's rows need a spec and a heading for every scenario, whatever its `id`."""
    for number, scenario in enumerate(scenarios, start=1):
        if isinstance(scenario, dict):
            for key in ("spec", "scenario"):
                if key not in scenario:
                    raise KeyError(f"scenarios[{number}].{key}")


def _run(data: Any) -> RunResults:
    if not isinstance(data, dict):
        raise ValueError("the top level is not a JSON object")
    return RunResults(
        run_id=_text_in(data, "run_id"),
        label=str(data.get("label") or ""),
        started_at=_text_in(data, "started_at"),
        finished_at=_text_in(data, "finished_at"),
        duration_s=float(data.get("duration_s") or 0.0),
        status=_one_of(data.get("status"), RUN_STATUSES, "status"),
        exit_code=_integer(data.get("exit_code"), "exit_code"),
        emulated=bool(data.get("emulated", False)),
        counts=_counts(data["counts"]) if "counts" in data else (),
        categories=tuple(_category(entry) for entry in data.get("categories") or ()),
        components=_components(data),
        scenarios=tuple(
            _scenario(raw, number) for number, raw in enumerate(_list(data, "scenarios"), start=1)
        ),
        errors=tuple(_error_message(entry) for entry in data.get("errors") or ()),
        profile=_profile_of(data.get("profile")),
        trimmed=_trimmed(data.get("extra")),
        category_labels=tuple(_label(entry) for entry in data.get("category_labels") or ()),
        verdict=_verdict(data.get("verdict")),
        cluster=_cluster(data.get("cluster")),
        selection=selection_of(data),
        restore=_restore(data.get("deploy")),
    )


def _counts(raw: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    return tuple((key, int(raw[key])) for key in _COUNT_KEYS)


def _scenario(raw: Any, number: int) -> ScenarioResult:
    where = f"scenarios[{number}]"
    if not isinstance(raw, dict):
        raise ValueError(f"{where} is not an object")
    return ScenarioResult(
        key=case_key(raw),
        status=_status(raw["status"], where),
        nodeid=_text_in(raw, "nodeid", where),
        spec=_text_in(raw, "spec", where),
        scenario=_text_in(raw, "scenario", where),
        tags=_texts(raw.get("tags"), where, "tags"),
        flaky=bool(raw.get("flaky")),
        attempts=_integer(raw.get("attempts"), f"{where}.attempts"),
        message=_text_in(raw, "message", where),
        category=_text(raw["category"], "category") if raw.get("category") is not None else None,
        confirmation=_confirmation(raw.get("confirmation"), where),
    )


def _confirmation(raw: Any, where: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError(f"{where}.confirmation is not an object")
    return _text(raw.get("verdict"), where, "confirmation.verdict")


def _status(value: Any, where: str) -> Status:
    status = _STATUSES.get(value) if isinstance(value, str) else None
    if status is None:
        _bad_status(value, where)
    return status


def _bad_status(value: Any, where: str) -> NoReturn:
    text = _text(value, where, "status")
    raise ValueError(f"{where}.status {text!r} is not one of {', '.join(STATUS_CODES)}")


def _components(data: Mapping[str, Any]) -> tuple[ComponentResult, ...]:
    return tuple(_component(raw, f"components[{i}]") for i, raw in enumerate(_list(data, "components")))


def _component(raw: Any, where: str) -> ComponentResult:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} is not an object")
    return ComponentResult(
        name=_text(raw.get("name"), where, "name"),
        repo=str(raw.get("repo") or ""),
        ref=None if raw.get("ref") is None else _text(raw["ref"], where, "ref"),
        status=_one_of(raw.get("status"), COMPONENT_STATUSES, f"{where}.status"),
        commit=_commit(raw.get("commit"), f"{where}.commit"),
        images=tuple(
            _image(raw_image, f"{where}.images[{i}]") for i, raw_image in enumerate(raw.get("images") or ())
        ),
        error=_text_in(raw, "error", where),
    )


def _commit(raw: Any, where: str) -> CommitResult | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError(f"{where} is not an object")
    if raw.get("sha") is None:
        return None
    return CommitResult(
        sha=_text(raw["sha"], where, "sha"),
        date=str(raw.get("date") or ""),
        subject=str(raw.get("subject") or ""),
    )


def _image(raw: Any, where: str) -> ImageResult:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} is not an object")
    return ImageResult(
        name=_text(raw.get("name"), where, "name"),
        ref=_text(raw.get("ref"), where, "ref"),
        env_vars=_texts(raw.get("env_vars"), where, "env_vars"),
    )


def _category(raw: Mapping[str, Any]) -> CategoryCount:
    category = _text(raw["category"], "categories[].category")
    return CategoryCount(
        category=category,
        count=int(raw["count"]),
        label=_text(raw.get("label", category), "categories[].label"),
        color=_text(raw.get("color", ""), "categories[].color"),
    )


def _label(raw: Any) -> CategoryLabel:
    if not isinstance(raw, dict):
        raise ValueError("category_labels[] is not an object")
    category = _text(raw.get("category"), "category_labels[].category")
    return CategoryLabel(
        category=category,
        label=_text(raw.get("label", category), "category_labels[].label"),
        color=_text(raw.get("color", ""), "category_labels[].color"),
    )


def _verdict(raw: Any) -> VerdictSummary | None:
    """The run's `verdict` object; None for a document written before verdicts (issue 18)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError("verdict is not an object")
    return VerdictSummary(
        status=_one_of(raw.get("status"), RUN_STATUSES, "verdict.status") or "",
        sentence=_text_in(raw, "sentence", "verdict"),
        gating=_integer(raw.get("gating"), "verdict.gating") or 0,
        excused=_integer(raw.get("excused"), "verdict.excused") or 0,
        harness=_integer(raw.get("harness"), "verdict.harness") or 0,
        scored=raw.get("scored") is not False,
    )


def _restore(deploy: Any) -> tuple[str, str] | None:
    """`deploy.restore`'s state and message; None when the run patched nothing (or predates it)."""
    raw = deploy.get("restore") if isinstance(deploy, dict) else None
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError("deploy.restore is not an object")
    return _text_in(raw, "state", "deploy.restore"), _text_in(raw, "message", "deploy.restore")


def _cluster(raw: Any) -> ClusterSummary:
    """The `cluster` object's name and versions; empty when a document has none (a partial one)."""
    if raw is None:
        return ClusterSummary()
    if not isinstance(raw, dict):
        raise ValueError("cluster is not an object")
    return ClusterSummary(
        name=_text_in(raw, "name", "cluster"),
        openshift_version=_text_in(raw, "openshift_version", "cluster"),
        operator_version=_text_in(raw, "operator_version", "cluster"),
    )


def _error_message(raw: Any) -> str:
    return str(raw.get("message") or "") if isinstance(raw, dict) else ""


def _trimmed(extra: Any) -> Trim:
    trimmed = str(extra.get("trimmed", "")) if isinstance(extra, dict) and extra else ""
    return trimmed if trimmed in TRIM_ORDER else ""  # type: ignore[return-value]  # checked by the condition


def _profile_of(profile: Any) -> ProfileSummary | None:
    """The index's view of a results.json `profile` section (`profile.profile_section`); None if absent."""
    if not isinstance(profile, dict):
        return None
    recommendation = profile.get("recommendation")
    if not isinstance(recommendation, dict):
        return ProfileSummary(status=_text(profile.get("status", ""), "profile.status"))
    limit = recommendation.get("max_parallel_specs")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise ValueError(f"profile.recommendation.max_parallel_specs must be an integer, not {limit!r}")
    return ProfileSummary(
        status=_text(profile.get("status", ""), "profile.status"),
        max_parallel=limit,
        limiting_resource=str(recommendation.get("limiting_resource") or ""),
    )


# -------------------------------------------------------------------- field readers


def _text(value: Any, where: str, key: str = "") -> str:
    if isinstance(value, str):
        return value
    raise ValueError(f"{_field(where, key)} must be a string, not {type(value).__name__}")


def _text_in(raw: Mapping[str, Any], key: str, where: str = "") -> str:
    """An optional text field: "" when absent or null, else it must be a string."""
    value = raw.get(key)
    return "" if value is None else _text(value, where, key)


def _texts(values: Any, where: str, key: str) -> tuple[str, ...]:
    items = tuple(values or ())
    for item in items:
        _text(item, where, key)
    return items


def _field(where: str, key: str) -> str:
    """`scenarios[3].status`: built only for an error message (the reader runs over every run, R13 bench)."""
    return f"{where}.{key}" if where and key else where or key


def _integer(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where} must be an integer, not {value!r}")
    return value


def _one_of(value: Any, allowed: tuple[T, ...], where: str) -> T | None:
    """A closed-set field (R10): None when absent, else one of `allowed`."""
    if value is None:
        return None
    for option in allowed:
        if value == option:
            return option
    raise ValueError(f"{where} {value!r} is not one of {', '.join(map(str, allowed))}")


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{key} is not a list")
    return value


# -------------------------------------------------------------------- values -> the views that read them


def outcomes_from_json(data: Any, *, source: str) -> RunOutcomes:
    """The analysis's view of a document: outcome per test identity (a later entry wins), flakes, commits.

    It reads only the fields classification and culprit ranges use, not a whole `RunResults`: every
    run of the history goes through here at session end, 365 nights x 200 scenarios in
    bench/history.py, whose budget (analysis under 2x the JSON load) a full reading would break.
    """
    return _reading(_outcomes, data, source=source, hint=_READ_HINT)


def _outcomes(data: Any) -> RunOutcomes:
    if not isinstance(data, dict):
        raise ValueError("the top level is not a JSON object")
    outcomes: dict[str, Status] = {}
    flaky: set[str] = set()
    messages: dict[str, str] = {}
    for number, raw in enumerate(_list(data, "scenarios"), start=1):
        if not isinstance(raw, dict):
            raise ValueError(f"scenarios[{number}] is not an object")
        key = case_key(raw)
        status = _STATUSES.get(raw["status"]) if isinstance(raw["status"], str) else None
        if status is None:
            _bad_status(raw["status"], f"scenarios[{number}]")
        outcomes[key] = status
        if raw.get("flaky"):
            flaky.add(key)
        if raw.get("message"):
            messages[key] = _text(raw["message"], f"scenarios[{number}]", "message")
    return RunOutcomes(
        run_id=_text_in(data, "run_id"),
        timestamp=_text_in(data, "started_at"),
        outcomes=outcomes,
        flaky=frozenset(flaky),
        messages=messages,
        components={c.name: c.sha for c in _components(data) if c.commit is not None},
        complete=is_scored(data),
        selection=selection_of(data),
    )


def is_scored(data: Mapping[str, Any]) -> bool:
    """Whether a run counts for the history's statistics: not a broken, interrupted or incomplete run.

    A night whose build failed errors every scenario; counting it would make every test look like it
    failed (issue 18 part 1: a run that did not happen is not scored).
    """
    verdict = data.get("verdict")
    if isinstance(verdict, dict) and verdict.get("scored") is False:
        return False
    return data.get("status") not in {"incomplete", "interrupted", "error"}


def components_from_json(data: Any, *, source: str) -> tuple[ComponentResult, ...]:
    """The `components` of a document (none when it has no such list)."""
    return _reading(_components, data, source=source, hint=_READ_HINT)


# -------------------------------------------------------------------- files


def load_document(path: Path) -> Any:
    """The parsed JSON of a file; `HistoryError` names the file when it cannot be read or parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise HistoryError("cannot read results.json: file not found", path=path, hint=_READ_HINT) from exc
    except json.JSONDecodeError as exc:
        raise HistoryError(
            f"cannot read results.json: not valid JSON ({exc})", path=path, hint=_READ_HINT
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError(f"cannot read results.json: {exc}", path=path, hint=_READ_HINT) from exc


def read_run(path: Path) -> RunResults:
    """Any results.json a run wrote, complete or not (a session that broke early writes one too)."""
    return run_from_json(load_document(path), source=str(path))


def read_history_run(path: Path) -> RunResults:
    """A results.json the history would admit; `HistoryError` names the file and the field otherwise."""
    return history_run_from_json(load_document(path), source=str(path))


def read_results(path: Path) -> RunRecord:
    """Read and check one results.json for the history index; `HistoryError` names the file on any problem."""
    return record_of(read_history_run(path))


def read_images_file(path: Path) -> ImagesFile:
    """The `components` list of a results.json (or of a file holding only that list, R27's reuse file),
    and who handed it over when a session wrote it for the sessions of its own run."""
    data = load_document(path)
    if not isinstance(data, dict) or not isinstance(data.get("components"), list):
        raise HistoryError(
            "no 'components' list; is this a streamstress results.json?", path=path, hint=_READ_HINT
        )
    by = data.get(HANDED_OVER_KEY)
    return ImagesFile(
        components=components_from_json(data, source=str(path)),
        handed_over_by=by if isinstance(by, str) else "",
    )
