# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""
=========================================
Hyperband's brackets and their promotions
=========================================

This example shows how :class:`~skhpo.HyperbandSearchCV` splits its budget into
brackets of successive halving, and how a real search promotes the best candidates
of each bracket from small training subsamples to the full training folds.
"""

# %%
# The brackets of a 20,000-row problem
# ------------------------------------
#
# With ``resource="n_samples"``, budgets count samples of the whole ``X``, as
# in :class:`~sklearn.model_selection.HalvingRandomSearchCV`: for a 20,000-row
# dataset, ``max_resources="auto"`` is 20,000, and a budget of ``n`` trains each
# cross-validation split on the fraction ``n / 20,000`` of its training part (with
# 5 folds, 0.8 ``n`` rows). ``min_resources="auto"`` divides the largest budget by
# ``factor`` up to four times, as long as at least two samples per class remain:
# 20,000 / 3**4 rounds down to 246. The bracket arithmetic lives in a private
# helper, used here only to draw it.
import numpy as np

from skhpo._optimizers.hyperband import hyperband_brackets

min_resources, max_resources, factor = 246, 20_000, 3
brackets = hyperband_brackets(min_resources, max_resources, factor)

print(" s  candidates per rung     samples per rung                  cost")
for bracket in brackets:
    cost = np.dot(bracket.n_candidates, bracket.resources) / max_resources
    print(
        f"{bracket.s:>2}  {bracket.n_candidates!s:<22}  "
        f"{bracket.resources!s:<32}  {cost:.1f}"
    )

# %%
# Each bracket ``s`` starts some candidates on a budget ``factor**s`` times smaller
# than the largest, and promotes the best third of them to the next rung, until one
# or a few reach the full 20,000 samples. Bracket 4 starts 81 candidates on 247;
# bracket 0 is a plain random search of 5 candidates on the full training parts.
# Every bracket costs about the same: about five full-budget fits (the "cost"
# column), so one Hyperband iteration costs about 23.5 full-budget evaluations and
# starts 143 candidates.
import matplotlib.pyplot as plt

colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.92, len(brackets)))
fig, (ax_rungs, ax_cost) = plt.subplots(
    1, 2, figsize=(9.6, 4), gridspec_kw={"width_ratios": [1.6, 1]}
)
for bracket, color in zip(brackets, colors):
    ax_rungs.plot(
        bracket.resources,
        bracket.n_candidates,
        marker="o",
        color=color,
        label=f"bracket {bracket.s}",
    )
    for n, r in zip(bracket.n_candidates, bracket.resources):
        ax_rungs.annotate(
            str(n),
            (r, n),
            textcoords="offset points",
            xytext=(5, 4),
            fontsize=8,
            color=color,
        )
ax_rungs.set_xscale("log")
ax_rungs.set_yscale("log")
ax_rungs.set_xlabel("samples of X per candidate (resources of the rung)")
ax_rungs.set_ylabel("candidates in the rung")
ax_rungs.set_title("Successive halving in each bracket")
ax_rungs.legend(loc="upper right", fontsize=8)

labels = [f"bracket {bracket.s}" for bracket in brackets]
costs = [
    np.dot(bracket.n_candidates, bracket.resources) / max_resources
    for bracket in brackets
]
bars = ax_cost.barh(labels, costs, color=colors)
for bar, bracket in zip(bars, brackets):
    ax_cost.text(
        bar.get_width() / 2,
        bar.get_y() + bar.get_height() / 2,
        f"{bracket.n_candidates[0]} started",
        ha="center",
        va="center",
        color="white",
        fontsize=8,
    )
ax_cost.invert_yaxis()
ax_cost.set_xlabel("cost, in fits on all 20,000 samples")
ax_cost.set_title("Cost of each bracket")
fig.suptitle("Hyperband, factor=3, 246 to 20,000 samples")
fig.tight_layout()
plt.show()

# %%
# A real search
# -------------
#
# A linear classifier trained by stochastic gradient descent on 8,100 synthetic
# rows, with 3-fold cross-validation: the budgets run from 100 to 8,100 samples, so
# the training parts (5,400 rows each) are cut to 67 to 5,400 rows. The first
# candidates are random; later ones come, two thirds of them, from BOHB's density
# model of the good and the bad candidates seen so far (``sampler="bohb"``, the
# default).
# The space is made of scipy distributions, which scikit-learn's searches accept
# too: the last section reuses it.
from scipy.stats import loguniform, uniform
from sklearn.datasets import make_classification
from sklearn.linear_model import SGDClassifier

from skhpo import HyperbandSearchCV

X, y = make_classification(
    n_samples=8_100, n_features=20, n_informative=8, random_state=0
)
param_distributions = {
    "alpha": loguniform(1e-7, 1e-1),
    "l1_ratio": uniform(0, 1),
    "loss": ["hinge", "log_loss"],
}
estimator = SGDClassifier(penalty="elasticnet", random_state=0)
search = HyperbandSearchCV(
    estimator,
    param_distributions,
    resource="n_samples",
    factor=3,
    sampler="bohb",
    cv=3,
    n_jobs=2,
    random_state=0,
)
search.fit(X, y)

print(f"budgets: {search.min_resources_} to {search.max_resources_} samples")
print(f"evaluations (candidate x rung): {len(search.cv_results_['params'])}")
print(f"best_score_: {search.best_score_:.3f}")
print("best_params_:", {k: search.best_params_[k] for k in sorted(search.best_params_)})

# %%
# Promotions
# ----------
#
# Each dot is one candidate evaluated on one rung; lines join a candidate to its
# own scores on the rungs it was promoted to. Dots are shifted a little left or
# right by bracket so that the rungs of different brackets do not hide each other.
# Small subsamples give noisy, lower scores, yet they are enough to tell the
# hopeless candidates from the good ones. A candidate is promoted as soon as it
# is certain to be in the best third of its rung, before the rung's last fits
# end (with ``scheduling="asynchronous"``: as soon as it is in the best third of
# the finished results of its rung).
# ``best_params_`` and ``best_score_`` (the star) come from the candidates
# evaluated on the largest budget only, as in
# :class:`~sklearn.model_selection.HalvingRandomSearchCV`.
results = search.cv_results_
n_resources = np.asarray(results["n_resources"])
scores = np.asarray(results["mean_test_score"])
bracket_of = np.asarray(results["bracket"])
keys = [(s, tuple(sorted(p.items()))) for s, p in zip(bracket_of, results["params"])]
shift = 1.07 ** (bracket_of - bracket_of.max() / 2)

fig, ax = plt.subplots(figsize=(7.2, 4.5))
for key in set(keys):
    rows = [i for i, k in enumerate(keys) if k == key]
    if len(rows) > 1:
        ax.plot(
            n_resources[rows] * shift[rows],
            scores[rows],
            color="0.75",
            linewidth=0.8,
            zorder=1,
        )
for s, color in zip(sorted(set(bracket_of), reverse=True), colors):
    rows = bracket_of == s
    ax.scatter(
        n_resources[rows] * shift[rows],
        scores[rows],
        color=color,
        s=18,
        label=f"bracket {s}",
        zorder=2,
    )
best = search.best_index_
ax.scatter(
    n_resources[best] * shift[best],
    scores[best],
    marker="*",
    s=250,
    color="tab:red",
    edgecolor="black",
    label="best_index_",
    zorder=3,
)
ax.set_xscale("log")
ax.set_xlabel("samples of X (n_resources)")
ax.set_ylabel("mean CV accuracy")
ax.set_title("HyperbandSearchCV(sampler='bohb') on SGDClassifier")
ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()
plt.show()

# %%
# Hyperband and HalvingRandomSearchCV
# -----------------------------------
#
# :class:`~sklearn.model_selection.HalvingRandomSearchCV` with the same factor and
# budgets runs a single bracket, the most aggressive one, waiting for each rung to
# end before it promotes. Its budgets count samples of ``X`` too: 100 to 8,100,
# as above. Hyperband hedges: its other brackets give fewer candidates
# a larger first budget, in case small subsamples rank candidates poorly, and it
# pays for that. The cost column adds up ``n_resources`` over all evaluations, in
# units of the largest budget. With a single seed, the best scores say little
# about which search is better on this problem.
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingRandomSearchCV

halving = HalvingRandomSearchCV(
    estimator,
    param_distributions,
    factor=3,
    min_resources=100,
    cv=3,
    n_jobs=2,
    random_state=0,
).fit(X, y)

print("                       started  evaluations  cost  best_score_")
for name, fitted in [("HyperbandSearchCV", search), ("HalvingRandomSearchCV", halving)]:
    res = fitted.cv_results_
    started = int(np.sum(np.asarray(res["iter"]) == 0))
    cost = np.sum(res["n_resources"]) / np.max(res["n_resources"])
    print(
        f"{name:<21}  {started:>7}  {len(res['params']):>11}  {cost:>4.1f}  "
        f"{fitted.best_score_:.3f}"
    )
