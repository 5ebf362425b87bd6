# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""BOHB's density model: where to sample the next Hyperband candidates.

Falkner, Klein & Hutter, "BOHB: Robust and Efficient Hyperparameter Optimization at
Scale", ICML 2018, Section 3.1 and Algorithm 2. It is the Tree Parzen Estimator of
Bergstra, Bardenet, Bengio & Kégl, "Algorithms for Hyper-Parameter Optimization",
NeurIPS 2011, with one multivariate kernel density per set instead of one per
hyperparameter, and fitted on the largest budget that has enough observations.

Rather than a model of ``p(y | x)``, BOHB fits two densities on ``[0, 1]^d``

    l(x) = p(y < alpha | x, D)    on the best observations (the "good" set),
    g(x) = p(y > alpha | x, D)    on the others (the "bad" set),         eq. (2)

and proposes points with a large ratio ``l(x) / g(x)``, which is equivalent to
maximising expected improvement (Bergstra et al. 2011, Sec. 4.1). The sets have
``N_l = max(N_min, q N_b / 100)`` and ``N_g = max(N_min, N_b - N_l)`` points, eq.
(3). Each density is a product of one-dimensional kernels: Gaussians truncated to
``[0, 1]`` on continuous and integer coordinates (bandwidth by the normal-reference
rule), the Aitchison & Aitken (Biometrika 1976) kernel on categorical ones.

Algorithm 2, per proposed point: with probability ``rho`` a uniform random point;
otherwise ``N_s`` draws from ``l'``, which is ``l`` with every bandwidth multiplied
by ``b_w`` (wider, to explore), and the draw with the largest ``l(x) / g(x)``.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp, ndtr, ndtri

from skhpo._optimizers.base import Optimizer

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# Size of the (candidates, kernel centres) blocks evaluated at once, in floats.
_BLOCK = 1 << 20


def _check(name: str, value, ok: bool, expected: str) -> None:
    if not ok:
        raise ValueError(f"{name} must be {expected}, got {value!r}")


def _is_real(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


class _ProductKDE:
    """Product-kernel density on ``[0, 1]^d`` around the rows of ``data``.

    ``n_cats[j] > 0`` marks a categorical coordinate with that many equal cells
    (Aitchison-Aitken kernel); every other coordinate gets a Gaussian kernel
    truncated to ``[0, 1]``.
    """

    def __init__(self, data: np.ndarray, n_cats: np.ndarray, min_bandwidth: float):
        self.data = data  # (n, d)
        n, d = data.shape
        self.cat = np.flatnonzero(n_cats)  # categorical coordinates
        self.gauss = np.flatnonzero(n_cats == 0)  # the others
        self.c = n_cats[self.cat].astype(float)  # (d_c,) number of categories
        self.codes = self._codes(data)  # (n, d_c)

        # Normal-reference rule (Silverman 1986, eq. 4.14; Scott's rule up to a
        # constant near 1): h_j = (4 / (d + 2))^(1 / (d + 4)) sigma_j n^(-1/(d+4)).
        # A set of one point, or of identical values, has sigma = 0: the floor
        # min_bandwidth (BOHB's) keeps the kernel a proper density.
        sigma = data[:, self.gauss].std(axis=0, ddof=1) if n > 1 else 0.0
        h = (4.0 / (d + 2)) ** (1.0 / (d + 4)) * sigma * n ** (-1.0 / (d + 4))
        self.h = np.maximum(h, min_bandwidth) * np.ones(self.gauss.size)  # (d_g,)

        # Aitchison-Aitken: K(x, x_i) = 1 - lam if same category else lam / (c - 1),
        # lam in [0, (c - 1) / c] (uniform at the top). The density estimate is the
        # category frequency shrunk towards uniform; lam = (c - 1) / (n + c) makes it
        # the add-one (Laplace) smoothed frequency (count + 1) / (n + c).
        lam = np.maximum((self.c - 1.0) / (n + self.c), min_bandwidth)
        self.lam = np.minimum(lam, (self.c - 1.0) / self.c)  # (d_c,)

        # Log normalising constant of each truncated kernel, computed once here.
        self._log_z = self._log_mass(self.h)  # (n, d_g)

    def _codes(self, X: np.ndarray) -> np.ndarray:  # (m, d) -> (m, d_c) categories
        return np.minimum(np.floor(X[:, self.cat] * self.c), self.c - 1).astype(int)

    def _log_mass(self, h: np.ndarray) -> np.ndarray:  # (n, d_g)
        mu = self.data[:, self.gauss]
        return np.log(np.maximum(ndtr((1.0 - mu) / h) - ndtr(-mu / h), 1e-300))

    def log_pdf(self, X: np.ndarray) -> np.ndarray:
        """``log`` of the density at the rows of ``X`` (m, d); returns (m,)."""
        n = self.data.shape[0]
        codes = self._codes(X)  # (m, d_c)
        # log(1 - lam) for the same category, log(lam / (c - 1)) for another one; a
        # coordinate with a single category always matches (lam = 0 there).
        log_same = np.log1p(-self.lam)
        log_other = np.log(np.where(self.c > 1, self.lam, 1.0)) - np.log(
            np.maximum(self.c - 1.0, 1.0)
        )
        block = max(1, _BLOCK // n)
        out = np.empty(X.shape[0])
        for start in range(0, X.shape[0], block):
            rows = slice(start, start + block)
            log_k = np.zeros((X[rows].shape[0], n))  # (m_block, n)
            for k, j in enumerate(self.gauss):
                z = (X[rows, j, None] - self.data[None, :, j]) / self.h[k]
                log_k -= 0.5 * z * z + self._log_z[None, :, k]
            log_k -= np.sum(np.log(self.h)) + self.gauss.size * _LOG_SQRT_2PI
            for k in range(self.cat.size):
                same = codes[rows, k, None] == self.codes[None, :, k]
                log_k += np.where(same, log_same[k], log_other[k])
            out[rows] = logsumexp(log_k, axis=1) - math.log(n)
        return out

    def sample(
        self, m: int, factor: float, random_state: np.random.RandomState
    ) -> np.ndarray:
        """``m`` draws (m, d) from the density with bandwidths times ``factor``."""
        centres = self.data[random_state.randint(self.data.shape[0], size=m)]
        X = centres.copy()  # (m, d)
        # Truncated Gaussians by inversion: u uniform between the CDF at 0 and at 1.
        # A centre lies in [0, 1], so the window always holds 0 in standard units and
        # never sits far in one tail, where the inversion would lose precision.
        h = self.h * factor  # (d_g,)
        mu = centres[:, self.gauss]  # (m, d_g)
        lo, hi = ndtr(-mu / h), ndtr((1.0 - mu) / h)
        u = lo + random_state.uniform(size=mu.shape) * (hi - lo)
        X[:, self.gauss] = np.clip(mu + h * ndtri(u), 0.0, 1.0)
        # Aitchison-Aitken: keep the centre's category with probability 1 - lam,
        # else one of the c - 1 others uniformly.
        lam = np.minimum(self.lam * factor, (self.c - 1.0) / self.c)  # (d_c,)
        own = self._codes(centres)  # (m, d_c)
        change = random_state.uniform(size=own.shape) < lam
        other = np.floor(random_state.uniform(size=own.shape) * (self.c - 1.0))
        other = other.astype(int) + (other >= own)
        X[:, self.cat] = (np.where(change, other, own) + 0.5) / self.c
        return X


class KDESampler(Optimizer):
    """BOHB's model-based sampler (Falkner et al. 2018, Algorithm 2).

    Parameters
    ----------
    n_dims : int
        Number of coordinates of a point.
    kinds : sequence of {"real", "integer", "categorical"}, default=None
        What each coordinate encodes; ``None`` means all real. Categorical
        coordinates with equal cells get the Aitchison-Aitken kernel, all others
        a truncated Gaussian one.
    n_choices : sequence of int, default=None
        Number of equal cells of each coordinate, ``0`` if continuous. Returned
        points have such coordinates at the centre of their cell.
    random_fraction : float, default=1/3
        ``rho``: probability that a returned point is uniformly random.
    top_n_percent : float, default=15
        ``q``: percentage of the observations in the good set, in (0, 100).
    n_samples : int, default=64
        ``N_s``: draws from ``l'`` per model-based point.
    min_points_in_model : int, default=None
        ``N_min``, the least size of each set; ``None`` means ``n_dims + 1``. A
        budget carries a model once it has ``N_min + 2`` observations.
    bandwidth_factor : float, default=3.0
        ``b_w``: the draws come from ``l`` with bandwidths this many times wider.
    min_bandwidth : float, default=1e-3
        Floor of every bandwidth, so the model never collapses onto a point.
    random_state : int, RandomState instance or None, default=None
        The only source of randomness.

    Attributes
    ----------
    X_, y_ : ndarray of shape (n_told, n_dims) and (n_told,)
        Every observation, in the order told (``NaN`` loss: failed).
    budgets_ : ndarray of shape (n_told,)
        The budget of each observation (``inf`` for those told without one).
    model_budget_ : float or None
        The budget the model is fitted on, ``None`` while sampling at random.
    """

    def __init__(
        self,
        n_dims,
        *,
        kinds=None,
        n_choices=None,
        random_fraction=1 / 3,
        top_n_percent=15,
        n_samples=64,
        min_points_in_model=None,
        bandwidth_factor=3.0,
        min_bandwidth=1e-3,
        random_state=None,
    ):
        super().__init__(
            n_dims, kinds=kinds, n_choices=n_choices, random_state=random_state
        )
        _check(
            "random_fraction",
            random_fraction,
            _is_real(random_fraction) and 0 <= random_fraction <= 1,
            "a number in [0, 1]",
        )
        _check(
            "top_n_percent",
            top_n_percent,
            _is_real(top_n_percent) and 0 < top_n_percent < 100,
            "a number in (0, 100)",
        )
        _check(
            "n_samples",
            n_samples,
            _is_int(n_samples) and n_samples >= 1,
            "an integer >= 1",
        )
        _check(
            "min_points_in_model",
            min_points_in_model,
            min_points_in_model is None
            or (_is_int(min_points_in_model) and min_points_in_model >= 1),
            "None or an integer >= 1",
        )
        for name, value in (
            ("bandwidth_factor", bandwidth_factor),
            ("min_bandwidth", min_bandwidth),
        ):
            ok = _is_real(value) and math.isfinite(value) and value > 0
            _check(name, value, ok, "a finite number > 0")
        self.random_fraction = float(random_fraction)
        self.top_n_percent = float(top_n_percent)
        self.n_samples = int(n_samples)
        self.min_points_in_model = min_points_in_model
        self.bandwidth_factor = float(bandwidth_factor)
        self.min_bandwidth = float(min_bandwidth)
        # Categorical coordinates with equal cells: Aitchison-Aitken kernel.
        is_cat = np.array([kind == "categorical" for kind in self.kinds])
        self._n_cats = np.where(is_cat, self.n_choices, 0)  # (d,)
        self.budgets_ = np.empty(0)
        self.model_budget_ = None
        self._good = self._bad = None  # l and g, once a budget has enough points
        self._budget = math.inf  # the budget of the points being told

    @property
    def _n_min(self) -> int:
        # N_min = d + 1 by default, "the minimum number of points to fit a KDE in d
        # dimensions" (Falkner et al. 2018, Sec. 3.1).
        if self.min_points_in_model is None:
            return self.n_dims + 1
        return int(self.min_points_in_model)

    def observe(self, X, y, budget) -> None:
        """Record the losses ``y`` (``NaN``: failed) of ``X`` at a budget.

        ``budget`` is the resource level, any positive number; larger means more
        faithful. ``tell(X, y)`` records at ``budget=inf``.
        """
        _check("budget", budget, _is_real(budget) and budget > 0, "a number > 0")
        self._budget = float(budget)
        try:
            self.tell(X, y)
        finally:
            self._budget = math.inf

    def sample(self, n: int) -> np.ndarray:
        """Return ``n`` points (n, n_dims) to evaluate next; same as ``ask(n)``."""
        return self.ask(n)

    def _tell(self, X: np.ndarray, y: np.ndarray) -> None:
        self.budgets_ = np.concatenate([self.budgets_, np.full(y.shape, self._budget)])
        self._fit()

    def _fit(self) -> None:
        """Fit l and g on the largest budget with N_min + 2 points (Algorithm 2)."""
        budgets, counts = np.unique(self.budgets_, return_counts=True)
        enough = budgets[counts >= self._n_min + 2]
        if enough.size == 0:
            self.model_budget_, self._good, self._bad = None, None, None
            return
        b = float(enough[-1])
        X, y = self.X_[self.budgets_ == b], self.y_[self.budgets_ == b]
        N = y.shape[0]
        n_good = max(self._n_min, math.floor(self.top_n_percent * N / 100))  # eq. (3)
        n_bad = max(self._n_min, N - n_good)  # eq. (3)
        # NaN policy, the one place: a failed fit ranks after every finite loss. It
        # is never "good" while enough fits succeeded, and it always weighs in g,
        # so the model learns to avoid failing regions. Ties keep the told order.
        failed = np.isnan(y)
        order = np.lexsort((np.where(failed, 0.0, y), failed))  # best first
        # N >= N_min + 2 and q < 100 keep both sets non-empty and smaller than N;
        # when N_l + N_g > N they share points, as eq. (3) implies.
        self._good = _ProductKDE(X[order[:n_good]], self._n_cats, self.min_bandwidth)
        self._bad = _ProductKDE(X[order[-n_bad:]], self._n_cats, self.min_bandwidth)
        self.model_budget_ = b

    def _ask(self, n: int) -> np.ndarray:  # (n, n_dims)
        rng = self.random_state
        X = rng.uniform(size=(n, self.n_dims))
        if self._good is not None:
            # Algorithm 2 first: each point is random with probability rho, so
            # sample(n) is distributed as n calls of sample(1).
            model = np.flatnonzero(rng.uniform(size=n) >= self.random_fraction)
            m, N_s = model.size, self.n_samples
            if m:
                # Then N_s draws from l' (bandwidths times b_w), each scored at the
                # point actually returned (snapped); keep the largest l(x) / g(x),
                # in log space.
                draws = self._cells(
                    self._good.sample(m * N_s, self.bandwidth_factor, rng)
                )
                score = self._good.log_pdf(draws) - self._bad.log_pdf(draws)
                best = np.argmax(score.reshape(m, N_s), axis=1)
                X[model] = draws.reshape(m, N_s, self.n_dims)[np.arange(m), best]
        return self._cells(X)
