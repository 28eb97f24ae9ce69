"""triage_eval.py and `streamstress triage-eval`: scoring rules on a hand-made corpus with known scores."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_streamstress.cli import main as cli
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.triage import categorize
from pytest_streamstress.triage import evaluate as triage_eval

RULES = textwrap.dedent(
    """\
    default_category = "upstream-regression"

    [[category]]
    id = "missing-component"

    [[category]]
    id = "platform-issue"

    [[category]]
    id = "config-gap"

    [[category]]
    id = "upstream-regression"

    [[rule]]
    name = "arch"
    category = "platform-issue"
    message = 'exec format error'

    [[rule]]
    name = "secret"
    category = "config-gap"
    message = 'secret'
    """
)

# Hand-computed with RULES:
#   a1 platform   "exec format error"       -> platform    (rule arch)     right
#   a2 platform   "no space left on device" -> regression  (default)       wrong
#   a3 config-gap "secret x not found"      -> config-gap  (rule secret)   right
#   a4 regression "secret volume ..." hard  -> config-gap  (rule secret)   wrong
#   a5 regression "panic"                   -> regression  (default)       right
# accuracy 3/5 overall, 3/4 plain, 0/1 hard
# platform: support 2, predicted 1, correct 1 -> precision 1.0, recall 0.5
# config-gap: support 1, predicted 2, correct 1 -> precision 0.5, recall 1.0
# regression: support 2, predicted 2, correct 1 -> precision 0.5, recall 0.5
# missing-component: no cases, never predicted -> precision and recall undefined
CORPUS = textwrap.dedent(
    """\
    [[case]]
    id = "a1"
    category = "platform-issue"
    source = "x/y#1"
    url = "https://github.com/x/y/issues/1"
    reason = "arch"
    message = '''fork/exec /bin/sh: exec format error'''

    [[case]]
    id = "a2"
    category = "platform-issue"
    message = '''write /workspace/out: no space left on device'''

    [[case]]
    id = "a3"
    category = "config-gap"
    message = '''secret "x" not found'''

    [[case]]
    id = "a4"
    category = "upstream-regression"
    hard = true
    message = '''multiple volumes with same name "tekton-internal-secret-volume-1"'''

    [[case]]
    id = "a5"
    category = "upstream-regression"
    message = '''panic: boom'''
    """
)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    rules = tmp_path / "rules.toml"
    corpus = tmp_path / "corpus.toml"
    rules.write_text(RULES, encoding="utf-8")
    corpus.write_text(CORPUS, encoding="utf-8")
    return rules, corpus


@pytest.fixture
def report(files: tuple[Path, Path]) -> triage_eval.Report:
    rules = categorize.load_rules(files[0])
    return triage_eval.evaluate(rules, triage_eval.load_corpus(files[1], categories=rules.categories))


def test_accuracy_is_counted_overall_and_on_plain_and_hard_cases(report: triage_eval.Report) -> None:
    assert (report.accuracy(), report.accuracy(hard=False), report.accuracy(hard=True)) == (0.6, 0.75, 0.0)


@pytest.mark.parametrize(
    ("category", "precision", "recall"),
    [
        pytest.param("platform-issue", 1.0, 0.5, id="platform"),
        pytest.param("config-gap", 0.5, 1.0, id="config-gap"),
        pytest.param("upstream-regression", 0.5, 0.5, id="regression"),
        pytest.param("missing-component", None, None, id="never-seen"),
    ],
)
def test_precision_and_recall_per_category_match_the_hand_computed_values(
    report: triage_eval.Report, category: str, precision: float | None, recall: float | None
) -> None:
    score = report.score(category)
    assert (score.precision, score.recall) == (precision, recall)


def test_the_confusion_table_has_true_rows_and_predicted_columns(report: triage_eval.Report) -> None:
    assert report.categories == ("missing-component", "platform-issue", "config-gap", "upstream-regression")
    assert report.confusion == (
        (0, 0, 0, 0),
        (0, 1, 0, 1),
        (0, 0, 1, 0),
        (0, 0, 1, 1),
    )


def test_each_miss_records_the_rule_that_fired(report: triage_eval.Report) -> None:
    assert [(o.case.id, o.got.category, o.got.rule) for o in report.misses] == [
        ("a2", "upstream-regression", "default"),
        ("a4", "config-gap", "secret"),
    ]


def test_the_text_report_shows_figures_table_and_training_misses(report: triage_eval.Report) -> None:
    text = triage_eval.format_report(report)
    assert "accuracy overall                       60.0%" in text
    assert "accuracy plain                         75.0%" in text
    assert "config-gap              |        1         2      0.50    1.00" in text
    assert "missing-component       |        0         0       n/a     n/a" in text
    assert "a4 (hard): expected upstream-regression, got config-gap by rule 'secret' matched 'secret'" in text


def test_held_back_figures_lead_and_name_no_case(files: tuple[Path, Path], tmp_path: Path) -> None:
    rules = categorize.load_rules(files[0])
    training = triage_eval.evaluate(rules, triage_eval.load_corpus(files[1], categories=rules.categories))
    heldout = tmp_path / "heldout.toml"
    heldout.write_text(
        "[[case]]\nid = 'h-secret-id'\ncategory = 'platform-issue'\nmessage = 'quota-words-nobody-may-see'\n",
        encoding="utf-8",
    )
    text = triage_eval.format_report(training, heldout=triage_eval.score_blind(rules, heldout))
    assert text.index("held-back") < text.index("training")
    assert "accuracy overall                        0.0%         60.0%" in text
    assert "held-back misses: 1 (never listed" in text
    assert "h-secret-id" not in text
    assert "quota-words-nobody-may-see" not in text


def test_a_broken_held_back_case_is_reported_without_its_id_or_values(tmp_path: Path) -> None:
    heldout = tmp_path / "heldout.toml"
    heldout.write_text(
        "[[case]]\nid = 'h-secret-id'\ncategory = 'flaky-x'\nmessage = 'x'\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        triage_eval.load_corpus(heldout, categories=("platform-issue",), blind=True)
    assert "case #1 (held-back, not shown): unknown category" in str(caught.value)
    assert "h-secret-id" not in str(caught.value)
    assert "flaky-x" not in str(caught.value)


def test_a_case_with_an_unknown_category_is_rejected(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.toml"
    corpus.write_text("[[case]]\nid = 'b1'\ncategory = 'flaky'\nmessage = 'x'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="case 'b1': unknown category 'flaky'"):
        triage_eval.load_corpus(corpus, categories=("platform-issue",))


def test_a_duplicate_case_id_is_rejected(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.toml"
    corpus.write_text(
        "[[case]]\nid = 'b1'\ncategory = 'x'\nmessage = 'x'\n"
        "[[case]]\nid = 'b1'\ncategory = 'x'\nmessage = 'y'\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="duplicate id"):
        triage_eval.load_corpus(corpus)


def test_an_unknown_case_field_is_rejected(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.toml"
    corpus.write_text("[[case]]\nid = 'b1'\ncategory = 'x'\nmessage = 'x'\nlabel = 'y'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown field\(s\) label"):
        triage_eval.load_corpus(corpus)


def test_served_apis_is_read_as_discovery_facts_and_checked(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.toml"
    base = "[[case]]\nid = 'b1'\ncategory = 'x'\nmessage = 'x'\n"
    corpus.write_text(base + "served_apis = ['tekton.dev/v1/Task']\n", encoding="utf-8")
    assert triage_eval.load_corpus(corpus)[0].served_apis == frozenset({"tekton.dev/v1/Task"})
    corpus.write_text(base, encoding="utf-8")
    assert triage_eval.load_corpus(corpus)[0].served_apis is None
    corpus.write_text(base + "served_apis = 'tekton.dev/v1/Task'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="case 'b1': served_apis must be a list"):
        triage_eval.load_corpus(corpus)


def test_step_and_installed_are_read_as_case_facts_and_checked(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.toml"
    base = "[[case]]\nid = 'b1'\ncategory = 'x'\nmessage = 'x'\nstep = 'Create pipeline'\n"
    corpus.write_text(base + "installed = ['tekton-pipelines', '!knative-eventing']\n", encoding="utf-8")
    case = triage_eval.load_corpus(corpus)[0]
    assert case.step == "Create pipeline"
    assert (case.facts.installed, case.facts.absent) == (
        frozenset({"tekton-pipelines"}),
        frozenset({"knative-eventing"}),
    )
    corpus.write_text(base + "installed = ['!knative']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="case 'b1': installed must list component ids"):
        triage_eval.load_corpus(corpus)


def test_the_command_prints_the_report_and_exits_zero(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    rules, corpus = files
    code = cli.main(["triage-eval", str(corpus), "--no-heldout", "--rules", str(rules)])
    out = capsys.readouterr().out
    assert code == 0
    assert "5 cases (4 plain, 1 hard)" in out
    assert "training misses: 2" in out


def test_the_command_defaults_to_the_shipped_corpus_and_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["triage-eval"])
    out = capsys.readouterr().out
    assert code == 0
    assert "training:  " in out
    assert "corpus.toml" in out
    assert "held-back: " in out
    assert "corpus-heldout.toml" in out
    assert "categories.toml" in out


def test_the_command_reports_a_bad_rules_file_and_exits_two(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    rules, corpus = files
    rules.write_text(RULES.replace("'exec format error'", "'exec (format'"), encoding="utf-8")
    code = cli.main(["triage-eval", str(corpus), "--no-heldout", "--rules", str(rules)])
    err = capsys.readouterr().err
    assert code == 2
    assert "rule 'arch'" in err
    assert str(rules) in err
