# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tune a scaled SVC on the digits data with BayesSearchCV and print the results.

Run it with ``python examples/quickstart.py`` after ``pip install .``. It needs only
skhpo's own dependencies and takes well under a minute on two cores.
"""

import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skhpo import BayesSearchCV
from skhpo.space import Categorical, Real


def format_params(params):
    """One short line per candidate, floats with 3 significant digits."""
    return ", ".join(
        f"{name.split('__')[-1]}={value:.3g}"
        if isinstance(value, float)
        else f"{name.split('__')[-1]}={value}"
        for name, value in params.items()
    )


def print_top(cv_results, n=10):
    """Print the n best candidates as a plain-text table."""
    order = sorted(
        range(len(cv_results["params"])), key=lambda i: cv_results["rank_test_score"][i]
    )[:n]
    print(f"{'rank':>4}  {'mean':>6}  {'std':>6}  {'iter':>4}  params")
    for i in order:
        print(
            f"{cv_results['rank_test_score'][i]:>4}  "
            f"{cv_results['mean_test_score'][i]:>6.4f}  "
            f"{cv_results['std_test_score'][i]:>6.4f}  "
            f"{cv_results['iter'][i]:>4}  "
            f"{format_params(cv_results['params'][i])}"
        )


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )

    pipe = Pipeline([("scale", StandardScaler()), ("svc", SVC())])
    param_distributions = {
        "svc__C": Real(1e-3, 1e3, prior="log-uniform"),
        "svc__gamma": Real(1e-5, 1e-1, prior="log-uniform"),
        "svc__kernel": Categorical(["rbf", "poly", "sigmoid"]),
    }
    search = BayesSearchCV(
        pipe,
        param_distributions,
        n_iter=30,
        cv=3,
        n_jobs=-1,
        random_state=0,
    )

    start = time.perf_counter()
    search.fit(X_train, y_train)
    wall_time = time.perf_counter() - start

    n_candidates = len(search.cv_results_["params"])
    print(
        f"BayesSearchCV: {n_candidates} candidates x {search.n_splits_} folds "
        f"on {X_train.shape[0]} digits\n"
    )
    print_top(search.cv_results_, n=10)
    print(f"\nbest parameters : {format_params(search.best_params_)}")
    print(f"best CV accuracy: {search.best_score_:.4f}")
    print(f"test accuracy   : {search.score(X_test, y_test):.4f}")
    print(f"wall time       : {wall_time:.1f} s (search and refit)")


if __name__ == "__main__":
    main()
