# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Bayesian optimisation: log expected improvement on a Gaussian process, in batches.

The surrogate is :class:`~skhpo._optimizers.gp.GaussianProcess`. This module holds
the optimisation strategy around it:

- Initial design: scrambled Sobol points (Owen, "Scrambling Sobol' and
  Niederreiter-Xing points", J. Complexity 1998; ``scipy.stats.qmc.Sobol``).
- Acquisition: expected improvement (Jones, Schonlau & Welch, "Efficient Global
  Optimization of Expensive Black-Box Functions", J. Global Optim. 1998) in the
  numerically stable log form "LogEI" of Ament, Daulton, Eriksson, Balandat &
  Bakshy, "Unexpected Improvements to Expected Improvement for Bayesian
  Optimization", NeurIPS 2023, times the noise factor of Huang et al.'s augmented
  EI (J. Global Optim. 2006) so that points known to the noise level are not
  re-sampled. The incumbent is the lowest posterior mean at the observed points,
  which is robust to noisy losses.
- Acquisition optimisation: scrambled Sobol candidates plus perturbations of the
  best points, then L-BFGS-B from the best few with the analytic gradient,
  categorical coordinates held fixed (as BoTorch's ``optimize_acqf`` does with raw
  samples and restarts, Balandat et al., NeurIPS 2020). Coordinates that L-BFGS-B
  pushes onto a bound for a negligible gain are put back (boundary
  over-exploration, Siivola et al., MLSP 2018).
- Scale: past ``_MAX_MODEL_POINTS`` observations the GP conditions on a subset of
  them (:func:`model_rows`: the best half, the latest, a random spread of the
  rest), so that a proposal costs the same at 5,000 observations as at 300, and
  the memory is O(m^2 + n d) for m model points and n observations.
- Batches: the Kriging believer (Ginsbourger, Le Riche & Carraro, "Kriging Is
  Well-Suited to Parallelize Optimization", Springer 2010): each chosen point is
  added to the GP with its posterior mean as a fantasy output, hyperparameters
  fixed, by a cheap block Cholesky update, so the next point goes elsewhere.
  Proposals nearly identical (under the fitted kernel) to an observed point or to
  another point of the batch are skipped for the next best candidate.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize
from scipy.special import erfcx, log_ndtr, ndtr

from skhpo._optimizers.base import Optimizer, check_int, shifted_sobol, sobol
from skhpo._optimizers.gp import GaussianProcess, impute_failures, warp_outputs

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_SQRT_HALF_PI = 0.5 * math.log(0.5 * math.pi)
_INV_SQRT_EPS = 1.0 / math.sqrt(np.finfo(float).eps)

# Acquisition optimisation budget (raw candidates, local candidates, restarts).
# Each raw candidate costs O(n^2) (a product with K^-1): about _RAW_FLOPS / n of
# them, rounded to a power of two 2^m, m in _LOG2_N_SOBOL_RANGE. Three restarts of
# at most 30 L-BFGS-B iterations cost about half of five of 40, with as good a
# search on the analytic functions (mean regret over 16 seeds on Branin,
# Hartmann6, noisy Hartmann6, Rosenbrock-4 and a mixed space: lower or equal on
# all five). _POLISH_FTOL is scipy's default: a looser 1e-4 (relative, on the log
# EI summed over the restarts) halved the iterations with the same regret on the
# analytic functions, but the sixteen-problem benchmark scored it -2.5 [-4.9, +0.1]
# at 50 candidates, worst on the 5- and 10-dimensional boosting spaces, where one
# restart still improving is drowned in the sum (benchmarks/README.md).
_RAW_FLOPS = 6.4e4
_LOG2_N_SOBOL_RANGE = (8, 10)  # 256 to 1024 points
_N_LOCAL = 160
_N_RESTARTS = 3
_POLISH_MAXITER = 30
_POLISH_FTOL = 2.220446049250313e-09  # scipy's default
# The polish works in the unit cube. In units of the length scales (u = x / ell)
# it saved a fifth of the iterations but lost on the boosting spaces of the
# benchmark (-14 normalized points at 20 and 50 candidates over hgb_friedman_10d,
# hgb_classif and svc_digits): the gradient in u is the gradient in x times ell,
# so along the short length scales, the coordinates that matter, L-BFGS-B's
# projected-gradient test stops it early (commit 5386432 has that variant).
_FLAT_TOL = 0.1  # log EI given up to keep a coordinate off a bound, ~10% of EI
# Redundant proposals, judged by the fitted kernel's correlation rho. Against an
# observed point, rho > 1 - 1e-4 means within ~1% of a length scale: the model
# cannot tell the two apart and the engine would return the cached score for an
# exact duplicate. Within one batch, rho > 0.99 (~0.1 length scale) brings nearly
# the same information twice: the Kriging believer alone lets a confident model
# stack its points (Ginsbourger et al. 2010 note its clustering).
_MAX_CORRELATION_OBSERVED = 1.0 - 1e-4
_MAX_CORRELATION_BATCH = 0.99
# Past this many observations the GP models a subset of them: the best half, the
# latest few (so that a region just visited is known) and a random spread of the
# others. Its cost per proposal then stops growing: O(m^3) to condition, O(m^2) per
# acquisition candidate, instead of O(n^3) and O(n^2).
_MAX_MODEL_POINTS = 256
_N_LATEST = 32
# When the GP's hyperparameters are fitted again. A full fit (restarts) at every
# tell up to _FULL_FITS_UP_TO observations, then each time their number has grown
# by _FULL_FIT_GROWTH; in between, a warm-started refit once 1 / _REFIT_FRACTION of
# them are new, and otherwise only a new factorisation with the same
# hyperparameters. A warm refit every 10% of new points rather than every 5%:
# at 100 observations those refits cost 1.3 ms a candidate, a quarter of all the
# optimizer's time, and refitting half as often scored +1.1 [-1.2, +3.5] at 50
# candidates on the sixteen-problem benchmark (with the faster prediction of the
# same commit; benchmarks/README.md).
_FULL_FITS_UP_TO = 20
_FULL_FIT_GROWTH = 1.3
_REFIT_FRACTION = 10
# Input warping of the continuous coordinates (GaussianProcess(warp_inputs=...)).
_WARP_INPUTS = False


# -- log expected improvement ------------------------------------------------------
def _log1mexp(t: np.ndarray) -> np.ndarray:
    """``log(1 - exp(t))`` for ``t < 0`` (Maechler 2012's two branches)."""
    t = np.minimum(t, -1e-300)
    return np.where(t > -math.log(2.0), np.log(-np.expm1(t)), np.log1p(-np.exp(t)))


def log_h(z: np.ndarray) -> np.ndarray:
    """``log(phi(z) + z Phi(z))``, accurate far into the lower tail.

    The analytic LogEI of Ament et al. (2023). For ``z > -1`` the direct formula
    is exact enough. Below, ``Phi(z) = erfcx(-z / sqrt2) phi(z) sqrt(pi / 2)`` gives
    ``h(z) = phi(z) (1 - |z| sqrt(pi/2) erfcx(|z| / sqrt2))``, whose logarithm uses
    ``log1mexp``; under ``-1 / sqrt(eps)`` the bracket is ``1 / z^2`` to machine
    precision (the asymptotic branch).
    """
    z = np.asarray(z, dtype=float)
    if z.size and z.min() > -1.0:  # the common case of a polish: one branch only
        return np.log(np.exp(-0.5 * z * z - _LOG_SQRT_2PI) + z * ndtr(z))
    out = np.empty_like(z)
    up = z > -1.0
    zu = z[up]
    out[up] = np.log(np.exp(-0.5 * zu * zu - _LOG_SQRT_2PI) + zu * ndtr(zu))
    mid = ~up & (z > -_INV_SQRT_EPS)
    zm = z[mid]
    t = np.log(erfcx(-zm / math.sqrt(2.0)) * np.abs(zm)) + _LOG_SQRT_HALF_PI
    out[mid] = -0.5 * zm * zm - _LOG_SQRT_2PI + _log1mexp(t)
    low = ~up & ~mid
    zl = z[low]
    out[low] = -0.5 * zl * zl - _LOG_SQRT_2PI - 2.0 * np.log(np.abs(zl))
    return out


def log_ei(
    mu: np.ndarray, sigma: np.ndarray, best: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # (m,), (m,) -> 3 x (m,)
    """Log expected improvement below ``best`` of N(mu, sigma^2), and its gradient.

    ``EI = sigma h(z)`` with ``z = (best - mu) / sigma`` and
    ``h(z) = phi(z) + z Phi(z)`` (Jones et al. 1998, eq. 15, for minimisation).
    Returns ``log EI``, ``d log EI / d mu`` and ``d log EI / d sigma``, each (m,);
    ``h'(z) = Phi(z)``, and the ratio ``Phi(z) / h(z)`` is taken in log space.
    """
    mu, sigma = np.asarray(mu, dtype=float), np.asarray(sigma, dtype=float)
    z = (best - mu) / sigma
    if z.size and z.min() > -1.0:  # log_h's one branch: h(z) > 0.08, Phi(z) > 0.15
        cdf = ndtr(z)
        h = np.exp(-0.5 * z * z - _LOG_SQRT_2PI) + z * cdf
        lh, ratio = np.log(h), cdf / h
    else:
        lh = log_h(z)
        ratio = np.exp(log_ndtr(z) - lh)  # Phi(z) / h(z), in log space
    return np.log(sigma) + lh, -ratio / sigma, (1.0 - z * ratio) / sigma


def _log_noise_factor(
    var: np.ndarray, noise: float
) -> tuple[np.ndarray, np.ndarray]:  # (m,) -> 2 x (m,)
    """``log(1 - sigma_n / sqrt(var + sigma_n^2))`` and its derivative in ``var``.

    The augmentation factor of Huang, Allen, Notz & Zeng, "Global Optimization of
    Stochastic Black-Box Systems via Sequential Kriging Meta-Models", J. Global
    Optim. 2006 (augmented EI). With ``rho = var / sigma_n^2`` it is
    ``1 - (1 + rho)^(-1/2)``, computed with ``expm1``/``log1p`` as ``rho -> 0``.
    """
    rho = var / noise
    half_log = 0.5 * np.log1p(rho)
    value = np.log(-np.expm1(-half_log))
    # d/d rho = 1 / (2 (1 + rho) (sqrt(1 + rho) - 1)), then d rho / d var = 1 / s^2
    d_var = 0.5 / ((1.0 + rho) * np.expm1(half_log) * noise)
    return value, d_var


def _acquisition(gp: GaussianProcess, Z: np.ndarray, best: float, grad: bool = False):
    """Augmented log EI at ``Z`` (m, d) and, with ``grad``, its gradient (m, d).

    Plain EI still rewards re-evaluating the incumbent, by ``0.4 sigma`` however
    small ``sigma`` is; with a noisy surrogate that pins the search to a point
    whose value is already known to the noise level. Huang et al.'s factor
    vanishes there and is ~1 wherever ``var >> sigma_n^2``.
    """
    if not grad:
        mu, var = gp.predict(Z)
        return log_ei(mu, np.sqrt(var), best)[0] + _log_noise_factor(var, gp.noise_)[0]
    return _chain(*gp.predict(Z, return_grad=True), best, gp.noise_)


def _chain(mu, var, dmu, dvar, best: float, noise: float):
    """Augmented log EI and its gradient from the posterior and its gradient."""
    sigma = np.sqrt(var)
    a, da_dmu, da_dsigma = log_ei(mu, sigma, best)
    p, dp_dvar = _log_noise_factor(var, noise)
    # d sigma = d var / (2 sigma)
    da_dvar = da_dsigma / (2.0 * sigma) + dp_dvar
    return a + p, da_dmu[:, None] * dmu + da_dvar[:, None] * dvar


def model_rows(y: np.ndarray) -> np.ndarray | None:  # (n,) -> (m,) sorted, or None
    """The observations a GP on at most ``_MAX_MODEL_POINTS`` points keeps.

    The best half of them by loss (where the acquisition looks), the
    ``_N_LATEST`` latest (the last proposals, so that the model knows a region it
    just visited) and a uniform sample of the rest, for the global trend. The
    sample is a fixed function of ``n`` (its own generator, seeded by ``n``): the
    optimizer's random state is left alone, as a resumed search needs.
    """
    n = len(y)
    if n <= _MAX_MODEL_POINTS:
        return None
    keep = np.zeros(n, dtype=bool)
    keep[np.argsort(y, kind="stable")[: _MAX_MODEL_POINTS // 2]] = True
    keep[n - _N_LATEST :] = True
    rest = np.flatnonzero(~keep)
    spread = np.random.RandomState(n).choice(
        rest, _MAX_MODEL_POINTS - int(keep.sum()), replace=False
    )
    keep[spread] = True
    return np.flatnonzero(keep)


class GaussianProcessBO(Optimizer):
    """Bayesian optimisation with a GP surrogate and log expected improvement.

    Parameters
    ----------
    n_dims : int
        Number of coordinates of a point.
    kinds : sequence of {"real", "integer", "categorical"}, default=None
        What each coordinate encodes; ``None`` means all real. Categorical
        coordinates with equal cells use a Hamming distance in the kernel.
    n_choices : sequence of int, default=None
        Number of equal cells of each coordinate, 0 for continuous ones.
    n_initial_points : int, default=None
        Size of the scrambled Sobol initial design. ``None`` means
        ``max(5, min(10, 2 * n_dims))``: the first fit sets ``n_dims + 2``
        hyperparameters, and with fewer than about two points per length scale
        it often sits at the all-noise mode, from which expected improvement
        only chases variance into the corners; at least 5 points, and at most 10
        to leave most of a small budget to the model.
    batch_size : int, default=1
        Number of points suggested per batch after the initial design.
    random_state : int, RandomState instance or None, default=None
        The only source of randomness.
    """

    def __init__(
        self,
        n_dims,
        *,
        kinds=None,
        n_choices=None,
        n_initial_points=None,
        batch_size=1,
        random_state=None,
    ):
        super().__init__(
            n_dims, kinds=kinds, n_choices=n_choices, random_state=random_state
        )
        n_initial_points = check_int("n_initial_points", n_initial_points, 1, none=True)
        if n_initial_points is None:
            n_initial_points = max(5, min(10, 2 * self.n_dims))
        self.n_initial_points = n_initial_points
        self.batch_size = check_int("batch_size", batch_size, 1)
        categorical = np.array([k == "categorical" for k in self.kinds])
        self._n_categories = np.where(categorical, self.n_choices, 0)
        self._gp = None  # GaussianProcess fitted in _tell, or None without data
        self._incumbent = None  # lowest posterior mean at the observed points
        self._design_seed = None
        self._n_design = 0  # Sobol design points handed out so far
        self._n_fitted = 0  # number of points at the last hyperparameter fit
        self._n_model = 0  # number of observations the GP conditions on
        self._n_full_fitted = 0  # ... at the last fit with restarts

    # -- batch sizes -----------------------------------------------------------------
    def next_batch_size(self) -> int:
        """The rest of the initial design first, then ``batch_size``."""
        remaining = self.n_initial_points - max(len(self.y_), self._n_design)
        return remaining if remaining > 0 else self.batch_size

    def can_ask(self) -> bool:
        """Not before the initial design is told: the first model needs all of it.

        Asynchronously, at once: with no model yet, ``_ask`` extends the Sobol
        design, so that many workers are not left idle by the slowest design fit.
        """
        if self.asynchronous:
            return True
        design_left = self._n_design < self.n_initial_points
        return design_left or len(self.y_) >= self.n_initial_points

    # -- tell: all the expensive work --------------------------------------------------
    def _tell(self, X: np.ndarray, y: np.ndarray) -> None:
        if len(self.y_) < self.n_initial_points:
            return  # no model before the initial design is told (see _ask)
        y = impute_failures(self.y_)  # NaN -> worst finite loss (gp.py)
        if y is None:  # every fit failed: nothing to model, _ask samples instead
            self._gp = None
            return
        Z = self._cells(self.X_)  # (n, d) on cell centres
        y = warp_outputs(y)
        n = len(y)
        rows = model_rows(y)
        if rows is not None:
            Z, y = Z[rows], y[rows]
        self._n_model = len(y)
        if self._gp is None:
            self._gp = GaussianProcess(self._n_categories, warp_inputs=_WARP_INPUTS)
        gp = self._gp
        if (
            gp.theta is None
            or n <= _FULL_FITS_UP_TO
            or n >= _FULL_FIT_GROWTH * self._n_full_fitted
        ):
            # Full fit: warm start plus restarts at the prior mode and at short
            # length scales, since the posterior over theta is often bimodal (a
            # smooth trend plus noise, or short length scales and no noise). Its
            # O(n^3) cost is amortised by fitting at geometrically spaced n.
            short = gp.theta_prior_mode.copy()
            short[: self.n_dims] = math.log(0.25)
            gp.fit(Z, y, starts=[gp.theta_prior_mode, short], maxiter=100)
            self._n_full_fitted = self._n_fitted = n
        elif n - self._n_fitted >= max(1, n // _REFIT_FRACTION):
            # Warm-started refit, a few iterations from the last theta.
            gp.fit(Z, y, maxiter=20)
            self._n_fitted = n
        else:
            gp.condition(Z, y)  # theta kept: a single Cholesky factorisation
        self._incumbent = float(gp.posterior_mean_train().min())

    # -- ask -----------------------------------------------------------------------
    def _ask(self, n: int) -> np.ndarray:
        out = []
        n_design = min(n, self.n_initial_points - max(len(self.y_), self._n_design))
        if n_design > 0:
            out.append(self._design(n_design))
        n_model = n - max(n_design, 0)
        if n_model > 0:
            if self._gp is None or len(self.y_) < self.n_initial_points:
                # No finite loss yet, or (asynchronously) the design still
                # running: nothing to model, continue the Sobol design.
                out.append(self._design(n_model))
            else:
                out.append(self._ask_model(n_model))
        return np.vstack(out)

    def _replay(self, n: int, X: np.ndarray) -> bool:
        # What _ask does, without the model's proposals: each of them draws one
        # seed from random_state (_propose), and only that draw is repeated.
        n_design = min(n, self.n_initial_points - max(len(self.y_), self._n_design))
        if n_design > 0:
            self._design(n_design)
        n_model = n - max(n_design, 0)
        if n_model > 0:
            if self._gp is None or len(self.y_) < self.n_initial_points:
                self._design(n_model)
            else:
                for _ in range(n_model):
                    self._proposal_seed()
        return True

    def _proposal_seed(self) -> int:
        return int(self.random_state.randint(2**31 - 1))

    def _design(self, n: int) -> np.ndarray:  # (n, d)
        if self._design_seed is None:
            self._design_seed = int(self.random_state.randint(2**31 - 1))
        X = sobol(self.n_dims, n, self._design_seed, start=self._n_design)
        self._n_design += n
        return self._cells(X)

    def _ask_model(self, n: int) -> np.ndarray:  # (n, d)
        gp, best = self._gp, self._incumbent
        # Kriging believer (Ginsbourger et al. 2010): each point still being
        # evaluated, then each point chosen for this batch, is believed to return
        # its posterior mean. The mean is unchanged and the variance shrinks
        # around it, so the next point goes elsewhere.
        pending = self._cells(self.pending())  # (m, d)
        if len(pending):
            mu = gp.predict(pending)[0]
            gp = gp.condition_on(pending, mu)
            best = min(best, float(mu.min()))
        chosen = []
        for i in range(n):
            batch = np.vstack([pending, np.array(chosen).reshape(i, self.n_dims)])
            x = self._propose(gp, best, batch)
            chosen.append(x)
            if i + 1 < n:
                mu = gp.predict(x[None])[0]
                gp = gp.condition_on(x[None], mu)
                best = min(best, float(mu[0]))
        return np.array(chosen)

    def _candidates(self, gp: GaussianProcess, rng) -> np.ndarray:  # (N, d)
        lo, hi = _LOG2_N_SOBOL_RANGE
        m = min(max(round(math.log2(_RAW_FLOPS / len(gp.Z_))), lo), hi)
        raw = shifted_sobol(self.n_dims, m, rng)
        # Local candidates around the points with the lowest posterior mean: BO
        # optima sit near the incumbents and a global space-filling set rarely
        # lands close enough (cf. BoTorch's sample_around_best).
        mu = gp.posterior_mean_train()[: self._n_model]  # not the fantasies
        centres = gp.Z_[np.argsort(mu, kind="stable")[:5]]
        idx = rng.randint(len(centres), size=_N_LOCAL)
        scale = 10.0 ** rng.uniform(-3.0, -0.7, size=(_N_LOCAL, 1))
        local = centres[idx] + scale * rng.standard_normal((_N_LOCAL, self.n_dims))
        # Discrete coordinates: jump to a random cell with probability 1 / d.
        discrete = self.n_choices > 0
        jump = (rng.uniform(size=local.shape) < 1.0 / self.n_dims) & discrete
        local = np.where(jump, rng.uniform(size=local.shape), local)
        local = np.where(discrete & ~jump, centres[idx], local)
        # Reflect rather than clip at the bounds: clipping would put half the
        # perturbations of a point on a face exactly on that face.
        local = 1.0 - np.abs(1.0 - np.abs(local) % 2.0)
        return self._cells(np.vstack([raw, local]))

    def _propose(
        self, gp: GaussianProcess, best: float, batch: np.ndarray
    ) -> np.ndarray:  # batch (m, d) -> (d,)
        # Every random draw of a proposal comes from one seed, so that a resumed
        # search restores the state without proposing again (_replay).
        cands = self._candidates(gp, np.random.RandomState(self._proposal_seed()))
        acq = _acquisition(gp, cands, best)
        order = np.argsort(-acq, kind="stable")
        starts = cands[order[:_N_RESTARTS]]
        polished = self._cells(self._polish(gp, starts, best))
        pool = np.vstack([polished, cands])
        values = np.concatenate([_acquisition(gp, polished, best), acq])
        return self._first_new(gp, pool[np.argsort(-values, kind="stable")], batch)

    def _first_new(
        self, gp: GaussianProcess, ranked: np.ndarray, batch: np.ndarray
    ) -> np.ndarray:  # (N, d), (m, d) -> (d,)
        """The best-ranked candidate that is not redundant (see the constants)."""
        observed = self._cells(self.X_)
        sf2 = math.exp(gp.theta[self.n_dims])
        fallback = None
        for start in range(0, len(ranked), 64):
            chunk = ranked[start : start + 64]
            near = gp.kernel(chunk, observed).max(1) > _MAX_CORRELATION_OBSERVED * sf2
            if len(batch):
                crowded = gp.kernel(chunk, batch).max(1) > _MAX_CORRELATION_BATCH * sf2
            else:
                crowded = np.zeros(len(chunk), dtype=bool)
            ok = np.flatnonzero(~near & ~crowded)
            if ok.size:
                return chunk[ok[0]]
            if fallback is None and np.any(~near):
                fallback = chunk[np.flatnonzero(~near)[0]]
        # Everything is redundant: a small discrete space, exhausted.
        return fallback if fallback is not None else ranked[0]

    def _polish(
        self, gp: GaussianProcess, starts: np.ndarray, best: float
    ) -> np.ndarray:  # (s, d) -> (s, d)
        """L-BFGS-B on the non-categorical coordinates of every start at once.

        The restarts are independent, so minimising the sum of their negative log EI
        optimises each one (the batched multi-start of BoTorch's gen_candidates).
        """
        free = np.flatnonzero(self._n_categories == 0)  # gp.continuous
        if free.size == 0:
            return starts
        s = len(starts)
        predict = gp.local_predictor(starts)  # categorical coordinates held

        def fun(v):
            a, g = _chain(*predict(v.reshape(s, free.size)), best, gp.noise_)
            return -float(a.sum()), -g.ravel()

        res = minimize(
            fun,
            starts[:, free].ravel(),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * (s * free.size),
            options={"maxiter": _POLISH_MAXITER, "ftol": _POLISH_FTOL},
        )
        X = starts.copy()
        X[:, free] = np.clip(res.x, 0.0, 1.0).reshape(s, free.size)
        return self._unstick(gp, X, starts, best)

    def _unstick(
        self, gp: GaussianProcess, X: np.ndarray, starts: np.ndarray, best: float
    ) -> np.ndarray:  # (s, d) each
        """Put back the start value of coordinates L-BFGS-B left on a bound for
        almost nothing.

        Along a coordinate with a long length scale log EI rises slightly toward
        the bounds, where the posterior variance is largest (the "boundary
        over-exploration" of Siivola et al., MLSP 2018). L-BFGS-B follows that
        slope to the bound, and the search piles up on the faces of the cube. A
        coordinate gets its start value back if it moved less than a tenth of its
        length scale (the model can hardly tell the two apart), or if that costs
        less than ``_FLAT_TOL`` in log EI; all of a point's such coordinates are
        reset together if that still holds for them jointly.
        """
        on_bound = (X <= 0.0) | (X >= 1.0)
        on_bound &= (starts > 0.0) & (starts < 1.0)
        rows, cols = np.nonzero(on_bound)
        if rows.size == 0:
            return X
        ell = np.exp(gp.theta[: self.n_dims])
        tiny = np.abs(X - starts) < 0.1 * ell
        a = _acquisition(gp, X, best)
        single = X[rows].copy()
        single[np.arange(rows.size), cols] = starts[rows, cols]
        cheap = a[rows] - _acquisition(gp, single, best) < _FLAT_TOL
        reset = np.zeros_like(on_bound)
        reset[rows, cols] = tiny[rows, cols] | cheap
        Y = np.where(reset, starts, X)
        all_tiny = np.all(tiny | ~reset, axis=1)
        keep = reset.any(1) & (all_tiny | (a - _acquisition(gp, Y, best) < _FLAT_TOL))
        return np.where(keep[:, None], Y, X)
