# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""One adapter per search method: build the search object, read back its history.

Every method gets the same estimator, neutral search space (translated by
``problems.to_*``), number of candidates ``n_iter``, CV splitter, scoring and seed,
and runs with ``n_jobs=1``. A method whose library is missing or broken is reported
by :func:`make_search` raising, which the harness records instead of crashing.

How the fit and score time is read back (the optimizer overhead is the wall time of
``fit`` minus ``refit_time_`` minus this sum, divided by the number of candidates):

- ``random``, ``skhpo-bayes``, ``skopt-bayes`` subclass scikit-learn's
  ``BaseSearchCV``: sum over candidates of
  ``(mean_fit_time + mean_score_time) * n_splits_`` from ``cv_results_``, i.e. the
  sum of the per-fold times measured inside ``_fit_and_score``.
- ``optuna-tpe``: each trial runs ``cross_validate`` and stores the nan-mean of its
  per-fold ``fit_time`` and ``score_time`` in ``trial.user_attrs``
  (``mean_fit_time``, ``mean_score_time``); we sum
  ``(mean_fit_time + mean_score_time) * n_splits_`` over trials, NaN counted as 0.

So for every method the overhead contains the same kind of time: proposing
candidates, cloning the estimator, splitting the data, joblib dispatch, bookkeeping.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
from problems import to_optuna, to_skhpo, to_sklearn, to_skopt

METHODS = ("random", "skhpo-bayes", "skopt-bayes", "optuna-tpe")


def skhpo_source_digest():
    """Short SHA-256 of skhpo's source files: which state of the code was measured."""
    import hashlib
    from pathlib import Path

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


def versions():
    """Versions of every library the benchmark touches (None if not importable)."""
    out = {}
    for mod in (
        "sklearn",
        "numpy",
        "scipy",
        "joblib",
        "skopt",
        "optuna",
        "optuna_integration",
        "skhpo",
    ):
        try:
            m = importlib.import_module(mod)
            out[mod] = getattr(m, "__version__", "unknown")
            if mod == "skhpo":
                out[mod] += f" (source sha256 {skhpo_source_digest()})"
        except Exception as exc:
            out[mod] = f"not importable: {type(exc).__name__}: {exc}"[:300]
    return out


def _random(estimator, space, n_iter, cv, scoring, seed):
    from sklearn.model_selection import RandomizedSearchCV

    return RandomizedSearchCV(
        estimator,
        to_sklearn(space),
        n_iter=n_iter,
        scoring=scoring,
        cv=cv,
        n_jobs=1,
        random_state=seed,
        error_score=np.nan,
    )


def _skhpo(estimator, space, n_iter, cv, scoring, seed):
    from skhpo import BayesSearchCV

    return BayesSearchCV(
        estimator,
        to_skhpo(space),
        n_iter=n_iter,
        scoring=scoring,
        cv=cv,
        n_jobs=1,
        random_state=seed,
        error_score=np.nan,
    )


def _skopt(estimator, space, n_iter, cv, scoring, seed):
    from skopt import BayesSearchCV

    return BayesSearchCV(
        estimator,
        to_skopt(space),
        n_iter=n_iter,
        scoring=scoring,
        cv=cv,
        n_jobs=1,
        random_state=seed,
        error_score=np.nan,
    )


def _optuna(estimator, space, n_iter, cv, scoring, seed):
    import optuna

    try:
        from optuna_integration import OptunaSearchCV
    except ImportError:  # older optuna-integration releases
        from optuna_integration.sklearn import OptunaSearchCV

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ExperimentalWarning on construction
        return OptunaSearchCV(
            estimator,
            to_optuna(space),
            n_trials=n_iter,
            scoring=scoring,
            cv=cv,
            n_jobs=1,
            random_state=seed,
            study=study,
            error_score=np.nan,
        )


_BUILDERS = {
    "random": _random,
    "skhpo-bayes": _skhpo,
    "skopt-bayes": _skopt,
    "optuna-tpe": _optuna,
}


def make_search(method, estimator, space, *, n_iter, cv, scoring, seed):
    """Build the (unfitted) search object of ``method``."""
    return _BUILDERS[method](estimator, space, n_iter, cv, scoring, seed)


def history(method, search):
    """What a fitted search evaluated, in evaluation order.

    Returns a dict with ``params`` (list of dicts), ``scores`` (mean CV score of each
    candidate, NaN for a failure), ``fit_score_time`` (seconds spent inside fit and
    score, summed over candidates and folds) and ``n_splits``.
    """
    if method == "optuna-tpe":
        import optuna

        trials = [
            t for t in search.trials_ if t.state != optuna.trial.TrialState.RUNNING
        ]
        n_splits = int(search.n_splits_)
        params = [dict(t.params) for t in trials]
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
        fit_score = float(np.nansum(times) * n_splits)
        return {
            "params": params,
            "scores": scores,
            "fit_score_time": fit_score,
            "n_splits": n_splits,
        }

    res = search.cv_results_
    n_splits = int(search.n_splits_)
    key = "mean_test_score"
    if key not in res:  # multi-metric: the refit metric
        key = f"mean_test_{search.refit}"
    scores = np.asarray(res[key], dtype=float)
    times = np.asarray(res["mean_fit_time"], dtype=float) + np.asarray(
        res["mean_score_time"], dtype=float
    )
    out = {
        "params": [dict(p) for p in res["params"]],
        "scores": scores,
        "fit_score_time": float(np.nansum(times) * n_splits),
        "n_splits": n_splits,
    }
    if "iter" in res:
        out["iter"] = [int(i) for i in res["iter"]]
    return out
