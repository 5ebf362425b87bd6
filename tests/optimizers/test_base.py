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


# -- ask_ids / tell_ids: pending points, results in any order ------------------------
class Recorder(RandomSampler):
    """Records what _tell receives."""

    def __init__(self, *args, whole=False, **kwargs):
        super().__init__(*args, **kwargs)
        self._whole_batches = whole
        self.told = []

    def _tell(self, X, y):
        self.told.append((X.copy(), y.copy()))


def test_tell_ids_in_any_order_tells_each_point_at_once():
    opt = Recorder(2, random_state=0)
    ids, X = opt.ask_ids(3)
    assert_array_equal(ids, [0, 1, 2])
    assert_array_equal(opt.pending(), X)
    opt.tell_ids([2], [0.5])
    opt.tell_ids([0], [0.1])
    assert_array_equal(opt.pending(), X[[1]])
    assert [told[1].tolist() for told in opt.told] == [[0.5], [0.1]]
    assert_array_equal(opt.told[0][0], X[[2]])
    ids2, _ = opt.ask_ids(1)  # while id 1 is pending
    assert ids2.tolist() == [3]


def test_whole_batches_are_told_complete_and_in_the_order_asked():
    opt = Recorder(2, whole=True, random_state=0)
    _, X0 = opt.ask_ids(2)
    assert not opt.can_ask()
    with pytest.raises(RuntimeError, match="can_ask"):
        opt.ask_ids(1)
    opt.tell_ids([1], [1.0])
    assert opt.told == [] and not opt.can_ask()
    opt.tell_ids([0], [0.0])
    assert len(opt.told) == 1 and opt.can_ask()
    assert_array_equal(opt.told[0][0], X0)  # the very array asked, in its order
    assert_allclose(opt.told[0][1], [0.0, 1.0])


def test_tell_ids_rejects_unknown_and_repeated_ids():
    opt = RandomSampler(2, random_state=0)
    ids, _ = opt.ask_ids(2)
    with pytest.raises(ValueError, match="not asked"):
        opt.tell_ids([5], [0.0])
    opt.tell_ids(ids[:1], [0.0])
    with pytest.raises(ValueError, match="told already"):
        opt.tell_ids(ids[:1], [0.0])
    with pytest.raises(ValueError, match="one loss per id"):
        opt.tell_ids(ids[1:], [0.0, 1.0])


def test_pending_points_survive_pickling():
    opt = Recorder(2, whole=True, random_state=0)
    opt.ask_ids(2)
    again = pickle.loads(pickle.dumps(opt))
    assert not again.can_ask() and again.pending().shape == (2, 2)
    again.tell_ids([0, 1], [0.0, 1.0])
    assert again.can_ask()
