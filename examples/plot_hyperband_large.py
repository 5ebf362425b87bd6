# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""
=========================================
Hyperband on a larger dataset
=========================================

This example shows how :class:`~skhpo.HyperbandSearchCV` tunes a gradient boosting
model on 20,000 rows by giving most candidates only a few boosting iterations, and
how its cost and result compare with
:class:`~sklearn.model_selection.RandomizedSearchCV` on the same budget.
"""

# %%
# The problem
# -----------
#
# A :class:`~sklearn.ensemble.HistGradientBoostingClassifier` with 54 boosting
# iterations, on 20,000 synthetic rows with a few percent of flipped labels. Its
# learning rate, tree size, leaf size and regularization are tuned on 3-fold
# cross-validation. The space is made of :mod:`scipy.stats` distributions, which
# both searches accept.
from scipy.stats import loguniform, randint
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold

X, y = make_classification(
    n_samples=20_000,
    n_features=20,
    n_informative=10,
    flip_y=0.05,
    random_state=0,
)
param_distributions = {
    "learning_rate": loguniform(1e-2, 1),
    "max_leaf_nodes": randint(4, 64),
    "min_samples_leaf": randint(5, 200),
    "l2_regularization": loguniform(1e-4, 10),
}
estimator = HistGradientBoostingClassifier(
    max_iter=54, early_stopping=False, random_state=0
)
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)

# %%
# Hyperband with the number of boosting iterations as the budget
# --------------------------------------------------------------
#
# ``resource="max_iter"`` makes the budget of a candidate its number of boosting
# iterations: from ``min_resources=6`` up to the estimator's own ``max_iter=54``,
# in rungs of 6, 18 and 54 with ``factor=3``. The most aggressive bracket starts
# nine candidates on 6 iterations and promotes the best third at each rung; the
# last bracket is three candidates trained on all 54 iterations from the start.
# The sum of ``n_resources`` over its evaluations, in units of a full fit, is the
# search's cost in boosting iterations.
import time

import numpy as np

from skhpo import HyperbandSearchCV

hyperband = HyperbandSearchCV(
    estimator,
    param_distributions,
    resource="max_iter",
    min_resources=6,
    factor=3,
    cv=cv,
    n_jobs=2,
    random_state=0,
)
start = time.perf_counter()
hyperband.fit(X, y)
hyperband_time = time.perf_counter() - start

results = hyperband.cv_results_
hyperband_cost = np.sum(results["n_resources"]) / hyperband.max_resources_
n_started = int(np.sum(np.asarray(results["iter"]) == 0))
print(f"candidates started: {n_started}")
print(f"evaluations (candidate x rung): {len(results['params'])}")
print(f"cost: {hyperband_cost:.1f} full fits per CV split")
print(f"best_score_: {hyperband.best_score_:.4f} in {hyperband_time:.1f} s")

# %%
# Random search on the same budget
# --------------------------------
#
# :class:`~sklearn.model_selection.RandomizedSearchCV` trains every candidate on
# all 54 iterations, so for about the same number of boosting iterations it
# evaluates as many candidates as Hyperband's cost in full fits, rounded up. Both
# searches run on two processes; the first one to run also pays for starting
# them. The times printed are those of this run, on the machine that built this
# page.
from sklearn.model_selection import RandomizedSearchCV

n_iter = int(np.ceil(hyperband_cost))
random_search = RandomizedSearchCV(
    estimator,
    param_distributions,
    n_iter=n_iter,
    cv=cv,
    n_jobs=2,
    random_state=0,
)
start = time.perf_counter()
random_search.fit(X, y)
random_time = time.perf_counter() - start

print("                    candidates  cost (full fits)  time (s)  best_score_")
hyperband_row = (n_started, hyperband_cost, hyperband_time, hyperband.best_score_)
random_row = (n_iter, float(n_iter), random_time, random_search.best_score_)
rows = [("HyperbandSearchCV", *hyperband_row), ("RandomizedSearchCV", *random_row)]
for name, started, cost, seconds, score in rows:
    print(f"{name:<18}  {started:>10}  {cost:>16.1f}  {seconds:>8.1f}  {score:.4f}")

# %%
# Equal cost in boosting iterations does not mean equal wall-clock time. Part of
# a fit does not shrink with the budget (binning the 20,000 rows, for instance),
# so a 6-iteration fit costs more than a ninth of a 54-iteration one. And
# Hyperband's rungs run one after another, each waiting for the previous one to
# pick its survivors; a rung of one or three candidates leaves workers idle,
# whereas random search hands all its fits to the workers at once. Hyperband
# pays off when full fits are expensive compared with these overheads, and when
# small budgets rank candidates well. With one seed and one dataset, the
# difference between the two best scores says little about which search is better
# in general; what Hyperband bought here is the number of configurations it looked
# at.
#
# Scores by budget, per bracket
# -----------------------------
#
# Each dot is one candidate evaluated on one rung; lines join a candidate to its
# scores on the rungs it was promoted to, and the dots are shifted a little by
# bracket so that they do not hide each other. After 6 iterations the scores are
# lower and more spread out than after 54, and promotions are decided on these
# rougher scores: that is the bet Hyperband hedges with its less aggressive
# brackets. ``best_score_`` (the star) is taken over the candidates evaluated on
# the full 54 iterations only.
import matplotlib.pyplot as plt

n_resources = np.asarray(results["n_resources"])
scores = np.asarray(results["mean_test_score"])
bracket_of = np.asarray(results["bracket"])
brackets = sorted(set(bracket_of), reverse=True)
colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(brackets)))
shift = 1.08 ** (bracket_of - (len(brackets) - 1) / 2)
x = n_resources * shift

fig, (ax, ax_time) = plt.subplots(
    1, 2, figsize=(9.6, 4), gridspec_kw={"width_ratios": [1.6, 1]}
)
# A candidate's params include its budget, max_iter: leave it out to follow it.
keys = [
    (s, tuple(sorted((k, v) for k, v in p.items() if k != "max_iter")))
    for s, p in zip(bracket_of, results["params"])
]
for key in set(keys):
    rows_of_key = [i for i, k in enumerate(keys) if k == key]
    if len(rows_of_key) > 1:
        ax.plot(x[rows_of_key], scores[rows_of_key], color="0.75", linewidth=0.8)
for s, color in zip(brackets, colors):
    in_bracket = bracket_of == s
    ax.scatter(
        x[in_bracket], scores[in_bracket], color=color, s=24, label=f"bracket {s}"
    )
best = hyperband.best_index_
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
ax.set_xscale("log")
ax.set_xticks([6, 18, 54], ["6", "18", "54"])
ax.minorticks_off()
ax.set_xlabel("boosting iterations (n_resources)")
ax.set_ylabel("mean CV accuracy")
ax.set_title("HyperbandSearchCV, resource='max_iter'")
ax.legend(loc="lower right", fontsize=8)

names = [row[0] for row in rows]
bars = ax_time.barh(names, [row[3] for row in rows], color=["tab:blue", "0.6"])
for bar, row in zip(bars, rows):
    ax_time.text(
        bar.get_width() / 2,
        bar.get_y() + bar.get_height() / 2,
        f"{row[1]} candidates\nbest {row[4]:.4f}",
        ha="center",
        va="center",
        color="white",
        fontsize=8,
    )
ax_time.invert_yaxis()
ax_time.set_xlabel("wall-clock time of fit (s), this run")
ax_time.set_title("Same budget, two searches")
fig.tight_layout()
plt.show()
