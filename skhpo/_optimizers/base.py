# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Ask/tell optimizers on the unit hypercube.

An optimizer minimises an unknown loss over ``[0, 1]^n_dims``. It knows nothing of
estimators, scoring or cross-validation: the search engine decodes the points it asks
for into hyperparameters and tells it back the losses (``NaN`` for a failed fit).

Subclasses implement ``_ask`` and ``_tell``; the public ``ask`` and ``tell`` here do
the checks and keep the history, once, for every algorithm (the template-method
pattern of nevergrad's optimizers).
"""

from __future__ import annotations

from numbers import Integral, Real

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


def reflect(X: np.ndarray) -> np.ndarray:
    """Mirror any real values into ``[0, 1]`` (period 2: reflections at 0 and 1)."""
    X = np.mod(X, 2.0)
    return np.where(X > 1.0, 2.0 - X, X)


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


class RandomSampler(Optimizer):
    """Independent uniform samples: the baseline every strategy must beat."""

    def _ask(self, n):
        return self.random_state.uniform(size=(n, self.n_dims))
