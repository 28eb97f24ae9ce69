"""Data-driven scenarios on gauge's simple console: one block per row under one heading (gauge v1.6.28
reporter/reporter.go:138-147 prints each row as a one-row table before the block, formatter.go:121-160).
A row's block is that row's result, never another row's retry."""

from __future__ import annotations

from pytest_streamstress.gauge.console import parse_console
from pytest_streamstress.gauge.junit import DataRow, TableRow
from pytest_streamstress.gauge.results import RunFacts, Wanted, merge_outcomes
from pytest_streamstress.model import Status

HELLO = "Say hello"


def row_table(name: str) -> list[str]:
    return ["", "   |name |", "   |-----|", f"   |{name:<5}|"]


def failure(message: str) -> list[str]:
    return [
        " " * 8,
        "        Failed Step: Say hello to <name>",
        "        Specification: specs/rows.spec:9",
        f"        Error Message: {message}",
        "        Stacktrace: ",
        "        x.go:1",
    ]


def hello(name: str, *fail: str) -> list[str]:
    block = [*row_table(name), f"  ## {HELLO}", f'      * Say hello to "{name}"']
    return block + failure(*fail) if fail else block


def row(number: int, name: str) -> Wanted:
    data = DataRow(spec=TableRow(number=number, values=(("name", name),)))
    return Wanted(heading=HELLO, junit_name=f"{HELLO} {number}: [name: {name}]", data_row=data)


def outcomes_of(lines: list[str], wanted: list[Wanted]) -> dict[str, tuple[Status, int, bool]]:
    console = parse_console(
        "\n".join(["# Rows", *lines, "", "Specifications:\t1 executed"]), headings=[HELLO]
    )
    found = merge_outcomes(
        wanted,
        spec_rel="specs/rows.spec",
        project_dirs=[],
        junit=None,
        junit_problem="no result.xml",
        console=console,
        facts=RunFacts(exit_code=1),
    )
    return {key: (o.status, o.attempts, o.flaky) for key, o in found.items()}


def test_each_block_knows_its_row_and_ends_before_the_next_rows_table() -> None:
    text = "\n".join(
        ["# Rows", *hello("Alice", "no Alice"), *hello("Bob"), "", "Specifications:\t1 executed"]
    )
    console = parse_console(text, headings=[HELLO])
    first, second = console.attempts
    assert (first.row, second.row) == ((("name", "Alice"),), (("name", "Bob"),))
    block = console.lines[first.first_line : first.last_line + 1]
    assert [line.strip() for line in block if line.strip()][-1] == "x.go:1"


def test_a_passing_second_row_is_its_own_pass_not_a_flaky_retry() -> None:
    lines = [*hello("Alice", "no Alice"), *hello("Bob")]
    assert outcomes_of(lines, [row(1, "Alice"), row(2, "Bob")]) == {
        f"{HELLO} 1: [name: Alice]": (Status.FAILED, 1, False),
        f"{HELLO} 2: [name: Bob]": (Status.PASSED, 1, False),
    }


def test_a_retried_row_counts_its_own_attempts_only() -> None:
    lines = [*hello("Alice", "flaked"), *hello("Alice"), *hello("Bob")]
    assert outcomes_of(lines, [row(1, "Alice"), row(2, "Bob")]) == {
        f"{HELLO} 1: [name: Alice]": (Status.PASSED, 2, True),
        f"{HELLO} 2: [name: Bob]": (Status.PASSED, 1, False),
    }


def test_rows_with_equal_cells_are_told_apart_by_order_when_each_ran_once() -> None:
    lines = [*hello("Alice", "first"), *hello("Alice")]
    twin = Wanted(heading=HELLO, junit_name=f"{HELLO} 2: [name: Alice]", data_row=row(2, "Alice").data_row)
    assert outcomes_of(lines, [row(1, "Alice"), twin]) == {
        f"{HELLO} 1: [name: Alice]": (Status.FAILED, 1, False),
        f"{HELLO} 2: [name: Alice]": (Status.PASSED, 1, False),
    }


def test_a_spec_row_and_a_scenario_row_are_both_read() -> None:
    text = "\n".join(
        [
            "# Rows",
            *row_table("Alice"),
            "",
            "   |size|",
            "   |----|",
            "   |S   |",
            f"  ## {HELLO}",
            "      * x",
        ]
    )
    (block,) = parse_console(text, headings=[HELLO]).attempts
    assert block.row == (("name", "Alice"), ("size", "S"))
