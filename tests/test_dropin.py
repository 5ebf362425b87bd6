# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Code written for RandomizedSearchCV moves over unchanged: its behaviours that
scikit-learn's own tests check (see tests/sklearn_suite for those tests, run
against every class), pinned here for every class."""

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import KFold, ParameterGrid, ParameterSampler

from skhpo import HyperbandSearchCV
from skhpo.utils._testing import SEARCHES, QuadraticClassifier, make_search

N_ITER_SEARCHES = [S for S in SEARCHES if S is not HyperbandSearchCV]


class LogNormal:
    """A user's own sampler: only ``rvs``, as RandomizedSearchCV accepts."""

    def rvs(self, random_state=None):
        return float(np.clip(random_state.lognormal(-1.0, 0.5), 0.0, 1.0))


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_any_object_with_rvs_is_a_distribution(SearchCV, small_data):
    space = {"a": LogNormal(), "b": stats.uniform}  # an unfrozen family too
    results = [
        make_search(SearchCV, param_distributions=space, n_iter=8, n_jobs=n_jobs)
        .fit(*small_data)
        .cv_results_
        for n_jobs in (1, 2)
    ]
    for r in results:
        a = np.array([p["a"] for p in r["params"]], dtype=float)
        b = np.array([p["b"] for p in r["params"]], dtype=float)
        assert np.all((a > 0) & (a <= 1)) and np.all((b >= 0) & (b <= 1))
        assert np.isfinite(r["mean_test_score"]).all()
    # Drawn with the search's random state: the same for any n_jobs.
    assert results[0]["params"] == results[1]["params"]


@pytest.mark.parametrize("SearchCV", N_ITER_SEARCHES)
@pytest.mark.parametrize(
    "grid",
    [
        {"a": [0.3, 0.1, 0.5], "b": [0.7, 0.2]},
        [{"a": [0.3], "b": [0.1, 0.7]}, {"b": [0.4], "a": [0.0, 0.9]}],
    ],
)
def test_a_grid_that_n_iter_covers_runs_in_grid_order(SearchCV, grid, small_data):
    # As RandomizedSearchCV: every candidate, in ParameterGrid's order, with its
    # warning (same text) when n_iter is larger; nothing more.
    size = len(ParameterGrid(grid))
    expected = list(ParameterGrid(grid))
    for n_iter in (size, size + 4):
        search = make_search(SearchCV, param_distributions=grid, n_iter=n_iter)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            search.fit(*small_data)
        assert search.cv_results_["params"] == expected
        messages = [str(w.message) for w in caught if w.category is UserWarning]
        if n_iter == size:
            assert messages == []
        else:
            # RandomizedSearchCV's sampler, which warns.
            with pytest.warns(UserWarning) as sklearn_warning:
                list(ParameterSampler(grid, n_iter=n_iter, random_state=0))
            assert messages == [str(sklearn_warning[0].message)]


@pytest.mark.parametrize("SearchCV", N_ITER_SEARCHES)
def test_a_grid_larger_than_n_iter_is_searched(SearchCV, small_data):
    grid = {"a": np.linspace(0, 1, 6).tolist(), "b": np.linspace(0, 1, 6).tolist()}
    search = make_search(SearchCV, param_distributions=grid, n_iter=8)
    search.fit(*small_data)
    # Not the grid's first candidates: the strategy's own.
    assert search.cv_results_["params"] != list(ParameterGrid(grid))[:8]


class KwargsClassifier(ClassifierMixin, BaseEstimator):
    """Takes any parameter in set_params; get_params lists only ``strategy``."""

    def __init__(self, strategy="prior"):
        self.strategy = strategy

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.majority_ = np.bincount(y).argmax()
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_a_name_set_params_takes_is_a_parameter(SearchCV, small_data):
    search = make_search(SearchCV, KwargsClassifier(), {"anything": [1, 2, 3]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a space of 3 candidates
        search.fit(*small_data)
    assert search.best_params_["anything"] in (1, 2, 3)
    # A name that set_params rejects is still an error before any fit.
    bad = make_search(SearchCV, QuadraticClassifier(), {"aa": [1, 2]})
    with pytest.raises(ValueError, match="'aa' is not a parameter of Quadratic"):
        bad.fit(*small_data)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_an_empty_cv_iterator_is_scikit_learns_error(SearchCV, small_data):
    X, y = small_data
    cv = KFold(3).split(X)
    list(cv)  # exhausted
    search = make_search(SearchCV, cv=cv, n_jobs=2)
    with pytest.raises(ValueError, match=r"No fits were performed. Was the CV"):
        search.fit(X, y)


def test_the_docs_list_the_expected_differences():
    # doc/user_guide/migration.rst lists tests/sklearn_suite's expected
    # differences: the same tests, no more.
    import importlib.util
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location(
        "expected_differences", root / "tests/sklearn_suite/expected_differences.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = {
        name.split("[")[0] for n in module.BY_CLASS for name in module.expected(n)
    }
    page = (root / "doc/user_guide/migration.rst").read_text(encoding="utf-8")
    section = page[page.index(".. _sklearn_suite:") :]
    listed = set(re.findall(r"^   \* - ``(test_\w+)``", section, flags=re.M))
    assert listed == expected


# -- HyperbandSearchCV with n_candidates: HalvingRandomSearchCV's plan ----------------
HALVING_CASES = [
    {"n_candidates": 20},
    {"n_candidates": 20, "factor": 2},
    {"n_candidates": 30, "max_resources": 100},
    {"n_candidates": 30, "max_resources": 100, "aggressive_elimination": True},
    {"n_candidates": "exhaust"},
    {"n_candidates": 9, "min_resources": "exhaust"},
    {"n_candidates": 12, "min_resources": 40, "factor": 2.5},
    {"n_candidates": 10, "resource": "n_estimators", "max_resources": 30},
]


@pytest.mark.parametrize("params", HALVING_CASES, ids=repr)
def test_one_bracket_is_halving_random_search_cvs_plan(params):
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV

    X, y = make_classification(n_samples=400, random_state=0)
    estimator = RandomForestClassifier(n_estimators=30, max_depth=2, random_state=0)
    space = {"min_samples_leaf": stats.randint(1, 1000)}  # no repeats
    common = {"cv": 3, "random_state": 0, **params}
    if params.get("resource") != "n_estimators":
        common.setdefault("min_resources", "smallest")
    ours = HyperbandSearchCV(estimator, space, sampler="random", **common).fit(X, y)
    theirs = HalvingRandomSearchCV(estimator, space, **common).fit(X, y)
    for name in (
        "n_candidates_",
        "n_resources_",
        "n_iterations_",
        "n_possible_iterations_",
        "n_required_iterations_",
        "n_remaining_candidates_",
        "min_resources_",
        "max_resources_",
    ):
        assert getattr(ours, name) == getattr(theirs, name), name
    r, s = ours.cv_results_, theirs.cv_results_
    # The same rows; in another order, as a candidate is promoted as soon as it
    # is certain to be in the top of its rung.
    np.testing.assert_array_equal(np.sort(r["iter"]), s["iter"])
    np.testing.assert_array_equal(np.sort(r["n_resources"]), s["n_resources"])
    # The best comes from the last rung, as scikit-learn's.
    assert r["iter"][ours.best_index_] == max(r["iter"])


def test_halving_subsamples_the_test_parts_too():
    # As HalvingRandomSearchCV: fit and score rows add up to the rung's budget.
    X, y = np.arange(240.0).reshape(-1, 1), np.tile([0, 1], 120)
    seen = []

    class Recorder(QuadraticClassifier):
        def fit(self, X, y, sample_weight=None):
            seen.append(("fit", len(X)))
            return super().fit(X, y)

        def score(self, X, y, sample_weight=None):
            seen.append(("score", len(X)))
            return super().score(X, y)

    search = HyperbandSearchCV(
        Recorder(),
        {"a": stats.uniform(0, 1)},
        n_candidates=9,
        min_resources=24,
        factor=3,
        cv=2,
        refit=False,
        random_state=0,
    ).fit(X, y)
    fits = [n for kind, n in seen if kind == "fit"]
    scores = [n for kind, n in seen if kind == "score"]
    per_fit = sorted({f + s for f, s in zip(fits, scores)})
    assert per_fit == sorted(set(search.n_resources_))


@pytest.mark.parametrize(
    "params, match",
    [
        (
            {"n_candidates": "exhaust", "min_resources": "exhaust"},
            "n_candidates and min_resources cannot be both set to 'exhaust'.",
        ),
        ({"n_candidates": 9, "n_brackets": 2}, "n_candidates runs one bracket"),
        ({"min_resources": "exhaust"}, "min_resources='exhaust' needs n_candidates"),
        ({"aggressive_elimination": True}, "aggressive_elimination=True needs"),
        ({"n_candidates": 0}, "n_candidates"),
    ],
)
def test_bad_halving_parameters_fail_before_any_fit(params, match, small_data):
    search = make_search(HyperbandSearchCV, QuadraticClassifier(), **params)
    with pytest.raises(ValueError, match=match):
        search.fit(*small_data)


def test_an_empty_x_is_scikit_learns_error():
    search = make_search(HyperbandSearchCV, QuadraticClassifier())
    with pytest.raises(ValueError, match="min_resources_=0: you might have passed"):
        search.fit(np.empty((0, 3)), [])
