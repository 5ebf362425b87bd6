# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""What only HyperbandSearchCV does: budgets, rungs, brackets and their checks."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skhpo import HyperbandSearchCV
from skhpo._hyperband import _training_order
from skhpo.space import Integer, Real
from skhpo.utils._testing import FitCounter, QuadraticClassifier


class SizeScore(QuadraticClassifier):
    """Scores the number of training rows it saw, and records them."""

    def fit(self, X, y, sample_weight=None):
        self.n_train_ = len(X)
        self.classes_seen_ = np.unique(y)
        return super().fit(X, y)

    def score(self, X, y, sample_weight=None):
        return self.n_train_ + 0.01 * super().score(X, y)


@pytest.fixture
def data():
    return make_classification(
        n_samples=240, n_classes=3, n_informative=4, random_state=0
    )


@pytest.mark.parametrize("scheduling", ["reproducible", "asynchronous"])
@pytest.mark.parametrize("sampler", ["random", "bohb"])
def test_rungs_grow_by_factor_and_promote_the_best(sampler, scheduling, data):
    search = HyperbandSearchCV(
        SizeScore(),
        {"a": Real(0, 1)},
        factor=3,
        cv=2,
        sampler=sampler,
        scheduling=scheduling,
        random_state=0,
    ).fit(*data)
    results = search.cv_results_
    bracket, rung = np.asarray(results["bracket"]), np.asarray(results["iter"])
    n_resources = np.asarray(results["n_resources"])
    assert search.max_resources_ == 240  # samples of X, as HalvingRandomSearchCV
    for s in np.unique(bracket):
        budgets = [n_resources[(bracket == s) & (rung == i)] for i in range(s + 1)]
        sizes = [np.unique(b).item() for b in budgets]
        assert sizes[-1] == 240
        assert_array_equal(np.diff(np.log(sizes) / np.log(3)).round(1), 1.0)
        # promoted candidates are re-evaluated, once per rung: every one of the
        # best 1 / factor is; the asynchronous mode (ASHA) may promote others
        # early, on partial results, the reproducible one never does
        for i in range(s):
            lower = (bracket == s) & (rung == i)
            upper = (bracket == s) & (rung == i + 1)
            a_lower = np.array([p["a"] for p in np.asarray(results["params"])[lower]])
            a_upper = {p["a"] for p in np.asarray(results["params"])[upper]}
            scores = np.asarray(results["mean_test_score"])[lower]
            n_planned = len(a_lower) // 3
            best = set(a_lower[np.argsort(-scores)[:n_planned]])
            assert best <= a_upper
            assert n_planned <= len(a_upper) <= 2 * n_planned
            if scheduling == "reproducible":
                assert best == a_upper
    # the score reveals the training size: each training part of 120 rows was cut
    # to the fraction n_resources / 240
    assert_array_equal(np.floor(results["mean_test_score"]), n_resources * 120 // 240)


def test_best_candidate_comes_from_the_largest_budget(data):
    # a candidate scores better on fewer rows: best_* must still use full budgets
    class SmallIsBetter(SizeScore):
        def score(self, X, y, sample_weight=None):
            return -self.n_train_ + QuadraticClassifier.score(self, X, y)

    search = HyperbandSearchCV(SmallIsBetter(), {"a": Real(0, 1)}, cv=2, random_state=0)
    search.fit(*data)
    assert search.cv_results_["n_resources"][search.best_index_] == 240
    assert (
        search.best_score_ == search.cv_results_["mean_test_score"][search.best_index_]
    )


def test_subsamples_are_stratified_and_nested():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], [60, 30, 10])
    order = _training_order(len(y), y, rng)
    assert sorted(order) == list(range(100))
    for n in (10, 20, 50):
        counts = np.bincount(y[order[:n]], minlength=3)
        assert np.all(np.abs(counts - n * np.array([0.6, 0.3, 0.1])) <= 1)


def test_resource_can_be_a_pipeline_parameter(data):
    pipe = Pipeline([("scale", StandardScaler()), ("clf", SGDClassifier(tol=None))])
    search = HyperbandSearchCV(
        pipe,
        {"clf__alpha": Real(1e-5, 1e-1, prior="log-uniform")},
        resource="clf__max_iter",
        max_resources=9,
        cv=2,
        random_state=0,
    ).fit(*data)
    results = search.cv_results_
    assert [p["clf__max_iter"] for p in results["params"]] == list(
        results["n_resources"]
    )
    assert search.best_params_["clf__max_iter"] == 9
    assert search.min_resources_ == 1 and search.max_resources_ == 9


def test_asynchronous_promotions_do_not_wait_for_the_rung_to_end(data):
    search = HyperbandSearchCV(
        SizeScore(),
        {"a": Real(0, 1)},
        cv=2,
        n_brackets=1,
        sampler="random",
        scheduling="asynchronous",
        random_state=0,
    ).fit(*data)
    rung = np.asarray(search.cv_results_["iter"])
    # ASHA: the first promotion comes before the first rung is full
    assert rung[: search.n_candidates_[0]].max() > 0
    assert search.n_candidates_[0] == np.sum(rung == 0)


def test_n_brackets_runs_several_iterations(data):
    one, two = (
        HyperbandSearchCV(
            SizeScore(), {"a": Real(0, 1)}, cv=2, n_brackets=n, random_state=0
        )
        .fit(*data)
        .cv_results_
        for n in (None, 6)
    )
    # 240 samples, 120 per training part, at least 2 per class of 3 in it:
    # budgets 26, 80, 240
    assert sorted(np.unique(one["bracket"])) == [0, 1, 2]
    assert len(two["params"]) == 2 * len(one["params"])


BAD_BUDGETS = [
    ({"min_resources": 50, "max_resources": 10}, "min_resources_=50 is greater than"),
    ({"max_resources": 1000}, "max_resources=1000 exceeds the 240 samples of X"),
    ({"resource": "b"}, "Cannot use parameter b as the resource since it is part"),
    ({"resource": "d"}, "resource can only be 'n_samples' when max_resources='auto'"),
    ({"resource": "nope"}, "Cannot use resource=nope which is not supported"),
    ({"min_resources": 300}, "min_resources_=300 is greater than max_resources_=240"),
    ({"factor": 1}, "factor"),
]


@pytest.mark.parametrize("params, match", BAD_BUDGETS)
def test_bad_budgets_raise_before_any_fit(params, match, data):
    FitCounter.n_fits = 0
    estimator = QuadraticClassifier()
    search = HyperbandSearchCV(
        estimator, {"a": Real(0, 1), "b": Real(0, 1)}, cv=2, **params
    )
    with pytest.raises(ValueError, match=match):
        search.fit(*data)
    counted = HyperbandSearchCV(FitCounter(), {"a": Real(0, 1)}, cv=2, **params)
    if "resource" not in params:
        with pytest.raises(ValueError, match=match):
            counted.fit(*data)
        assert FitCounter.n_fits == 0


def test_too_small_data_is_explained():
    X, y = make_classification(
        n_samples=12, n_classes=3, n_informative=3, random_state=0
    )
    search = HyperbandSearchCV(
        QuadraticClassifier(), {"a": Real(0, 1)}, cv=2, min_resources=20
    )
    with pytest.raises(ValueError, match="data are too small"):
        search.fit(X, y)


def test_n_samples_counts_samples_of_x_as_halving_does(data):
    # Code written for HalvingRandomSearchCV moves over: max_resources=len(X) is
    # the full training parts, and a fold never trains on more than n_resources.
    X, y = data
    search = HyperbandSearchCV(
        SizeScore(),
        {"a": Real(0, 1)},
        cv=3,
        min_resources=30,
        max_resources=len(X),
        n_brackets=1,
        random_state=0,
    ).fit(X, y)
    results = search.cv_results_
    n_train = np.floor(results["mean_test_score"])
    assert_array_equal(n_train, results["n_resources"] * 160 // 240)
    assert np.all(n_train <= results["n_resources"])
    assert n_train.max() == 160  # each training part of the 3 splits, whole
    assert search.best_estimator_.n_train_ == len(X)  # the refit


# -- continue, don't refit ----------------------------------------------------------
class WarmTrees(ClassifierMixin, BaseEstimator):
    """A fake ensemble: logs the trees each fit builds, continuing with warm_start."""

    built = []  # trees built by each fit, in this process (n_jobs=1)

    def __init__(self, a=0.5, n_estimators=9, warm_start=False):
        self.a = a
        self.n_estimators = n_estimators
        self.warm_start = warm_start

    def fit(self, X, y):
        have = self.n_trees_ if self.warm_start and hasattr(self, "n_trees_") else 0
        type(self).built.append(self.n_estimators - have)
        self.n_trees_ = self.n_estimators
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y, sample_weight=None):
        return 1e-3 * self._size() - (self.a - 0.3) ** 2

    def _size(self):
        return self.n_trees_


class WarmEpochs(WarmTrees):
    """A fake iterative model: ``max_iter`` epochs per fit call (as MLP, SGD)."""

    def __init__(self, a=0.5, max_iter=9, warm_start=False):
        self.a = a
        self.max_iter = max_iter
        self.warm_start = warm_start

    def fit(self, X, y):
        had = self.n_iter_ if self.warm_start and hasattr(self, "n_iter_") else 0
        type(self).built.append(self.max_iter)
        self.n_iter_ = had + self.max_iter
        self.classes_ = np.unique(y)
        return self

    def _size(self):
        return self.n_iter_


def _iterations_needed(search):
    """Each candidate's largest resource on each split, plus the refit."""
    results = search.cv_results_
    largest = {}
    for s, p, r in zip(results["bracket"], results["params"], results["n_resources"]):
        key = (s, p["a"] if "a" in p else p["clf__a"])
        largest[key] = max(largest.get(key, 0), r)
    return sum(largest.values()) * search.n_splits_ + search.max_resources_


@pytest.mark.parametrize(
    "estimator, resource",
    [
        (WarmTrees(), "n_estimators"),
        (WarmEpochs(), "max_iter"),
        (
            Pipeline([("scale", StandardScaler()), ("clf", WarmTrees())]),
            "clf__n_estimators",
        ),
    ],
)
@pytest.mark.parametrize("scheduling", ["reproducible", "asynchronous"])
def test_promoted_fits_continue_and_add_only_new_iterations(
    estimator, resource, scheduling, data
):
    WarmTrees.built = []
    prefix = "clf__" if resource.startswith("clf__") else ""
    search = HyperbandSearchCV(
        estimator,
        {f"{prefix}a": Real(0, 1)},
        resource=resource,
        max_resources=27,
        cv=2,
        scheduling=scheduling,
        random_state=0,
    ).fit(*data)
    results = search.cv_results_
    # Every promoted row continued its rung's fits; first rungs started afresh.
    assert_array_equal(results["continued"], np.asarray(results["iter"]) > 0)
    assert sum(WarmTrees.built) == _iterations_needed(search)
    # ... and scores as a fit from scratch would: the model has all its iterations
    assert_array_equal(
        np.round(
            1e3
            * (
                results["mean_test_score"]
                + (np.array([p[f"{prefix}a"] for p in results["params"]]) - 0.3) ** 2
            )
        ),
        results["n_resources"],
    )


def test_continuation_spills_over_to_refits_beyond_the_memory_cap(data, monkeypatch):
    import skhpo._loop

    runs = {}
    for cap in (0, 2**30):
        monkeypatch.setattr(skhpo._loop, "_MAX_KEPT_BYTES", cap)
        WarmTrees.built = []
        search = HyperbandSearchCV(
            WarmTrees(),
            {"a": Real(0, 1)},
            resource="n_estimators",
            max_resources=27,
            cv=2,
            random_state=0,
        ).fit(*data)
        runs[cap] = (search.cv_results_, sum(WarmTrees.built))
    refitted, continued = runs[0], runs[2**30]
    assert not np.any(refitted[0]["continued"])
    assert refitted[1] == sum(refitted[0]["n_resources"]) * 2 + 27  # every rung
    assert continued[1] < refitted[1]
    assert_array_equal(refitted[0]["mean_test_score"], continued[0]["mean_test_score"])


def test_estimators_without_warm_start_are_refitted(data):
    class ColdTrees(WarmTrees):
        def __init__(self, a=0.5, n_estimators=9):
            self.a = a
            self.n_estimators = n_estimators

        @property
        def warm_start(self):
            return False

    search = HyperbandSearchCV(
        ColdTrees(),
        {"a": Real(0, 1)},
        resource="n_estimators",
        max_resources=27,
        cv=2,
        random_state=0,
    ).fit(*data)
    assert not np.any(search.cv_results_["continued"])


@pytest.mark.parametrize(
    "estimator, resource",
    [
        (RandomForestClassifier(max_depth=3, random_state=0), "n_estimators"),
        (HistGradientBoostingClassifier(early_stopping=False), "max_iter"),
    ],
)
def test_continued_forests_and_boosting_score_as_refitted_ones(
    estimator, resource, data, monkeypatch
):
    import skhpo._loop

    space = {"min_samples_leaf": Integer(1, 20)}
    results = {}
    for cap in (0, 2**30):
        monkeypatch.setattr(skhpo._loop, "_MAX_KEPT_BYTES", cap)
        results[cap] = (
            HyperbandSearchCV(
                estimator,
                space,
                resource=resource,
                max_resources=9,
                cv=2,
                random_state=0,
            )
            .fit(*data)
            .cv_results_
        )
    assert np.any(results[2**30]["continued"])
    assert_allclose(results[0]["mean_test_score"], results[2**30]["mean_test_score"])


class PassesSpy(ClassifierMixin, BaseEstimator):
    """Learns by partial_fit only; logs every call and the classes first given."""

    n_calls = 0
    first_classes = []

    def __init__(self, a=0.5):
        self.a = a

    def fit(self, X, y):
        raise AssertionError("resource='partial_fit' never calls fit")

    def partial_fit(self, X, y, classes=None):
        if not hasattr(self, "n_passes_"):
            type(self).first_classes.append(tuple(classes))
            self.classes_, self.n_passes_ = np.asarray(classes), 0
        type(self).n_calls += 1
        self.n_passes_ += 1
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y, sample_weight=None):
        return 1e-3 * self.n_passes_ - (self.a - 0.3) ** 2


@pytest.mark.parametrize("pipeline", [False, True])
@pytest.mark.parametrize("scheduling", ["reproducible", "asynchronous"])
def test_partial_fit_passes_continue_and_refit_unwrapped(pipeline, scheduling):
    # Sorted labels and unshuffled folds: a training part lacks a class, and
    # partial_fit still gets every class of y on its first call.
    X = np.arange(240, dtype=float).reshape(-1, 1)
    y = np.repeat([0, 1, 2], 80)
    PassesSpy.n_calls, PassesSpy.first_classes = 0, []
    estimator = PassesSpy()
    prefix = ""
    if pipeline:
        estimator = Pipeline([("scale", StandardScaler()), ("clf", PassesSpy())])
        prefix = "clf__"
    search = HyperbandSearchCV(
        estimator,
        {f"{prefix}a": Real(0, 1)},
        resource="partial_fit",
        max_resources=27,
        cv=3,
        scheduling=scheduling,
        random_state=0,
    ).fit(X, y)
    results = search.cv_results_
    assert_array_equal(results["continued"], np.asarray(results["iter"]) > 0)
    assert sorted(set(results["n_resources"])) == [1, 3, 9, 27]
    assert all(set(p) == {f"{prefix}a"} for p in results["params"])
    assert PassesSpy.n_calls == _iterations_needed(search)
    assert set(PassesSpy.first_classes) == {(0, 1, 2)}
    # Scores are those of fits with all their passes; the refit is unwrapped.
    a = np.array([p[f"{prefix}a"] for p in results["params"]])
    assert_array_equal(
        np.round(1e3 * (results["mean_test_score"] + (a - 0.3) ** 2)),
        results["n_resources"],
    )
    assert type(search.best_estimator_) is type(estimator)
    learner = search.best_estimator_[-1] if pipeline else search.best_estimator_
    assert learner.n_passes_ == 27
    assert search.predict(X[:3]).shape == (3,)


def test_continued_partial_fit_scores_as_refitted_ones(data, monkeypatch):
    import skhpo._loop

    results = {}
    for cap in (0, 2**30):
        monkeypatch.setattr(skhpo._loop, "_MAX_KEPT_BYTES", cap)
        search = HyperbandSearchCV(
            SGDClassifier(random_state=0),
            {"alpha": Real(1e-5, 1e-1, prior="log-uniform")},
            resource="partial_fit",
            max_resources=9,
            cv=2,
            random_state=0,
        )
        results[cap] = search.fit(*data).cv_results_
    assert np.any(results[2**30]["continued"])
    assert not np.any(results[0]["continued"])
    assert_allclose(results[0]["mean_test_score"], results[2**30]["mean_test_score"])


@pytest.mark.parametrize(
    "estimator, name, params, match",
    [
        (QuadraticClassifier(), "a", {"max_resources": 9}, "QuadraticClassifier has"),
        (
            Pipeline([("clf", QuadraticClassifier())]),
            "clf__a",
            {"max_resources": 9},
            "the last step of the Pipeline",
        ),
        (SGDClassifier(), "alpha", {}, "needs an integer max_resources"),
    ],
)
def test_bad_partial_fit_resource_raises_before_any_fit(
    estimator, name, params, match, data
):
    search = HyperbandSearchCV(
        estimator, {name: Real(0, 1)}, resource="partial_fit", cv=2, **params
    )
    with pytest.raises(ValueError, match=match):
        search.fit(*data)


def test_n_samples_budgets_train_on_what_halving_trains_on(data):
    # The same budget trains each fold on the same number of rows as in
    # scikit-learn's HalvingRandomSearchCV, on the same data and splits.
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV, StratifiedKFold

    X, y = data
    cv = StratifiedKFold(3)
    halving = HalvingRandomSearchCV(
        SizeScore(),
        {"a": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]},
        n_candidates=9,
        factor=3,
        min_resources=30,
        max_resources=len(X),
        cv=cv,
        random_state=0,
    ).fit(X, y)
    search = HyperbandSearchCV(
        SizeScore(),
        {"a": Real(0, 1)},
        factor=3,
        min_resources=30,
        max_resources=len(X),
        cv=cv,
        random_state=0,
    ).fit(X, y)
    for results in (halving.cv_results_, search.cv_results_):
        n_train = np.floor(np.asarray(results["mean_test_score"]))
        assert_array_equal(n_train, np.asarray(results["n_resources"]) * 160 // 240)
    assert halving.n_resources_ == [30, 90]
    assert sorted(set(search.cv_results_["n_resources"])) == [80, 240]
