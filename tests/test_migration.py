# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of skhpo.migration: spaces of scikit-optimize, optuna and scikit-learn."""

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from skhpo import BayesSearchCV
from skhpo.migration import from_optuna, from_sklearn, from_skopt
from skhpo.space import Categorical, Integer, Real, SearchSpace


# -- stand-ins named and placed like the real classes ------------------------------
def _placed(cls, module):
    cls.__module__ = module
    return cls


class _SkoptDimension:
    def __init__(self, low, high, prior="uniform", base=10, transform=None):
        self.low, self.high, self.prior, self.base = low, high, prior, base

    def __repr__(self):
        return f"{type(self).__name__}(low={self.low}, high={self.high})"


SkoptReal = _placed(type("Real", (_SkoptDimension,), {}), "skopt.space.space")
SkoptInteger = _placed(type("Integer", (_SkoptDimension,), {}), "skopt.space.space")


class _SkoptChoices:
    def __init__(self, categories, prior=None):
        self.categories, self.prior = tuple(categories), prior


SkoptCategorical = _placed(
    type("Categorical", (_SkoptChoices,), {}), "skopt.space.space"
)


class _OptunaNumber:
    def __init__(self, low, high, log=False, step=None):
        self.low, self.high, self.log, self.step = low, high, log, step


FloatDistribution = _placed(
    type("FloatDistribution", (_OptunaNumber,), {}), "optuna.distributions"
)
IntDistribution = _placed(
    type("IntDistribution", (_OptunaNumber,), {}), "optuna.distributions"
)
# A deprecated class as optuna 3 defines it: a subclass of FloatDistribution.
LogUniformDistribution = _placed(
    type("LogUniformDistribution", (FloatDistribution,), {}), "optuna.distributions"
)


class _OptunaChoices:
    def __init__(self, choices):
        self.choices = tuple(choices)


CategoricalDistribution = _placed(
    type("CategoricalDistribution", (_OptunaChoices,), {}), "optuna.distributions"
)


def _samples(space, n=200):
    """``n`` candidates of ``space`` decoded from uniform points of the cube."""
    space = SearchSpace(space)
    return space.decode(space.sample(n, np.random.RandomState(0)))


# -- scikit-optimize ---------------------------------------------------------------
def test_from_skopt_objects():
    choice = object()
    space = from_skopt(
        {
            "C": SkoptReal(1e-3, 1e3, prior="log-uniform", base=2),
            "n": SkoptInteger(np.int64(2), np.int64(9)),
            "k": SkoptCategorical(["a", choice, None]),
            "w": SkoptCategorical(["x", "y"], prior=[0.5, 0.5]),
        }
    )
    assert space["C"] == Real(1e-3, 1e3, prior="log-uniform")
    assert space["n"] == Integer(2, 9)
    assert type(space["n"].low) is int
    assert space["k"].categories[1] is choice
    assert space["w"] == Categorical(("x", "y"))
    for candidate in _samples(space):
        assert 1e-3 <= candidate["C"] <= 1e3 and type(candidate["C"]) is float
        assert 2 <= candidate["n"] <= 9 and type(candidate["n"]) is int
        assert any(candidate["k"] is c for c in ("a", choice, None))


def test_from_skopt_shorthand():
    space = from_skopt(
        {
            "a": (1, 5),
            "b": (0.5, 2),
            "c": (1e-4, 1.0, "log-uniform"),
            "d": (1, 100, "log-uniform", 2),
            "e": ("x", "y"),
            "f": (True, False),
            "g": (1, 5, 3),
            "h": ["rbf", "linear"],
            "i": [7],
            "j": Real(0, 1),
        }
    )
    assert space["a"] == Integer(1, 5)
    assert space["b"] == Real(0.5, 2.0)
    assert space["c"] == Real(1e-4, 1.0, prior="log-uniform")
    assert space["d"] == Integer(1, 100, prior="log-uniform")
    assert space["e"] == Categorical(("x", "y"))
    assert space["f"] == Categorical((True, False))
    assert space["g"] == Categorical((1, 5, 3))
    assert space["h"] == Categorical(["rbf", "linear"])
    assert space["i"] == Categorical([7])
    assert space["j"] == Real(0, 1)
    for candidate in _samples(space):
        assert type(candidate["a"]) is int and 1 <= candidate["a"] <= 5
        assert type(candidate["b"]) is float and 0.5 <= candidate["b"] <= 2


def test_from_skopt_list_of_dicts():
    space = from_skopt(
        [{"kernel": ["linear"]}, {"kernel": ["rbf"], "gamma": (0.1, 1.0)}]
    )
    assert space == [
        {"kernel": Categorical(["linear"])},
        {"kernel": Categorical(["rbf"]), "gamma": Real(0.1, 1.0)},
    ]


@pytest.mark.parametrize(
    "value, match",
    [
        ([1, 10], r"\['deg'\].*ambiguous.*tuple \(1, 10\)"),
        ([0.1, 1.0, "log-uniform"], r"\['deg'\].*ambiguous"),
        (SkoptReal(1, 2, prior="normal"), r"\['deg'\].*prior 'normal'"),
        (SkoptCategorical(["a", "b"], prior=[0.2, 0.8]), r"\['deg'\].*unequal prior"),
        ((), r"\['deg'\].*empty tuple"),
        ((1, 10, "uniform", 2), r"\['deg'\].*looks like bounds"),
        ((5, 1), r"\['deg'\].*low <= high"),
    ],
)
def test_from_skopt_errors_name_the_parameter(value, match):
    with pytest.raises(ValueError, match=match):
        from_skopt({"deg": value})


def test_from_skopt_refuses_other_objects_and_budgets():
    with pytest.raises(TypeError, match=r"\['deg'\].*scikit-optimize"):
        from_skopt({"deg": 3})
    with pytest.raises(ValueError, match=r"dimensions\[0\].*n_iter"):
        from_skopt([({"C": (0.1, 1.0)}, 10)])
    with pytest.raises(TypeError, match="dict or a list of dicts"):
        from_skopt("C")


def test_from_skopt_real_objects():
    pytest.importorskip("skopt")
    from skopt.space import Categorical as SCategorical
    from skopt.space import Integer as SInteger
    from skopt.space import Real as SReal

    choice = object()
    space = from_skopt(
        {
            "C": SReal(1e-3, 1e3, prior="log-uniform", base=2),
            "n": SInteger(1, 9, prior="log-uniform"),
            "k": SCategorical(["a", choice]),
        }
    )
    assert space["C"] == Real(1e-3, 1e3, prior="log-uniform")
    assert space["n"] == Integer(1, 9, prior="log-uniform")
    assert space["k"].categories[1] is choice


# -- optuna ------------------------------------------------------------------------
def test_from_optuna():
    choice = object()
    space = from_optuna(
        {
            "C": FloatDistribution(1e-3, 1e3, log=True),
            "x": FloatDistribution(-1.0, 1.0),
            "one": FloatDistribution(0.5, 0.5),
            "r": FloatDistribution(0.0, 1.0, step=0.1),
            "n": IntDistribution(1, 64, log=True, step=1),
            "m": IntDistribution(0, 10),
            "s": IntDistribution(16, 100, step=16),
            "k": CategoricalDistribution(["a", choice, None]),
            "old": LogUniformDistribution(0.1, 1.0, log=True),
        }
    )
    assert space["C"] == Real(1e-3, 1e3, prior="log-uniform")
    assert space["x"] == Real(-1.0, 1.0)
    assert space["one"] == Categorical([0.5])
    assert space["r"].categories == [
        0.0,
        0.1,
        0.2,
        0.3,
        0.4,
        0.5,
        0.6,
        0.7,
        0.8,
        0.9,
        1.0,
    ]
    assert space["n"] == Integer(1, 64, prior="log-uniform")
    assert space["m"] == Integer(0, 10)
    assert space["s"] == Categorical([16, 32, 48, 64, 80, 96])
    assert space["k"].categories[1] is choice
    assert space["old"] == Real(0.1, 1.0, prior="log-uniform")
    for candidate in _samples(space):
        assert type(candidate["C"]) is float and 1e-3 <= candidate["C"] <= 1e3
        assert type(candidate["n"]) is int and 1 <= candidate["n"] <= 64
        assert type(candidate["s"]) is int and candidate["s"] % 16 == 0


def test_from_optuna_pre_3_classes():
    # optuna 2 had standalone classes with no `log`, and `q` for the step.
    class DiscreteUniformDistribution:
        def __init__(self, low, high, q):
            self.low, self.high, self.q = low, high, q

    class IntLogUniformDistribution:
        def __init__(self, low, high):
            self.low, self.high = low, high

    for cls in (DiscreteUniformDistribution, IntLogUniformDistribution):
        cls.__module__ = "optuna.distributions"
    space = from_optuna(
        {
            "q": DiscreteUniformDistribution(0.0, 1.0, 0.25),
            "n": IntLogUniformDistribution(1, 100),
        }
    )
    assert space["q"] == Categorical([0.0, 0.25, 0.5, 0.75, 1.0])
    assert space["n"] == Integer(1, 100, prior="log-uniform")


@pytest.mark.parametrize(
    "value, match",
    [
        (FloatDistribution(0.0, 1.0, step=1e-6), r"\['lr'\].*1000001 values"),
        (FloatDistribution(0.0, 1.0, step=0.0), r"\['lr'\].*positive step"),
        (FloatDistribution(1e-3, 1.0, log=True, step=0.1), r"\['lr'\].*log prior"),
        (FloatDistribution(2.0, 1.0), r"\['lr'\].*low < high"),
    ],
)
def test_from_optuna_errors_name_the_parameter(value, match):
    with pytest.raises(ValueError, match=match):
        from_optuna({"lr": value})


def test_from_optuna_refuses_other_objects():
    with pytest.raises(TypeError, match=r"\['lr'\].*optuna FloatDistribution"):
        from_optuna({"lr": (0.1, 1.0)})


def test_from_optuna_real_objects():
    pytest.importorskip("optuna")
    from optuna import distributions as d

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecated classes warn
        old = d.IntUniformDistribution(0, 10, step=5)
    space = from_optuna(
        {
            "C": d.FloatDistribution(1e-3, 1e3, log=True),
            "r": d.FloatDistribution(0.0, 1.0, step=0.5),
            "n": d.IntDistribution(1, 64, log=True),
            "k": d.CategoricalDistribution(["a", None]),
            "old": old,
        }
    )
    assert space["C"] == Real(1e-3, 1e3, prior="log-uniform")
    assert space["r"] == Categorical([0.0, 0.5, 1.0])
    assert space["n"] == Integer(1, 64, prior="log-uniform")
    assert space["k"] == Categorical(("a", None))
    assert space["old"] == Categorical([0, 5, 10])


# -- scikit-learn ------------------------------------------------------------------
def test_from_sklearn():
    choices = ["l2", None]
    norm = stats.norm(0, 1)
    space = from_sklearn(
        {
            "C": stats.loguniform(1e-3, 1e3),
            "D": stats.loguniform(a=1, b=10, scale=2),
            "E": stats.loguniform(1, 10, loc=1),  # not log-uniform: kept
            "n": stats.randint(50, 500),
            "m": stats.randint(0, 3, loc=10),
            "x": stats.uniform(-1, 2),
            "y": stats.uniform(loc=0.5),
            "z": norm,
            "p": choices,
            "r": Real(0, 1),
        }
    )
    assert space["C"] == Real(1e-3, 1e3, prior="log-uniform")
    assert space["D"] == Real(2.0, 20.0, prior="log-uniform")
    assert space["E"].dist.name == "loguniform"
    assert space["n"] == Integer(50, 499)
    assert space["m"] == Integer(10, 12)
    assert space["x"] == Real(-1.0, 1.0)
    assert space["y"] == Real(0.5, 1.5)
    assert space["z"] is norm
    assert space["p"] is choices
    assert space["r"] == Real(0, 1)
    for candidate in _samples(space):
        assert type(candidate["n"]) is int and 50 <= candidate["n"] <= 499
        assert type(candidate["C"]) is float and 1e-3 <= candidate["C"] <= 1e3
        assert -1 <= candidate["x"] <= 1


def test_from_sklearn_same_space_as_the_original():
    # The conversion changes how the space is written, not the candidates.
    original = {
        "C": stats.loguniform(1e-3, 1e3),
        "n": stats.randint(1, 7),
        "x": stats.uniform(2, 3),
    }
    U = np.random.RandomState(0).uniform(size=(50, 3))
    before = SearchSpace(original).decode(U)
    after = SearchSpace(from_sklearn(original)).decode(U)
    for a, b in zip(before, after, strict=True):
        assert a["n"] == b["n"]
        assert a["C"] == pytest.approx(b["C"]) and a["x"] == pytest.approx(b["x"])


def test_from_sklearn_grid_list_and_errors():
    grid = [{"kernel": ["linear"], "C": [1, 10]}, {"kernel": ["rbf"], "gamma": [0.1]}]
    assert from_sklearn(grid) == grid
    with pytest.raises(ValueError, match=r"param_distributions\['C'\].*low < high"):
        from_sklearn({"C": Real(10, 1)})
    with pytest.raises(TypeError, match=r"\['C'\].*distribution family"):
        from_sklearn({"C": stats.loguniform})


# -- end to end --------------------------------------------------------------------
@pytest.mark.parametrize(
    "convert, space",
    [
        (from_skopt, {"C": (1e-2, 1e2, "log-uniform"), "fit_intercept": [True, False]}),
        (from_optuna, {"C": FloatDistribution(1e-2, 1e2, log=True)}),
        (from_sklearn, {"C": stats.loguniform(1e-2, 1e2)}),
    ],
)
def test_search_fits_on_converted_space(convert, space):
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    search = BayesSearchCV(
        LogisticRegression(), convert(space), n_iter=4, cv=2, random_state=0
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert 1e-2 <= search.best_params_["C"] <= 1e2
