# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
import sys

import numpy as np
import pytest
from scipy.stats import uniform
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.model_selection import RandomizedSearchCV

from skhpo import HyperbandSearchCV
from skhpo.plots import ConvergenceDisplay, ImportanceDisplay, SliceDisplay
from skhpo.plots._importance import _main_effect_importance
from skhpo.space import Categorical, Integer, Real
from skhpo.utils._testing import (
    SEARCHES,
    QuadraticClassifier,
    fails_above_half,
    make_search,
)

DISPLAYS = [ConvergenceDisplay, SliceDisplay, ImportanceDisplay]


@pytest.fixture
def pyplot():
    """matplotlib.pyplot on the Agg backend; closes every figure afterwards."""
    matplotlib = pytest.importorskip("matplotlib", reason="the plots need matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def running_max_of_best_rows(search, metric="score"):
    """The expected best-so-far line, written out row by row."""
    results = search.cv_results_
    scores = np.asarray(results[f"mean_test_{metric}"], dtype=float)
    counted = np.ones(len(scores), bool)
    if "n_resources" in results:
        counted = results["n_resources"] == np.max(results["n_resources"])
    best, line = -np.inf, []
    for score, ok in zip(scores, counted):
        if ok and not np.isnan(score):
            best = max(best, score)
        line.append(np.nan if best == -np.inf else best)
    return np.array(line)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_convergence_line_is_the_running_best(pyplot, small_data, SearchCV):
    X, y = small_data
    search = make_search(SearchCV, QuadraticClassifier(noise=0.1)).fit(X, y)
    display = ConvergenceDisplay.from_estimator(search)

    n = len(search.cv_results_["params"])
    expected = running_max_of_best_rows(search)
    np.testing.assert_array_equal(display.line_.get_xdata(), np.arange(1, n + 1))
    np.testing.assert_allclose(display.line_.get_ydata(), expected)
    assert display.best_scores[-1] == pytest.approx(search.best_score_)
    np.testing.assert_allclose(
        display.points_.get_ydata(), search.cv_results_["mean_test_score"]
    )
    assert display.ax_.get_legend().get_texts()[0].get_text() == SearchCV.__name__
    assert display.figure_ is display.ax_.figure


def test_convergence_against_time(pyplot, small_data):
    X, y = small_data
    search = make_search(SEARCHES[0]).fit(X, y)
    display = ConvergenceDisplay.from_estimator(search, x="time")

    results = search.cv_results_
    seconds = (results["mean_fit_time"] + results["mean_score_time"]) * 2  # cv=2
    np.testing.assert_allclose(display.line_.get_xdata(), np.cumsum(seconds))
    assert "time" in display.ax_.get_xlabel()
    with pytest.raises(ValueError, match="x must be 'candidates' or 'time'"):
        ConvergenceDisplay.from_estimator(search, x="seconds")


def test_convergence_overlays_searches_on_one_ax(pyplot, small_data):
    X, y = small_data
    _, ax = pyplot.subplots()
    for SearchCV in SEARCHES[:2]:
        search = make_search(SearchCV).fit(X, y)
        display = ConvergenceDisplay.from_estimator(search, ax=ax)
        assert display.ax_ is ax
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == [SearchCV.__name__ for SearchCV in SEARCHES[:2]]
    assert len(ax.get_lines()) == 4  # a line and its points per search


def test_convergence_skips_failed_fits(pyplot, small_data):
    X, y = small_data
    estimator = QuadraticClassifier(fail_when=fails_above_half)
    with pytest.warns((FitFailedWarning, UserWarning)):
        search = make_search(SEARCHES[0], estimator, n_iter=8).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isnan(scores).any()
    display = ConvergenceDisplay.from_estimator(search)
    assert len(display.points_.get_ydata()) == np.isfinite(scores).sum()
    np.testing.assert_allclose(
        display.line_.get_ydata(), running_max_of_best_rows(search)
    )


def test_convergence_from_arrays(pyplot):
    display = ConvergenceDisplay(
        x_values=[1, 2, 3],
        scores=[0.5, np.nan, 0.7],
        best_scores=[0.5, 0.5, 0.7],
        name="mine",
    ).plot()
    np.testing.assert_array_equal(display.line_.get_ydata(), [0.5, 0.5, 0.7])
    np.testing.assert_array_equal(display.points_.get_xdata(), [1, 3])
    assert display.ax_.get_ylabel() == "Best score so far"


def test_multimetric_default_is_the_refit_metric(pyplot, small_data):
    X, y = small_data
    scoring = {"acc": "accuracy", "quad": lambda est, X, y: est.score(X, y)}
    search = make_search(SEARCHES[0], scoring=scoring, refit="quad").fit(X, y)
    display = ConvergenceDisplay.from_estimator(search)
    assert display.metric == "quad"
    np.testing.assert_allclose(
        display.best_scores, running_max_of_best_rows(search, "quad")
    )
    display = ConvergenceDisplay.from_estimator(search, metric="acc")
    np.testing.assert_allclose(
        display.best_scores, running_max_of_best_rows(search, "acc")
    )

    search.set_params(refit=False).fit(X, y)
    with pytest.raises(ValueError, match="pass metric, one of \\['acc', 'quad'\\]"):
        ConvergenceDisplay.from_estimator(search)


@pytest.mark.parametrize("Display", DISPLAYS)
def test_unfitted_search_and_bad_metric(pyplot, small_data, Display):
    search = make_search(SEARCHES[0])
    with pytest.raises(NotFittedError):
        Display.from_estimator(search)
    search.fit(*small_data)
    with pytest.raises(ValueError, match=r"metric='auc' is not a scorer.*\['score'\]"):
        Display.from_estimator(search, metric="auc")


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_slice_draws_one_axes_per_parameter(pyplot, small_data, SearchCV):
    X, y = small_data
    space = {
        "a": Real(1e-3, 1.0, prior="log-uniform"),
        "c": Integer(0, 5),
        "d": Categorical(["x", "y", "z"]),
    }
    search = make_search(SearchCV, param_distributions=space).fit(X, y)
    display = SliceDisplay.from_estimator(search)

    results = search.cv_results_
    assert len(display.axes_) == 3
    assert [ax.get_xlabel() for ax in display.axes_] == ["a", "c", "d"]
    assert [ax.get_xscale() for ax in display.axes_] == ["log", "linear", "linear"]
    offsets = [points.get_offsets() for points in display.collections_]
    np.testing.assert_allclose(offsets[0][:, 0], list(results["param_a"]))
    np.testing.assert_allclose(offsets[0][:, 1], results["mean_test_score"])
    np.testing.assert_array_equal(offsets[1][:, 0], list(results["param_c"]))
    positions = [["x", "y", "z"].index(d) for d in results["param_d"]]
    np.testing.assert_array_equal(offsets[2][:, 0], positions)
    labels = [t.get_text() for t in display.axes_[2].get_xticklabels()]
    assert labels == ["x", "y", "z"]
    np.testing.assert_array_equal(display.collections_[0].get_array(), results["iter"])


def test_slice_with_a_list_of_dicts_and_given_axes(pyplot, small_data):
    X, y = small_data
    space = [{"a": Real(0, 1)}, {"a": Real(0, 1), "d": ["x", "y"]}]
    search = make_search(SEARCHES[0], param_distributions=space).fit(X, y)
    _, axes = pyplot.subplots(1, 2)
    display = SliceDisplay.from_estimator(search, ax=axes)
    assert list(display.axes_) == list(axes)
    has_d = sum("d" in params for params in search.cv_results_["params"])
    assert len(display.collections_[1].get_offsets()) == has_d
    with pytest.raises(ValueError, match="one axes per parameter \\(2\\), got 1"):
        SliceDisplay.from_estimator(search, ax=axes[:1])


def test_main_effect_importance_finds_the_coordinate_that_matters():
    rng = np.random.RandomState(0)
    U = rng.uniform(size=(200, 3))
    y = -((U[:, 1] - 0.3) ** 2)
    importances = _main_effect_importance(U, y, random_state=0)
    assert importances[1] > 0.9
    assert importances[[0, 2]].max() < 0.05
    assert importances.sum() <= 1.0 + 1e-9
    np.testing.assert_array_equal(
        _main_effect_importance(U, np.ones(200), random_state=0), np.zeros(3)
    )


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_importance_finds_the_parameter_that_matters(pyplot, small_data, SearchCV):
    # QuadraticClassifier's score depends on a (and b, left at its default),
    # never on c or d.
    X, y = small_data
    space = {"a": Real(0.0, 1.0), "c": Integer(0, 5), "d": ["x", "y", "z"]}
    search = make_search(SearchCV, param_distributions=space, n_iter=24).fit(X, y)
    display = ImportanceDisplay.from_estimator(search, random_state=0)

    assert display.param_names == ["a", "c", "d"]
    importances = dict(zip(display.param_names, display.importances))
    assert importances["a"] > 0.5
    assert max(importances["c"], importances["d"]) < importances["a"] / 3
    # bars sorted bottom-up: the most important parameter on top
    widths = [bar.get_width() for bar in display.bars_]
    assert widths == sorted(widths)
    assert display.ax_.get_yticklabels()[-1].get_text() == "a"


def test_importance_of_a_list_of_dicts(pyplot, small_data):
    X, y = small_data
    space = [{"a": Real(0, 1)}, {"a": Real(0, 1), "d": ["x", "y"]}]
    search = make_search(SEARCHES[0], param_distributions=space, n_iter=12)
    display = ImportanceDisplay.from_estimator(search.fit(X, y), random_state=0)
    assert display.param_names == ["(dict)", "a", "d"]


def test_importance_needs_two_finite_scores(pyplot, small_data):
    search = make_search(SEARCHES[0]).fit(*small_data)
    search.cv_results_["mean_test_score"][1:] = np.nan
    with pytest.raises(ValueError, match="at least 2 candidates with a finite score"):
        ImportanceDisplay.from_estimator(search)


def test_hyperband_importance_uses_the_resources(pyplot, small_data):
    X, y = small_data
    search = make_search(HyperbandSearchCV).fit(X, y)
    display = ImportanceDisplay.from_estimator(search, random_state=0)
    assert display.param_names == ["a", "b"]
    assert np.all((display.importances >= 0) & (display.importances <= 1))


def test_plot_without_matplotlib_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    display = ConvergenceDisplay(x_values=[1], scores=[0.5], best_scores=[0.5])
    with pytest.raises(
        ImportError, match=r"ConvergenceDisplay.plot requires matplotlib"
    ):
        display.plot()


@pytest.mark.parametrize("Display", DISPLAYS)
def test_displays_of_a_randomized_search(pyplot, small_data, Display):
    # scikit-learn's search has no `iter`; its space is a valid skhpo space.
    search = RandomizedSearchCV(
        QuadraticClassifier(),
        {"a": uniform(0, 1), "d": ["x", "y"]},
        n_iter=6,
        cv=2,
        random_state=0,
    ).fit(*small_data)
    display = Display.from_estimator(search)
    assert display.figure_ is not None
