# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""The search space: every parameter to and from the unit cube."""

import math
import pickle
import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.stats import qmc
from sklearn.dummy import DummyClassifier

from skhpo._optimizers.base import Optimizer
from skhpo.space import Categorical, Integer, Real, SearchSpace

# Decoding, sampling and QMC must never warn (scipy's Sobol balance warning, ppf at
# 0 or 1, overflow in exp...).
pytestmark = pytest.mark.filterwarnings("error")

EST = DummyClassifier()
LABELS = ["a", "b"]
SPACES = {
    "real": {"C": Real(0.5, 2.0), "tol": Real(-1, 1)},
    "log": {
        "C": Real(1e-3, 1e3, prior="log-uniform"),
        "n": Integer(1, 1000, prior="log-uniform"),
    },
    "integer": {"a": Integer(-3, 3), "one": Integer(5, 5), "f": Integer(0.0, 4.0)},
    "categorical": {
        "kernel": ["rbf", "linear", None],
        "est": (EST, None),
        "labels": [LABELS, "c"],
        "arr": np.array([1, 2, 3]),
        "one": Categorical([EST]),
        "dup": [1, 1, 2.0],
    },
    "scipy": {
        "u": stats.uniform(1, 2),
        "norm": stats.norm(5, 2),
        "lu": stats.loguniform(1e-4, 1),
        "r": stats.randint(1, 11),
        "p": stats.poisson(3, loc=2),
        "b": stats.binom(10, 0.3),
    },
    "conditional": [
        {"kernel": ["linear"], "C": Real(0, 1)},
        {"kernel": ["rbf"], "C": Real(0, 1), "gamma": stats.loguniform(1e-3, 1)},
        {"kernel": ["poly"], "degree": Integer(2, 5), "est": [EST]},
    ],
    "tuple_of_dicts": ({"a": [1, 2]}, {"b": Integer(0, 3)}),
}


def _points(space, n=200, seed=0):
    """Random points plus the corners of the cube."""
    U = space.sample(n, np.random.RandomState(seed))
    return np.vstack([U, np.zeros(space.n_dims), np.ones(space.n_dims)])


def _grid(n):
    """n points evenly spread on [0, 1], one in the middle of each of n slices."""
    return ((np.arange(n) + 0.5) / n).reshape(-1, 1)


def _subspace_of(param_distributions, candidate):
    dicts = param_distributions
    if isinstance(dicts, dict):
        dicts = [dicts]
    return next(d for d in dicts if list(d) == list(candidate))


def _assert_in(value, values):
    """``value`` is a possible value of ``values``, of the declared type."""
    if isinstance(values, Real):
        assert type(value) is float
        assert values.low <= value <= values.high
    elif isinstance(values, Integer):
        assert type(value) is int
        assert values.low <= value <= values.high
    elif isinstance(values, np.ndarray):
        assert not isinstance(value, np.generic)
        assert value in values.tolist()
    elif isinstance(values, (list, tuple, Categorical)):
        categories = getattr(values, "categories", values)
        assert any(value is c for c in categories)
    elif isinstance(values.dist, stats.rv_discrete):
        assert type(value) is int
        assert values.pmf(value) > 0
    else:
        assert type(value) is float
        assert values.pdf(value) > 0


def _assert_same(candidates, others):
    """Same keys in the same order, same types, equal values (floats to rounding)."""
    assert len(candidates) == len(others)
    for c, d in zip(candidates, others, strict=True):
        assert list(c) == list(d)
        for name in c:
            assert type(c[name]) is type(d[name])
            if type(c[name]) is float:
                assert c[name] == pytest.approx(d[name], rel=1e-12, abs=1e-300)
            else:
                assert c[name] is d[name] or c[name] == d[name]


def _identical(c, d):
    return list(c) == list(d) and all(
        c[k] is d[k] or (type(c[k]) is type(d[k]) and c[k] == d[k]) for k in c
    )


# -- decoding -----------------------------------------------------------------------
@pytest.mark.parametrize("name", SPACES)
def test_decode_types_and_bounds(name):
    param_distributions = SPACES[name]
    space = SearchSpace(param_distributions)
    candidates = space.decode(_points(space))
    assert len(candidates) == 202
    for candidate in candidates:
        subspace = _subspace_of(param_distributions, candidate)
        for key, value in candidate.items():
            _assert_in(value, subspace[key])


@pytest.mark.parametrize("name", SPACES)
def test_decode_encode_round_trip(name):
    space = SearchSpace(SPACES[name])
    candidates = space.decode(_points(space))
    _assert_same(space.decode(space.encode(candidates)), candidates)


@pytest.mark.parametrize("name", SPACES)
def test_snap(name):
    space = SearchSpace(SPACES[name])
    U = _points(space)
    S = space.snap(U)
    # The canonical point is encode(decode(U)): exactly on cells, to rounding on
    # real coordinates (which keep their point).
    assert_allclose(S, space.encode(space.decode(U)), rtol=0, atol=1e-12)
    cells = np.array([kind != "real" for kind in space.kinds])
    assert_array_equal(S[:, cells], space.encode(space.decode(U))[:, cells])
    assert_array_equal(space.snap(S), S)
    _assert_same(space.decode(S), space.decode(U))
    assert space.keys(S) == space.keys(U)


@pytest.mark.parametrize(
    "param_distributions",
    [
        {"a": Integer(0, 2), "k": ["x", None, "x"], "r": stats.randint(0, 2)},
        {"p": stats.poisson(1), "n": Integer(1, 4, prior="log-uniform")},
        [{"a": [1, 2]}, {"a": [1, 2], "b": [True, False]}, {"c": [EST, None]}],
    ],
)
def test_keys_equal_iff_candidates_identical(param_distributions):
    space = SearchSpace(param_distributions)
    U = space.sample(300, np.random.RandomState(0))
    candidates, keys = space.decode(U), space.keys(U)
    first = {}
    for candidate, key in zip(candidates, keys, strict=True):
        hash(key)
        assert _identical(candidate, first.setdefault(key, candidate))
    representatives = list(first.values())
    assert 4 < len(representatives) < 100  # duplicates were drawn
    for i, c in enumerate(representatives):
        assert not any(_identical(c, d) for d in representatives[i + 1 :])


@pytest.mark.parametrize(
    "param_distributions",
    [
        {"a": Integer(0, 2), "k": ["x", None, "x"], "r": stats.randint(0, 2)},
        {"u": stats.uniform(0, 1), "l": Real(1e-3, 1.0, prior="log-uniform")},
        [{"a": [1, 2]}, {"a": [1, 2], "b": [True, False]}, {"c": [EST, None]}],
    ],
)
def test_decode_keys_is_decode_and_keys_at_once(param_distributions):
    space = SearchSpace(param_distributions)
    U = space.sample(50, np.random.RandomState(0))
    candidates, keys = space.decode_keys(U)
    assert keys == space.keys(U)
    for got, expected in zip(candidates, space.decode(U), strict=True):
        assert _identical(got, expected)


def test_keys_of_reals_are_the_decoded_floats():
    space = SearchSpace({"C": Real(1e-3, 1, prior="log-uniform"), "k": ["a", "b"]})
    U = np.array([[0.5, 0.1], [0.5, 0.2], [0.5, 0.6], [0.25, 0.1]])
    keys = space.keys(U)
    assert keys[0] == keys[1] != keys[2]
    assert keys[0] != keys[3]
    assert keys[0] == (0, space.decode(U)[0]["C"], 0)


def test_decode_big_batch():
    space = SearchSpace({f"p{i}": Real(0, 1) for i in range(10)})
    candidates = space.decode(space.sample(1000, 0))
    assert len(candidates) == 1000 and len(candidates[0]) == 10


# -- cells and priors ----------------------------------------------------------------
@pytest.mark.parametrize(
    "values, expected",
    [
        (Integer(0, 2), [0, 1, 2]),
        (Integer(-2, 3), [-2, -1, 0, 1, 2, 3]),
        (Categorical(["a", None, EST]), ["a", None, EST]),
        (["a", "b"], ["a", "b"]),
        (stats.randint(0, 3), [0, 1, 2]),
        (stats.randint(0, 3, loc=5), [5, 6, 7]),
    ],
)
def test_equal_cells(values, expected):
    space = SearchSpace({"x": values})
    assert space.n_choices[0] == len(expected)
    counts = Counter(map(id, (c["x"] for c in space.decode(_grid(600)))))
    # 600 evenly spread points: exactly 600 / k per value, ends included.
    assert counts == {id(value): 600 // len(expected) for value in expected}


def test_cells_agree_with_the_optimizer():
    space = SearchSpace(
        {"a": Integer(0, 4), "b": ["x", "y", "z"], "c": stats.randint(1, 8)}
    )
    U = space.sample(100, 0)
    optimizer = Optimizer(space.n_dims, kinds=space.kinds, n_choices=space.n_choices)
    assert_array_equal(optimizer._cells(U), space.snap(U))
    # Cell boundaries belong to the upper cell, as in Optimizer._cells.
    assert space.decode([[0.2, 1 / 3, 1 / 7]]) == [{"a": 1, "b": "y", "c": 2}]


def test_log_uniform_integer_cells_are_equal_in_log_space():
    space = SearchSpace({"n": Integer(1, 100, prior="log-uniform")})
    assert space.kinds == ("integer",) and space.n_choices[0] == 0
    counts = Counter(c["n"] for c in space.decode(_grid(20_000)))
    width = math.log(100.5) - math.log(0.5)
    for k in (1, 2, 10, 100):
        expected = (math.log(k + 0.5) - math.log(k - 0.5)) / width
        assert counts[k] / 20_000 == pytest.approx(expected, abs=1e-4)
    assert sorted(counts) == list(range(1, 101))
    # Encoding goes to the middle of the cell, in [0, 1].
    u = space.encode([{"n": k} for k in (1, 10, 100)])[:, 0]
    edges = [(math.log(k - 0.5) - math.log(0.5)) / width for k in (1, 2, 10, 11)]
    assert_allclose(u[:2], [(edges[0] + edges[1]) / 2, (edges[2] + edges[3]) / 2])


@pytest.mark.parametrize("prior", ["uniform", "log-uniform"])
def test_real_bounds_are_reached_and_kept(prior):
    real = Real(1e-2, 1e2, prior=prior)
    space = SearchSpace({"C": real})
    assert space.kinds == ("real",) and space.n_choices[0] == 0
    low, mid, high = (c["C"] for c in space.decode([[0.0], [0.5], [1.0]]))
    assert (low, high) == (1e-2, 1e2)
    assert mid == pytest.approx(1.0 if prior == "log-uniform" else 50.005)


def test_log_uniform_real_is_uniform_in_log_space():
    space = SearchSpace({"C": Real(1e-2, 1e2, prior="log-uniform")})
    values = np.array([c["C"] for c in space.decode(_grid(1000))])
    assert np.mean(values < 0.1) == pytest.approx(0.25, abs=2e-3)
    assert_allclose(space.encode([{"C": 0.1}, {"C": 10.0}]), [[0.25], [0.75]])


@pytest.mark.parametrize(
    "dist, kind, n_choices",
    [
        (stats.uniform(1, 2), "real", 0),
        (stats.norm(5, 2), "real", 0),
        (stats.loguniform(1e-4, 1), "real", 0),
        (stats.expon(scale=3), "real", 0),
        (stats.randint(1, 11), "integer", 10),
        (stats.poisson(3, loc=2), "integer", 0),
        (stats.binom(10, 0.3), "integer", 0),
        (stats.rv_discrete(values=([1, 2, 5], [0.2, 0.3, 0.5])), "integer", 0),
    ],
)
def test_scipy_distributions_follow_their_prior(dist, kind, n_choices):
    space = SearchSpace({"x": dist})
    assert space.kinds == (kind,)
    assert space.n_choices[0] == n_choices
    values = [c["x"] for c in space.decode(_grid(4000))]
    assert {type(v) for v in values} == {int if kind == "integer" else float}
    if kind == "integer":
        support, counts = np.unique(values, return_counts=True)
        assert_allclose(counts / 4000, dist.pmf(support), atol=1e-3)
    else:
        assert np.median(values) == pytest.approx(dist.median(), rel=1e-3)
        q = [0.1, 0.9]
        assert_allclose(np.quantile(values, q), dist.ppf(q), rtol=1e-2)
    random = [c["x"] for c in space.decode(space.sample(2000, 0))]
    assert dist.ppf(0.45) <= np.median(random) <= dist.ppf(0.55)


@pytest.mark.parametrize(
    "dist", [stats.poisson(3, loc=2), stats.binom(10, 0.3), stats.geom(0.2)]
)
def test_discrete_distribution_encodes_to_the_middle_of_its_cell(dist):
    space = SearchSpace({"k": dist})
    k = np.arange(dist.support()[0], dist.ppf(0.99) + 1)
    u = space.encode([{"k": int(v)} for v in k])[:, 0]
    assert_allclose(u, (dist.cdf(k - 1) + dist.cdf(k)) / 2)
    assert [c["k"] for c in space.decode(u[:, None])] == k.tolist()


def test_continuous_distribution_encodes_through_its_cdf():
    dist = stats.norm(5, 2)
    space = SearchSpace({"x": dist})
    assert_allclose(space.encode([{"x": 5.0}, {"x": 7}])[:, 0], dist.cdf([5, 7]))
    # The quantile function stays finite at the ends of [0, 1].
    low, high = (c["x"] for c in space.decode([[0.0], [1.0]]))
    assert math.isfinite(low) and math.isfinite(high) and low < 5 < high


# -- categories ----------------------------------------------------------------------
def test_categories_are_the_very_objects_given():
    labels, weights = ["a"], {0: 1, 1: 2}
    space = SearchSpace({"c": [None, EST, labels, weights, float("nan")]})
    decoded = [c["c"] for c in space.decode(_grid(5))]
    categories = space.subspaces[0]["c"].categories
    assert all(v is c for v, c in zip(decoded, categories, strict=True))
    assert decoded[1] is EST and decoded[2] is labels and decoded[3] is weights
    # Encoding finds them by identity, then by equality.
    assert_allclose(space.encode([{"c": EST}, {"c": {0: 1, 1: 2}}]), [[0.3], [0.7]])


@pytest.mark.parametrize(
    "array, python_type",
    [
        (np.array([1, 2, 3]), int),
        (np.array([0.5, 1.5]), float),
        (np.array(["rbf", "linear"]), str),
        (np.array([True, False]), bool),
    ],
)
def test_numpy_array_choices_decode_to_python_objects(array, python_type):
    space = SearchSpace({"x": array})
    values = [c["x"] for c in space.decode(_grid(len(array)))]
    assert values == array.tolist()
    assert {type(v) for v in values} == {python_type}


def test_object_array_choices_keep_their_objects():
    space = SearchSpace({"x": np.array([EST, None], dtype=object)})
    assert space.decode([[0.25]])[0]["x"] is EST


def test_repeated_categories_are_weighted_and_share_a_key():
    space = SearchSpace({"x": [1, 1, 2.0]})
    U = _grid(3)
    assert [c["x"] for c in space.decode(U)] == [1, 1, 2.0]
    keys = space.keys(U)
    assert keys[0] == keys[1] != keys[2]
    assert_allclose(space.snap(U), [[1 / 6], [1 / 6], [5 / 6]])
    # Same type first: True is not the category 1, and 2 finds 2.0 only by equality.
    space = SearchSpace({"x": [1, True, 2.0]})
    X = space.encode([{"x": True}, {"x": 1}, {"x": 2}])
    assert_allclose(X.ravel(), [1 / 2, 1 / 6, 5 / 6])


def test_unhashable_and_array_categories():
    a, b = np.array([1, 2]), np.array([1, 2])
    space = SearchSpace({"x": [{"w": 1}, [1, 2], {"w": 1}, a, b]})
    values = [c["x"] for c in space.decode(_grid(5))]
    assert values[0] is values[2]  # equal dicts are one choice
    assert values[3] is a and values[4] is b  # arrays cannot be compared: distinct
    assert len(set(space.keys(_grid(5)))) == 4
    assert_allclose(space.encode([{"x": b}, {"x": [1, 2]}]).ravel(), [0.9, 0.3])


# -- conditional spaces --------------------------------------------------------------
def test_list_of_dicts():
    param_distributions = [
        {"kernel": ["linear"], "C": Real(0, 1)},
        {"kernel": ["rbf"], "C": Real(0, 1)},
        {"degree": Integer(2, 4), "gamma": Real(1, 2)},
    ]
    space = SearchSpace(param_distributions)
    assert space.n_dims == 7
    assert space.dim_names == ["", "kernel", "C", "kernel", "C", "degree", "gamma"]
    assert space.param_names == ["kernel", "C", "degree", "gamma"]
    assert space.kinds[0] == "categorical" and space.n_choices[0] == 3
    assert [list(s) for s in space.subspaces] == [list(d) for d in param_distributions]

    # The selector picks each dict a third of the time; only its keys are decoded.
    candidates = space.decode(np.hstack([_grid(300), np.full((300, 6), 0.5)]))
    assert Counter(c.get("kernel", "none") for c in candidates) == {
        "linear": 100,
        "rbf": 100,
        "none": 100,
    }
    assert all(list(c) == ["degree", "gamma"] for c in candidates[200:])
    # Inactive coordinates encode and snap to 0.5, and change neither key nor value.
    U = np.array([[0.5, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7]])
    assert_allclose(space.snap(U), [[0.5, 0.5, 0.5, 0.5, 0.4, 0.5, 0.5]])
    V = U.copy()
    V[0, [1, 2, 5, 6]] = [0.9, 0.8, 0.1, 0.0]
    assert space.keys(V) == space.keys(U)
    assert space.decode(V) == space.decode(U) == [{"kernel": "rbf", "C": 0.4}]
    # Same keys, different values: each candidate finds its own dict.
    X = space.encode(
        [
            {"kernel": "rbf", "C": 0.5},
            {"C": 0.25, "kernel": "linear"},
            {"gamma": 1.5, "degree": 3},
        ]
    )
    assert_allclose(
        X,
        [
            [1 / 2, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
            [1 / 6, 0.5, 0.25, 0.5, 0.5, 0.5, 0.5],
            [5 / 6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        ],
    )
    with pytest.raises(ValueError, match=re.escape("[0]['kernel']: 'poly'")):
        space.encode([{"kernel": "poly", "C": 0.5}])


def test_user_key_order_is_kept():
    space = SearchSpace({"zeta": [1, 2], "alpha": Real(0, 1), "mid": Integer(0, 3)})
    assert space.dim_names == space.param_names == ["zeta", "alpha", "mid"]
    assert list(space.decode([[0.1, 0.2, 0.3]])[0]) == ["zeta", "alpha", "mid"]
    X = space.encode([{"mid": 1, "zeta": 2, "alpha": 0.5}])
    assert_allclose(X, [[0.75, 0.5, 0.375]])


# -- sampling ------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["sample", "sample_qmc"])
@pytest.mark.parametrize("n", [0, 1, 3, 5, 8, 100])
def test_sampling_shape_bounds_and_seed(method, n):
    space = SearchSpace(SPACES["conditional"])
    U = getattr(space, method)(n, np.random.RandomState(0))
    assert U.shape == (n, space.n_dims)
    assert np.all((U >= 0) & (U < 1))
    assert_array_equal(U, getattr(space, method)(n, 0))
    if n > 1:
        assert not np.array_equal(U, getattr(space, method)(n, 1))


def test_sample_qmc_is_balanced_for_powers_of_two():
    space = SearchSpace({"a": Real(0, 1), "b": Integer(0, 7), "c": ["x", "y"]})
    U = space.sample_qmc(8, 0)
    for column in U.T:
        assert sorted((column * 8).astype(int)) == list(range(8))
    # The first n points of the 2^m drawn are returned, whatever n.
    assert_array_equal(space.sample_qmc(5, 0), U[:5])


def test_sample_qmc_falls_back_to_latin_hypercube(monkeypatch):
    monkeypatch.setattr(qmc.Sobol, "MAXDIM", 2)
    space = SearchSpace({"a": Real(0, 1), "b": Real(0, 1), "c": Real(0, 1)})
    U = space.sample_qmc(5, 0)
    for column in U.T:
        assert sorted((column * 5).astype(int)) == list(range(5))


def test_sample_uses_only_the_given_random_state():
    space = SearchSpace({"a": Real(0, 1)})
    rng = np.random.RandomState(0)
    expected = np.random.RandomState(0).uniform(size=(3, 1))
    assert_array_equal(space.sample(3, rng), expected)


@pytest.mark.parametrize("n", [-1, 1.5, None, True])
@pytest.mark.parametrize("method", ["sample", "sample_qmc"])
def test_sampling_rejects_bad_n(method, n):
    with pytest.raises(ValueError, match="n must be a non-negative integer"):
        getattr(SearchSpace({"a": [1]}), method)(n, 0)


# -- attributes, repr, equality, pickling ----------------------------------------------
def test_attributes():
    space = SearchSpace(SPACES["scipy"] | {"k": ["a", "b", "c"], "n": Integer(1, 9)})
    assert space.n_dims == 8
    assert space.kinds == (
        ("real",) * 3 + ("integer",) * 3 + ("categorical", "integer")
    )
    assert_array_equal(space.n_choices, [0, 0, 0, 10, 0, 0, 3, 9])
    assert space.n_choices.dtype == np.int64
    assert space.dim_names == space.param_names == [*SPACES["scipy"], "k", "n"]
    assert len(space.subspaces) == 1
    assert space.subspaces[0]["k"] == Categorical(["a", "b", "c"])
    assert repr(space.subspaces[0]["p"]) == "scipy.stats.poisson(3, loc=2)"


def test_repr_and_equality():
    assert (
        repr(Real(1e-3, 10.0, prior="log-uniform"))
        == "Real(low=0.001, high=10.0, prior='log-uniform')"
    )
    assert repr(Real(np.float64(0.5), 1)) == "Real(low=0.5, high=1)"
    assert repr(Integer(1, 5)) == "Integer(low=1, high=5)"
    assert repr(Categorical(["a", None])) == "Categorical(categories=['a', None])"
    assert repr(Real(10, 1)) == "Real(low=10, high=1)"
    assert Real(0, 1) == Real(0.0, 1.0) and hash(Real(0, 1)) == hash(Real(0.0, 1.0))
    assert Real(1, 2) != Real(1, 2, prior="log-uniform")
    assert Real(0, 1) != Integer(0, 1) and Integer(0, 1) == Integer(0, 1)
    assert Categorical([EST, None]) == Categorical((EST, None))
    assert Categorical([EST]) != Categorical([DummyClassifier()])
    assert Categorical([np.array([1, 2])]) != Categorical([np.array([1, 2])])
    assert len({Categorical(["a"]), Categorical(["a"]), Integer(0, 1)}) == 2


def test_space_pickles():
    space = SearchSpace(SPACES["conditional"] + [{"x": stats.poisson(3)}])
    U = space.sample(50, 0)
    clone = pickle.loads(pickle.dumps(space))
    assert clone.keys(U) == space.keys(U)
    assert_array_equal(clone.snap(U), space.snap(U))
    X = space.encode(space.decode(U))
    assert_array_equal(clone.encode(clone.decode(U)), X)


# -- errors --------------------------------------------------------------------------
class RvsOnly:
    """A user's own sampler: only ``rvs``, as ``RandomizedSearchCV`` accepts."""

    def __init__(self, draw=lambda rng: rng.lognormal()):
        self.draw = draw

    def rvs(self, random_state=None):
        return self.draw(random_state)


BAD_DIMENSIONS = [
    # (cls, args, error, message)
    (Real, (10, 1), ValueError, "Real(low=10, high=1) needs low < high"),
    (Real, (1, 1), ValueError, "needs low < high"),
    (Real, (math.nan, 1), ValueError, "needs finite bounds"),
    (Real, (0, math.inf), ValueError, "needs finite bounds"),
    (Real, (0, 1, "log-uniform"), ValueError, "needs low > 0 for the log-uniform"),
    (Real, (-1, 1, "log-uniform"), ValueError, "needs low > 0"),
    (Real, (1, 2, "log"), ValueError, "prior='log') has an unknown prior"),
    (Real, (1, 2, None), ValueError, "unknown prior"),
    (Real, ("a", 1), TypeError, "needs real-number bounds"),
    (Real, (True, 2), TypeError, "needs real-number bounds"),
    (Real, (None, 2), TypeError, "needs real-number bounds"),
    (Integer, (3, 2), ValueError, "Integer(low=3, high=2) needs low <= high"),
    (Integer, (0, 2.5), ValueError, "needs integer bounds"),
    (Integer, (0, math.nan), ValueError, "needs finite bounds"),
    (Integer, (-math.inf, 1), ValueError, "needs finite bounds"),
    (Integer, (0, 10, "log-uniform"), ValueError, "needs low >= 1"),
    (Integer, (False, 3), TypeError, "needs integer bounds"),
    (Integer, (0, "3"), TypeError, "needs integer bounds"),
    (Integer, (0, 1, "loguniform"), ValueError, "unknown prior"),
    (Integer, (0, 2**60), ValueError, "needs bounds within"),
    (Categorical, ("rbf",), TypeError, "a string is not a list of choices; wrap it"),
    (Categorical, ([],), ValueError, "needs at least one choice"),
    (Categorical, (np.zeros((2, 2)),), ValueError, "1-d array of choices"),
    (Categorical, ({"a": 1},), TypeError, "a dict is not a list of choices"),
    (Categorical, ({1, 2},), TypeError, "a set has no order"),
    (Categorical, (5,), TypeError, "expected a list of choices, got int"),
]


@pytest.mark.parametrize("cls, args, error, message", BAD_DIMENSIONS)
@pytest.mark.parametrize(
    "as_list, location",
    [
        (False, "param_distributions['clf__C']: "),
        (True, "param_distributions[1]['clf__C']: "),
    ],
)
def test_bad_dimension_error_names_the_parameter(
    cls, args, error, message, as_list, location
):
    dimension = cls(*args)  # stored as given, checked in fit
    param_distributions = {"clf__C": dimension}
    if as_list:
        param_distributions = [{"a": [1]}, param_distributions]
    with pytest.raises(error, match=f"^{re.escape(location)}.*{re.escape(message)}"):
        SearchSpace(param_distributions)


def test_the_interface_example_message():
    msg = "param_distributions['clf__C']: Real(low=10, high=1) needs low < high"
    with pytest.raises(ValueError) as excinfo:
        SearchSpace({"clf__C": Real(10, 1)})
    assert str(excinfo.value) == msg


@pytest.mark.parametrize(
    "dimension, params",
    [
        (Real(1, 2), {"low": 1, "high": 2, "prior": "uniform"}),
        (
            Integer(1.0, 9, "log-uniform"),
            {"low": 1.0, "high": 9, "prior": "log-uniform"},
        ),
        (Categorical(np.array([1, 2])), {"categories": np.array([1, 2])}),
    ],
)
def test_the_space_leaves_the_dimensions_given_unchanged(dimension, params):
    before = vars(dimension).copy()
    assert list(before) == list(params)
    space = SearchSpace({"x": dimension})
    assert space.subspaces[0]["x"] is not dimension
    assert vars(dimension).keys() == before.keys()
    assert all(vars(dimension)[k] is v for k, v in before.items())
    # Changed afterwards, it is checked again by the next space.
    dimension.__dict__.update(low=3, high=2, categories=[])
    with pytest.raises(ValueError, match=r"^param_distributions\['x'\]: "):
        SearchSpace({"x": dimension})


@pytest.mark.parametrize(
    "values, error, message",
    [
        ("rbf", TypeError, "a string is not a list of choices; wrap it in a list"),
        (b"rbf", TypeError, "a string is not a list of choices"),
        ([], ValueError, "needs at least one choice"),
        ((), ValueError, "needs at least one choice"),
        (np.array([]), ValueError, "needs at least one choice"),
        (np.ones((2, 3)), ValueError, "needs a 1-d array of choices, got shape (2, 3)"),
        (np.float64(1.0), TypeError, "expected a list of choices"),
        ({"b": [1]}, TypeError, "a dict is not a list of choices"),
        ({1, 2}, TypeError, "a set has no order"),
        (stats.randint, TypeError, "scipy.stats.randint is a distribution family"),
        (stats.gamma, TypeError, "not a frozen distribution"),
        (RvsOnly(lambda rng: 1 / 0), ValueError, "rvs(random_state=...) failed"),
        (RvsOnly(lambda rng: np.inf), ValueError, "rvs drew non-finite values"),
        (3.5, TypeError, "expected a list of choices, a frozen scipy.stats"),
        (None, TypeError, "got None of type NoneType"),
        (iter([1, 2]), TypeError, "expected a list of choices"),
        (stats.uniform(0, -1), ValueError, "invalid parameters"),
        (stats.randint(5, 5), ValueError, "invalid parameters"),
        (stats.pareto(0.01), ValueError, "unbounded quantiles"),
    ],
)
@pytest.mark.parametrize("as_list", [False, True])
def test_bad_values_name_the_parameter(values, error, message, as_list):
    param_distributions = {"ok": [1], "clf__C": values}
    location = "param_distributions['clf__C']: "
    if as_list:
        param_distributions = [{"a": [1]}, {"b": [2]}, param_distributions]
        location = "param_distributions[2]['clf__C']: "
    with pytest.raises(error, match=f"^{re.escape(location)}.*{re.escape(message)}"):
        SearchSpace(param_distributions)


@pytest.mark.parametrize(
    "param_distributions, error, message",
    [
        ({}, ValueError, "param_distributions: empty dict"),
        ([], ValueError, "param_distributions: empty list"),
        ([{"a": [1]}, {}], ValueError, "param_distributions[1]: empty dict"),
        ([{"a": [1]}, [1, 2]], TypeError, "param_distributions[1]: expected a dict"),
        ([{"a": [1]}, None], TypeError, "param_distributions[1]: expected a dict"),
        ({1: [1, 2]}, TypeError, "param_distributions[1]: parameter names must be str"),
        ([{"a": [1], ("b",): [2]}], TypeError, "param_distributions[0][('b',)]: "),
        ("abc", TypeError, "param_distributions must be a dict or a list of dicts"),
        (None, TypeError, "param_distributions must be a dict or a list of dicts"),
    ],
)
def test_malformed_param_distributions(param_distributions, error, message):
    with pytest.raises(error, match="^" + re.escape(message)):
        SearchSpace(param_distributions)


@pytest.mark.parametrize(
    "candidate, message",
    [
        (
            {"C": 20.0, "k": "a", "n": 1, "p": 1},
            "['C']: 20.0 of candidate 1 is not in Real",
        ),
        ({"C": "a", "k": "a", "n": 1, "p": 1}, "['C']: 'a' of candidate 1"),
        (
            {"C": 1.0, "k": "z", "n": 1, "p": 1},
            "['k']: 'z' of candidate 1 is not in Cat",
        ),
        ({"C": 1.0, "k": "a", "n": 2.5, "p": 1}, "['n']: 2.5 of candidate 1"),
        ({"C": 1.0, "k": "a", "n": 0, "p": 1}, "['n']: 0 of candidate 1"),
        ({"C": 1.0, "k": "a", "n": True, "p": 1}, "['n']: True of candidate 1"),
        (
            {"C": 1.0, "k": "a", "n": 1, "p": -1},
            "['p']: -1 of candidate 1 is not in sc",
        ),
        ({"C": 1.0, "k": "a", "n": 1, "p": 60}, "['p']: 60 of candidate 1"),
        (
            {"C": 1.0, "k": "a", "n": 1},
            "candidate 1 has unknown parameters [] and lacks ['p']",
        ),
        ({"C": 1.0, "k": "a", "n": 1, "p": 1, "x": 0}, "unknown parameters ['x']"),
    ],
)
def test_encode_rejects_values_outside_the_space(candidate, message):
    space = SearchSpace(
        {"C": Real(0.1, 10), "k": ["a", "b"], "n": Integer(1, 3), "p": stats.poisson(3)}
    )
    ok = {"C": 1.0, "k": "b", "n": 3, "p": 0}
    with pytest.raises(ValueError, match="^" + re.escape("param_distributions")):
        space.encode([ok, candidate])
    with pytest.raises(ValueError, match=re.escape(message)):
        space.encode([ok, candidate])


def test_encode_conditional_errors():
    space = SearchSpace([{"C": Real(0, 1)}, {"C": Real(2, 3), "k": [1]}])
    with pytest.raises(ValueError, match=re.escape("param_distributions[0]['C']: 5.0")):
        space.encode([{"C": 5.0}])
    with pytest.raises(ValueError, match=r"parameters \['D'\], matching no dict"):
        space.encode([{"D": 0.5}])
    with pytest.raises(TypeError, match="candidate 0 must be a dict"):
        space.encode([[0.5]])


@pytest.mark.parametrize(
    "U, message",
    [
        (np.zeros(2), r"shape \(n, 2\), got shape \(2,\)"),
        (np.zeros((3, 1)), r"shape \(n, 2\), got shape \(3, 1\)"),
        ([[0.5, np.nan]], "finite"),
    ],
)
@pytest.mark.parametrize("method", ["decode", "snap", "keys"])
def test_points_are_checked(method, U, message):
    space = SearchSpace({"a": Real(0, 1), "b": [1, 2]})
    with pytest.raises(ValueError, match=message):
        getattr(space, method)(U)


def test_points_outside_the_cube_are_clipped():
    space = SearchSpace({"a": Real(0, 1), "b": [1, 2]})
    assert space.decode([[-0.1, 1.1]]) == [{"a": 0.0, "b": 2}]


# -- properties ----------------------------------------------------------------------
unit = st.floats(0, 1)


@settings(max_examples=40, deadline=None)
@given(
    low=st.floats(-1e6, 1e6),
    width=st.floats(1e-6, 1e6),
    log=st.booleans(),
    u=st.lists(unit, min_size=1, max_size=20),
)
def test_real_property(low, width, log, u):
    low, high = (
        (1e-3 + abs(low), 1e-3 + abs(low) + width) if log else (low, low + width)
    )
    real = Real(low, high, prior="log-uniform" if log else "uniform")
    space = SearchSpace({"x": real})
    U = np.array(u)[:, None]
    values = [c["x"] for c in space.decode(U)]
    assert all(type(v) is float and low <= v <= high for v in values)
    # Monotone: the order of the points is the order of the values.
    assert np.all(np.diff(np.array(values)[np.argsort(u, kind="stable")]) >= 0)
    again = [c["x"] for c in space.decode(space.encode(space.decode(U)))]
    assert_allclose(again, values, rtol=1e-9, atol=1e-9 * width)


@settings(max_examples=40, deadline=None)
@given(
    low=st.integers(-1000, 1000),
    size=st.integers(0, 2000),
    log=st.booleans(),
    u=st.lists(unit, min_size=1, max_size=20),
)
def test_integer_property(low, size, log, u):
    low = abs(low) + 1 if log else low
    space = SearchSpace(
        {"x": Integer(low, low + size, "log-uniform" if log else "uniform")}
    )
    U = np.array(u)[:, None]
    values = [c["x"] for c in space.decode(U)]
    assert all(type(v) is int and low <= v <= low + size for v in values)
    S = space.snap(U)
    assert_array_equal(space.snap(S), S)
    assert [c["x"] for c in space.decode(S)] == values
    assert_array_equal(space.encode(space.decode(U)), S)


# -- objects with only rvs, unfrozen scipy families ---------------------------------
def test_an_unfrozen_family_without_shapes_is_frozen_with_its_defaults():
    U = np.linspace(0.05, 0.95, 7)[:, None]
    unfrozen = SearchSpace({"x": stats.expon}).decode(U)
    assert unfrozen == SearchSpace({"x": stats.expon()}).decode(U)


def test_rvs_only_draws_as_its_sampler_does():
    space = SearchSpace({"x": RvsOnly()}, random_state=0)
    assert space.kinds == ("real",) and space.n_choices.tolist() == [0]
    # Uniform points decode to draws of rvs: lognormal quantiles.
    U = np.random.RandomState(1).uniform(size=(4000, 1))
    x = np.array([p["x"] for p in space.decode(U)])
    q = np.quantile(x, [0.1, 0.5, 0.9])
    assert q == pytest.approx(stats.lognorm(1).ppf([0.1, 0.5, 0.9]), rel=0.15)
    # Ordered: a larger coordinate never decodes to a smaller value.
    grid = np.linspace(0, 1, 500)[:, None]
    values = [p["x"] for p in space.decode(grid)]
    assert values == sorted(values)
    # Snapped points are canonical, round-trip, and decode the same.
    S = space.snap(U[:50])
    np.testing.assert_array_equal(space.snap(S), S)
    assert space.decode(S) == space.decode(U[:50])
    np.testing.assert_allclose(space.encode(space.decode(S)), S)
    # The same random state draws the same sample.
    again = SearchSpace({"x": RvsOnly()}, random_state=0)
    assert again.decode(grid) == space.decode(grid)
    assert SearchSpace({"x": RvsOnly()}, random_state=1).decode(grid) != values


def test_rvs_only_integers_and_objects():
    space = SearchSpace(
        {
            "n": RvsOnly(lambda rng: rng.poisson(3)),
            "k": RvsOnly(lambda rng: ["a", "b", "b", None][rng.randint(4)]),
        },
        random_state=0,
    )
    assert space.kinds == ("integer", "real")
    U = np.random.RandomState(2).uniform(size=(2000, 2))
    decoded = space.decode(U)
    assert all(isinstance(p["n"], int) for p in decoded)
    k = [p["k"] for p in decoded]
    # Equal objects are one value, drawn as often as rvs draws it.
    shares = [k.count(v) / len(k) for v in ("a", "b", None)]
    assert shares == pytest.approx([0.25, 0.5, 0.25], abs=0.05)
    # A value never drawn is not in the space; one drawn encodes to its run.
    _, ok = space.subspaces[0]["k"]._encode(["zzz", "b"])
    assert ok.tolist() == [False, True]
    S = space.snap(U[:20])
    np.testing.assert_allclose(space.encode(space.decode(S)), S)
