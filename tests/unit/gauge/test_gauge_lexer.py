"""Stage one of the spec parser alone: lines to tokens with their numbers, step text to parameters (R14)."""

from __future__ import annotations

import textwrap

import pytest

from pytest_streamstress.gauge.parse import lexer, step_text


def kinds_and_lines(text: str) -> list[tuple[str, int]]:
    return [(token.kind, token.line) for token in lexer.tokenize(textwrap.dedent(text))]


def test_every_line_kind_gets_its_token_and_its_line_number() -> None:
    text = """\
        PIPELINES-02
        # Spec
        Tags: a, b
        * context step
        ## Scenario
        * Create
          |S.NO|resource|
          |----|--------|
          |1   |x.yaml  |
        table: data.csv
        ___
        * teardown step
        ### not a heading
        """
    assert kinds_and_lines(text) == [
        ("comment", 1),
        ("spec", 2),
        ("tags", 3),
        ("step", 4),
        ("scenario", 5),
        ("step", 6),
        ("table_header", 7),
        ("table_row", 8),
        ("table_row", 9),
        ("data_table", 10),
        ("teardown", 11),
        ("step", 12),
        ("comment", 13),
    ]


def test_blank_lines_after_a_step_are_swallowed_so_its_table_still_follows_it() -> None:
    assert kinds_and_lines("# S\n* Create\n\n\n  |a|\n  |1|\n") == [
        ("spec", 1),
        ("step", 2),
        ("table_header", 5),
        ("table_row", 6),
    ]


def test_a_tag_line_ending_with_a_comma_makes_the_next_line_tags_whatever_it_looks_like() -> None:
    tokens = lexer.tokenize("Tags: a,\n|b|\nc\n")
    assert [(t.kind, t.args) for t in tokens] == [("tags", ("a",)), ("tags", ("|b|",)), ("comment", ())]


def test_setext_underline_makes_the_free_text_above_a_heading_spanning_both_lines() -> None:
    heading, scenario = lexer.tokenize("My spec\n=======\nMy scenario\n-----\n")
    assert (heading.kind, heading.value, heading.line, heading.span_end) == ("spec", "My spec", 1, 2)
    assert (scenario.kind, scenario.value, scenario.line, scenario.span_end) == (
        "scenario",
        "My scenario",
        3,
        4,
    )


def test_triple_quote_block_after_a_step_is_its_argument_and_the_lines_after_keep_their_numbers() -> None:
    step, after = lexer.tokenize('* Post\n"""\n{"a": 1}\n"""\n## Next\n')
    assert (step.kind, step.multiline) == ("step", '{"a": 1}')
    assert (after.kind, after.line) == ("scenario", 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Plain step", ("Plain step", (), ())),
        ('Say "hello" to <name>', ("Say {} to {}", ("hello", "name"), ("static", "dynamic"))),
        ("Read <file:a.txt>", ("Read {}", ("file:a.txt",), ("special",))),
        ('Quote "a \\"b\\" \\n"', ("Quote {}", ('a "b" \n',), ("static",))),
        ("Keep \\x and \\{", ("Keep \\x and {", (), ())),
        ('Mixed "<no>" <a"b>', ("Mixed {} {}", ("<no>", 'a"b'), ("static", "dynamic"))),
        ("OCP >= 4.20", ("OCP >= 4.20", (), ())),
    ],
    ids=[
        "plain",
        "static-and-dynamic",
        "special",
        "escapes-in-quotes",
        "escapes-outside",
        "marks-nested",
        "lone-gt",
    ],
)
def test_step_text_gives_gauges_value_and_parameters(
    text: str, expected: tuple[str, tuple[str, ...], tuple[str, ...]]
) -> None:
    assert step_text.parse_step_text(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('Say "hello', "String not terminated"),
        ("Use <name", "Dynamic parameter not terminated"),
        ("Use <file:x", "Dynamic parameter not terminated"),
        ("Set {x}", "'{' is a reserved character and should be escaped"),
    ],
    ids=["open-quote", "open-dynamic", "open-special", "reserved-brace"],
)
def test_malformed_step_text_raises_gauges_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        step_text.parse_step_text(text)
