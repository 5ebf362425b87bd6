# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Analytic test functions on the unit cube, shared by the optimizer tests.

Each takes points ``U`` of shape (n, d) in ``[0, 1]^d`` and returns the losses,
shape (n,), after an affine map to the function's usual domain. ``MINIMA`` holds
the global minimum of each, to report regret. Definitions from Surjanovic & Bingham,
"Virtual Library of Simulation Experiments" (sfu.ca/~ssurjano).
"""

import numpy as np

_HARTMANN6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_HARTMANN6_A = np.array(
    [
        [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
        [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
        [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
        [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
    ]
)
_HARTMANN6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def branin(U):
    """Branin-Hoo on [-5, 10] x [0, 15]; three global minima of 0.397887."""
    U = np.atleast_2d(U)
    x1, x2 = 15.0 * U[:, 0] - 5.0, 15.0 * U[:, 1]
    b, c, t = 5.1 / (4.0 * np.pi**2), 5.0 / np.pi, 1.0 / (8.0 * np.pi)
    return (x2 - b * x1**2 + c * x1 - 6.0) ** 2 + 10.0 * (1.0 - t) * np.cos(x1) + 10.0


def hartmann6(U):
    """Hartmann 6-d on [0, 1]^6; global minimum -3.32237."""
    U = np.atleast_2d(U)
    sq = (U[:, None, :] - _HARTMANN6_P[None]) ** 2  # (n, 4, 6)
    return -np.exp(-(sq * _HARTMANN6_A[None]).sum(-1)) @ _HARTMANN6_ALPHA


def rosenbrock(U):
    """Rosenbrock on [-2, 2]^d; global minimum 0 at (1, ..., 1)."""
    X = 4.0 * np.atleast_2d(U) - 2.0
    return (100.0 * (X[:, 1:] - X[:, :-1] ** 2) ** 2 + (1.0 - X[:, :-1]) ** 2).sum(1)


def rastrigin(U):
    """Rastrigin on [-5.12, 5.12]^d; global minimum 0 at the origin."""
    X = 10.24 * np.atleast_2d(U) - 5.12
    return 10.0 * X.shape[1] + (X**2 - 10.0 * np.cos(2.0 * np.pi * X)).sum(1)


MINIMA = {branin: 0.397887, hartmann6: -3.32237, rosenbrock: 0.0, rastrigin: 0.0}
