# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""The docstring entries every search class shares, written once.

A class docstring names them as ``{estimator}``, ``{shared_parameters}`` and so on;
``fill_doc`` substitutes them when the class is defined, so ``help()``, numpydoc
and Sphinx all see the full text, and a fix here reaches all four classes.
"""

import textwrap

_ENTRIES = {
    "estimator": """
estimator : estimator object
    An object of that type is instantiated for each candidate. This is assumed to
    implement the scikit-learn estimator interface. Either estimator needs to
    provide a ``score`` function, or ``scoring`` must be passed.

param_distributions : dict or list of dicts
    Dictionary with parameter names (``str``) as keys and, as values, the space of
    each parameter: a list, tuple or 1-d array of choices (any objects), a frozen
    :mod:`scipy.stats` distribution (continuous or discrete, used as the prior
    through its quantile function), or a :class:`~skhpo.space.Real`,
    :class:`~skhpo.space.Integer` or :class:`~skhpo.space.Categorical`. A list of
    dicts is a conditional space: each candidate comes from exactly one of the
    dicts. Names follow scikit-learn (``clf__C`` inside a pipeline).
""",
    "shared_parameters": """
scoring : str, callable, list, tuple or dict, default=None
    Strategy to evaluate the performance of the cross-validated model on the test
    set, as in :class:`~sklearn.model_selection.GridSearchCV`. With multi-metric
    scoring, the search is driven by the ``refit`` metric, or by the first metric
    when ``refit`` is a callable or ``False``.

n_jobs : int, default=None
    Number of jobs to run in parallel. ``None`` means 1 unless in a
    :obj:`joblib.parallel_config` context. ``-1`` means using all processors. Any
    joblib backend (``loky``, ``threading``, dask, ray) runs the fits; results do
    not depend on it.

refit : bool, str, or callable, default=True
    Refit an estimator using the best found parameters on the whole dataset, as in
    :class:`~sklearn.model_selection.GridSearchCV`.

cv : int, cross-validation generator or an iterable, default=None
    Determines the cross-validation splitting strategy, as in
    :class:`~sklearn.model_selection.GridSearchCV`. The splits are computed once:
    every candidate is scored on the same folds, even with a randomized splitter.

verbose : int, default=0
    Controls the verbosity: ``>0`` prints a line per batch with the best score so
    far; higher values also print scikit-learn's per-fit messages.

pre_dispatch : int or str, default='2*n_jobs'
    Controls the number of jobs that get dispatched during parallel execution, as
    in :class:`~sklearn.model_selection.GridSearchCV`.

random_state : int, RandomState instance or None, default=None
    The only source of randomness of the search. Pass an int for results that are
    reproducible across calls and identical for any ``n_jobs`` and backend.

error_score : 'raise' or numeric, default=np.nan
    Value to assign to the score if an error occurs in estimator fitting. With a
    numeric value the search goes on, records the failure, and the strategy takes
    the candidate as the worst seen, so it learns to avoid the region.

return_train_score : bool, default=False
    If ``False``, the ``cv_results_`` attribute will not include training scores.

max_time : float, default=None
    Time budget in seconds: no new batch is started once it has passed.

n_iter_no_change : int, default=None
    Stop once that many candidates in a row did not improve the best score.

checkpoint : str or path-like, default=None
    A file in which every finished batch is recorded (JSON lines), durably,
    before the next batch starts. A later ``fit`` with the same path, data,
    estimator, ``param_distributions``, ``cv`` and ``scoring`` resumes the search:
    the recorded candidates are read back instead of being fitted again, and the
    final ``cv_results_`` are those of an uninterrupted run. A file written for
    anything else raises a ``ValueError`` and is left untouched. ``n_jobs``,
    ``verbose``, ``pre_dispatch`` and ``max_time`` may change between the runs,
    and a larger budget (``n_iter``, ``n_brackets``) continues a finished search
    without fitting again what it fitted. See :ref:`long_searches`.

fit_timeout : float, default=None
    Seconds one fit (one candidate on one CV split) may run. A longer fit is
    stopped where the joblib backend can stop it (a worker process is ended and
    replaced) and recorded as failed with ``error_score``, with a warning naming
    the candidate; every other fit goes on. A thread (``threading`` backend) or a
    task already running on a dask worker cannot be stopped: it is abandoned and
    left to finish in the background. With one worker, the fits then run in a
    worker process instead of this one. ``None`` sets no limit. See
    :ref:`parallel`.

scheduling : {"reproducible", "asynchronous"}, default="reproducible"
    When the strategy learns each result. ``"reproducible"``: results are told
    in the order the candidates were proposed, and each new proposal knows the
    results of every candidate proposed more than ``max_pending`` candidates
    before it, so a fixed ``random_state`` gives the same ``cv_results_``
    whatever ``n_jobs`` and the joblib backend are. ``"asynchronous"``: each
    result is told as soon as its candidate's last fit ends and a candidate is
    proposed whenever a worker is free; no worker waits for a slow candidate,
    but the candidates depend on finishing times and differ between runs. See
    :ref:`parallel`.

max_pending : int, default=2
    In the reproducible mode, how many of the latest candidates a new proposal
    may be made without waiting for; their fits keep the workers busy
    meanwhile. Up to ``max_pending + 1`` batches of candidates are evaluated at
    once. A larger value keeps more workers busy, at some cost in what each
    proposal knows; on a cluster, prefer ``scheduling="asynchronous"``. ``0``
    proposes each batch only once every earlier one is finished.

initial_params : list of dict or dict, default=None
    Candidates to evaluate first, before any the strategy proposes (optuna's
    enqueued trials): known good settings, the estimator's defaults, the best of
    an earlier search. Each dict sets every parameter of one dict of
    ``param_distributions`` to a value of its space; they are checked before
    any fit. They are the first rows of ``cv_results_``, with the values given,
    count in the budget, and the strategy learns from their results as from its
    own (Hyperband starts its first bracket with them, so they go through its
    rungs as the others do). A candidate given twice is evaluated once. The
    ``cv_results_`` of an earlier search on the same data, ``cv`` and
    ``scoring`` continue that search: its candidates and their scores are taken
    as they are, without fitting anything again (not for Hyperband, which
    continues through its ``checkpoint``). See :ref:`long_searches`.

racing : bool or float, default=False
    Stop a candidate's cross-validation early once its first folds show it is
    worse than the best candidate evaluated on every fold (its reference: the
    best one known when it was proposed). Its folds run in waves (2, then 4, 8,
    ... folds in all); after each wave a one-sided paired t-test compares its
    scores with the reference's on the same folds, at level 0.05 with ``True``
    or at the level given as a float in (0, 0.5), and the rest of its folds are
    skipped once it is significantly worse (or once a fit failed). The reference
    of a Hyperband trial is the best with its resource. With multi-metric
    scoring the test uses the metric that drives the search. A raced-out
    candidate has NaN in the
    split columns of the folds it did not run, its means and standard
    deviations over the folds that ran, the number of those in the column
    ``n_splits_run`` (present whenever racing is on), and ranks below every
    candidate evaluated on all folds, so it is never ``best_``; the strategy
    learns from it through an estimate of its full-fold score. The decisions
    are the same for any ``n_jobs`` in the reproducible scheduling. See
    :ref:`racing`.
""",
    "shared_attributes": """
best_estimator_ : estimator
    Estimator that was chosen by the search, refitted on the whole dataset. Not
    available if ``refit=False``.

best_score_ : float
    Mean cross-validated score of the best_estimator.

best_params_ : dict
    Parameter setting that gave the best results on the hold out data.

best_index_ : int
    The index (of the ``cv_results_`` arrays) which corresponds to the best
    candidate parameter setting.

scorer_ : function or a dict
    Scorer function used on the held out data to choose the best parameters for the
    model.

n_splits_ : int
    The number of cross-validation splits (folds/iterations).

refit_time_ : float
    Seconds used for refitting the best model on the whole dataset.

multimetric_ : bool
    Whether or not the scorers compute several metrics.

classes_ : ndarray of shape (n_classes,)
    The classes labels. Only available with ``refit`` and a classifier.

n_features_in_ : int
    Number of features seen during :term:`fit`. Only available with ``refit``.

feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of features seen during :term:`fit`. Only defined if ``best_estimator_``
    is defined and has them.
""",
}


def fill_doc(cls):
    """Substitute the shared entries into ``cls.__doc__``, at its indentation."""
    doc = cls.__doc__
    for name, text in _ENTRIES.items():
        # str.replace, not str.format: examples in docstrings hold literal braces
        doc = doc.replace(
            "{" + name + "}", textwrap.indent(text.strip("\n"), "    ")[4:]
        )
    cls.__doc__ = doc
    return cls
