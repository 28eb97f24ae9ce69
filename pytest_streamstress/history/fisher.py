"""Fisher's exact test, exactly (hypergeometric), as Sippy uses it for component readiness.

No scipy at run time: the numbers are small (one run a night) and the exact sum over the
hypergeometric distribution is cheap with log-factorials. The one-sided test asks: is the recent
window's pass rate significantly *lower* than the basis window's?
"""

from __future__ import annotations

import math
from functools import lru_cache


@lru_cache(maxsize=4096)
def _log_factorial(n: int) -> float:
    return math.lgamma(n + 1)


def _log_choose(n: int, k: int) -> float:
    return _log_factorial(n) - _log_factorial(k) - _log_factorial(n - k)


def hypergeometric_pmf(k: int, population: int, successes: int, draws: int) -> float:
    """P(X = k) for X ~ Hypergeom(population, successes, draws)."""
    if k < max(0, draws - (population - successes)) or k > min(successes, draws):
        return 0.0
    return math.exp(
        _log_choose(successes, k)
        + _log_choose(population - successes, draws - k)
        - _log_choose(population, draws)
    )


def fisher_exact_less(a: int, b: int, c: int, d: int) -> float:
    """One-sided p-value that the first row's success share is lower than the second row's.

    Table: [[a, b], [c, d]] = [[recent passes, recent failures], [basis passes, basis failures]].
    P = sum of P(X <= a) with the margins fixed (scipy.stats.fisher_exact(..., alternative="less")).
    """
    if min(a, b, c, d) < 0:
        raise ValueError("counts must not be negative")
    population = a + b + c + d
    successes = a + c
    draws = a + b
    low = max(0, draws - (population - successes))
    return min(1.0, sum(hypergeometric_pmf(k, population, successes, draws) for k in range(low, a + 1)))


def fisher_exact_two_sided(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p-value: sum of the probabilities of tables no more likely than the observed one."""
    population = a + b + c + d
    successes = a + c
    draws = a + b
    low = max(0, draws - (population - successes))
    high = min(successes, draws)
    observed = hypergeometric_pmf(a, population, successes, draws)
    # Relative tolerance as in scipy, so equal probabilities computed by different routes still count.
    limit = observed * (1 + 1e-7)
    return min(
        1.0,
        sum(
            p
            for k in range(low, high + 1)
            if (p := hypergeometric_pmf(k, population, successes, draws)) <= limit
        ),
    )
