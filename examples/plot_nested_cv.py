# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""
=========================================
Nested cross-validation of a search
=========================================

This example shows how to estimate the performance of a tuned model without bias,
by cross-validating the whole :class:`~skhpo.BayesSearchCV` inside an outer loop,
and why its ``best_score_`` alone is an optimistic estimate.
"""

# %%
# Why a search's best score is optimistic
# ---------------------------------------
#
# ``best_score_`` is the mean cross-validated score of the candidate that scored
# best on those very folds. The search picked it *because* it scored well there, so
# part of its lead is luck on these particular folds, which new data will not
# repeat. The more candidates a search compares, the larger that selection bias can
# be. Nested cross-validation removes it: an outer loop holds out a test part, the
# search (with its own inner cross-validation) runs on the rest only, and its
# refitted best estimator is scored on the held-out part it never saw.
#
# A search is an estimator, so the outer loop is just
# :func:`~sklearn.model_selection.cross_validate` (or
# :func:`~sklearn.model_selection.cross_val_score`) applied to it. Here the
# problem is a support vector classifier on a subset of the digits data.
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC

from skhpo import BayesSearchCV
from skhpo.space import Real

X, y = load_digits(return_X_y=True)
X, y = X[:500], y[:500]

param_distributions = {
    "C": Real(1e-2, 1e3, prior="log-uniform"),
    "gamma": Real(1e-5, 1e0, prior="log-uniform"),
}
inner_cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
outer_cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=1)

search = BayesSearchCV(
    SVC(),
    param_distributions,
    n_iter=15,
    cv=inner_cv,
    n_jobs=2,
    random_state=0,
)

# %%
# The outer loop
# --------------
#
# :func:`~sklearn.model_selection.cross_val_score` would return the outer test
# scores only; :func:`~sklearn.model_selection.cross_validate` with
# ``return_estimator=True`` also keeps each fitted search, so its inner
# ``best_score_`` can be compared with the outer score of the same fold. Each outer
# fold runs a complete search of 15 candidates on four fifths of the data.
import numpy as np
from sklearn.model_selection import cross_validate

nested = cross_validate(search, X, y, cv=outer_cv, return_estimator=True)
outer_scores = nested["test_score"]
inner_scores = np.array([fitted.best_score_ for fitted in nested["estimator"]])

print("outer fold  inner best_score_  outer test score  best C   best gamma")
for fold, fitted in enumerate(nested["estimator"]):
    print(
        f"{fold:>10}  {inner_scores[fold]:>16.3f}  {outer_scores[fold]:>16.3f}  "
        f"{fitted.best_params_['C']:<7.3g}  {fitted.best_params_['gamma']:.3g}"
    )
print(f"mean inner best_score_: {inner_scores.mean():.3f}")
print(f"nested CV estimate:     {outer_scores.mean():.3f} +/- {outer_scores.std():.3f}")

# %%
# Compare with the score reported by a single search on all the data, the
# number one is tempted to report:
search.fit(X, y)
print(f"best_score_ of one search on all the data: {search.best_score_:.3f}")

# %%
# Inner and outer scores, fold by fold
# ------------------------------------
#
# Each pair of points is one outer fold: the inner ``best_score_`` of the search
# fitted on its training part, and the accuracy of the refitted best estimator on
# its held-out part. The outer scores, not the inner ones, estimate how well the
# whole procedure (search, then refit) generalizes. On a small problem the
# difference between the two is within the spread across folds, and in any single
# run it can go either way; over many repetitions, the inner score is biased
# upwards.
import matplotlib.pyplot as plt

folds = np.arange(len(outer_scores))
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
ax.plot(folds - 0.08, inner_scores, "o", color="tab:orange", label="inner best_score_")
ax.plot(folds + 0.08, outer_scores, "s", color="tab:blue", label="outer test score")
ax.vlines(
    folds,
    np.minimum(inner_scores, outer_scores),
    np.maximum(inner_scores, outer_scores),
    color="0.7",
    zorder=0,
)
ax.axhline(
    outer_scores.mean(), color="tab:blue", linestyle="--", label="nested CV estimate"
)
ax.axhline(
    search.best_score_,
    color="tab:orange",
    linestyle=":",
    label="best_score_ on all the data",
)
ax.set_xticks(folds, [f"fold {fold}" for fold in folds])
ax.set_ylabel("accuracy")
ax.set_title("Nested cross-validation of BayesSearchCV (SVC on digits)")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8)
plt.show()
