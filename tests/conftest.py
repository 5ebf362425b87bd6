# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest
from sklearn.datasets import make_classification


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
