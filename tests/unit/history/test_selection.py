"""A run's selection in one canonical form, also for runs written before results.json kept it."""

from __future__ import annotations

from pytest_streamstress.history.selection import selection_of, selection_words


def test_the_same_options_in_another_order_give_the_same_words() -> None:
    one = selection_words(keyword="TC02", args=["specs/b.spec", "specs/a.spec"], deselect=["x", "w"])
    two = selection_words(deselect=["w", "x"], args=["specs/a.spec", "specs/b.spec"], keyword="TC02")
    assert one == two
    assert one.words == "-k TC02 --deselect w --deselect x specs/a.spec specs/b.spec"


def test_words_are_quoted_as_a_shell_would_need_them() -> None:
    asked = selection_words(gauge_tags="e2e & !tls", markexpr="not admin")
    assert asked.words == "--gauge-tags 'e2e & !tls' -m 'not admin'"


def test_the_whole_suite_is_no_words_and_lf_or_sw_varies() -> None:
    assert selection_words().words == ""
    assert not selection_words(keyword="x").varies
    assert selection_words(last_failed=True).varies
    assert selection_words(stepwise=True).varies


def test_an_older_run_is_read_by_its_gauge_tags() -> None:
    assert selection_of({"settings": {"selection": "-k TC02"}}) == "-k TC02"
    assert selection_of({"settings": {"gauge_tags": "e2e"}}) == "--gauge-tags e2e"
    assert selection_of({"settings": {"gauge_tags": ""}}) == ""
    assert selection_of({}) == ""
