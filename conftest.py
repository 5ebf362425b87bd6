# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Collection rules for the doctests of skhpo/ (the tests have tests/conftest.py)."""

try:
    import matplotlib  # noqa: F401
except ImportError:
    # matplotlib is optional: without it, the doctests of skhpo.plots are not
    # collected (tests/test_plots.py skips with a reason instead).
    collect_ignore_glob = ["skhpo/plots/*.py"]
