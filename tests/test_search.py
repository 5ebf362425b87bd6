# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Behaviour every skhpo search shares, parametrized over all the search classes."""

import pickle
import re
import time
import warnings
from collections import defaultdict

import numpy as np
import pytest
import scipy.stats
import sklearn
from joblib import parallel_backend
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    RandomizedSearchCV,
    ShuffleSplit,
    cross_val_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import check_param_validation

from skhpo import BayesSearchCV, HyperbandSearchCV
from skhpo.space import Categorical, Integer, Real, SearchSpace
from skhpo.utils._testing import (
    SEARCHES,
    FailFirstFits,
    FitCounter,
    JitteryQuadratic,
    QuadraticClassifier,
    always,
    fails_above_half,
    first_batch_size,
    make_search,
)

MIXED_SPACE = {
    "a": Real(0.0, 1.0),
    "c": Integer(1, 5),
    "d": ["x", None, ("tuple",)],
    "b": scipy.stats.uniform(0, 1),
}


def _full_budget(results):
    """Mask of the candidates evaluated with the largest budget."""
    if "n_resources" not in results:
        return np.ones(len(results["params"]), dtype=bool)
    budgets = np.asarray(results["n_resources"])
    return budgets == budgets.max()


def _params_equal(left, right):
    return len(left) == len(right) and all(
        list(p) == list(q) and all(p[k] == q[k] for k in p) for p, q in zip(left, right)
    )


# -- reproducibility and parallelism --------------------------------------------------
@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_cv_results_do_not_depend_on_n_jobs(SearchCV, small_data):
    serial, parallel = (
        make_search(SearchCV, param_distributions=MIXED_SPACE, n_jobs=n).fit(
            *small_data
        )
        for n in (1, 2)
    )
    assert _params_equal(serial.cv_results_["params"], parallel.cv_results_["params"])
    assert_allclose(
        serial.cv_results_["mean_test_score"], parallel.cv_results_["mean_test_score"]
    )


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_threading_backend_gives_the_same_results(SearchCV, small_data):
    serial = make_search(SearchCV).fit(*small_data)
    with parallel_backend("threading", n_jobs=2):
        threaded = make_search(SearchCV).fit(*small_data)
    assert _params_equal(serial.cv_results_["params"], threaded.cv_results_["params"])


@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize("max_pending", [0, 3])
def test_results_do_not_depend_on_the_order_fits_finish(
    SearchCV, max_pending, small_data
):
    # Fits of random length finish out of order on 2 workers (processes and
    # threads); the reproducible scheduling tells results in proposal order.
    def search():
        return make_search(
            SearchCV, JitteryQuadratic(noise=0.1), max_pending=max_pending
        )

    serial = search().fit(*small_data)
    parallel = search().set_params(n_jobs=2).fit(*small_data)
    with parallel_backend("threading", n_jobs=2):
        threaded = search().fit(*small_data)
    for other in (parallel, threaded):
        assert _params_equal(serial.cv_results_["params"], other.cv_results_["params"])
        assert_allclose(
            serial.cv_results_["mean_test_score"], other.cv_results_["mean_test_score"]
        )


def test_max_pending_changes_what_bayes_proposals_know(small_data):
    # The generation-based strategies wait for whole generations anyway; a
    # Gaussian process proposes while up to max_pending candidates are pending.
    runs = [
        make_search(BayesSearchCV, n_iter=12, max_pending=k).fit(*small_data)
        for k in (0, 6)
    ]
    params = [run.cv_results_["params"] for run in runs]
    assert _params_equal(params[0][:3], params[1][:3])  # the initial design
    assert not _params_equal(params[0], params[1])


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_asynchronous_scheduling_evaluates_the_budget(SearchCV, small_data):
    with parallel_backend("threading", n_jobs=2):
        search = make_search(
            SearchCV, JitteryQuadratic(noise=0.1), scheduling="asynchronous"
        ).fit(*small_data)
    reference = make_search(SearchCV).fit(*small_data)
    results = search.cv_results_
    if SearchCV is HyperbandSearchCV:
        # The same new candidates; ASHA may promote a few more than planned.
        iters = [np.asarray(r["iter"]) for r in (results, reference.cv_results_)]
        assert np.sum(iters[0] == 0) == np.sum(iters[1] == 0)
        assert len(iters[0]) >= len(iters[1])
    else:
        assert len(results["params"]) == len(reference.cv_results_["params"])
        keys = {tuple(sorted(p.items())) for p in results["params"]}
        assert len(keys) == len(results["params"])  # no candidate twice
    assert np.all(np.isfinite(results["mean_test_score"]))
    assert search.best_score_ == np.max(results["mean_test_score"][_top_rows(search)])


def _top_rows(search):
    """Rows best_* may come from: Hyperband's largest budget, else all."""
    results = search.cv_results_
    if "n_resources" not in results:
        return slice(None)
    n = np.asarray(results["n_resources"])
    return n == n.max()


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_random_state_controls_the_search(SearchCV, small_data):
    first, again, other = (
        make_search(SearchCV, random_state=seed).fit(*small_data) for seed in (0, 0, 1)
    )
    assert _params_equal(first.cv_results_["params"], again.cv_results_["params"])
    assert not _params_equal(first.cv_results_["params"], other.cv_results_["params"])


# -- the fitted search behaves as BaseSearchCV's ---------------------------------------
@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_fitted_attributes_and_delegation(SearchCV, small_data):
    X, y = small_data
    search = make_search(
        SearchCV, LogisticRegression(), {"C": Real(1e-2, 1e2, prior="log-uniform")}
    ).fit(X, y)
    n = len(search.cv_results_["params"])
    for key in ("mean_test_score", "std_test_score", "rank_test_score", "iter"):
        assert len(search.cv_results_[key]) == n
    assert "param_C" in search.cv_results_
    assert search.n_splits_ == 2
    assert search.refit_time_ >= 0
    assert search.best_index_ == np.argmin(search.cv_results_["rank_test_score"])
    assert (
        search.best_score_ == search.cv_results_["mean_test_score"][search.best_index_]
    )
    assert search.best_params_ == search.cv_results_["params"][search.best_index_]
    assert_allclose(search.classes_, [0, 1])
    assert search.n_features_in_ == X.shape[1]
    best = search.best_estimator_
    assert_allclose(search.predict(X), best.predict(X))
    assert_allclose(search.predict_proba(X), best.predict_proba(X))
    assert_allclose(search.predict_log_proba(X), best.predict_log_proba(X))
    assert_allclose(search.decision_function(X), best.decision_function(X))
    assert search.score(X, y) == best.score(X, y)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_transform_delegation_and_feature_names(SearchCV):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"u": np.arange(20.0), "v": np.arange(20.0) ** 2})
    pipe = Pipeline([("scale", StandardScaler()), ("clf", QuadraticClassifier())])
    y = np.tile([0, 1], 10)
    search = make_search(SearchCV, pipe, {"clf__a": Real(0, 1)}).fit(X, y)
    assert list(search.feature_names_in_) == ["u", "v"]
    pre = make_search(SearchCV, StandardScaler(), {"with_mean": [True, False]})
    pre.set_params(
        scoring=lambda est, X, y=None: -float(np.abs(est.transform(X)).sum())
    )
    pre.fit(X)
    assert_allclose(pre.inverse_transform(pre.transform(X)), X)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_iter_column_counts_batches(SearchCV, small_data):
    results = make_search(SearchCV).fit(*small_data).cv_results_
    iters = np.asarray(results["iter"])
    assert iters[0] == 0 and iters.dtype.kind == "i"
    if "bracket" not in results:  # batches come in order
        assert np.all(np.diff(iters) >= 0)
        return
    # Hyperband's iter is the rung: a candidate's rows come rung after rung
    rows = defaultdict(list)
    for k, params in enumerate(results["params"]):
        rows[(results["bracket"][k], repr(params))].append(iters[k])
    for rungs in rows.values():
        assert rungs == list(range(len(rungs)))


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_candidates_lie_in_their_space_with_their_types(SearchCV, small_data):
    choices = MIXED_SPACE["d"]
    search = make_search(SearchCV, param_distributions=MIXED_SPACE).fit(*small_data)
    for params in search.cv_results_["params"]:
        assert list(params) == ["a", "c", "d", "b"]
        assert type(params["a"]) is float and 0 <= params["a"] <= 1
        assert type(params["c"]) is int and 1 <= params["c"] <= 5
        assert any(params["d"] is choice for choice in choices)
        assert type(params["b"]) is float and 0 <= params["b"] <= 1


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_conditional_space_gives_one_dict_per_candidate(SearchCV, small_data):
    space = [
        {"c": Integer(1, 3), "d": ["x"]},
        {"a": Real(0.0, 1.0), "d": ["y", "z"]},
    ]
    search = make_search(SearchCV, param_distributions=space, n_iter=10)
    search.fit(*small_data)
    for params in search.cv_results_["params"]:
        assert set(params) in ({"c", "d"}, {"a", "d"})
        assert (params["d"] == "x") == ("c" in params)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_no_budget_is_spent_on_duplicates(SearchCV, small_data):
    # Finite but not a grid (the log-uniform integers have unequal cells): the
    # strategy proposes, the engine removes the repeats.
    space = {"c": Integer(1, 3, prior="log-uniform"), "d": Categorical(["x", "y"])}
    search = make_search(SearchCV, param_distributions=space, n_iter=10)
    with pytest.warns(UserWarning, match="no candidate that was not evaluated"):
        search.fit(*small_data)
    results = search.cv_results_
    budgets = results.get("n_resources", np.zeros(len(results["params"])))
    seen = [(p["c"], p["d"], r) for p, r in zip(results["params"], budgets)]
    assert len(seen) == len(set(seen))  # no candidate twice on the same budget
    assert {(c, d) for c, d, _ in seen} == {(c, d) for c in (1, 2, 3) for d in "xy"}


@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize(
    "cv", [KFold(3, shuffle=True), ShuffleSplit(3, test_size=0.3)], ids=repr
)
def test_every_candidate_sees_the_same_splits(SearchCV, cv, index_data):
    class TestRowsScore(QuadraticClassifier):
        def score(self, X, y, sample_weight=None):
            return float(X.sum())  # identifies the test rows of the split

    search = make_search(SearchCV, TestRowsScore(), cv=cv).fit(*index_data)
    for i in range(3):
        assert len(np.unique(search.cv_results_[f"split{i}_test_score"])) == 1


# -- scoring -----------------------------------------------------------------------
@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize("refit", ["neg_log_loss", False, "callable"])
def test_multimetric_scoring(SearchCV, refit, small_data):
    scoring = {"accuracy": "accuracy", "neg_log_loss": "neg_log_loss"}
    if refit == "callable":
        refit = lambda results: int(np.argmax(results["mean_test_accuracy"]))  # noqa: E731
    search = make_search(
        SearchCV,
        LogisticRegression(),
        {"C": Real(1e-3, 1e2, prior="log-uniform")},
        scoring=scoring,
        refit=refit,
    ).fit(*small_data)
    assert search.multimetric_
    for name in scoring:
        assert f"mean_test_{name}" in search.cv_results_
    if refit == "neg_log_loss":
        results = search.cv_results_
        assert search.best_index_ == np.argmax(results["mean_test_neg_log_loss"])
        assert search.best_score_ == max(results["mean_test_neg_log_loss"])
    elif refit is False:
        assert not hasattr(search, "best_estimator_")


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_search_finds_the_optimum_region(SearchCV, small_data):
    search = make_search(SearchCV, n_iter=20).fit(*small_data)
    assert search.best_score_ > 0.97  # 1 is the optimum, ~0.84 the mean at random


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_return_train_score(SearchCV, small_data):
    search = make_search(SearchCV, return_train_score=True).fit(*small_data)
    assert "mean_train_score" in search.cv_results_


# -- composition --------------------------------------------------------------------
@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_clone_get_params_and_pickle(SearchCV, small_data):
    search = make_search(SearchCV, n_jobs=1)
    params = search.get_params()
    assert clone(search).get_params().keys() == params.keys()
    assert params["random_state"] == 0
    search.fit(*small_data)
    restored = pickle.loads(pickle.dumps(search))
    assert_allclose(restored.predict(small_data[0]), search.predict(small_data[0]))


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_in_pipeline_and_nested_cross_validation(SearchCV, small_data):
    X, y = small_data
    inner = make_search(SearchCV, SVC(), {"C": Real(1e-1, 1e1, prior="log-uniform")})
    pipe = Pipeline([("scale", StandardScaler()), ("search", inner)])
    scores = cross_val_score(pipe, X, y, cv=2)
    assert scores.shape == (2,) and np.all(np.isfinite(scores))
    outer = make_search(
        SearchCV,
        Pipeline([("scale", StandardScaler()), ("svc", SVC())]),
        {"svc__C": Real(1e-1, 1e1, prior="log-uniform"), "scale": [StandardScaler()]},
    ).fit(X, y)
    assert set(outer.best_params_) == {"svc__C", "scale"}


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_estimator_valued_choices_open_their_parameters(SearchCV, small_data):
    pipe = Pipeline([("clf", SVC())])
    space = [
        {"clf": [LogisticRegression()], "clf__C": Real(0.1, 10)},
        {"clf": [QuadraticClassifier()], "clf__a": Real(0.0, 1.0)},
    ]
    search = make_search(SearchCV, pipe, space).fit(*small_data)
    assert {type(p["clf"]) for p in search.cv_results_["params"]} <= {
        LogisticRegression,
        QuadraticClassifier,
    }


def test_same_results_as_grid_search_on_the_same_candidates(small_data):
    """The plug-in test: skhpo's engine and GridSearchCV agree key by key."""
    X, y = small_data
    search = make_search(
        SEARCHES[0],
        LogisticRegression(),
        {"C": Real(1e-2, 1e2, prior="log-uniform"), "fit_intercept": [True, False]},
        return_train_score=True,
    ).fit(X, y)
    grid = GridSearchCV(
        LogisticRegression(),
        [{k: [v] for k, v in p.items()} for p in search.cv_results_["params"]],
        cv=2,
        return_train_score=True,
    ).fit(X, y)
    ours, theirs = search.cv_results_, grid.cv_results_
    assert set(ours) - set(theirs) == {"iter"}
    for key in theirs:
        if key.endswith("_time"):
            continue
        if key.startswith("param") or key == "params":
            assert list(ours[key]) == list(theirs[key]), key
        else:
            assert_allclose(ours[key], theirs[key], err_msg=key)
    assert search.best_params_ == grid.best_params_


# -- metadata: groups, sample_weight, routing ----------------------------------------
@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize("routing", [False, True])
def test_groups_and_sample_weight_are_routed(SearchCV, routing, small_data):
    X, y = small_data
    groups = np.repeat(np.arange(8), 10)
    sample_weight = np.linspace(0.5, 1.5, len(y))
    space = {"C": Real(1e-2, 1e2, prior="log-uniform")}
    with sklearn.config_context(enable_metadata_routing=routing):
        estimator = LogisticRegression()
        if routing:
            estimator.set_fit_request(sample_weight=True)
            estimator.set_score_request(sample_weight=False)
        ours = make_search(SearchCV, estimator, space, cv=GroupKFold(2))
        ours.fit(X, y, groups=groups, sample_weight=sample_weight)
        reference = GridSearchCV(
            estimator,
            [{k: [v] for k, v in p.items()} for p in ours.cv_results_["params"]],
            cv=GroupKFold(2),
        ).fit(X, y, groups=groups, sample_weight=sample_weight)
    # candidates trained on all the training rows of each split (Hyperband's other
    # budgets are subsamples) must score exactly as GridSearchCV scores them
    full = _full_budget(ours.cv_results_)
    assert_allclose(
        ours.cv_results_["mean_test_score"][full],
        reference.cv_results_["mean_test_score"][full],
    )


# -- failures -----------------------------------------------------------------------
@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_failed_fits_are_recorded_and_avoided(SearchCV, small_data):
    estimator = QuadraticClassifier(fail_when=fails_above_half)
    search = make_search(SearchCV, estimator, n_iter=16)
    with pytest.warns(FitFailedWarning):
        search.fit(*small_data)
    scores = search.cv_results_["mean_test_score"]
    a = np.array([p["a"] for p in search.cv_results_["params"]])
    assert np.all(np.isnan(scores[a > 0.5])) and np.all(np.isfinite(scores[a <= 0.5]))
    assert search.best_params_["a"] <= 0.5
    later = a[len(a) // 2 :]
    assert np.mean(later > 0.5) < 0.5  # the strategy learned to avoid the region


class NaNAboveHalf(QuadraticClassifier):
    """Fits fine, but scores NaN where ``a > 0.5`` (a diverged model, say)."""

    def score(self, X, y, sample_weight=None):
        return np.nan if self.a > 0.5 else super().score(X, y, sample_weight)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_nan_scores_are_recorded_and_avoided(SearchCV, small_data):
    search = make_search(SearchCV, NaNAboveHalf(), n_iter=16)
    # scikit-learn's warning, and only it (filters written for it must match).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(*small_data)
    messages = [str(w.message) for w in caught if w.category is UserWarning]
    assert len(messages) == 1
    assert messages[0].startswith("One or more of the test scores are non-finite")
    scores = search.cv_results_["mean_test_score"]
    a = np.array([p["a"] for p in search.cv_results_["params"]])
    assert np.all(np.isnan(scores[a > 0.5])) and np.all(np.isfinite(scores[a <= 0.5]))
    assert search.best_params_["a"] <= 0.5
    assert np.mean(a[len(a) // 2 :] > 0.5) < 0.5


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_a_batch_of_failures_does_not_abort_the_search(SearchCV, small_data):
    search = make_search(SearchCV, FailFirstFits(), n_jobs=1)
    # every fit of the first batch fails
    FailFirstFits.n_failures = 2 * first_batch_size(search, *small_data)
    # scikit-learn's own warning, counted over the whole search
    with pytest.warns(FitFailedWarning, match=r"fits failed out of a total of"):
        search.fit(*small_data)
    scores = search.cv_results_["mean_test_score"]
    assert np.isnan(scores[0]) and np.isfinite(scores[-1])
    assert np.isfinite(search.best_score_)
    unfailing = make_search(SearchCV, QuadraticClassifier(), n_jobs=1).fit(*small_data)
    assert len(scores) == len(unfailing.cv_results_["params"])  # nothing was lost


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_numeric_error_score_is_recorded(SearchCV, small_data):
    estimator = QuadraticClassifier(fail_when=fails_above_half)
    search = make_search(SearchCV, estimator, n_iter=8, error_score=-1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search.fit(*small_data)
    a = np.array([p["a"] for p in search.cv_results_["params"]])
    assert_allclose(search.cv_results_["mean_test_score"][a > 0.5], -1.0)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_all_candidates_failing_is_a_clear_error(SearchCV, small_data):
    search = make_search(SearchCV, QuadraticClassifier(fail_when=always))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        # scikit-learn's own error, raised once every fit of the search failed
        with pytest.raises(ValueError, match=r"All the \d+ fits failed"):
            search.fit(*small_data)


class AlwaysNaN(QuadraticClassifier):
    def score(self, X, y, sample_weight=None):
        return np.nan


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_all_scores_non_finite_is_a_clear_error(SearchCV, small_data):
    search = make_search(SearchCV, AlwaysNaN())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError, match=r"All the \d+ candidates failed"):
            search.fit(*small_data)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_error_score_raise_propagates(SearchCV, small_data):
    search = make_search(
        SearchCV, QuadraticClassifier(fail_when=always), error_score="raise"
    )
    with pytest.raises(ValueError, match="fails here on purpose"):
        search.fit(*small_data)


# -- stopping rules -------------------------------------------------------------------
@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_max_time_stops_starting_batches(SearchCV, small_data):
    class Slow(QuadraticClassifier):
        def fit(self, X, y, sample_weight=None):
            time.sleep(0.02)
            return super().fit(X, y)

    search = make_search(SearchCV, Slow(), n_iter=50, max_time=0.1).fit(*small_data)
    assert 1 <= len(search.cv_results_["params"]) < 50


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_max_time_starts_no_fit_after_it(SearchCV, small_data):
    # Not even the rest of a batch or generation (API.md): past max_time, only
    # the fit already handed to the worker may start.
    starts = []

    class Slow(QuadraticClassifier):
        def fit(self, X, y, sample_weight=None):
            starts.append(time.monotonic())
            time.sleep(0.1)
            return super().fit(X, y)

    search = make_search(SearchCV, Slow(), n_iter=50, max_time=0.5)
    t0 = time.monotonic()
    search.set_params(refit=False).fit(*small_data)
    first_batch = search.cv_results_["iter"] == 0
    if not np.all(first_batch):  # the first batch always runs whole
        assert max(starts) - t0 < 0.5 + 0.25  # a generation would be 0.8 s


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_n_iter_no_change_stops_a_flat_search(SearchCV, small_data):
    # the score does not depend on b: nothing ever improves on the first candidate
    # (Hyperband watches only its full-budget candidates: a few per bracket)
    n_iter = 80 if SearchCV is HyperbandSearchCV else 40
    stopped, full = (
        make_search(
            SearchCV, FitCounter(), {"b": Real(0, 1)}, n_iter=n_iter, n_iter_no_change=n
        ).fit(*small_data)
        for n in (5, None)
    )
    assert len(stopped.cv_results_["params"]) < len(full.cv_results_["params"])


# -- bad input: a clear error before any fit ------------------------------------------
BAD_SPACES = [
    ({}, ValueError, "param_distributions"),
    ([], ValueError, "param_distributions"),
    ({"a": Real(1.0, 0.0)}, ValueError, r"\['a'\]"),
    ({"a": Real(0.0, 1.0, prior="log-uniform")}, ValueError, r"\['a'\]"),
    ({"a": Integer(5, 1)}, ValueError, r"\['a'\]"),
    ({"a": Real(0.0, 1.0, prior="normal")}, ValueError, r"\['a'\].*prior"),
    ({"a": []}, ValueError, r"\['a'\]"),
    ({"a": "abc"}, TypeError, r"\['a'\]"),
    ({"a": 3.0}, TypeError, r"\['a'\]"),
    ([{"a": [1]}, {"b": Real(2, 1)}], ValueError, r"\[1\]\['b'\]"),
    ({"zz": [1, 2]}, ValueError, "'zz' is not a parameter of FitCounter"),
]


@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize("space, error, match", BAD_SPACES)
def test_bad_space_raises_before_any_fit(SearchCV, space, error, match, small_data):
    FitCounter.n_fits = 0
    search = make_search(SearchCV, FitCounter(), space, n_jobs=1)
    with pytest.raises(error, match=match):
        search.fit(*small_data)
    assert FitCounter.n_fits == 0


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_unknown_pipeline_parameter_suggests_close_names(SearchCV, small_data):
    pipe = Pipeline([("scale", StandardScaler()), ("clf", SVC())])
    search = make_search(SearchCV, pipe, {"clf__CC": Real(0.1, 1)})
    with pytest.raises(ValueError, match=re.escape("Did you mean 'clf__C'")):
        search.fit(*small_data)


@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize(
    "params",
    [{"max_time": -1.0}, {"n_iter_no_change": 0}, {"random_state": "seed"}],
    ids=str,
)
def test_bad_shared_parameters_raise_before_any_fit(SearchCV, params, small_data):
    FitCounter.n_fits = 0
    search = make_search(SearchCV, FitCounter(), {"a": Real(0, 1)}, n_jobs=1, **params)
    with pytest.raises(ValueError, match=next(iter(params))):
        search.fit(*small_data)
    assert FitCounter.n_fits == 0


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_parameter_constraints_match_the_signature(SearchCV):
    check_param_validation(SearchCV.__name__, make_search(SearchCV))


# -- scikit-learn's callback API, where the installed version has it ----------------
class _TaskRecorder:
    """Records the names of the tasks a search opens (a FitCallback)."""

    def __init__(self):
        self.tasks = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        self.tasks.append(context.task_name)

    def on_fit_task_end(self, estimator, context, **kwargs):
        pass


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_callbacks_see_scikit_learns_task_tree(SearchCV, small_data):
    # As RandomizedSearchCV: fit -> search -> one task per (candidate, split),
    # then the refit. No level of skhpo's own comes between.
    pytest.importorskip("sklearn.callback")
    recorder = _TaskRecorder()
    search = make_search(SearchCV, LogisticRegression(), {"C": Real(0.1, 10)})
    search.set_callbacks(recorder).fit(*small_data)
    n_fits = len(search.cv_results_["params"]) * search.n_splits_
    assert recorder.tasks[0] == "fit"
    assert recorder.tasks[1] == "search"
    assert recorder.tasks[2:-1] == ["candidate-split-evaluation"] * n_fits
    assert recorder.tasks[-1] == "refit-with-best-params"


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_progress_bar_shows_the_search(SearchCV, small_data, capsys):
    pytest.importorskip("sklearn.callback")
    rich = pytest.importorskip("rich")
    from rich.console import Console
    from sklearn.callback import ProgressBar

    # A wide console that is not a terminal: rich draws the finished bars once, with
    # their full descriptions, to the captured stdout.
    console = Console(width=250, force_terminal=False)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(rich, "_console", console)
        search = make_search(SearchCV, LogisticRegression(), {"C": Real(0.1, 10)})
        search.set_callbacks(ProgressBar()).fit(*small_data)
    lines = capsys.readouterr().out.splitlines()
    searches = [line for line in lines if f"{SearchCV.__name__} - search" in line]
    assert len(searches) == 1
    assert "100%" in searches[0]


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_verbose_prints_each_batch_with_the_best_score_and_time(
    SearchCV, small_data, capsys
):
    search = make_search(SearchCV, verbose=1).fit(*small_data)
    pattern = re.compile(
        rf"\[{SearchCV.__name__}\] batch (\d+): .* best score (none yet|\S+), "
        r"(\d+\.\d)s elapsed"
    )
    found = [pattern.search(line) for line in capsys.readouterr().out.splitlines()]
    found = [match for match in found if match]
    assert [int(match[1]) for match in found] == list(range(1, len(found) + 1))
    assert len(found) >= len(np.unique(search.cv_results_["iter"]))
    # Hyperband has no best score before a candidate ran on the full budget.
    best = [-np.inf if match[2] == "none yet" else float(match[2]) for match in found]
    elapsed = [float(match[3]) for match in found]
    assert best == sorted(best) and elapsed == sorted(elapsed)
    assert best[-1] == pytest.approx(search.best_score_, rel=1e-4)


# -- the asynchronous mode keeps BaseSearchCV's behaviour ----------------------------
@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_asynchronous_multimetric_refit_by_name(SearchCV, small_data):
    with parallel_backend("threading", n_jobs=2):
        search = make_search(
            SearchCV,
            JitteryQuadratic(noise=0.1),
            scoring={"acc": "accuracy", "bal": "balanced_accuracy"},
            refit="bal",
            scheduling="asynchronous",
        ).fit(*small_data)
    scores = search.cv_results_["mean_test_bal"][_top_rows(search)]
    assert search.best_score_ == np.max(scores)
    assert hasattr(search, "best_estimator_") and search.multimetric_


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_asynchronous_failures_are_recorded_and_avoided(SearchCV, small_data):
    estimator = QuadraticClassifier(fail_when=fails_above_half)
    search = make_search(SearchCV, estimator, n_iter=16, scheduling="asynchronous")
    with parallel_backend("threading", n_jobs=2), pytest.warns(FitFailedWarning):
        search.fit(*small_data)
    scores = search.cv_results_["mean_test_score"]
    a = np.array([p["a"] for p in search.cv_results_["params"]])
    assert np.all(np.isnan(scores[a > 0.5])) and np.all(np.isfinite(scores[a <= 0.5]))
    assert search.best_params_["a"] <= 0.5


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_asynchronous_error_score_raise_propagates(SearchCV, small_data):
    search = make_search(
        SearchCV,
        QuadraticClassifier(fail_when=always),
        error_score="raise",
        scheduling="asynchronous",
    )
    with (
        parallel_backend("threading", n_jobs=2),
        pytest.raises(ValueError, match="fails here on purpose"),
    ):
        search.fit(*small_data)


# -- initial_params -------------------------------------------------------------------
INITIAL = [
    {"a": 0.3, "c": 2, "d": None, "b": 0.7},
    {"a": 0.123456789, "c": 5, "d": ("tuple",), "b": 0.25},
    {"a": 0.3, "c": 2, "d": None, "b": 0.7},  # the first again: evaluated once
]


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_initial_params_are_evaluated_first_and_taught(SearchCV, small_data):
    # The user's candidates are the first rows of cv_results_, with the values
    # given (not their round trip through the unit cube), on every split; they
    # count in n_iter, and the strategy learns from them as from its own.
    search = make_search(
        SearchCV, param_distributions=MIXED_SPACE, initial_params=INITIAL, n_iter=12
    )
    optimizers, make = [], search._make_optimizer

    def spy(space, random_state):
        optimizers.append(make(space, random_state))
        return optimizers[-1]

    search._make_optimizer = spy
    results = search.fit(*small_data).cv_results_
    assert _params_equal(results["params"][:2], INITIAL[:2])
    again = [_params_equal([p], INITIAL[:1]) for p in results["params"][2:]]
    for k in range(search.n_splits_):
        assert np.isfinite(results[f"split{k}_test_score"][:2]).all()
    if SearchCV is HyperbandSearchCV:
        # They start the first bracket: its first rung, with the least resource.
        assert (results["bracket"][:2] == results["bracket"].max()).all()
        assert (results["n_resources"][:2] == results["n_resources"].min()).all()
        # Evaluated again only when promoted, with more resources.
        assert (results["n_resources"][2:][again] > results["n_resources"][0]).all()
    else:
        assert len(results["params"]) == 12
        assert (results["iter"][:2] == 0).all()
        assert not any(again)
    # Told to the strategy (Hyperband: to the sampler of its new candidates).
    points = search._check_initial_params(SearchSpace(MIXED_SPACE), None, [])[0]
    for x in points:
        assert np.isclose(optimizers[0].X_, x).all(axis=1).any()


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_initial_params_do_not_depend_on_n_jobs(SearchCV, small_data):
    serial, parallel = (
        make_search(
            SearchCV, param_distributions=MIXED_SPACE, initial_params=INITIAL, n_jobs=n
        ).fit(*small_data)
        for n in (1, 2)
    )
    assert _params_equal(serial.cv_results_["params"], parallel.cv_results_["params"])
    assert_allclose(
        serial.cv_results_["mean_test_score"], parallel.cv_results_["mean_test_score"]
    )


N_ITER_SEARCHES = [S for S in SEARCHES if S is not HyperbandSearchCV]


@pytest.mark.parametrize("SearchCV", N_ITER_SEARCHES)
@pytest.mark.parametrize("scoring", [None, ("accuracy", "balanced_accuracy")])
def test_a_search_continues_from_cv_results_without_refitting(
    SearchCV, scoring, small_data
):
    # initial_params=search.cv_results_: its candidates are the first rows, with
    # their scores, told to the strategy; only the new ones are fitted.
    refit = "accuracy" if scoring else True
    space = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}
    first = make_search(
        SearchCV, FitCounter(), space, n_iter=6, scoring=scoring, refit=refit
    ).fit(*small_data)
    FitCounter.n_fits = 0
    more = make_search(
        SearchCV,
        FitCounter(),
        space,
        n_iter=10,
        scoring=scoring,
        refit=refit,
        initial_params=first.cv_results_,
    ).fit(*small_data)
    assert FitCounter.n_fits == 4 * more.n_splits_ + 1  # 4 new candidates, refit
    head, before = more.cv_results_, first.cv_results_
    assert _params_equal(head["params"][:6], before["params"])
    for key in before:
        if key.startswith("split") or key.startswith("mean_test"):
            assert_allclose(head[key][:6], before[key], err_msg=key)
    assert (head["iter"][:6] == 0).all() and len(head["params"]) == 10
    assert more.best_score_ >= first.best_score_


@pytest.mark.parametrize("SearchCV", N_ITER_SEARCHES)
def test_cv_results_of_another_cv_or_scoring_are_rejected(SearchCV, small_data):
    first = make_search(SearchCV, n_iter=4).fit(*small_data)
    for params, match in [
        ({"cv": 3}, r"scores of 3 CV splits .* \(no column 'split2_test_score'\)"),
        ({"scoring": ["accuracy"], "refit": "accuracy"}, r"'split0_test_accuracy'"),
        ({"return_train_score": True}, r"with train scores"),
        ({"cv": 1 + 1, "n_iter": 2}, r"holds 4 distinct candidates, more than"),
    ]:
        FitCounter.n_fits = 0
        search = make_search(
            SearchCV, FitCounter(), initial_params=first.cv_results_, **params
        )
        with pytest.raises(ValueError, match=match):
            search.fit(*small_data)
        assert FitCounter.n_fits == 0
    bad = {"mean_test_score": first.cv_results_["mean_test_score"]}
    with pytest.raises(ValueError, match="'params' column"):
        make_search(SearchCV, initial_params=bad).fit(*small_data)


def test_hyperband_takes_no_cv_results(small_data):
    first = make_search(BayesSearchCV, n_iter=4).fit(*small_data)
    search = make_search(HyperbandSearchCV, initial_params=first.cv_results_)
    with pytest.raises(ValueError, match="not the cv_results_ of a search"):
        search.fit(*small_data)


def test_bayes_continues_from_a_hyperband_s_full_evaluations(small_data):
    hyperband = make_search(HyperbandSearchCV, n_iter=8).fit(*small_data)
    results = hyperband.cv_results_
    full = np.flatnonzero(results["n_resources"] == results["n_resources"].max())
    FitCounter.n_fits = 0
    bayes = make_search(
        BayesSearchCV, FitCounter(), n_iter=len(full) + 2, initial_params=results
    ).fit(*small_data)
    assert FitCounter.n_fits == 2 * bayes.n_splits_ + 1
    assert _params_equal(
        bayes.cv_results_["params"][: len(full)], [results["params"][i] for i in full]
    )


@pytest.mark.parametrize("max_pending", [0, 2, 5])
def test_bayes_shortens_its_design_by_the_initial_params(max_pending, small_data):
    # The first proposal waits for the user's candidates, whatever max_pending:
    # a design of 6 points with 2 given is 4 Sobol points.
    search = make_search(
        BayesSearchCV,
        n_iter=10,
        n_initial_points=6,
        max_pending=max_pending,
        initial_params=[{"a": 0.3, "b": 0.7}, {"a": 0.9, "b": 0.1}],
    ).fit(*small_data)
    assert list(search.cv_results_["iter"][:6]) == [0, 0, 1, 1, 1, 1]


@pytest.mark.parametrize("SearchCV", N_ITER_SEARCHES)
def test_a_randomized_search_of_scikit_learn_continues(SearchCV, small_data):
    random = RandomizedSearchCV(
        FitCounter(),
        {"a": scipy.stats.uniform(0, 1), "b": scipy.stats.uniform(0, 1)},
        n_iter=5,
        cv=2,
        random_state=0,
    ).fit(*small_data)
    FitCounter.n_fits = 0
    space = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}
    more = make_search(
        SearchCV, FitCounter(), space, n_iter=8, initial_params=random.cv_results_
    ).fit(*small_data)
    assert FitCounter.n_fits == 3 * 2 + 1
    assert _params_equal(more.cv_results_["params"][:5], random.cv_results_["params"])
