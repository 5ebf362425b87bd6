# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skhpo._optimizers.base import Optimizer, RandomSampler


class OutOfBounds(Optimizer):
    def _ask(self, n):
        return np.full((n, self.n_dims), 2.0)


def test_ask_is_always_2d_and_in_bounds():
    X = OutOfBounds(3).ask(2)
    assert X.shape == (2, 3)
    assert_array_equal(X, 1.0)


def test_tell_keeps_the_history_and_turns_inf_into_failures():
    opt = RandomSampler(2, random_state=0)
    X = opt.ask(3)
    opt.tell(X, [1.0, np.inf, np.nan])
    opt.tell(X[:1], [0.5])
    assert opt.X_.shape == (4, 2)
    assert_allclose(opt.y_, [1.0, np.nan, np.nan, 0.5])


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros((2, 3)), [0.0, 0.0], r"shape \(n, 2\)"),
        (np.zeros((2, 2)), [0.0], "one loss per point"),
        (np.full((1, 2), 1.5), [0.0], r"inside \[0, 1\]"),
        (np.full((1, 2), np.nan), [0.0], r"inside \[0, 1\]"),
    ],
)
def test_tell_rejects_malformed_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        RandomSampler(2).tell(X, y)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_dims": 0}, "n_dims"),
        ({"n_dims": 2, "kinds": ["real"]}, "kinds"),
        ({"n_dims": 1, "kinds": ["ordinal"]}, "kinds"),
        ({"n_dims": 1, "n_choices": [-1]}, "n_choices"),
        ({"n_dims": 1, "random_state": "seed"}, "random_state"),
    ],
)
def test_bad_arguments_show_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomSampler(**kwargs)


@pytest.mark.parametrize("n", [0, -1, 1.5])
def test_ask_needs_a_positive_count(n):
    with pytest.raises(ValueError, match="positive"):
        RandomSampler(1).ask(n)


def test_seeded_and_pickled_samplers_repeat_their_asks():
    a, b = RandomSampler(3, random_state=7), RandomSampler(3, random_state=7)
    assert_array_equal(a.ask(4), b.ask(4))
    c = pickle.loads(pickle.dumps(a))
    assert_array_equal(a.ask(4), c.ask(4))


def test_cells_snap_to_cell_centres():
    opt = RandomSampler(
        3, kinds=["integer", "categorical", "real"], n_choices=[3, 2, 0]
    )
    snapped = opt._cells(np.array([[0.0, 0.99, 0.123], [1.0, 0.2, 1.0]]))
    assert_allclose(snapped, [[1 / 6, 0.75, 0.123], [5 / 6, 0.25, 1.0]])
