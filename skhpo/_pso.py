# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Particle swarm search over hyperparameters."""

from numbers import Integral, Real

import numpy as np

from skhpo._optimizers.pso import ParticleSwarm
from skhpo._search import BaseStrategySearchCV
from skhpo.utils._docstrings import fill_doc
from skhpo.utils._fixes import Interval, StrOptions


@fill_doc
class PSOSearchCV(BaseStrategySearchCV):
    """Particle swarm search over hyperparameters.

    A swarm of particles moves through the space of hyperparameters: each particle
    is pulled towards the best candidate it has found and the best its neighbours
    have found, with an inertia that keeps it exploring. Each step of the swarm is
    one batch of parallel cross-validations. Integer and categorical parameters are
    decoded from the particles' continuous positions.

    Read more in the :ref:`User Guide <pso_search>`.

    Parameters
    ----------
    {estimator}

    n_iter : int, default=50
        Total number of candidates evaluated, whatever the swarm size. The search
        never spends budget on a candidate identical to one already evaluated.

    n_particles : int, default=None
        Size of the swarm, and of each batch. ``None`` means ``10 + floor(2 sqrt(d))``
        for ``d`` dimensions, as Standard PSO 2007.

    inertia : float, default=None
        Inertia weight of the velocity. ``None`` uses Clerc and Kennedy's
        constriction coefficient (about 0.7298) [1]_.

    cognitive : float, default=None
        Weight of the pull towards a particle's own best candidate. ``None`` means
        the constriction value, about 1.496.

    social : float, default=None
        Weight of the pull towards the neighbourhood's best candidate. ``None``
        means the constriction value, about 1.496.

    topology : {'global', 'ring'}, default='global'
        Who a particle's neighbours are: the whole swarm, or the two particles next
        to it on a ring, which converges more slowly and explores more [2]_.

    velocity_clamp : float, default=0.2
        Largest step of a particle along each dimension, as a fraction of the
        dimension's range; ``None`` does not clamp.

    {shared_parameters}

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        A dict with keys as column headers and values as columns, in the layout of
        :class:`~sklearn.model_selection.RandomizedSearchCV`'s, plus ``iter``: the
        step of the swarm in which each candidate was proposed.

    {shared_attributes}

    See Also
    --------
    BayesSearchCV : Bayesian optimization, the most sample-efficient strategy.
    EvolutionarySearchCV : A genetic algorithm or CMA-ES.

    Notes
    -----
    Particles that would leave the space are reflected back inside it. When the
    swarm collapses onto one point, or keeps proposing candidates evaluated before,
    its worse half is scattered again so that a long budget keeps exploring.
    Failed candidates never become a particle's best.

    References
    ----------
    .. [1] M. Clerc and J. Kennedy, "The Particle Swarm: Explosion, Stability, and
       Convergence in a Multidimensional Complex Space", IEEE Transactions on
       Evolutionary Computation 6(1), 2002.
    .. [2] J. Kennedy and R. Mendes, "Population Structure and Particle Swarm
       Performance", CEC 2002.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from skhpo import PSOSearchCV
    >>> from skhpo.space import Real
    >>> X, y = load_iris(return_X_y=True)
    >>> space = {"C": Real(1e-2, 1e2, prior="log-uniform"), "kernel": ["linear", "rbf"]}
    >>> search = PSOSearchCV(SVC(), space, n_iter=20, random_state=0)
    >>> float(search.fit(X, y).best_score_)
    0.9...
    """

    _parameter_constraints: dict = {
        **BaseStrategySearchCV._parameter_constraints,
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "n_particles": [Interval(Integral, 2, None, closed="left"), None],
        "inertia": [Interval(Real, 0, 1, closed="both"), None],
        "cognitive": [Interval(Real, 0, 4, closed="both"), None],
        "social": [Interval(Real, 0, 4, closed="both"), None],
        "topology": [StrOptions({"global", "ring"})],
        "velocity_clamp": [Interval(Real, 0, 1, closed="right"), None],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=50,
        n_particles=None,
        inertia=None,
        cognitive=None,
        social=None,
        topology="global",
        velocity_clamp=0.2,
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
        self.n_particles = n_particles
        self.inertia = inertia
        self.cognitive = cognitive
        self.social = social
        self.topology = topology
        self.velocity_clamp = velocity_clamp

    def _make_optimizer(self, space, random_state):
        return ParticleSwarm(
            space.n_dims,
            kinds=space.kinds,
            n_choices=space.n_choices,
            n_particles=self.n_particles,
            inertia=self.inertia,
            cognitive=self.cognitive,
            social=self.social,
            topology=self.topology,
            velocity_clamp=self.velocity_clamp,
            random_state=random_state,
        )
