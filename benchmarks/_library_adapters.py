# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""hyperopt, FLAML, HEBO and SMAC3 as searches, on the benchmark's neutral spaces.

None of these libraries has a scikit-learn search class: each minimises a Python
function over a space of its own. These adapters, written for the benchmark only,
give them the same job as every ``*SearchCV``: the objective of a candidate is minus
its mean cross-validation score from ``sklearn.model_selection.cross_validate``,
with the benchmark's CV splitter and scoring (a failed fit scores NaN, reported to
the library as the worst loss); ``n_iter`` candidates are evaluated; the best one
is refit on the training data. The attributes the benchmark reads are those of
``_pyswarms_adapter.PySwarmsSearch`` (``history_``, ``best_*``, ``refit_time_``,
``n_splits_``).

- ``hyperopt-tpe``: ``hyperopt.fmin(algo=tpe.suggest)`` with its defaults (20
  random startup trials), seeded through ``rstate``. Reals are ``hp.uniform`` or
  ``hp.loguniform``; integers ``hp.quniform``/``hp.qloguniform`` with step 1,
  rounded and clipped to the bounds; categories ``hp.choice``.
- ``flaml-blendsearch``: ``flaml.tune.run`` with its default search algorithm
  (BlendSearch: CFO's local search blended with optuna's TPE as the global one
  when optuna is installed, CFO alone otherwise), ``num_samples=n_iter``, seeded
  through numpy's global state, which is what FLAML draws from. Reals are
  ``tune.uniform``/``tune.loguniform``, integers ``tune.randint``/
  ``tune.lograndint`` (upper bound exclusive, hence ``high + 1``), categories
  ``tune.choice``.
- ``hebo``: ``hebo.optimizers.hebo.HEBO`` with its defaults (a GPyTorch Gaussian
  process on power-transformed losses, the MACE acquisition optimised by NSGA-II
  from pymoo; ``1 + d`` scrambled Sobol points first, ``d`` dimensions, whatever
  the budget), driven by ``suggest(n_suggestions=1)`` / ``observe`` for ``n_iter``
  candidates. Seeded through numpy's and torch's global states, which is what
  HEBO draws from (the Sobol scrambling included); torch is limited to one
  thread. Reproducible with pymoo 0.6.1.5 or older only: from 0.6.1.6 on, pymoo
  draws from an unseeded ``numpy.random.default_rng()`` when not given a seed,
  and HEBO gives its NSGA-II none, so every run proposes other candidates.
  Reals are ``num``, or ``pow`` (base 10) when log-uniform; integers ``int``, or
  ``pow_int`` (log scale, rounded) when log-uniform; categories ``cat`` over the
  labels ``"0"``, ``"1"``, ... of the choices' indices (so that ``None`` and
  booleans come back as the very objects). Each value is clipped to its bounds
  (``10 ** log10(high)`` can overshoot by a rounding error).
- ``smac3``: ``smac.HyperparameterOptimizationFacade`` with its defaults (a random
  forest of 10 trees on log-scaled costs, expected improvement maximised by
  local and random search, one configuration in five drawn at random, the model
  retrained every 8 configurations), ``deterministic=True`` (the CV splits are
  fixed: each configuration is evaluated once), ``n_trials=n_iter``, seeded
  through the scenario's ``seed``, driven by ``ask`` / ``tell``. Its initial
  design depends on the budget: ``min(10 * d, n_iter // 4)`` Sobol
  configurations (5 at 20 candidates, 25 at 100 on three dimensions). The run
  directory is a temporary one, removed afterwards (``overwrite=True``). Its
  forest would predict with joblib threads on every core (``n_jobs=-1``, not a
  setting of the facade): joblib's sequential backend keeps it on one, like
  every method here (same candidates, about half the overhead on 2 cores). SMAC
  leaves the logging setup alone (``logging_level=False``) and its loggers are
  held at ``ERROR`` during the search. Reproducible only with a fixed
  ``PYTHONHASHSEED``: the local search of its acquisition maximiser starts from
  ``list(set(configurations))``, and a configuration hashes its ``repr``, so
  the order of the starting points (and the candidates after the initial
  design) changes with Python's string hashing. Reals are ``Float``, integers
  ``Integer`` (``log=`` as in the neutral space), categories ``Categorical``
  over the labels ``"0"``, ``"1"``, ... of the choices' indices.

HEBO and SMAC3 drop or impute failed trials in their own ways; here, as for
hyperopt, a failed candidate (NaN) is reported as one more than the worst loss
seen so far (and at least 1), so that every library sees every candidate.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import cross_validate


class _CVObjectiveSearch:
    """A search driven by a library's minimiser; subclasses implement ``_minimise``."""

    def __init__(self, estimator, space, *, n_iter, cv, scoring, seed):
        self.estimator = estimator
        self.space = space
        self.n_iter = n_iter
        self.cv = cv
        self.scoring = scoring
        self.seed = seed

    def _evaluate(self, params, X, y):
        """Cross-validate one candidate, record it; return its mean score."""
        est = clone(self.estimator).set_params(**params)
        t0 = time.perf_counter()
        res = cross_validate(
            est, X, y, cv=self.cv, scoring=self.scoring, n_jobs=1, error_score=np.nan
        )
        t_end = time.perf_counter()
        score = float(np.mean(res["test_score"]))
        self.history_.append(
            {
                "params": dict(params),
                "score": score,
                "fit_score_time": float(
                    np.sum(res["fit_time"]) + np.sum(res["score_time"])
                ),
                "call_time": t_end - t0,
                "t_end": t_end,
            }
        )
        return score

    def fit(self, X, y):
        self.history_ = []
        self._minimise(X, y)
        self.n_splits_ = self.cv.get_n_splits(X, y)
        scores = np.array([h["score"] for h in self.history_])
        best = int(np.nanargmax(np.where(np.isfinite(scores), scores, np.nan)))
        self.best_index_ = best
        self.best_score_ = float(scores[best])
        self.best_params_ = dict(self.history_[best]["params"])
        t0 = time.perf_counter()
        self.best_estimator_ = (
            clone(self.estimator).set_params(**self.best_params_).fit(X, y)
        )
        self.refit_time_ = time.perf_counter() - t0
        return self


def _clip_int(value, low, high):
    return int(min(max(round(float(value)), low), high))


def _decode(space, sample):
    """A library's sample -> params of the neutral space's exact types.

    Categories are sampled as indices (or their string labels) into the choices.
    """
    params = {}
    for name, dim in space.items():
        if dim[0] == "cat":
            params[name] = dim[1][int(sample[name])]
        elif dim[0] == "int":
            params[name] = _clip_int(sample[name], dim[1], dim[2])
        else:
            params[name] = float(min(max(float(sample[name]), dim[1]), dim[2]))
    return params


class _WorstLoss:
    """Minus the score; a failed candidate (NaN) scores the worst loss so far + 1."""

    def __init__(self):
        self.worst = 0.0

    def __call__(self, score):
        if np.isfinite(score):
            self.worst = max(self.worst, -score)
            return -score
        return self.worst + 1.0


class HyperoptSearch(_CVObjectiveSearch):
    """hyperopt's TPE (``fmin(algo=tpe.suggest)``)."""

    def _minimise(self, X, y):
        from hyperopt import STATUS_OK, Trials, fmin, hp, tpe

        space = {}
        for name, dim in self.space.items():
            if dim[0] == "cat":
                space[name] = hp.choice(name, list(range(len(dim[1]))))
                continue
            kind, low, high, log = dim
            if kind == "real":
                space[name] = (
                    hp.loguniform(name, math.log(low), math.log(high))
                    if log
                    else hp.uniform(name, low, high)
                )
            else:  # integers: a step of one, widened by half a step at both ends
                space[name] = (
                    hp.qloguniform(name, math.log(low - 0.49), math.log(high + 0.49), 1)
                    if log
                    else hp.quniform(name, low - 0.49, high + 0.49, 1)
                )

        loss = _WorstLoss()

        def objective(sample):
            score = self._evaluate(_decode(self.space, sample), X, y)
            return {"loss": loss(score), "status": STATUS_OK}

        fmin(
            objective,
            space,
            algo=tpe.suggest,
            max_evals=self.n_iter,
            trials=Trials(),
            rstate=np.random.default_rng(self.seed),
            show_progressbar=False,
        )


class FlamlSearch(_CVObjectiveSearch):
    """FLAML's default tuner (BlendSearch) through ``flaml.tune.run``."""

    def _minimise(self, X, y):
        from flaml import tune

        config = {}
        for name, dim in self.space.items():
            if dim[0] == "cat":
                config[name] = tune.choice(list(range(len(dim[1]))))
                continue
            kind, low, high, log = dim
            if kind == "real":
                config[name] = (
                    tune.loguniform(low, high) if log else tune.uniform(low, high)
                )
            else:
                config[name] = (
                    tune.lograndint(low, high + 1)
                    if log
                    else tune.randint(low, high + 1)
                )

        def objective(sample):
            score = self._evaluate(_decode(self.space, sample), X, y)
            return {"score": score if np.isfinite(score) else -1e10}

        np.random.seed(self.seed)  # noqa: NPY002 - FLAML draws from numpy's global state
        tune.run(
            objective,
            config=config,
            metric="score",
            mode="max",
            num_samples=self.n_iter,
            verbose=0,
        )


class HeboSearch(_CVObjectiveSearch):
    """HEBO (``hebo.optimizers.hebo.HEBO``) with its defaults."""

    def _minimise(self, X, y):
        import torch
        from hebo.design_space.design_space import DesignSpace
        from hebo.optimizers.hebo import HEBO

        params = []
        for name, dim in self.space.items():
            if dim[0] == "cat":
                labels = [str(i) for i in range(len(dim[1]))]
                params.append({"name": name, "type": "cat", "categories": labels})
                continue
            kind, low, high, log = dim
            if kind == "real":
                kind, low, high = ("pow" if log else "num"), float(low), float(high)
            else:
                kind, low, high = ("pow_int" if log else "int"), int(low), int(high)
            params.append({"name": name, "type": kind, "lb": low, "ub": high})

        torch.set_num_threads(1)
        np.random.seed(self.seed)  # noqa: NPY002 - HEBO draws from numpy's global state
        torch.manual_seed(self.seed)  # and from torch's (Sobol scrambling, GP fit)
        opt = HEBO(DesignSpace().parse(params))
        loss = _WorstLoss()
        for _ in range(self.n_iter):
            suggestion = opt.suggest(n_suggestions=1)
            score = self._evaluate(
                _decode(self.space, suggestion.iloc[0].to_dict()), X, y
            )
            opt.observe(suggestion, np.array([[loss(score)]], dtype=float))


class SmacSearch(_CVObjectiveSearch):
    """SMAC3's ``HyperparameterOptimizationFacade`` (random-forest surrogate)."""

    def _minimise(self, X, y):
        import joblib
        from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer
        from smac import HyperparameterOptimizationFacade, Scenario
        from smac.runhistory.dataclasses import TrialValue

        cs = ConfigurationSpace(seed=self.seed)
        for name, dim in self.space.items():
            if dim[0] == "cat":
                cs.add(Categorical(name, [str(i) for i in range(len(dim[1]))]))
            elif dim[0] == "real":
                cs.add(Float(name, (float(dim[1]), float(dim[2])), log=dim[3]))
            else:
                cs.add(Integer(name, (int(dim[1]), int(dim[2])), log=dim[3]))

        def never_called(config, seed: int = 0) -> float:
            raise RuntimeError("candidates are evaluated through ask/tell")

        smac_logger = logging.getLogger("smac")
        level = smac_logger.level
        smac_logger.setLevel(logging.ERROR)
        try:
            with (
                tempfile.TemporaryDirectory(prefix="bench-smac3-") as tmp,
                # the forest predicts on all cores (joblib threads, n_jobs=-1)
                # unless told otherwise; one core like every method here
                joblib.parallel_config(backend="sequential"),
            ):
                scenario = Scenario(
                    cs,
                    deterministic=True,
                    n_trials=self.n_iter,
                    seed=self.seed,
                    output_directory=Path(tmp),
                )
                smac = HyperparameterOptimizationFacade(
                    scenario, never_called, overwrite=True, logging_level=False
                )
                loss = _WorstLoss()
                for _ in range(self.n_iter):
                    info = smac.ask()
                    score = self._evaluate(_decode(self.space, dict(info.config)), X, y)
                    smac.tell(info, TrialValue(cost=loss(score)))
        finally:
            smac_logger.setLevel(level)
