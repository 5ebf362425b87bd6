# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""scikit-learn compatible hyperparameter search that learns where to look."""

from importlib.metadata import PackageNotFoundError, version

from skhpo._bayes import BayesSearchCV
from skhpo._evolutionary import EvolutionarySearchCV
from skhpo._hyperband import HyperbandSearchCV
from skhpo._pso import PSOSearchCV

try:
    __version__ = version("skhpo")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "BayesSearchCV",
    "EvolutionarySearchCV",
    "HyperbandSearchCV",
    "PSOSearchCV",
    "__version__",
]
