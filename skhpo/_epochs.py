# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Passes of ``partial_fit`` over the data as a budget (Hyperband's ``"partial_fit"``).

The search fits a private wrapper in place of the user's estimator: its ``fit``
makes ``epochs`` calls of the estimator's ``partial_fit`` on the whole training
part, and with ``warm_start`` it continues the model it holds, so that a promoted
candidate only adds the new passes. It is transparent to everything else the
search does: it takes the estimator's own parameters in ``set_params``, scores as
the estimator (its methods, fitted attributes and tags are the estimator's), and
the refitted ``best_estimator_`` is the estimator itself, unwrapped.
"""

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.pipeline import Pipeline


def final_step(estimator):
    """The estimator that learns: the last step of a Pipeline, or ``estimator``."""
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


class PartialFitEpochs(BaseEstimator):
    """``estimator`` fitted by ``epochs`` passes of ``partial_fit`` (internal).

    For a Pipeline, the steps before the last are fitted once (``fit_transform``)
    and only the last step learns by ``partial_fit``; a continued fit
    (``warm_start=True`` on a fitted wrapper) only transforms with them.
    ``classes``: every class of the whole ``y``, given to a classifier's first
    ``partial_fit``, since a training part may lack one.
    """

    def __init__(self, estimator, epochs=1, warm_start=False, classes=None):
        self.estimator = estimator
        self.epochs = epochs
        self.warm_start = warm_start
        self.classes = classes

    def set_params(self, **params):
        """Set the wrapper's parameters; any other goes to ``estimator``."""
        own = set(self._get_param_names())
        inner = {k: v for k, v in params.items() if k not in own}
        super().set_params(**{k: v for k, v in params.items() if k in own})
        if inner:
            self.estimator.set_params(**inner)
        return self

    def fit(self, X, y=None, **fit_params):
        """Run ``epochs`` passes of ``partial_fit``, continuing with ``warm_start``."""
        continuing = self.warm_start and "estimator_" in self.__dict__
        if not continuing:
            self.estimator_ = clone(self.estimator)
        model = self.estimator_
        learner = final_step(model)
        if learner is not model:
            name = model.steps[-1][0]
            prefix = f"{name}__"
            last = {
                k[len(prefix) :]: v
                for k, v in fit_params.items()
                if k.startswith(prefix)
            }
            head_params = {
                k: v for k, v in fit_params.items() if not k.startswith(prefix)
            }
            head = model[:-1]
            X = (
                head.transform(X)
                if continuing
                else head.fit_transform(X, y, **head_params)
            )
            fit_params = last
        if is_classifier(learner) and self.classes is not None:
            # Needed by the first call only; the same classes later are accepted.
            fit_params = {"classes": self.classes, **fit_params}
        for _ in range(self.epochs):
            learner.partial_fit(X, y, **fit_params)
        return self

    def __getattr__(self, name):
        # Methods, fitted attributes and _estimator_type (scikit-learn < 1.6) are
        # the estimator's. Dunder names and the wrapper's own attributes are never
        # forwarded (pickle looks some up before __dict__ is restored).
        if name.startswith("__") or name in ("estimator", "estimator_"):
            raise AttributeError(name)
        target = self.__dict__.get("estimator_", self.__dict__.get("estimator"))
        if target is None:
            raise AttributeError(name)
        return getattr(target, name)

    def __sklearn_tags__(self):
        return self.estimator.__sklearn_tags__()

    def _more_tags(self):  # scikit-learn < 1.6
        return self.estimator._get_tags()


def check_partial_fit(estimator):
    """Raise a clear error if ``estimator`` cannot learn by ``partial_fit``."""
    learner = final_step(estimator)
    if not hasattr(learner, "partial_fit"):
        what = (
            f"the last step of the Pipeline ({type(learner).__name__})"
            if learner is not estimator
            else type(estimator).__name__
        )
        raise ValueError(
            f"resource='partial_fit' needs an estimator with a partial_fit method; "
            f"{what} has none. Use resource='n_samples' or an iterative parameter."
        )


def epoch_classes(estimator, y):
    """The classes a classifier's first ``partial_fit`` needs, from the whole y."""
    if y is None or not is_classifier(final_step(estimator)):
        return None
    y = np.asarray(y)
    return np.unique(y) if y.ndim == 1 else None
