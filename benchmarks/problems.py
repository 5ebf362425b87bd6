# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark problems: an estimator, a search space and bundled or generated data.

Each search space is written once, in a neutral format::

    {"name": ("real", low, high, log),     # float in [low, high]
     "name": ("int", low, high, log),      # int in [low, high]
     "name": ("cat", [choice, ...])}       # one of the choices

and translated by the small adapters below into what each library expects, so every
method searches exactly the same box. Nothing is downloaded: the data come from
``sklearn.datasets`` loaders of bundled files or from its generators.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    make_classification,
    make_friedman1,
    make_regression,
)
from sklearn.ensemble import (
    AdaBoostClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

# --------------------------------------------------------------------------------------
# Space adapters: neutral format -> each library
# --------------------------------------------------------------------------------------


def _check_space(space):
    for name, dim in space.items():
        kind = dim[0]
        if kind in ("real", "int"):
            _, low, high, log = dim
            if not low < high or (log and low <= 0):
                raise ValueError(f"{name}: bad bounds {dim}")
        elif kind == "cat":
            if not dim[1]:
                raise ValueError(f"{name}: no choices")
        else:
            raise ValueError(f"{name}: unknown kind {kind!r}")


def to_skhpo(space):
    """Neutral space -> ``skhpo.space`` dimensions."""
    from skhpo.space import Categorical, Integer, Real

    out = {}
    for name, dim in space.items():
        if dim[0] == "cat":
            out[name] = Categorical(list(dim[1]))
        else:
            _, low, high, log = dim
            prior = "log-uniform" if log else "uniform"
            cls = Real if dim[0] == "real" else Integer
            out[name] = cls(low, high, prior=prior)
    return out


def to_skopt(space):
    """Neutral space -> ``skopt.space`` dimensions."""
    from skopt.space import Categorical, Integer, Real

    out = {}
    for name, dim in space.items():
        if dim[0] == "cat":
            out[name] = Categorical(list(dim[1]))
        else:
            _, low, high, log = dim
            prior = "log-uniform" if log else "uniform"
            cls = Real if dim[0] == "real" else Integer
            out[name] = cls(low, high, prior=prior)
    return out


def to_optuna(space):
    """Neutral space -> ``optuna.distributions``."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out = {}
    for name, dim in space.items():
        if dim[0] == "cat":
            out[name] = CategoricalDistribution(list(dim[1]))
        elif dim[0] == "real":
            out[name] = FloatDistribution(dim[1], dim[2], log=dim[3])
        else:
            out[name] = IntDistribution(dim[1], dim[2], log=dim[3])
    return out


class LogRandInt:
    """Integers in ``[low, high]``, uniform in log space (scipy has no such prior).

    Each integer ``k`` gets the cell ``[k - 1/2, k + 1/2]`` of the log scale, the
    same convention as ``skhpo.space.Integer(..., prior="log-uniform")``.
    """

    def __init__(self, low, high):
        self.low, self.high = int(low), int(high)

    def rvs(self, size=None, random_state=None):
        rng = (
            np.random.RandomState(random_state)
            if not hasattr(random_state, "uniform")
            else random_state
        )
        a, b = math.log(self.low - 0.5 + 1e-9), math.log(self.high + 0.5)
        k = np.rint(np.exp(rng.uniform(a, b, size=size)))
        k = np.clip(k, self.low, self.high).astype(int)
        return int(k) if size is None else k

    def __repr__(self):
        return f"LogRandInt({self.low}, {self.high})"


def to_sklearn(space):
    """Neutral space -> ``RandomizedSearchCV`` distributions (scipy.stats, lists)."""
    from scipy.stats import loguniform, randint, uniform

    out = {}
    for name, dim in space.items():
        if dim[0] == "cat":
            out[name] = list(dim[1])
        elif dim[0] == "real":
            _, low, high, log = dim
            out[name] = loguniform(low, high) if log else uniform(low, high - low)
        else:
            _, low, high, log = dim
            out[name] = LogRandInt(low, high) if log else randint(low, high + 1)
    return out


def to_sgo(space):
    """Neutral space -> ``sklearn_genetic.space`` dimensions.

    sklearn-genetic-opt's ``Integer`` only knows ``distribution="uniform"``: a
    log-uniform integer of the neutral space is searched uniformly by GASearchCV
    (its initial population and its mutations draw from that distribution).
    """
    from sklearn_genetic.space import Categorical, Continuous, Integer

    out = {}
    for name, dim in space.items():
        if dim[0] == "cat":
            out[name] = Categorical(list(dim[1]))
        elif dim[0] == "real":
            _, low, high, log = dim
            out[name] = Continuous(
                float(low),
                float(high),
                distribution="log-uniform" if log else "uniform",
            )
        else:
            _, low, high, _log = dim
            out[name] = Integer(int(low), int(high), distribution="uniform")
    return out


def describe_space(space):
    """``"4 dims: 2 real, 1 int, 1 cat"``: the kinds of a neutral space."""
    counts = {k: sum(d[0] == k for d in space.values()) for k in ("real", "int", "cat")}
    kinds = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    return f"{len(space)} dims: {kinds}"


def in_space(space, params):
    """List of violations of ``space`` by one candidate (empty if it is valid)."""
    bad = []
    for name, dim in space.items():
        if name not in params:
            bad.append(f"{name} missing")
            continue
        v = params[name]
        if dim[0] == "cat":
            if not any(v is c or (type(v) is type(c) and v == c) for c in dim[1]):
                bad.append(f"{name}={v!r} not among choices")
        elif dim[0] == "int":
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
                bad.append(f"{name}={v!r} is {type(v).__name__}, not int")
            elif not dim[1] <= v <= dim[2]:
                bad.append(f"{name}={v!r} outside [{dim[1]}, {dim[2]}]")
        else:
            if not isinstance(v, (float, np.floating)):
                bad.append(f"{name}={v!r} is {type(v).__name__}, not float")
            elif not dim[1] <= v <= dim[2]:
                bad.append(f"{name}={v!r} outside [{dim[1]}, {dim[2]}]")
    extra = set(params) - set(space)
    if extra:
        bad.append(f"unexpected {sorted(extra)}")
    return bad


# --------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------


@dataclass
class Problem:
    """A tuning problem: estimator factory, neutral space, data and splits."""

    name: str
    make_estimator: Callable
    space: dict
    load: Callable  # () -> X, y (fixed, independent of the seed)
    task: str  # "classification" | "regression"
    scoring: str | None = None
    test_size: float = 0.25
    n_splits: int = 3
    description: str = ""
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        _check_space(self.space)

    @property
    def has_categorical(self):
        """Whether the space has a categorical dimension."""
        return any(dim[0] == "cat" for dim in self.space.values())

    def data(self, seed):
        """Train/test split of the fixed data set; the split depends on ``seed``."""
        if "Xy" not in self._cache:
            self._cache["Xy"] = self.load()
        X, y = self._cache["Xy"]
        stratify = y if self.task == "classification" else None
        return train_test_split(
            X, y, test_size=self.test_size, random_state=seed, stratify=stratify
        )

    def cv(self, seed):
        """Shuffled (Stratified)KFold seeded per run; every method gets the same one."""
        cls = StratifiedKFold if self.task == "classification" else KFold
        return cls(n_splits=self.n_splits, shuffle=True, random_state=seed)


def _digits_scaled(n=None):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    if n is not None:
        X, y = X[:n], y[:n]
    return X, y


def _classification():
    return make_classification(
        n_samples=600,
        n_features=20,
        n_informative=8,
        n_redundant=4,
        n_classes=2,
        class_sep=0.8,
        flip_y=0.03,
        random_state=0,
    )


def _classification_small():
    return make_classification(
        n_samples=500,
        n_features=10,
        n_informative=5,
        n_redundant=2,
        n_classes=2,
        class_sep=0.7,
        flip_y=0.05,
        random_state=1,
    )


def _friedman():
    return make_friedman1(n_samples=500, n_features=10, noise=1.0, random_state=0)


def _classification_large():
    return make_classification(
        n_samples=20000,
        n_features=30,
        n_informative=10,
        n_redundant=5,
        n_classes=2,
        class_sep=0.6,
        flip_y=0.05,
        random_state=2,
    )


def _friedman_large():
    return make_friedman1(n_samples=12000, n_features=10, noise=1.0, random_state=3)


PROBLEMS = {
    p.name: p
    for p in [
        Problem(
            name="svc_digits",
            description="SVC on load_digits (1797 x 64, pixels / 16), 4 dims, accuracy",
            make_estimator=lambda: SVC(cache_size=500),
            space={
                "C": ("real", 1e-2, 1e3, True),
                "gamma": ("real", 1e-4, 1e0, True),
                "kernel": ("cat", ["rbf", "poly", "sigmoid"]),
                "degree": ("int", 2, 5, False),
            },
            load=_digits_scaled,
            task="classification",
        ),
        Problem(
            name="hgb_classif",
            description="HistGradientBoostingClassifier on make_classification "
            "(600 x 20, 2 classes), 5 dims, log-loss",
            make_estimator=lambda: HistGradientBoostingClassifier(
                early_stopping=False, random_state=0
            ),
            space={
                "learning_rate": ("real", 1e-3, 1.0, True),
                "max_iter": ("int", 10, 100, True),
                "max_leaf_nodes": ("int", 2, 64, True),
                "min_samples_leaf": ("int", 1, 64, True),
                "l2_regularization": ("real", 1e-6, 10.0, True),
            },
            load=_classification,
            task="classification",
            scoring="neg_log_loss",
        ),
        Problem(
            name="mlp_digits",
            description="MLPClassifier on 600 rows of load_digits, 4 dims, log-loss",
            make_estimator=lambda: MLPClassifier(max_iter=60, random_state=0),
            space={
                "hidden_layer_sizes": ("int", 4, 128, True),
                "alpha": ("real", 1e-6, 1.0, True),
                "learning_rate_init": ("real", 1e-4, 1e-1, True),
                "activation": ("cat", ["relu", "tanh", "logistic"]),
            },
            load=lambda: _digits_scaled(600),
            task="classification",
            scoring="neg_log_loss",
        ),
        Problem(
            name="enet_diabetes",
            description="ElasticNet on load_diabetes (442 x 10), 3 dims, R^2",
            make_estimator=lambda: ElasticNet(max_iter=2000),
            space={
                "alpha": ("real", 1e-5, 10.0, True),
                "l1_ratio": ("real", 0.0, 1.0, False),
                "fit_intercept": ("cat", [True, False]),
            },
            load=lambda: load_diabetes(return_X_y=True),
            task="regression",
        ),
        Problem(
            name="tree_friedman",
            description="DecisionTreeRegressor on make_friedman1 (500 x 10), "
            "5 dims, R^2",
            make_estimator=lambda: DecisionTreeRegressor(random_state=0),
            space={
                "max_depth": ("int", 1, 20, False),
                "min_samples_split": ("int", 2, 40, True),
                "min_samples_leaf": ("int", 1, 40, True),
                "max_features": ("real", 0.1, 1.0, False),
                "criterion": ("cat", ["squared_error", "absolute_error"]),
            },
            load=_friedman,
            task="regression",
        ),
        Problem(
            name="knn_friedman",
            description="KNeighborsRegressor (scaled) on make_friedman1, 3 dims, R^2",
            make_estimator=lambda: make_pipeline(
                StandardScaler(), KNeighborsRegressor()
            ),
            space={
                "kneighborsregressor__n_neighbors": ("int", 1, 60, True),
                "kneighborsregressor__weights": ("cat", ["uniform", "distance"]),
                "kneighborsregressor__p": ("real", 1.0, 3.0, False),
            },
            load=_friedman,
            task="regression",
        ),
        Problem(
            name="logreg_cancer",
            description="StandardScaler + LogisticRegression on load_breast_cancer "
            "(569 x 30), 3 dims, log-loss",
            make_estimator=lambda: make_pipeline(
                StandardScaler(),
                LogisticRegression(solver="saga", max_iter=300, random_state=0),
            ),
            space={
                "logisticregression__C": ("real", 1e-4, 1e3, True),
                "logisticregression__l1_ratio": ("real", 0.0, 1.0, False),
                "logisticregression__class_weight": ("cat", [None, "balanced"]),
            },
            load=lambda: load_breast_cancer(return_X_y=True),
            task="classification",
            scoring="neg_log_loss",
        ),
        Problem(
            name="svr_diabetes",
            description="StandardScaler + SVR on load_diabetes (442 x 10), 3 dims, R^2",
            make_estimator=lambda: make_pipeline(StandardScaler(), SVR(cache_size=500)),
            space={
                "svr__C": ("real", 1e-2, 1e4, True),
                "svr__epsilon": ("real", 1e-2, 1e2, True),
                "svr__gamma": ("real", 1e-5, 1.0, True),
            },
            load=lambda: load_diabetes(return_X_y=True),
            task="regression",
        ),
        Problem(
            name="rf_cancer",
            description="RandomForestClassifier on load_breast_cancer (569 x 30), "
            "4 dims, log-loss",
            make_estimator=lambda: RandomForestClassifier(random_state=0, n_jobs=1),
            space={
                "n_estimators": ("int", 10, 200, True),
                "max_depth": ("int", 2, 16, False),
                "min_samples_leaf": ("int", 1, 32, True),
                "max_features": ("real", 0.05, 1.0, False),
            },
            load=lambda: load_breast_cancer(return_X_y=True),
            task="classification",
            scoring="neg_log_loss",
        ),
        Problem(
            name="ada_classif",
            description="AdaBoostClassifier (decision trees) on make_classification "
            "(500 x 10, 2 classes), 3 dims, ROC AUC",
            make_estimator=lambda: AdaBoostClassifier(
                DecisionTreeClassifier(max_depth=1, random_state=0), random_state=0
            ),
            space={
                "n_estimators": ("int", 5, 200, True),
                "learning_rate": ("real", 1e-3, 2.0, True),
                "estimator__max_depth": ("int", 1, 5, False),
            },
            load=_classification_small,
            task="classification",
            scoring="roc_auc",
        ),
        Problem(
            name="mlp_friedman",
            description="StandardScaler + MLPRegressor(max_iter=60) on make_friedman1 "
            "(500 x 10), 4 dims, R^2",
            make_estimator=lambda: make_pipeline(
                StandardScaler(), MLPRegressor(max_iter=60, random_state=0)
            ),
            space={
                "mlpregressor__hidden_layer_sizes": ("int", 4, 128, True),
                "mlpregressor__alpha": ("real", 1e-6, 10.0, True),
                "mlpregressor__learning_rate_init": ("real", 1e-4, 1e-1, True),
                "mlpregressor__batch_size": ("int", 16, 256, True),
            },
            load=_friedman,
            task="regression",
        ),
        Problem(
            name="gbr_diabetes",
            description="GradientBoostingRegressor on load_diabetes (442 x 10), "
            "5 dims, R^2",
            make_estimator=lambda: GradientBoostingRegressor(random_state=0),
            space={
                "n_estimators": ("int", 10, 300, True),
                "learning_rate": ("real", 1e-3, 1.0, True),
                "max_depth": ("int", 1, 6, False),
                "subsample": ("real", 0.3, 1.0, False),
                "min_samples_leaf": ("int", 1, 50, True),
            },
            load=lambda: load_diabetes(return_X_y=True),
            task="regression",
        ),
        Problem(
            name="sgd_classif_20k",
            description="StandardScaler + SGDClassifier(max_iter=30) on "
            "make_classification (20000 x 30, 2 classes), 7 dims, conditional "
            "(l1_ratio only with elasticnet, eta0 not with 'optimal', power_t only "
            "with 'invscaling'), ROC AUC",
            make_estimator=lambda: make_pipeline(
                StandardScaler(),
                SGDClassifier(max_iter=30, tol=1e-4, random_state=0),
            ),
            space={
                "sgdclassifier__loss": ("cat", ["hinge", "log_loss", "modified_huber"]),
                "sgdclassifier__penalty": ("cat", ["l2", "l1", "elasticnet"]),
                "sgdclassifier__alpha": ("real", 1e-7, 1e-1, True),
                "sgdclassifier__l1_ratio": ("real", 0.0, 1.0, False),
                "sgdclassifier__learning_rate": (
                    "cat",
                    ["optimal", "constant", "invscaling", "adaptive"],
                ),
                "sgdclassifier__eta0": ("real", 1e-5, 1.0, True),
                "sgdclassifier__power_t": ("real", 0.05, 0.95, False),
            },
            load=_classification_large,
            task="classification",
            scoring="roc_auc",
        ),
        Problem(
            name="nystroem_friedman_12k",
            description="StandardScaler + Nystroem + Ridge on make_friedman1 "
            "(12000 x 10), 3 dims, R^2",
            make_estimator=lambda: make_pipeline(
                StandardScaler(), Nystroem(random_state=0), Ridge()
            ),
            space={
                "nystroem__n_components": ("int", 10, 300, True),
                "nystroem__gamma": ("real", 1e-4, 10.0, True),
                "ridge__alpha": ("real", 1e-6, 1e2, True),
            },
            load=_friedman_large,
            task="regression",
        ),
        Problem(
            name="hgb_friedman_10d",
            description="HistGradientBoostingRegressor on make_friedman1 "
            "(500 x 10), 10 dims, R^2",
            make_estimator=lambda: HistGradientBoostingRegressor(
                early_stopping=False, random_state=0
            ),
            space={
                "learning_rate": ("real", 1e-3, 1.0, True),
                "max_iter": ("int", 10, 200, True),
                "max_leaf_nodes": ("int", 2, 64, True),
                "max_depth": ("int", 2, 12, False),
                "min_samples_leaf": ("int", 1, 64, True),
                "l2_regularization": ("real", 1e-6, 10.0, True),
                "max_features": ("real", 0.1, 1.0, False),
                "max_bins": ("int", 8, 255, True),
                "loss": ("cat", ["squared_error", "absolute_error"]),
                "interaction_cst": ("cat", [None, "no_interactions", "pairwise"]),
            },
            load=_friedman,
            task="regression",
        ),
        Problem(
            name="svc_cancer_kernels",
            description="StandardScaler + SVC on load_breast_cancer (569 x 30), "
            "5 dims, conditional (gamma not with 'linear', degree only with "
            "'poly', coef0 only with 'poly' and 'sigmoid'), ROC AUC",
            make_estimator=lambda: make_pipeline(
                StandardScaler(), SVC(cache_size=500, max_iter=200_000)
            ),
            space={
                "svc__kernel": ("cat", ["linear", "rbf", "poly", "sigmoid"]),
                "svc__C": ("real", 1e-3, 1e2, True),
                "svc__gamma": ("real", 1e-4, 1.0, True),
                "svc__degree": ("int", 2, 5, False),
                "svc__coef0": ("real", -1.0, 1.0, False),
            },
            load=lambda: load_breast_cancer(return_X_y=True),
            task="classification",
            scoring="roc_auc",
        ),
    ]
}

# The problems of the first BayesSearchCV and population benchmarks: the default of
# bench_bayes.py and bench_population.py, so that their saved results stay
# reproducible. bench_suite.py runs every problem of PROBLEMS.
CORE_PROBLEMS = (
    "svc_digits",
    "hgb_classif",
    "mlp_digits",
    "enet_diabetes",
    "tree_friedman",
    "knn_friedman",
    "logreg_cancer",
)


# The twelve problems of the first suite (bench_suite.py's default, so that its saved
# results stay reproducible), and the wider set of bench_bayes.py --problems wide:
# every problem, with the ones added for it: a 20,000-row and a 12,000-row data
# set, 10 dimensions, and two conditional spaces, written flat as the peers'
# searches take them (a parameter the chosen option ignores is still sampled).
SUITE_PROBLEMS = tuple(PROBLEMS)[:12]
assert SUITE_PROBLEMS[-1] == "gbr_diabetes"
WIDE_PROBLEMS = tuple(PROBLEMS)


# The overhead experiment: a cheap model on tiny data, so that almost all the wall
# time not spent in fit and score is the optimizer's own.
OVERHEAD_PROBLEM = Problem(
    name="ridge_overhead",
    description="Ridge on make_regression (60 x 10), cv=2, 6 mixed dims",
    make_estimator=lambda: Ridge(),
    space={
        "alpha": ("real", 1e-4, 1e2, True),
        "tol": ("real", 1e-6, 1e-1, True),
        "max_iter": ("int", 10, 1000, True),
        "fit_intercept": ("cat", [True, False]),
        "solver": ("cat", ["svd", "cholesky", "lsqr", "sparse_cg"]),
        "copy_X": ("cat", [True, False]),
    },
    load=lambda: make_regression(
        n_samples=80, n_features=10, noise=10.0, random_state=0
    ),
    task="regression",
    test_size=20,
    n_splits=2,
)
