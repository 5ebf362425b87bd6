# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of the Gaussian process and of log expected improvement."""

import ast
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime
from scipy.stats import norm

import skhpo._optimizers
from skhpo._optimizers.bayes import log_ei, log_h
from skhpo._optimizers.gp import (
    GaussianProcess,
    cholesky_jitter,
    impute_failures,
    kumaraswamy,
    matern52,
    warp_outputs,
)


def _mixed_data(n, seed=0, n_categories=(0, 0, 3, 0)):
    """Points with a categorical coordinate snapped to its cell centres."""
    rng = np.random.RandomState(seed)
    n_categories = np.asarray(n_categories)
    Z = rng.uniform(size=(n, len(n_categories)))
    for j in np.flatnonzero(n_categories):
        k = n_categories[j]
        Z[:, j] = (np.floor(Z[:, j] * k) + 0.5) / k
    y = np.sin(5 * Z[:, 0]) + Z[:, 1] ** 2 + 0.5 * (Z[:, -1] > 0.5)
    return Z, y + 0.05 * rng.standard_normal(n), n_categories


def _random_theta(gp, seed):
    rng = np.random.RandomState(seed)
    theta = np.r_[rng.uniform(-1.5, 1.0, gp.n_dims), rng.uniform(-1, 1), -3.0]
    # Input warping: log a, log b of each continuous coordinate.
    return np.r_[theta, rng.uniform(-1.0, 1.0, 2 * gp.n_warp)]


def _warped_gp(n_categories, Z, y, seed=0):
    """A GP with input warping conditioned at a random, clearly warped theta."""
    gp = GaussianProcess(n_categories, warp_inputs=True)
    gp.theta = _random_theta(gp, seed)
    return gp.condition(Z, y)


@pytest.mark.parametrize("n_categories", [(0, 0, 0), (0, 0, 3, 0), (2, 4)])
def test_kernel_matrix_is_symmetric_psd(n_categories):
    Z, _, n_categories = _mixed_data(40, seed=1, n_categories=n_categories)
    gp = GaussianProcess(n_categories)
    K = gp.kernel(Z, Z, theta=_random_theta(gp, 0))
    assert_allclose(K, K.T, rtol=0, atol=1e-12)
    assert np.linalg.eigvalsh(K).min() > -1e-9 * np.abs(K).max()
    assert_allclose(np.diag(K), math.exp(_random_theta(gp, 0)[gp.n_dims]))


def test_categorical_coordinates_use_hamming_distance():
    gp = GaussianProcess(np.array([0, 4]))
    theta = np.log([0.5, 0.7, 1.3, 1e-3])  # log ell_1, log ell_2, log sf2, log sn2
    sf2, ell_cat = 1.3, 0.7
    centres = (np.arange(4) + 0.5) / 4
    A = np.array([[0.2, centres[0]]] * 3)
    B = np.array([[0.2, centres[1]], [0.2, centres[3]], [0.2, centres[0]]])
    k = np.diag(gp.kernel(A, B, theta=theta))
    expected_differ = sf2 * matern52(np.array(1.0 / ell_cat**2))[0]
    # Any two different categories are at the same distance; the same one at 0.
    assert_allclose(k, [expected_differ, expected_differ, sf2])
    # Any value inside a category's cell is that category.
    inside = np.array([[0.2, 0.01]])
    assert_allclose(gp.kernel(inside, A[:1], theta=theta), [[sf2]])


def test_matern52_derivative():
    r2 = np.linspace(0.0, 9.0, 50)
    k, dk = matern52(r2.copy())
    eps = 1e-6
    k_plus, _ = matern52(r2 + eps)
    assert_allclose(dk[1:], (k_plus[1:] - k[1:]) / eps, rtol=1e-4, atol=1e-8)
    assert k[0] == 1.0 and np.all(np.diff(k) < 0)
    # Without the derivative (kernel matrices, predictions without gradients),
    # the same correlations to the bit.
    k_only, none = matern52(r2.copy(), grad=False)
    assert none is None and np.array_equal(k_only, k)


@pytest.mark.parametrize("warp_inputs", [False, True])
@pytest.mark.parametrize("n_categories", [(0, 0, 0), (0, 0, 3, 0)])
@pytest.mark.parametrize("seed", [0, 1])
def test_log_marginal_likelihood_gradient(n_categories, seed, warp_inputs):
    Z, y, n_categories = _mixed_data(25, seed=seed, n_categories=n_categories)
    gp = GaussianProcess(n_categories, warp_inputs=warp_inputs)
    F = gp._features(Z, warp=False)
    theta = _random_theta(gp, seed)
    _, grad = gp.log_marginal_likelihood(theta, F, y)
    numeric = approx_fprime(
        theta, lambda t: gp.log_marginal_likelihood(t, F, y)[0], 1e-6
    )
    assert_allclose(grad, numeric, rtol=1e-4, atol=1e-4 * np.abs(numeric).max())


def test_log_prior_gradient():
    gp = GaussianProcess(np.zeros(3, dtype=int))
    theta = _random_theta(gp, 3)
    _, grad = gp._log_prior(theta)
    numeric = approx_fprime(theta, lambda t: gp._log_prior(t)[0], 1e-6)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_posterior_gradients_match_finite_differences():
    Z, y, n_categories = _mixed_data(30, seed=2)
    gp = GaussianProcess(n_categories).fit(Z, y)
    Zs, _, _ = _mixed_data(4, seed=3)
    mu, _var, dmu, dvar = gp.predict(Zs, return_grad=True)
    assert_allclose(gp.predict(Zs)[0], mu)
    for s in range(len(Zs)):
        for grad, out in ((dmu, 0), (dvar, 1)):
            numeric = approx_fprime(
                Zs[s], lambda z, out=out: gp.predict(z[None])[out][0], 1e-7
            )
            numeric[n_categories > 0] = 0.0  # categorical: fixed, no gradient
            assert_allclose(grad[s], numeric, rtol=1e-4, atol=1e-5)


def test_gp_interpolates_a_smooth_function():
    X = np.linspace(0, 1, 12)[:, None]
    f = lambda x: np.sin(6 * x[:, 0]) + x[:, 0]  # noqa: E731
    gp = GaussianProcess(np.array([0])).fit(X, f(X))
    grid = np.linspace(0, 1, 201)[:, None]
    mu, var = gp.predict(grid)
    assert np.max(np.abs(mu - f(grid))) < 0.05
    assert np.sqrt(var).max() < 0.1
    assert gp.noise_ < 1e-2  # noiseless data: far below the prior median e^-4


def test_noise_is_learned_on_noisy_data():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(80, 1))
    y = np.sin(6 * X[:, 0]) + 0.3 * rng.standard_normal(80)
    gp = GaussianProcess(np.array([0])).fit(X, y)
    assert 0.02 < gp.noise_ < 0.3  # true noise variance 0.09


def test_condition_on_matches_refactorisation():
    Z, y, n_categories = _mixed_data(20, seed=4)
    gp = GaussianProcess(n_categories).fit(Z, y)
    Zf, yf, _ = _mixed_data(3, seed=5)
    updated = gp.condition_on(Zf, yf)
    direct = GaussianProcess(n_categories)
    direct.theta = gp.theta
    direct.condition(np.vstack([Z, Zf]), np.r_[y, yf])
    Zs, _, _ = _mixed_data(10, seed=6)
    for a, b in zip(updated.predict(Zs), direct.predict(Zs)):
        assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    assert len(gp.Z_) == 20  # the original is untouched


def test_cholesky_jitter_handles_singular_matrices():
    v = np.random.RandomState(0).standard_normal((5, 1))
    K = v @ v.T  # rank one
    L, jitter = cholesky_jitter(K)
    assert jitter > 0
    assert_allclose(L @ L.T, K + jitter * np.eye(5), atol=1e-10)


def test_duplicated_points_and_constant_outputs_fit():
    Z = np.tile([[0.3, 0.7]], (6, 1))
    gp = GaussianProcess(np.zeros(2, dtype=int)).fit(Z, np.zeros(6))
    mu, var = gp.predict(np.array([[0.3, 0.7], [0.9, 0.1]]))
    assert np.all(np.isfinite(mu)) and np.all(var > 0)


def test_impute_failures_with_worst_loss():
    assert_allclose(impute_failures([1.0, np.nan, 3.0, np.nan]), [1, 3, 3, 3])
    assert impute_failures([np.nan, np.nan]) is None


def test_warp_outputs_is_monotone_and_standardised():
    y = np.random.RandomState(0).lognormal(sigma=2.0, size=50)
    w = warp_outputs(y)
    assert_allclose(w.mean(), 0, atol=1e-12)
    assert_allclose(w.std(), 1)
    assert np.array_equal(np.argsort(w), np.argsort(y))


def test_warp_outputs_keeps_outliers_from_flattening_the_bulk():
    rng = np.random.RandomState(0)
    y = np.r_[rng.uniform(size=30), 500.0, 8000.0]
    plain = (y - y.mean()) / y.std()
    w = warp_outputs(y)
    assert plain[:30].std() < 0.01
    assert w[:30].std() > 0.5  # the bulk keeps most of the unit scale
    assert w[31] >= w[30] > w[:30].max()


@pytest.mark.parametrize("y", [[2.0], [1.0, 1.0, 1.0], [0.0, 1.0]])
def test_warp_outputs_degenerate(y):
    w = warp_outputs(np.asarray(y))
    assert w.shape == (len(y),) and np.all(np.isfinite(w))


def test_log_ei_matches_naive_formula():
    z = np.linspace(-6, 6, 121)
    sigma = 0.7
    mu = 1.0 - z * sigma  # best = 1.0, so z = (best - mu) / sigma
    naive = sigma * (z * norm.cdf(z) + norm.pdf(z))
    value, d_mu, d_sigma = log_ei(mu, np.full_like(z, sigma), 1.0)
    assert_allclose(value, np.log(naive), rtol=1e-9, atol=1e-9)
    # Derivatives of EI: dEI/dmu = -Phi(z), dEI/dsigma = phi(z).
    assert_allclose(d_mu, -norm.cdf(z) / naive, rtol=1e-6)
    assert_allclose(d_sigma, norm.pdf(z) / naive, rtol=1e-6)


def test_log_ei_stays_finite_far_in_the_tail():
    z = -np.logspace(0, 12, 60)
    lh = log_h(z)
    assert np.all(np.isfinite(lh))
    assert np.all(np.diff(lh) < 0)  # still decreasing where naive EI is 0
    with np.errstate(divide="ignore"):
        assert np.log(z * norm.cdf(z) + norm.pdf(z))[-1] == -np.inf
    # Asymptotically h(z) ~ phi(z) / z^2 (Mills ratio).
    far = z[z < -1e3]
    assert_allclose(lh[z < -1e3], norm.logpdf(far) - 2 * np.log(-far), rtol=1e-6)
    # And it stays accurate across the branch points.
    for zc in (-1.0, -1.0 / math.sqrt(np.finfo(float).eps)):
        around = log_h(np.array([zc * (1 + 1e-9), zc, zc * (1 - 1e-9)]))
        assert np.ptp(around) < 1e-6 * abs(around[1])


def test_optimizers_never_import_sklearn():
    for path in Path(skhpo._optimizers.__path__[0]).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "sklearn" for n in names), path


def test_prediction_through_k_inverse_matches_the_triangular_solves():
    # Many points go through K^-1 (one matrix product), few through two
    # triangular solves (the polish); both give the same posterior.
    rng = np.random.RandomState(0)
    Z = rng.uniform(size=(40, 3))
    gp = GaussianProcess(np.zeros(3, dtype=int)).fit(Z, np.sin(5 * Z).sum(1))
    K = gp.kernel(Z, Z) + gp.noise_ * np.eye(40)
    np.testing.assert_allclose(gp.K_inv_ @ K, np.eye(40), atol=1e-8)
    Zs = rng.uniform(size=(200, 3))
    many = gp.predict(Zs, return_grad=True)
    few = [gp.predict(Zs[i : i + 2], return_grad=True) for i in range(0, 200, 2)]
    for k, name in enumerate(["mu", "var", "dmu", "dvar"]):
        one_by_one = np.concatenate([f[k] for f in few])
        np.testing.assert_allclose(
            many[k], one_by_one, rtol=1e-6, atol=1e-9, err_msg=name
        )
    # Without gradients, any number of points goes through one triangular solve
    # from the right (BLAS trsm): the same posterior again.
    for points in (Zs, Zs[:3]):
        mu, var = gp.predict(points)
        ref = gp.predict(points, return_grad=True)
        np.testing.assert_allclose(mu, ref[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(var, ref[1], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("n_categories", [(0, 0, 0), (0, 0, 3, 0), (2, 0, 4)])
def test_local_predictor_matches_predict(n_categories):
    # The polish's predictor holds the categorical coordinates of its start points
    # and moves the continuous ones: the same posterior and gradients as predict.
    Z, y, n_categories = _mixed_data(50, seed=4, n_categories=n_categories)
    gp = GaussianProcess(n_categories).fit(Z, y)
    Zs, _, _ = _mixed_data(5, seed=5, n_categories=n_categories)
    predict = gp.local_predictor(Zs)
    c = gp.continuous
    moved = Zs.copy()
    moved[:, c] = np.random.RandomState(6).uniform(size=(5, len(c)))
    for points in (Zs, moved):
        mu, var, dmu, dvar = predict(points[:, c])
        ref = gp.predict(points, return_grad=True)
        assert_allclose(mu, ref[0], rtol=1e-9, atol=1e-12)
        assert_allclose(var, ref[1], rtol=1e-9, atol=1e-12)
        assert_allclose(dmu, ref[2][:, c], rtol=1e-9, atol=1e-10)
        assert_allclose(dvar, ref[3][:, c], rtol=1e-9, atol=1e-10)


def test_log_h_fast_path_matches_the_branches():
    # Above z = -1 the direct formula is used for the whole array at once.
    z = np.linspace(-0.999, 5.0, 50)
    both = log_h(np.r_[z, -3.0])[:-1]  # forces the branch code
    assert_allclose(log_h(z), both, rtol=0, atol=0)


def test_log_ei_fast_path_matches_the_branches():
    # With every z above -1, log EI and its ratio Phi / h skip the log-space
    # branches; appending one z below -1 forces them.
    z = np.linspace(-0.999, 5.0, 50)
    sigma = np.linspace(0.1, 2.0, 50)
    mu = 1.0 - z * sigma
    fast = log_ei(mu, sigma, 1.0)
    slow = log_ei(np.r_[mu, 1.0 + 3.0], np.r_[sigma, 1.0], 1.0)
    for a, b in zip(fast, slow):
        assert_allclose(a, b[:-1], rtol=1e-13, atol=1e-15)


def test_kumaraswamy_derivatives_and_identity():
    x = np.linspace(0.0, 1.0, 41)[:, None]
    w, dw_dx, dw_dloga, dw_dlogb = kumaraswamy(x, np.array([1.0]), np.array([1.0]))
    assert_allclose(w[1:-1], x[1:-1])  # a = b = 1: the identity
    assert_allclose(dw_dx[1:-1], 1.0)
    a, b = np.array([0.4]), np.array([2.5])
    w, dw_dx, dw_dloga, dw_dlogb = kumaraswamy(x, a, b)
    assert np.all(np.diff(w[:, 0]) > 0) and np.all(np.isfinite(dw_dx))
    inner = x[1:-1]
    for k, f in enumerate(
        (
            lambda t: kumaraswamy(inner + t, a, b)[0],
            lambda t: kumaraswamy(inner, a * math.exp(t), b)[0],
            lambda t: kumaraswamy(inner, a, b * math.exp(t))[0],
        )
    ):
        numeric = (f(1e-7) - f(-1e-7)) / 2e-7
        analytic = (dw_dx, dw_dloga, dw_dlogb)[k][1:-1]
        assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("n_categories", [(0, 0, 0), (0, 0, 3, 0)])
def test_warped_posterior_gradients_match_finite_differences(n_categories):
    Z, y, n_categories = _mixed_data(30, seed=2, n_categories=n_categories)
    gp = _warped_gp(n_categories, Z, y, seed=5)
    Zs, _, _ = _mixed_data(4, seed=3, n_categories=n_categories)
    mu, _var, dmu, dvar = gp.predict(Zs, return_grad=True)
    for s in range(len(Zs)):
        for grad, out in ((dmu, 0), (dvar, 1)):
            numeric = approx_fprime(
                Zs[s], lambda z, out=out: gp.predict(z[None])[out][0], 1e-7
            )
            numeric[n_categories > 0] = 0.0
            assert_allclose(grad[s], numeric, rtol=1e-4, atol=1e-5)
    # The polish's predictor agrees.
    c = gp.continuous
    local = gp.local_predictor(Zs)(Zs[:, c])
    for k in range(2):
        assert_allclose(local[k], (mu, _var)[k], rtol=1e-9, atol=1e-12)
    assert_allclose(local[2], dmu[:, c], rtol=1e-9, atol=1e-10)
    assert_allclose(local[3], dvar[:, c], rtol=1e-9, atol=1e-10)


def test_input_warping_is_learned_where_the_function_needs_it():
    # A function that varies fast near 0 and is flat elsewhere: a stationary
    # kernel must pick one length scale for both; the warp stretches the start.
    rng = np.random.RandomState(0)
    Z = rng.uniform(size=(40, 1))
    y = np.sin(12.0 * np.sqrt(Z[:, 0]))
    plain = GaussianProcess(np.array([0])).fit(Z, y)
    warped = GaussianProcess(np.array([0]), warp_inputs=True).fit(
        Z, y, starts=[GaussianProcess(np.array([0]), warp_inputs=True).theta_prior_mode]
    )
    a, _ = warped._warp(warped.theta)
    assert a[0] < 0.8  # x^a with a < 1 stretches the region near 0
    Zt = np.linspace(0.0, 1.0, 200)[:, None]
    yt = np.sin(12.0 * np.sqrt(Zt[:, 0]))
    err_plain = np.mean((plain.predict(Zt)[0] - yt) ** 2)
    err_warped = np.mean((warped.predict(Zt)[0] - yt) ** 2)
    assert err_warped < err_plain
