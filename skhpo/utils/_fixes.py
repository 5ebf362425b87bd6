# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Every difference between scikit-learn versions, and every workaround, in one place.

The oldest supported scikit-learn is declared in ``pyproject.toml``; CI runs the test
suite against it and against the newest release.
"""

import inspect

import sklearn
from joblib.parallel import get_active_backend
from sklearn.base import _fit_context
from sklearn.metrics._scorer import _MultimetricScorer
from sklearn.model_selection._search import BaseSearchCV
from sklearn.model_selection._validation import (
    _fit_and_score,
    _insert_error_scores,
    _warn_or_raise_about_fit_failures,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.fixes import parse_version
from sklearn.utils.validation import _check_method_params, _num_samples

try:  # scikit-learn >= 1.5
    from sklearn.utils.parallel import _get_threadpool_controller
except ImportError:  # pragma: no cover
    from sklearn.utils.fixes import _get_threadpool_controller

SKLEARN_VERSION = parse_version(parse_version(sklearn.__version__).base_version)

# BaseSearchCV's error for a splitter whose split and get_n_splits disagree, word
# for word (tests written for scikit-learn match it): "return" since scikit-learn
# 1.9 (scikit-learn#33091), "returned" before.
INCONSISTENT_SPLITS = (
    "cv.split and cv.get_n_splits {} inconsistent results. Expected {{}} splits, "
    "got {{}}"
).format("return" if SKLEARN_VERSION >= parse_version("1.9") else "returned")


def single_blas_thread():
    """A context with one BLAS thread, for the optimizers' small linear algebra.

    A Gaussian process's matrices are at most a few thousand rows: many BLAS threads
    only add synchronisation, and under load (other searches, fits in other
    processes) spinning threads slow each call tenfold. The fits themselves are left
    alone: this is entered around ``ask`` and ``tell`` only.
    """
    return _get_threadpool_controller().limit(limits=1, user_api="blas")


# -- Re-exported as they are ----------------------------------------------------------
# BaseSearchCV (the base class of every skhpo search), _fit_context (the parameter
# validation around fit) and the constraint types of _parameter_constraints live in
# private modules of scikit-learn; third-party estimators use them as scikit-learn's
# developer guide shows, and skhpo imports them from here only.
__all__ = [
    "BaseSearchCV",
    "Interval",
    "StrOptions",
    "cloudpickle",
    "fit_context",
    "num_samples",
]
fit_context = _fit_context
# The number of samples of any X scikit-learn accepts (sparse, dataframes, lists):
# what HalvingRandomSearchCV counts n_resources in, and so does Hyperband.
num_samples = _num_samples


# -- joblib --------------------------------------------------------------------------
try:  # joblib >= 1.5 depends on cloudpickle instead of vendoring it
    import cloudpickle
except ImportError:  # pragma: no cover - joblib < 1.5
    from joblib.externals import cloudpickle


def active_joblib_backend():
    """The joblib backend in force and its default ``n_jobs`` (``parallel_config``).

    ``joblib.parallel.get_active_backend`` is not in joblib's ``__all__``, but
    joblib's own ``effective_n_jobs`` and scikit-learn rely on it.
    """
    return get_active_backend()


# -- What BaseSearchCV.fit does, piece by piece ----------------------------------------
# skhpo's engine runs its own fit loop (fits as tasks, results as they finish) and so
# calls the helpers BaseSearchCV.fit calls. Each one is named here, and
# tests/test_fixes.py fails with the helper's name when scikit-learn changes it.
check_method_params = _check_method_params
insert_error_scores = _insert_error_scores
warn_or_raise_about_fit_failures = _warn_or_raise_about_fit_failures
_FIT_AND_SCORE_PARAMS = frozenset(inspect.signature(_fit_and_score).parameters)


def fit_and_score(estimator, X, y, **kwargs):
    """``_fit_and_score``; ``caller`` and ``callback_ctx`` only where it takes them.

    Both arrived with scikit-learn's callback API (1.9).
    """
    for name in ("caller", "callback_ctx"):
        if name not in _FIT_AND_SCORE_PARAMS:
            kwargs.pop(name, None)
    return _fit_and_score(estimator, X, y, **kwargs)


def get_scorers(search):
    """``(scorers, refit_metric)`` as ``BaseSearchCV.fit`` computes them.

    scikit-learn 1.4 spells it ``_get_scorers(convert_multimetric=False)``: its
    ``fit`` hands ``_fit_and_score`` a plain dict of scorers for multi-metric
    scoring (scikit-learn#27001), which its ``_fit_and_score`` expects. Later
    versions take no argument and always give a ``_MultimetricScorer``.
    """
    if "convert_multimetric" in inspect.signature(search._get_scorers).parameters:
        return search._get_scorers(convert_multimetric=False)
    return search._get_scorers()


def error_scores(scorers, error_score):
    """The ``test_scores`` of a failed fit: a dict per metric for multi-metric."""
    if isinstance(scorers, _MultimetricScorer):
        return dict.fromkeys(scorers._scorers, error_score)
    if isinstance(scorers, dict):  # scikit-learn 1.4
        return dict.fromkeys(scorers, error_score)
    return error_score


def public_scorers(scorers):
    """``scorer_``: the dict of scorers of a multi-metric search, else the scorer."""
    if isinstance(scorers, _MultimetricScorer):
        return scorers._scorers
    return scorers


def callback_root(search, X, y, metadata, max_subtasks):
    """The root callback context of a fit (scikit-learn >= 1.9), begun; else None."""
    init = getattr(search, "_init_callback_context", None)
    if init is None:
        return None
    return init(max_subtasks=max_subtasks).call_on_fit_task_begin(
        estimator=search, X=X, y=y, metadata=metadata
    )
