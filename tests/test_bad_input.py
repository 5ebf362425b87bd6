# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Malformed input: a clear error naming the problem, before any fit (issue 6).

Property-based tests: whatever hypothesis puts in a search space, a constructor
parameter or the data, every search either accepts it and behaves, or raises a
``ValueError`` or ``TypeError`` whose message names the parameter (spaces:
``param_distributions['a']: ...``) before a single fit has started, never an
error from deep inside numpy, scipy or an optimizer. ``FitCounter`` counts the fits.
"""

import math
import re

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import make_classification
from sklearn.dummy import DummyRegressor

from skhpo import HyperbandSearchCV
from skhpo.space import Categorical, Integer, Real, SearchSpace
from skhpo.utils._testing import SEARCHES, FitCounter, QuadraticClassifier, make_search

# Few examples each: the file runs in well under a minute on two cores.
FEW = settings(max_examples=40, deadline=None)
SOME = settings(max_examples=120, deadline=None)

LOCATION = r"^param_distributions\['a'\]: "


@pytest.fixture(scope="module")
def data():
    """60 rows of a 2-class problem (module scope: hypothesis reuses it)."""
    return make_classification(n_samples=60, n_features=4, random_state=0)


def raises_before_any_fit(SearchCV, data, error, match, space=None, **params):
    """Fit a FitCounter search, assert it raises ``error`` and fitted nothing."""
    FitCounter.n_fits = 0
    if space is None:
        space = {"a": Real(0.0, 1.0)}
    search = make_search(SearchCV, FitCounter(), space, n_jobs=1, **params)
    with pytest.raises(error, match=match) as info:
        search.fit(*data)
    assert FitCounter.n_fits == 0
    return info.value


def budget_name(SearchCV):
    """Hyperband counts its budget in brackets, the others in candidates."""
    return "n_brackets" if SearchCV is HyperbandSearchCV else "n_iter"


def as_float(x):
    try:
        return float(x)
    except OverflowError:  # an int beyond 1e308
        return math.inf if x > 0 else -math.inf


def as_integer(x):
    """``x`` as an int if it is an integral finite number, else None."""
    if isinstance(x, float):
        return int(x) if math.isfinite(x) and x.is_integer() else None
    return x


def decoded(space, u):
    """The decoded values of ``{"a": ...}`` at points ``u`` of [0, 1]."""
    return [c["a"] for c in space.decode(np.asarray(u, dtype=float)[:, None])]


# -- bounds of Real and Integer --------------------------------------------------------
# Floats with NaN and infinities, and ints too large for a float.
BOUNDS = st.one_of(st.floats(), st.integers(-(10**400), 10**400))
UNIT = st.lists(st.floats(0, 1), min_size=1, max_size=4)


@pytest.mark.parametrize("SearchCV", SEARCHES)
@FEW
@given(low=BOUNDS, high=BOUNDS, log=st.booleans(), u=UNIT)
def test_real_bounds(SearchCV, low, high, log, u, data):
    real = Real(low, high, prior="log-uniform" if log else "uniform")
    lo, hi = as_float(low), as_float(high)
    valid = (
        math.isfinite(lo)
        and math.isfinite(hi)
        and math.isfinite(hi - lo)
        and lo < hi
        and (lo > 0 or not log)
    )
    if not valid:  # NaN, an infinite bound or width, low >= high, log of <= 0
        match = LOCATION + re.escape(f"{real!r} needs ")
        raises_before_any_fit(SearchCV, data, ValueError, match, {"a": real})
        return
    values = decoded(SearchSpace({"a": real}), [0.0, 1.0, *u])
    assert values[:2] == [lo, hi]  # the ends of [0, 1] are the bounds exactly
    assert all(type(v) is float and lo <= v <= hi for v in values)


@pytest.mark.parametrize("SearchCV", SEARCHES)
@FEW
@given(low=BOUNDS, high=BOUNDS, log=st.booleans(), u=UNIT)
def test_integer_bounds(SearchCV, low, high, log, u, data):
    integer = Integer(low, high, prior="log-uniform" if log else "uniform")
    lo, hi = as_integer(low), as_integer(high)
    valid = (
        lo is not None
        and hi is not None
        and max(abs(lo), abs(hi)) <= 2**53
        and lo <= hi
        and (lo >= 1 or not log)
    )
    if not valid:  # NaN, infinite, fractional or huge bounds, low > high...
        match = LOCATION + re.escape(f"{integer!r} needs ")
        raises_before_any_fit(SearchCV, data, ValueError, match, {"a": integer})
        return
    values = decoded(SearchSpace({"a": integer}), [0.0, 1.0, *u])
    assert values[:2] == [lo, hi]
    assert all(type(v) is int and lo <= v <= hi for v in values)


NOT_NUMBERS = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.complex_numbers(),
    st.lists(st.integers(), max_size=2),
    st.builds(np.array, st.lists(st.floats(), max_size=2)),
)


@pytest.mark.parametrize("SearchCV", SEARCHES)
@FEW
@given(
    bad=NOT_NUMBERS,
    Dimension=st.sampled_from([Real, Integer]),
    bad_low=st.booleans(),
)
def test_bounds_that_are_not_numbers(SearchCV, bad, Dimension, bad_low, data):
    dimension = Dimension(bad, 10) if bad_low else Dimension(0, bad)
    match = LOCATION + re.escape(f"{dimension!r} needs ")
    raises_before_any_fit(SearchCV, data, TypeError, match, {"a": dimension})


@pytest.mark.parametrize("SearchCV", SEARCHES)
@FEW
@given(
    prior=st.one_of(st.text(max_size=12), st.none(), st.integers(), st.booleans()),
    Dimension=st.sampled_from([Real, Integer]),
)
def test_unknown_prior(SearchCV, prior, Dimension, data):
    if prior in ("uniform", "log-uniform"):
        return
    dimension = Dimension(1, 10, prior=prior)
    match = LOCATION + re.escape(f"{dimension!r} has an unknown prior")
    raises_before_any_fit(SearchCV, data, ValueError, match, {"a": dimension})


# -- values that are no dimension at all -----------------------------------------------
NOT_DIMENSIONS = st.one_of(
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.complex_numbers(),
    st.text(max_size=4),  # a string is not a list of its characters
    st.binary(max_size=4),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.sets(st.integers(), max_size=3),  # no order
    st.frozensets(st.integers(), max_size=3),
    st.builds(np.float64, st.floats()),
    st.builds(np.int64, st.integers(-(2**63), 2**63 - 1)),
    st.sampled_from(
        [
            FitCounter(),  # an estimator, not a list of estimators
            object(),
            Real,  # the class, not an instance
            scipy.stats.randint,  # a family that needs its parameters
            scipy.stats.gamma,
            range,
        ]
    ),
)


@pytest.mark.parametrize("SearchCV", SEARCHES)
@SOME
@given(value=NOT_DIMENSIONS, wrap=st.booleans())
def test_values_that_are_not_dimensions(SearchCV, value, wrap, data):
    space = {"a": Categorical(value) if wrap else value}
    raises_before_any_fit(SearchCV, data, TypeError, LOCATION, space)


@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize(
    "value",
    [np.array(3.0), np.zeros((2, 2)), np.zeros((1, 0)), Categorical(np.ones((3, 1)))],
    ids=["0-d", "2-d", "empty 2-d", "Categorical 2-d"],
)
def test_arrays_that_are_not_one_dimensional(SearchCV, value, data):
    match = LOCATION + "needs a 1-d array of choices"
    raises_before_any_fit(SearchCV, data, ValueError, match, {"a": value})


@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize(
    "value",
    [[], (), np.array([]), range(0), Categorical([]), Categorical(())],
    ids=["list", "tuple", "array", "range", "Categorical list", "Categorical tuple"],
)
def test_empty_choices(SearchCV, value, data):
    match = LOCATION + "needs at least one choice"
    raises_before_any_fit(SearchCV, data, ValueError, match, {"a": value})


# -- the shape of param_distributions --------------------------------------------------
@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize(
    "space, error, match",
    [
        ({}, ValueError, r"^param_distributions: empty dict"),
        ([], ValueError, r"^param_distributions: empty list"),
        ([{}], ValueError, r"^param_distributions\[0\]: empty dict"),
        ([{"a": [1]}, {}], ValueError, r"^param_distributions\[1\]: empty dict"),
        ([{"a": [1]}, 3], TypeError, r"^param_distributions\[1\]: expected a dict"),
        ([[{"a": [1]}]], TypeError, r"^param_distributions\[0\]: expected a dict"),
        ([None], TypeError, r"^param_distributions\[0\]: expected a dict"),
        # scikit-learn's own validation: a dict or a list, nothing else
        (({"a": [1]},), ValueError, "'param_distributions' parameter"),
        ("a", ValueError, "'param_distributions' parameter"),
        (None, ValueError, "'param_distributions' parameter"),
    ],
    ids=repr,
)
def test_malformed_param_distributions(SearchCV, space, error, match, data):
    search = make_search(SearchCV, FitCounter(), n_jobs=1)
    search.set_params(param_distributions=space)  # make_search replaces None
    FitCounter.n_fits = 0
    with pytest.raises(error, match=match):
        search.fit(*data)
    assert FitCounter.n_fits == 0


@pytest.mark.parametrize("SearchCV", SEARCHES)
@FEW
@given(
    name=st.one_of(
        st.integers(), st.floats(), st.none(), st.booleans(), st.tuples(st.text())
    )
)
def test_parameter_names_must_be_strings(SearchCV, name, data):
    match = r"^param_distributions\[.*\]: parameter names must be str"
    raises_before_any_fit(SearchCV, data, TypeError, match, {name: [1, 2]})


@pytest.mark.parametrize("SearchCV", SEARCHES)
@FEW
@given(
    name=st.text(max_size=8).filter(lambda name: name not in ("a", "b")),
    n_before=st.integers(0, 2),
)
def test_unknown_estimator_parameters(SearchCV, name, n_before, data):
    # the bad name in the last of 1 to 3 dicts: the error locates the dict
    space = [{"a": [0.1]}] * n_before + [{name: [1, 2]}]
    where = f"param_distributions[{n_before}][{name!r}]"
    match = "^" + re.escape(f"{where}: {name!r} is not a parameter of FitCounter")
    raises_before_any_fit(SearchCV, data, ValueError, match, space)


@pytest.mark.parametrize("SearchCV", SEARCHES)
@FEW
@given(position=st.integers(0, 2), value=st.sampled_from([[], "abc", 3, Real(1, 0)]))
def test_errors_locate_the_dict_of_a_conditional_space(SearchCV, position, value, data):
    space = [{"a": [0.1, 0.2]}, {"a": Real(0, 1)}, {"b": [1]}]
    space[position] = {"a": value}
    error = TypeError if isinstance(value, (str, int)) else ValueError
    match = "^" + re.escape(f"param_distributions[{position}]['a']: ")
    raises_before_any_fit(SearchCV, data, error, match, space)


# -- categories: any objects, returned as the very objects given -----------------------
ANY_OBJECT = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN included
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),  # unhashable
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.tuples(st.integers(), st.lists(st.integers(), max_size=1)),
    st.builds(np.array, st.lists(st.integers(-3, 3), max_size=3)),
    st.builds(FitCounter, a=st.floats(0, 1)),
)


@pytest.mark.filterwarnings("error")
@SOME
@given(choices=st.lists(ANY_OBJECT, min_size=1, max_size=6), u=UNIT)
def test_any_objects_are_choices(choices, u):
    space = SearchSpace({"a": choices})
    assert space.n_choices.tolist() == [len(choices)]
    k = len(choices)
    centres = (np.arange(k) + 0.5) / k
    values = decoded(space, [*centres, *u])
    for i, value in enumerate(values[:k]):
        # the very object of cell i, or of an earlier cell holding an equal choice
        earlier = [c for c in choices[:i] if type(c) is type(choices[i])]
        assert value is choices[i] or any(value is c for c in earlier)
    assert all(any(value is c for c in choices) for value in values)
    # keys are equal exactly when the candidates are identical
    keys = space.keys(np.asarray([*centres, *u])[:, None])
    for i in range(len(values)):
        for j in range(len(values)):
            assert (keys[i] == keys[j]) == (values[i] is values[j])
    # decode(encode(candidates)) gives the very same objects back
    again = [
        c["a"]
        for c in space.decode(
            space.encode(space.decode(space.snap(np.asarray(u)[:, None])))
        )
    ]
    assert all(x is y for x, y in zip(again, values[k:]))


@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize(
    "space",
    [{"a": Integer(3, 3)}, {"a": [0.2, 0.8]}, {"a": scipy.stats.poisson(0)}],
    ids=["one integer", "two choices", "poisson(0)"],
)
def test_spaces_smaller_than_a_batch(SearchCV, space, data):
    # Hyperband once crashed in top_k, asked to promote 3 of a rung of 1 or 2: its
    # first bracket here plans rungs of 9, 3 and 1 candidates
    params = {"min_resources": 3} if SearchCV is HyperbandSearchCV else {}
    search = make_search(SearchCV, FitCounter(), space, **params)
    # A grid that n_iter covers is evaluated whole, with scikit-learn's warning.
    match = "holds no candidate that was not evaluated|total space of parameters"
    with pytest.warns(UserWarning, match=match):
        search.fit(*data)
    seen = {params["a"] for params in search.cv_results_["params"]}
    assert seen == {c["a"] for c in SearchSpace(space).decode([[0.25], [0.75]])}


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_unhashable_and_mixed_choices_through_every_search(SearchCV, data):
    choices = [[1, 2], {"k": [1]}, None, np.array([1, 2]), 1, 1.0, True, "1"]
    search = make_search(SearchCV, QuadraticClassifier(), {"d": choices}, n_iter=8)
    search.fit(*data)
    for params in search.cv_results_["params"]:
        assert any(params["d"] is choice for choice in choices)
    assert any(search.best_params_["d"] is choice for choice in choices)


# -- scipy.stats distributions ---------------------------------------------------------
PARAMS = st.one_of(
    st.floats(),  # NaN, infinities, negative and zero scales
    st.floats(-10, 10),
    st.sampled_from([1e-300, 1e300, 5e-324]),
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy, on absurd parameters
@SOME
@given(
    family=st.sampled_from(
        [scipy.stats.norm, scipy.stats.uniform, scipy.stats.expon, scipy.stats.cauchy]
    ),
    loc=PARAMS,
    scale=PARAMS,
    u=UNIT,
    SearchCV=st.sampled_from(SEARCHES),
)
def test_continuous_distributions(family, loc, scale, u, SearchCV, data):
    dist = family(loc, scale)
    try:
        space = SearchSpace({"a": dist})
    except ValueError as exc:
        assert re.match(LOCATION + re.escape(f"scipy.stats.{family.name}("), str(exc))
        raises_before_any_fit(SearchCV, data, ValueError, LOCATION, {"a": dist})
        return
    # accepted: every value is a finite float of the support
    low, high = dist.support()
    values = decoded(space, [0.0, 1.0, *u])
    assert all(type(v) is float and low <= v <= high for v in values)
    assert all(math.isfinite(v) for v in values)


ANY_NUMBER = st.one_of(st.floats(), st.integers(-(2**64), 2**64))
DISCRETE = st.one_of(
    st.builds(scipy.stats.randint, ANY_NUMBER, ANY_NUMBER),
    st.builds(scipy.stats.poisson, ANY_NUMBER),
    st.builds(scipy.stats.geom, st.one_of(st.floats(), st.floats(0, 1e-12))),
    # n up to 1e6 only: scipy 1.11's binom.ppf never returns for n = 1e18
    st.builds(
        scipy.stats.binom,
        st.one_of(st.integers(-3, 10**6), st.sampled_from([math.nan, math.inf, 2.5])),
        st.floats(),
    ),
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@SOME
@given(dist=DISCRETE, u=UNIT, SearchCV=st.sampled_from(SEARCHES))
def test_discrete_distributions(dist, u, SearchCV, data):
    try:
        space = SearchSpace({"a": dist})
    except ValueError as exc:
        family = dist.dist.name
        assert re.match(LOCATION + re.escape(f"scipy.stats.{family}("), str(exc))
        raises_before_any_fit(SearchCV, data, ValueError, LOCATION, {"a": dist})
        return
    # accepted: every value is an int of the support, whose size floats can count
    low, high = dist.support()
    values = decoded(space, [0.0, 1.0, *u])
    assert all(type(v) is int and low <= v <= high for v in values)
    assert all(abs(v) <= 2**53 for v in values)


@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize(
    "dist",
    [
        scipy.stats.norm(0, [1, 2]),
        scipy.stats.norm([0, 1, 2], 1),  # as many values as points asked for
        scipy.stats.uniform(np.zeros((2, 1)), 1),
        scipy.stats.randint([0, 1], 5),
        scipy.stats.poisson([[1.0]]),
    ],
    ids=["norm scale", "norm loc", "uniform column", "randint low", "poisson 2-d"],
)
def test_distributions_with_array_parameters(SearchCV, dist, data):
    match = "(?s)" + LOCATION + r".*parameters have shape \("
    raises_before_any_fit(SearchCV, data, ValueError, match, {"a": dist})


# -- constructor parameters ------------------------------------------------------------
def not_a_count(smallest, none_ok):
    """Anything but an int >= ``smallest`` (``None`` too unless ``none_ok``)."""
    bad = [
        st.integers(max_value=smallest - 1),
        st.floats(),  # even integral floats, as scikit-learn's own counts
        st.text(max_size=3),
        st.just(False),  # 0
        st.builds(np.float64, st.floats()),
    ]
    if not none_ok:
        bad.append(st.none())
    return st.one_of(*bad)


@pytest.mark.parametrize("SearchCV", SEARCHES)
@FEW
@given(value=not_a_count(1, none_ok=False))
def test_bad_budget(SearchCV, value, data):
    # n_brackets=None is valid for Hyperband (one Hyperband iteration). True is
    # taken for 1, as scikit-learn's own searches take it; False is 0 and fails.
    name = budget_name(SearchCV)
    if value is None and name == "n_brackets":
        return
    match = f"'{name}' parameter of {SearchCV.__name__}"
    raises_before_any_fit(SearchCV, data, ValueError, match, **{name: value})


@pytest.mark.parametrize("SearchCV", SEARCHES)
@FEW
@given(value=not_a_count(1, none_ok=True))
def test_bad_n_iter_no_change(SearchCV, value, data):
    match = f"'n_iter_no_change' parameter of {SearchCV.__name__}"
    raises_before_any_fit(SearchCV, data, ValueError, match, n_iter_no_change=value)


@pytest.mark.parametrize("SearchCV", SEARCHES)
@FEW
@given(
    value=st.one_of(
        st.floats(max_value=0),  # -inf included
        st.just(math.nan),
        st.just(math.inf),  # None is the way to say no limit
        st.integers(max_value=0),
        st.just(False),
        st.text(max_size=3),
    )
)
def test_bad_max_time(SearchCV, value, data):
    match = f"'max_time' parameter of {SearchCV.__name__}"
    raises_before_any_fit(SearchCV, data, ValueError, match, max_time=value)


@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize("max_time", [5e-324, 1e-9], ids=["denormal", "ns"])
def test_a_max_time_shorter_than_anything_still_runs_one_batch(
    SearchCV, max_time, data
):
    # it once ended the search before its first batch: IndexError in scikit-learn
    search = make_search(SearchCV, FitCounter(), max_time=max_time).fit(*data)
    assert len(search.cv_results_["params"]) >= 1
    assert "a" in search.best_params_


@FEW
@given(
    factor=st.one_of(
        st.floats(max_value=1),  # -inf included
        st.just(math.nan),
        st.just(math.inf),
        st.just(True),  # 1
        st.text(max_size=3),
        st.none(),
    )
)
def test_bad_hyperband_factor(factor, data):
    match = "'factor' parameter of HyperbandSearchCV"
    raises_before_any_fit(HyperbandSearchCV, data, ValueError, match, factor=factor)


@FEW
@given(factor=st.floats(1, 1.01, exclude_min=True), min_resources=st.integers(1, 2))
def test_hyperband_factor_barely_above_one(factor, min_resources, data):
    # Hyperband needs log_factor(60 / min_resources) + 1 > 200 brackets here: there
    # could be trillions, each with as many rungs, and exact rational powers that
    # never finished, before hyperband_brackets checked their number.
    match = "^" + re.escape(f"factor={factor!r} is too small for max_resources")
    params = {"factor": factor, "min_resources": min_resources}
    raises_before_any_fit(HyperbandSearchCV, data, ValueError, match, **params)


def test_hyperband_factor_barely_above_one_with_auto_resources(data):
    # "auto" makes min_resources max_resources / factor**4: 59 of 60 samples
    match = re.escape("max_resources / min_resources = 60 / 59")
    factor = 1 + 1e-12
    raises_before_any_fit(HyperbandSearchCV, data, ValueError, match, factor=factor)


@FEW
@given(
    name=st.sampled_from(["min_resources", "max_resources"]),
    value=st.one_of(
        st.integers(max_value=0),
        st.floats(),
        st.text(max_size=4).filter(lambda text: text != "auto"),
        st.none(),
        st.booleans(),
    ),
)
def test_bad_hyperband_resources(name, value, data):
    raises_before_any_fit(HyperbandSearchCV, data, ValueError, name, **{name: value})


@FEW
@given(
    name=st.sampled_from(["min_resources", "max_resources"]),
    value=st.integers(61, 10**30),
)
def test_hyperband_resources_beyond_the_data(name, value, data):
    # 60 samples in X (budgets count them, as HalvingRandomSearchCV's do)
    if name == "max_resources":
        match = re.escape(f"max_resources={value} exceeds ")
    else:  # scikit-learn's words
        match = re.escape(f"min_resources_={value} is greater than max_resources_=60")
    raises_before_any_fit(HyperbandSearchCV, data, ValueError, match, **{name: value})


@FEW
@given(low=st.integers(2, 40), gap=st.integers(1, 10))
def test_hyperband_min_resources_above_max_resources(low, gap, data):
    match = re.escape(
        f"min_resources_={low + gap} is greater than max_resources_={low}"
    )
    params = {"min_resources": low + gap, "max_resources": low}
    raises_before_any_fit(HyperbandSearchCV, data, ValueError, match, **params)


@FEW
@given(resource=st.text(max_size=8).filter(lambda r: r not in ("n_samples", "a", "b")))
def test_hyperband_unknown_resource(resource, data):
    match = re.escape(f"resource={resource!r} is neither 'n_samples' nor a")
    raises_before_any_fit(HyperbandSearchCV, data, ValueError, match, resource=resource)


@pytest.mark.parametrize(
    "resource, match",
    [
        ("a", "Cannot use parameter a as the resource since it is part of"),
        ("b", "resource='b' of FitCounter is 0.5; set max_resources"),
    ],
)
def test_hyperband_resource_that_is_no_budget(resource, match, data):
    raises_before_any_fit(HyperbandSearchCV, data, ValueError, match, resource=resource)


# -- the data --------------------------------------------------------------------------
@pytest.mark.parametrize("SearchCV", SEARCHES)
@FEW
@given(n_x=st.integers(4, 60), n_y=st.integers(4, 60))
def test_x_and_y_of_different_lengths(SearchCV, n_x, n_y, data):
    if n_x == n_y:
        return
    X, y = data
    match = re.escape(f"inconsistent numbers of samples: [{n_x}, {n_y}]")
    raises_before_any_fit(SearchCV, (X[:n_x], y[:n_y]), ValueError, match)


# scikit-learn's type_of_target casts the NaN to int before it looks for NaN
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("SearchCV", SEARCHES)
@FEW
@given(
    rows=st.lists(st.integers(0, 59), min_size=1, max_size=3),
    bad=st.sampled_from([math.nan, math.inf, -math.inf]),
)
def test_classifier_targets_with_nan_or_infinity(SearchCV, rows, bad, data):
    # A classifier's folds are stratified: choosing them checks the targets first
    X, y = data
    y = y.astype(float)
    y[rows] = bad
    match = "y contains (NaN|infinity)"
    raises_before_any_fit(SearchCV, (X, y), ValueError, match)


class NaNTolerantRegressor(RegressorMixin, BaseEstimator):
    """Predicts the mean of the known targets; NaN marks a missing target."""

    def __init__(self, a=0.5):
        self.a = a

    def fit(self, X, y):
        self.mean_ = float(np.nanmean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_regression_targets_with_nan_are_the_estimators_business(SearchCV, data):
    # The searches leave y to the estimator, as scikit-learn's searches do: one
    # may treat NaN as a missing target, so the search cannot reject NaN itself.
    X, y = data
    y = y.astype(float)
    y[::7] = np.nan
    search = make_search(
        SearchCV, NaNTolerantRegressor(), {"a": Real(0, 1)}, scoring=lambda *_: 0.0
    )
    assert len(search.fit(X, y).cv_results_["params"]) >= 1
    # One that rejects NaN fails on its first fit, and the search says why.
    search = make_search(SearchCV, DummyRegressor(), {"constant": Real(0, 1)})
    with pytest.raises(ValueError, match="contains NaN"):
        search.set_params(error_score="raise").fit(X, y)


# -- initial_params -------------------------------------------------------------------
@pytest.mark.parametrize("SearchCV", SEARCHES)
@pytest.mark.parametrize(
    "initial, error, match",
    [
        (
            [{"a": 2.0}],
            ValueError,
            r"^initial_params: param_distributions\['a'\]: 2.0 of candidate 0 is not",
        ),
        ([{"a": 0.5}, {"b": 0.5}], ValueError, r"^initial_params: candidate 1 has"),
        ([{"a": 0.5}, {}], ValueError, r"^initial_params: candidate 1 .* lacks"),
        ([{"a": 0.5}, 0.5], TypeError, r"^initial_params: candidate 1 must be a dict"),
        ([{"a": "x"}], ValueError, r"^initial_params: .*'x' of candidate 0 is not"),
        ({"a": 0.5}, ValueError, r"^initial_params: (a dict must be|\w+ takes a list)"),
        (0.5, ValueError, r"'initial_params' parameter of \w+SearchCV must be"),
    ],
)
def test_bad_initial_params(SearchCV, initial, error, match, data):
    raises_before_any_fit(SearchCV, data, error, match, initial_params=initial)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_more_initial_params_than_the_budget(SearchCV, data):
    initial = [{"a": a} for a in np.linspace(0.0, 1.0, 41)]
    initial += initial[:5]  # the same candidates twice count once
    raises_before_any_fit(
        SearchCV,
        data,
        ValueError,
        r"^initial_params holds 41 distinct candidates, more than the",
        initial_params=initial,
        **{budget_name(SearchCV): 1},
    )
