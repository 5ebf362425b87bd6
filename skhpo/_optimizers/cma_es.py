# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""CMA-ES, the covariance matrix adaptation evolution strategy, on the unit cube.

The algorithm and its notation follow N. Hansen, "The CMA Evolution Strategy: A
Tutorial", arXiv:1604.00772 (2016). Equation numbers in the comments refer to it:
(38)-(47) are its algorithm summary (Appendix A) and (48)-(58) the default
parameters of its Table 1. It is the (mu/mu_W, lambda)-CMA-ES with negative weights
("active" CMA). Four additions adapt it to hyperparameter search:

- Bounds by mirroring. The search runs in R^n; a sample is evaluated at its mirror
  image in ``[0, 1]^n`` (reflections at 0 and 1, period 2). CMA-ES therefore
  optimises the mirrored, periodic extension of the loss: the update sees the very
  Gaussian samples it drew, so no penalty weight has to be tuned and no repaired
  point distorts the adaptation; an optimum on a bound is the centre of a symmetric
  valley of the extension. The mean is shifted back by multiples of the period
  after each update (an exact symmetry of the extension).
- Integer and categorical coordinates: the margin of Hamano, Saito, Nomura &
  Shirakawa, "CMA-ES with Margin: Lower-Bounding Marginal Probability for
  Mixed-Integer Black-Box Optimization", GECCO 2022. A cell is a plateau of the
  loss, where sigma would shrink until the coordinate freezes; a diagonal factor
  ``A`` widens the coordinate's sampled deviation (``x = m + A (x_raw - m)``, the
  update still sees ``x_raw``) so that the probability of leaving the mean's
  plateau through its nearer end stays at least ``alpha = 1 / (n lambda)``, the
  paper's default. This is a one-sided, simpler version of the paper's two-sided
  correction and does not move the mean. Categories are cells in the given order.
- Restarts, as in IPOP-CMA-ES (Auger & Hansen, "A Restart CMA Evolution Strategy
  With Increasing Population Size", CEC 2005): the first run starts at the centre
  of the cube; when the best losses stagnate, sigma collapses or C degenerates, the
  search restarts from a uniform random mean with twice the population.
  ``should_stop`` is only true once the restarts run out.
- Unpaired tells (points the optimizer never asked for) are injected into the
  next update (Hansen, "Injecting External Solutions Into CMA-ES",
  arXiv:1110.4181, 2011): their step is taken from the mirror image closest to
  the mean, its Mahalanobis length is clipped to ``sqrt(n) + 2n / (n + 2)``, and
  they compete for ranks with the generation's samples; the lambda best are used.
- Asynchronous generations (for a caller that tells results as they finish): a
  point may be asked while the generation is pending, sampled from the current
  distribution. The first lambda results of samples of the current distribution
  make the generation, as optuna's ``CmaEsSampler`` fills one; a result of an
  older generation arrives after its update, and is injected into the next one as
  an unpaired point (above). Results of an earlier restart are dropped.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from scipy.special import ndtri

from skhpo._optimizers.base import Optimizer, reflect

# IPOP restarts (Auger & Hansen 2005): at most this many, each doubling lambda.
_MAX_RESTARTS = 9
# Termination tolerances that trigger a restart. TolX is larger than IPOP's
# 1e-12 sigma0: on the unit cube, a hyperparameter known to 1e-8 of its range has
# nothing left to gain, and a restart spends the budget better.
_TOL_X = 1e-8
_TOL_FUN = 1e-12
_MAX_CONDITION = 1e14
# A sigma wider than the period (2) of the mirrored space samples the cube almost
# uniformly; beyond that it would only grow on flat losses.
_SIGMA_MAX = 2.0


def _flat(values: np.ndarray, tol: float) -> bool:
    """Whether all the values are equal, or finite and within ``tol``."""
    if np.all(values == values[0]):
        return True
    return bool(np.all(np.isfinite(values)) and np.ptp(values) <= tol)


class CMAES(Optimizer):
    """CMA-ES with mirrored bounds, margin for discrete coordinates and IPOP restarts.

    Parameters
    ----------
    n_dims : int
        Number of coordinates of a point.
    kinds : sequence of {"real", "integer", "categorical"}, default=None
        What each coordinate encodes; ``None`` means all real.
    n_choices : sequence of int, default=None
        Number of equal cells of each coordinate, 0 for continuous ones. Coordinates
        with at least two cells get the margin.
    sigma0 : float, default=0.3
        Initial step size, as a fraction of the range ``[0, 1]``. The tutorial
        advises about a quarter to a third of the domain when the optimum may be
        anywhere in it.
    population_size : int, default=None
        Initial lambda, the number of points per generation; each restart doubles
        it. ``None`` means ``4 + floor(3 ln d)`` (eq. (48)).
    random_state : int, RandomState instance or None, default=None
        The only source of randomness.

    Attributes
    ----------
    n_restarts_ : int
        Number of restarts so far.
    """

    @property
    def _whole_batches(self):
        # A generation needs its lambda samples, in order (see base); the
        # asynchronous generations are filled as results arrive: see _tell_async.
        return not self.asynchronous

    def __init__(
        self,
        n_dims,
        *,
        kinds=None,
        n_choices=None,
        sigma0=0.3,
        population_size=None,
        random_state=None,
    ):
        super().__init__(
            n_dims, kinds=kinds, n_choices=n_choices, random_state=random_state
        )
        if (
            isinstance(sigma0, bool)
            or not isinstance(sigma0, Real)
            or not 0 < sigma0 < math.inf
        ):
            raise ValueError(f"sigma0 must be a positive number, got sigma0={sigma0!r}")
        self.sigma0 = float(sigma0)
        if population_size is None:
            population_size = 4 + math.floor(3 * math.log(self.n_dims))  # eq. (48)
        elif (
            isinstance(population_size, bool)
            or not isinstance(population_size, Integral)
            or population_size < 2
        ):
            raise ValueError(
                f"population_size must be an integer >= 2, got "
                f"population_size={population_size!r}"
            )
        self.population_size = int(population_size)
        self._real = self.n_choices == 0  # coordinates checked by TolX
        self._cells_dims = self.n_choices >= 2  # coordinates under the margin
        self.n_restarts_ = 0
        self._stopped = False
        self.m = None  # (n,) mean; the state is built at the first ask
        self._asked = None  # (k, n) points handed out, waiting for their losses
        self._raw = None  # (k, n) the Gaussian samples behind them
        self._gen_raw = np.empty((0, self.n_dims))  # samples of this generation
        self._gen_loss = np.empty(0)
        self._inj_X = np.empty((0, self.n_dims))  # unpaired tells to inject
        self._inj_loss = np.empty(0)
        self._pending_raw = {}  # asynchronous: asked row (bytes) -> (raw, generation)

    def next_batch_size(self) -> int:
        """What remains of the current generation of lambda points (one at a time
        asynchronously: each from the latest distribution)."""
        if self.asynchronous:
            return 1
        lam = self.population_size if self.m is None else self.lam
        return max(1, lam - len(self._gen_loss))

    def should_stop(self) -> bool:
        """True only once every restart has been used."""
        return self._stopped

    # -- the NaN policy ------------------------------------------------------------
    @staticmethod
    def _fitness(y: np.ndarray) -> np.ndarray:  # (k,) -> (k,)
        # CMA-ES only ranks: a failed evaluation ranks below every finite loss
        # (+inf), so it gets the negative weights of the worst samples and active
        # CMA shrinks the variance towards it. A generation without any finite loss
        # carries no ranking and only widens sigma (see _update).
        return np.where(np.isnan(y), np.inf, y)

    # -- (re)start: eqs. (48)-(58) -----------------------------------------------
    def _start(self, lam: int) -> None:
        n = self.n_dims
        self.lam = lam
        self.mu = lam // 2
        w_prime = math.log((lam + 1) / 2) - np.log(np.arange(1, lam + 1))  # (49)
        pos, neg = w_prime[: self.mu], w_prime[self.mu :]
        self.mu_eff = pos.sum() ** 2 / (pos**2).sum()  # eq. (8)
        mu_eff_minus = neg.sum() ** 2 / (neg**2).sum() if neg.any() else 0.0
        alpha_cov = 2.0
        self.c_1 = alpha_cov / ((n + 1.3) ** 2 + self.mu_eff)  # (57)
        # (58); the 1/4 keeps c_mu positive when mu_eff is near 1 (as pycma does).
        self.c_mu = min(
            1.0 - self.c_1,
            alpha_cov
            * (0.25 + self.mu_eff + 1.0 / self.mu_eff - 2.0)
            / ((n + 2.0) ** 2 + alpha_cov * self.mu_eff / 2.0),
        )
        alpha_mu_minus = 1.0 + self.c_1 / self.c_mu  # (50)
        alpha_mu_eff_minus = 1.0 + 2.0 * mu_eff_minus / (self.mu_eff + 2.0)  # (51)
        alpha_posdef_minus = (1.0 - self.c_1 - self.c_mu) / (n * self.c_mu)  # (52)
        neg_scale = min(alpha_mu_minus, alpha_mu_eff_minus, alpha_posdef_minus)
        self.weights = np.where(  # (53)
            w_prime >= 0,
            w_prime / w_prime[w_prime > 0].sum(),
            neg_scale * w_prime / max(-w_prime[w_prime < 0].sum(), 1e-300),
        )
        self.c_m = 1.0  # (54)
        self.c_sigma = (self.mu_eff + 2.0) / (n + self.mu_eff + 5.0)  # (55)
        self.d_sigma = (
            1.0
            + 2.0 * max(0.0, math.sqrt((self.mu_eff - 1.0) / (n + 1.0)) - 1.0)
            + self.c_sigma
        )  # (55)
        self.c_c = (4.0 + self.mu_eff / n) / (n + 4.0 + 2.0 * self.mu_eff / n)  # (56)
        self.chi_n = math.sqrt(n) * (1.0 - 1.0 / (4 * n) + 1.0 / (21 * n * n))
        # Margin alpha = 1 / (n lambda) (Hamano et al. 2022), as a normal quantile.
        self._z_alpha = float(ndtri(1.0 - 1.0 / (n * lam)))
        # IPOP's stagnation window: 10 + ceil(30 n / lambda) generations.
        self._n_hist = 10 + math.ceil(30 * n / lam)
        self._best_hist = []  # best loss of each recent generation

        # Initial mean: the centre of the cube for the first run, which starts
        # every coordinate as far from its bounds as possible (the mirrors cancel
        # the steps of a mean near a bound); a uniform random point for each
        # restart, as IPOP draws them.
        if self.n_restarts_ == 0:
            self.m = np.full(n, 0.5)
        else:
            self.m = self.random_state.uniform(size=n)
        self.sigma = self.sigma0
        self.C = np.eye(n)
        self.B, self.D = np.eye(n), np.ones(n)  # C = B diag(D^2) B^T
        self.p_sigma, self.p_c = np.zeros(n), np.zeros(n)
        self.g = 0
        self.A = np.ones(n)  # margin scaling of the discrete coordinates
        self._gen_raw = np.empty((0, n))
        self._gen_loss = np.empty(0)
        self._set_margin()

    # -- ask -----------------------------------------------------------------------
    def _ask(self, n: int) -> np.ndarray:
        if self.m is None:
            self._start(self.population_size)
        z = self.random_state.standard_normal((n, self.n_dims))  # (38)
        y = (z * self.D) @ self.B.T  # (39): y = B D z ~ N(0, C)
        raw = self.m + self.sigma * y  # (40)
        X = np.clip(self._encode(raw), 0.0, 1.0)
        if self.asynchronous:
            generation = (self.n_restarts_, self.g)
            for x, r in zip(X, raw):
                self._pending_raw[x.tobytes()] = (r, generation)
        else:
            self._asked, self._raw = X, raw
        return X

    def _encode(self, raw: np.ndarray) -> np.ndarray:  # (k, n) -> (k, n) in [0, 1]
        """Widen discrete deviations by the margin factor A, then mirror."""
        return reflect(self.m + self.A * (raw - self.m))

    def _preimage(self, X: np.ndarray) -> np.ndarray:  # (k, n) in [0, 1] -> (k, n)
        """The raw point closest to the mean that encodes to ``X``."""
        m = self.m
        # The mirror images of x are x + 2p and -x + 2p for integers p.
        a = X + 2.0 * np.round((m - X) / 2.0)
        b = -X + 2.0 * np.round((m + X) / 2.0)
        image = np.where(np.abs(a - m) <= np.abs(b - m), a, b)
        return m + (image - m) / self.A

    # -- tell ----------------------------------------------------------------------
    def _tell(self, X: np.ndarray, y: np.ndarray) -> None:
        loss = self._fitness(y)
        if self.asynchronous:
            self._tell_async(X, loss)
            return
        if self._asked is not None and np.array_equal(X, self._asked):
            self._gen_raw = np.vstack([self._gen_raw, self._raw])
            self._gen_loss = np.concatenate([self._gen_loss, loss])
            self._asked = self._raw = None
        else:
            self._inject(X, loss)
        if self.m is not None and len(self._gen_loss) >= self.lam:
            self._update()

    def _tell_async(self, X: np.ndarray, loss: np.ndarray) -> None:
        """Fill the current generation with its own samples' results, in the
        order they arrive; inject older generations' results."""
        for x, value in zip(X, loss):
            raw, generation = self._pending_raw.pop(x.tobytes(), (None, None))
            if generation == (self.n_restarts_, self.g):
                self._gen_raw = np.vstack([self._gen_raw, raw])
                self._gen_loss = np.append(self._gen_loss, value)
            elif generation is None or generation[0] == self.n_restarts_:
                # Outside information, or a sample of an earlier generation of
                # this run: injected (Hansen 2011). A restart starts afresh.
                self._inject(x[None], np.array([value]))
            if self.m is not None and len(self._gen_loss) >= self.lam:
                self._update()

    def _inject(self, X: np.ndarray, loss: np.ndarray) -> None:
        """Keep unpaired points for injection into the next update. Only ranks
        matter there and at most lambda points are used: the best lambda suffice."""
        X = np.vstack([self._inj_X, X])
        loss = np.concatenate([self._inj_loss, loss])
        lam = self.population_size if self.m is None else self.lam
        keep = np.argsort(loss, kind="stable")[:lam]
        self._inj_X, self._inj_loss = X[keep], loss[keep]

    def _update(self) -> None:
        n, lam, mu = self.n_dims, self.lam, self.mu
        Y = (self._gen_raw - self.m) / self.sigma  # (k, n) steps y_k of eq. (40)
        loss = self._gen_loss
        if len(self._inj_loss):
            Y = np.vstack([Y, self._injected_steps()])
            loss = np.concatenate([loss, self._inj_loss])
            self._inj_X, self._inj_loss = np.empty((0, n)), np.empty(0)
        self._gen_raw, self._gen_loss = np.empty((0, n)), np.empty(0)
        order = np.argsort(loss, kind="stable")[:lam]
        Y, loss = Y[order], loss[order]  # y_{i:lambda}, best first

        # Flat fitness: the best and the ceil(0.7 lambda)-th loss are equal, so the
        # ranking says little; widen sigma, as the tutorial's source code does
        # (Appendix C). A generation without any finite loss only does that.
        flat = loss[0] == loss[math.ceil(0.7 * lam) - 1]
        if np.isfinite(loss[0]):
            C_inv_sqrt = (self.B / self.D) @ self.B.T  # C^(-1/2) = B D^-1 B^T
            y_w = self.weights[:mu] @ Y[:mu]  # (41)
            self.m = self.m + self.c_m * self.sigma * y_w  # (42)
            self.p_sigma = (1.0 - self.c_sigma) * self.p_sigma + math.sqrt(
                self.c_sigma * (2.0 - self.c_sigma) * self.mu_eff
            ) * (C_inv_sqrt @ y_w)  # (43)
            norm_p_sigma = float(np.linalg.norm(self.p_sigma))
            # Heaviside h_sigma (below (45)): stalls p_c while ||p_sigma|| is large.
            bias = math.sqrt(1.0 - (1.0 - self.c_sigma) ** (2 * (self.g + 1)))
            h_sigma = float(norm_p_sigma / bias < (1.4 + 2.0 / (n + 1.0)) * self.chi_n)
            self.p_c = (1.0 - self.c_c) * self.p_c + h_sigma * math.sqrt(
                self.c_c * (2.0 - self.c_c) * self.mu_eff
            ) * y_w  # (45)
            mahalanobis2 = ((Y @ C_inv_sqrt) ** 2).sum(axis=1)  # ||C^-1/2 y_i||^2
            w_circ = self.weights * np.where(
                self.weights >= 0, 1.0, n / np.maximum(mahalanobis2, 1e-300)
            )  # (46)
            delta_h = (1.0 - h_sigma) * self.c_c * (2.0 - self.c_c)
            self.C = (
                (1.0 + self.c_1 * delta_h - self.c_1 - self.c_mu * self.weights.sum())
                * self.C
                + self.c_1 * np.outer(self.p_c, self.p_c)
                + self.c_mu * (Y.T * w_circ) @ Y
            )  # (47)
            self.sigma *= math.exp(
                self.c_sigma / self.d_sigma * (norm_p_sigma / self.chi_n - 1.0)
            )  # (44)
        if flat:
            self.sigma *= math.exp(0.2 + self.c_sigma / self.d_sigma)
        self.g += 1
        # Shift the mean back by whole periods of the mirrored space.
        self.m = self.m - 2.0 * np.round(self.m / 2.0)
        self._eigen()
        self.sigma = min(self.sigma, _SIGMA_MAX / self.D.max())
        self._set_margin()
        if self._should_restart(loss):
            if self.n_restarts_ >= _MAX_RESTARTS:
                self._stopped = True
            else:
                self.n_restarts_ += 1
                self._start(2 * lam)

    def _injected_steps(self) -> np.ndarray:  # (k, n)
        """Steps of the unpaired points, clipped as in Hansen (2011)."""
        n = self.n_dims
        Y = (self._preimage(self._inj_X) - self.m) / self.sigma
        length = np.linalg.norm((Y @ self.B) / self.D, axis=1)  # ||C^-1/2 y||
        c_y = math.sqrt(n) + 2.0 * n / (n + 2.0)
        return Y * np.minimum(1.0, c_y / np.maximum(length, 1e-300))[:, None]

    def _eigen(self) -> None:
        """C = B diag(D^2) B^T, with C kept symmetric."""
        self.C = 0.5 * (self.C + self.C.T)
        eigenvalues, self.B = np.linalg.eigh(self.C)
        self.D = np.sqrt(np.maximum(eigenvalues, 1e-300))

    def _set_margin(self) -> None:
        """Margin factor A so that leaving the mean's plateau has probability
        at least alpha on each discrete coordinate (Hamano et al. 2022)."""
        j = self._cells_dims
        if not j.any():
            return
        k = self.n_choices[j]
        r = reflect(self.m[j])  # where the mean decodes
        cell = np.minimum(np.floor(r * k), k - 1)
        # Distance to the nearer cell boundary inside the cube: the cube's own
        # bounds are mirrors, not boundaries, so an end cell's plateau is twice as
        # wide and centred on the bound.
        below = np.where(cell >= 1, r - cell / k, np.inf)
        above = np.where(cell <= k - 2, (cell + 1) / k - r, np.inf)
        delta = np.minimum(below, above)
        std = self.sigma * np.sqrt(np.diag(self.C)[j])
        self.A = np.ones(self.n_dims)
        self.A[j] = np.maximum(1.0, delta / (self._z_alpha * std))

    def _should_restart(self, loss: np.ndarray) -> bool:
        """IPOP's termination criteria (Auger & Hansen 2005), as restart triggers."""
        self._best_hist = [*self._best_hist, float(loss[0])][-self._n_hist :]
        hist = np.array(self._best_hist)
        if len(hist) == self._n_hist and (
            _flat(hist, 0.0) or _flat(np.concatenate([hist, loss]), _TOL_FUN)
        ):
            return True  # equalfunvalhist, TolFun
        real = self._real
        if real.any() and (
            np.all(self.sigma * np.sqrt(np.diag(self.C)[real]) < _TOL_X)
            and np.all(self.sigma * np.abs(self.p_c[real]) < _TOL_X)
        ):
            return True  # TolX
        return bool((self.D.max() / self.D.min()) ** 2 > _MAX_CONDITION)  # ConditionCov
