# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Ask/tell optimizers on the unit hypercube.

An optimizer minimises an unknown loss over ``[0, 1]^n_dims``. It knows nothing of
estimators, scoring or cross-validation: the search engine decodes the points it asks
for into hyperparameters and tells it back the losses (``NaN`` for a failed fit).

Subclasses implement ``_ask`` and ``_tell``; the public ``ask`` and ``tell`` here do
the checks and keep the history, once, for every algorithm (the template-method
pattern of nevergrad's optimizers).

Two ways to talk to an optimizer:

- ``ask(n)`` / ``tell(X, y)``: arrays. ``tell`` takes the points just asked, or
  points the optimizer never asked for (random fills, a recorded history), which
  each algorithm treats as outside information.
- ``ask_ids(n)`` / ``tell_ids(ids, y)``: what the search engine uses. Every asked
  point gets an id, and its loss is told by id, in any order, while other points
  are still pending. An algorithm that learns from any subset of points (a
  Gaussian process) is told each loss at once and sees the pending points in
  ``_ask`` (:meth:`Optimizer.pending`); an algorithm whose update needs whole
  batches (a generation of CMA-ES, a step of the swarm) sets ``_whole_batches``:
  its batches are forwarded to ``_tell`` complete and in the order asked, and
  :meth:`Optimizer.can_ask` says whether it can propose before they are.
"""

from __future__ import annotations

import functools
from collections import deque
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy.stats import qmc

_KINDS = ("real", "integer", "categorical")


def check_random_state(seed) -> np.random.RandomState:
    """Turn ``seed`` into a ``RandomState`` (the engine passes one already)."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, Integral):
        return np.random.RandomState(int(seed))
    if isinstance(seed, np.random.RandomState):
        return seed
    raise ValueError(f"random_state={seed!r} cannot seed a numpy RandomState")


def check_int(name: str, value, low: int, none: bool = False) -> int | None:
    """``value`` as an int ``>= low`` (``None`` allowed if ``none``)."""
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {name}={value!r}")
    return int(value)


def check_float(name: str, value, low: float, high: float, none: bool = False):
    """``value`` as a float in ``[low, high]`` (``None`` allowed if ``none``)."""
    if value is None and none:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not low <= value <= high
    ):
        raise ValueError(
            f"{name} must be a number in [{low}, {high}], got {name}={value!r}"
        )
    return float(value)


def sobol(n_dims: int, n: int, seed: int, start: int = 0) -> np.ndarray:
    """Points ``start .. start + n - 1`` of a scrambled Sobol sequence, (n, n_dims).

    Drawing 2^m >= start + n points and slicing keeps the same prefix for one seed
    whatever ``n`` is, and never triggers scipy's balance warning.
    """
    m = max(start + n - 1, 0).bit_length()
    try:
        engine = qmc.Sobol(n_dims, scramble=True, rng=seed)
    except TypeError:  # scipy < 1.15 names it ``seed``
        engine = qmc.Sobol(n_dims, scramble=True, seed=seed)
    return engine.random_base2(m)[start : start + n]


_SOBOL_BITS = 30  # scipy's default: the points are integers times 2^-30


@functools.lru_cache(maxsize=32)
def _sobol_net(n_dims: int, m: int) -> np.ndarray:  # (2^m, n_dims) uint64, read-only
    """The first ``2^m`` points of one fixed scrambled Sobol sequence, as integers."""
    X = sobol(n_dims, 2**m, 0)
    net = np.rint(X * 2.0**_SOBOL_BITS).astype(np.uint64)
    net.flags.writeable = False
    return net


def shifted_sobol(n_dims: int, m: int, rng: np.random.RandomState) -> np.ndarray:
    """``2^m`` quasi-random points, (2^m, n_dims): a fixed scrambled Sobol net with
    a random digital shift (an XOR of every coordinate with a random integer).

    A digital shift keeps the net's stratification and makes each point uniform
    on the cube (Owen, "Monte Carlo Variance of Scrambled Net Quadrature", SIAM J.
    Numer. Anal. 1997), as a fresh scrambling does, at a fraction of the cost
    (scipy's scrambling draws ``n_dims`` random matrices): for candidate sets
    drawn at every proposal.
    """
    shift = rng.randint(0, 2**_SOBOL_BITS, size=n_dims).astype(np.uint64)
    return (_sobol_net(n_dims, m) ^ shift) * 2.0**-_SOBOL_BITS


def reflect(X: np.ndarray) -> np.ndarray:
    """Mirror any real values into ``[0, 1]`` (period 2: reflections at 0 and 1)."""
    X = np.mod(X, 2.0)
    return np.where(X > 1.0, 2.0 - X, X)


class Fidelity(NamedTuple):
    """How a multi-fidelity optimizer wants one of its points evaluated."""

    resource: int  # the budget of the evaluation (training rows, iterations...)
    final: bool  # whether it is the full budget, that the search is judged on
    columns: dict  # what to report beside the result (rung, bracket...)
    continues: int | None = None  # the id of the same point's evaluation with a
    # smaller resource, which this one may continue instead of starting afresh
    repeat: int = 0  # earlier rungs of its bracket with the same resource: an
    # evaluation of its own, not a repeat of theirs (aggressive elimination)


class Optimizer:
    """Minimise a loss on ``[0, 1]^n_dims``; knows nothing of estimators.

    Parameters
    ----------
    n_dims : int
        Number of coordinates of a point.
    kinds : sequence of {"real", "integer", "categorical"}, default=None
        What each coordinate encodes; ``None`` means all real. Integer and
        categorical coordinates cover ``n_choices[j]`` equal cells of ``[0, 1]``.
    n_choices : sequence of int, default=None
        Number of equal cells of each coordinate, ``0`` where the coordinate is
        continuous or its cells are not equal (a discrete scipy distribution).
    random_state : int, RandomState instance or None, default=None
        The only source of randomness of the optimizer.

    Attributes
    ----------
    X_ : ndarray of shape (n_told, n_dims)
        Every point told so far, in the order told.
    y_ : ndarray of shape (n_told,)
        Their losses; ``NaN`` marks a failed evaluation.
    """

    def __init__(self, n_dims, *, kinds=None, n_choices=None, random_state=None):
        if not isinstance(n_dims, Integral) or n_dims < 1:
            raise ValueError(f"n_dims must be a positive integer, got {n_dims!r}")
        self.n_dims = int(n_dims)
        self.kinds = tuple(kinds) if kinds is not None else ("real",) * self.n_dims
        if len(self.kinds) != self.n_dims or not set(self.kinds) <= set(_KINDS):
            raise ValueError(
                f"kinds must be {self.n_dims} values among {_KINDS}, got {self.kinds!r}"
            )
        if n_choices is None:
            n_choices = [0] * self.n_dims
        self.n_choices = np.asarray(n_choices, dtype=np.int64)
        if self.n_choices.shape != (self.n_dims,) or np.any(self.n_choices < 0):
            raise ValueError(
                f"n_choices must be {self.n_dims} non-negative integers, "
                f"got {n_choices!r}"
            )
        self.random_state = check_random_state(random_state)
        self.X_ = np.empty((0, self.n_dims))
        self.y_ = np.empty(0)
        self._n_ids = 0  # ids handed out by ask_ids
        self._pending = {}  # id -> (its _Batch, row), until told
        self._batches = deque()  # _whole_batches: batches not yet handed to _tell
        # Set by a caller that does not need reproducible proposals (results told
        # as they finish): an algorithm may then propose more eagerly.
        self.asynchronous = False

    # Whether _tell needs each asked batch complete and in the order asked.
    _whole_batches = False

    # -- public API: checks and history, written once -------------------------------
    def ask(self, n: int) -> np.ndarray:
        """Return ``n`` points to evaluate, shape ``(n, n_dims)``, inside ``[0, 1]``."""
        if not isinstance(n, Integral) or n < 1:
            raise ValueError(f"ask needs a positive number of points, got n={n!r}")
        X = np.asarray(self._ask(int(n)), dtype=float).reshape(int(n), self.n_dims)
        return np.clip(X, 0.0, 1.0)

    def tell(self, X, y) -> None:
        """Record the losses ``y`` (``NaN`` for a failure) of the points ``X``."""
        X, y = self._check_told(X, y)
        self.X_ = np.vstack([self.X_, X])
        self.y_ = np.concatenate([self.y_, y])
        self._tell(X, y)

    def next_batch_size(self) -> int:
        """How many points the algorithm would like to be asked for next."""
        return 1

    # -- ids: pending points, results in any order --------------------------------
    def ask_ids(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Ask for ``n`` points and give each an id: ``(ids (n,), X (n, n_dims))``."""
        if not self.can_ask():
            raise RuntimeError(
                f"{type(self).__name__} cannot propose before its pending batch is "
                f"told: check can_ask() first"
            )
        return self._register(self.ask(n))

    def replay_ids(self, n: int, X) -> tuple[np.ndarray, np.ndarray]:
        """Take ``X`` (n, n_dims), recorded from an earlier run, as the answer of
        ``ask_ids(n)``: a resumed search tells the optimizer its history.

        The state is left as asking would leave it, so the optimizer goes on as
        the interrupted run did. An algorithm whose proposals are expensive (the
        Gaussian process) restores it in :meth:`_replay` without computing them;
        the others, whose asks cost microseconds, ask again and return what they
        propose: points other than the recorded ones tell the caller that this
        run no longer follows the recorded one (another budget, another version
        of the algorithm).
        """
        X = np.asarray(X, dtype=float).reshape(int(n), self.n_dims)
        if not self.can_ask():
            raise RuntimeError(
                f"{type(self).__name__} cannot propose before its pending batch is "
                f"told: check can_ask() first"
            )
        if self._replay(int(n), X):
            return self._register(X)
        return self.ask_ids(n)

    def _replay(self, n: int, X: np.ndarray) -> bool:
        """Restore the state ``ask(n)`` answering ``X`` leaves, without computing
        it; False (the default): ask again."""
        return False

    def _register(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Give each asked point an id, and keep it pending until told."""
        ids = np.arange(self._n_ids, self._n_ids + len(X))
        self._n_ids += len(X)
        batch = _Batch(X)
        if self._whole_batches:  # kept until handed to _tell, whole and in order
            self._batches.append(batch)
        for row, i in enumerate(ids.tolist()):
            self._pending[i] = (batch, row)
        return ids, X

    def tell_ids(self, ids, y) -> None:
        """Tell the losses of points asked with :meth:`ask_ids`, in any order."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        y = np.asarray(y, dtype=float).reshape(-1)
        if ids.shape != y.shape:
            raise ValueError(f"tell_ids needs one loss per id, got {ids.shape} ids")
        told = []
        for i, loss in zip(ids.tolist(), y.tolist()):
            if i not in self._pending:
                raise ValueError(f"id {i} was not asked, or was told already")
            batch, row = self._pending.pop(i)
            batch.y[row] = loss
            batch.n_left -= 1
            told.append(batch.X[row])
        if not self._whole_batches:
            if told:
                self.tell(np.array(told), y)
            return
        # Complete batches, in the order asked.
        while self._batches and self._batches[0].n_left == 0:
            batch = self._batches.popleft()
            self.tell(batch.X, batch.y)

    def can_ask(self) -> bool:
        """Whether :meth:`ask_ids` may propose now, with the points still pending."""
        return not (self._whole_batches and self._batches)

    def pending(self) -> np.ndarray:
        """The points asked with :meth:`ask_ids` and not told yet, (m, n_dims)."""
        rows = [batch.X[row] for batch, row in self._pending.values()]
        return np.array(rows, dtype=float).reshape(-1, self.n_dims)

    def enqueue(self, X) -> bool:
        """Take points ``X`` (k, n_dims) to propose before any of its own.

        False, the default: the caller evaluates them itself and tells their
        losses as outside information (``tell``). An algorithm with a place for
        them among its own proposals (Hyperband's first rungs) keeps them and
        returns True.
        """
        return False

    def fidelity(self, i: int) -> Fidelity | None:
        """How point ``i`` (an id of :meth:`ask_ids`, not told yet) is evaluated.

        ``None``, the default: with the full resource. A multi-fidelity optimizer
        (:class:`~skhpo._optimizers.hyperband.Hyperband`) returns a
        :class:`Fidelity`.
        """
        return None

    def should_stop(self) -> bool:
        """Whether the algorithm has converged and further asks are pointless."""
        return False

    # -- to implement ------------------------------------------------------------
    def _ask(self, n: int) -> np.ndarray:  # (n, n_dims)
        raise NotImplementedError

    def _tell(self, X: np.ndarray, y: np.ndarray) -> None:
        """Update the algorithm with newly told points (already in ``X_``, ``y_``)."""

    # -- helpers -------------------------------------------------------------------
    def _check_told(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_dims:
            raise ValueError(
                f"tell needs X of shape (n, {self.n_dims}), got shape {X.shape}"
            )
        if y.shape != (X.shape[0],):
            raise ValueError(
                f"tell needs one loss per point: X has {X.shape[0]} rows, "
                f"y has shape {y.shape}"
            )
        if not np.all(np.isfinite(X)) or X.min(initial=0) < 0 or X.max(initial=0) > 1:
            raise ValueError("tell needs points inside [0, 1]^n_dims")
        if np.any(np.isinf(y)):
            # +inf and -inf carry no usable magnitude; treat them as failures.
            y = np.where(np.isinf(y), np.nan, y)
        return X, y

    def _cells(self, X: np.ndarray) -> np.ndarray:
        """Snap coordinates with equal cells to the centre of their cell."""
        X = np.array(X, dtype=float, copy=True)
        j = np.flatnonzero(self.n_choices)
        if j.size:
            k = self.n_choices[j]
            X[:, j] = (np.minimum(np.floor(X[:, j] * k), k - 1) + 0.5) / k
        return X


class _Batch:
    """One ``ask_ids`` call: its points, their losses so far, how many are pending."""

    __slots__ = ("X", "n_left", "y")

    def __init__(self, X):
        self.X = X  # (k, n_dims)
        self.y = np.full(len(X), np.nan)  # (k,)
        self.n_left = len(X)


class RandomSampler(Optimizer):
    """Independent uniform samples: the baseline every strategy must beat."""

    def _ask(self, n):
        return self.random_state.uniform(size=(n, self.n_dims))
