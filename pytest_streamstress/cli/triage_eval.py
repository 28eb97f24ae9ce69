"""`streamstress triage-eval [CORPUS] [--rules FILE]`: measure categorization rules on a labelled corpus.

Owns only the command line: finding the corpus and rules, calling `triage_eval.evaluate` and
writing its report to stdout. The scoring itself lives in `pytest_streamstress.triage.evaluate`.
Exit code 0 whatever the figures (it is a measurement; the CI ratchet decides pass or fail).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Final

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.triage import categorize
from pytest_streamstress.triage import evaluate as triage_eval

log = logging.getLogger(__name__)

HELP: Final = "Score categorization rules against a labelled corpus of real failures"

CORPUS_IN_CHECKOUT: Final = Path("tests") / "data" / "triage" / "corpus.toml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "corpus",
        nargs="?",
        type=Path,
        metavar="CORPUS",
        help="corpus.toml with [[case]] tables (default: the shipped corpus of a checkout)",
    )
    parser.add_argument(
        "--rules",
        type=Path,
        metavar="FILE",
        help="categories.toml to score (default: the shipped rules)",
    )


def default_corpus() -> Path | None:
    """The shipped corpus: beside the package in a checkout, else under the working directory."""
    checkout = Path(__file__).resolve().parents[2] / CORPUS_IN_CHECKOUT
    for candidate in (checkout, Path.cwd() / CORPUS_IN_CHECKOUT):
        if candidate.is_file():
            return candidate
    return None


def run(args: argparse.Namespace) -> int:
    corpus_path: Path | None = args.corpus or default_corpus()
    if corpus_path is None:
        raise ConfigError(
            "no corpus given and the shipped corpus is not here (it lives in a source checkout)",
            hint=f"pass the path to a corpus.toml, e.g. streamstress triage-eval {CORPUS_IN_CHECKOUT}",
        )
    rules = categorize.load_rules(args.rules)
    cases = triage_eval.load_corpus(corpus_path, categories=rules.categories)
    report = triage_eval.evaluate(rules, cases)
    log.debug("scored %d cases from %s with %s", report.total, corpus_path, rules.source)
    sys.stdout.write(
        triage_eval.format_report(report, rules_source=str(rules.source), corpus_source=str(corpus_path))
    )
    return 0
