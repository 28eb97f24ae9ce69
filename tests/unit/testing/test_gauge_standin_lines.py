"""Stage one of the gauge stand-in's own spec reading: lines in, tokens out (reference gauge.md §2.1, §2.3).

Expected values are written from gauge v1.6.28's lexer rules, never taken from the plugin's parser.
"""

from __future__ import annotations

import textwrap

import pytest

from pytest_streamstress.testing.standins import gauge_lines
from pytest_streamstress.testing.standins.gauge_lines import Token

QUOTES = '"' * 3


def tokens(text: str) -> list[Token]:
    return gauge_lines.tokenize(textwrap.dedent(text).replace("'''", QUOTES))


def kinds(text: str) -> list[tuple[str, int]]:
    return [(token.kind, token.line) for token in tokens(text)]


@pytest.mark.parametrize(
    ("text", "value", "params"),
    [
        ('Create "a.yaml"', "Create {}", (("static", "a.yaml"),)),
        ("Say hello to <name>", "Say hello to {}", (("dynamic", "name"),)),
        ("Read <file:data.txt>", "Read {}", (("special", "file:data.txt"),)),
        ('Skip if OCP >= "4.20"', "Skip if OCP >= {}", (("static", "4.20"),)),
        ('Say "a\\"b"', "Say {}", (("static", 'a"b'),)),
        ('Say "tab\\there"', "Say {}", (("static", "tab\there"),)),
        ("Use \\{braces\\}", "Use {braces}", ()),
        ("Keep \\n outside quotes", "Keep \\n outside quotes", ()),
        ('Quote "<not dynamic>"', "Quote {}", (("static", "<not dynamic>"),)),
    ],
    ids=[
        "static",
        "dynamic",
        "special",
        "lone-gt",
        "escaped-quote",
        "escaped-tab",
        "escaped-brace",
        "backslash-kept",
        "angle-in-quotes",
    ],
)
def test_step_parameters_become_placeholders_in_the_step_value(
    text: str, value: str, params: tuple[tuple[str, str], ...]
) -> None:
    assert gauge_lines.parse_step_text(text) == (value, params)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('Use "open', "String not terminated"),
        ("Use <open", "Dynamic parameter not terminated"),
        ("Use { x", "'{' is a reserved character and should be escaped"),
        ("Use } x", "'}' is a reserved character and should be escaped"),
    ],
    ids=["open-quote", "open-angle", "open-brace", "close-brace"],
)
def test_bad_step_text_is_gauges_lexer_problem(text: str, message: str) -> None:
    (token,) = tokens(f"* {text}\n")
    assert (token.kind, token.problem, token.value) == ("step", message, text)


def test_each_line_is_classified_in_gauges_order() -> None:
    assert kinds(
        """\
        PIPELINES-99
        # Spec
        ### a comment
        ## Scenario
        Tags: a, b
        * step
        ** not a step
        table: data.csv
        ___
        """
    ) == [
        ("comment", 1),
        ("spec", 2),
        ("comment", 3),
        ("scenario", 4),
        ("tags", 5),
        ("step", 6),
        ("comment", 7),
        ("table_file", 8),
        ("teardown", 9),
    ]


def test_blank_lines_after_a_step_are_swallowed_so_the_table_below_is_still_a_header() -> None:
    assert kinds("* Create\n\n\n|a|\n|1|\n\n|b|\n") == [
        ("step", 1),
        ("table_header", 4),
        ("table_row", 5),
        ("comment", 6),
        ("table_header", 7),
    ]


def test_table_cells_are_trimmed_and_a_backslash_escapes_a_pipe() -> None:
    (token,) = tokens("| S.NO | a\\|b |  |\n")
    assert token.cells == ("S.NO", "a|b", "")


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("||b|", "Table header should not be blank"),
        ("|a|a|", "Table header cannot have repeated column values"),
    ],
    ids=["blank-header", "repeated-header"],
)
def test_bad_table_header_is_a_lexer_problem(row: str, problem: str) -> None:
    (token,) = tokens(row + "\n")
    assert (token.kind, token.problem, token.value) == ("table_header", problem, row)


def test_tags_line_ending_in_a_comma_continues_on_the_next_line() -> None:
    found = tokens("Tags: pruner,\n  tekton-pruner\n* x\n")
    assert [(t.kind, t.cells) for t in found] == [
        ("tags", ("pruner",)),
        ("tags", ("tekton-pruner",)),
        ("step", ()),
    ]


def test_tags_line_with_two_spaces_still_splits_on_commas() -> None:
    (token,) = tokens("Tags:  icon, console, manualonly\n")
    assert token.cells == ("icon", "console", "manualonly")


def test_triple_quote_block_right_after_a_step_is_its_argument_with_lines_as_written() -> None:
    found = tokens(
        """\
        * Apply the manifest
        '''
        kind: ConfigMap
          name: "x"

        * not a step
        '''
        * Next
        """
    )
    assert [(t.kind, t.line, t.block) for t in found] == [
        ("step", 1, 'kind: ConfigMap\n  name: "x"\n\n* not a step'),
        ("step", 8, None),
    ]


def test_block_keeps_the_step_text_as_its_value_even_with_parameters() -> None:
    (token,) = tokens("""* Create "p.yaml"\n'''\nbody\n'''\n""")
    assert (token.pattern, token.params, token.block, token.problem) == ('Create "p.yaml"', (), "body", "")


def test_unclosed_block_is_read_as_ordinary_lines() -> None:
    assert kinds("* Open\n'''\n* Second\n") == [("step", 1), ("comment", 2), ("step", 3)]


def test_block_after_a_blank_line_is_no_argument() -> None:
    assert kinds("* First\n\n'''\n* Inside\n'''\n") == [
        ("step", 1),
        ("comment", 3),
        ("step", 4),
        ("comment", 5),
    ]


def test_setext_underlines_turn_the_comment_above_into_a_heading() -> None:
    found = tokens("Title\n=====\nScenario one\n---\n* s\n")
    assert [(t.kind, t.line, t.value) for t in found] == [
        ("comment", 1, "Title"),
        ("spec", 1, "Title"),
        ("comment", 3, "Scenario one"),
        ("scenario", 3, "Scenario one"),
        ("step", 5, "s"),
    ]


def test_underline_without_a_comment_above_is_a_comment() -> None:
    assert kinds("* s\n---\n") == [("step", 1), ("comment", 2)]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("##\n", "Scenario heading should have at least one character"),
        ("*\n", "Step should not be blank"),
        ("__\n", "Teardown should have at least three underscore characters"),
        ("table:\n", "Table location not specified"),
    ],
    ids=["empty-scenario-heading", "blank-step", "short-teardown", "table-without-path"],
)
def test_lexer_problems_ride_on_their_token(text: str, problem: str) -> None:
    (token,) = tokens(text)
    assert token.problem == problem


def test_crlf_line_ends_and_a_missing_final_newline_are_read_like_go() -> None:
    assert [(t.kind, t.value) for t in gauge_lines.tokenize("# T\r\n## A\r\n* x")] == [
        ("spec", "T"),
        ("scenario", "A"),
        ("step", "x"),
    ]


def test_indentation_never_matters() -> None:
    assert kinds("\t# T\n    ## A\n  *\tx\n") == [("spec", 1), ("scenario", 2), ("step", 3)]
