# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Search spaces: every hyperparameter to and from the unit cube.

Optimizers work on points of ``[0, 1]^n_dims`` and know nothing of types; only the
space does. Each parameter owns one coordinate, mapped as follows:

- ``Real(low, high)``: linearly; with ``prior="log-uniform"``, linearly in
  ``log(x)``. Decoded as a Python ``float`` clipped to ``[low, high]``.
- ``Integer(low, high)``: ``[0, 1]`` is cut into ``high - low + 1`` *equal* cells,
  one per integer, i.e. the bounds are widened by half a step. With the log prior
  the cut is equal in log space: the cell of ``k`` is ``[log(k - 0.5),
  log(k + 0.5)]``, so ``low >= 1``. Decoded as a Python ``int``.
- a list, a tuple, a 1-d array or ``Categorical``: ``k`` equal cells, decoded as the
  very object given (``is``). Array elements are converted to Python objects as
  ``ndarray.tolist`` does (``np.int64(3)`` becomes ``3``).
- a frozen ``scipy.stats`` distribution: decoded as ``dist.ppf(u)`` with ``u`` kept
  inside ``[1e-12, 1 - 1e-12]`` so that the quantile stays finite, and encoded with
  ``dist.cdf``; a discrete distribution decodes to ``int`` and encodes to the middle
  of the value's cell, ``(cdf(k - 1) + cdf(k)) / 2``. Its shape is the prior.
- any other object with an ``rvs`` method (scikit-learn's contract for
  ``RandomizedSearchCV``: a user's own sampler, an unfrozen ``scipy.stats``
  family, which is frozen with its default parameters when it has none to ask
  for): through the empirical quantiles of 1,000 draws of
  ``rvs(random_state=...)`` made with the search's random state, sorted (numbers
  by value, other objects grouped in the order they first appear). The cube's
  uniform measure then draws as ``rvs`` does, and the model-based strategies see
  an ordered coordinate. Decoded as one of the draws.
- a list of dicts (a conditional space): one leading categorical coordinate picks
  the dict; every dict's parameters get their own coordinates, and those of the
  other dicts are inactive (they encode to 0.5 and are ignored by ``decode``).

Why equal cells matter: a uniform sample of the cube must give every integer and
every category the same chance. Rounding ``low + u * (high - low)`` instead gives
the two end values half-width cells (0.25/0.50/0.25 for ``{0, 1, 2}``), a bias that
every optimizer working on the cube would inherit. Integer and categorical
coordinates expose their number of cells in ``SearchSpace.n_choices``, so that an
optimizer can snap points to cell centres or use a categorical kernel.

Examples
--------
>>> from skhpo.space import Integer, Real, SearchSpace
>>> space = SearchSpace({"C": Real(0, 10), "degree": Integer(1, 3), "k": ["a", "b"]})
>>> space.decode([[0.25, 0.5, 0.9]])
[{'C': 2.5, 'degree': 2, 'k': 'b'}]
>>> space.encode([{"C": 2.5, "degree": 2, "k": "b"}])
array([[0.25, 0.5 , 0.75]])
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections.abc import Iterator, Mapping, Sequence, Set
from contextlib import contextmanager

import numpy as np
from scipy import stats
from scipy.stats import qmc
from sklearn.utils import check_random_state

__all__ = ["Categorical", "Integer", "Real"]

_PRIORS = ("uniform", "log-uniform")
# Quantiles are evaluated inside [_EPS, 1 - _EPS]: norm.ppf(0) is -inf.
_EPS = 1e-12
# Discrete scipy distributions with at most this many values are checked for
# equal cells (randint), which an optimizer may then treat like ``Integer``.
_MAX_TABLE = 10_000
# Integers beyond 2**53 are not exactly representable in the float arithmetic used.
_MAX_INT = 2**53
# Draws of an rvs-only distribution, for its empirical quantiles.
_N_DRAWS = 1000


# -- small helpers ---------------------------------------------------------------
def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _float(x) -> float:
    try:
        return float(x)
    except OverflowError:  # a huge Python int (copysign would overflow too)
        return math.inf if x > 0 else -math.inf


def _as_int(x) -> int | None:
    """``x`` as an ``int`` if it is an integral number (``2`` or ``2.0``), else None."""
    if isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_)):
        return int(x)
    if _is_number(x) and math.isfinite(_float(x)) and float(x).is_integer():
        return int(x)
    return None


def _floats(values: list) -> np.ndarray:  # (n,), NaN where not a number
    return np.array([_float(v) if _is_number(v) else np.nan for v in values], float)


def _ints(values: list) -> tuple[np.ndarray, np.ndarray]:  # (n,) int64, (n,) bool
    ints = [_as_int(v) for v in values]
    ok = np.array([v is not None and abs(v) <= _MAX_INT for v in ints], bool)
    v = np.array([i if o else 0 for i, o in zip(ints, ok, strict=True)], np.int64)
    return v, ok


def _fmt(x) -> str:
    return repr(x.item() if isinstance(x, np.generic) else x)


def _cell(u: np.ndarray, k: int) -> np.ndarray:  # (n,) in [0, 1] -> (n,) int64
    # Same convention as ``Optimizer._cells``: cell i is [i / k, (i + 1) / k).
    return np.minimum((u * k).astype(np.int64), k - 1)


def _centre(i, k: int):
    return (i + 0.5) / k


def _equal(a, b) -> bool:
    try:
        with warnings.catch_warnings():
            # numpy < 2.2 warns and returns False for arrays of different shapes
            # or empty ones, where later versions raise ValueError.
            warnings.simplefilter("ignore", DeprecationWarning)
            return bool(a == b)
    except (TypeError, ValueError):  # e.g. arrays compare elementwise
        return False


def _same_choice(a, b) -> bool:
    return a is b or (type(a) is type(b) and _equal(a, b))


@contextmanager
def _at(where: str) -> Iterator[None]:
    """Prefix the message of a ``ValueError``/``TypeError`` with its location."""
    try:
        yield
    except TypeError as exc:
        raise TypeError(f"{where}: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _check_prior(dim: _Bounded) -> bool:
    """Whether the prior of ``dim`` is log-uniform; raise if it is unknown."""
    if not (isinstance(dim.prior, str) and dim.prior in _PRIORS):
        raise ValueError(
            f"{dim!r} has an unknown prior; choose 'uniform' or 'log-uniform'"
        )
    return dim.prior == "log-uniform"


# -- dimensions --------------------------------------------------------------------
class _Dimension:
    """The values of one parameter on one coordinate of ``[0, 1]``.

    Constructors only store their arguments. ``SearchSpace`` checks a shallow copy
    in ``fit`` with ``_check``, which validates the public attributes, caches what
    the vectorised methods need, and raises without a location (the space adds it:
    ``param_distributions['C']: Real(low=10, high=1) needs low < high``).
    """

    kind = "real"
    n_choices = 0  # equal cells; 0 for continuous coordinates or unequal cells

    def _check(self) -> None:
        raise NotImplementedError

    def _decode(self, u: np.ndarray) -> list:  # (n,) in [0, 1] -> n native values
        raise NotImplementedError

    def _key(self, u: np.ndarray) -> list:  # n hashable scalars
        return self._decode(u)

    def _snap(self, u: np.ndarray) -> np.ndarray:  # (n,) canonical points
        raise NotImplementedError

    def _encode(self, values: list) -> tuple[np.ndarray, np.ndarray]:
        """Points ``(n,)`` of ``values``, and whether each value is in the space."""
        raise NotImplementedError


class _Bounded(_Dimension):
    """A number in ``[low, high]`` with a uniform or log-uniform prior."""

    def __init__(self, low, high, prior="uniform"):
        self.low = low
        self.high = high
        self.prior = prior

    def __repr__(self):
        default = isinstance(self.prior, str) and self.prior == "uniform"
        prior = "" if default else f", prior={self.prior!r}"
        name = type(self).__name__
        return f"{name}(low={_fmt(self.low)}, high={_fmt(self.high)}{prior})"

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return (self.low, self.high, self.prior) == (other.low, other.high, other.prior)

    def __hash__(self):
        return hash((type(self).__name__, self.low, self.high, self.prior))


class Real(_Bounded):
    """A real-valued parameter in ``[low, high]``.

    The arguments are stored as given and checked when the search is fitted,
    where an error names the parameter.

    Parameters
    ----------
    low : float
        Lower bound, included.
    high : float
        Upper bound, included; ``low < high``.
    prior : {"uniform", "log-uniform"}, default="uniform"
        How values spread over the unit interval: linearly, or linearly in
        ``log(x)`` (then ``low > 0``), as for a regularisation strength.

    See Also
    --------
    Integer : An integer-valued parameter.
    scipy.stats.loguniform : The same log-uniform prior as a scipy distribution.

    Examples
    --------
    >>> from skhpo.space import Real
    >>> Real(1e-3, 10.0, prior="log-uniform")
    Real(low=0.001, high=10.0, prior='log-uniform')
    >>> Real(0, 1) == Real(0.0, 1.0)
    True
    """

    kind = "real"

    def _check(self) -> None:
        log = _check_prior(self)
        if not (_is_number(self.low) and _is_number(self.high)):
            raise TypeError(f"{self!r} needs real-number bounds")
        low, high = _float(self.low), _float(self.high)
        if not (math.isfinite(low) and math.isfinite(high - low)):
            raise ValueError(f"{self!r} needs finite bounds")
        if not low < high:
            raise ValueError(f"{self!r} needs low < high")
        if log and low <= 0:
            raise ValueError(f"{self!r} needs low > 0 for the log-uniform prior")
        self._low, self._high, self._log = low, high, log
        self._a, self._b = (math.log(low), math.log(high)) if log else (low, high)

    def _decode(self, u):
        x = self._a + u * (self._b - self._a)
        if self._log:
            x = np.exp(x)
        # The ends of [0, 1] give the bounds exactly (exp(log(0.01)) does not).
        x = np.where(u <= 0, self._low, np.where(u >= 1, self._high, x))
        return np.clip(x, self._low, self._high).tolist()

    def _snap(self, u):
        # Every point of a real coordinate is canonical: encode(decode(u)) could
        # move it by a rounding error, and decode it to a different float.
        return u

    def _encode(self, values):
        x = _floats(values)
        ok = (x >= self._low) & (x <= self._high)  # False for NaN
        x = np.where(ok, x, self._low)
        t = np.log(x) if self._log else x
        return np.clip((t - self._a) / (self._b - self._a), 0.0, 1.0), ok


class Integer(_Bounded):
    """An integer-valued parameter in ``[low, high]``, one equal cell per value.

    The arguments are stored as given and checked when the search is fitted,
    where an error names the parameter.

    Parameters
    ----------
    low : int
        Lower bound, included. An integral float such as ``1e3`` is accepted.
    high : int
        Upper bound, included; ``low <= high``.
    prior : {"uniform", "log-uniform"}, default="uniform"
        ``"uniform"`` gives every integer the same probability. ``"log-uniform"``
        spreads ``log(x)`` uniformly: the value ``k`` covers ``[log(k - 0.5),
        log(k + 0.5)]``, so small values are likelier and ``low >= 1``.

    See Also
    --------
    Real : A real-valued parameter.
    scipy.stats.randint : The same uniform prior as a scipy distribution.

    Examples
    --------
    >>> from skhpo.space import Integer
    >>> Integer(1, 1000, prior="log-uniform")
    Integer(low=1, high=1000, prior='log-uniform')
    """

    kind = "integer"

    def _check(self) -> None:
        log = _check_prior(self)
        if not (_is_number(self.low) and _is_number(self.high)):
            raise TypeError(f"{self!r} needs integer bounds")
        if not (math.isfinite(_float(self.low)) and math.isfinite(_float(self.high))):
            raise ValueError(f"{self!r} needs finite bounds")
        low, high = _as_int(self.low), _as_int(self.high)
        if low is None or high is None:
            raise ValueError(f"{self!r} needs integer bounds")
        if max(abs(low), abs(high)) > _MAX_INT:
            raise ValueError(f"{self!r} needs bounds within +/-2**53")
        if low > high:
            raise ValueError(f"{self!r} needs low <= high")
        if log and low < 1:
            raise ValueError(f"{self!r} needs low >= 1 for the log-uniform prior")
        self._low, self._high, self._log = low, high, log
        # Cells of a log prior are equal in log space only, hence not on [0, 1].
        self.n_choices = 0 if log else high - low + 1
        if log:
            self._a, self._b = math.log(low - 0.5), math.log(high + 0.5)

    def _values(self, u: np.ndarray) -> np.ndarray:  # (n,) int64
        if not self._log:
            return self._low + _cell(u, self.n_choices)
        x = np.exp(self._a + u * (self._b - self._a))
        # exp(log(high + 0.5)) may round below high + 0.5 for huge bounds (and
        # the end cells are then narrower than float steps): the ends of [0, 1]
        # are the bounds, exactly.
        x = np.where(u >= 1.0, self._high, np.where(u <= 0.0, self._low, x))
        return np.clip(np.floor(x + 0.5), self._low, self._high).astype(np.int64)

    def _centres(self, v: np.ndarray) -> np.ndarray:  # (n,) int64 -> (n,) points
        if not self._log:
            return _centre(v - self._low, self.n_choices)
        lo, hi = np.log(v - 0.5), np.log(v + 0.5)
        return ((lo + hi) / 2 - self._a) / (self._b - self._a)

    def _decode(self, u):
        return self._values(u).tolist()

    def _snap(self, u):
        return self._centres(self._values(u))

    def _encode(self, values):
        v, ok = _ints(values)
        ok &= (v >= self._low) & (v <= self._high)
        return self._centres(np.where(ok, v, self._low)), ok


def _as_choices(categories) -> tuple:
    """Check a sequence of choices and return it as a tuple of Python objects."""
    if isinstance(categories, (str, bytes)):
        raise TypeError("a string is not a list of choices; wrap it in a list")
    if isinstance(categories, Mapping):
        raise TypeError(
            "a dict is not a list of choices; nested dicts are not supported "
            "(a list of dicts gives a conditional space)"
        )
    if isinstance(categories, Set):
        raise TypeError("a set has no order; give the choices as a list")
    if isinstance(categories, np.ndarray):
        if categories.ndim != 1:
            raise ValueError(
                f"needs a 1-d array of choices, got shape {categories.shape}"
            )
        categories = categories.tolist()
    elif not isinstance(categories, Sequence):
        raise TypeError(f"expected a list of choices, got {type(categories).__name__}")
    if len(categories) == 0:
        raise ValueError("needs at least one choice")
    return tuple(categories)


class Categorical(_Dimension):
    """A parameter taking one of a few values, each with the same probability.

    A plain list or tuple in ``param_distributions`` means the same thing. The
    choices are checked when the search is fitted, where an error names the
    parameter.

    Parameters
    ----------
    categories : list, tuple or 1-d ndarray
        The choices, any objects (``None``, strings, estimators...). Candidates hold
        the very objects given; the elements of an array are converted to Python
        objects as ``ndarray.tolist`` does. A value listed twice is twice as likely.

    Examples
    --------
    >>> from skhpo.space import Categorical
    >>> Categorical(["rbf", "linear", None])
    Categorical(categories=['rbf', 'linear', None])
    """

    kind = "categorical"

    def __init__(self, categories):
        self.categories = categories

    def __repr__(self):
        return f"{type(self).__name__}(categories={self.categories!r})"

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        mine, theirs = self.categories, other.categories
        return len(mine) == len(theirs) and all(
            _same_choice(a, b) for a, b in zip(mine, theirs, strict=True)
        )

    def __hash__(self):
        return hash(type(self).__name__)  # categories may be unhashable

    def _check(self) -> None:
        self._items = _as_choices(self.categories)
        self.n_choices = len(self._items)
        # The first cell of each choice: cells of a repeated value decode to the
        # same object and share a key (so keys stay equal iff candidates are).
        self._first = np.arange(self.n_choices)
        seen, unhashable = {}, []
        for i, c in enumerate(self._items):
            try:
                self._first[i] = seen.setdefault((type(c), c), i)
            except TypeError:
                same = (k for k in unhashable if _same_choice(self._items[k], c))
                self._first[i] = next(same, i)
                unhashable.append(i)

    def _index(self, u: np.ndarray) -> np.ndarray:  # (n,) int64
        return self._first[_cell(u, self.n_choices)]

    def _decode(self, u):
        return [self._items[i] for i in self._index(u).tolist()]

    def _key(self, u):
        return self._index(u).tolist()

    def _snap(self, u):
        return _centre(self._index(u), self.n_choices)

    def _lookup(self, value, by_id: dict) -> int:
        if id(value) in by_id:
            return by_id[id(value)]
        # Same type and equal first, so that True does not stand for 1.
        for test in (_same_choice, _equal):
            for i, c in enumerate(self._items):
                if test(c, value):
                    return int(self._first[i])
        return -1

    def _encode(self, values):
        by_id = {}  # built per call: ids do not survive pickling
        for i, c in enumerate(self._items):
            by_id.setdefault(id(c), int(self._first[i]))
        index = np.array([self._lookup(v, by_id) for v in values], np.int64)
        ok = index >= 0
        return _centre(np.where(ok, index, 0), self.n_choices), ok


class _Distribution(_Dimension):
    """A frozen ``scipy.stats`` distribution, sampled through its quantile function."""

    def __init__(self, dist):
        self.dist = dist

    def __repr__(self):
        gen = getattr(self.dist, "dist", None)
        if not isinstance(gen, (stats.rv_continuous, stats.rv_discrete)):
            return repr(self.dist)
        args = [_fmt(a) for a in getattr(self.dist, "args", ())]
        args += [f"{k}={_fmt(v)}" for k, v in getattr(self.dist, "kwds", {}).items()]
        return f"scipy.stats.{gen.name}({', '.join(args)})"

    def _check(self) -> None:
        dist = self.dist
        self._discrete = isinstance(getattr(dist, "dist", None), stats.rv_discrete)
        self.kind = "integer" if self._discrete else "real"
        try:  # any error of a third-party object means it cannot be used
            with np.errstate(all="ignore"):  # overflows are reported below
                shape = np.shape(dist.ppf(0.5))
                if shape != ():  # array parameters: one distribution per element
                    raise ValueError(
                        f"its parameters have shape {shape}; give one number each"
                    )
                q = np.asarray(dist.ppf(np.array([_EPS, 0.5, 1 - _EPS])), float)
            support = dist.support() if hasattr(dist, "support") else (-np.inf, np.inf)
            low, high = (float(b) for b in support)
        except Exception as exc:
            raise ValueError(f"{self!r} cannot compute its quantiles: {exc}") from None
        if q.shape != (3,) or not np.all(np.isfinite(q)):
            raise ValueError(
                f"{self!r} has invalid parameters or unbounded quantiles: "
                f"ppf([{_EPS}, 0.5, 1 - {_EPS}]) = {q}"
            )
        if self._discrete and not np.all(np.abs(q) <= _MAX_INT):
            # Its values are decoded through float quantiles, exact up to 2**53 only
            # (as for Integer); beyond, they would not even fit an int64.
            raise ValueError(
                f"{self!r} needs values within +/-2**53: ppf([{_EPS}, 0.5, "
                f"1 - {_EPS}]) = {q}"
            )
        self._low, self._high, self._median = low, high, q[1]
        self.n_choices = 0
        if self._discrete and math.isfinite(high) and high - low < _MAX_TABLE:
            n = int(high - low) + 1
            if np.allclose(dist.cdf(low + np.arange(n)), np.arange(1, n + 1) / n):
                self.n_choices = n  # equal cells (randint): decode like Integer

    def _values(self, u: np.ndarray) -> np.ndarray:  # (n,) int64 or float
        if self.n_choices:
            return int(self._low) + _cell(u, self.n_choices)
        x = np.asarray(self.dist.ppf(np.clip(u, _EPS, 1 - _EPS)), dtype=float)
        # Within the support: scipy's geom(1.0).ppf gives 0, outside [1, inf).
        x = np.clip(x, self._low, self._high)
        return x.astype(np.int64) if self._discrete else x

    def _centres(self, v: np.ndarray) -> np.ndarray:  # (n,) int64 -> (n,) points
        if self.n_choices:
            return _centre(v - int(self._low), self.n_choices)
        return (self.dist.cdf(v - 1) + self.dist.cdf(v)) / 2

    def _decode(self, u):
        return self._values(u).tolist()

    def _snap(self, u):
        if not self._discrete:
            return np.clip(u, _EPS, 1 - _EPS)  # as for Real, in the range ppf sees
        v = self._values(u)
        c = self._centres(v)
        # The middle of a cell too thin for floats may decode elsewhere.
        return np.where(self._values(c) == v, c, u)

    def _encode(self, values):
        if not self._discrete:
            x = _floats(values)
            ok = (x >= self._low) & (x <= self._high)
            u = self.dist.cdf(np.where(ok, x, self._median))
            return np.clip(np.asarray(u, dtype=float), 0.0, 1.0), ok
        v, ok = _ints(values)
        ok &= (v >= self._low) & (v <= self._high)
        u = np.clip(self._centres(np.where(ok, v, int(self._median))), 0.0, 1.0)
        # A value deep in a tail has no point inside [_EPS, 1 - _EPS].
        ok &= self._values(u) == v
        return u, ok


class _Sampled(_Dimension):
    """Any other object with ``rvs``, through the empirical quantiles of draws.

    ``_N_DRAWS`` draws of ``dist.rvs(random_state=rng)``, as scikit-learn's
    ``ParameterSampler`` calls it, sorted: numbers by value, other objects
    grouped by equality in the order they first appear. Cell ``i`` of ``[0, 1]``
    (of ``_N_DRAWS`` equal cells) decodes to the ``i``-th sorted draw; a run of
    equal draws is one value, whose point is the middle of its run.
    """

    def __init__(self, dist, random_state=None):
        self.dist = dist
        self.random_state = random_state

    def __repr__(self):
        return repr(self.dist)

    def _check(self) -> None:
        rng = check_random_state(self.random_state)
        try:  # any error of a third-party object means it cannot be used
            draws = [self.dist.rvs(random_state=rng) for _ in range(_N_DRAWS)]
        except Exception as exc:
            raise ValueError(f"{self!r}.rvs(random_state=...) failed: {exc}") from None
        draws = [d.item() if isinstance(d, np.generic) else d for d in draws]
        self._numbers = all(_is_number(d) for d in draws)
        if self._numbers:
            x = np.array(draws, dtype=float)
            if not np.all(np.isfinite(x)):
                raise ValueError(f"{self!r}.rvs drew non-finite values")
            integral = all(_as_int(d) is not None for d in draws)
            self.kind = "integer" if integral else "real"
        else:  # groups of equal objects, numbered in order of first appearance
            self._groups, ids = [], []
            for d in draws:
                k = next(
                    (k for k, g in enumerate(self._groups) if _same_choice(g, d)),
                    None,
                )
                if k is None:
                    k = len(self._groups)
                    self._groups.append(d)
                ids.append(k)
            x = np.array(ids, dtype=float)
            self.kind = "real"
        order = np.argsort(x, kind="stable")
        self._x = x[order]  # sorted keys: the values, or the group numbers
        self._draws = [draws[i] for i in order]
        # The run of equal draws around each position: [start, end).
        self._start = np.searchsorted(self._x, self._x, side="left")
        self._end = np.searchsorted(self._x, self._x, side="right")

    def _index(self, u: np.ndarray) -> np.ndarray:  # (n,) int64
        return _cell(np.asarray(u, dtype=float), _N_DRAWS)

    def _decode(self, u):
        return [self._draws[i] for i in self._index(u)]

    def _key(self, u):
        return self._x[self._index(u)].tolist()

    def _snap(self, u):
        i = self._index(u)
        return (self._start[i] + self._end[i]) / (2 * _N_DRAWS)

    def _encode(self, values):
        if self._numbers:
            x = _floats(values)
        else:
            x = np.array(
                [
                    next(
                        (k for k, g in enumerate(self._groups) if _same_choice(g, v)),
                        np.nan,
                    )
                    for v in values
                ],
                dtype=float,
            )
        ok = np.isfinite(x) & (x >= self._x[0]) & (x <= self._x[-1])
        lo = np.searchsorted(self._x, np.where(ok, x, self._x[0]), side="left")
        hi = np.searchsorted(self._x, np.where(ok, x, self._x[0]), side="right")
        # A value among the draws: the middle of its run; another one within
        # their range: where it would sort (it decodes to a neighbour).
        u = np.where(hi > lo, (lo + hi) / 2, lo) / _N_DRAWS
        return np.clip(u, 0.0, 1.0), ok


def _as_dimension(value, random_state=None) -> _Dimension:
    """The checked dimension of one value of ``param_distributions``;
    ``random_state`` draws the samples of an rvs-only distribution."""
    dim = _dimension(value, random_state)
    dim._check()
    return dim


def _frozen_family(value):
    """An unfrozen scipy.stats family frozen with its defaults, or None if it
    needs shape parameters (``scipy.stats.expon`` is ``expon()``; not
    ``gamma``)."""
    if getattr(value, "shapes", None):
        return None
    try:
        return value()
    except Exception:  # scipy's own error for missing parameters
        return None


def _dimension(value, random_state=None) -> _Dimension:
    if isinstance(value, _Dimension):
        # Check and cache on a copy: fit does not change the user's objects, and
        # the copy still holds the very categories given.
        return copy.copy(value)
    if isinstance(value, stats.rv_discrete) and hasattr(value, "xk"):
        return _Distribution(value.freeze())  # rv_discrete(values=(xk, pk))
    if isinstance(value, (stats.rv_continuous, stats.rv_discrete)):
        frozen = _frozen_family(value)
        if frozen is not None:
            return _Distribution(frozen)  # as RandomizedSearchCV draws from it
        raise TypeError(
            f"scipy.stats.{value.name} is a distribution family, not a frozen "
            f"distribution: give its parameters, e.g. scipy.stats.{value.name}(...)"
        )
    if callable(getattr(value, "ppf", None)) and callable(getattr(value, "cdf", None)):
        return _Distribution(value)
    if callable(getattr(value, "rvs", None)):
        return _Sampled(value, random_state)
    if isinstance(value, (str, bytes, Mapping, Set, Sequence, np.ndarray)):
        return Categorical(value)
    raise TypeError(
        "expected a list of choices, a frozen scipy.stats distribution, Real, "
        f"Integer or Categorical; got {value!r} of type {type(value).__name__}"
    )


def _check_n(n) -> int:
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return int(n)


def _sobol(d: int, seed: int) -> qmc.Sobol:
    try:
        return qmc.Sobol(d, scramble=True, rng=seed)
    except TypeError:  # scipy < 1.15 names it seed
        return qmc.Sobol(d, scramble=True, seed=seed)


def _latin_hypercube(d: int, seed: int) -> qmc.LatinHypercube:
    try:
        return qmc.LatinHypercube(d, rng=seed)
    except TypeError:  # scipy < 1.15 names it seed
        return qmc.LatinHypercube(d, seed=seed)


# -- the space ---------------------------------------------------------------------
class SearchSpace:
    """Map candidates of ``param_distributions`` to and from ``[0, 1]^n_dims``.

    Built and checked in ``fit``. Errors name the parameter, e.g.
    ``param_distributions[1]['clf__C']: Real(low=10, high=1) needs low < high``.

    Parameters
    ----------
    param_distributions : dict or list of dicts
        ``{name: values}``, values being a list, tuple or 1-d array of choices, a
        frozen ``scipy.stats`` distribution, ``Real``, ``Integer`` or
        ``Categorical``. A list of dicts is a conditional space: each candidate
        comes from one dict, picked by an extra leading categorical coordinate.
        Any other object with an ``rvs`` method is sampled through it.

    random_state : int, RandomState instance or None, default=None
        Draws the samples of the objects that only have ``rvs``; unused
        otherwise.

    Attributes
    ----------
    n_dims : int
        Number of coordinates.
    kinds : tuple of {"real", "integer", "categorical"}
        Kind of each coordinate (a discrete scipy distribution is ``"integer"``).
    n_choices : ndarray of shape (n_dims,)
        Number of equal cells of each coordinate; 0 where it is continuous or its
        cells are unequal (log-uniform ``Integer``, most discrete distributions).
    dim_names : list of str
        Parameter of each coordinate; ``""`` for the dict selector of a list.
    param_names : list of str
        Every parameter name once, in the user's order.
    subspaces : list of dict
        ``{name: dimension}`` for each dict: checked copies of ``Real``,
        ``Integer`` and ``Categorical`` (which still hold the very categories
        given), lists as ``Categorical`` and scipy distributions in a private
        wrapper.

    Examples
    --------
    >>> from skhpo.space import Real, SearchSpace
    >>> space = SearchSpace([{"kernel": ["linear"]},
    ...                      {"kernel": ["rbf"], "gamma": Real(0, 1)}])
    >>> space.dim_names
    ['', 'kernel', 'kernel', 'gamma']
    >>> space.kinds
    ('categorical', 'categorical', 'categorical', 'real')
    >>> space.decode([[0.9, 0.0, 0.0, 0.5], [0.1, 0.0, 0.0, 0.5]])
    [{'kernel': 'rbf', 'gamma': 0.5}, {'kernel': 'linear'}]
    >>> space.snap([[0.1, 0.2, 0.3, 0.4]])
    array([[0.25, 0.5 , 0.5 , 0.5 ]])
    """

    def __init__(self, param_distributions, random_state=None):
        self.param_distributions = param_distributions
        if isinstance(param_distributions, Mapping):
            dicts, is_list = [param_distributions], False
        elif isinstance(param_distributions, (list, tuple)):
            dicts, is_list = list(param_distributions), True
            if not dicts:
                raise ValueError("param_distributions: empty list; give a dict")
        else:
            raise TypeError(
                "param_distributions must be a dict or a list of dicts, got "
                f"{type(param_distributions).__name__}"
            )
        self._wheres = [
            f"param_distributions[{s}]" if is_list else "param_distributions"
            for s in range(len(dicts))
        ]
        self.subspaces = []
        for params, where in zip(dicts, self._wheres, strict=True):
            if not isinstance(params, Mapping):
                raise TypeError(
                    f"{where}: expected a dict of parameters, got "
                    f"{type(params).__name__}"
                )
            if not params:
                raise ValueError(f"{where}: empty dict; give at least one parameter")
            subspace = {}
            for name, value in params.items():
                if not isinstance(name, str):
                    raise TypeError(
                        f"{where}[{name!r}]: parameter names must be str, got "
                        f"{type(name).__name__}"
                    )
                with _at(f"{where}[{name!r}]"):
                    subspace[name] = _as_dimension(value, random_state)
            self.subspaces.append(subspace)

        self._selector = _as_dimension(range(len(dicts))) if is_list else None
        self._dims = [self._selector] if is_list else []
        self.dim_names = [""] if is_list else []
        self._columns = []  # the coordinates of each subspace, in its key order
        for subspace in self.subspaces:
            start = len(self._dims)
            self._columns.append(list(range(start, start + len(subspace))))
            self._dims.extend(subspace.values())
            self.dim_names.extend(subspace)
        self.n_dims = len(self._dims)
        self.kinds = tuple(dim.kind for dim in self._dims)
        self.n_choices = np.array([dim.n_choices for dim in self._dims], np.int64)
        self.param_names = list(dict.fromkeys(n for n in self.dim_names if n))

    # -- sampling ----------------------------------------------------------------
    def grid(self, max_size):
        """Every candidate of a finite space, or None.

        In the order of scikit-learn's ``ParameterGrid`` (the dicts in turn, the
        parameters of each sorted by name, the last one varying fastest): the
        order in which ``RandomizedSearchCV`` evaluates a grid its ``n_iter``
        covers. None if a coordinate has infinitely many values or unequal cells
        (``n_choices`` 0), or if the space holds more than ``max_size``.

        Returns
        -------
        U : ndarray of shape (n_candidates, n_dims)
        """
        if not self.n_choices.all():
            return None
        sizes = [
            math.prod(int(self._dims[j].n_choices) for j in columns)
            for columns in self._columns
        ]
        if sum(sizes) > max_size:
            return None
        rows = []
        for s, columns in enumerate(self._columns):
            names = list(self.subspaces[s])
            order = [
                columns[k] for k in sorted(range(len(names)), key=names.__getitem__)
            ]
            counts = [int(self.n_choices[j]) for j in order]
            # np.indices is row-major: the last coordinate varies fastest.
            cells = np.indices(counts).reshape(len(order), -1).T
            U = np.full((len(cells), self.n_dims), 0.5)
            if self._selector is not None:
                U[:, 0] = _centre(s, len(self._columns))
            U[:, order] = _centre(cells, np.array(counts))
            rows.append(U)
        return np.vstack(rows)

    def sample(self, n, random_state):
        """``n`` uniform points, shape ``(n, n_dims)``."""
        n = _check_n(n)
        return check_random_state(random_state).uniform(size=(n, self.n_dims))

    def sample_qmc(self, n, random_state):
        """``n`` points of a scrambled Sobol sequence, shape ``(n, n_dims)``."""
        n = _check_n(n)
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        if n == 0:
            return np.empty((0, self.n_dims))
        if self.n_dims > qmc.Sobol.MAXDIM:
            return _latin_hypercube(self.n_dims, seed).random(n)
        # Draw 2^m >= n points and keep the first n: scipy warns when asked for
        # n points directly, as only powers of two keep Sobol's balance.
        return _sobol(self.n_dims, seed).random_base2((n - 1).bit_length())[:n]

    # -- conversions ---------------------------------------------------------------
    def _check_points(self, U) -> np.ndarray:  # (n, n_dims), clipped to [0, 1]
        U = np.asarray(U, dtype=float)
        if U.ndim != 2 or U.shape[1] != self.n_dims:
            raise ValueError(
                f"expected points of shape (n, {self.n_dims}), got shape {U.shape}"
            )
        if not np.all(np.isfinite(U)):
            raise ValueError("points must be finite")
        return np.clip(U, 0.0, 1.0)

    def _groups(self, U: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """The rows of ``U`` in each subspace, as ``(subspace, rows)`` pairs."""
        if self._selector is None:
            return [(0, np.arange(len(U)))]
        which = self._selector._index(U[:, 0])
        groups = [(s, np.flatnonzero(which == s)) for s in range(len(self.subspaces))]
        return [(s, rows) for s, rows in groups if rows.size]

    def decode(self, U):
        """The candidates of points ``U``: a list of dicts of native values."""
        U = self._check_points(U)
        out = [None] * len(U)
        for s, rows in self._groups(U):
            names = list(self.subspaces[s])
            values = [self._dims[j]._decode(U[rows, j]) for j in self._columns[s]]
            for r, row in zip(rows.tolist(), zip(*values, strict=True), strict=True):
                out[r] = dict(zip(names, row, strict=True))
        return out

    def decode_keys(self, U):
        """``(decode(U), keys(U))``, decoding each coordinate once."""
        U = self._check_points(U)
        out, keys = [None] * len(U), [None] * len(U)
        for s, rows in self._groups(U):
            names = list(self.subspaces[s])
            values, key_values = [], []
            for j in self._columns[s]:
                dim = self._dims[j]
                values.append(dim._decode(U[rows, j]))
                own_key = type(dim)._key is not _Dimension._key
                key_values.append(dim._key(U[rows, j]) if own_key else values[-1])
            for k, r in enumerate(rows.tolist()):
                out[r] = dict(zip(names, (v[k] for v in values), strict=True))
                keys[r] = (s, *(v[k] for v in key_values))
        return out, keys

    def keys(self, U):
        """Hashable keys of points ``U``, equal iff the candidates are identical.

        A key holds the subspace and, for each of its coordinates, the decoded
        integer or float, or the cell of the category (the first cell of a
        category listed twice). Two dicts of a list that can give the same
        candidate give it different keys.
        """
        U = self._check_points(U)
        out = [None] * len(U)
        for s, rows in self._groups(U):
            values = [self._dims[j]._key(U[rows, j]) for j in self._columns[s]]
            for r, row in zip(rows.tolist(), zip(*values, strict=True), strict=True):
                out[r] = (s, *row)
        return out

    def snap(self, U):
        """The canonical point of each row of ``U``, as ``encode(decode(U))``.

        Integer and categorical coordinates go to the centre of their cell (the
        middle of ``[cdf(k - 1), cdf(k)]`` for a discrete distribution), inactive
        ones to 0.5. A real coordinate keeps its point: ``encode(decode(u))`` may
        differ from it by rounding errors only.
        """
        U = self._check_points(U)
        out = np.full_like(U, 0.5)
        if self._selector is not None:
            out[:, 0] = self._selector._snap(U[:, 0])
        for s, rows in self._groups(U):
            for j in self._columns[s]:
                out[rows, j] = self._dims[j]._snap(U[rows, j])
        return out

    def encode(self, candidates):
        """The points ``(n, n_dims)`` of candidates, a list of dicts.

        Raises ``ValueError`` naming the parameter when a value is not in its
        space, or when a candidate matches no dict of ``param_distributions``.
        """
        candidates = list(candidates)
        for i, candidate in enumerate(candidates):
            if not isinstance(candidate, Mapping):
                raise TypeError(
                    f"candidate {i} must be a dict, got {type(candidate).__name__}"
                )
        n = len(candidates)
        U = np.full((n, self.n_dims), 0.5)
        todo = np.ones(n, bool)
        reasons = [None] * n  # why the first dict with the same keys rejected it
        for s, subspace in enumerate(self.subspaces):
            rows = [
                i
                for i in np.flatnonzero(todo)
                if candidates[i].keys() == subspace.keys()
            ]
            if not rows:
                continue
            rows = np.array(rows)
            ok = np.ones(len(rows), bool)
            points = []
            for name, j in zip(subspace, self._columns[s], strict=True):
                values = [candidates[i][name] for i in rows]
                u, ok_j = self._dims[j]._encode(values)
                for p in np.flatnonzero(ok & ~ok_j):
                    reasons[rows[p]] = reasons[rows[p]] or (
                        f"{self._wheres[s]}[{name!r}]: {values[p]!r} of candidate "
                        f"{rows[p]} is not in {self._dims[j]!r}"
                    )
                ok &= ok_j
                points.append(u)
            done = rows[ok]
            for j, u in zip(self._columns[s], points, strict=True):
                U[done, j] = u[ok]
            if self._selector is not None:
                U[done, 0] = _centre(s, len(self.subspaces))
            todo[done] = False
        if todo.any():
            i = int(np.flatnonzero(todo)[0])
            raise ValueError(reasons[i] or self._no_match(i, candidates[i]))
        return U

    def _no_match(self, i: int, candidate: Mapping) -> str:
        if self._selector is not None:
            names = [list(subspace) for subspace in self.subspaces]
            return (
                f"param_distributions: candidate {i} has parameters "
                f"{list(candidate)}, matching no dict of the list: {names}"
            )
        subspace = self.subspaces[0]
        unknown = [k for k in candidate if k not in subspace]
        missing = [k for k in subspace if k not in candidate]
        return (
            f"param_distributions: candidate {i} has unknown parameters {unknown} "
            f"and lacks {missing}"
        )
