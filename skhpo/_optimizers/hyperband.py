# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Bracket arithmetic of Hyperband.

Li, Jamieson, DeSalvo, Rostamizadeh & Talwalkar, "Hyperband: A Novel Bandit-Based
Approach to Hyperparameter Optimization", JMLR 18(185), 2018, Algorithm 1 and
Table 1.

With a maximum resource ``R`` (in units of the smallest resource) and a reduction
factor ``eta``, Hyperband hedges over how aggressively to prune. Bracket ``s``, for
``s = s_max, ..., 0`` with ``s_max = floor(log_eta(R))``, runs successive halving
(Jamieson & Talwalkar, AISTATS 2016) on ``n`` random candidates: rung ``i`` evaluates
``n_i`` of them with ``r_i`` resources each and promotes the best ``n_{i+1}``
(:func:`top_k`) to the next rung. Every bracket spends about the same budget
``B = (s_max + 1) R``. Bracket ``s_max`` is the most aggressive (many candidates,
tiny first rung); bracket ``0`` is plain random search at full resources.

Only the arithmetic lives here: which candidates to sample (at random or with
BOHB's density model, :mod:`skhpo._optimizers.tpe`), how to evaluate them and
how to record the results is the search engine's business.

Everything is computed with exact rational numbers (:class:`fractions.Fraction`),
so that ``s_max`` has no floating-point off-by-one (in floats,
``log(1000) / log(10) = 2.9999999999999996``) and the tables of the paper come
out exactly. A float ``factor`` is read as the decimal it prints as (``1.1`` is
``11/10``, not the nearest binary double).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Rational, Real

import numpy as np

_HALF = Fraction(1, 2)
# Most brackets (s_max + 1) an iteration may have. Their count is log_eta(R) + 1:
# a factor barely above 1 would ask for millions of brackets, each with as many
# rungs, and exact powers of eta that never finish (the work grows as s_max^3;
# 200 brackets take a fraction of a second).
_MAX_BRACKETS = 200


@dataclass(frozen=True)
class Bracket:
    """One successive-halving bracket of Hyperband.

    Attributes
    ----------
    s : int
        Hyperband's bracket index; ``s_max`` is the most aggressive bracket.
    n_candidates : tuple of int
        ``n_i``, the number of candidates evaluated in rung ``i``; non-increasing,
        all at least 1. ``n_candidates[0]`` is the number of new candidates to
        sample, and rung ``i + 1`` holds the ``top_k(losses_i, n_candidates[i+1])``
        of rung ``i``.
    resources : tuple of int
        ``r_i``, the resources of each candidate of rung ``i``, in the units of
        ``min_resources``; strictly increasing, ``resources[-1] == max_resources``.
    """

    s: int
    n_candidates: tuple[int, ...]
    resources: tuple[int, ...]


def _as_fraction(value) -> Fraction:
    if isinstance(value, Integral):
        return Fraction(int(value))
    if isinstance(value, Rational):
        return Fraction(value.numerator, value.denominator)
    # The decimal the user typed: repr(1.1) == "1.1", hence 11/10.
    return Fraction(repr(float(value)))


def _check_resources(min_resources, max_resources) -> None:
    for name, value in (
        ("min_resources", min_resources),
        ("max_resources", max_resources),
    ):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if max_resources < min_resources:
        raise ValueError(
            f"max_resources must be >= min_resources, got max_resources="
            f"{max_resources!r} < min_resources={min_resources!r}"
        )


def _check_factor(factor) -> Fraction:
    if (
        isinstance(factor, bool)
        or not isinstance(factor, Real)
        or not math.isfinite(factor)
        or not factor > 1
    ):
        raise ValueError(f"factor must be a finite number > 1, got {factor!r}")
    return _as_fraction(factor)


def _log(x: Fraction) -> float:
    """``log(x)`` for ``x > 0``, without overflow and accurate near 1."""
    if 0.5 < x < 2:  # log1p keeps the digits of factor=1 + 1e-15
        return math.log1p(float(x - 1))
    # math.log(x) converts x to a float first, which overflows beyond 1e308.
    return math.log(x.numerator) - math.log(x.denominator)


def _floor_log(R: Fraction, eta: Fraction) -> int:
    """``floor(log_eta(R))`` exactly, for ``R >= 1`` and ``eta > 1``."""
    # A float estimate, then exact corrections: never more than a step or two.
    s = max(0, math.floor(_log(R) / _log(eta)))
    while s > 0 and eta**s > R:
        s -= 1
    while eta ** (s + 1) <= R:
        s += 1
    return s


def _bracket(s: int, s_max: int, eta: Fraction, max_resources: int) -> Bracket:
    """Bracket ``s``: one pass of the outer loop of Algorithm 1."""
    # Algorithm 1: n = ceil(B / R * eta^s / (s + 1)) with B = (s_max + 1) R.
    n = math.ceil(Fraction(s_max + 1, s + 1) * eta**s)
    n_candidates, resources = [], []
    for i in range(s + 1):
        # Algorithm 1: n_i = floor(n eta^-i). Its inner loop promotes the top
        # floor(n_i / eta), equal to n_{i+1} for an integer eta (nested floors);
        # for any eta we promote n_{i+1}, as Table 1 lists, which differs by at
        # most one.
        n_i = math.floor(n / eta**i)
        # Algorithm 1: r_i = r eta^i with r = R eta^-s, in units of min_resources, so
        # min_resources * r_i = max_resources * eta^(i - s), rounded half up to an
        # integer. It is non-decreasing in i, at least min_resources (eta^s <= R)
        # and exactly max_resources at i = s: no clipping is ever needed. And
        # n >= eta^s gives n_i >= eta^(s - i) >= 1: no rung is ever empty.
        r_i = math.floor(max_resources / eta ** (s - i) + _HALF)
        if resources and r_i == resources[-1]:
            # Rounding gave two rungs the same resource (only when eta - 1 and
            # min_resources are small). Re-ranking the survivors at an unchanged
            # resource selects nothing new (the top n_{i+1} of the top n_i are the
            # top n_{i+1}), so merge the rungs, keeping the first (larger) n_i.
            continue
        n_candidates.append(n_i)
        resources.append(r_i)
    return Bracket(s=s, n_candidates=tuple(n_candidates), resources=tuple(resources))


def hyperband_brackets(
    min_resources: int,
    max_resources: int,
    factor: float = 3,
    n_brackets: int | None = None,
) -> list[Bracket]:
    """Brackets of Hyperband in the order they run (Li et al. 2018, Algorithm 1).

    Parameters
    ----------
    min_resources : int
        Smallest resource a candidate may get (``r_min``), at least 1.
    max_resources : int
        Largest resource (``R * min_resources``). If equal to ``min_resources``,
        ``s_max = 0`` and each bracket is one candidate at full resources: plain
        random search.
    factor : float, default=3
        ``eta``, the reduction factor: each rung keeps ``1 / eta`` of the candidates
        and gives them ``eta`` times the resources. Must be > 1.
    n_brackets : int, default=None
        Number of brackets. ``None`` runs one full Hyperband iteration of
        ``s_max + 1`` brackets; more brackets start again from ``s_max`` (several
        iterations, Li et al. Sec. 3); fewer run only the most aggressive ones.

    Returns
    -------
    brackets : list of Bracket
        ``s = s_max, s_max - 1, ..., 0, s_max, ...``, ``n_brackets`` of them.
        Rung resources are ``max_resources * eta^(i - s)`` rounded half up, so
        the first rung of bracket ``s_max`` is ``min_resources`` only when ``R``
        is a power of ``eta``. Rungs that round to the same resource are merged
        (possible only for ``eta < 2`` with a small ``min_resources``), so a
        bracket may have fewer than ``s + 1`` rungs.
    """
    _check_resources(min_resources, max_resources)
    eta = _check_factor(factor)
    if n_brackets is not None and (
        isinstance(n_brackets, bool)
        or not isinstance(n_brackets, Integral)
        or n_brackets < 1
    ):
        raise ValueError(
            f"n_brackets must be None or an integer >= 1, got {n_brackets!r}"
        )
    R = Fraction(int(max_resources), int(min_resources))
    estimate = _log(R) / _log(eta)  # s_max, up to rounding
    if estimate >= _MAX_BRACKETS:
        smallest = math.ceil(1000 * math.exp(_log(R) / _MAX_BRACKETS)) / 1000
        raise ValueError(
            f"factor={factor!r} is too small for max_resources / min_resources "
            f"= {max_resources} / {min_resources}: Hyperband would need about "
            f"{math.floor(estimate) + 1} brackets (at most {_MAX_BRACKETS}); use "
            f"factor >= {smallest} or a smaller ratio of resources"
        )
    s_max = _floor_log(R, eta)  # Algorithm 1, initialization
    iteration = [
        _bracket(s, s_max, eta, int(max_resources)) for s in range(s_max, -1, -1)
    ]
    if n_brackets is None:
        return iteration
    return [iteration[k % (s_max + 1)] for k in range(int(n_brackets))]


def total_cost(brackets) -> float:
    """Total resources ``sum_i n_i r_i`` spent by the brackets (budget ``B`` each)."""
    return float(
        sum(
            n_i * r_i
            for bracket in brackets
            for n_i, r_i in zip(bracket.n_candidates, bracket.resources)
        )
    )


def top_k(losses: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` smallest losses, best first: successive halving's promotion.

    Failed evaluations (``NaN``) rank after every other loss, ``+inf`` included, so
    they are promoted only when there are not enough successes. Ties keep the lower
    index first (a stable sort), so promotions do not depend on the sort algorithm.

    Parameters
    ----------
    losses : array-like of shape (n,)
        Losses of one rung; lower is better.
    k : int
        How many to promote, ``0 <= k <= n``.

    Returns
    -------
    indices : ndarray of shape (k,), dtype intp
    """
    losses = np.asarray(losses, dtype=float)  # (n,)
    if losses.ndim != 1:
        raise ValueError(f"losses must be 1-d, got shape {losses.shape}")
    if (
        isinstance(k, bool)
        or not isinstance(k, Integral)
        or not 0 <= k <= losses.shape[0]
    ):
        raise ValueError(
            f"k must be an integer in [0, {losses.shape[0]}] (the number of "
            f"losses), got {k!r}"
        )
    failed = np.isnan(losses)
    # np.lexsort is stable; its last key is the primary one: failures last.
    order = np.lexsort((np.where(failed, 0.0, losses), failed))
    return order[: int(k)].astype(np.intp, copy=False)
