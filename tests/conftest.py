# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
import os

import numpy as np
import pytest
from sklearn.datasets import make_classification

# scikit-learn's own tests against skhpo: a pytest plugin and its data, run by
# tests/sklearn_suite/run (CI's sklearn-suite stage), not by this suite.
collect_ignore = ["sklearn_suite"]

try:
    from hypothesis import settings
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass
else:
    # Property-based tests draw their examples from a fixed seed by default, so the
    # suite gives the same verdict on every run, as seeded tests do;
    # HYPOTHESIS_PROFILE=explore draws new ones on every run (500 where a test does
    # not set its own number) to hunt for bugs.
    settings.register_profile("default", derandomize=True)
    settings.register_profile("explore", derandomize=False, max_examples=500)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def small_data():
    """80 rows of a 2-class problem; no data is loaded at import time."""
    return make_classification(n_samples=80, n_features=5, random_state=0)


@pytest.fixture
def index_data():
    """X is the row index, so a score can reveal which rows a split tested on."""
    X = np.arange(60, dtype=float).reshape(-1, 1)
    y = np.tile([0, 1], 30)
    return X, y
