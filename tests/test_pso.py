# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""What only PSOSearchCV does: the swarm's steps and parameters."""

import numpy as np
import pytest

from skhpo import PSOSearchCV
from skhpo.space import Integer, Real
from skhpo.utils._testing import FitCounter, QuadraticClassifier


@pytest.mark.parametrize("topology", ["global", "ring"])
def test_swarm_steps_are_batches(topology, small_data):
    search = PSOSearchCV(
        QuadraticClassifier(),
        {"a": Real(0, 1), "b": Real(0, 1), "c": Integer(0, 9)},
        n_particles=5,
        topology=topology,
        n_iter=30,
        cv=2,
        random_state=0,
    ).fit(*small_data)
    iters = np.asarray(search.cv_results_["iter"])
    assert len(iters) == 30
    assert np.bincount(iters).max() <= 5
    assert search.best_score_ > 0.95


def test_inertia_weight_replaces_constriction(small_data):
    runs = [
        PSOSearchCV(
            QuadraticClassifier(),
            {"a": Real(0, 1)},
            inertia=w,
            n_iter=12,
            n_particles=4,
            cv=2,
            random_state=0,
        )
        .fit(*small_data)
        .cv_results_["params"]
        for w in (None, 0.3)
    ]
    assert runs[0][:4] == runs[1][:4]  # same initial swarm
    assert runs[0][4:] != runs[1][4:]  # different moves


@pytest.mark.parametrize(
    "params",
    [{"topology": "star"}, {"inertia": 1.5}, {"n_particles": 1}, {"velocity_clamp": 0}],
    ids=str,
)
def test_bad_parameters_name_themselves(params, small_data):
    search = PSOSearchCV(FitCounter(), {"a": Real(0, 1)}, **params)
    with pytest.raises(ValueError, match=next(iter(params))):
        search.fit(*small_data)
