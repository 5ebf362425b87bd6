# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""What the displays share: checks of the search and of the metric."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skhpo.space import SearchSpace


def _check_matplotlib(caller):
    """Import and return ``matplotlib.pyplot``, or say how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(
            f"{caller} requires matplotlib: pip install matplotlib "
            "(or pip install skhpo[plot])"
        ) from e
    return plt


def _get_ax(ax, caller):
    """``ax``, or the axes of a new figure; and its figure."""
    if ax is None:
        plt = _check_matplotlib(caller)
        _, ax = plt.subplots()
    return ax, ax.figure


def _check_search(search):
    """``cv_results_`` of a fitted search; NotFittedError otherwise."""
    check_is_fitted(search, "cv_results_")
    return search.cv_results_


def _resolve_metric(search, metric):
    """The scorer name of the ``mean_test_<name>`` column to plot."""
    results = _check_search(search)
    names = sorted(
        k[len("mean_test_") :] for k in results if k.startswith("mean_test_")
    )
    if metric is None:
        if not getattr(search, "multimetric_", False):
            return "score"
        if isinstance(search.refit, str):
            return search.refit
        raise ValueError(
            "This search has several metrics and no refit metric: pass metric, "
            f"one of {names}"
        )
    if metric not in names:
        raise ValueError(
            f"metric={metric!r} is not a scorer of this search: use one of {names}"
        )
    return metric


def _scores(search, metric):
    """Mean test scores of ``metric``, in evaluation order (NaN for failures)."""
    return np.asarray(search.cv_results_[f"mean_test_{metric}"], dtype=float)


def _counts_for_best(search):
    """Mask of the rows that can be ``best_index_``.

    Every row, except for a search with ``n_resources`` in ``cv_results_``
    (Hyperband): only the rows evaluated with the most resources, as its
    ``best_index_``.
    """
    results = search.cv_results_
    if "n_resources" not in results:
        return np.ones(len(results["params"]), dtype=bool)
    n_resources = np.asarray(results["n_resources"])
    return n_resources == n_resources.max()


def _space_and_points(search):
    """The search space and the evaluated candidates encoded on the unit cube."""
    space = SearchSpace(search.param_distributions)
    names = set(space.param_names)
    candidates = [
        {k: v for k, v in params.items() if k in names}
        for params in search.cv_results_["params"]
    ]
    return space, space.encode(candidates)
