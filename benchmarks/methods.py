# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""One adapter per search method: build the search object, read back its history.

Every method gets the same estimator, neutral search space (translated by
``problems.to_*``), budget, CV splitter, scoring and seed. :func:`build` makes the
unfitted search of a method (``METHOD_INFO`` lists them), :func:`history` reads
back what it evaluated, in evaluation order. A method whose library is missing or
broken makes :func:`build` raise, which the harness records instead of crashing;
a method that does not apply to a problem says why in :func:`not_applicable`.

Budgets. Every method that proposes whole candidates gets ``n_iter`` of them
(GASearchCV and the pyswarms baseline through :func:`ga_shape` and
``_pyswarms_adapter.swarm_shape``). The multi-fidelity methods, which evaluate
candidates on subsamples of the training data (``resource="n_samples"``), get the
same compute instead: ``sum over evaluations of n_resources / max_resources``, in
full-data evaluations, as close to ``n_iter`` as their schedules allow without
exceeding it (:func:`hyperband_plan`, :func:`halving_plan`). With
``budget="rows"`` (the overhead experiment) they get ``n_iter`` evaluations
(rows of ``cv_results_``) instead.

How the fit and score time is read back (the optimizer overhead is the wall time of
``fit`` minus ``refit_time_`` minus this sum, divided by the number of candidates):

- the ``BaseSearchCV`` subclasses (scikit-learn's, skhpo's, scikit-optimize's):
  sum over candidates of ``(mean_fit_time + mean_score_time) * n_splits_`` from
  ``cv_results_``, i.e. the sum of the per-fold times measured inside
  ``_fit_and_score``;
- ``OptunaSearchCV``: each trial runs ``cross_validate`` and stores the nan-mean of
  its per-fold ``fit_time`` and ``score_time`` in ``trial.user_attrs``; we sum
  ``(mean_fit_time + mean_score_time) * n_splits_`` over trials, NaN counted as 0;
- ``GASearchCV``: its ``cv_results_`` (one row per individual, cached repeats
  included), first occurrence of each evaluation only;
- the pyswarms baseline: the per-fold times of its ``cross_validate`` calls.

So for every method the overhead contains the same kind of time: proposing
candidates, cloning the estimator, splitting the data, joblib dispatch, bookkeeping.

When each candidate finished (for the anytime curves against wall time):
``BaseSearchCV`` subclasses are wrapped by :func:`timed`, which timestamps every
call of ``evaluate_candidates`` (candidates inside a batch are interpolated by their
fit and score times, ``bench_hyperband._completion_times``); optuna records each
trial's completion time; GASearchCV is subclassed to timestamp each ``evaluate``;
the pyswarms adapter timestamps each evaluation.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import math
import os
import random
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from problems import to_optuna, to_sgo, to_skhpo, to_sklearn, to_skopt


@dataclass(frozen=True)
class Method:
    """What the report says about a method."""

    kind: str  # "baseline", "bayes", "multi-fidelity", "evolutionary", "pso"
    library: str
    what: str
    ours: bool = False


METHOD_INFO = {
    "random": Method(
        "baseline", "scikit-learn", "`RandomizedSearchCV` (scipy.stats priors)"
    ),
    "halving": Method(
        "multi-fidelity",
        "scikit-learn",
        "`HalvingRandomSearchCV(factor=3)`, resource `n_samples`, same compute "
        "(see `halving_plan`)",
    ),
    "skhpo-bayes": Method("bayes", "skhpo", "`BayesSearchCV()`", True),
    "skhpo-bayes-warp": Method(
        "bayes",
        "skhpo",
        "`BayesSearchCV()` with input warping (an ablation: the GP's "
        "`_WARP_INPUTS` switched on for the run)",
        True,
    ),
    "skhpo-hyperband": Method(
        "multi-fidelity",
        "skhpo",
        "`HyperbandSearchCV(resource='n_samples')`, default sampler, `n_brackets` "
        "for the same compute",
        True,
    ),
    "skhpo-evolutionary": Method(
        "evolutionary", "skhpo", "`EvolutionarySearchCV()` (default strategy)", True
    ),
    "skhpo-ga": Method(
        "evolutionary", "skhpo", "`EvolutionarySearchCV(strategy='ga')`", True
    ),
    "skhpo-cmaes": Method(
        "evolutionary", "skhpo", "`EvolutionarySearchCV(strategy='cma-es')`", True
    ),
    "skhpo-pso": Method("pso", "skhpo", "`PSOSearchCV()` (global topology)", True),
    "skhpo-pso-ring": Method("pso", "skhpo", "`PSOSearchCV(topology='ring')`", True),
    "skopt-bayes": Method(
        "bayes", "scikit-optimize", "`skopt.BayesSearchCV()` with its defaults"
    ),
    "optuna-tpe": Method(
        "bayes", "optuna", "`OptunaSearchCV` with `TPESampler(seed=seed)`"
    ),
    "optuna-gp": Method(
        "bayes",
        "optuna",
        "`OptunaSearchCV` with `GPSampler(seed=seed)` (optuna's own Gaussian "
        "process, on torch)",
    ),
    "optuna-cmaes": Method(
        "evolutionary",
        "optuna",
        "`OptunaSearchCV` with `CmaEsSampler(seed=seed)`, spaces without "
        "categorical dimensions only",
    ),
    "gasearchcv": Method(
        "evolutionary",
        "sklearn-genetic-opt",
        "`GASearchCV` with its defaults, `population_size` and `generations` "
        "chosen for `n_iter` (see `ga_shape`)",
    ),
    "pso-baseline": Method(
        "pso",
        "pyswarms",
        "`pyswarms.single.GlobalBestPSO` through `_pyswarms_adapter.py`, "
        "`n_particles * iters == n_iter`",
    ),
    "hyperopt-tpe": Method(
        "bayes",
        "hyperopt",
        "`hyperopt.fmin(algo=tpe.suggest)` through `_library_adapters.py`",
    ),
    "flaml-blendsearch": Method(
        "bayes",
        "flaml",
        "`flaml.tune.run` (default BlendSearch) through `_library_adapters.py`",
    ),
    "hebo": Method(
        "bayes",
        "hebo",
        "`hebo.optimizers.hebo.HEBO` with its defaults, `suggest`/`observe`, "
        "through `_library_adapters.py`",
    ),
    "smac3": Method(
        "bayes",
        "smac",
        "`smac.HyperparameterOptimizationFacade` (random forest) with its "
        "defaults, `deterministic=True`, `ask`/`tell`, through "
        "`_library_adapters.py`",
    ),
}
# The methods whose search is an adapter of the benchmark with a ``history_``.
ADAPTED = ("pso-baseline", "hyperopt-tpe", "flaml-blendsearch", "hebo", "smac3")
MULTI_FIDELITY = ("halving", "skhpo-hyperband")

# Modules whose versions the reports record.
_MODULES = (
    "sklearn",
    "numpy",
    "scipy",
    "joblib",
    "threadpoolctl",
    "skopt",
    "optuna",
    "optuna_integration",
    "torch",
    "hyperopt",
    "flaml",
    "hebo",
    "pymoo",
    "gpytorch",
    "smac",
    "ConfigSpace",
    "cmaes",
    "sklearn_genetic",
    "deap",
    "pyswarms",
    "dask",
    "distributed",
    "matplotlib",
    "skhpo",
)


def skhpo_source_digest():
    """Short SHA-256 of skhpo's source files: which state of the code was measured."""
    try:
        import skhpo
    except Exception:
        return None
    root = Path(skhpo.__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def versions(
    modules=(
        "sklearn",
        "numpy",
        "scipy",
        "joblib",
        "skopt",
        "optuna",
        "optuna_integration",
        "skhpo",
    ),
):
    """Versions of ``modules`` (a message instead for one that does not import)."""
    out = {}
    for mod in modules:
        try:
            if mod == "pyswarms":
                # importing pyswarms makes its reporter write report.log in the
                # working directory, unless the adapter has pointed it elsewhere
                importlib.import_module("_pyswarms_adapter")
            m = importlib.import_module(mod)
            if mod in ("deap", "smac"):  # no __version__
                from importlib.metadata import version

                out[mod] = version(mod)
            else:
                out[mod] = getattr(m, "__version__", "unknown")
            if mod == "skhpo":
                out[mod] += f" (source sha256 {skhpo_source_digest()})"
        except Exception as exc:
            out[mod] = f"not importable: {type(exc).__name__}: {exc}"[:300]
    return out


def all_versions():
    """Versions of every library any method of :data:`METHOD_INFO` touches."""
    return versions(_MODULES)


# --------------------------------------------------------------------------------------
# Wrappers
# --------------------------------------------------------------------------------------


def _warped_bayes_search_cv():
    """BayesSearchCV whose GP warps its inputs during ``fit`` (an ablation)."""
    from skhpo import BayesSearchCV
    from skhpo._optimizers import bayes

    class WarpedBayesSearchCV(BayesSearchCV):
        def fit(self, *args, **kwargs):
            saved, bayes._WARP_INPUTS = bayes._WARP_INPUTS, True
            try:
                return super().fit(*args, **kwargs)
            finally:
                bayes._WARP_INPUTS = saved

    return WarpedBayesSearchCV


def timed(cls):
    """``cls`` whose ``_run_search`` timestamps every ``evaluate_candidates`` call.

    After ``fit``, ``search._bench_batches`` holds one ``(start, end, n_total, nan,
    nan)`` per call (``perf_counter`` seconds; ``n_total`` the number of
    ``cv_results_`` rows after the call), the layout of ``bench_hyperband._timed``
    (whose last two fields are CPU times), so that ``_completion_times`` reads it.
    scikit-learn passes ``callback_ctx`` only to a ``_run_search`` that declares it:
    the wrapper declares it exactly when ``cls`` does.
    """

    def wrap(search, evaluate_candidates):
        batches = search._bench_batches = []

        def timed_evaluate(candidate_params, *args, **kwargs):
            start = time.perf_counter()
            out = evaluate_candidates(candidate_params, *args, **kwargs)
            end = time.perf_counter()
            batches.append((start, end, len(out["params"]), math.nan, math.nan))
            return out

        return timed_evaluate

    if "callback_ctx" in inspect.signature(cls._run_search).parameters:

        class Timed(cls):
            def _run_search(self, evaluate_candidates, *, callback_ctx=None):
                return super()._run_search(
                    wrap(self, evaluate_candidates), callback_ctx=callback_ctx
                )

    else:

        class Timed(cls):
            def _run_search(self, evaluate_candidates):
                return super()._run_search(wrap(self, evaluate_candidates))

    Timed.__name__ = Timed.__qualname__ = cls.__name__
    return Timed


class _Counted:
    """Count what the engine asks and tells an skhpo optimizer (diagnostics only)."""

    def __init__(self, optimizer, stats):
        self._opt = optimizer
        self._stats = stats
        self._last = None

    def ask(self, n):
        X = self._opt.ask(n)
        self._stats["asks"] += 1
        self._stats["asked_rows"] += len(X)
        self._last = X
        return X

    def tell(self, X, y):
        paired = self._last is not None and np.array_equal(X, self._last)
        self._stats["tells" if paired else "unpaired_tells"] += 1
        if not paired:
            self._stats["unpaired_rows"] += len(X)
        self._last = None
        return self._opt.tell(X, y)

    def __getattr__(self, name):
        return getattr(self._opt, name)


def counted(cls):
    """``cls`` whose optimizer counts asks and tells into ``search.bench_stats_``."""

    class Counted(cls):
        def _make_optimizer(self, space, random_state):
            opt = super()._make_optimizer(space, random_state)
            self.bench_stats_ = {
                "asks": 0,
                "asked_rows": 0,
                "tells": 0,
                "unpaired_tells": 0,
                "unpaired_rows": 0,
            }
            return _Counted(opt, self.bench_stats_)

    Counted.__name__ = Counted.__qualname__ = cls.__name__
    return Counted


# --------------------------------------------------------------------------------------
# Budgets of the peers
# --------------------------------------------------------------------------------------


def ga_shape(n_iter):
    """``(population_size, generations)`` of GASearchCV for a budget of ``n_iter``.

    GASearchCV's default algorithm, ``eaMuPlusLambda`` with ``mu = population_size``
    and ``lambda = 2 * population_size``, evaluates the initial population and then
    ``2 * population_size`` offspring per generation (with its default crossover and
    mutation probabilities, 0.2 + 0.8 = 1, every offspring is new and goes through
    ``evaluate``): ``population_size * (1 + 2 * generations)`` calls. An offspring
    equal to a candidate already evaluated is answered from its cache (no CV fit)
    but still gets a row of ``cv_results_``.

    Chosen: the shape closest to ``n_iter``; among the exact ones, a population of at
    least 10 and 2 generations or more when possible, then the smallest population
    (the most generations).
    """
    best = None
    for pop in range(2, n_iter + 1):
        for gen in range(1, n_iter + 1):
            count = pop * (1 + 2 * gen)
            if count > 2 * n_iter:
                break
            key = (abs(count - n_iter), pop < 10, gen < 2, pop)
            if best is None or key < best[0]:
                best = (key, pop, gen)
    return best[1], best[2]


def _n_classes(estimator, y):
    from sklearn.base import is_classifier

    return len(np.unique(y)) if is_classifier(estimator) and y is not None else None


def hyperband_plan(estimator, y, splits, n_iter, *, budget="compute", factor=3):
    """``n_brackets`` of ``HyperbandSearchCV(resource="n_samples")`` for a budget.

    Resolves ``min_resources="auto"`` and ``max_resources="auto"`` as
    ``HyperbandSearchCV`` does (the smallest training part of the splits; the most
    halvings, at most ``_MAX_AUTO_HALVINGS``, that keep two samples per class), then
    takes the most brackets whose total, in full-data evaluations
    (``budget="compute"``) or in evaluations (``budget="rows"``), does not exceed
    ``n_iter`` (at least one bracket). The report checks the plan against the
    ``n_resources`` column of the fitted search.
    """
    from skhpo._optimizers.hyperband import hyperband_brackets, total_cost

    try:
        from skhpo._hyperband import _MAX_AUTO_HALVINGS
    except ImportError:  # the constant of skhpo 0.1
        _MAX_AUTO_HALVINGS = 4
    max_r = min(len(train) for train, _ in splits)
    n_classes = _n_classes(estimator, y)
    smallest = 2 * (n_classes or 1)
    k = 0
    while k < _MAX_AUTO_HALVINGS and max_r / factor ** (k + 1) >= smallest:
        k += 1
    min_r = max(1, math.floor(max_r / factor**k))
    plan = None
    for n_brackets in range(1, 10 * n_iter + 2):
        brackets = hyperband_brackets(min_r, max_r, factor, n_brackets)
        cost = total_cost(brackets) / max_r
        rows = sum(sum(b.n_candidates) for b in brackets)
        if (cost if budget == "compute" else rows) > n_iter and plan is not None:
            break
        plan = {
            "n_brackets": n_brackets,
            "min_resources": min_r,
            "max_resources": max_r,
            "planned_cost": cost,
            "planned_rows": rows,
        }
    return plan


def _halving_schedule(n_candidates, min_resources, max_resources, factor=3):
    """Rungs ``[(n_candidates, n_resources), ...]`` of HalvingRandomSearchCV.

    scikit-learn 1.9's ``_run_search`` with an integer ``min_resources`` and
    ``aggressive_elimination=False``, with the same floating-point logarithms.
    """
    n_required = 1 + math.floor(math.log(n_candidates, factor))
    n_possible = 1 + math.floor(math.log(max_resources // min_resources, factor))
    rungs, n = [], n_candidates
    for itr in range(min(n_required, n_possible)):
        r = min(int(factor**itr * min_resources), max_resources)
        rungs.append((n, r))
        n = math.ceil(n / factor)
    return rungs


def halving_plan(estimator, y, n_samples, n_splits, n_iter, *, budget="compute"):
    """``n_candidates`` and ``min_resources`` of HalvingRandomSearchCV for a budget.

    Returns ``start_candidates`` (its ``n_candidates``), ``min_resources``, the
    planned compute and evaluations, and the planned ``rungs``.

    ``min_resources = n_samples // 3**j`` for the most halvings ``j`` (at most 4)
    that keep it at least scikit-learn's own smallest budget (``2 * n_splits``
    samples, times the number of classes for a classifier); then the most
    candidates, at least ``3**j`` so that the last rung is the ``j``-th, whose total
    in full-data evaluations (``sum n_candidates * n_resources / n_samples``) or in
    evaluations does not exceed ``n_iter``. The last rung then uses
    ``(n_samples // 3**j) * 3**j`` samples, all but at most ``3**j - 1`` (scikit-learn
    subsamples the test folds in the same proportion).
    """
    n_classes = _n_classes(estimator, y)
    smallest = 2 * n_splits * (n_classes or 1)
    for j in range(4, -1, -1):
        r0 = n_samples // 3**j
        if r0 < smallest:
            continue
        best = None
        for n in range(3**j, 100 * n_iter + 1):
            rungs = _halving_schedule(n, r0, n_samples)
            if len(rungs) != j + 1:
                continue
            cost = sum(c * r for c, r in rungs) / n_samples
            rows = sum(c for c, _ in rungs)
            if (cost if budget == "compute" else rows) > n_iter:
                break
            best = {
                "start_candidates": n,
                "min_resources": r0,
                "planned_cost": cost,
                "planned_rows": rows,
                "rungs": rungs,
            }
        if best is not None:
            return best
    rungs = [(n_iter, n_samples)]
    return {
        "start_candidates": n_iter,
        "min_resources": n_samples,
        "planned_cost": float(n_iter),
        "planned_rows": n_iter,
        "rungs": rungs,
    }


# --------------------------------------------------------------------------------------
# Building the searches
# --------------------------------------------------------------------------------------


def split_variant(method):
    """``"skhpo-ga:elitism=5;population_size=6"`` -> ``("skhpo-ga", {...})``.

    A variant passes extra keyword arguments to one of skhpo's classes, so that
    settings can be compared in the same run; the values are Python literals.
    """
    name, _, spec = method.partition(":")
    extra = {}
    for item in filter(None, spec.split(";")):
        key, _, value = item.partition("=")
        extra[key.strip()] = ast.literal_eval(value.strip())
    if extra and not name.startswith("skhpo-"):
        raise ValueError(f"only skhpo methods take variants, got {method!r}")
    if name not in METHOD_INFO:
        raise ValueError(f"unknown method {name!r}; choose from {list(METHOD_INFO)}")
    return name, extra


def not_applicable(method, problem):
    """Why ``method`` cannot run on ``problem``, or ``None`` if it can."""
    name, _ = split_variant(method)
    if name == "optuna-cmaes" and problem.has_categorical:
        return (
            "CmaEsSampler does not model categorical parameters: optuna would draw "
            "them at random, independently of CMA-ES, so this is run only on spaces "
            "of reals and integers"
        )
    return None


def _optuna_search(estimator, space, n_iter, cv, scoring, seed, n_jobs, sampler):
    import optuna

    try:
        from optuna_integration import OptunaSearchCV
    except ImportError:  # older optuna-integration releases
        from optuna_integration.sklearn import OptunaSearchCV

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ExperimentalWarning on construction
        return OptunaSearchCV(
            estimator,
            to_optuna(space),
            n_trials=n_iter,
            scoring=scoring,
            cv=cv,
            n_jobs=n_jobs,
            random_state=seed,
            study=study,
            error_score=np.nan,
        )


def _timed_gasearchcv():
    from sklearn_genetic import GASearchCV

    class TimedGASearchCV(GASearchCV):
        """GASearchCV timestamping every ``evaluate`` (one per logbook row)."""

        def evaluate(self, individual):
            out = super().evaluate(individual)
            self._bench_times.append(time.perf_counter())
            return out

    TimedGASearchCV.__name__ = TimedGASearchCV.__qualname__ = "GASearchCV"
    return TimedGASearchCV


def build(
    method, problem, *, n_iter, cv, seed, n_jobs=1, X=None, y=None, budget="compute"
):
    """The unfitted search of ``method`` on ``problem``, and notes for the record.

    ``X`` and ``y`` (the training data) are needed by the multi-fidelity methods
    only, to turn ``n_iter`` into their budget.
    """
    name, extra = split_variant(method)
    est, space, scoring = problem.make_estimator(), problem.space, problem.scoring
    common = {
        "scoring": scoring,
        "cv": cv,
        "n_jobs": n_jobs,
        "random_state": seed,
        "error_score": np.nan,
    }
    if name == "random":
        from sklearn.model_selection import RandomizedSearchCV

        return timed(RandomizedSearchCV)(
            est, to_sklearn(space), n_iter=n_iter, **common
        ), {}
    if name == "halving":
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingRandomSearchCV

        plan = halving_plan(
            est, y, len(X), cv.get_n_splits(X, y), n_iter, budget=budget
        )
        search = timed(HalvingRandomSearchCV)(
            est,
            to_sklearn(space),
            n_candidates=plan["start_candidates"],
            min_resources=plan["min_resources"],
            factor=3,
            resource="n_samples",
            **common,
        )
        return search, plan
    if name == "skhpo-bayes":
        from skhpo import BayesSearchCV

        return timed(BayesSearchCV)(
            est, to_skhpo(space), n_iter=n_iter, **common, **extra
        ), {}
    if name == "skhpo-bayes-warp":
        return timed(_warped_bayes_search_cv())(
            est, to_skhpo(space), n_iter=n_iter, **common, **extra
        ), {}
    if name == "skhpo-hyperband":
        from skhpo import HyperbandSearchCV

        plan = hyperband_plan(est, y, list(cv.split(X, y)), n_iter, budget=budget)
        search = timed(HyperbandSearchCV)(
            est,
            to_skhpo(space),
            resource="n_samples",
            n_brackets=plan["n_brackets"],
            **common,
            **extra,
        )
        return search, {**plan, "sampler": search.sampler}
    if name in ("skhpo-evolutionary", "skhpo-ga", "skhpo-cmaes"):
        from skhpo import EvolutionarySearchCV

        if name != "skhpo-evolutionary":
            extra = {"strategy": "ga" if name == "skhpo-ga" else "cma-es", **extra}
        cls = timed(counted(EvolutionarySearchCV))
        search = cls(est, to_skhpo(space), n_iter=n_iter, **common, **extra)
        return search, {"strategy": search.strategy}
    if name in ("skhpo-pso", "skhpo-pso-ring"):
        from skhpo import PSOSearchCV

        if name == "skhpo-pso-ring":
            extra = {"topology": "ring", **extra}
        cls = timed(counted(PSOSearchCV))
        return cls(est, to_skhpo(space), n_iter=n_iter, **common, **extra), {}
    if name == "skopt-bayes":
        from skopt import BayesSearchCV

        return timed(BayesSearchCV)(est, to_skopt(space), n_iter=n_iter, **common), {}
    if name in ("optuna-tpe", "optuna-cmaes", "optuna-gp"):
        import optuna

        if name == "optuna-tpe":
            sampler = optuna.samplers.TPESampler(seed=seed)
        elif name == "optuna-gp":  # needs torch
            sampler = optuna.samplers.GPSampler(seed=seed)
        else:
            reason = not_applicable(name, problem)
            if reason is not None:
                raise ValueError(reason)
            sampler = optuna.samplers.CmaEsSampler(seed=seed)
        return _optuna_search(
            est, space, n_iter, cv, scoring, seed, n_jobs, sampler
        ), {}
    if name == "gasearchcv":
        pop, gen = ga_shape(n_iter)
        search = _timed_gasearchcv()(
            est,
            cv=cv,
            param_grid=to_sgo(space),
            scoring=scoring,
            population_size=pop,
            generations=gen,
            verbose=False,
            n_jobs=n_jobs,
            error_score=np.nan,
        )
        search._bench_times = []
        # GASearchCV stores return_train_score=False and then calls
        # BaseSearchCV.__init__ without it, which resets it to True: every fold
        # would also be scored on its training set (as much time as the test
        # scoring again, and counted as overhead). Restore the value it was given.
        search.return_train_score = False
        notes = {
            "population_size": pop,
            "generations": gen,
            "asked": pop * (1 + 2 * gen),
        }
        return search, notes
    if name == "pso-baseline":
        from _pyswarms_adapter import PySwarmsSearch, swarm_shape

        search = PySwarmsSearch(
            est, space, n_iter=n_iter, cv=cv, scoring=scoring, seed=seed
        )
        p, it = swarm_shape(n_iter, len(space))
        return search, {"n_particles": p, "iters": it, "asked": p * it}
    if name in ("hyperopt-tpe", "flaml-blendsearch", "hebo", "smac3"):
        import _library_adapters as la

        cls = {
            "hyperopt-tpe": la.HyperoptSearch,
            "flaml-blendsearch": la.FlamlSearch,
            "hebo": la.HeboSearch,
            "smac3": la.SmacSearch,
        }[name]
        if name in ("hebo", "smac3"):
            # imported here, not in the timed fit (about 2 s for HEBO with torch and
            # 0.5 s for SMAC3 on first use), and a missing library fails the build
            importlib.import_module(
                "hebo.optimizers.hebo" if name == "hebo" else "smac"
            )
        # SMAC3's candidates depend on Python's string hashing (_library_adapters)
        notes = (
            {"PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED")}
            if name == "smac3"
            else {}
        )
        return cls(est, space, n_iter=n_iter, cv=cv, scoring=scoring, seed=seed), notes
    raise ValueError(f"no builder for method {name!r}")


def seed_globals(method, seed):
    """GASearchCV and deap draw from ``random`` and numpy's global state only.

    (The pyswarms, FLAML and HEBO adapters seed the global states their libraries
    draw from themselves, in ``fit``: numpy's, and torch's for HEBO.) Called
    just before ``fit``: sklearn-genetic-opt's ``Categorical`` reseeds ``random``
    from the OS when it is built.
    """
    if split_variant(method)[0] == "gasearchcv":
        random.seed(seed)
        np.random.seed(seed)  # noqa: NPY002


# --------------------------------------------------------------------------------------
# Reading back the history
# --------------------------------------------------------------------------------------


def history(method, search, *, t0=None, t0_wall=None):
    """What a fitted search evaluated, in evaluation order.

    Returns a dict with ``params`` (list of dicts), ``scores`` (mean CV score of
    each evaluation, NaN for a failure), ``fit_score_time`` (seconds spent inside fit
    and score, summed over evaluations and folds), ``n_splits``, ``n_rows`` (rows
    of the search's own history, cached repeats included), ``cost`` (each
    evaluation's resources as a fraction of the full training data: 1 except for
    the multi-fidelity methods), ``full`` (whether an evaluation used the largest
    budget: only those count for the best score) and, with ``t0`` (the
    ``perf_counter`` at the start of ``fit``) and ``t0_wall`` (``time.time()``
    then), ``t_done``: seconds from the start of ``fit`` to each evaluation's end.
    """
    name = split_variant(method)[0]
    out = _history(name, search, t0, t0_wall)
    n = len(out["params"])
    out.setdefault("cost", np.ones(n))
    out.setdefault("full", np.ones(n, dtype=bool))
    out.setdefault("n_rows", n)
    return out


def _history(name, search, t0, t0_wall):
    if name in ADAPTED:
        h = search.history_
        return {
            "params": [x["params"] for x in h],
            "scores": np.array([x["score"] for x in h], dtype=float),
            "fit_score_time": float(sum(x["fit_score_time"] for x in h)),
            "call_time": float(sum(x["call_time"] for x in h)),
            "n_splits": int(search.n_splits_),
            "t_done": None
            if t0 is None
            else np.array([x["t_end"] - t0 for x in h], dtype=float),
        }
    if name.startswith("optuna"):
        import optuna

        trials = [
            t for t in search.trials_ if t.state != optuna.trial.TrialState.RUNNING
        ]
        n_splits = int(search.n_splits_)
        scores = np.array(
            [
                t.user_attrs.get("mean_test_score", np.nan)
                if t.state == optuna.trial.TrialState.COMPLETE
                else np.nan
                for t in trials
            ],
            dtype=float,
        )
        times = np.array(
            [
                t.user_attrs.get("mean_fit_time", np.nan)
                + t.user_attrs.get("mean_score_time", np.nan)
                for t in trials
            ],
            dtype=float,
        )
        out = {
            "params": [dict(t.params) for t in trials],
            "scores": scores,
            "fit_score_time": float(np.nansum(times) * n_splits),
            "n_splits": n_splits,
        }
        if t0_wall is not None:
            out["t_done"] = np.array(
                [
                    t.datetime_complete.timestamp() - t0_wall
                    if t.datetime_complete is not None
                    else np.nan
                    for t in trials
                ]
            )
        return out

    res = search.cv_results_
    n_splits = int(search.n_splits_)
    key = "mean_test_score"
    if key not in res:  # multi-metric: the refit metric
        key = f"mean_test_{search.refit}"
    scores = np.asarray(res[key], dtype=float)
    times = (
        np.asarray(res["mean_fit_time"], dtype=float)
        + np.asarray(res["mean_score_time"], dtype=float)
    ) * n_splits
    params = [dict(p) for p in res["params"]]
    n_rows = len(params)
    t_done = None
    if t0 is not None and hasattr(search, "_bench_batches"):
        from bench_hyperband import _completion_times

        try:
            t_done = _completion_times(search, t0)
        except (RuntimeError, ValueError):  # batches do not cover cv_results_
            t_done = None
    elif t0 is not None and hasattr(search, "_bench_times"):
        t_done = np.asarray(search._bench_times, dtype=float) - t0
    out = {"n_rows": n_rows, "n_splits": n_splits}
    if name == "gasearchcv":
        # A cached candidate is logged again with the very record of its first
        # evaluation (same "index"): keep the first occurrence of each index only,
        # or its fit times would be counted twice.
        index = search.logbook.chapters["parameters"].select("index")
        first, seen = [], set()
        for i, idx in enumerate(index):
            if idx not in seen:
                seen.add(idx)
                first.append(i)
        params = [params[i] for i in first]
        scores, times = scores[first], times[first]
        if t_done is not None:
            t_done = t_done[first] if len(t_done) == n_rows else None
    if "n_resources" in res:
        n_res = np.asarray(res["n_resources"], dtype=float)
        out["cost"] = n_res / float(search.max_resources_)
        out["full"] = n_res == n_res.max()
    if "iter" in res:
        out["n_batches"] = len(getattr(search, "_bench_batches", [])) or len(
            {int(i) for i in res["iter"]}
        )
    out.update(
        params=params,
        scores=scores,
        fit_score_time=float(np.nansum(times)),
        t_done=t_done,
    )
    return out
