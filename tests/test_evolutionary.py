# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""What only EvolutionarySearchCV does: its two strategies and their parameters."""

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.datasets import make_classification

from skhpo import EvolutionarySearchCV
from skhpo.space import Integer, Real
from skhpo.utils._testing import (
    FitCounter,
    JitteryQuadratic,
    QuadraticClassifier,
    make_search,
)

SPACE = {"a": Real(0, 1), "b": Real(0, 1), "c": Integer(0, 9)}


@pytest.mark.parametrize("strategy", ["ga", "cma-es"])
def test_generations_are_batches_of_population_size(strategy, small_data):
    search = EvolutionarySearchCV(
        QuadraticClassifier(),
        SPACE,
        strategy=strategy,
        population_size=6,
        n_iter=30,
        cv=2,
        random_state=0,
    ).fit(*small_data)
    iters = np.asarray(search.cv_results_["iter"])
    assert len(iters) == 30
    # duplicates are skipped, never re-evaluated: a generation holds at most 6
    assert np.bincount(iters).max() <= 6 and iters.max() >= 4
    assert search.best_score_ > 0.95


def test_elites_are_not_evaluated_again(small_data):
    search = EvolutionarySearchCV(
        QuadraticClassifier(),
        SPACE,
        population_size=5,
        elitism=2,
        n_iter=25,
        cv=2,
        random_state=0,
    ).fit(*small_data)
    params = [tuple(p.values()) for p in search.cv_results_["params"]]
    assert len(params) == len(set(params))


def test_elitism_must_leave_room_for_offspring(small_data):
    FitCounter.n_fits = 0
    search = EvolutionarySearchCV(
        FitCounter(),
        {"a": Real(0, 1)},
        strategy="ga",
        population_size=4,
        elitism=4,
        n_jobs=1,
    )
    with pytest.raises(ValueError, match="elitism"):
        search.fit(*small_data)
    assert FitCounter.n_fits == 0


@pytest.mark.parametrize(
    "params", [{"strategy": "de"}, {"crossover_rate": 1.5}, {"sigma0": 0}], ids=str
)
def test_bad_parameters_name_themselves(params, small_data):
    search = EvolutionarySearchCV(FitCounter(), {"a": Real(0, 1)}, **params)
    with pytest.raises(ValueError, match=next(iter(params))):
        search.fit(*small_data)


def test_asynchronous_genetic_algorithm_is_steady_state():
    # Each child competes as soon as its fits end; the budget is spent on distinct
    # candidates and the search still finds the good region.
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    search = make_search(
        EvolutionarySearchCV,
        JitteryQuadratic(noise=0.05),
        strategy="ga",
        n_iter=24,
        scheduling="asynchronous",
    )
    with parallel_backend("threading", n_jobs=2):
        search.fit(X, y)
    params = search.cv_results_["params"]
    assert len(params) == 24
    assert len({tuple(sorted(p.items())) for p in params}) == 24
    assert np.isfinite(search.best_score_)
