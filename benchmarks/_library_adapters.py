# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""hyperopt and FLAML as searches, on the benchmark's neutral spaces.

Neither library has a scikit-learn search class: each minimises a Python function
over a space of its own. These adapters, written for the benchmark only, give them
the same job as every ``*SearchCV``: the objective of a candidate is minus its mean
cross-validation score from ``sklearn.model_selection.cross_validate``, with the
benchmark's CV splitter and scoring (a failed fit scores NaN, reported to the
library as the worst loss); ``n_iter`` candidates are evaluated; the best one is
refit on the training data. The attributes the benchmark reads are those of
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
"""

from __future__ import annotations

import math
import time

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

        def decode(sample):
            params = {}
            for name, dim in self.space.items():
                if dim[0] == "cat":
                    params[name] = dim[1][int(sample[name])]
                elif dim[0] == "int":
                    params[name] = _clip_int(sample[name], dim[1], dim[2])
                else:
                    params[name] = float(min(max(sample[name], dim[1]), dim[2]))
            return params

        worst = [0.0]

        def objective(sample):
            score = self._evaluate(decode(sample), X, y)
            if np.isfinite(score):
                worst[0] = max(worst[0], -score)
                return {"loss": -score, "status": STATUS_OK}
            return {"loss": worst[0] + 1.0, "status": STATUS_OK}

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

        def decode(sample):
            params = {}
            for name, dim in self.space.items():
                if dim[0] == "cat":
                    params[name] = dim[1][int(sample[name])]
                elif dim[0] == "int":
                    params[name] = _clip_int(sample[name], dim[1], dim[2])
                else:
                    params[name] = float(min(max(sample[name], dim[1]), dim[2]))
            return params

        def objective(sample):
            score = self._evaluate(decode(sample), X, y)
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
