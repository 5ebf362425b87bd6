# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Bayesian optimization over hyperparameters with a Gaussian process."""

from numbers import Integral

import numpy as np

from skhpo._optimizers.bayes import GaussianProcessBO
from skhpo._search import BaseStrategySearchCV
from skhpo.utils._docstrings import fill_doc
from skhpo.utils._fixes import Interval


@fill_doc
class BayesSearchCV(BaseStrategySearchCV):
    """Bayesian optimization over hyperparameters with a Gaussian process.

    A Gaussian process models the cross-validated score as a function of the
    hyperparameters; each new batch of candidates maximises the expected improvement
    over the best score, so the search spends its budget where the model expects good
    or uncertain results instead of sampling blindly as
    :class:`~sklearn.model_selection.RandomizedSearchCV` does. It is a drop-in
    replacement for :class:`~sklearn.model_selection.RandomizedSearchCV`: same
    parameters, same fitted attributes, same ``cv_results_`` layout.

    Read more in the :ref:`User Guide <bayes_search>`.

    Parameters
    ----------
    {estimator}

    n_iter : int, default=50
        Total number of candidates evaluated, including the initial design. The
        search never spends budget on a candidate identical to one already
        evaluated.

    n_initial_points : int, default=None
        Size of the initial quasi-random (scrambled Sobol) design evaluated before
        the Gaussian process proposes candidates. ``None`` chooses it from the
        number of dimensions of the space.

    batch_size : int, default=1
        Number of candidates proposed together after the initial design (with the
        Kriging believer heuristic), and evaluated in parallel. Raise it to keep
        more cores busy than ``cv`` splits alone would; results do not depend on
        ``n_jobs``.

    {shared_parameters}

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        A dict with keys as column headers and values as columns, in the layout of
        :class:`~sklearn.model_selection.RandomizedSearchCV`'s, plus ``iter``: the
        batch in which each candidate was proposed (0 is the initial design).

    {shared_attributes}

    See Also
    --------
    sklearn.model_selection.RandomizedSearchCV : Random search, the baseline.
    sklearn.model_selection.GridSearchCV : Exhaustive search over a grid.

    Notes
    -----
    The Gaussian process has a Matérn-5/2 kernel with one length scale per
    dimension (a Hamming distance for categorical parameters) and a learned noise
    term, its hyperparameters fitted by maximum a posteriori marginal likelihood
    [1]_ [2]_. Scores are standardized and warped with a Yeo-Johnson transform
    before modelling, since cross-validated scores are skewed [3]_. Candidates
    maximise the logarithm of expected improvement, computed stably [4]_, over
    quasi-random points polished with L-BFGS-B.

    Integer and categorical parameters are modelled on equal cells of the unit
    interval, so every value has the same prior weight.

    References
    ----------
    .. [1] C. E. Rasmussen and C. K. I. Williams, "Gaussian Processes for Machine
       Learning", MIT Press, 2006.
    .. [2] C. Hvarfner, E. O. Hellsten and L. Nardi, "Vanilla Bayesian Optimization
       Performs Great in High Dimensions", ICML 2024.
    .. [3] A. I. Cowen-Rivers et al., "HEBO: Pushing the Limits of Sample-Efficient
       Hyper-parameter Optimisation", JAIR 74, 2022.
    .. [4] S. Ament et al., "Unexpected Improvements to Expected Improvement for
       Bayesian Optimization", NeurIPS 2023.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from skhpo import BayesSearchCV
    >>> from skhpo.space import Real
    >>> X, y = load_iris(return_X_y=True)
    >>> space = {"C": Real(1e-2, 1e2, prior="log-uniform"), "kernel": ["linear", "rbf"]}
    >>> search = BayesSearchCV(SVC(), space, n_iter=12, random_state=0).fit(X, y)
    >>> sorted(search.best_params_)
    ['C', 'kernel']
    >>> float(search.best_score_)
    0.9...
    """

    _parameter_constraints: dict = {
        **BaseStrategySearchCV._parameter_constraints,
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "n_initial_points": [Interval(Integral, 1, None, closed="left"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=50,
        n_initial_points=None,
        batch_size=1,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        max_time=None,
        n_iter_no_change=None,
        checkpoint=None,
        fit_timeout=None,
        scheduling="reproducible",
        max_pending=2,
        initial_params=None,
        racing=False,
    ):
        super().__init__(
            estimator,
            param_distributions,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            random_state=random_state,
            error_score=error_score,
            return_train_score=return_train_score,
            max_time=max_time,
            n_iter_no_change=n_iter_no_change,
            checkpoint=checkpoint,
            fit_timeout=fit_timeout,
            scheduling=scheduling,
            max_pending=max_pending,
            initial_params=initial_params,
            racing=racing,
        )
        self.n_iter = n_iter
        self.n_initial_points = n_initial_points
        self.batch_size = batch_size

    def _make_optimizer(self, space, random_state):
        return GaussianProcessBO(
            space.n_dims,
            kinds=space.kinds,
            n_choices=space.n_choices,
            n_initial_points=self.n_initial_points,
            batch_size=self.batch_size,
            random_state=random_state,
        )
