"""How sure a bench figure is: 95 % intervals for a share of clips, a count of events, and a median.

A figure measured on 80 runs or 18 minutes of speech is one draw: the interval says where the true value
plausibly lies, so that a goal missed (or met) by one clip is not read as more than the bench can tell.
"""

from __future__ import annotations

import math

Z95 = 1.959964  # the normal quantile for a two-sided 95 % interval
TAIL = 0.025  # each side's share of a 95 % interval


def share_interval(hits: int, n: int) -> tuple[float, float] | None:
    """The Wilson score interval of ``hits`` of ``n`` (good near 0 % and 100 %, where a plain ± is not)."""
    if n <= 0:
        return None
    p, z2 = hits / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _poisson_at_most(count: int, mean: float) -> float:
    """P(X <= count) for X ~ Poisson(mean)."""
    if mean <= 0:
        return 1.0
    return sum(math.exp(k * math.log(mean) - mean - math.lgamma(k + 1)) for k in range(count + 1))


def _solve(f, target: float, high: float) -> float:
    """The mean in [0, high] where the decreasing ``f`` crosses ``target``, by bisection."""
    low = 0.0
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if f(mid) > target else (low, mid)
    return (low + high) / 2


def count_interval(count: int) -> tuple[float, float]:
    """The exact (Garwood) interval of the expected number of events behind ``count`` seen: 0 seen still allows
    up to 3.7, so a rate of at most one an hour can only be shown on about 3.7 hours with none."""
    high = count + 10 * math.sqrt(count + 1) + 10
    lower = 0.0 if count == 0 else _solve(lambda m: _poisson_at_most(count - 1, m), 1 - TAIL, high)
    return lower, _solve(lambda m: _poisson_at_most(count, m), TAIL, high)


def median_interval(values: list[float]) -> tuple[float, float] | None:
    """A distribution-free interval of the median: the order statistics ``j`` from each end, ``j`` the furthest in
    that a fair coin leaves no more than 2.5 % on either side (exact binomial)."""
    n = len(values)
    below, j = 0.0, 0  # below: P(fewer than j+1 of the n values fall below the median)
    while True:
        below += math.comb(n, j) / 2 ** n
        if below > TAIL:
            break
        j += 1
    if j == 0:  # too few values for any pair of them to cover the median 95 % of the time
        return None
    ordered = sorted(values)
    return ordered[j - 1], ordered[n - j]
