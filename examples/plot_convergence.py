# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""
==================================================
Plotting a search: convergence, slices, importance
==================================================

The displays of :mod:`skhpo.plots` draw a fitted search: how fast it found its
best score, where it looked, and which parameters mattered. This example tunes a
support vector classifier with the four skhpo strategies and draws each display.
"""

# %%
# Four searches of one space
# --------------------------
#
# An SVC on part of the digits data, tuned over ``C`` and ``gamma`` (log-uniform)
# and ``shrinking``, which changes the solver's speed but not its result: it should
# come out unimportant.
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from skhpo import BayesSearchCV, EvolutionarySearchCV, HyperbandSearchCV, PSOSearchCV

X, y = load_digits(return_X_y=True)
X, y = X[:500], y[:500]
space = {
    "C": loguniform(1e-2, 1e3),
    "gamma": loguniform(1e-5, 1e0),
    "shrinking": [True, False],
}
common = {"cv": 3, "random_state": 0}
searches = [
    BayesSearchCV(SVC(), space, n_iter=24, **common),
    HyperbandSearchCV(SVC(), space, n_brackets=2, **common),
    EvolutionarySearchCV(SVC(), space, n_iter=24, **common),
    PSOSearchCV(SVC(), space, n_iter=24, **common),
]
for search in searches:
    search.fit(X, y)

# %%
# Convergence
# -----------
#
# :class:`~skhpo.plots.ConvergenceDisplay` draws the best score so far (a step
# line) and each candidate's score (points). Drawing every search on the same
# axes compares them. For Hyperband, the line only counts the candidates evaluated
# on all the samples, as its ``best_score_`` does; its points include the cheap
# evaluations on fewer samples.
import matplotlib.pyplot as plt

from skhpo.plots import ConvergenceDisplay

fig, (ax_n, ax_t) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for search in searches:
    ConvergenceDisplay.from_estimator(search, ax=ax_n)
    ConvergenceDisplay.from_estimator(search, x="time", ax=ax_t)
ax_n.set_ylim(0.5, 1.0)
ax_t.get_legend().remove()
fig.tight_layout()

# %%
# Where the Bayesian search looked
# --------------------------------
#
# :class:`~skhpo.plots.SliceDisplay` draws the score against each parameter,
# colored by the batch (``iter``) of each candidate: after its initial design, the
# Bayesian search narrows down on the good values of ``gamma``.
from skhpo.plots import SliceDisplay

display = SliceDisplay.from_estimator(searches[0])

# %%
# Which parameters mattered
# -------------------------
#
# :class:`~skhpo.plots.ImportanceDisplay` fits a random forest to the scores of
# the evaluated candidates and splits the variance of its predictions over the
# space between the parameters (a functional ANOVA). ``gamma`` explains most of
# it; ``shrinking`` next to nothing. The estimate describes the surrogate: with a
# few dozen candidates it is rough, which is why it is computed here from the
# evolutionary search, whose candidates are spread more widely than those of the
# Bayesian search.
from skhpo.plots import ImportanceDisplay

display = ImportanceDisplay.from_estimator(searches[2], random_state=0)
display.figure_.tight_layout()
for name, share in zip(display.param_names, display.importances):
    print(f"{name:>10}: {share:.2f}")
plt.show()
