# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""scikit-learn's estimator checks, run on every search class."""

import pytest
from sklearn.linear_model import Ridge, RidgeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhpo.space import Real
from skhpo.utils._fixes import SKLEARN_VERSION, parse_version
from skhpo.utils._testing import SEARCHES, make_search

if SKLEARN_VERSION < parse_version("1.6"):
    pytest.skip(
        "parametrize_with_checks takes expected_failed_checks from scikit-learn 1.6",
        allow_module_level=True,
    )


def _expected_failed_checks(search):
    if isinstance(search.estimator, Ridge):
        # Ridge accepts a 2-d y silently, so no DataConversionWarning reaches the
        # check (scikit-learn lists the same failure for its own searches).
        return {"check_supervised_y_2d": "the wrapped Ridge accepts a 2-d y"}
    return {}


def _instances():
    # error_score="raise" as in scikit-learn's own instances of its searches: several
    # checks expect the wrapped estimator's error to surface.
    for SearchCV in SEARCHES:
        for estimator, space in [
            (Ridge(), {"alpha": Real(1e-2, 1e2, prior="log-uniform")}),
            (RidgeClassifier(), {"alpha": Real(1e-2, 1e2, prior="log-uniform")}),
        ]:
            yield make_search(SearchCV, estimator, space, error_score="raise")


@parametrize_with_checks(
    list(_instances()),
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
