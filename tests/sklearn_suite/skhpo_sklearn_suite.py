# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Run scikit-learn's own search tests against an skhpo class.

A pytest plugin. scikit-learn's wheel ships ``sklearn/model_selection/tests/
test_search.py``; with this plugin, its tests run with ``RandomizedSearchCV``
replaced by a thin subclass of an skhpo class that takes scikit-learn's signature
(a user's code moving from one to the other), and only the tests that exercise
that class are kept::

    SKHPO_STAND_IN=bayes python -m pytest -p skhpo_sklearn_suite \\
        --pyargs sklearn.model_selection.tests.test_search

with this folder on ``PYTHONPATH`` (``.ci/run``'s ``sklearn-suite`` stage does it
for every class, on the oldest and the newest scikit-learn). ``SKHPO_STAND_IN`` is
one of ``bayes``, ``evolutionary`` and ``pso``.

The class is rebound on ``sklearn.model_selection`` when the plugin loads, before
pytest imports the test module, whose ``from sklearn.model_selection import
RandomizedSearchCV`` then picks the stand-in; nothing of scikit-learn's is
copied. The tests expected to fail, each with its reason, are listed in
``expected_differences.py`` beside this file: they are marked ``xfail(strict=True)``,
so one that starts passing fails the run until it is taken off the list, and any
other failure fails it too.
"""

import importlib.util
import inspect
import os
from pathlib import Path

import numpy as np
import pytest

import skhpo

_HERE = Path(__file__).resolve().parent


def _randomized_stand_in(base):
    """A subclass of ``base`` with ``RandomizedSearchCV``'s signature and defaults."""

    class StandIn(base):
        def __init__(
            self,
            estimator,
            param_distributions,
            *,
            n_iter=10,
            scoring=None,
            n_jobs=None,
            refit=True,
            cv=None,
            verbose=0,
            pre_dispatch="2*n_jobs",
            random_state=None,
            error_score=np.nan,
            return_train_score=False,
        ):
            super().__init__(
                estimator,
                param_distributions,
                n_iter=n_iter,
                scoring=scoring,
                n_jobs=n_jobs,
                refit=refit,
                cv=cv,
                verbose=verbose,
                pre_dispatch=pre_dispatch,
                random_state=random_state,
                error_score=error_score,
                return_train_score=return_train_score,
            )

    return StandIn


def _halving_stand_in(base):
    """A subclass of ``base`` (HyperbandSearchCV) with
    ``HalvingRandomSearchCV``'s signature and defaults: one bracket of
    successive halving over random candidates."""

    class StandIn(base):
        def __init__(
            self,
            estimator,
            param_distributions,
            *,
            n_candidates="exhaust",
            factor=3,
            resource="n_samples",
            max_resources="auto",
            min_resources="smallest",
            aggressive_elimination=False,
            cv=5,
            scoring=None,
            refit=True,
            error_score=np.nan,
            return_train_score=True,
            random_state=None,
            n_jobs=None,
            verbose=0,
        ):
            super().__init__(
                estimator,
                param_distributions,
                n_candidates=n_candidates,
                factor=factor,
                resource=resource,
                max_resources=max_resources,
                min_resources=min_resources,
                aggressive_elimination=aggressive_elimination,
                cv=cv,
                scoring=scoring,
                refit=refit,
                error_score=error_score,
                return_train_score=return_train_score,
                random_state=random_state,
                n_jobs=n_jobs,
                verbose=verbose,
                sampler="random",
            )

    return StandIn


# SKHPO_STAND_IN -> (skhpo class, the class it replaces, the test module, the
# stand-in's maker).
_RANDOMIZED = ("RandomizedSearchCV", "sklearn.model_selection.tests.test_search")
_HALVING = (
    "HalvingRandomSearchCV",
    "sklearn.model_selection.tests.test_successive_halving",
)
_CLASSES = {
    "bayes": (skhpo.BayesSearchCV, *_RANDOMIZED, _randomized_stand_in),
    "evolutionary": (skhpo.EvolutionarySearchCV, *_RANDOMIZED, _randomized_stand_in),
    "pso": (skhpo.PSOSearchCV, *_RANDOMIZED, _randomized_stand_in),
    "hyperband": (skhpo.HyperbandSearchCV, *_HALVING, _halving_stand_in),
}


def _stand_in(base, replaced, make):
    cls = make(base)
    cls.__name__ = cls.__qualname__ = f"{base.__name__}As{replaced}"
    cls.__module__ = __name__
    # The parameter constraints are skhpo's for these names.
    cls._parameter_constraints = {
        name: base._parameter_constraints[name]
        for name in inspect.signature(cls.__init__).parameters
        if name in base._parameter_constraints
    }
    return cls


# At module level, so that fitted searches pickle.
_STAND_INS = {
    name: _stand_in(base, replaced, make)
    for name, (base, replaced, _, make) in _CLASSES.items()
}
globals().update({cls.__name__: cls for cls in _STAND_INS.values()})


def _expected_differences():
    spec = importlib.util.spec_from_file_location(
        "expected_differences", _HERE / "expected_differences.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _name():
    name = os.environ.get("SKHPO_STAND_IN", "")
    if name not in _CLASSES:
        raise pytest.UsageError(
            f"SKHPO_STAND_IN must be one of {sorted(_CLASSES)}, got {name!r}"
        )
    return name


def pytest_configure(config):
    import sklearn.model_selection
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401

    name = _name()
    _, replaced, module, _ = _CLASSES[name]
    config._skhpo_stand_in = name
    config._skhpo_replaced = replaced
    config._skhpo_module = module
    config._skhpo_class = _STAND_INS[name]
    # After enable_halving_search_cv, which sets the halving classes.
    setattr(sklearn.model_selection, replaced, config._skhpo_class)


def _exercises(item):
    """Whether the test uses the replaced class: by name in its source, or as a
    parameter."""
    function = getattr(item, "function", None)
    if function is None or item.module.__name__ != item.config._skhpo_module:
        return False
    from sklearn.model_selection._search import BaseSearchCV

    stand_in = item.config._skhpo_class
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        # Parametrized over search classes (or instances): only the stand-in's.
        searches = [
            value
            for value in callspec.params.values()
            if (isinstance(value, type) and issubclass(value, BaseSearchCV))
            or isinstance(value, BaseSearchCV)
        ]
        if searches:
            return any(
                value is stand_in or isinstance(value, stand_in) for value in searches
            )
    try:
        return item.config._skhpo_replaced in inspect.getsource(function)
    except (OSError, TypeError):
        return False


def pytest_collection_modifyitems(config, items):
    expected = _expected_differences().expected(config._skhpo_stand_in)
    kept, dropped = [], []
    for item in items:
        (kept if _exercises(item) else dropped).append(item)
        reason = expected.get(item.name, expected.get(item.originalname))
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept
    config._skhpo_expected = expected


def pytest_report_header(config):
    cls = config._skhpo_class
    return (
        f"skhpo {skhpo.__version__}: {config._skhpo_replaced} is {cls.__name__} "
        f"(a subclass of skhpo.{cls.__mro__[1].__name__})"
    )
