# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Every difference between scikit-learn versions, and every workaround, in one place.

The oldest supported scikit-learn is declared in ``pyproject.toml``; CI runs the test
suite against it and against the newest release.
"""

import contextlib
import contextvars
import threading
import warnings

import sklearn
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import _search as _sk_search
from sklearn.utils.fixes import parse_version

try:  # scikit-learn >= 1.5
    from sklearn.utils.parallel import _get_threadpool_controller
except ImportError:  # pragma: no cover
    from sklearn.utils.fixes import _get_threadpool_controller

SKLEARN_VERSION = parse_version(parse_version(sklearn.__version__).base_version)


def single_blas_thread():
    """A context with one BLAS thread, for the optimizers' small linear algebra.

    A Gaussian process's matrices are at most a few thousand rows: many BLAS threads
    only add synchronisation, and under load (other searches, fits in other
    processes) spinning threads slow each call tenfold. The fits themselves are left
    alone: this is entered around ``ask`` and ``tell`` only.
    """
    return _get_threadpool_controller().limit(limits=1, user_api="blas")


def evaluate_kwargs(callback_ctx):
    """Keyword arguments for ``evaluate_candidates``.

    ``callback_ctx`` only exists in scikit-learn versions with the callback API, whose
    ``evaluate_candidates`` accepts it; older ones must not receive it.
    """
    return {} if callback_ctx is None else {"callback_ctx": callback_ctx}


# -- Tolerating batches in which every fit failed ------------------------------------
#
# ``BaseSearchCV.fit``'s ``evaluate_candidates`` raises "All the N fits failed" for any
# single call in which every fit failed, even with ``error_score=np.nan``. That is right
# for a grid evaluated in one call, but a sequential search evaluates a small batch per
# call, so one unlucky batch would abort the whole search and lose every finished
# candidate (the trap scikit-optimize and sklearn-genetic-opt fall into). While an
# skhpo search runs a batch, the module-level check that ``evaluate_candidates`` calls
# is replaced by one that records which fits failed and only warns; everywhere else
# (other threads, other searches) it behaves exactly as scikit-learn's own.
_ORIGINAL_CHECK = _sk_search._warn_or_raise_about_fit_failures
_BATCH_RECORD = contextvars.ContextVar("skhpo_batch_record", default=None)
_INSTALL_LOCK = threading.Lock()


def _check_fit_failures(results, error_score):
    record = _BATCH_RECORD.get()
    if record is None:
        return _ORIGINAL_CHECK(results, error_score)
    record.extend(result["fit_error"] for result in results)
    n_failed = sum(result["fit_error"] is not None for result in results)
    if n_failed and n_failed == len(results):
        warnings.warn(
            f"All the {n_failed} fits of this batch failed; they are recorded with "
            f"error_score={error_score!r} and the search goes on. First error:\n"
            f"{next(r['fit_error'] for r in results)}",
            FitFailedWarning,
        )
        return None
    return _ORIGINAL_CHECK(results, error_score)


@contextlib.contextmanager
def recording_fit_failures():
    """Within the block, yield a list that receives the ``fit_error`` of every fit.

    The list holds one entry per (candidate, split) in the order of
    ``evaluate_candidates`` (candidate-major), ``None`` for a successful fit. A batch
    in which every fit failed is recorded and warned about instead of raising.
    """
    with _INSTALL_LOCK:
        if _sk_search._warn_or_raise_about_fit_failures is not _check_fit_failures:
            _sk_search._warn_or_raise_about_fit_failures = _check_fit_failures
    record = []
    token = _BATCH_RECORD.set(record)
    try:
        yield record
    finally:
        _BATCH_RECORD.reset(token)
