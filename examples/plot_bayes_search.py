# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""
=============================================
Bayesian optimization versus random search
=============================================

This example shows how quickly :class:`~skhpo.BayesSearchCV` finds good
hyperparameters compared with :class:`~sklearn.model_selection.RandomizedSearchCV`,
given the same space and the same number of candidates.
"""

# %%
# The problem
# -----------
#
# A support vector classifier on a subset of the digits data, tuned over ``C`` and
# ``gamma`` on wide log-uniform ranges. Most of that square is poor: a large
# ``gamma`` memorises the training folds, a small ``C`` with a small ``gamma``
# underfits. Both searches receive the very same ``param_distributions``: skhpo
# accepts frozen :mod:`scipy.stats` distributions as they are.
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC

X, y = load_digits(return_X_y=True)
X, y = X[:600], y[:600]

param_distributions = {
    "C": loguniform(1e-3, 1e3),
    "gamma": loguniform(1e-6, 1e1),
}
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
n_iter = 25

# %%
# Running both searches
# ---------------------
#
# Each search runs with five seeds. The rows of ``cv_results_`` are in the order
# in which the candidates were evaluated, so the running maximum of
# ``mean_test_score`` is the best score found after each candidate.
import numpy as np
from sklearn.model_selection import RandomizedSearchCV

from skhpo import BayesSearchCV

seeds = range(5)
curves = {"BayesSearchCV": [], "RandomizedSearchCV": []}
for seed in seeds:
    searches = {
        "BayesSearchCV": BayesSearchCV(
            SVC(), param_distributions, n_iter=n_iter, cv=cv, random_state=seed
        ),
        "RandomizedSearchCV": RandomizedSearchCV(
            SVC(), param_distributions, n_iter=n_iter, cv=cv, random_state=seed
        ),
    }
    for name, search in searches.items():
        search.fit(X, y)
        scores = search.cv_results_["mean_test_score"]
        curves[name].append(np.fmax.accumulate(scores))

print("median best accuracy after  5 / 10 / 25 candidates")
for name, runs in curves.items():
    median = np.median(runs, axis=0)
    print(f"{name:>20}: {median[4]:.3f} / {median[9]:.3f} / {median[-1]:.3f}")

# %%
# The best score so far
# ---------------------
#
# The curves show the error rate, one minus the best accuracy so far, on a log scale
# so that the last few errors stay visible. Thin lines are single seeds, thick lines
# their median. The Bayesian search starts with a few space-filling points (a
# scrambled Sobol design), then concentrates its candidates where its Gaussian
# process expects the best scores.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6.4, 4))
colors = {"BayesSearchCV": "tab:blue", "RandomizedSearchCV": "tab:orange"}
for name, runs in curves.items():
    color = colors[name]
    runs = 1 - np.asarray(runs)
    steps = np.arange(1, runs.shape[1] + 1)
    for run in runs:
        ax.plot(steps, run, color=color, alpha=0.3, linewidth=1)
    ax.plot(steps, np.median(runs, axis=0), color=color, linewidth=2.5, label=name)
ax.set_xlabel("candidates evaluated")
ax.set_yscale("log")
ax.set_ylabel("1 - best mean CV accuracy so far")
ax.set_title("SVC on digits: C and gamma, log-uniform")
ax.legend(loc="upper right")
fig.tight_layout()
plt.show()
