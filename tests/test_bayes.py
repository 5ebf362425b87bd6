# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""What only BayesSearchCV does: its initial design and batches."""

import numpy as np
import pytest

from skhpo import BayesSearchCV
from skhpo.space import Categorical, Integer, Real
from skhpo.utils._testing import FitCounter, QuadraticClassifier

SPACE = {
    "a": Real(0, 1),
    "b": Real(0, 1),
    "c": Integer(0, 9),
    "d": Categorical(["x", "y", "z"]),
}


@pytest.mark.parametrize("batch_size", [1, 3])
def test_initial_design_then_batches(batch_size, small_data):
    search = BayesSearchCV(
        QuadraticClassifier(),
        SPACE,
        n_iter=14,
        n_initial_points=5,
        batch_size=batch_size,
        cv=2,
        random_state=0,
    ).fit(*small_data)
    sizes = np.bincount(search.cv_results_["iter"])
    assert sizes[0] == 5 and sizes.sum() == 14
    assert sizes[1:].max() <= batch_size


def test_default_design_depends_on_the_space_only(small_data):
    designs = [
        np.bincount(
            BayesSearchCV(QuadraticClassifier(), space, n_iter=12, cv=2, random_state=0)
            .fit(*small_data)
            .cv_results_["iter"]
        )[0]
        for space in ({"a": Real(0, 1)}, SPACE)
    ]
    assert designs[0] < designs[1] <= 10


def test_model_beats_the_initial_design(small_data):
    search = BayesSearchCV(
        QuadraticClassifier(), SPACE, n_iter=25, cv=2, random_state=0
    ).fit(*small_data)
    iters = np.asarray(search.cv_results_["iter"])
    scores = np.asarray(search.cv_results_["mean_test_score"])
    assert scores[iters > 0].max() > scores[iters == 0].max()
    assert search.best_score_ > 0.99  # the optimum is 1 at a=0.3, b=0.7


@pytest.mark.parametrize(
    "params", [{"batch_size": 0}, {"n_initial_points": 0}, {"n_iter": 0}], ids=str
)
def test_bad_parameters_name_themselves(params, small_data):
    FitCounter.n_fits = 0
    search = BayesSearchCV(FitCounter(), {"a": Real(0, 1)}, n_jobs=1, **params)
    with pytest.raises(ValueError, match=next(iter(params))):
        search.fit(*small_data)
    assert FitCounter.n_fits == 0
