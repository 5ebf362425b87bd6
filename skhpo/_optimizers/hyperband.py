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

:class:`Hyperband` runs the brackets as an ask/tell optimizer of trials
``(point, resource)``, each bracket by asynchronous successive halving (ASHA; Li,
Jamieson, Rostamizadeh, Gonina, Ben-tzur, Hardt, Recht & Talwalkar, "A System for
Massively Parallel Hyperparameter Tuning", MLSys 2020, Algorithm 2): a candidate
is promoted as soon as it ranks in the top ``1 / eta`` of the finished results of
its rung, so no worker waits for a rung to end. Which candidates start a bracket
(at random or from BOHB's density model, :mod:`skhpo._optimizers.tpe`) is the
sampler's business; how a trial is evaluated, the search engine's.

Everything is computed with exact rational numbers (:class:`fractions.Fraction`),
so that ``s_max`` has no floating-point off-by-one (in floats,
``log(1000) / log(10) = 2.9999999999999996``) and the tables of the paper come
out exactly. A float ``factor`` is read as the decimal it prints as (``1.1`` is
``11/10``, not the nearest binary double).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Rational, Real

import numpy as np

from skhpo._optimizers.base import Fidelity, Optimizer

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
        ``min_resources``; strictly increasing, ``resources[-1] == max_resources``
        for Hyperband's brackets (:func:`hyperband_brackets`); non-decreasing,
        and ending at most at ``max_resources``, for successive halving's
        (:func:`halving_plan`).
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


@dataclass(frozen=True)
class HalvingPlan:
    """The one bracket of scikit-learn's successive halving, and its counts.

    Attributes
    ----------
    bracket : Bracket
        Its rungs: ``n_candidates[i + 1] = ceil(n_candidates[i] / factor)``;
        ``resources`` non-decreasing (equal at first with aggressive
        elimination), the last one at most ``max_resources``.
    n_required_iterations : int
        Rungs needed for the last one to hold fewer than ``factor`` candidates.
    n_possible_iterations : int
        Rungs that fit between ``min_resources`` and ``max_resources``.
    """

    bracket: Bracket
    n_required_iterations: int
    n_possible_iterations: int


def halving_plan(
    n_candidates: int,
    min_resources: int,
    max_resources: int,
    factor: float = 3,
    aggressive_elimination: bool = False,
) -> HalvingPlan:
    """Successive halving as :class:`~sklearn.model_selection.HalvingRandomSearchCV`
    plans it, rung by rung, with its very arithmetic (floating-point logarithms
    included, so that the counts agree with scikit-learn's on every input).

    Rung ``i`` evaluates ``n_i`` candidates with ``min_resources * factor**p``
    resources (``p = i``; with ``aggressive_elimination``, ``p`` stays 0 for the
    first rungs, until as many rungs remain as the resources allow), at most
    ``max_resources``, and keeps the best ``ceil(n_i / factor)``. There are
    ``n_required_iterations`` rungs with aggressive elimination, else at most as
    many as the resources allow.
    """
    _check_resources(min_resources, max_resources)
    _check_factor(factor)
    n_required = 1 + math.floor(math.log(n_candidates, factor))
    n_possible = 1 + math.floor(math.log(max_resources // min_resources, factor))
    n_iterations = n_required if aggressive_elimination else min(n_possible, n_required)
    sizes, resources, n = [], [], int(n_candidates)
    for i in range(n_iterations):
        power = max(0, i - n_required + n_possible) if aggressive_elimination else i
        resources.append(min(int(factor**power * min_resources), max_resources))
        sizes.append(n)
        n = math.ceil(n / factor)
    bracket = Bracket(
        s=n_iterations - 1, n_candidates=tuple(sizes), resources=tuple(resources)
    )
    return HalvingPlan(bracket, n_required, n_possible)


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


class _Rung:
    """The candidates of one rung of a running bracket."""

    __slots__ = (
        "closed",
        "complete",
        "ids",
        "losses",
        "members",
        "promoted",
        "settled",
        "size",
    )

    def __init__(self, size: int):
        self.size = size  # n_i of the bracket: the places of the rung
        self.members = []  # candidate numbers, in the order they entered
        self.ids = {}  # candidate -> the id of its trial in this rung
        self.settled = False  # its members left behind are reported (settled_ids)
        self.losses = {}  # candidate -> loss, once told
        self.promoted = set()  # candidates promoted to the next rung
        self.closed = False  # no candidate will enter any more
        self.complete = False  # closed, and every member told


class _BracketRun:
    """One bracket being run: its rungs, filled as candidates enter and finish."""

    __slots__ = ("bracket", "rungs")

    def __init__(self, bracket: Bracket):
        self.bracket = bracket
        self.rungs = [_Rung(n) for n in bracket.n_candidates]

    @property
    def finished(self) -> bool:
        return self.rungs[-1].complete

    def update(self) -> None:
        """Close the rungs no candidate can enter any more, from the bottom up."""
        below = None
        for rung in self.rungs:
            if below is None:
                rung.closed = len(rung.members) >= rung.size
            else:
                # Every candidate synchronous successive halving would promote
                # has been promoted (see Hyperband._promotable).
                rung.closed = below.complete and len(rung.members) >= min(
                    rung.size, len(below.members)
                )
                rung.closed = rung.closed and not self._left_behind(below, rung)
            rung.complete = rung.closed and len(rung.losses) == len(rung.members)
            below = rung

    @staticmethod
    def _left_behind(below: _Rung, rung: _Rung) -> bool:
        """Whether a candidate of the top ``n_{i+1}`` of a complete rung is not
        promoted yet."""
        k = min(rung.size, len(below.members))
        return any(c not in below.promoted for c in _ranked(below, k, True))


def _ranked(rung: _Rung, k: int, complete: bool) -> list:
    """The ``k`` best told members of ``rung``, best first.

    A complete rung ranks every member, failures (``NaN``) last, as synchronous
    successive halving does (:func:`top_k`); before that only finite losses are
    ranked: a failed fit is never promoted on partial results.
    """
    members = [c for c in rung.members if c in rung.losses]
    losses = np.array([rung.losses[c] for c in members], dtype=float)  # (m,)
    order = top_k(losses, min(k, len(members)))
    if not complete:
        order = order[np.isfinite(losses[order])]
    return [members[j] for j in order]


class Hyperband(Optimizer):
    """Hyperband's brackets, each run by asynchronous successive halving (ASHA).

    An ask/tell optimizer of trials: each id of :meth:`ask_ids` is a point to
    evaluate with the resource :meth:`fidelity` gives. The brackets of
    :func:`hyperband_brackets` start in order; a bracket takes new candidates
    from ``sampler`` until its first rung is full, and promotes candidates from
    rung ``i`` (``n_i`` places) to rung ``i + 1`` (``n_{i+1}``) before rung
    ``i`` is complete, in one of two ways:

    - ``asynchronous=True``: as ASHA does (Li et al. 2020, Algorithm 2), as soon
      as a candidate ranks in the top ``floor(m n_{i+1} / n_i)`` of the ``m``
      finished results of its rung (the top ``1 / eta``), while rung ``i + 1``
      has room. Such a candidate may turn out not to be in the top ``n_{i+1}``
      of the complete rung: it then costs its own trials, and when rung ``i`` is
      complete any of its top ``n_{i+1}`` not promoted yet is promoted too, even
      past ``n_{i+1}``, so no candidate synchronous successive halving would
      promote is left out.
    - ``asynchronous=False`` (a caller that needs results that do not depend on
      timing): only once it is certain. A candidate of rank ``r`` (from 0)
      among the finished results is promoted when ``r + u < n_{i+1}``, ``u``
      being the results still unknown: even if every one of them ranked ahead,
      it would be in the top ``n_{i+1}`` of the complete rung. The promotions
      are exactly synchronous successive halving's, the last of them made
      while the tail of the rung still runs.

    Promotions come first, from the highest rung down (ASHA's ``get_job``),
    then new candidates of the oldest bracket with room, then the next bracket.

    Parameters
    ----------
    brackets : list of Bracket
        The brackets to run, in order (:func:`hyperband_brackets`).
    sampler : Optimizer
        Proposes the new candidates. It is told every result, with the resource
        as ``observe(X, y, budget)`` if it has that method (BOHB's
        :class:`~skhpo._optimizers.tpe.KDESampler`), else with ``tell``.
    unseen : callable, default=None
        ``unseen(X) -> X'``: the rows of ``X`` (m, n_dims) to use as new
        candidates, possibly replaced or fewer (the search engine's
        de-duplication); fewer than asked means the space is exhausted and the
        brackets start with the candidates they have.

    Every random draw is the sampler's: Hyperband itself is deterministic.
    """

    def __init__(self, brackets, sampler, *, unseen=None):
        super().__init__(
            sampler.n_dims, kinds=sampler.kinds, n_choices=sampler.n_choices
        )
        if not brackets:
            raise ValueError("Hyperband needs at least one bracket")
        self.brackets = list(brackets)
        self.sampler = sampler
        self.unseen = unseen
        self.max_resources = max(b.resources[-1] for b in self.brackets)
        self.runs_ = []  # every _BracketRun started, in order
        self._active = []  # those not finished
        self._configs = []  # candidate number -> its point (n_dims,)
        self._trials = {}  # id -> (run, rung, candidate), until told
        self._fidelity = {}  # id -> Fidelity, until told
        self._observed = []  # (point, loss, resource) not yet told to the sampler
        self._exhausted = False  # the sampler has no new candidate left
        self._settled = []  # ids of trials no promotion will continue
        self._drawn = deque()  # new candidates drawn for the bracket being filled

    # -- the optimizer protocol ------------------------------------------------------
    def can_ask(self) -> bool:
        return self._select() is not None

    def ask_ids(self, n: int):
        ids, rows = [], []
        while len(ids) < n:
            plan = self._select()
            if plan is None:
                break
            run, rung, candidate = plan
            if candidate is None:  # a new candidate
                if run is None:
                    run = _BracketRun(self.brackets[len(self.runs_)])
                    self.runs_.append(run)
                    self._active.append(run)
                candidate = self._draw(run.rungs[0].size - len(run.rungs[0].members))
                if candidate is None:
                    self._close_first_rungs()
                    continue
            continues = None
            if rung > 0:
                run.rungs[rung - 1].promoted.add(candidate)
                # Nothing to continue at an unchanged resource (aggressive
                # elimination re-ranks on the first rung's).
                if run.bracket.resources[rung - 1] < run.bracket.resources[rung]:
                    continues = run.rungs[rung - 1].ids[candidate]
            i = self._n_ids
            self._n_ids += 1
            run.rungs[rung].members.append(candidate)
            run.rungs[rung].ids[candidate] = i
            self._update(run)
            self._trials[i] = (run, rung, candidate)
            r = run.bracket.resources[rung]
            self._fidelity[i] = Fidelity(
                resource=r,
                final=r == self.max_resources,
                columns={"iter": rung, "bracket": run.bracket.s, "n_resources": r},
                continues=continues,
                repeat=run.bracket.resources[:rung].count(r),
            )
            ids.append(i)
            rows.append(self._configs[candidate])
        X = np.array(rows, dtype=float).reshape(-1, self.n_dims)
        return np.array(ids, dtype=np.int64), X

    def enqueue(self, X) -> bool:
        """The first new candidates of the brackets, before any the sampler
        draws: a user's candidates go through the rungs as the others do."""
        for x in np.asarray(X, dtype=float).reshape(-1, self.n_dims):
            self._configs.append(x)
            self._drawn.append(len(self._configs) - 1)
        return True

    def fidelity(self, i: int) -> Fidelity:
        return self._fidelity[i]

    def tell_ids(self, ids, y) -> None:
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        y = np.asarray(y, dtype=float).reshape(-1)
        if ids.shape != y.shape:
            raise ValueError(f"tell_ids needs one loss per id, got {ids.shape} ids")
        for i, loss in zip(ids.tolist(), y.tolist()):
            if i not in self._trials:
                raise ValueError(f"id {i} was not asked, or was told already")
            run, rung, candidate = self._trials.pop(i)
            resource = self._fidelity.pop(i).resource
            loss = loss if math.isfinite(loss) else math.nan  # +-inf: a failure
            run.rungs[rung].losses[candidate] = loss
            self._observed.append((self._configs[candidate], loss, resource))
            self._update(run)
        self._active = [run for run in self._active if not run.finished]

    def settled_ids(self) -> list:
        """Ids of the trials that no promotion will continue any more (their
        rung's promotions are all made, and their candidate is not among them),
        since the last call: a caller keeping their fitted models can drop them."""
        settled, self._settled = self._settled, []
        return settled

    def _update(self, run: _BracketRun) -> None:
        run.update()
        for below, rung in zip(run.rungs, run.rungs[1:]):
            if rung.closed and not below.settled:
                below.settled = True
                self._settled += [
                    below.ids[c] for c in below.members if c not in below.promoted
                ]

    def pending(self) -> np.ndarray:
        rows = [self._configs[c] for _, _, c in self._trials.values()]
        return np.array(rows, dtype=float).reshape(-1, self.n_dims)

    def _tell(self, X, y) -> None:
        # Points told from outside (no id, no rung): results at the full resource.
        self._observed += [(x, loss, self.max_resources) for x, loss in zip(X, y)]

    def rung_sizes(self) -> list:
        """Candidates evaluated in each rung, bracket after bracket."""
        return [len(r.members) for run in self.runs_ for r in run.rungs if r.members]

    # -- ASHA ----------------------------------------------------------------------
    def _select(self):
        """The next trial, ``(run, rung, candidate)``, or None; changes nothing.

        ``candidate`` None is a new candidate for rung 0 of ``run`` (``run`` None:
        of the next bracket).
        """
        for run in self._active:
            for i in range(len(run.rungs) - 2, -1, -1):  # highest rung first
                candidate = self._promotable(run.rungs[i], run.rungs[i + 1])
                if candidate is not None:
                    return run, i + 1, candidate
        if self._exhausted:
            return None
        for run in self._active:
            if not run.rungs[0].closed:
                return run, 0, None
        if len(self.runs_) < len(self.brackets):
            return None, 0, None
        return None

    def _promotable(self, below: _Rung, rung: _Rung):
        """A candidate of ``below`` to promote to ``rung`` now, or None."""
        if below.complete:
            # Synchronous successive halving's choice, all of it.
            ranked = _ranked(below, min(rung.size, len(below.members)), True)
        elif len(rung.members) >= rung.size:
            return None
        elif self.asynchronous:
            # ASHA: the top 1 / eta of the finished results, within the places.
            ranked = _ranked(below, len(below.losses) * rung.size // below.size, False)
        else:
            # Certain: in the top n_{i+1} even if every unknown result ranks ahead.
            unknown = below.size - len(below.losses)
            ranked = _ranked(below, max(0, rung.size - unknown), False)
        for candidate in ranked:
            if candidate not in below.promoted:
                return candidate
        return None

    def _draw(self, n_left: int):
        """A new candidate from the sampler (told every result first), or None.

        The sampler draws the ``n_left`` new candidates the bracket still needs
        at once, as BOHB samples a bracket's candidates from the model of the
        moment it starts: one vectorised draw (and one de-duplication) instead
        of one per candidate.
        """
        if self._drawn:
            return self._drawn.popleft()
        if self._observed:
            by_resource = {}
            for x, loss, r in self._observed:
                by_resource.setdefault(r, ([], []))
                by_resource[r][0].append(x)
                by_resource[r][1].append(loss)
            self._observed = []
            for r, (X, y) in by_resource.items():
                if hasattr(self.sampler, "observe"):
                    self.sampler.observe(np.array(X), np.array(y), r)
                else:
                    self.sampler.tell(np.array(X), np.array(y))
        X = self.sampler.ask(n_left)
        if self.unseen is not None:
            X = self.unseen(X)
        for x in X:
            self._configs.append(np.asarray(x, dtype=float))
            self._drawn.append(len(self._configs) - 1)
        return self._drawn.popleft() if self._drawn else None

    def _close_first_rungs(self) -> None:
        """No new candidate is left: the brackets go on with those they have."""
        self._exhausted = True
        for run in self.runs_:
            first = run.rungs[0]
            first.size = len(first.members)
            for below, rung in zip(run.rungs, run.rungs[1:]):
                rung.size = min(rung.size, below.size)
            self._update(run)
        self._active = [
            run for run in self._active if run.rungs[0].members and not run.finished
        ]
