# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Hyperband over hyperparameters, with random or model-based (BOHB) sampling."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import is_classifier

from skhpo._epochs import PartialFitEpochs, check_partial_fit, epoch_classes
from skhpo._loop import _SEED_MAX
from skhpo._optimizers.base import RandomSampler
from skhpo._optimizers.hyperband import Hyperband, halving_plan, hyperband_brackets
from skhpo._optimizers.tpe import KDESampler
from skhpo._search import BaseStrategySearchCV
from skhpo.utils._docstrings import fill_doc
from skhpo.utils._fixes import Interval, StrOptions, num_samples

# With "auto" resources, at most this many halvings separate the smallest and the
# largest budget: Hyperband's usual setting (R = 81, eta = 3 in Li et al., 2018).
_MAX_AUTO_HALVINGS = 4


def _subsampled_splits(splits, orders, n_resources, n_samples, test_orders=None):
    """The frozen CV splits with each training part cut to the fraction
    ``n_resources / n_samples`` of its rows.

    The budget counts samples of the whole ``X``, as scikit-learn's halving
    searches do (their ``_SubsampleMetaSplitter``): ``n_resources=n_samples``
    trains on the full training parts, and no fold trains on more than
    ``n_resources`` rows. Each training part is cut to a prefix of one fixed
    order, stratified for classifiers, so every candidate of a rung sees the same
    rows and a rung's rows contain those of the rungs below it.

    With ``test_orders`` (successive halving, as
    :class:`~sklearn.model_selection.HalvingRandomSearchCV` does), each test part
    is cut the same way.
    """
    if test_orders is None:
        test_orders = [None] * len(splits)
    return [
        # Exact integers: int(fraction * len(train)) may lose a row to rounding.
        (
            np.sort(train[order[: n_resources * len(train) // n_samples]]),
            test
            if test_order is None
            else np.sort(test[test_order[: n_resources * len(test) // n_samples]]),
        )
        for (train, test), order, test_order in zip(splits, orders, test_orders)
    ]


class _Subsamples:
    """A trial's parameters and CV splits, the budget being samples of ``X``."""

    def __init__(self, splits, orders, n_samples, test_orders=None):
        self.splits, self.orders, self.n_samples = splits, orders, n_samples
        self.test_orders = test_orders  # successive halving: cut the tests too
        self.cache = {}  # n_resources -> the subsampled splits, shared by a rung

    def __call__(self, params, n_resources):
        if n_resources not in self.cache:
            self.cache[n_resources] = _subsampled_splits(
                self.splits,
                self.orders,
                n_resources,
                self.n_samples,
                self.test_orders,
            )
        return params, self.cache[n_resources]


class _ParameterBudget:
    """A trial's parameters and CV splits, the budget being a parameter.

    ``continuation(old, new)``, when the estimator can continue a fit (``None``
    otherwise): the parameters that take a model fitted with ``old`` to ``new``
    by ``warm_start``. Trees and boosting stages count in total (``n_estimators``;
    ``max_iter`` of histogram gradient boosting); a ``max_iter`` of any other
    estimator (MLP, SGD, linear models) counts the iterations of one ``fit``
    call, which then runs only the difference.
    """

    def __init__(self, name, warm_start=None, per_call=False):
        self.name = name
        self.warm_start, self.per_call = warm_start, per_call
        if warm_start is None:  # the estimator cannot continue: no method
            self.continuation = None

    def __call__(self, params, value):
        return {**params, self.name: value}, None

    def continuation(self, old, new):
        return {self.name: new - old if self.per_call else new, self.warm_start: True}


class _EpochBudget(_ParameterBudget):
    """A trial's parameters and CV splits, the budget being passes of
    ``partial_fit`` over each training part (``PartialFitEpochs``): not a
    parameter of the estimator, so ``cv_results_`` shows it as ``n_resources``
    only. A promoted fit always continues, with the new passes only.
    """

    def __init__(self):
        super().__init__("epochs", "warm_start", per_call=True)

    def __call__(self, params, value):
        return params, None

    def fit_parameters(self, params, value):
        return {**params, "epochs": value}


def _parameter_budget(estimator, resource, space):
    """How to set ``resource``, and continue fits where the estimator can."""
    if resource == "partial_fit":
        return _EpochBudget()
    prefix, _, name = resource.rpartition("__")
    searched = [p for p in space.param_names if p == prefix or p.endswith("warm_start")]
    if name not in ("n_estimators", "max_iter") or searched:
        # Another resource, a searched step (its class varies) or warm_start.
        return _ParameterBudget(resource)
    holder = estimator.get_params(deep=True)[prefix] if prefix else estimator
    if "warm_start" not in holder.get_params(deep=False):
        return _ParameterBudget(resource)
    per_call = name == "max_iter" and not type(holder).__name__.startswith(
        "HistGradientBoosting"
    )
    warm_start = f"{prefix}__warm_start" if prefix else "warm_start"
    return _ParameterBudget(resource, warm_start, per_call)


def _training_order(n, y_train, rng):
    """A random order of a training part in which every prefix is stratified.

    Each row gets the key ``(rank of the row among its class + u) / class size``
    with ranks shuffled; sorting by it interleaves the classes in proportion.
    ``y_train=None`` gives a plain random order.
    """
    if y_train is None:
        return rng.permutation(n)
    _, classes = np.unique(y_train, return_inverse=True)
    keys = np.empty(n)
    for c in range(classes.max() + 1):
        rows = np.flatnonzero(classes == c)
        ranks = rng.permutation(len(rows))
        keys[rows] = (ranks + rng.uniform(size=len(rows))) / len(rows)
    return np.argsort(keys, kind="stable")


def _check_halving(search):
    """Check the parameters of successive halving (``n_candidates``)."""
    if search.n_candidates is None:
        if search.min_resources == "exhaust":
            raise ValueError(
                "min_resources='exhaust' needs n_candidates: it starts the one "
                "bracket of successive halving with the largest budget that lets "
                "its candidates reach max_resources."
            )
        if search.aggressive_elimination:
            raise ValueError(
                "aggressive_elimination=True needs n_candidates: Hyperband's "
                "brackets already end with fewer than factor candidates."
            )
        return
    if search.min_resources == search.n_candidates == "exhaust":
        # scikit-learn's message, word for word.
        raise ValueError(
            "n_candidates and min_resources cannot be both set to 'exhaust'."
        )
    if search.n_brackets not in (None, 1):
        raise ValueError(
            f"n_candidates runs one bracket of successive halving; got "
            f"n_brackets={search.n_brackets!r}: leave it None."
        )


def _check_resource(search, space):
    """Check ``resource`` and the budgets before any fit, naming what is wrong."""
    name = type(search.estimator).__name__
    # scikit-learn's halving searches' messages first (tests and filters written
    # for them match), skhpo's detail after.
    if search.resource in space.param_names:
        raise ValueError(
            f"Cannot use parameter {search.resource} as the resource since it is "
            f"part of the searched parameters: resource={search.resource!r} is "
            f"set by the search; remove it from param_distributions."
        )
    if search.resource == "partial_fit":
        check_partial_fit(search.estimator)
        if search.max_resources == "auto":
            raise ValueError(
                "resource='partial_fit' needs an integer max_resources: the number "
                "of passes over the training data of the last rung."
            )
    elif search.resource != "n_samples":
        params = search.estimator.get_params(deep=True)
        value = params.get(search.resource)
        if search.resource not in params:
            raise ValueError(
                f"Cannot use resource={search.resource} which is not supported by "
                f"estimator {name}: resource={search.resource!r} is neither "
                f"'n_samples' nor a parameter of {name}."
            )
        integer = isinstance(value, Integral) and not isinstance(value, bool)
        if not integer and search.max_resources == "auto":
            raise ValueError(
                f"resource can only be 'n_samples' when max_resources='auto', or "
                f"an integer parameter of the estimator (its value is then the "
                f"largest budget): resource={search.resource!r} of {name} is "
                f"{value!r}; set max_resources."
            )
    if (
        isinstance(search.min_resources, Integral)
        and isinstance(search.max_resources, Integral)
        and search.min_resources > search.max_resources
    ):
        raise ValueError(
            f"min_resources_={search.min_resources} is greater than "
            f"max_resources_={search.max_resources}."
        )


def _resolve_resources(search, run):
    """``(min_resources, max_resources)`` of ``search`` against the data of ``run``."""
    if search.resource == "n_samples":
        available = num_samples(run.X)
        n_classes = (
            len(np.unique(np.asarray(run.y))) if is_classifier(search.estimator) else 1
        )
        # Two rows per class (two for a regressor) in the smallest training
        # part: its fraction n_resources / n_samples.
        min_train = min(len(train) for train, _ in run.splits)
        smallest = math.ceil(2 * n_classes * available / min_train)
        where = f"the {available} samples of X"
    elif search.resource == "partial_fit":
        available, smallest = search.max_resources, 1
        where = "passes of partial_fit"
    else:
        available = search.estimator.get_params(deep=True)[search.resource]
        smallest = 1
        where = f"{search.resource}={available!r} of the estimator"
    if search.max_resources == "auto":
        max_r = int(available)
    elif search.resource == "n_samples" and search.max_resources > available:
        raise ValueError(
            f"max_resources={search.max_resources} exceeds {where}: lower it "
            f"or use more data."
        )
    else:
        max_r = search.max_resources
    if search.min_resources in ("smallest", "exhaust"):
        # HalvingRandomSearchCV's smallest budget: two samples per class (two
        # for a regressor) per split; 1 for a parameter. ("exhaust" may raise it
        # once the number of candidates is known: _plan.)
        if search.resource == "n_samples":
            min_r = 2 * len(run.splits) * n_classes
        else:
            min_r = 1
    elif search.min_resources == "auto":
        # The most halvings (up to _MAX_AUTO_HALVINGS) that keep the smallest
        # budget at least `smallest`, with max_r / min_r a power of factor so
        # that the first rung gets exactly min_r.
        k = 0
        while k < _MAX_AUTO_HALVINGS and max_r / search.factor ** (k + 1) >= smallest:
            k += 1
        min_r = max(1, math.floor(max_r / search.factor**k))
    else:
        min_r = search.min_resources
    if min_r > max_r:
        raise ValueError(
            f"min_resources_={min_r} is greater than max_resources_={max_r} "
            f"({where}): the data are too small for these budgets."
        )
    return min_r, max_r


@fill_doc
class HyperbandSearchCV(BaseStrategySearchCV):
    """Hyperband search over hyperparameters, random or model-based (BOHB).

    Hyperband evaluates many candidates on a small budget (a subsample of the
    training data, or a few iterations or trees) and promotes the best ``1 /
    factor`` of them to a budget ``factor`` times larger, in rounds of successive
    halving; its brackets trade how many candidates start against how small their
    first budget is, so it is robust to how informative small budgets are [1]_.
    No worker waits for a rung to end: a candidate is promoted as soon as it is
    certain to be in the top ``1 / factor`` of its rung (the default,
    reproducible scheduling: the promotions of synchronous successive halving),
    or, with ``scheduling="asynchronous"``, as soon as it ranks in the top ``1 /
    factor`` of the finished results of its rung (ASHA [3]_).
    With ``sampler="bohb"``, each bracket's candidates are drawn from kernel
    density estimates of the good and bad candidates seen so far on the largest
    budget with enough of them, as in BOHB [2]_.

    Read more in the :ref:`User Guide <hyperband_search>`.

    Parameters
    ----------
    {estimator}

    resource : str, default='n_samples'
        What a budget is made of. ``"n_samples"``: a number of samples of the
        whole ``X``, as in :class:`~sklearn.model_selection.HalvingRandomSearchCV`;
        a budget ``n_resources`` trains each CV split on the fraction
        ``n_resources / n_samples`` of its training part (stratified for
        classifiers; every candidate of a rung sees the same rows). Otherwise the
        name of an integer parameter of the estimator, such as
        ``"n_estimators"``, ``"max_iter"`` or ``"clf__max_iter"`` in a pipeline;
        for ``n_estimators`` or ``max_iter`` of an estimator with
        ``warm_start``, a promoted candidate continues its previous fits and
        adds only the new iterations. ``"partial_fit"``: a number of passes
        (epochs) of ``partial_fit`` over each training part, for estimators that
        learn incrementally (SGD, MLP, Perceptron..., or a Pipeline ending in
        one: its other steps are fitted once); a promoted candidate continues
        with the new passes only, the refit makes ``max_resources`` passes over
        all the data, and ``max_resources`` must be given.

    min_resources : int, 'auto', 'smallest' or 'exhaust', default='auto'
        The smallest budget a bracket may start with. ``"auto"`` makes it
        ``max_resources / factor**k`` for the largest ``k <= 4`` (five rungs at
        most) that keeps at least two samples per class in the smallest training
        part for classifiers with ``"n_samples"`` (two samples for regressors, 1
        for a parameter). ``"smallest"`` and ``"exhaust"`` are
        :class:`~sklearn.model_selection.HalvingRandomSearchCV`'s: two samples
        per class (two for a regressor) per CV split with ``"n_samples"``, else
        1; ``"exhaust"`` (with ``n_candidates`` only) raises it as far as lets
        the last rung use ``max_resources``.

    max_resources : int or 'auto', default='auto'
        The largest budget. ``"auto"`` is the number of samples of ``X`` for
        ``"n_samples"`` (the last rung trains on the full training parts), else
        the value of the resource parameter in ``estimator`` (no ``"auto"`` for
        ``"partial_fit"``).

    factor : float, default=3
        Hyperband's ``eta``: each rung keeps the best ``1 / factor`` of its
        candidates and gives them ``factor`` times the budget.

    n_brackets : int, default=None
        Number of brackets to run. ``None`` runs one Hyperband iteration (all
        brackets, from the most aggressive to plain random search on the largest
        budget); a larger value runs several iterations, a smaller one only the
        most aggressive brackets.

    n_candidates : int, 'exhaust' or None, default=None
        ``None`` runs Hyperband's brackets. An integer runs one bracket of
        successive halving as
        :class:`~sklearn.model_selection.HalvingRandomSearchCV` does, with this
        many candidates in its first rung: rung ``i`` gives
        ``min_resources * factor**i`` (at most ``max_resources``) to the best
        ``ceil(n / factor)`` of the ``n`` candidates of the rung below, until
        fewer than ``factor`` candidates remain or the resources run out (see
        :ref:`migration`). ``"exhaust"``: as many
        candidates as let the last rung use ``max_resources``
        (``max_resources // min_resources``). ``n_brackets`` must then be None.

    aggressive_elimination : bool, default=False
        With ``n_candidates``, as in
        :class:`~sklearn.model_selection.HalvingRandomSearchCV`: when the
        resources do not allow enough rungs to bring the candidates below
        ``factor``, repeat the first rung's budget until they do.

    sampler : {'bohb', 'random'}, default='bohb'
        How each bracket draws its candidates: ``'random'`` as Hyperband, or from a
        density model of good and bad candidates as BOHB (a third of them still at
        random).

    {shared_parameters}

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        A dict with keys as column headers and values as columns, in the layout of
        :class:`~sklearn.model_selection.HalvingRandomSearchCV`'s, with ``iter``
        (the rung within its bracket), ``bracket`` (Hyperband's ``s``),
        ``n_resources`` and ``continued`` (whether the row continued the fits of
        the rung below). A promoted candidate appears once per rung.

    min_resources_ : int
        The smallest budget used (the first rung of the most aggressive bracket,
        at least ``min_resources``).

    max_resources_ : int
        The largest budget used.

    n_candidates_ : list of int
        Number of candidates evaluated in each rung, bracket after bracket. With
        ``scheduling="asynchronous"``, a rung may hold a few more than
        Hyperband's plan: candidates promoted early (see Notes).

    n_resources_ : list of int
        The budget of each rung of ``n_candidates_``.

    n_iterations_ : int
        Number of rungs run (with ``n_candidates``: planned, as in
        :class:`~sklearn.model_selection.HalvingRandomSearchCV`).

    n_required_iterations_ : int
        With ``n_candidates`` only: the rungs needed for the last one to hold
        fewer than ``factor`` candidates.

    n_possible_iterations_ : int
        With ``n_candidates`` only: the rungs that fit between
        ``min_resources_`` and ``max_resources_``.

    n_remaining_candidates_ : int
        With ``n_candidates`` only: the candidates the last rung would keep.

    {shared_attributes}

    See Also
    --------
    sklearn.model_selection.HalvingRandomSearchCV : One bracket of successive
        halving.
    BayesSearchCV : Bayesian optimization, for when every fit is affordable.

    Notes
    -----
    One Hyperband iteration with ``factor=3`` and five rungs costs about 23.5
    full-budget evaluations (about five per bracket) but starts 143 candidates.
    With ``scheduling="asynchronous"``, a candidate promoted early, on the
    partial results of its rung, may turn out not to be in the top ``1 /
    factor`` of the complete rung; those that are get promoted then too, so
    every candidate synchronous successive halving would promote is promoted,
    and the early ones cost 6 to 10% more resources on average (simulated; at
    most 25%). ``best_*`` come from the candidates
    evaluated with the largest budget, as in
    :class:`~sklearn.model_selection.HalvingRandomSearchCV`.

    References
    ----------
    .. [1] L. Li, K. Jamieson, G. DeSalvo, A. Rostamizadeh and A. Talwalkar,
       "Hyperband: A Novel Bandit-Based Approach to Hyperparameter Optimization",
       JMLR 18(185), 2018.
    .. [2] S. Falkner, A. Klein and F. Hutter, "BOHB: Robust and Efficient
       Hyperparameter Optimization at Scale", ICML 2018.
    .. [3] L. Li, K. Jamieson, A. Rostamizadeh, E. Gonina, J. Ben-tzur, M. Hardt,
       B. Recht and A. Talwalkar, "A System for Massively Parallel Hyperparameter
       Tuning", MLSys 2020.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import SGDClassifier
    >>> from skhpo import HyperbandSearchCV
    >>> from skhpo.space import Real
    >>> X, y = make_classification(n_samples=600, random_state=0)
    >>> search = HyperbandSearchCV(
    ...     SGDClassifier(), {"alpha": Real(1e-6, 1e-1, prior="log-uniform")},
    ...     resource="max_iter", max_resources=27, random_state=0,
    ... ).fit(X, y)
    >>> int(search.best_params_["max_iter"])
    27
    """

    _parameter_constraints: dict = {
        **BaseStrategySearchCV._parameter_constraints,
        "resource": [str],
        "min_resources": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto", "smallest", "exhaust"}),
        ],
        "max_resources": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "factor": [Interval(Real, 1, None, closed="neither")],
        "n_brackets": [Interval(Integral, 1, None, closed="left"), None],
        "n_candidates": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"exhaust"}),
            None,
        ],
        "aggressive_elimination": ["boolean"],
        "sampler": [StrOptions({"bohb", "random"})],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        resource="n_samples",
        min_resources="auto",
        max_resources="auto",
        factor=3,
        n_brackets=None,
        n_candidates=None,
        aggressive_elimination=False,
        sampler="bohb",
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
        self.resource = resource
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.factor = factor
        self.n_brackets = n_brackets
        self.n_candidates = n_candidates
        self.aggressive_elimination = aggressive_elimination
        self.sampler = sampler

    # Its candidates are evaluated with several resources: a cv_results_ of full
    # evaluations alone would not say where in the brackets they belong.
    _starts_from_results = False

    def _make_optimizer(self, space, random_state):
        """The sampler of the new candidates of each bracket."""
        if self.sampler == "random":
            return RandomSampler(
                space.n_dims,
                kinds=space.kinds,
                n_choices=space.n_choices,
                random_state=random_state,
            )
        return KDESampler(
            space.n_dims,
            kinds=space.kinds,
            n_choices=space.n_choices,
            random_fraction=1 / 3,
            # BOHB's 1e-3 floor lets a good set of near-identical points collapse the
            # model onto one spot; 1e-2 (a hundredth of each unit axis) keeps it
            # moving (measured on Branin: median best 0.40 vs 0.56 over 20 seeds).
            min_bandwidth=1e-2,
            random_state=random_state,
        )

    def _check_input_parameters(self, X, y, split_params):
        if self.resource == "n_samples" and num_samples(X) == 0:
            raise ValueError(  # scikit-learn's message
                "min_resources_=0: you might have passed an empty dataset X."
            )
        space = super()._check_input_parameters(X, y, split_params)
        _check_resource(self, space)
        _check_halving(self)
        return space

    def _estimator_to_fit(self, estimator, y):
        if self.resource != "partial_fit":
            return estimator
        # The refit makes the passes of the last rung, on all the data.
        return PartialFitEpochs(
            estimator, epochs=self.max_resources, classes=epoch_classes(estimator, y)
        )

    def _plan(self, run):
        """``(brackets, halving, min_resources, max_resources)``: Hyperband's
        brackets, or with ``n_candidates`` the one bracket of successive halving
        and its :class:`HalvingPlan` (``halving`` None otherwise)."""
        min_r, max_r = _resolve_resources(self, run)
        if self.n_candidates is None:
            brackets = hyperband_brackets(min_r, max_r, self.factor, self.n_brackets)
            return brackets, None, min_r, max_r
        n = self.n_candidates
        if n == "exhaust":
            # As many candidates as let the last rung use max_resources.
            n = max_r // min_r
        if self.min_resources == "exhaust":
            # The largest start that still lets the required rungs run.
            last = math.floor(math.log(n, self.factor))
            min_r = max(min_r, int(max_r // self.factor**last))
        plan = halving_plan(n, min_r, max_r, self.factor, self.aggressive_elimination)
        return [plan.bracket], plan, min_r, max_r

    def _max_fits(self, run):
        # Candidates promoted early on partial results add to the brackets' plan
        # (Hyperband's docstring): no exact total is known in advance.
        return None

    def _search(self, run):
        brackets, halving, min_r, max_r = self._plan(run)
        self.max_resources_ = max_r
        # Successive halving: scikit-learn's min_resources_ (its first rung may
        # start above it with aggressive elimination).
        self.min_resources_ = (
            min_r
            if halving is not None
            else min(bracket.resources[0] for bracket in brackets)
        )
        if run.initial is not None:
            n_new = sum(bracket.n_candidates[0] for bracket in brackets)
            if len(run.initial[1]) > n_new:
                raise ValueError(
                    f"initial_params holds {len(run.initial[1])} distinct "
                    f"candidates, more than the {n_new} new candidates of the "
                    f"{len(brackets)} brackets"
                )
        sampler = self._make_optimizer(run.space, run.random_state)
        rng = np.random.RandomState(run.random_state.randint(_SEED_MAX))
        if self.resource == "n_samples":
            y = None if run.y is None else np.asarray(run.y)
            stratify = is_classifier(self.estimator) and y is not None and y.ndim == 1
            orders = [
                _training_order(len(train), y[train] if stratify else None, rng)
                for train, _ in run.splits
            ]
            test_orders = None
            if halving is not None:
                # HalvingRandomSearchCV scores on a subsample of each test part.
                test_orders = [
                    _training_order(len(test), y[test] if stratify else None, rng)
                    for _, test in run.splits
                ]
            trial = _Subsamples(run.splits, orders, num_samples(run.X), test_orders)
        else:
            trial = _parameter_budget(self.estimator, self.resource, run.space)
        # The loop de-duplicates the new candidates (Hyperband.unseen).
        optimizer = Hyperband(brackets, sampler)
        self._run_loop(run, optimizer, math.inf, trial)
        self.n_candidates_ = optimizer.rung_sizes()
        self.n_resources_ = [
            r
            for bracket_run in optimizer.runs_
            for rung, r in zip(bracket_run.rungs, bracket_run.bracket.resources)
            if rung.members
        ]
        self.n_iterations_ = len(self.n_candidates_)
        if halving is not None:
            # HalvingRandomSearchCV's attributes, with their meaning there.
            self.n_iterations_ = len(halving.bracket.n_candidates)
            self.n_required_iterations_ = halving.n_required_iterations
            self.n_possible_iterations_ = halving.n_possible_iterations
            last = self.n_candidates_[-1] if self.n_candidates_ else 0
            self.n_remaining_candidates_ = math.ceil(last / self.factor)

    @staticmethod
    def _select_best_index(refit, refit_metric, results):
        """The best candidate among those evaluated with the most resources."""
        if callable(refit):
            return refit(results)
        # The rows of the largest resource (without that column, as scikit-learn
        # reads it: of the last rung).
        column = "n_resources" if "n_resources" in results else "iter"
        n_resources = np.asarray(results[column])
        top = n_resources == n_resources.max()
        if "n_splits_run" in results:
            # Racing: a trial stopped after its first folds is never the best.
            n_run = np.asarray(results["n_splits_run"])
            if (top & (n_run == n_run.max())).any():
                top &= n_run == n_run.max()
        rows = np.flatnonzero(top)
        metric = refit_metric or "score"
        scores = np.asarray(results[f"mean_test_{metric}"], dtype=float)[rows]
        if np.isnan(scores).all():
            return rows[0]
        return rows[np.nanargmax(scores)]
