# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Gaussian-process regression on the unit hypercube, for Bayesian optimisation.

The model is the zero-mean GP of Rasmussen & Williams, *Gaussian Processes for
Machine Learning*, MIT Press 2006 (R&W below); equation numbers refer to it.

- Kernel: Matérn 5/2 (R&W eq. 4.17) with one length scale per coordinate (ARD,
  R&W eq. 5.2), a signal variance ``sigma_f^2`` and a Gaussian noise ``sigma_n^2``
  (cross-validation scores are noisy). A categorical coordinate adds
  ``1 / ell_j^2`` to the squared distance when the two categories differ (a
  Hamming distance), so the same kernel covers mixed spaces.
- Hyperparameters ``theta = (log ell_1..d, log sigma_f^2, log sigma_n^2)`` are set
  by MAP: the log marginal likelihood (R&W eq. 2.30) plus log priors, maximised by
  L-BFGS-B with the analytic gradient (R&W eq. 5.9). The length-scale prior is the
  dimension-scaled log-normal of Hvarfner, Hellsten & Nardi, "Vanilla Bayesian
  Optimization Performs Great in High Dimensions", ICML 2024.
- Losses are made Gaussian-looking before modelling: standardise, Yeo-Johnson
  power transform with maximum-likelihood ``lambda`` (as HEBO does: Cowen-Rivers et
  al., "HEBO: Pushing the Limits of Sample-Efficient Hyper-parameter
  Optimisation", JAIR 2022), standardise again; the first standardisation uses
  the median and the IQR so that outliers cannot flatten the bulk.

Everything is a Cholesky factorisation with escalating jitter and triangular solves,
except ``K^-1``, computed from the Cholesky factor (LAPACK ``potri``) for the
gradient's trace term and, once per model, for prediction (a matrix product per
batch of points instead of two triangular solves).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.linalg import LinAlgError, solve_triangular
from scipy.linalg.blas import dtrsm
from scipy.linalg.lapack import dpotrf, dpotri, dpotrs, dtrtrs
from scipy.optimize import minimize, minimize_scalar

_SQRT5 = math.sqrt(5.0)
_LOG_2PI = math.log(2.0 * math.pi)

# Log-normal priors, as (mean, std) of the log parameter. The length-scale prior of
# Hvarfner et al. (2024) is LogNormal(sqrt(2) + log(d) / 2, sqrt(3)): its
# median grows as sqrt(d), which keeps the prior complexity of the model constant as
# dimensions are added instead of letting the GP degenerate in high dimensions.
_LENGTH_SCALE_STD = math.sqrt(3.0)
# sigma_f^2 for standardised outputs: centred on 1, weak (a factor e^2 is 1 std).
_SIGNAL_PRIOR = (0.0, 2.0)
# sigma_n^2 for standardised outputs: LogNormal(-4, 1) as in Hvarfner et al. A
# wider prior (std 2) let the first fits, on a handful of points, explain
# everything as noise; the search then only chases variance, into the corners.
_NOISE_PRIOR = (-4.0, 1.0)
# Box constraints on theta: the noise floor keeps K well conditioned.
_LOG_ELL_BOUNDS = (math.log(5e-3), math.log(1e3))
_LOG_SIGNAL_BOUNDS = (math.log(1e-2), math.log(1e2))
_NOISE_FLOOR = 1e-6
_LOG_NOISE_BOUNDS = (math.log(_NOISE_FLOOR), math.log(10.0))
_LAMBDA_BOUNDS = (-3.0, 3.0)  # Yeo-Johnson: keeps (1 + |z|)^lambda finite
# Input warping (GaussianProcess(warp_inputs=True)): each continuous coordinate x
# goes through the Kumaraswamy CDF 1 - (1 - x^a)^b before the kernel (Snoek,
# Swersky, Zemel & Adams, "Input Warping for Bayesian Optimization of
# Non-Stationary Functions", ICML 2014; HEBO, Cowen-Rivers et al., JAIR 2022), with
# log a, log b ~ N(0, 0.25^2): the identity at the prior mode.
_WARP_PRIOR = (0.0, 0.25)
_LOG_WARP_BOUNDS = (math.log(0.1), math.log(10.0))
_WARP_EPS = 1e-6  # x is clipped into [eps, 1 - eps], where the warp is smooth
# Prediction with gradients at this many points or more multiplies by K^-1
# (GaussianProcess.K_inv_).
_MIN_POINTS_K_INV = 64


# -- outputs --------------------------------------------------------------------------
def impute_failures(y: np.ndarray) -> np.ndarray | None:  # (n,) -> (n,) or None
    """Replace NaN losses by the worst finite loss seen; None if all are NaN."""
    y = np.asarray(y, dtype=float)
    finite = np.isfinite(y)
    if not finite.any():
        return None
    # The NaN policy of the GP: a failed fit counts as the worst loss seen so far.
    # This steers the search away from failing regions without inventing a
    # magnitude; the power transform below keeps that plateau from dominating.
    return np.where(finite, y, y[finite].max())


def _standardise(y: np.ndarray) -> np.ndarray:
    std = y.std()
    return (y - y.mean()) / std if std > 0 else np.zeros_like(y)


def _yeo_johnson(z: np.ndarray, lmb: float) -> np.ndarray:  # (n,) -> (n,)
    """The power transform of Yeo & Johnson, Biometrika 87(4), 2000."""
    pos = z >= 0
    out = np.empty_like(z)
    lp, ln = np.log1p(z[pos]), np.log1p(-z[~pos])
    out[pos] = np.expm1(lmb * lp) / lmb if abs(lmb) > 1e-8 else lp
    out[~pos] = (
        -np.expm1((2.0 - lmb) * ln) / (2.0 - lmb) if abs(lmb - 2.0) > 1e-8 else -ln
    )
    return out


def _yeo_johnson_nll(lmb: float, lp: np.ndarray, ln: np.ndarray, jac: float) -> float:
    # Profile log-likelihood of lambda under normality (Yeo & Johnson 2000):
    # -n/2 log var(psi(z, lambda)) + (lambda - 1) sum sign(z) log(1 + |z|), with
    # lp = log1p(z) of the z >= 0 and ln = log1p(-z) of the others (the variance
    # does not depend on the order, so the two parts need not be interleaved).
    pos = np.expm1(lmb * lp) / lmb if abs(lmb) > 1e-8 else lp
    neg = -np.expm1((2.0 - lmb) * ln) / (2.0 - lmb) if abs(lmb - 2.0) > 1e-8 else -ln
    var = np.concatenate([pos, neg]).var()
    if not var > 0:
        return np.inf
    return 0.5 * (len(lp) + len(ln)) * math.log(var) - (lmb - 1.0) * jac


def _robust_standardise(y: np.ndarray) -> np.ndarray:
    # Median and IQR / 1.349 (the std of a normal): a handful of terrible losses
    # cannot shrink the scale of the bulk, unlike the mean and std.
    q1, med, q3 = np.percentile(y, [25.0, 50.0, 75.0])
    scale = (q3 - q1) / 1.349
    if not scale > 0:  # over half the losses tie (e.g. imputed failures)
        scale = y.std()
    return (y - med) / scale if scale > 0 else np.zeros_like(y)


def warp_outputs(y: np.ndarray) -> np.ndarray:  # (n,) finite -> (n,)
    """Robustly standardise, Yeo-Johnson transform (MLE lambda), standardise.

    A few terrible configurations make CV losses right-skewed; after plain
    standardisation they squash the good region into a tiny range and the GP sees a
    flat function. The Yeo-Johnson transform with the maximum-likelihood ``lambda``
    compresses such tails, as in HEBO (Cowen-Rivers et al., JAIR 2022).
    The transform is not scale invariant: scaling by the median and IQR first puts
    the bulk of the losses at unit scale whatever the outliers, so a negative
    ``lambda`` can bound the tail (``psi(z) < 1 / |lambda|`` for ``z > 0``). It is
    monotone, so the ranking of the losses, all the optimiser needs, is kept.
    """
    # Clipping at a million IQRs only merges absurd outliers and keeps powers finite.
    z = np.clip(_robust_standardise(np.asarray(y, dtype=float)), -1e6, 1e6)
    if z.size < 3 or not z.any():
        return _standardise(z)
    jac = float((np.sign(z) * np.log1p(np.abs(z))).sum())
    pos = z >= 0
    res = minimize_scalar(
        _yeo_johnson_nll,
        bounds=_LAMBDA_BOUNDS,
        args=(np.log1p(z[pos]), np.log1p(-z[~pos]), jac),
        method="bounded",
        options={"xatol": 1e-2},  # far below lambda's standard error
    )
    return _standardise(_yeo_johnson(z, float(res.x)))


# -- kernel ---------------------------------------------------------------------------
def _sqdist(
    A: np.ndarray, B: np.ndarray, B2: np.ndarray | None = None
) -> np.ndarray:  # (m, C), (n, C) -> (m, n); B2: (B * B).sum(1) if known
    if B2 is None:
        B2 = (B * B).sum(1)
    r2 = (A * A).sum(1)[:, None] + B2[None, :] - 2.0 * (A @ B.T)
    return np.maximum(r2, 0.0)


def matern52(r2: np.ndarray, grad: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Matérn 5/2 correlation and its derivative with respect to ``r^2``.

    R&W eq. (4.17) with nu = 5/2: ``k(r) = (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r)``,
    ``r`` already divided by the length scales. Differentiating,
    ``dk/d(r^2) = -(5/6) (1 + sqrt5 r) exp(-sqrt5 r)``, finite at ``r = 0``.
    Without ``grad`` the derivative is not computed (``None``); ``k`` has the same
    bits either way.
    """
    sqrt5_r = np.sqrt(r2)
    sqrt5_r *= _SQRT5
    e = np.exp(-sqrt5_r)
    sqrt5_r += 1.0  # 1 + sqrt5 r, reused by both
    k = r2 * (5.0 / 3.0)
    k += sqrt5_r
    k *= e
    if not grad:
        return k, None
    sqrt5_r *= e
    sqrt5_r *= -5.0 / 6.0
    return k, sqrt5_r


def cholesky_jitter(K: np.ndarray) -> tuple[np.ndarray, float]:  # (n, n) -> L, jitter
    """Lower Cholesky factor of ``K``, adding escalating jitter to its diagonal."""
    # LAPACK's potrf directly, as scipy.linalg.cholesky calls it (the same bits),
    # without the checks that cost more than the factorisation at n ~ 100.
    L, info = dpotrf(K, lower=1, clean=1)
    if info == 0:
        return L, 0.0
    scale = float(np.mean(np.diag(K)))
    for rel in (1e-10, 1e-8, 1e-6, 1e-4, 1e-2):
        jitter = rel * scale
        L, info = dpotrf(K + jitter * np.eye(len(K)), lower=1, clean=1)
        if info == 0:
            return L, jitter
    raise LinAlgError("kernel matrix is not positive definite even with jitter")


def cho_solve(L: np.ndarray, y: np.ndarray) -> np.ndarray:  # (n, n), (n,) -> (n,)
    """``(L L^T)^-1 y`` by LAPACK's potrs (what scipy's cho_solve calls)."""
    x, info = dpotrs(L, y, lower=1)
    if info != 0:  # pragma: no cover - only for invalid arguments
        raise LinAlgError(f"dpotrs failed with info={info}")
    return x


def cholesky_inverse(L: np.ndarray) -> np.ndarray:  # (n, n) lower -> (n, n)
    """``K^-1`` from the lower Cholesky factor of ``K`` (LAPACK ``potri``)."""
    K_inv, info = dpotri(L, lower=1)
    if info != 0:  # pragma: no cover - L came from a successful factorisation
        raise LinAlgError(f"dpotri failed with info={info}")
    # potri fills the lower triangle and leaves the zeros of L above it.
    K_inv += K_inv.T
    K_inv.flat[:: len(K_inv) + 1] *= 0.5  # the diagonal
    return K_inv


def length_scale_prior(n_dims: int) -> tuple[float, float]:
    """Mean and std of ``log ell`` (Hvarfner, Hellsten & Nardi, ICML 2024)."""
    return math.sqrt(2.0) + 0.5 * math.log(n_dims), _LENGTH_SCALE_STD


@functools.lru_cache(maxsize=64)
def _prior(n_dims: int, n_warp: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Means and stds of the independent normal priors on ``theta``, (d + 2 + 2w,)."""
    mu, std = length_scale_prior(n_dims)
    mean = np.r_[
        np.full(n_dims, mu),
        _SIGNAL_PRIOR[0],
        _NOISE_PRIOR[0],
        np.full(2 * n_warp, _WARP_PRIOR[0]),
    ]
    std = np.r_[
        np.full(n_dims, std),
        _SIGNAL_PRIOR[1],
        _NOISE_PRIOR[1],
        np.full(2 * n_warp, _WARP_PRIOR[1]),
    ]
    mean.flags.writeable = std.flags.writeable = False
    return mean, std


def kumaraswamy(x: np.ndarray, a: np.ndarray, b: np.ndarray):  # (n, c), (c,), (c,)
    """The Kumaraswamy CDF ``w = 1 - (1 - x^a)^b`` and its derivatives.

    Returns ``w``, ``dw/dx``, ``dw/dlog a`` and ``dw/dlog b``, each (n, c), with
    ``x`` clipped into ``[_WARP_EPS, 1 - _WARP_EPS]``.
    """
    x = np.clip(x, _WARP_EPS, 1.0 - _WARP_EPS)
    log_x = np.log(x)
    xa = np.exp(a * log_x)  # x^a
    one_m = -np.expm1(a * log_x)  # 1 - x^a, accurate as x^a -> 1
    log_one_m = np.log(one_m)
    omb = np.exp(b * log_one_m)  # (1 - x^a)^b
    ab_ratio = a * b * omb / one_m  # a b (1 - x^a)^(b - 1)
    return 1.0 - omb, ab_ratio * xa / x, ab_ratio * xa * log_x, -b * omb * log_one_m


class GaussianProcess:
    """Zero-mean GP with an ARD Matérn 5/2 kernel and Gaussian noise on ``[0, 1]^d``.

    Parameters
    ----------
    n_categories : ndarray of int, shape (d,)
        Number of categories of each coordinate modelled with the Hamming distance,
        0 for the coordinates modelled as continuous.
    warp_inputs : bool, default=False
        Whether each continuous coordinate goes through a Kumaraswamy CDF with
        its own two fitted parameters before the kernel (see ``_WARP_PRIOR``).

    Attributes
    ----------
    theta : ndarray of shape (d + 2 + 2 w,)
        ``log ell_1..d, log sigma_f^2, log sigma_n^2``, then with input warping
        ``log a`` and ``log b`` of each of the w continuous coordinates; None
        before ``fit``.
    Z_, y_ : ndarray of shape (n, d) and (n,)
        The inputs and (transformed) outputs conditioned on.
    L_ : ndarray of shape (n, n)
        Lower Cholesky factor of ``K(Z_, Z_) + noise_ I``.
    alpha_ : ndarray of shape (n,)
        ``(K + noise_ I)^-1 y_``.
    noise_ : float
        ``sigma_n^2`` plus any jitter the factorisation needed.
    """

    n_warp = 0  # number of warped coordinates (a class default for old pickles)

    def __init__(self, n_categories: np.ndarray, warp_inputs: bool = False):
        self.n_categories = np.asarray(n_categories, dtype=np.int64)
        d = self.n_dims = len(self.n_categories)
        self.continuous = np.flatnonzero(self.n_categories == 0)
        self.categorical = np.flatnonzero(self.n_categories > 0)
        # Feature columns: one per continuous coordinate, then one indicator per
        # category. Indicators scaled by 1/sqrt(2) give a squared distance of exactly
        # 1 between two different categories, so every coordinate contributes
        # sum_{c in j} (F_ic - F_kc)^2 / ell_j^2 to r^2 (R&W eq. 5.2).
        self._col_dim = np.concatenate(
            [self.continuous]
            + [np.full(self.n_categories[j], j) for j in self.categorical]
        ).astype(np.int64)  # (C,)
        self.n_warp = len(self.continuous) if warp_inputs else 0
        self.theta_prior_mode = _prior(d, self.n_warp)[0].copy()
        self.theta = None  # log ell, log sigma_f^2, log sigma_n^2 (, log a, log b)
        self._K_inv = self._scaled = None

    # -- features and kernel --------------------------------------------------------
    def _warp(self, theta: np.ndarray):  # -> a, b, each (w,)
        d, w = self.n_dims, self.n_warp
        return np.exp(theta[d + 2 : d + 2 + w]), np.exp(theta[d + 2 + w :])

    def _features(
        self, Z: np.ndarray, theta: np.ndarray | None = None, warp: bool = True
    ) -> np.ndarray:  # (n, d) -> (n, C)
        """Kernel features: the continuous coordinates (warped with ``theta``'s
        parameters, ``self.theta`` by default, unless ``warp`` is false), then
        one scaled indicator per category."""
        Zc = Z[:, self.continuous]
        if self.n_warp and warp:
            Zc = kumaraswamy(Zc, *self._warp(self.theta if theta is None else theta))[0]
        parts = [Zc]
        for j in self.categorical:
            k = self.n_categories[j]
            idx = np.minimum(np.floor(Z[:, j] * k), k - 1).astype(np.int64)
            parts.append(np.eye(k)[idx] * math.sqrt(0.5))
        return np.hstack(parts)

    def _unpack(self, theta: np.ndarray) -> tuple[np.ndarray, float, float]:
        d = self.n_dims
        return np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1])

    def kernel(
        self, A: np.ndarray, B: np.ndarray, theta: np.ndarray | None = None
    ) -> np.ndarray:
        """Noise-free covariance ``k(A, B)``, shape (len(A), len(B))."""
        ell, sf2, _ = self._unpack(self.theta if theta is None else theta)
        inv = 1.0 / ell[self._col_dim]
        r2 = _sqdist(self._features(A, theta) * inv, self._features(B, theta) * inv)
        return sf2 * matern52(r2, grad=False)[0]

    # -- marginal likelihood ----------------------------------------------------------
    def _log_prior(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        # log p(theta) up to a constant, and its gradient
        mu, std = _prior(self.n_dims, self.n_warp)
        u = (theta - mu) / std
        return -0.5 * float(u @ u), -u / std

    def log_marginal_likelihood(
        self, theta: np.ndarray, F: np.ndarray, y: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Log marginal likelihood and its gradient with respect to ``theta``.

        ``F`` are the features of the training inputs, shape (n, C), not warped
        (``_features(Z, warp=False)``); ``y`` the training outputs, shape (n,).
        """
        d, n, w = self.n_dims, len(y), self.n_warp
        ell, sf2, sn2 = self._unpack(theta)
        if w:
            F = F.copy()
            F[:, :w], _, dw_dloga, dw_dlogb = kumaraswamy(F[:, :w], *self._warp(theta))
        G = F / ell[self._col_dim]  # (n, C)
        r2 = _sqdist(G, G)
        np.fill_diagonal(r2, 0.0)
        R, dR_dr2 = matern52(r2)  # (n, n)
        K = sf2 * R
        K.flat[:: n + 1] += sn2  # the diagonal
        L, _ = cholesky_jitter(K)
        alpha = cho_solve(L, y)  # K^-1 y, R&W Alg. 2.1
        lml = (
            -0.5 * float(y @ alpha)
            - float(np.log(np.diag(L)).sum())
            - 0.5 * n * _LOG_2PI
        )  # eq. (2.30)
        # eq. (5.9): d lml / d theta_j = 1/2 tr((alpha alpha^T - K^-1) dK/dtheta_j)
        K_inv = cholesky_inverse(L)
        W = np.outer(alpha, alpha)
        W -= K_inv  # (n, n), symmetric
        grad = np.empty(len(theta))
        grad[d] = 0.5 * sf2 * float(W.ravel() @ R.ravel())  # dK/dlog sf2 = sf2 R
        grad[d + 1] = 0.5 * sn2 * float(np.trace(W))  # dK/dlog sn2 = sn2 I
        # dK/dlog ell_j = sf2 dR/dr2 * (-2) sum_{c in j} (G_ic - G_kc)^2, and for a
        # symmetric M: sum_ik M_ik (G_ic - G_kc)^2 = 2 m^T G_c^2 - 2 G_c^T M G_c.
        M = W
        M *= dR_dr2
        M *= 0.5 * sf2
        m = M.sum(1)
        MG = M @ G
        per_col = 2.0 * (m @ (G * G)) - 2.0 * (G * MG).sum(0)  # (C,)
        grad[:d] = -2.0 * np.bincount(self._col_dim, per_col, minlength=d)
        if w:
            # d lml / d G_ic = 4 (G_ic m_i - (M G)_ic), and G_ic = w_ic / ell_c on
            # the warped columns (the first w).
            dl_dw = 4.0 * (G[:, :w] * m[:, None] - MG[:, :w]) / ell[self.continuous]
            grad[d + 2 : d + 2 + w] = (dl_dw * dw_dloga).sum(0)
            grad[d + 2 + w :] = (dl_dw * dw_dlogb).sum(0)
        return lml, grad

    def _neg_log_posterior(
        self, theta: np.ndarray, F: np.ndarray, y: np.ndarray
    ) -> tuple[float, np.ndarray]:
        lml, g = self.log_marginal_likelihood(theta, F, y)
        lp, gp = self._log_prior(theta)
        value = -(lml + lp)
        if not np.isfinite(value):  # guard L-BFGS-B against overflow far out
            return 1e25, np.zeros_like(theta)
        return value, -(g + gp)

    # -- fitting ---------------------------------------------------------------------
    def _bounds(self):
        d, w = self.n_dims, self.n_warp
        return (
            [_LOG_ELL_BOUNDS] * d
            + [_LOG_SIGNAL_BOUNDS, _LOG_NOISE_BOUNDS]
            + [_LOG_WARP_BOUNDS] * (2 * w)
        )

    def fit(
        self, Z: np.ndarray, y: np.ndarray, *, starts=(), maxiter: int = 200
    ) -> GaussianProcess:
        """MAP-fit ``theta`` by L-BFGS-B from the current value and ``starts``.

        Z : (n, d) inputs, integer and categorical coordinates on cell centres.
        y : (n,) transformed outputs.
        """
        Z, y = np.asarray(Z, dtype=float), np.asarray(y, dtype=float)
        F = self._features(Z, warp=False)  # warped inside, with each theta
        bounds = self._bounds()
        lo, hi = np.array(bounds).T
        inits = [] if self.theta is None else [self.theta]
        inits += [np.asarray(s, dtype=float) for s in starts]
        if not inits:
            inits = [self.theta_prior_mode]
        best = None
        for theta0 in inits:
            try:
                res = minimize(
                    self._neg_log_posterior,
                    np.clip(theta0, lo, hi),
                    args=(F, y),
                    jac=True,
                    method="L-BFGS-B",
                    bounds=bounds,
                    options={"maxiter": maxiter},
                )
            except LinAlgError:  # pragma: no cover - jitter makes this very rare
                continue
            if best is None or res.fun < best.fun:
                best = res
        if best is not None:
            self.theta = np.asarray(best.x, dtype=float)
        elif self.theta is None:  # pragma: no cover
            self.theta = self.theta_prior_mode.copy()
        return self.condition(Z, y)

    def condition(self, Z: np.ndarray, y: np.ndarray) -> GaussianProcess:
        """Condition on ``(Z, y)`` with ``theta`` fixed (R&W Algorithm 2.1)."""
        self.Z_ = np.asarray(Z, dtype=float)  # (n, d)
        self.y_ = np.asarray(y, dtype=float)  # (n,)
        _, _, sn2 = self._unpack(self.theta)
        K = self.kernel(self.Z_, self.Z_)
        K.flat[:: len(K) + 1] += sn2  # the diagonal
        self.L_, jitter = cholesky_jitter(K)  # (n, n) lower
        self.noise_ = sn2 + jitter
        self.alpha_ = cho_solve(self.L_, self.y_)
        self._K_inv = self._scaled = None
        return self

    def _scaled_train(self) -> tuple[np.ndarray, np.ndarray]:  # (n, C), (n,)
        """Training features over the length scales, and their squared norms.

        Every prediction needs them and they change only with ``Z_`` or ``theta``:
        computed once per model (the same operations as before, so the same bits).
        """
        if self._scaled is None:
            ell = np.exp(self.theta[: self.n_dims])
            G = self._features(self.Z_) * (1.0 / ell[self._col_dim])
            self._scaled = G, (G * G).sum(1)
        return self._scaled

    @property
    def K_inv_(self) -> np.ndarray:  # (n, n)
        """``(K + noise_ I)^-1``, from ``L_`` (LAPACK ``potri``), once per model.

        Prediction with gradients at many points multiplies by it instead of
        solving with ``L_`` twice, which costs more in flops and in calls. Its
        variances err by about ``eps cond(K)`` (below ``1e-9`` of the signal
        variance with the noise floor), harmless for ranking candidates but enough
        to blur a finite difference: prediction at fewer than
        ``_MIN_POINTS_K_INV`` points (the gradient-based polish) and every
        prediction without gradients use triangular solves.
        """
        if self._K_inv is None:
            self._K_inv = cholesky_inverse(self.L_)
        return self._K_inv

    def posterior_mean_train(self) -> np.ndarray:  # (n,)
        """Posterior mean of the latent function at the training inputs.

        With ``K = K_f + sigma_n^2 I``: ``K_f alpha = y - sigma_n^2 alpha``.
        """
        return self.y_ - self.noise_ * self.alpha_

    def condition_on(self, Zf: np.ndarray, yf: np.ndarray) -> GaussianProcess:
        """A copy also conditioned on ``(Zf, yf)``, by a block Cholesky update.

        ``L_new = [[L, 0], [V^T, chol(K_ff + s^2 I - V^T V)]]`` with
        ``V = L^-1 K(Z, Zf)``: O(n^2 m) instead of a new O(n^3) factorisation.
        """
        Zf = np.atleast_2d(np.asarray(Zf, dtype=float))
        new = object.__new__(GaussianProcess)
        new.__dict__.update(self.__dict__)
        V = solve_triangular(
            self.L_, self.kernel(self.Z_, Zf), lower=True, check_finite=False
        )  # (n, m)
        S = self.kernel(Zf, Zf) - V.T @ V
        S.flat[:: len(S) + 1] += self.noise_  # the diagonal
        L22, _ = cholesky_jitter(S)
        n, m = len(self.Z_), len(Zf)
        L = np.zeros((n + m, n + m))
        L[:n, :n], L[n:, :n], L[n:, n:] = self.L_, V.T, L22
        new.Z_ = np.vstack([self.Z_, Zf])
        new.y_ = np.concatenate([self.y_, np.atleast_1d(yf).astype(float)])
        new.L_ = L
        new.alpha_ = cho_solve(L, new.y_)
        new._K_inv = new._scaled = None
        return new

    # -- prediction ------------------------------------------------------------------
    def predict(self, Zs: np.ndarray, return_grad: bool = False):
        """Posterior mean and variance of the latent function at ``Zs`` (m, d).

        Returns ``mu`` (m,), ``var`` (m,) and, if ``return_grad``, their gradients
        with respect to ``Zs``, each (m, d), zero on categorical coordinates.
        """
        Zs = np.atleast_2d(np.asarray(Zs, dtype=float))
        ell, sf2, _ = self._unpack(self.theta)
        inv = 1.0 / ell[self._col_dim]
        r2 = _sqdist(self._features(Zs) * inv, *self._scaled_train())
        R, dR_dr2 = matern52(r2, grad=return_grad)
        Ks = sf2 * R  # (m, n)
        mu = Ks @ self.alpha_  # eq. (2.25)
        if not return_grad:
            # Rows k*^T L^-T by BLAS's trsm from the right (on Ks as it lies in
            # memory): half the flops of a product with K^-1, and no K^-1 to form.
            V = dtrsm(1.0, self.L_, Ks, side=1, lower=1, trans_a=1)  # (m, n)
            var = sf2 - np.einsum("ij,ij->i", V, V)
            return mu, np.maximum(var, 1e-12 * sf2)  # eq. (2.26)
        if len(Zs) >= _MIN_POINTS_K_INV:
            W = Ks @ self.K_inv_  # (m, n): rows K^-1 k*, as K^-1 is symmetric
            var = sf2 - (Ks * W).sum(1)
        else:  # LAPACK's trtrs directly: scipy's checks cost more than the solve
            V = dtrtrs(self.L_, Ks.T, lower=1)[0]  # (n, m): L^-1 k*
            W = None  # K^-1 k*, needed for the gradient only
            var = sf2 - (V * V).sum(0)
        var = np.maximum(var, 1e-12 * sf2)  # eq. (2.26)
        if W is None:
            W = dtrtrs(self.L_, V, lower=1, trans=1)[0].T  # (m, n)
        # d r2 / d zs_j = 2 (zs_j - z_ij) / ell_j^2 on continuous coordinates, so
        # sum_i A_si d r2_si / d zs_j = 2 / ell_j^2 (zs_j sum_i A_si - (A Z)_sj).
        c = self.continuous
        Zc, Zsc, scale = self.Z_[:, c], Zs[:, c], 2.0 / ell[c] ** 2
        if self.n_warp:  # the same in warped coordinates, then times dw/dx
            a, b = self._warp(self.theta)
            Zc = kumaraswamy(Zc, a, b)[0]
            Zsc, dw_dx = kumaraswamy(Zsc, a, b)[:2]
        dK = sf2 * dR_dr2  # (m, n)
        A = dK * self.alpha_  # dmu = sum_i dk_si alpha_i
        B = dK * W  # dvar = -2 sum_i dk_si (K^-1 k*)_i
        dmu = np.zeros_like(Zs)
        dvar = np.zeros_like(Zs)
        dmu[:, c] = scale * (Zsc * A.sum(1)[:, None] - A @ Zc)
        dvar[:, c] = -2.0 * scale * (Zsc * B.sum(1)[:, None] - B @ Zc)
        if self.n_warp:
            dmu[:, c] *= dw_dx
            dvar[:, c] *= dw_dx
        return mu, var, dmu, dvar

    def local_predictor(self, Z0: np.ndarray):
        """``predict(..., return_grad=True)`` specialised to moving ``Z0``'s
        continuous coordinates, its categorical ones fixed (a gradient polish).

        The categorical part of the squared distances to the training points is
        computed once here, so each call costs only the continuous part: about
        half the time of :meth:`predict` at a few points. Returns
        ``f(Xc) -> (mu, var, dmu, dvar)`` where ``Xc`` (m, c) holds the continuous
        coordinates (``self.continuous``) of the rows of ``Z0`` (m, d), and the
        gradients are with respect to them, each (m, c).
        """
        Z0 = np.atleast_2d(np.asarray(Z0, dtype=float))
        ell, sf2, _ = self._unpack(self.theta)
        c, nc = self.continuous, len(self.continuous)
        G, _ = self._scaled_train()  # continuous columns first, then indicators
        Gc_train = G[:, :nc]
        inv = 1.0 / ell[self._col_dim]
        # r2 = |Gs|^2 - 2 Gs Gc^T + (|Gc|^2 + the fixed categorical part): the
        # part that does not move is added up once, here.
        r2_fixed = (Gc_train * Gc_train).sum(1)[None, :]
        if nc < G.shape[1]:
            r2_fixed = r2_fixed + _sqdist((self._features(Z0) * inv)[:, nc:], G[:, nc:])
        else:
            r2_fixed = np.repeat(r2_fixed, len(Z0), axis=0)
        inv_c = inv[:nc]
        minus_2_Gc_T = -2.0 * Gc_train.T  # (nc, n)
        Zc_train = self.Z_[:, c]
        if self.n_warp:
            warp = self._warp(self.theta)
            Zc_train = kumaraswamy(Zc_train, *warp)[0]
        else:
            warp = None
        # One product gives both A @ Zc and A.sum(1): Zc with a column of ones.
        Zc1_train = np.hstack([Zc_train, np.ones((len(Zc_train), 1))])  # (n, nc + 1)
        # sf2 folded into the constants: Ks = sf2 R, dK = sf2 dR/dr2.
        scale_mu = (2.0 * sf2) / ell[c] ** 2
        scale_var = -2.0 * scale_mu
        L, alpha = self.L_, self.alpha_
        sf2_alpha = sf2 * alpha
        L_over_sf2 = L / sf2  # L^-1 Ks = (L / sf2)^-1 R
        var_floor = 1e-12 * sf2

        def f(Xc):
            if warp is not None:  # in warped coordinates, then times dw/dx
                Xc, dw_dx = kumaraswamy(Xc, *warp)[:2]
            Gs = Xc * inv_c
            r2 = Gs @ minus_2_Gc_T
            r2 += np.einsum("ij,ij->i", Gs, Gs)[:, None]
            r2 += r2_fixed
            np.maximum(r2, 0.0, out=r2)
            R, dR_dr2 = matern52(r2)
            mu = R @ sf2_alpha
            V = dtrtrs(L_over_sf2, R.T, lower=1)[0]  # (n, m): L^-1 k*
            var = np.maximum(sf2 - np.einsum("ij,ij->j", V, V), var_floor)
            W = dtrtrs(L, V, lower=1, trans=1)[0].T  # (m, n): K^-1 k*
            W *= dR_dr2
            P = (dR_dr2 * alpha) @ Zc1_train  # (m, nc + 1)
            Q = W @ Zc1_train
            dmu = scale_mu * (Xc * P[:, -1:] - P[:, :-1])
            dvar = scale_var * (Xc * Q[:, -1:] - Q[:, :-1])
            if warp is not None:
                dmu *= dw_dx
                dvar *= dw_dx
            return mu, var, dmu, dvar

        return f
