# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Fold-level racing: losing candidates stop after their first folds, ties never."""

import json

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.model_selection import KFold
from sklearn.utils._param_validation import InvalidParameterError

from skhpo import BayesSearchCV, HyperbandSearchCV
from skhpo._racing import (
    check_racing,
    estimate,
    fill_unrun,
    is_worse,
    variance_prior,
    wave_ends,
)
from skhpo.space import Real
from skhpo.utils._testing import SEARCHES, QuadraticClassifier, make_search

CV = KFold(5)


def _search(SearchCV, estimator=None, **params):
    # noise > 0: the folds differ by a score offset every candidate shares, so a
    # worse candidate is worse by the same amount on every fold.
    estimator = QuadraticClassifier(noise=0.05) if estimator is None else estimator
    params = {"cv": CV, "racing": True, **params}
    if SearchCV is HyperbandSearchCV:
        # Racing compares candidates with the same resource on the same splits.
        params.setdefault("resource", "c")
        params.setdefault("min_resources", 1)
        params.setdefault("max_resources", 9)
        params.setdefault("n_iter", 24)
    else:
        params.setdefault("n_iter", 16)
    return make_search(SearchCV, estimator, **params)


def _close_params(a, b):
    """The same candidates, to rounding (an estimate is exact only to rounding)."""
    assert len(a) == len(b)
    for p, q in zip(a, b):
        assert p.keys() == q.keys()
        for key in p:
            assert p[key] == pytest.approx(q[key], rel=1e-9, abs=1e-12)


def _data():
    X = np.arange(200, dtype=float).reshape(-1, 2) / 7.0
    y = np.tile([0, 1], 50)
    return X, y


# -- the test and the waves -------------------------------------------------------
def test_wave_ends():
    assert wave_ends(2) == [2]
    assert wave_ends(3) == [2, 3]
    assert wave_ends(5) == [2, 4, 5]
    assert wave_ends(10) == [2, 4, 8, 10]
    assert wave_ends(16) == [2, 4, 8, 16]


def test_is_worse():
    rng = np.random.RandomState(0)
    folds = rng.uniform(0.6, 0.9, size=10)  # the folds' own difficulty
    # Worse by the same amount on every fold: no spread to test; on two folds
    # that is common between equal candidates scored in steps (1 / n_test), on
    # three or more it counts as worse.
    assert not is_worse(folds[:2] - 0.1, folds[:2], 0.05)
    assert is_worse(folds[:3] - 0.1, folds[:3], 0.05)
    # Clearly worse, with some spread: at two folds already.
    assert is_worse(folds[:2] - [0.3, 0.31], folds[:2], 0.05)
    assert not is_worse(folds[:2], folds[:2], 0.05)  # a tie
    assert not is_worse(folds[:4] - 1e-16, folds[:4], 0.05)  # a tie, to rounding
    assert not is_worse(folds[:4] + 0.1, folds[:4], 0.05)  # better
    assert not is_worse(folds[:1] - 0.5, folds[:1], 0.05)  # one fold: no test
    # Worse on average, but not consistently: not at two folds, yes at ten.
    noisy = folds - 0.02 + 0.03 * rng.standard_normal(10)
    assert not is_worse(noisy[:2], folds[:2], 0.05)
    assert is_worse(folds - 0.02 + 0.003 * rng.standard_normal(10), folds, 0.05)
    # A failed fold is no evidence either way.
    assert not is_worse([np.nan, 0.1], [0.9, 0.9], 0.05)


def test_a_prior_moderates_the_test_on_two_folds():
    reference = np.array([0.9, 0.7])
    # Worse by 0.006 with a spread the pooled variance (sd 0.003) calls large:
    # one degree of freedom cannot tell, fifty-one can.
    scores = reference - [0.010, 0.002]
    prior = (50.0, 1e-5)
    assert not is_worse(scores, reference, 0.05)
    assert is_worse(scores, reference, 0.05, prior)
    # Two equal differences: no spread of their own, but the prior's.
    assert is_worse(reference - 0.01, reference, 0.05, prior)
    assert not is_worse(reference - 0.001, reference, 0.05, prior)  # within noise
    # Ties and better candidates never stop, whatever the prior.
    assert not is_worse(reference, reference, 0.05, prior)
    assert not is_worse(reference + 0.01, reference, 0.05, prior)
    # A prior of no weight is the plain test.
    assert is_worse(scores, reference, 0.05, (0.0, 1.0)) == is_worse(
        scores, reference, 0.05
    )


def test_variance_prior():
    rng = np.random.RandomState(0)
    # Too few (positive) variances: no prior.
    assert variance_prior([1e-4, 2e-4, 0.0, 0.0], [4] * 4) is None
    # One true variance: the sample variances agree up to their chi-square
    # noise, so the prior is worth all their degrees of freedom.
    dfs = np.full(200, 4)
    agreeing = 1e-4 * rng.chisquare(4, 200) / 4
    d0, s0_squared = variance_prior(agreeing, dfs)
    assert d0 > 100
    assert s0_squared == pytest.approx(1e-4, rel=0.2)
    # True variances that differ widely from one comparison to the next: a weak
    # prior (few degrees of freedom), centred on their typical size.
    true = np.exp(rng.normal(np.log(1e-4), 1.5, 200))
    d0, s0_squared = variance_prior(true * rng.chisquare(4, 200) / 4, dfs)
    assert 0.5 < d0 < 5
    assert 1e-5 < s0_squared < 1e-3
    # Never worth more than the degrees of freedom it comes from.
    d0, _ = variance_prior(np.full(5, 1e-4), np.full(5, 1))
    assert d0 == 5


def test_the_prior_stops_worse_candidates_sooner(monkeypatch):
    # Noisy folds: differences with spread, so the plain test on two folds has
    # one degree of freedom; the moderated one pools the earlier comparisons.
    # Every decision of the search is checked against the plain test's.
    import skhpo._loop

    decisions = []

    def spy(scores, reference, alpha, prior=None):
        worse = is_worse(scores, reference, alpha, prior)
        decisions.append((worse, is_worse(scores, reference, alpha), prior))
        return worse

    monkeypatch.setattr(skhpo._loop, "is_worse", spy)
    X, y = _data()
    estimator = QuadraticClassifier(noise=0.05, interaction=0.05)
    _search(BayesSearchCV, estimator, n_iter=30, cv=KFold(10)).fit(X, y)
    moderated = [d for d in decisions if d[2] is not None]
    assert moderated, "no comparison had a prior"
    # Stopped by the moderated test where the plain one would have gone on.
    assert any(worse and not plain for worse, plain, _ in moderated)
    # Without a prior, the plain test decides.
    assert all(worse == plain for worse, plain, prior in decisions if prior is None)


def test_estimate_adds_the_paired_difference_to_the_reference_mean():
    reference = np.array([0.9, 0.7, 0.8, 0.6, 0.5])
    # 0.1 below the reference on its two folds: 0.1 below its mean.
    assert estimate([0.8, 0.6], reference) == pytest.approx(reference.mean() - 0.1)


@pytest.mark.parametrize("racing", [0, 0.5, 1.5, -0.1, "yes"])
def test_bad_racing_is_rejected(racing):
    with pytest.raises(ValueError, match="racing"):
        check_racing(racing)


@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize("racing", [0.7, "fast", -1])
def test_bad_racing_is_rejected_before_any_fit(SearchCV, racing):
    search = _search(SearchCV, racing=racing)
    with pytest.raises(InvalidParameterError, match="racing"):
        search.fit(*_data())
    assert not hasattr(search, "cv_results_")


def test_fill_unrun_leaves_complete_results_alone():
    fits = [{"test_scores": 1.0, "fit_time": 0.1, "score_time": 0.0}] * 4
    assert fill_unrun(fits, 2) == (fits, None)


# -- searches ---------------------------------------------------------------------
@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_worse_candidates_stop_after_two_folds(SearchCV):
    search = _search(SearchCV).fit(*_data())
    r = search.cv_results_
    n_run = r["n_splits_run"]
    raced = n_run < 5
    assert raced.any() and (~raced).any()
    # Here a worse candidate is worse on every fold by the same amount: with no
    # spread to test, two folds are not enough, the second wave (four) is.
    assert set(n_run[raced]) == {4}
    for k in range(5):
        column = r[f"split{k}_test_score"]
        assert np.isnan(column[raced]).all() == (k >= 4)
        assert np.isfinite(column[~raced]).all()
    # Means over the folds that ran; standard deviations too.
    splits = np.column_stack([r[f"split{k}_test_score"] for k in range(5)])
    np.testing.assert_allclose(r["mean_test_score"], np.nanmean(splits, axis=1))
    np.testing.assert_allclose(r["std_test_score"], np.nanstd(splits, axis=1))
    # Every raced-out candidate ranks below every fully evaluated one.
    assert r["rank_test_score"][raced].min() > r["rank_test_score"][~raced].max()
    assert n_run[search.best_index_] == 5
    best = r["mean_test_score"][~raced].max()
    assert search.best_score_ == best


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_ties_are_never_stopped(SearchCV):
    # Every candidate scores the same on every fold.
    search = _search(SearchCV, param_distributions={"c": Real(0.0, 1.0)})
    if SearchCV is HyperbandSearchCV:
        search.set_params(resource="a", param_distributions={"b": [0.7]})
    search.fit(*_data())
    assert (search.cv_results_["n_splits_run"] == 5).all()


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_no_racing_runs_every_fold(SearchCV):
    search = _search(SearchCV, racing=False).fit(*_data())
    r = search.cv_results_
    assert "n_splits_run" not in r
    for k in range(5):
        assert np.isfinite(r[f"split{k}_test_score"]).all()


@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize("interaction", [0.0, 0.05])
def test_racing_is_the_same_for_any_n_jobs(SearchCV, interaction):
    X, y = _data()
    estimator = QuadraticClassifier(noise=0.05, interaction=interaction)
    one = _search(SearchCV, estimator).fit(X, y).cv_results_
    with parallel_backend("threading", n_jobs=3):
        three = _search(SearchCV, estimator, n_jobs=3).fit(X, y).cv_results_
    assert one.keys() == three.keys()
    for key in one:
        if key.endswith("_time"):
            continue
        if key == "params":
            assert one[key] == three[key]
        else:
            np.testing.assert_array_equal(np.asarray(one[key]), np.asarray(three[key]))


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_racing_saves_fits(SearchCV):
    X, y = _data()
    raced = _search(SearchCV).fit(X, y).cv_results_
    full = _search(SearchCV, racing=False).fit(X, y).cv_results_
    n_candidates = len(raced["params"])
    assert raced["n_splits_run"].sum() < 5 * n_candidates
    if SearchCV is not HyperbandSearchCV:
        # The same candidates, as the optimizers are told the full-fold mean here.
        _close_params(raced["params"], full["params"])


def test_the_optimizer_learns_an_estimate_of_the_full_fold_score(monkeypatch):
    # Every fold is offset by a shared amount, so the estimate of a raced-out
    # candidate (the reference's mean plus the mean paired difference) is the
    # very mean it would have had on every fold.
    told = []
    make = BayesSearchCV._make_optimizer

    def spy(self, space, random_state):
        optimizer = make(self, space, random_state)
        tell_ids = optimizer.tell_ids

        def record(ids, y):
            told.extend(y)
            return tell_ids(ids, y)

        optimizer.tell_ids = record
        return optimizer

    monkeypatch.setattr(BayesSearchCV, "_make_optimizer", spy)
    X, y = _data()
    raced = _search(BayesSearchCV, refit=False).fit(X, y).cv_results_
    full = _search(BayesSearchCV, refit=False, racing=False).fit(X, y).cv_results_
    n = len(raced["params"])
    _close_params(raced["params"], full["params"])
    # Told by the raced search first, then by the one without racing.
    np.testing.assert_allclose(-np.array(told[:n]), full["mean_test_score"])
    np.testing.assert_allclose(-np.array(told[n:]), full["mean_test_score"])
    assert (raced["n_splits_run"] < 5).any()


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_multimetric_races_on_the_refit_metric(SearchCV):
    scoring = {"acc": "accuracy", "quad": lambda est, X, y: est.score(X, y)}
    search = _search(SearchCV, scoring=scoring, refit="quad").fit(*_data())
    r = search.cv_results_
    raced = r["n_splits_run"] < 5
    assert raced.any()
    assert r["rank_test_quad"][raced].min() > r["rank_test_quad"][~raced].max()
    for metric in ("acc", "quad"):
        assert np.isnan(r[f"split4_test_{metric}"][raced]).all()
    assert r["n_splits_run"][search.best_index_] == 5


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_a_refit_callable_sees_the_raced_rows(SearchCV):
    def best_full(results):
        full = np.flatnonzero(results["n_splits_run"] == 5)
        return int(full[np.argmax(results["mean_test_score"][full])])

    search = _search(SearchCV, refit=best_full).fit(*_data())
    assert search.cv_results_["n_splits_run"][search.best_index_] == 5
    assert hasattr(search, "best_estimator_")


def test_train_scores_and_times_of_unrun_folds_are_nan():
    search = _search(BayesSearchCV, return_train_score=True).fit(*_data())
    r = search.cv_results_
    raced = r["n_splits_run"] < 5
    assert np.isnan(r["split4_train_score"][raced]).all()
    assert np.isfinite(r["mean_train_score"]).all()
    assert np.isfinite(r["std_fit_time"]).all()


@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize("interaction", [0.0, 0.05])
def test_resume_in_the_middle_of_a_race(SearchCV, interaction, tmp_path):
    # Keep the first batch and, of the fits recorded one by one after it, only
    # those of the first waves (folds 0 and 1): the resumed search runs the
    # rest of each race and ends as the uninterrupted one did. With an
    # interaction the differences have spread, and the tests a prior: the
    # resumed search rebuilds it from the recorded fits.
    X, y = _data()
    path = tmp_path / "search.jsonl"
    estimator = QuadraticClassifier(noise=0.05, interaction=interaction)
    first = _search(SearchCV, estimator, checkpoint=path).fit(X, y)
    lines = path.read_bytes().split(b"\n")[:-1]
    header, rest = lines[0], lines[1:]
    batches = [line for line in rest if not line.startswith(b'{"fit"')]
    kept_keys = {json.dumps(k) for k in json.loads(batches[0])["keys"]}
    first_wave = [
        line
        for line in rest
        if line.startswith(b'{"fit"')
        and json.loads(line)["fit"][1] < 2
        and json.dumps(json.loads(line)["fit"][0]) not in kept_keys
    ]
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"\n".join([header, batches[0], *first_wave]) + b"\n")
    resumed = _search(SearchCV, estimator, checkpoint=cut).fit(X, y)
    a, b = first.cv_results_, resumed.cv_results_
    assert a.keys() == b.keys()
    for key in a:
        if key.endswith("_time"):
            continue
        if key == "params":
            assert a[key] == b[key]
        else:
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]))


def test_continuing_from_cv_results_keeps_the_raced_rows():
    X, y = _data()
    first = _search(BayesSearchCV, n_iter=10).fit(X, y)
    more = _search(BayesSearchCV, n_iter=14, initial_params=first.cv_results_)
    r = more.fit(X, y).cv_results_
    # Its first rows are the earlier search's, raced-out rows included.
    for key in ("n_splits_run", "mean_test_score"):
        np.testing.assert_array_equal(r[key][:10], first.cv_results_[key])
    assert (r["n_splits_run"][:10] < 5).any()
    np.testing.assert_array_equal(
        np.isnan(r["split4_test_score"][:10]),
        np.isnan(first.cv_results_["split4_test_score"]),
    )


def test_hyperband_races_on_the_subsamples_of_a_rung():
    # With resource="n_samples" every candidate of a rung is scored on the same
    # subsampled splits: it is raced against the best one with that resource.
    search = _search(HyperbandSearchCV, resource="n_samples", min_resources=30)
    search.set_params(max_resources="auto")
    r = search.fit(*_data()).cv_results_
    raced = r["n_splits_run"] < 5
    assert raced.any()
    # Each raced-out trial had a reference with the same resource, and every
    # trial with the largest resource that ran every fold can be the best.
    assert r["n_splits_run"][search.best_index_] == 5
    assert r["n_resources"][search.best_index_] == r["n_resources"].max()


class NoisyQuadratic(QuadraticClassifier):
    """Every candidate has its own small score noise on every fold."""

    def score(self, X, y, sample_weight=None):
        value = super().score(X, y, sample_weight)
        seed = hash((round(self.a, 12), round(self.b, 12), float(X[0, 0]))) % 2**31
        return value + 0.01 * np.random.RandomState(seed).standard_normal()


class FoldEasyQuadratic(NoisyQuadratic):
    """Folds 0 and 1 are easy: they score 0.3 more for every candidate."""

    def score(self, X, y, sample_weight=None):
        value = super().score(X, y, sample_weight)
        return value + (0.3 if np.asarray(X, dtype=float).min() < 80 / 7 else 0.0)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_a_raced_out_candidate_on_easy_folds_is_never_best(SearchCV):
    # Its mean over the two easy folds it ran is above every full-fold mean;
    # still the best is a candidate that ran every fold.
    search = _search(SearchCV, FoldEasyQuadratic(), n_iter=32).fit(*_data())
    r = search.cv_results_
    raced = r["n_splits_run"] == 2
    means = r["mean_test_score"]
    full = r["n_splits_run"] == 5
    if SearchCV is HyperbandSearchCV:
        top = r["n_resources"] == r["n_resources"].max()
        raced, full = raced & top, full & top
    assert means[raced].max() > means[full].max()  # the trap is set
    assert r["n_splits_run"][search.best_index_] == 5
    assert search.best_score_ == means[full].max()


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_noisy_clearly_worse_candidates_stop_after_two_folds(SearchCV):
    search = _search(SearchCV, NoisyQuadratic(noise=0.05)).fit(*_data())
    n_run = search.cv_results_["n_splits_run"]
    assert (n_run == 2).any()
    assert n_run[search.best_index_] == 5


def test_a_failing_candidate_stops_and_ranks_below_raced_ones():
    # error_score=0: a failed candidate has a finite mean, and still ranks below
    # every candidate that did not fail.
    estimator = QuadraticClassifier(noise=0.05, fail_when=lambda est: est.a > 0.8)
    search = _search(BayesSearchCV, estimator, error_score=0.0, n_iter=20)
    search.fit(*_data())
    r = search.cv_results_
    failed = np.array([p["a"] > 0.8 for p in r["params"]])
    assert failed.any() and (r["n_splits_run"] < 5).any()
    assert r["rank_test_score"][failed].min() > r["rank_test_score"][~failed].max()
    # With a reference to race against, a failure stops after its first wave.
    assert (r["n_splits_run"][failed] == 2).any()


def test_continuing_tells_the_raced_rows_their_estimates(monkeypatch):
    # The estimates told for an earlier search's raced-out rows, read back
    # through initial_params, are those of full-fold means (here exact).
    told = {}
    make = BayesSearchCV._make_optimizer

    def spy(self, space, random_state):
        optimizer = make(self, space, random_state)
        tell = optimizer.tell

        def record(X, y):
            told.setdefault(id(self), []).extend(np.ravel(y))
            return tell(X, y)

        optimizer.tell = record
        return optimizer

    monkeypatch.setattr(BayesSearchCV, "_make_optimizer", spy)
    X, y = _data()
    first = _search(BayesSearchCV, n_iter=10, refit=False).fit(X, y)
    full = _search(BayesSearchCV, n_iter=10, refit=False, racing=False).fit(X, y)
    more = _search(BayesSearchCV, n_iter=12, initial_params=first.cv_results_)
    more.set_params(refit=False).fit(X, y)
    assert (first.cv_results_["n_splits_run"] < 5).any()
    np.testing.assert_allclose(
        -np.array(told[id(more)][:10]), full.cv_results_["mean_test_score"]
    )
