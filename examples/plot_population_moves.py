# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""
==========================================================
How populations move: genetic algorithm, CMA-ES and swarm
==========================================================

This example shows, on a two-parameter problem, how the candidates of
:class:`~skhpo.EvolutionarySearchCV` (``strategy="ga"`` and ``"cma-es"``) and
:class:`~skhpo.PSOSearchCV` move from one generation to the next and gather in the
good region of the space.
"""

# %%
# The problem
# -----------
#
# A support vector classifier on a subset of the digits data, tuned over ``C`` and
# ``gamma`` on wide log-uniform ranges, as in
# :ref:`sphx_glr_auto_examples_plot_bayes_search.py`. Every search gets the same
# space, the same cross-validation splits, 60 candidates and the same seed.
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
n_iter = 60

# %%
# The score landscape
# -------------------
#
# To draw what the searches cannot see, a coarse grid of the same square is
# cross-validated once. The good region is a wedge: a larger ``C`` can make up for
# a smaller ``gamma``, while too large a ``gamma`` fails whatever ``C``.
import numpy as np
from sklearn.model_selection import GridSearchCV

C_grid = np.logspace(-3, 3, 10)
gamma_grid = np.logspace(-6, 1, 12)
grid = GridSearchCV(SVC(), {"C": C_grid, "gamma": gamma_grid}, cv=cv).fit(X, y)
# GridSearchCV varies the last parameter fastest: rows follow C, columns gamma.
landscape = grid.cv_results_["mean_test_score"].reshape(len(C_grid), len(gamma_grid))

# %%
# Running the searches
# --------------------
#
# Each strategy proposes one generation (or swarm step) at a time, and the
# ``iter`` column of ``cv_results_`` records which one proposed each candidate. By
# default, the genetic algorithm evolves 10 candidates per generation, CMA-ES 6
# (``4 + 3 ln d`` for ``d = 2`` parameters) and the swarm has 12 particles.
from sklearn.model_selection import RandomizedSearchCV

from skhpo import EvolutionarySearchCV, PSOSearchCV

common = {"n_iter": n_iter, "cv": cv, "random_state": 0}
searches = {
    "genetic algorithm": EvolutionarySearchCV(
        SVC(), param_distributions, strategy="ga", **common
    ),
    "CMA-ES": EvolutionarySearchCV(
        SVC(), param_distributions, strategy="cma-es", **common
    ),
    "particle swarm": PSOSearchCV(SVC(), param_distributions, **common),
    "random search": RandomizedSearchCV(SVC(), param_distributions, **common),
}
for name, search in searches.items():
    search.fit(X, y)
    iters = search.cv_results_.get("iter")
    steps = "" if iters is None else f", {np.max(iters) + 1} generations or steps"
    print(f"{name:>17}: best accuracy {search.best_score_:.3f}{steps}")

# %%
# Where the candidates go
# -----------------------
#
# Each panel shows one search's 60 candidates in the ``(log C, log gamma)`` plane,
# coloured by the generation that proposed them, over the grid's accuracy. The
# first generation covers the square (a scrambled Sobol design for the genetic
# algorithm and the swarm) or a wide part of it (CMA-ES samples a Gaussian around a
# random point, with a standard deviation of 0.3 times each range); later
# ones gather in the wedge of good scores. The genetic algorithm keeps mutating a
# few children away from the wedge. CMA-ES draws only six candidates per
# generation and adapts its distribution gradually, so after ten generations its
# samples have moved into the wedge but are still spread out. The particles, pulled
# towards their own best and the swarm's, gather around the best candidate found.
import matplotlib.pyplot as plt
from matplotlib.colors import BoundaryNorm

fig, axes = plt.subplots(
    1, 3, figsize=(12, 4.6), sharex=True, sharey=True, layout="constrained"
)
levels = [0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 1.0]
for ax, name in zip(axes, ["genetic algorithm", "CMA-ES", "particle swarm"]):
    background = ax.contourf(
        np.log10(C_grid),
        np.log10(gamma_grid),
        landscape.T,
        levels=levels,
        cmap="Greys",
        norm=BoundaryNorm(levels, 256),
        alpha=0.7,
    )
    results = searches[name].cv_results_
    log_C = np.log10([p["C"] for p in results["params"]])
    log_gamma = np.log10([p["gamma"] for p in results["params"]])
    iters = np.asarray(results["iter"])
    n_generations = iters.max() + 1
    points = ax.scatter(
        log_C,
        log_gamma,
        c=iters,
        cmap=plt.get_cmap("plasma", n_generations),
        vmin=-0.5,
        vmax=n_generations - 0.5,
        s=30,
        edgecolor="black",
        linewidth=0.4,
    )
    best = searches[name].best_index_
    ax.scatter(
        log_C[best],
        log_gamma[best],
        marker="*",
        s=250,
        color="tab:red",
        edgecolor="black",
        zorder=3,
    )
    fig.colorbar(points, ax=ax, ticks=range(n_generations), label="iter")
    ax.set_title(name)
    ax.set_xlabel("log10 C")
axes[0].set_ylabel("log10 gamma")
fig.colorbar(
    background,
    ax=axes,
    location="bottom",
    shrink=0.5,
    aspect=40,
    label="mean CV accuracy on the grid (background)",
)
fig.suptitle("The 60 candidates of each search by generation, the best as a star")
plt.show()

# %%
# The best score so far
# ---------------------
#
# The rows of ``cv_results_`` are in the order the candidates were evaluated, so
# the running maximum of ``mean_test_score`` is the best accuracy after each
# candidate; the curves show the error, one minus it, on a log scale. This is one
# seed on one easy problem, which shows how the searches behave but does not rank
# them: their order can change with the seed.
fig, ax = plt.subplots(figsize=(6.4, 4))
for name, search in searches.items():
    best_so_far = np.fmax.accumulate(search.cv_results_["mean_test_score"])
    ax.step(
        np.arange(1, len(best_so_far) + 1),
        1 - best_so_far,
        where="post",
        linewidth=2,
        label=name,
    )
ax.set_yscale("log")
ax.set_xlabel("candidates evaluated")
ax.set_ylabel("1 - best mean CV accuracy so far")
ax.set_title("SVC on digits, one seed")
ax.legend(loc="upper right")
fig.tight_layout()
plt.show()
