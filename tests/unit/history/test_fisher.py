"""Fisher's exact test against hand-computed hypergeometric sums (and scipy where installed)."""

from __future__ import annotations

import pytest

from pytest_streamstress.history.fisher import fisher_exact_less, fisher_exact_two_sided, hypergeometric_pmf


def test_tea_tasting_one_sided_is_17_over_70() -> None:
    """[[1,3],[3,1]]: P(X<=1) with N=8, K=4, n=4 = (C(4,0)C(4,4) + C(4,1)C(4,3)) / C(8,4) = 17/70."""
    assert fisher_exact_less(1, 3, 3, 1) == pytest.approx(17 / 70, rel=1e-12)


def test_tea_tasting_two_sided_is_34_over_70() -> None:
    assert fisher_exact_two_sided(3, 1, 1, 3) == pytest.approx(34 / 70, rel=1e-12)


def test_two_failures_in_seven_after_28_passes() -> None:
    """1 - P(X=7) - P(X=6) with N=35, K=33, n=7: 1 - 756/1190 - 392/1190 = 42/1190."""
    assert fisher_exact_less(5, 2, 28, 0) == pytest.approx(42 / 1190, rel=1e-12)


def test_seven_of_ten_after_twenty_passes() -> None:
    """Only X=7 is possible at or below 7: C(27,7)C(3,3)/C(30,10) = 720/24360."""
    assert fisher_exact_less(7, 3, 20, 0) == pytest.approx(720 / 24360, rel=1e-12)


def test_no_drop_gives_p_of_one() -> None:
    assert fisher_exact_less(10, 0, 20, 0) == pytest.approx(1.0)


def test_pmf_sums_to_one() -> None:
    assert sum(hypergeometric_pmf(k, 30, 12, 10) for k in range(11)) == pytest.approx(1.0)


@pytest.mark.parametrize("table", [(3, 7, 18, 2), (0, 5, 9, 1), (12, 4, 30, 1), (1, 1, 1, 1)])
def test_agrees_with_scipy(table: tuple[int, int, int, int]) -> None:
    stats = pytest.importorskip("scipy.stats", reason="scipy is only a cross-check")
    a, b, c, d = table
    assert fisher_exact_less(a, b, c, d) == pytest.approx(
        stats.fisher_exact([[a, b], [c, d]], alternative="less")[1]
    )
    assert fisher_exact_two_sided(a, b, c, d) == pytest.approx(stats.fisher_exact([[a, b], [c, d]])[1])
