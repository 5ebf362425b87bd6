# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Score against the value of each searched parameter."""

import numbers

import numpy as np

from skhpo.plots._base import _check_matplotlib, _resolve_metric, _scores
from skhpo.space import Categorical, Integer, Real, SearchSpace


class SliceDisplay:
    """Slice plot: one subplot per parameter, score against its value.

    Each point is one row of ``cv_results_``, colored by the ``iter`` in which
    it was proposed, so the plot shows where the search went and when. Use
    :meth:`from_estimator` to build it from a fitted search. All the parameters
    are stored as attributes.

    Parameters
    ----------
    param_names : list of str
        The parameters, one subplot each.
    values : list of ndarray
        For each parameter, the abscissa of each row of ``cv_results_``: the
        value for a numeric parameter, the position in ``categories`` for a
        categorical one; NaN where the row has no such parameter (a list of
        dicts).
    scores : ndarray of shape (n_evaluations,)
        Mean test score of each row; NaN for a failed fit (not drawn).
    iterations : ndarray of shape (n_evaluations,)
        The ``iter`` of each row, the color of its point.
    categories : list of (list of str or None)
        For each parameter, the labels of its categories, or None when it is
        numeric.
    log_scale : list of bool
        For each parameter, whether its axis is logarithmic.
    metric : str, default="score"
        Name of the score, the label of the y-axes.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One axes per parameter.
    collections_ : list of matplotlib PathCollection
        The points of each axes.
    colorbar_ : matplotlib Colorbar
        The colorbar of ``iter``.
    figure_ : matplotlib Figure
        Figure with the plot.

    See Also
    --------
    ConvergenceDisplay : Best score so far as the search goes on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skhpo import BayesSearchCV
    >>> from skhpo.plots import SliceDisplay
    >>> from skhpo.space import Real
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(
    ...     LogisticRegression(max_iter=500),
    ...     {"C": Real(1e-3, 1e2, "log-uniform"), "fit_intercept": [True, False]},
    ...     n_iter=6, n_initial_points=3, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> display = SliceDisplay.from_estimator(search)
    >>> len(display.axes_)
    2
    """

    def __init__(
        self,
        *,
        param_names,
        values,
        scores,
        iterations,
        categories,
        log_scale,
        metric="score",
    ):
        self.param_names = param_names
        self.values = values
        self.scores = scores
        self.iterations = iterations
        self.categories = categories
        self.log_scale = log_scale
        self.metric = metric

    @classmethod
    def from_estimator(cls, search, *, metric=None, ax=None, **kwargs):
        """Plot the score of each candidate against each parameter.

        Parameters
        ----------
        search : fitted search
            A fitted skhpo search, or a fitted
            :class:`~sklearn.model_selection.RandomizedSearchCV` (its
            ``param_distributions`` are a valid skhpo space).
        metric : str, default=None
            Scorer to plot, for multi-metric searches; by default the refit
            metric.
        ax : array-like of matplotlib Axes, default=None
            One axes per parameter; a new figure when None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : SliceDisplay
            The drawn display.

        Notes
        -----
        For :class:`~skhpo.HyperbandSearchCV`, every row is drawn, whatever its
        resources; candidates evaluated with few resources usually score lower.
        """
        metric = _resolve_metric(search, metric)
        results = search.cv_results_
        space = SearchSpace(search.param_distributions)
        values, categories, log_scale = [], [], []
        for name in space.param_names:
            dim = next(sub[name] for sub in space.subspaces if name in sub)
            column = np.ma.asarray(results[f"param_{name}"])
            present = ~np.ma.getmaskarray(column)
            raw = list(np.ma.getdata(column))
            numeric = not isinstance(dim, Categorical) and all(
                isinstance(v, numbers.Real) and not isinstance(v, bool)
                for v, p in zip(raw, present)
                if p
            )
            x = np.full(len(raw), np.nan)
            if numeric:
                x[present] = [float(v) for v, p in zip(raw, present) if p]
                categories.append(None)
                log_scale.append(_is_log(dim))
            else:
                choices = list(dim.categories) if isinstance(dim, Categorical) else []
                for i in np.flatnonzero(present):
                    x[i] = _position(choices, raw[i])
                categories.append([_label(c) for c in choices])
                log_scale.append(False)
            values.append(x)
        display = cls(
            param_names=list(space.param_names),
            values=values,
            scores=_scores(search, metric),
            iterations=np.asarray(
                results.get("iter", np.zeros(len(results["params"]), int))
            ),
            categories=categories,
            log_scale=log_scale,
            metric=metric,
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, n_cols=3, cmap="viridis", **scatter_kwargs):
        """Draw the score against each parameter.

        Parameters
        ----------
        ax : array-like of matplotlib Axes, default=None
            One axes per parameter; a new figure with ``n_cols`` subplots a
            row when None.
        n_cols : int, default=3
            Number of subplots a row of a new figure.
        cmap : str or matplotlib Colormap, default="viridis"
            Colormap of ``iter``.
        **scatter_kwargs : dict
            Passed to ``ax.scatter``.

        Returns
        -------
        self : SliceDisplay
            The display, with ``axes_``, ``collections_``, ``colorbar_`` and
            ``figure_``.
        """
        plt = _check_matplotlib("SliceDisplay.plot")
        from matplotlib.ticker import MaxNLocator

        n_params = len(self.param_names)
        if ax is None:
            n_cols = min(n_cols, n_params)
            n_rows = -(-n_params // n_cols)
            figure, axes = plt.subplots(
                n_rows,
                n_cols,
                squeeze=False,
                sharey=True,
                figsize=(3.2 * n_cols + 1, 3 * n_rows),
                constrained_layout=True,
            )
            for extra in axes.ravel()[n_params:]:
                extra.set_visible(False)
            axes = axes.ravel()[:n_params]
        else:
            axes = np.ravel(np.asarray(ax, dtype=object))
            if len(axes) != n_params:
                raise ValueError(
                    f"ax must hold one axes per parameter ({n_params}), got {len(axes)}"
                )
            figure = axes[0].figure
        scores = np.asarray(self.scores, dtype=float)
        iterations = np.asarray(self.iterations)
        vmin, vmax = iterations.min(), iterations.max()
        self.collections_ = []
        for i, (a, name) in enumerate(zip(axes, self.param_names)):
            x = np.asarray(self.values[i], dtype=float)
            shown = np.isfinite(x) & np.isfinite(scores)
            points = a.scatter(
                x[shown],
                scores[shown],
                c=iterations[shown],
                cmap=cmap,
                vmin=vmin,
                vmax=vmax,
                **scatter_kwargs,
            )
            self.collections_.append(points)
            if self.log_scale[i]:
                a.set_xscale("log")
            if self.categories[i] is not None:
                n_categories = len(self.categories[i])
                a.set_xticks(range(n_categories))
                a.set_xticklabels(self.categories[i], rotation=30, ha="right")
                a.set_xlim(-0.5, n_categories - 0.5)
            a.set_xlabel(name)
        axes[0].set_ylabel(f"Mean test {self.metric}")
        self.colorbar_ = figure.colorbar(
            self.collections_[0], ax=list(axes), label="iter"
        )
        self.colorbar_.locator = MaxNLocator(integer=True)
        self.colorbar_.update_ticks()
        self.axes_, self.figure_ = axes, figure
        return self


def _is_log(dim):
    """Whether a numeric dimension is log-uniform."""
    if isinstance(dim, (Real, Integer)):
        return dim.prior == "log-uniform"
    generator = getattr(getattr(dim, "dist", None), "dist", None)
    return getattr(generator, "name", None) in ("loguniform", "reciprocal")


def _position(choices, value):
    """Index of ``value`` among ``choices`` (by identity, then equality)."""
    for k, choice in enumerate(choices):
        if choice is value:
            return k
    for k, choice in enumerate(choices):
        try:
            if bool(choice == value):
                return k
        except (TypeError, ValueError):
            continue
    return np.nan


def _label(choice, width=20):
    """Short tick label of a category."""
    text = str(choice)
    return text if len(text) <= width else text[: width - 1] + "…"
