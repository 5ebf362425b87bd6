# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Best score so far against the candidates evaluated or the time spent."""

import numpy as np

from skhpo.plots._base import (
    _counts_for_best,
    _get_ax,
    _resolve_metric,
    _scores,
)

_X_LABELS = {
    "candidates": "Candidates evaluated",
    "time": "Fit and score time (s, summed over the fits)",
}


class ConvergenceDisplay:
    """Convergence plot: the best score so far as the search goes on.

    Use :meth:`from_estimator` to build it from a fitted search. All the
    parameters are stored as attributes.

    Parameters
    ----------
    x_values : ndarray of shape (n_evaluations,)
        Abscissa of each row of ``cv_results_``, in evaluation order.
    scores : ndarray of shape (n_evaluations,)
        Mean test score of each row; NaN for a failed fit (not drawn).
    best_scores : ndarray of shape (n_evaluations,)
        Best score among the rows so far that can be the best one; NaN while
        there is none yet.
    x_label : str, default="Candidates evaluated"
        Label of the x-axis.
    name : str, default=None
        Label of the line in the legend; no legend when None.
    metric : str, default="score"
        Name of the score, the label of the y-axis.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The best score so far, a step line.
    points_ : matplotlib Line2D
        The score of each row, as markers.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure with the plot.

    See Also
    --------
    SliceDisplay : Score against the value of each parameter.
    ImportanceDisplay : Share of the score's variance due to each parameter.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skhpo import BayesSearchCV
    >>> from skhpo.plots import ConvergenceDisplay
    >>> from skhpo.space import Real
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(
    ...     LogisticRegression(max_iter=500), {"C": Real(1e-3, 1e2, "log-uniform")},
    ...     n_iter=6, n_initial_points=3, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> display = ConvergenceDisplay.from_estimator(search)
    >>> bool(display.best_scores[-1] == search.best_score_)
    True
    """

    def __init__(
        self,
        *,
        x_values,
        scores,
        best_scores,
        x_label=_X_LABELS["candidates"],
        name=None,
        metric="score",
    ):
        self.x_values = x_values
        self.scores = scores
        self.best_scores = best_scores
        self.x_label = x_label
        self.name = name
        self.metric = metric

    @classmethod
    def from_estimator(
        cls, search, *, x="candidates", metric=None, name=None, ax=None, **kwargs
    ):
        """Plot the convergence of a fitted search.

        Parameters
        ----------
        search : fitted search
            A fitted skhpo search, or any fitted scikit-learn search with
            ``cv_results_`` whose rows are in evaluation order.
        x : {"candidates", "time"}, default="candidates"
            The x-axis: the number of rows of ``cv_results_`` evaluated so far,
            or the time spent so far, the cumulative sum over the rows of
            ``(mean_fit_time + mean_score_time) * n_splits_``. That is the
            compute time of the fits, not the wall-clock time: it ignores
            parallelism and the time the strategy takes to propose candidates.
        metric : str, default=None
            Scorer to plot, for multi-metric searches; by default the refit
            metric.
        name : str, default=None
            Label of the line; by default the class name of the search. Draw
            several searches on one ``ax`` to compare them.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ConvergenceDisplay
            The drawn display.

        Notes
        -----
        The best score so far counts only the rows that can be the search's
        best: for :class:`~skhpo.HyperbandSearchCV`, the candidates evaluated
        with the most resources. Failed fits (NaN scores) are skipped.
        """
        metric = _resolve_metric(search, metric)
        if x not in _X_LABELS:
            raise ValueError(f"x must be 'candidates' or 'time', got {x!r}")
        results = search.cv_results_
        scores = _scores(search, metric)
        counted = np.where(_counts_for_best(search), scores, np.nan)
        best = _running_max(counted)
        if x == "candidates":
            x_values = np.arange(1, len(scores) + 1)
        else:
            seconds = np.asarray(results["mean_fit_time"], dtype=float) + np.asarray(
                results["mean_score_time"], dtype=float
            )
            x_values = np.cumsum(seconds * search.n_splits_)
        display = cls(
            x_values=x_values,
            scores=scores,
            best_scores=best,
            x_label=_X_LABELS[x],
            name=type(search).__name__ if name is None else name,
            metric=metric,
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, name=None, line_kwargs=None, points_kwargs=None):
        """Draw the best score so far as a step line, and each score as a point.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        name : str, default=None
            Label of the line; ``self.name`` when None.
        line_kwargs : dict, default=None
            Passed to ``ax.plot`` for the best score so far.
        points_kwargs : dict, default=None
            Passed to ``ax.plot`` for the points.

        Returns
        -------
        self : ConvergenceDisplay
            The display, with ``line_``, ``points_``, ``ax_`` and ``figure_``.
        """
        ax, figure = _get_ax(ax, "ConvergenceDisplay.plot")
        name = self.name if name is None else name
        line_kwargs = {"drawstyle": "steps-post", "label": name, **(line_kwargs or {})}
        (self.line_,) = ax.plot(self.x_values, self.best_scores, **line_kwargs)
        points_kwargs = {
            "linestyle": "",
            "marker": "o",
            "alpha": 0.4,
            "color": self.line_.get_color(),
            **(points_kwargs or {}),
        }
        finite = np.isfinite(np.asarray(self.scores, dtype=float))
        x_values = np.asarray(self.x_values)
        scores = np.asarray(self.scores, dtype=float)
        (self.points_,) = ax.plot(x_values[finite], scores[finite], **points_kwargs)
        ax.set_xlabel(self.x_label)
        ax.set_ylabel(f"Best {self.metric} so far")
        if name is not None:
            ax.legend(loc="lower right")
        self.ax_, self.figure_ = ax, figure
        return self


def _running_max(values):
    """Running maximum that skips NaN; NaN before the first finite value."""
    filled = np.where(np.isnan(values), -np.inf, values)
    best = np.maximum.accumulate(filled) if len(filled) else filled
    return np.where(np.isneginf(best), np.nan, best)
