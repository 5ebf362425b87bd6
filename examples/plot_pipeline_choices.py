# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""
=========================================
Choosing the steps of a pipeline
=========================================

This example shows how to let :class:`~skhpo.BayesSearchCV` choose the
preprocessing steps of a :class:`~sklearn.pipeline.Pipeline` (which scaler, which
dimensionality reduction and its size) together with the classifier's
hyperparameters, in one search.
"""

# %%
# A pipeline with replaceable steps
# ---------------------------------
#
# The pipeline has three named steps. Their values in the space are lists of
# estimators, so each is a categorical parameter: the search sets ``scale`` to one
# of the scalers, or to ``"passthrough"`` to skip scaling. The ``reduce`` step is
# either a :class:`~sklearn.decomposition.PCA` or a
# :class:`~sklearn.feature_selection.SelectKBest`, and each has its own size
# parameter. A list of two dicts is a conditional space: a candidate comes from one
# dict or the other, so ``reduce__n_components`` is only set when the step is a
# PCA, and ``reduce__k`` only when it selects features.
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skhpo.space import Integer

X, y = load_breast_cancer(return_X_y=True)

pipeline = Pipeline(
    [
        ("scale", StandardScaler()),
        ("reduce", PCA()),
        ("clf", KNeighborsClassifier()),
    ]
)
scalers = [StandardScaler(), MinMaxScaler(), "passthrough"]
clf_params = {
    "clf__n_neighbors": Integer(1, 40),
    "clf__weights": ["uniform", "distance"],
}
param_distributions = [
    {
        "scale": scalers,
        "reduce": [PCA()],
        "reduce__n_components": Integer(1, 20),
        **clf_params,
    },
    {
        "scale": scalers,
        "reduce": [SelectKBest()],
        "reduce__k": Integer(1, 30),
        **clf_params,
    },
]

# %%
# The search
# ----------
#
# Steps and hyperparameters are searched together: the Gaussian process models the
# cross-validated accuracy over all coordinates at once, categorical ones included.
# The choice of scaler matters here: a nearest-neighbours classifier measures
# distances, and the unscaled features of this dataset span very different ranges.
from sklearn.model_selection import StratifiedKFold

from skhpo import BayesSearchCV

search = BayesSearchCV(
    pipeline,
    param_distributions,
    n_iter=30,
    cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
    n_jobs=2,
    random_state=0,
)
search.fit(X, y)

print(f"best_score_: {search.best_score_:.3f}")
print(search.best_estimator_)

# %%
# The best candidates
# -------------------
#
# ``cv_results_`` holds one row per candidate. A parameter that a candidate does
# not set, such as ``reduce__k`` for a PCA, is masked. The table lists the top
# candidates by ``rank_test_score``; the steps appear as their class names.
import numpy as np

results = search.cv_results_


def _name(step):
    return step if isinstance(step, str) else type(step).__name__


def _size(params):
    if "reduce__n_components" in params:
        return params["reduce__n_components"]
    return params["reduce__k"]


order = np.argsort(results["rank_test_score"], kind="stable")
print("rank  scale           reduce       size  neighbours  weights   mean   std")
for i in order[:8]:
    params = results["params"][i]
    print(
        f"{results['rank_test_score'][i]:>4}  {_name(params['scale']):<14}  "
        f"{_name(params['reduce']):<11}  {_size(params):>4}  "
        f"{params['clf__n_neighbors']:>10}  {params['clf__weights']:<8}  "
        f"{results['mean_test_score'][i]:.3f}  "
        f"{results['std_test_score'][i]:.3f}"
    )

# %%
# Scores by choice of steps
# -------------------------
#
# Each dot is one candidate, grouped by its scaler and its reduction step. The
# spread within a group comes from the other parameters (the size of the reduced
# data, the number of neighbours and their weights); the number of dots shows where
# the search spent its budget.
import matplotlib.pyplot as plt

labels = [
    f"{_name(params['scale'])}\n+ {_name(params['reduce'])}"
    for params in results["params"]
]
groups = sorted(set(labels))
scores = np.asarray(results["mean_test_score"])
x = np.zeros(len(labels))
for position, group in enumerate(groups):
    rows = [i for i, label in enumerate(labels) if label == group]
    x[rows] = position + np.linspace(-0.15, 0.15, len(rows) + 2)[1:-1]

fig, ax = plt.subplots(figsize=(7.2, 4))
ax.scatter(x, scores, s=22, color="tab:blue", label="candidates")
best = search.best_index_
ax.scatter(
    x[best],
    scores[best],
    marker="*",
    s=250,
    color="tab:red",
    edgecolor="black",
    label="best_index_",
    zorder=3,
)
ax.set_xticks(range(len(groups)), groups, fontsize=8)
ax.set_ylabel("mean CV accuracy")
ax.set_title("BayesSearchCV over the steps of a pipeline")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
