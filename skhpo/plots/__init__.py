# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Plots of a fitted search, in scikit-learn's ``Display`` style.

Each display is built with ``from_estimator(search)`` and drawn with
``plot(ax=...)``. matplotlib is an optional dependency (``pip install
skhpo[plot]``), imported only when a display draws.
"""

from skhpo.plots._convergence import ConvergenceDisplay
from skhpo.plots._importance import ImportanceDisplay
from skhpo.plots._slice import SliceDisplay

__all__ = ["ConvergenceDisplay", "ImportanceDisplay", "SliceDisplay"]
