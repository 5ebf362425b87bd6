# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Searches on a local Ray cluster, through Ray's joblib backend.

Skipped when ``ray`` is not installed (the ``ray`` extra); CI runs them in a stage
of their own.
"""

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning

from skhpo.space import Real
from skhpo.utils._testing import (
    SEARCHES,
    FaultyQuadratic,
    HangingQuadratic,
    JitteryQuadratic,
    make_search,
)

ray = pytest.importorskip("ray")
SPACE = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}


@pytest.fixture(scope="module", autouse=True)
def cluster():
    from ray.util.joblib import register_ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    register_ray()
    yield
    ray.shutdown()


@pytest.fixture
def data():
    return make_classification(n_samples=120, n_features=5, random_state=0)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_ray_gives_the_serial_results(SearchCV, data):
    X, y = data
    serial = make_search(SearchCV, JitteryQuadratic(noise=0.1)).fit(X, y)
    with parallel_config(backend="ray"):
        clustered = make_search(SearchCV, JitteryQuadratic(noise=0.1), n_jobs=2)
        clustered.fit(X, y)
    assert clustered.cv_results_["params"] == serial.cv_results_["params"]
    np.testing.assert_array_equal(
        clustered.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )


def test_ray_ends_a_fit_past_fit_timeout(data):
    X, y = data
    from skhpo import BayesSearchCV

    plain = make_search(BayesSearchCV, FaultyQuadratic(noise=0.1), SPACE).fit(X, y)
    hang_at = plain.cv_results_["params"][1]["a"]
    estimator = HangingQuadratic(noise=0.1, hang_at=hang_at, hang=120.0)
    search = make_search(BayesSearchCV, estimator, SPACE, n_jobs=2, fit_timeout=5.0)
    with (
        parallel_config(backend="ray"),
        pytest.warns(FitFailedWarning, match="fit_timeout=5.0.*stopped"),
    ):
        search.fit(X, y)
    assert np.isnan(search.cv_results_["mean_test_score"][1])
    assert np.isfinite(search.best_score_)


def test_a_dead_ray_worker_fails_only_its_fit(data, tmp_path):
    X, y = data
    from skhpo import EvolutionarySearchCV

    plain = make_search(EvolutionarySearchCV, FaultyQuadratic(), SPACE).fit(X, y)
    die_at = plain.cv_results_["params"][2]["a"]
    estimator = FaultyQuadratic(die_at=die_at, die_once=str(tmp_path / "died"))
    search = make_search(EvolutionarySearchCV, estimator, SPACE, n_jobs=2)
    with parallel_config(backend="ray"), pytest.warns(FitFailedWarning):
        search.fit(X, y)
    assert (tmp_path / "died").exists()
    scores = search.cv_results_["mean_test_score"]
    assert np.isnan(scores[2]) and np.isfinite(np.delete(scores, 2)).all()
