# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""
===============================================
Racing: fewer fits for clearly worse candidates
===============================================

With ``racing=True`` a search stops a candidate's cross-validation once its first
folds show, by a paired test against the best candidate so far, that it is worse.
This example runs the same evolutionary search of a support vector classifier
with and without racing, and shows which candidates were stopped and what
``cv_results_`` records for them.
"""

# %%
# The same search twice
# ---------------------
#
# A support vector classifier on part of the digits dataset, 5-fold
# cross-validation, 40 candidates. The space is wide: some candidates fall where
# the classifier is useless (a ``gamma`` far too large), and their first folds
# show it at once.
import numpy as np
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from skhpo import EvolutionarySearchCV
from skhpo.space import Real

X, y = load_digits(return_X_y=True)
X, y = X[:700], y[:700]
space = {
    "C": Real(1e-2, 1e3, prior="log-uniform"),
    "gamma": Real(1e-5, 1e0, prior="log-uniform"),
}


def search(racing):
    return EvolutionarySearchCV(
        SVC(), space, n_iter=40, cv=5, racing=racing, random_state=0
    ).fit(X, y)


plain, raced = search(False), search(True)
results = raced.cv_results_
n_run = results["n_splits_run"]
print(f"fits without racing: {5 * len(n_run)}, with racing: {n_run.sum()}")
print(f"best CV score without racing: {plain.best_score_:.4f}")
print(f"best CV score with racing:    {raced.best_score_:.4f}")

# %%
# What ``cv_results_`` records
# ----------------------------
#
# ``n_splits_run`` says how many folds of each candidate ran. A stopped candidate
# has NaN in the split columns of the folds it did not run, its mean over the
# folds that did, and it ranks below every candidate evaluated on all five folds,
# so it can never be the best.
stopped = np.flatnonzero(n_run < 5)
k = stopped[0]
print(f"candidate {k}: {n_run[k]} folds run")
print([round(float(results[f"split{j}_test_score"][k]), 3) for j in range(5)])
print(f"mean {results['mean_test_score'][k]:.3f}, rank {results['rank_test_score'][k]}")

# %%
# Which candidates were stopped
# -----------------------------
#
# Each candidate's mean CV score, in the order proposed. The stopped ones (open
# markers) are those clearly below the best so far: the useless ones after two
# folds, a few mediocre ones after four. Candidates close to the best run every
# fold, since a paired test cannot tell them from it, and once the evolutionary
# search has converged most of its candidates are such: here racing saves only a
# small share of the fits. It saves more where more candidates are clearly worse
# (wide spaces, the first rungs of Hyperband, ``cv=10``). No candidate runs more
# folds with racing than without, though the search may propose other candidates:
# its strategy learns an estimate of a stopped candidate's score, not the score.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 4))
order = np.arange(len(n_run))
full = n_run == 5
ax.plot(order[full], results["mean_test_score"][full], "o", label="every fold")
ax.plot(
    order[~full],
    results["mean_test_score"][~full],
    "o",
    markerfacecolor="none",
    label="stopped by racing",
)
ax.set_xlabel("candidate (in the order proposed)")
ax.set_ylabel("mean CV accuracy (folds run)")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
