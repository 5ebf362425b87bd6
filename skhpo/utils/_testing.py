# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Fast fake estimators and the smallest searches, shared by the tests.

In the spirit of scikit-learn's halving tests: estimators whose fits cost nothing,
whose score is a known function of their parameters, that fail in a known region,
or that count their fits.
"""

import math
import os
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier

from skhpo import (
    BayesSearchCV,
    EvolutionarySearchCV,
    HyperbandSearchCV,
    PSOSearchCV,
)
from skhpo.space import Real

SEARCHES = [BayesSearchCV, HyperbandSearchCV, EvolutionarySearchCV, PSOSearchCV]

# The smallest budget that still runs each strategy past its start-up phase.
_SMALL_BUDGET = {
    BayesSearchCV: {"n_iter": 6, "n_initial_points": 3},
    HyperbandSearchCV: {"n_brackets": 2, "factor": 3},
    EvolutionarySearchCV: {"n_iter": 8, "population_size": 4},
    PSOSearchCV: {"n_iter": 8, "n_particles": 4},
}


def make_search(SearchCV, estimator=None, param_distributions=None, **params):
    """A search of ``SearchCV`` with the smallest budget, ``cv=2``, seeded.

    ``n_iter`` is translated for searches that count their budget otherwise
    (Hyperband runs about one bracket per 8 candidates asked for).
    """
    if estimator is None:
        estimator = QuadraticClassifier()
    if param_distributions is None:
        param_distributions = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}
    kwargs = {"cv": 2, "random_state": 0, **_SMALL_BUDGET[SearchCV], **params}
    if SearchCV is HyperbandSearchCV and "n_iter" in kwargs:
        kwargs["n_brackets"] = math.ceil(kwargs.pop("n_iter") / 8)
    return SearchCV(estimator, param_distributions, **kwargs)


class QuadraticClassifier(DummyClassifier):
    """A classifier whose score is a known function of its no-op parameters.

    ``score`` is ``1 - (a - 0.3)**2 - (b - 0.7)**2`` (best at a=0.3, b=0.7) plus
    ``noise`` times a deterministic function of the test rows, so folds differ,
    plus ``interaction`` times one of the test rows and the parameters, so that
    candidates differ by different amounts on different folds. Parameters
    listed in ``fail_when`` (a callable of the parameters) make ``fit`` raise.
    """

    def __init__(
        self,
        strategy="prior",
        a=0.5,
        b=0.5,
        c=0,
        d="x",
        noise=0.0,
        fail_when=None,
        interaction=0.0,
    ):
        super().__init__(strategy=strategy)
        self.a = a
        self.b = b
        self.c = c
        self.d = d
        self.noise = noise
        self.fail_when = fail_when
        self.interaction = interaction

    def fit(self, X, y, sample_weight=None):
        if self.fail_when is not None and self.fail_when(self):
            raise ValueError("QuadraticClassifier fails here on purpose")
        return super().fit(X, y, sample_weight=sample_weight)

    def score(self, X, y, sample_weight=None):
        value = 1.0 - (self.a - 0.3) ** 2 - (self.b - 0.7) ** 2
        if self.noise:
            value += self.noise * np.sin(np.asarray(X, dtype=float).sum())
        if self.interaction:
            rows = np.asarray(X, dtype=float).sum()
            value += self.interaction * np.sin(rows * (1.0 + self.a + 2.0 * self.b))
        return value


class FaultyQuadratic(QuadraticClassifier):
    """QuadraticClassifier for fault tests in real processes.

    Each ``fit`` sleeps ``sleep`` seconds and appends a line to the file
    ``fit_log`` (when given), so another process can count fits and kill this one
    in the middle of a batch. A fit with ``a == die_at`` ends its process with
    ``os._exit`` (a worker killed by the system, say for memory) the first time
    only: it creates the file ``die_once`` and dies only if that file did not exist.
    """

    def __init__(
        self,
        strategy="prior",
        a=0.5,
        b=0.5,
        c=0,
        d="x",
        noise=0.0,
        fail_when=None,
        sleep=0.0,
        fit_log=None,
        die_at=None,
        die_once=None,
    ):
        super().__init__(
            strategy=strategy, a=a, b=b, c=c, d=d, noise=noise, fail_when=fail_when
        )
        self.sleep = sleep
        self.fit_log = fit_log
        self.die_at = die_at
        self.die_once = die_once

    def fit(self, X, y, sample_weight=None):
        if self.die_at is not None and self.a == self.die_at:
            try:
                with open(self.die_once, "x"):
                    pass
            except FileExistsError:
                pass
            else:
                os._exit(1)
        time.sleep(self.sleep)
        if self.fit_log is not None:
            with open(self.fit_log, "a") as f:
                f.write(f"{self.a!r}\n")
        return super().fit(X, y, sample_weight=sample_weight)


class HangingQuadratic(QuadraticClassifier):
    """QuadraticClassifier whose fit with ``a == hang_at`` sleeps ``hang`` seconds."""

    def __init__(
        self,
        strategy="prior",
        a=0.5,
        b=0.5,
        c=0,
        d="x",
        noise=0.0,
        fail_when=None,
        hang_at=None,
        hang=60.0,
    ):
        super().__init__(
            strategy=strategy, a=a, b=b, c=c, d=d, noise=noise, fail_when=fail_when
        )
        self.hang_at = hang_at
        self.hang = hang

    def fit(self, X, y, sample_weight=None):
        if self.hang_at is not None and self.a == self.hang_at:
            time.sleep(self.hang)
        return super().fit(X, y, sample_weight=sample_weight)


class JitteryQuadratic(QuadraticClassifier):
    """QuadraticClassifier whose fits take 0 to ``jitter`` seconds, by parameters.

    Fits of one search then finish in an order unrelated to the order they were
    started: what the reproducible scheduling must not depend on.
    """

    def __init__(
        self,
        strategy="prior",
        a=0.5,
        b=0.5,
        c=0,
        d="x",
        noise=0.0,
        fail_when=None,
        jitter=0.05,
    ):
        super().__init__(
            strategy=strategy, a=a, b=b, c=c, d=d, noise=noise, fail_when=fail_when
        )
        self.jitter = jitter

    def fit(self, X, y, sample_weight=None):
        time.sleep(self.jitter * ((997 * float(self.a) + len(X)) % 1.0))
        return super().fit(X, y, sample_weight=sample_weight)


class FitCounter(ClassifierMixin, BaseEstimator):
    """Counts its fits in a class attribute (use with ``n_jobs=1``).

    The mixin comes first, as scikit-learn requires since 1.6: the other order
    hides the classifier tag, and the search would use unstratified folds.
    """

    n_fits = 0

    def __init__(self, a=0.5, b=0.5):
        self.a = a
        self.b = b

    def fit(self, X, y):
        type(self).n_fits += 1
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y):
        return -abs(self.a - 0.5)


class FailFirstFits(QuadraticClassifier):
    """Fails its first ``FailFirstFits.n_failures`` fits (use with ``n_jobs=1``)."""

    n_failures = 0

    def fit(self, X, y, sample_weight=None):
        if type(self).n_failures > 0:
            type(self).n_failures -= 1
            raise ValueError("an early fit failed")
        return super().fit(X, y, sample_weight=sample_weight)


def fails_above_half(estimator):
    """``fail_when`` for QuadraticClassifier: the region ``a > 0.5`` fails."""
    return estimator.a > 0.5


def always(estimator):
    """``fail_when`` for QuadraticClassifier: every fit fails."""
    return True


def first_batch_size(search, X, y):
    """Number of candidates in the first batch ``search`` evaluates on ``X, y``."""
    results = clone(search).set_params(estimator=QuadraticClassifier()).fit(X, y)
    columns = [
        np.asarray(results.cv_results_[key])
        for key in ("iter", "bracket", "n_resources")
        if key in results.cv_results_
    ]
    first = np.all([column == column[0] for column in columns], axis=0)
    return int(np.argmin(first)) if not first.all() else len(first)


# -- tasks for the scheduler's tests (importable by worker processes) ----------------
class CountedPayload:
    """A payload that appends a line to ``log`` each time it is unpickled."""

    def __init__(self, log):
        self.log = log

    def __reduce__(self):
        return (_unpickle_counted, (self.log,))


def _unpickle_counted(log):
    with open(log, "a") as f:
        f.write(f"{os.getpid()}\n")
    return CountedPayload(log)


def sleep_task(shared, seconds, value=None):
    """Sleep ``seconds``, then return ``(value, pid)``."""
    time.sleep(seconds)
    return value, os.getpid()


def die_task(shared):
    """End the process running the task, as the out-of-memory killer would."""
    os._exit(1)


def raise_task(shared, message):
    raise ValueError(message)


def echo_task(shared, item):
    """Return what the worker received: the payload and the argument."""
    return shared, item
