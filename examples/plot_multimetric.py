# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""
=========================================
Several metrics, one refit rule
=========================================

This example shows how to score every candidate of a search on several metrics,
and how ``refit`` (a metric name or a callable) decides both which candidate is
chosen and which metric the search optimises.
"""

# %%
# Two metrics
# -----------
#
# A support vector classifier on an imbalanced synthetic problem (85% of one class)
# is scored on ROC AUC, which judges how its decision function ranks the two
# classes, and on balanced accuracy, which judges its decisions at the default
# threshold, giving each class the same weight. A dict ``scoring`` gives every
# candidate one ``mean_test_<name>`` column per metric in ``cv_results_``, as in
# scikit-learn's own searches.
from sklearn.datasets import make_classification
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skhpo import BayesSearchCV
from skhpo.space import Real

X, y = make_classification(
    n_samples=1_000,
    n_features=20,
    n_informative=5,
    weights=[0.85],
    flip_y=0.03,
    random_state=0,
)

pipeline = make_pipeline(StandardScaler(), SVC())
param_distributions = {
    "svc__C": Real(1e-3, 1e3, prior="log-uniform"),
    "svc__gamma": Real(1e-5, 1e1, prior="log-uniform"),
}
scoring = {"roc_auc": "roc_auc", "balanced_accuracy": "balanced_accuracy"}
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)

# %%
# ``refit`` names the metric that drives the search
# --------------------------------------------------
#
# With ``refit="roc_auc"``, the Gaussian process models the mean ROC AUC, the
# search proposes candidates to improve it, and ``best_index_``, ``best_score_``
# and ``best_estimator_`` follow it. Balanced accuracy is recorded for every
# candidate but plays no part in the choices.
by_auc = BayesSearchCV(
    pipeline,
    param_distributions,
    n_iter=20,
    scoring=scoring,
    refit="roc_auc",
    cv=cv,
    n_jobs=2,
    random_state=0,
).fit(X, y)

results = by_auc.cv_results_
best = by_auc.best_index_
print(f"best_score_ (ROC AUC): {by_auc.best_score_:.4f}")
balanced = results["mean_test_balanced_accuracy"]
print(f"balanced accuracy of that candidate: {balanced[best]:.4f}")
print(f"best balanced accuracy of any candidate: {max(balanced):.4f}")

# %%
# A callable ``refit`` applies a rule of one's own
# ------------------------------------------------
#
# A callable receives ``cv_results_`` and returns the index of the chosen
# candidate. The rule below keeps the candidates whose ROC AUC is within one
# standard deviation (across folds) of the best one, then takes the one with the
# best balanced accuracy among them: a ranking nearly as good, with decisions at
# the default threshold that treat the minority class better.
#
# A callable does not say which metric to optimise, so the search is driven by the
# first metric of ``scoring``, here ROC AUC again. Since ``scoring`` and the seed
# are the same, this search evaluates the very same candidates as the one above;
# only the final choice differs. A fitted search with a callable ``refit`` has no
# ``best_score_``, as in scikit-learn.
import numpy as np


def balanced_among_best_auc(cv_results):
    auc = np.asarray(cv_results["mean_test_roc_auc"])
    top = np.argmax(auc)
    close = auc >= auc[top] - cv_results["std_test_roc_auc"][top]
    balanced = np.where(close, cv_results["mean_test_balanced_accuracy"], -np.inf)
    return int(np.argmax(balanced))


by_rule = BayesSearchCV(
    pipeline,
    param_distributions,
    n_iter=20,
    scoring=scoring,
    refit=balanced_among_best_auc,
    cv=cv,
    n_jobs=2,
    random_state=0,
).fit(X, y)

same = by_rule.cv_results_["params"] == by_auc.cv_results_["params"]
print(f"same candidates as with refit='roc_auc': {same}")
print("refit          C         gamma     ROC AUC  balanced accuracy")
for name, search in [("'roc_auc'", by_auc), ("callable", by_rule)]:
    i = search.best_index_
    params = search.cv_results_["params"][i]
    print(
        f"{name:<13}  {params['svc__C']:<8.3g}  {params['svc__gamma']:<8.3g}  "
        f"{search.cv_results_['mean_test_roc_auc'][i]:.4f}   "
        f"{search.cv_results_['mean_test_balanced_accuracy'][i]:.4f}"
    )

# %%
# The two metrics of every candidate
# ----------------------------------
#
# Each dot is one candidate of the callable-refit search, placed by its two mean
# scores. The shaded band holds the candidates within one standard deviation of
# the best ROC AUC, among which the rule picks the one with the best balanced
# accuracy. A candidate can rank the classes well yet, at the default threshold,
# assign too many minority samples to the majority class: that is why the two
# choices can differ.
import matplotlib.pyplot as plt

results = by_rule.cv_results_
auc = np.asarray(results["mean_test_roc_auc"])
balanced = np.asarray(results["mean_test_balanced_accuracy"])
top = np.argmax(auc)
good = auc > 0.9

fig, (ax_all, ax_zoom) = plt.subplots(1, 2, figsize=(9.6, 4))
for ax in (ax_all, ax_zoom):
    rows = slice(None) if ax is ax_all else good
    ax.scatter(auc[rows], balanced[rows], s=22, color="0.5", label="candidates")
    ax.axvspan(
        auc[top] - results["std_test_roc_auc"][top],
        auc[top],
        color="tab:green",
        alpha=0.15,
        label="within one std of the best ROC AUC",
    )
    ax.scatter(
        auc[by_auc.best_index_],
        balanced[by_auc.best_index_],
        marker="o",
        s=160,
        facecolor="none",
        edgecolor="tab:blue",
        linewidth=2,
        label="refit='roc_auc'",
    )
    ax.scatter(
        auc[by_rule.best_index_],
        balanced[by_rule.best_index_],
        marker="*",
        s=220,
        color="tab:red",
        edgecolor="black",
        label="refit=balanced_among_best_auc",
    )
    ax.set_xlabel("mean CV ROC AUC")
    ax.set_ylabel("mean CV balanced accuracy")
ax_all.set_title("All candidates")
ax_zoom.set_title("Candidates with ROC AUC > 0.9")
ax_all.legend(loc="upper left", fontsize=8)
fig.tight_layout()
plt.show()
