# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Long searches keep no estimator but the template and ``best_estimator_``.

Timings and peak memory of long runs are measured by
``benchmarks/bench_long_run.py``; here only what must hold exactly.
"""

import gc
import weakref

import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skhpo import BayesSearchCV, HyperbandSearchCV
from skhpo.space import Categorical, Integer, Real
from skhpo.utils._testing import SEARCHES, QuadraticClassifier, make_search

# Enough candidates for many batches of every strategy. BayesSearchCV's GP makes
# each of its candidates cost more: it gets fewer, half of them from its initial
# design (which costs nothing), the rest still one per batch.
_N_ITER = {BayesSearchCV: 100}
_DEFAULT_N_ITER = 160


def _budget(SearchCV, n_iter):
    if SearchCV is BayesSearchCV:
        return {"n_iter": n_iter, "n_initial_points": n_iter // 2}
    return {"n_iter": n_iter}


class TrackedClassifier(QuadraticClassifier):
    """QuadraticClassifier that registers every instance (``clone`` included)."""

    live = weakref.WeakSet()

    def __init__(
        self,
        strategy="prior",
        a=0.5,
        b=0.5,
        c=0,
        d="x",
        noise=0.0,
        fail_when=None,
    ):
        super().__init__(
            strategy=strategy, a=a, b=b, c=c, d=d, noise=noise, fail_when=fail_when
        )
        type(self).live.add(self)


def _is_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def _space():
    return {
        "a": Real(0.0, 1.0),
        "b": Real(1e-3, 1.0, prior="log-uniform"),
        "c": Integer(0, 20),
        "d": Categorical(["x", "y", "z"]),
    }


def _live_after(search, X, y):
    """Fit ``search`` and return the TrackedClassifier instances still alive."""
    TrackedClassifier.live = weakref.WeakSet()  # forget earlier tests' instances
    search.set_params(estimator=TrackedClassifier())
    search.fit(X, y)
    gc.collect()
    return list(TrackedClassifier.live)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_long_search_keeps_only_best_estimator(SearchCV, small_data):
    n_iter = _N_ITER.get(SearchCV, _DEFAULT_N_ITER)
    search = make_search(
        SearchCV, param_distributions=_space(), **_budget(SearchCV, n_iter)
    )
    live = _live_after(search, *small_data)

    # One row per evaluated candidate: n_iter distinct ones, or for Hyperband one
    # per candidate and rung.
    params = search.cv_results_["params"]
    expected = sum(search.n_candidates_) if SearchCV is HyperbandSearchCV else n_iter
    assert len(params) == expected >= 100
    for key, column in search.cv_results_.items():
        assert len(column) == expected, key
    if SearchCV is not HyperbandSearchCV:
        assert len({tuple(sorted(p.items())) for p in params}) == n_iter

    # Alive: the unfitted template and the refit best_estimator_, nothing else.
    assert len(live) == 2
    assert any(e is search.estimator for e in live)
    assert any(e is search.best_estimator_ for e in live)
    fitted = [e for e in live if _is_fitted(e)]
    assert len(fitted) == 1 and fitted[0] is search.best_estimator_
    assert not _is_fitted(search.estimator)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_search_without_refit_keeps_no_fitted_estimator(SearchCV, small_data):
    search = make_search(
        SearchCV, param_distributions=_space(), **_budget(SearchCV, 40)
    )
    search.set_params(refit=False)
    live = _live_after(search, *small_data)
    assert len(live) == 1 and live[0] is search.estimator
    assert not _is_fitted(live[0])
    assert not hasattr(search, "best_estimator_")
