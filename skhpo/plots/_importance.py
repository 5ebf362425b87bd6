# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Parameter importance: a fANOVA-style variance decomposition of a surrogate.

The method of Hutter, Hoos and Leyton-Brown, "An efficient approach for
assessing hyperparameter importance", ICML 2014, estimated by Monte Carlo
rather than exactly on the trees: a random forest ``f`` is fitted to the scores
of the evaluated candidates, encoded on the unit cube ``[0, 1]^d`` of the search
space (where the uniform measure is the prior of the space). The main effect of
coordinate ``j`` is the partial dependence

    f_j(u) = E_{u_-j}[ f(u_j = u, u_-j) ] - E[f],

the expectation over ``u_-j`` uniform on the cube, and its importance is the
share ``Var_u[f_j(u)] / Var[f]`` of the variance of ``f`` on the cube.
"""

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.utils import check_random_state

from skhpo.plots._base import _get_ax, _resolve_metric, _scores, _space_and_points


def _main_effect_importance(
    U,
    y,
    *,
    fixed=None,
    n_grid=32,
    n_background=256,
    n_estimators=100,
    random_state=None,
):
    """Share of the surrogate's variance explained by each coordinate alone.

    Parameters
    ----------
    U : ndarray of shape (n, d)
        Evaluated points on the unit cube.
    y : ndarray of shape (n,)
        Their scores, all finite.
    fixed : ndarray of shape (n, k), default=None
        Extra inputs of the surrogate held at 1 when it is evaluated (for
        Hyperband: the resources, scaled so that the most resources are 1).
    n_grid : int, default=32
        Values of each coordinate at which its main effect is estimated (cell
        centres of a regular grid on [0, 1]).
    n_background : int, default=256
        Uniform points on the cube over which the other coordinates are averaged.
    n_estimators : int, default=100
        Trees of the random forest.
    random_state : int, RandomState instance or None, default=None
        Seeds the forest and the background points.

    Returns
    -------
    importances : ndarray of shape (d,)
        ``Var[f_j] / Var[f]`` for each coordinate, in [0, 1]; they sum to at
        most about 1, the rest of the variance being due to interactions. All
        zeros when the surrogate is constant.
    """
    U = np.asarray(U, dtype=float)
    y = np.asarray(y, dtype=float)
    rng = check_random_state(random_state)
    d = U.shape[1]
    k = 0 if fixed is None else fixed.shape[1]
    inputs = U if fixed is None else np.hstack([U, fixed])
    forest = RandomForestRegressor(
        n_estimators=n_estimators, random_state=rng.randint(2**31 - 1)
    ).fit(inputs, y)
    background = np.hstack(
        [rng.uniform(size=(n_background, d)), np.ones((n_background, k))]
    )
    total = forest.predict(background).var()
    if total <= (1e-9 * np.abs(y).max()) ** 2:
        return np.zeros(d)
    grid = (np.arange(n_grid) + 0.5) / n_grid
    importances = np.empty(d)
    for j in range(d):
        points = np.repeat(background[None], n_grid, axis=0)  # (n_grid, m, d + k)
        points[:, :, j] = grid[:, None]
        effect = forest.predict(points.reshape(-1, d + k)).reshape(n_grid, -1)
        importances[j] = effect.mean(axis=1).var() / total
    return np.clip(importances, 0.0, 1.0)


class ImportanceDisplay:
    """Parameter importance: the share of the score's variance due to each one.

    A random forest is fitted to the scores of the evaluated candidates,
    encoded on the unit cube of the search space; the importance of a parameter
    is the variance of its main effect (the forest's partial dependence on it,
    averaged uniformly over the other parameters) divided by the variance of the
    forest over the whole space: the first-order terms of a functional ANOVA
    (fANOVA, Hutter et al. 2014), estimated by Monte Carlo.

    Read it with care:

    - it describes the surrogate, so it is only as good as the fit: a few
      dozen candidates give rough numbers, and a search that sampled one region
      densely (as a converged Bayesian search does) says little about the rest;
    - it is relative to the ranges searched: a parameter that matters a lot but
      was searched over a narrow range looks unimportant;
    - importances sum to at most 1: the rest of the variance is due to
      interactions between parameters, not shown;
    - in a list of dicts, a parameter in several dicts has its coordinates
      summed, and the choice of dict is shown as ``"(dict)"``.

    Use :meth:`from_estimator` to build it from a fitted search. All the
    parameters are stored as attributes.

    Parameters
    ----------
    importances : ndarray of shape (n_params,)
        Share of the variance explained by each parameter alone.
    param_names : list of str
        The parameters.
    metric : str, default="score"
        Name of the score.

    Attributes
    ----------
    bars_ : matplotlib BarContainer
        The bars, the most important parameter on top.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure with the plot.

    See Also
    --------
    SliceDisplay : Score against the value of each parameter.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skhpo import BayesSearchCV
    >>> from skhpo.plots import ImportanceDisplay
    >>> from skhpo.space import Real
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(
    ...     LogisticRegression(max_iter=500),
    ...     {"C": Real(1e-3, 1e2, "log-uniform"), "tol": Real(1e-5, 1e-3)},
    ...     n_iter=10, n_initial_points=5, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> display = ImportanceDisplay.from_estimator(search, random_state=0)
    >>> display.param_names
    ['C', 'tol']
    """

    def __init__(self, *, importances, param_names, metric="score"):
        self.importances = importances
        self.param_names = param_names
        self.metric = metric

    @classmethod
    def from_estimator(
        cls,
        search,
        *,
        metric=None,
        n_estimators=100,
        random_state=None,
        ax=None,
        **kwargs,
    ):
        """Estimate and plot the importance of each parameter of a fitted search.

        Parameters
        ----------
        search : fitted search
            A fitted skhpo search, or a fitted
            :class:`~sklearn.model_selection.RandomizedSearchCV` (its
            ``param_distributions`` are a valid skhpo space).
        metric : str, default=None
            Scorer to explain, for multi-metric searches; by default the refit
            metric.
        n_estimators : int, default=100
            Trees of the surrogate random forest.
        random_state : int, RandomState instance or None, default=None
            Seeds the forest and the Monte Carlo points.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ImportanceDisplay
            The drawn display.

        Notes
        -----
        Failed candidates (NaN scores) are left out. For
        :class:`~skhpo.HyperbandSearchCV`, the forest also gets the resources of
        each row (log-scaled, 1 for the most resources) and its main effects are
        taken at the most resources.
        """
        metric = _resolve_metric(search, metric)
        space, U = _space_and_points(search)
        y = _scores(search, metric)
        fixed = None
        if "n_resources" in search.cv_results_:
            r = np.asarray(search.cv_results_["n_resources"], dtype=float)
            fixed = (np.log(r) / np.log(r.max()) if r.max() > 1 else r / r.max())[
                :, None
            ]
        ok = np.isfinite(y)
        if ok.sum() < 2:
            raise ValueError(
                f"ImportanceDisplay needs at least 2 candidates with a finite "
                f"{metric}, got {int(ok.sum())}"
            )
        per_dim = _main_effect_importance(
            U[ok],
            y[ok],
            fixed=None if fixed is None else fixed[ok],
            n_estimators=n_estimators,
            random_state=random_state,
        )
        names = [name or "(dict)" for name in space.dim_names]
        param_names = list(dict.fromkeys(names))
        importances = np.array(
            [per_dim[[n == name for n in names]].sum() for name in param_names]
        )
        display = cls(importances=importances, param_names=param_names, metric=metric)
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, **barh_kwargs):
        """Draw the importances as horizontal bars, the largest on top.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **barh_kwargs : dict
            Passed to ``ax.barh``.

        Returns
        -------
        self : ImportanceDisplay
            The display, with ``bars_``, ``ax_`` and ``figure_``.
        """
        ax, figure = _get_ax(ax, "ImportanceDisplay.plot")
        importances = np.asarray(self.importances, dtype=float)
        order = np.argsort(importances, kind="stable")  # barh draws bottom-up
        self.bars_ = ax.barh(
            np.arange(len(order)),
            importances[order],
            tick_label=[self.param_names[i] for i in order],
            **barh_kwargs,
        )
        ax.set_xlabel(f"Share of the variance of {self.metric} (main effect)")
        self.ax_, self.figure_ = ax, figure
        return self
