# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""The tests of scikit-learn's suite an skhpo class is expected to fail, and why.

Read by ``skhpo_sklearn_suite.py``, which marks each one ``xfail(strict=True)``,
and by the docs page "Moving from RandomizedSearchCV" (doc/user_guide/
migrating.rst), which lists them. Keys are test names, with or without their
parameters. Only differences a user's code cannot trip over belong here: the
values or order of the candidates a strategy proposes, and the extra columns
skhpo documents in ``cv_results_``.
"""

# Every class standing in for RandomizedSearchCV.
RANDOMIZED = {
    "test_random_search_cv_results": (
        "cv_results_ has skhpo's documented extra column 'iter' (the batch in "
        "which each candidate was proposed); the test lists the exact keys"
    ),
    "test_search_with_2d_array": (
        "the test checks the values RandomizedSearchCV draws with random_state=0 "
        "(3 of a grid of 4); a strategy proposes other ones"
    ),
}
# HyperbandSearchCV with n_candidates, standing in for HalvingRandomSearchCV.
HALVING = {
    "test_input_errors[params4-must yield consistent folds-"
    "HyperbandSearchCVAsHalvingRandomSearchCV]": (
        "skhpo computes the CV splits once and scores every candidate on them, "
        "so a shuffling splitter without random_state (KFold(shuffle=True)) is "
        "fine; HalvingRandomSearchCV, which splits again at each iteration, "
        "refuses it"
    ),
    "test_input_errors[params5-must yield consistent folds-"
    "HyperbandSearchCVAsHalvingRandomSearchCV]": (
        "the same, for ShuffleSplit() without random_state"
    ),
    "test_random_search_discrete_distributions[param_distributions1-10]": (
        "skhpo never evaluates a candidate twice: randint(1, 3) holds two "
        "candidates, where HalvingRandomSearchCV draws n_candidates=10 with "
        "repeats"
    ),
    "test_halving_random_search_list_of_dicts": (
        "cv_results_ has HyperbandSearchCV's documented extra columns 'bracket' "
        "and 'continued'; the test lists the exact keys"
    ),
}
BY_CLASS = {
    "bayes": RANDOMIZED,
    "evolutionary": RANDOMIZED,
    "pso": RANDOMIZED,
    "hyperband": HALVING,
}


def expected(name):
    """``{test name: reason}`` for the class ``name`` (``SKHPO_STAND_IN``)."""
    return dict(BY_CLASS[name])
