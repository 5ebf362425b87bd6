# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""A particle swarm baseline: ``pyswarms.single.GlobalBestPSO`` on a neutral space.

A small adapter, written for the benchmark only, so that pyswarms can tune an
estimator the way a ``*SearchCV`` does:

- the neutral space of ``problems.py`` is encoded onto ``[0, 1]^d``, one coordinate
  per parameter; a position decodes to parameters: a real is linear (or linear in
  log) in its coordinate, an integer is rounded from the same scale widened by half
  a step at both ends (every integer gets an equal cell, in log space for a log
  prior), a categorical takes the index of its equal cell;
- the objective of a particle is minus its mean cross-validation score, computed by
  ``sklearn.model_selection.cross_validate`` (what ``cross_val_score`` calls; it
  also returns the fit and score times) with the benchmark's CV splitter and
  scoring; a failed fit (NaN score) costs ``+inf``;
- ``n_particles * iters`` positions are evaluated, duplicates included (pyswarms
  knows nothing of cells: two particles in the same cells are evaluated twice);
- the best candidate of the history is refit on the training data;
- each evaluation records when it ended (``t_end``, ``time.perf_counter()``), for
  the anytime curves of ``bench_suite.py``.

pyswarms draws from numpy's global random state: ``fit`` seeds it with ``seed``.
Its coefficients are set to the constriction values that ``skhpo.PSOSearchCV`` uses
by default (w = 0.7298, c1 = c2 = 1.49618), with its velocity clamped to a fifth of
the range as skhpo's and reflection at the bounds, so that the comparison is between
two swarms with the same dynamics: what differs is what skhpo adds (de-duplication,
exact cells, restarts of a collapsed swarm). With pyswarms' own defaults the
initial velocities would all be positive, uniform on [0, 1).

pyswarms' reporter configures the root logger to write ``report.log`` in the current
directory each time a swarm is built, unless ``LOG_CFG`` names a YAML logging
configuration; the adapter points it to a quiet one in a temporary directory.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import cross_validate

_QUIET_LOGGING = """\
version: 1
disable_existing_loggers: false
loggers:
  pyswarms:
    level: WARNING
"""

# Clerc & Kennedy's constriction coefficients, skhpo.PSOSearchCV's defaults.
_OPTIONS = {"w": 0.7298, "c1": 1.49618, "c2": 1.49618}
_VELOCITY_CLAMP = 0.2


def _quiet_pyswarms():
    if "LOG_CFG" not in os.environ:
        path = Path(tempfile.mkdtemp(prefix="pyswarms_log_")) / "logging.yaml"
        path.write_text(_QUIET_LOGGING)
        os.environ["LOG_CFG"] = str(path)


def default_n_particles(n_dims):
    """skhpo's default swarm size, Standard PSO 2007: ``10 + floor(2 sqrt(d))``."""
    return 10 + math.floor(2 * math.sqrt(n_dims))


def swarm_shape(n_iter, n_dims):
    """``(n_particles, iters)`` with ``n_particles * iters == n_iter`` exactly.

    ``n_particles`` is the divisor of ``n_iter`` closest to skhpo's default swarm
    size, among those leaving at least two steps when there are any.
    """
    target = default_n_particles(n_dims)
    divisors = [p for p in range(2, n_iter + 1) if n_iter % p == 0] or [n_iter]
    two_steps = [p for p in divisors if n_iter // p >= 2] or divisors
    p = min(two_steps, key=lambda p: (abs(p - target), p))
    return p, n_iter // p


class Codec:
    """Neutral space (see ``problems.py``) <-> ``[0, 1]^d``."""

    def __init__(self, space):
        self.names = list(space)
        self.dims = [space[name] for name in self.names]

    @property
    def n_dims(self):
        return len(self.names)

    def decode(self, u):
        """One position (d,) in [0, 1] -> a dict of native Python values."""
        params = {}
        for name, dim, x in zip(self.names, self.dims, np.clip(u, 0.0, 1.0)):
            x = float(x)
            if dim[0] == "cat":
                k = len(dim[1])
                params[name] = dim[1][min(int(x * k), k - 1)]
                continue
            _, low, high, log = dim
            if dim[0] == "int":
                a, b = low - 0.5, high + 0.5
                if log:
                    a, b = math.log(max(a, 1e-9)), math.log(b)
                v = a + x * (b - a)
                v = math.exp(v) if log else v
                params[name] = int(min(max(round(v), low), high))
            elif log:
                v = math.exp(math.log(low) + x * (math.log(high) - math.log(low)))
                params[name] = float(min(max(v, low), high))
            else:
                params[name] = float(min(max(low + x * (high - low), low), high))
        return params


# Before anything imports pyswarms (its generators module builds a reporter at import).
_quiet_pyswarms()


class PySwarmsSearch:
    """Tune ``estimator`` over ``space`` with pyswarms' GlobalBestPSO.

    Mimics the parts of a fitted ``*SearchCV`` the benchmark reads:
    ``best_score_``, ``best_params_``, ``best_estimator_``, ``refit_time_`` and
    ``history_``, one entry per evaluated position (``params``, ``score``,
    ``fit_score_time``: sum over folds of the fit and score times,
    ``call_time``: wall time of the whole ``cross_validate`` call, ``t_end``: its
    ``time.perf_counter()`` when it returned).
    """

    def __init__(self, estimator, space, *, n_iter, cv, scoring, seed):
        self.estimator = estimator
        self.space = space
        self.n_iter = n_iter
        self.cv = cv
        self.scoring = scoring
        self.seed = seed

    def fit(self, X, y):
        _quiet_pyswarms()
        from pyswarms.single import GlobalBestPSO

        codec = Codec(self.space)
        d = codec.n_dims
        self.n_particles_, self.iters_ = swarm_shape(self.n_iter, d)
        history = []

        def objective(positions):
            costs = np.empty(len(positions))
            for i, u in enumerate(positions):
                params = codec.decode(u)
                est = clone(self.estimator).set_params(**params)
                t0 = time.perf_counter()
                res = cross_validate(
                    est,
                    X,
                    y,
                    cv=self.cv,
                    scoring=self.scoring,
                    n_jobs=1,
                    error_score=np.nan,
                )
                t_end = time.perf_counter()
                call_time = t_end - t0
                score = float(np.mean(res["test_score"]))
                history.append(
                    {
                        "params": params,
                        "score": score,
                        "fit_score_time": float(
                            np.sum(res["fit_time"]) + np.sum(res["score_time"])
                        ),
                        "call_time": call_time,
                        "t_end": t_end,
                    }
                )
                costs[i] = -score if np.isfinite(score) else np.inf
            return costs

        # pyswarms has no random_state: it draws from numpy's global state.
        np.random.seed(self.seed)  # noqa: NPY002
        optimizer = GlobalBestPSO(
            n_particles=self.n_particles_,
            dimensions=d,
            options=dict(_OPTIONS),
            bounds=(np.zeros(d), np.ones(d)),
            bh_strategy="reflective",
            velocity_clamp=(-_VELOCITY_CLAMP, _VELOCITY_CLAMP),
        )
        optimizer.optimize(objective, iters=self.iters_, verbose=False)

        self.history_ = history
        self.n_splits_ = self.cv.get_n_splits(X, y)
        scores = np.array([h["score"] for h in history])
        best = int(np.nanargmax(np.where(np.isfinite(scores), scores, np.nan)))
        self.best_index_ = best
        self.best_score_ = float(scores[best])
        self.best_params_ = dict(history[best]["params"])
        t0 = time.perf_counter()
        self.best_estimator_ = (
            clone(self.estimator).set_params(**self.best_params_).fit(X, y)
        )
        self.refit_time_ = time.perf_counter() - t0
        return self
