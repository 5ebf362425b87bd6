# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of GaussianProcessBO: search quality, batches, mixed spaces, state."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import approx_fprime

from skhpo._optimizers.base import RandomSampler
from skhpo._optimizers.bayes import (
    _MAX_MODEL_POINTS,
    _N_LATEST,
    GaussianProcessBO,
    _acquisition,
    model_rows,
)
from skhpo._optimizers.gp import GaussianProcess

from ._functions import MINIMA, branin, hartmann6


def _run(optimizer, f, budget):
    """Ask/tell loop honouring next_batch_size, as the engine does."""
    while len(optimizer.y_) < budget:
        n = min(optimizer.next_batch_size(), budget - len(optimizer.y_))
        X = optimizer.ask(n)
        optimizer.tell(X, f(X))
    return optimizer


def _regret(optimizer, f):
    return np.nanmin(optimizer.y_) - MINIMA[f]


@pytest.mark.parametrize(
    "f, n_dims, budget", [(branin, 2, 40), (hartmann6, 6, 60)], ids=["branin", "h6"]
)
def test_beats_random_search(f, n_dims, budget):
    seeds = range(5)
    bo = [
        _regret(_run(GaussianProcessBO(n_dims, random_state=s), f, budget), f)
        for s in seeds
    ]
    rs = [
        _regret(_run(RandomSampler(n_dims, random_state=s), f, budget), f)
        for s in seeds
    ]
    assert np.median(bo) < np.median(rs) / 3, (bo, rs)


def test_default_initial_design_and_batch_sizes():
    opt = GaussianProcessBO(2, batch_size=4, random_state=0)
    assert opt.n_initial_points == 5
    assert GaussianProcessBO(4).n_initial_points == 8
    assert GaussianProcessBO(30).n_initial_points == 10
    assert opt.next_batch_size() == 5
    X = opt.ask(2)
    opt.tell(X, X.sum(1))
    assert opt.next_batch_size() == 3
    X = opt.ask(3)
    opt.tell(X, X.sum(1))
    assert opt.next_batch_size() == 4
    # The design is space filling: no two of its points are close.
    dist = np.linalg.norm(opt.X_[:, None] - opt.X_[None], axis=-1)
    assert dist[np.triu_indices(5, 1)].min() > 0.1


def test_told_points_never_asked_count_toward_the_design():
    opt = GaussianProcessBO(2, n_initial_points=6, random_state=0)
    X = np.random.RandomState(1).uniform(size=(4, 2))  # e.g. a resumed checkpoint
    opt.tell(X, branin(X))
    assert opt.next_batch_size() == 2
    opt.tell(opt.ask(2), branin(opt.X_[:2]))
    assert opt.next_batch_size() == 1
    assert opt._gp is not None  # the model is fitted on everything told


def test_asking_past_the_design_without_data():
    opt = GaussianProcessBO(3, n_initial_points=4, random_state=0)
    X = opt.ask(9)
    assert X.shape == (9, 3)
    assert len(np.unique(X, axis=0)) == 9


@pytest.mark.parametrize("batch_size", [2, 5])
def test_batch_asks_are_distinct_and_in_bounds(batch_size):
    opt = GaussianProcessBO(2, batch_size=batch_size, random_state=0)
    _run(opt, branin, 12)
    for _ in range(3):
        X = opt.ask(opt.next_batch_size())
        assert X.shape == (batch_size, 2)
        assert np.all((X >= 0) & (X <= 1))
        dist = np.linalg.norm(X[:, None] - X[None], axis=-1)
        assert dist[np.triu_indices(batch_size, 1)].min() > 1e-3
        opt.tell(X, branin(X))


def test_mixed_kinds_land_on_cell_centres():
    kinds = ["real", "integer", "categorical", "categorical"]
    n_choices = [0, 7, 3, 2]

    def f(U):
        i = np.floor(U[:, 1] * 7)
        c = np.floor(U[:, 2] * 3)
        return (
            (U[:, 0] - 0.3) ** 2 + 0.1 * (i - 4) ** 2 + (c != 1) + 0.2 * (U[:, 3] > 0.5)
        )

    opt = GaussianProcessBO(
        4, kinds=kinds, n_choices=n_choices, batch_size=2, random_state=0
    )
    _run(opt, f, 30)
    X = np.vstack([opt.X_, opt.ask(2)])
    for j, k in ((1, 7), (2, 3), (3, 2)):
        cells = X[:, j] * k - 0.5
        assert_allclose(cells, np.round(cells), atol=1e-9)
    assert np.min(opt.y_) < 0.05


def test_finds_the_best_category():
    offsets = np.array([0.5, 0.0, 0.8, 0.3])

    def f(U):
        c = np.minimum(np.floor(U[:, 2] * 4), 3).astype(int)
        return (U[:, 0] - 0.3) ** 2 + (U[:, 1] - 0.6) ** 2 + offsets[c]

    for seed in range(3):
        opt = GaussianProcessBO(
            3,
            kinds=["real", "real", "categorical"],
            n_choices=[0, 0, 4],
            random_state=seed,
        )
        _run(opt, f, 25)
        best = opt.X_[np.argmin(opt.y_)]
        assert int(best[2] * 4) == 1
        assert np.min(opt.y_) < 0.01


def test_no_duplicates_in_a_small_discrete_space():
    opt = GaussianProcessBO(
        2,
        kinds=["categorical", "integer"],
        n_choices=[2, 3],
        n_initial_points=2,
        random_state=0,
    )
    _run(opt, lambda U: U.sum(1), 6)
    assert len(np.unique(opt.X_, axis=0)) == 6  # every cell exactly once
    X = opt.ask(1)  # exhausted: still a valid proposal
    assert X.shape == (1, 2)


def test_same_random_state_gives_identical_asks():
    runs = [
        _run(GaussianProcessBO(3, batch_size=3, random_state=7), branin, 16)
        for _ in range(2)
    ]
    assert_array_equal(runs[0].X_, runs[1].X_)


def test_pickle_round_trip_mid_run_keeps_the_same_asks():
    f = lambda U: hartmann6(np.c_[U, U[:, :3]])  # noqa: E731
    opt = _run(GaussianProcessBO(3, batch_size=2, random_state=0), f, 12)
    clone = pickle.loads(pickle.dumps(opt))
    for _ in range(3):
        X, Xc = opt.ask(2), clone.ask(2)
        assert_array_equal(X, Xc)
        opt.tell(X, f(X))
        clone.tell(Xc, f(Xc))


def test_all_nan_history_still_proposes():
    opt = GaussianProcessBO(2, n_initial_points=3, random_state=0)
    for _ in range(3):
        X = opt.ask(opt.next_batch_size())
        opt.tell(X, np.full(len(X), np.nan))
    X = opt.ask(4)
    assert X.shape == (4, 2) and np.all((X >= 0) & (X <= 1))
    assert len(np.unique(np.vstack([opt.X_, X]), axis=0)) == len(opt.X_) + 4
    opt.tell(X, branin(X))  # the first finite losses switch the model on
    assert opt._gp is not None
    assert opt.ask(1).shape == (1, 2)


def test_failures_steer_the_search_away():
    def f(U):
        y = branin(U)
        y[U[:, 0] > 0.5] = np.nan  # half the space fails
        return y

    opt = _run(GaussianProcessBO(2, random_state=0), f, 30)
    after_design = opt.X_[opt.n_initial_points :]
    assert np.mean(after_design[:, 0] > 0.5) < 0.3
    assert np.nanmin(opt.y_) < MINIMA[branin] + 0.5


def test_acquisition_gradient_matches_finite_differences():
    rng = np.random.RandomState(0)
    Z = rng.uniform(size=(15, 3))
    Z[:, 2] = (np.floor(Z[:, 2] * 3) + 0.5) / 3
    y = np.sin(4 * Z[:, 0]) + Z[:, 1]
    gp = GaussianProcess(np.array([0, 0, 3])).fit(Z, y)
    best = gp.posterior_mean_train().min()
    Zs = rng.uniform(size=(3, 3))
    Zs[:, 2] = Z[:3, 2]
    a, grad = _acquisition(gp, Zs, best, grad=True)
    assert_allclose(_acquisition(gp, Zs, best), a)
    for s in range(3):
        numeric = approx_fprime(
            Zs[s], lambda z: _acquisition(gp, z[None], best)[0], 1e-7
        )
        assert_allclose(grad[s, :2], numeric[:2], rtol=1e-3, atol=1e-5)
        assert grad[s, 2] == 0.0


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_initial_points": 0}, "n_initial_points.*0"),
        ({"n_initial_points": 2.5}, "n_initial_points.*2.5"),
        ({"batch_size": 0}, "batch_size.*0"),
        ({"batch_size": -3}, "batch_size.*-3"),
        ({"batch_size": True}, "batch_size.*True"),
    ],
)
def test_bad_arguments_raise(params, match):
    with pytest.raises(ValueError, match=match):
        GaussianProcessBO(2, **params)


def test_polishing_leaves_irrelevant_coordinates_off_the_bounds():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(30, 2))
    opt = GaussianProcessBO(2, n_initial_points=1, random_state=0)
    opt.tell(X, (X[:, 0] - 0.3) ** 2)  # the second coordinate does not matter
    gp = opt._gp
    assert gp.theta[1] > gp.theta[0] + 1  # its length scale is much longer
    starts = np.array([[0.35, 0.4], [0.25, 0.7]])
    polished = opt._polish(gp, starts, opt._incumbent)
    assert_allclose(polished[:, 1], starts[:, 1])  # flat: kept where it started
    assert np.all(np.abs(polished[:, 0] - 0.3) < 0.1)


def test_pending_points_are_believed_and_avoided():
    # Kriging believer on the pending points: a proposal made while others run
    # goes elsewhere, and the initial design is told in full before the model asks.
    opt = GaussianProcessBO(2, n_initial_points=4, random_state=0)
    ids, X = opt.ask_ids(4)
    assert not opt.can_ask()
    opt.tell_ids(ids, [branin(x) for x in X])
    assert opt.can_ask()
    (first,), X1 = opt.ask_ids(1)
    (second,), X2 = opt.ask_ids(1)  # first still pending
    assert np.linalg.norm(X1 - X2) > 0.05
    opt.tell_ids([second], [branin(X2[0])])
    opt.tell_ids([first], [branin(X1[0])])
    assert len(opt.y_) == 6 and opt.pending().shape == (0, 2)


@pytest.mark.parametrize("seed", range(5))
def test_asynchronous_asks_still_beat_random_search(seed):
    # Four points always pending, results told in a shuffled order.
    rng = np.random.RandomState(seed)
    opt = GaussianProcessBO(2, random_state=seed)
    running = []
    best = np.inf
    for _ in range(30):
        while len(running) < 4 and opt.can_ask():
            ids, X = opt.ask_ids(1)
            running.append((ids[0], X[0]))
        i, x = running.pop(rng.randint(len(running)))
        loss = branin(x)
        best = min(best, loss)
        opt.tell_ids([i], [loss])
    random_best = [
        min(branin(x) for x in RandomSampler(2, random_state=s).ask(30))
        for s in range(21)
    ]
    assert best < np.median(random_best)


def test_model_rows_keep_the_best_the_latest_and_a_spread():
    rng = np.random.RandomState(0)
    assert model_rows(rng.uniform(size=_MAX_MODEL_POINTS)) is None
    y = rng.uniform(size=1000)
    rows = model_rows(y)
    assert len(rows) == _MAX_MODEL_POINTS and np.all(np.diff(rows) > 0)
    best = np.argsort(y)[: _MAX_MODEL_POINTS // 2]
    assert set(best) <= set(rows)
    assert set(range(1000 - _N_LATEST, 1000)) <= set(rows)
    # A fixed function of the data: the same rows again (a resumed search).
    assert_array_equal(model_rows(y), rows)


def test_a_long_run_models_a_bounded_subset_and_keeps_improving():
    # 400 observations: the GP conditions on 256 of them, with the best among
    # them, and its proposals still find Branin's minimum region.
    rng = np.random.RandomState(0)
    opt = GaussianProcessBO(2, random_state=0)
    X = rng.uniform(size=(400, 2))
    opt.tell(X, branin(X))
    assert opt._gp.Z_.shape == (_MAX_MODEL_POINTS, 2)
    assert opt._gp.posterior_mean_train().shape == (_MAX_MODEL_POINTS,)
    before = branin(X).min()
    proposals = opt.ask(5)
    opt.tell(proposals, branin(proposals))
    assert np.nanmin(opt.y_) <= before
    assert branin(proposals).min() < MINIMA[branin] + 1.0


def test_no_model_is_fitted_before_the_initial_design_is_told():
    opt = GaussianProcessBO(2, n_initial_points=5, random_state=0)
    for _ in range(4):
        ids, X = opt.ask_ids(1)
        opt.tell_ids(ids, branin(X))
        assert opt._gp is None  # a fit it would not use
    ids, X = opt.ask_ids(1)
    opt.tell_ids(ids, branin(X))
    assert opt._gp is not None and opt._gp.Z_.shape == (5, 2)
