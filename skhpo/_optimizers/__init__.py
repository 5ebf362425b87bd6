# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Ask/tell optimizers on the unit hypercube, free of scikit-learn (private API)."""
