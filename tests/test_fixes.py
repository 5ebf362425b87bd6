# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Every scikit-learn (and joblib) internal skhpo uses, checked by name.

skhpo runs its own fit loop and so calls helpers of ``BaseSearchCV.fit`` that are
not public. When a release renames or changes one of them, the test that names it
fails here, with the name of the internal and the place to update
(``skhpo/utils/_fixes.py``), instead of a search failing somewhere deep inside.
"""

import importlib
import inspect

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from skhpo import BayesSearchCV
from skhpo.space import Real
from skhpo.utils import _fixes

HINT = "scikit-learn changed an internal that skhpo/utils/_fixes.py relies on"

INTERNALS = [
    ("sklearn.base", "_fit_context"),
    ("sklearn.model_selection._search", "BaseSearchCV"),
    ("sklearn.model_selection._validation", "_fit_and_score"),
    ("sklearn.model_selection._validation", "_insert_error_scores"),
    ("sklearn.model_selection._validation", "_warn_or_raise_about_fit_failures"),
    ("sklearn.utils.validation", "_check_method_params"),
    ("sklearn.utils.validation", "_num_samples"),
    ("sklearn.metrics._scorer", "_MultimetricScorer"),
    ("sklearn.utils._param_validation", "Interval"),
    ("sklearn.utils._param_validation", "StrOptions"),
    ("joblib.parallel", "get_active_backend"),
    ("joblib.externals.loky", "ProcessPoolExecutor"),
]


@pytest.mark.parametrize("module, name", INTERNALS)
def test_internal_exists(module, name):
    found = getattr(importlib.import_module(module), name, None)
    assert found is not None, f"{HINT}: {module}.{name} is gone"


@pytest.mark.parametrize(
    "method",
    [
        "_format_results",
        "_select_best_index",
        "_check_refit_for_multimetric",
        "_get_routed_params_for_fit",
        "_get_scorers",
    ],
)
def test_base_search_cv_helpers_exist(method):
    assert callable(getattr(_fixes.BaseSearchCV, method, None)), (
        f"{HINT}: BaseSearchCV.{method} is gone"
    )


def test_fit_and_score_takes_what_the_engine_passes():
    from sklearn.model_selection._validation import _fit_and_score

    params = set(inspect.signature(_fit_and_score).parameters)
    needed = {
        "estimator",
        "X",
        "y",
        "scorer",
        "train",
        "test",
        "verbose",
        "parameters",
        "fit_params",
        "score_params",
        "return_train_score",
        "return_parameters",
        "return_n_test_samples",
        "return_times",
        "split_progress",
        "candidate_progress",
        "error_score",
    }
    assert needed <= params, f"{HINT}: _fit_and_score lost {needed - params}"


def test_fit_and_score_returns_the_keys_the_engine_reads():
    X, y = make_classification(n_samples=40, random_state=0)
    search = BayesSearchCV(LogisticRegression(), {"C": Real(0.1, 1.0)})
    scorers, _ = _fixes.get_scorers(search)
    out = _fixes.fit_and_score(
        LogisticRegression(),
        X,
        y,
        scorer=scorers,
        train=np.arange(20),
        test=np.arange(20, 40),
        verbose=0,
        parameters={"C": 0.5},
        fit_params={},
        score_params={},
        return_n_test_samples=True,
        return_times=True,
        caller=search,
        callback_ctx=None,
    )
    keys = {"fit_error", "test_scores", "n_test_samples", "fit_time", "score_time"}
    assert keys <= set(out), f"{HINT}: _fit_and_score returns {sorted(out)}"


def test_multimetric_scorer_keeps_its_scorers():
    search = BayesSearchCV(
        LogisticRegression(),
        {"C": Real(0.1, 1.0)},
        scoring=["accuracy", "f1"],
        refit="f1",
    )
    scorers, refit_metric = _fixes.get_scorers(search)
    assert refit_metric == "f1"
    assert _fixes.error_scores(scorers, np.nan).keys() == {"accuracy", "f1"}
    assert set(_fixes.public_scorers(scorers)) == {"accuracy", "f1"}


def test_active_backend_and_its_name():
    from joblib import parallel_config

    with parallel_config(backend="threading", n_jobs=3):
        backend, n_jobs = _fixes.active_joblib_backend()
    assert type(backend).__name__ == "ThreadingBackend" and n_jobs == 3


def test_inconsistent_splits_is_scikit_learns_message():
    # INCONSISTENT_SPLITS: BaseSearchCV's error word for word, whose wording
    # changed in scikit-learn 1.9. The test reads scikit-learn's own message.
    import numpy as np
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold, RandomizedSearchCV

    from skhpo.utils._fixes import INCONSISTENT_SPLITS

    class BrokenKFold(KFold):
        def get_n_splits(self, *args, **kw):
            return 1

    X, y = np.arange(40.0).reshape(-1, 2), np.arange(20.0)
    search = RandomizedSearchCV(Ridge(), {"alpha": [1.0]}, cv=BrokenKFold(3))
    with pytest.raises(ValueError) as raised:
        search.fit(X, y)
    assert str(raised.value) == INCONSISTENT_SPLITS.format(1, 3), (
        "scikit-learn changed the wording of its inconsistent-splits error: "
        "update INCONSISTENT_SPLITS in skhpo/utils/_fixes.py"
    )
