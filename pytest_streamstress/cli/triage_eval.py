"""`streamstress triage-eval [TRAINING] [--heldout FILE | --no-heldout] [--rules FILE]`.

Owns only the command line: finding the two corpus files and the rules, calling
`triage.evaluate` and writing its report to stdout. The scoring itself lives in
`pytest_streamstress.triage.evaluate`, which also makes sure nothing of the held-back file but its
figures is ever shown (issue 18 part 4). Exit code 0 whatever the figures (it is a measurement;
the CI ratchet decides pass or fail).
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

HELP: Final = "Score categorization rules on the held-back and training corpora of real failures"

TRIAGE_DATA: Final = Path("tests") / "data" / "triage"
CORPUS_IN_CHECKOUT: Final = TRIAGE_DATA / "corpus.toml"
HELDOUT_IN_CHECKOUT: Final = TRIAGE_DATA / "corpus-heldout.toml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "corpus",
        nargs="?",
        type=Path,
        metavar="TRAINING",
        help="training corpus with [[case]] tables (default: corpus.toml of a checkout)",
    )
    held = parser.add_mutually_exclusive_group()
    held.add_argument(
        "--heldout",
        type=Path,
        metavar="FILE",
        help="held-back corpus, shown as figures only (default: corpus-heldout.toml of a checkout)",
    )
    held.add_argument(
        "--no-heldout",
        action="store_true",
        help="Score the training corpus alone",
    )
    parser.add_argument(
        "--rules",
        type=Path,
        metavar="FILE",
        help="categories.toml to score (default: the shipped rules)",
    )


def shipped_file(relative: Path) -> Path | None:
    """A corpus file of a checkout: beside the package, else under the working directory."""
    checkout = Path(__file__).resolve().parents[2] / relative
    for candidate in (checkout, Path.cwd() / relative):
        if candidate.is_file():
            return candidate
    return None


def default_corpus() -> Path | None:
    """The shipped training corpus (a source checkout only)."""
    return shipped_file(CORPUS_IN_CHECKOUT)


def run(args: argparse.Namespace) -> int:
    corpus_path: Path | None = args.corpus or default_corpus()
    if corpus_path is None:
        raise ConfigError(
            "no corpus given and the shipped corpus is not here (it lives in a source checkout)",
            hint=f"pass the path to a corpus.toml, e.g. streamstress triage-eval {CORPUS_IN_CHECKOUT}",
        )
    heldout_path: Path | None = None
    if not args.no_heldout:
        heldout_path = args.heldout or shipped_file(HELDOUT_IN_CHECKOUT)
    rules = categorize.load_rules(args.rules)
    training = triage_eval.evaluate(rules, triage_eval.load_corpus(corpus_path, categories=rules.categories))
    heldout = triage_eval.score_blind(rules, heldout_path) if heldout_path is not None else None
    log.debug("scored %s and %s with %s", corpus_path, heldout_path, rules.source)
    sys.stdout.write(
        triage_eval.format_report(
            training,
            heldout=heldout,
            default_category=rules.default_category,
            rules_source=str(rules.source),
            training_source=str(corpus_path),
            heldout_source=str(heldout_path or ""),
        )
    )
    return 0
