"""The history store the dashboard reads: `runs/<run-id>/results.json` plus a compact `index.json`.

It owns the layout of a history directory (a local site or a checkout of the gh-pages branch), the
incremental index, the byte budget, and the one typed reading of a results.json document
(`reader`). It must not render HTML (`report/site.py`) or run git (`report/publish.py`).

Layout::

    index.json                 summaries of every run + a per-test outcome matrix (loaded first)
    runs/<run-id>/results.json one run, as the plugin wrote it (fetched lazily by the page)

Rules the rest of the project relies on:

- Adding a run writes one new file and rewrites `index.json`; it never rewrites an older run's file.
  Only the byte budget (`enforce_budget`) rewrites old runs, and only to drop detail from them.
- A malformed or foreign `results.json` inside the history is skipped with a warning naming it and
  listed in `index.json` under `skipped`; it never breaks the index or the page.
- The index is compact on purpose: the page must render 365 runs x 200 tests from it in under
  1 s and under 2 MB (bench/dashboard.py), so per-test outcomes are one character per run and the
  failure category one more character per run, never objects.

Test identity across runs: the scenario's `id` when the writer gives one, else the writer's own rule
(`history.model.scenario_identity`, below report/: spec + PIPELINES-NN-TCNN from the heading, else it).

The parts: `results` (a results.json as typed values) and `reader` (the one reader that makes
them), `details` (the newest run's failures with their evidence, for the morning page),
`summaries` (what the index keeps of one run), `index` (the test x run matrix, pure),
`directory` (the files on disk), `budget` (trimming old runs). Callers import from here (R4).
"""

from __future__ import annotations

from pytest_streamstress.history.store.budget import enforce_budget, history_bytes, trim_results
from pytest_streamstress.history.store.details import (
    ConfirmationState,
    CulpritDetail,
    FailureDetail,
    RunDetails,
    SuspectRange,
    details_from_json,
    read_details,
)
from pytest_streamstress.history.store.directory import (
    add_run,
    history_documents,
    load_index,
    record_run,
    update_index,
    write_atomically,
    write_index,
)
from pytest_streamstress.history.store.index import HistoryIndex, category_code, record_of
from pytest_streamstress.history.store.reader import (
    SCHEMA_VERSION,
    case_key,
    components_from_json,
    history_run_from_json,
    load_document,
    outcomes_from_json,
    parse_results,
    read_history_run,
    read_images_file,
    read_results,
    read_run,
    run_from_json,
)
from pytest_streamstress.history.store.results import (
    CategoryCount,
    CommitResult,
    ComponentResult,
    ComponentStatus,
    ImageResult,
    ImagesFile,
    RunResults,
    ScenarioResult,
    handed_over_images,
)
from pytest_streamstress.history.store.summaries import (
    INDEX_FILE,
    RESULTS_FILE,
    RUNS_DIR,
    SUMMARY_VERSION,
    CaseOutcome,
    CategoryLabel,
    ClusterSummary,
    ComponentCommit,
    HistoryError,
    ProfileSummary,
    RunRecord,
    RunSummary,
    SkippedFile,
    TestCase,
    Trim,
    VerdictSummary,
)
from pytest_streamstress.model import RunStatus

__all__ = [
    "INDEX_FILE",
    "RESULTS_FILE",
    "RUNS_DIR",
    "SCHEMA_VERSION",
    "SUMMARY_VERSION",
    "CaseOutcome",
    "CategoryCount",
    "CategoryLabel",
    "ClusterSummary",
    "CommitResult",
    "ComponentCommit",
    "ComponentResult",
    "ComponentStatus",
    "ConfirmationState",
    "CulpritDetail",
    "FailureDetail",
    "HistoryError",
    "HistoryIndex",
    "ImageResult",
    "ImagesFile",
    "ProfileSummary",
    "RunDetails",
    "RunRecord",
    "RunResults",
    "RunStatus",
    "RunSummary",
    "ScenarioResult",
    "SkippedFile",
    "SuspectRange",
    "TestCase",
    "Trim",
    "VerdictSummary",
    "add_run",
    "case_key",
    "category_code",
    "components_from_json",
    "details_from_json",
    "enforce_budget",
    "handed_over_images",
    "history_bytes",
    "history_documents",
    "history_run_from_json",
    "load_document",
    "load_index",
    "outcomes_from_json",
    "parse_results",
    "read_details",
    "read_history_run",
    "read_images_file",
    "read_results",
    "read_run",
    "record_of",
    "record_run",
    "run_from_json",
    "trim_results",
    "update_index",
    "write_atomically",
    "write_index",
]
