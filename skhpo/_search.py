# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""The one search engine every skhpo ``*SearchCV`` class runs on.

``BaseStrategySearchCV`` connects an ask/tell optimizer on the unit hypercube
(``skhpo._optimizers``) to scikit-learn's ``BaseSearchCV``: it turns the optimizer's
points into candidates through the search space, runs each of their
cross-validation fits as a task of the scheduler (``_scheduler.py``: joblib's
backend in force, or a cluster's) in the ask/tell loop (``_loop.py``), and tells
the optimizer the losses as candidates complete. Everything strategies share lives
here and only here: the budget and the stopping rules, the frozen CV splits, the
score that drives the search, failure handling, the checkpoint and ``cv_results_``,
built once at the end.
"""

import contextlib
import difflib
import os
import pickle
import time
import warnings
from abc import abstractmethod
from collections import defaultdict
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn import config_context, get_config
from sklearn.base import clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state, indexable

from skhpo._checkpoint import Journal, new_header
from skhpo._loop import AskTellLoop
from skhpo._racing import check_racing, fill_unrun, mask_unrun
from skhpo._scheduler import Scheduler
from skhpo.space import SearchSpace
from skhpo.utils._fixes import (
    INCONSISTENT_SPLITS,
    BaseSearchCV,
    Interval,
    StrOptions,
    callback_root,
    check_method_params,
    error_scores,
    fit_and_score,
    fit_context,
    get_scorers,
    insert_error_scores,
    public_scorers,
    warn_or_raise_about_fit_failures,
)

_SEED_MAX = np.iinfo(np.int32).max


def _valid_param_names(estimator, subspace):
    """Names ``set_params`` accepts for a candidate of ``subspace``.

    Besides the estimator's own deep parameters, a parameter whose choices are
    estimators (``{"clf": [SVC(), LogisticRegression()]}``) opens the names of those
    estimators' parameters (``clf__C``, ``clf__penalty``...).
    """
    names = set(estimator.get_params(deep=True))
    for name, dimension in subspace.items():
        for choice in getattr(dimension, "categories", ()):
            if hasattr(choice, "get_params") and not isinstance(choice, type):
                names.update(f"{name}__{key}" for key in choice.get_params(deep=True))
    return names


def _settable(estimator, name, dimension):
    """Whether ``set_params`` takes ``name`` though ``get_params`` does not list
    it (an estimator taking ``**kwargs``, scikit-learn's minimal estimators):
    tried on a clone with a value of ``dimension``."""
    value = dimension._decode(np.array([0.5]))[0]
    try:
        clone(estimator).set_params(**{name: value})
    except Exception:  # whatever set_params raises for a name it does not know
        return False
    return True


class BaseStrategySearchCV(BaseSearchCV):
    """Base class of the skhpo searches: an ask/tell optimizer driving BaseSearchCV.

    Subclasses write out every constructor parameter and implement
    ``_make_optimizer(space, random_state)``; the engine does the rest.

    Warning: This class should not be used directly. Use the derived classes instead.
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict, list],
        "random_state": ["random_state"],
        "max_time": [Interval(Real, 0, None, closed="neither"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
        "checkpoint": [str, os.PathLike, None],
        "fit_timeout": [Interval(Real, 0, None, closed="neither"), None],
        "scheduling": [StrOptions({"reproducible", "asynchronous"})],
        "max_pending": [Interval(Integral, 0, None, closed="left")],
        "initial_params": [list, dict, None],
        "racing": ["boolean", Interval(Real, 0, 0.5, closed="neither")],
    }

    @abstractmethod
    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        max_time=None,
        n_iter_no_change=None,
        checkpoint=None,
        fit_timeout=None,
        scheduling="reproducible",
        max_pending=2,
        initial_params=None,
        racing=False,
    ):
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.param_distributions = param_distributions
        self.random_state = random_state
        self.max_time = max_time
        self.n_iter_no_change = n_iter_no_change
        self.checkpoint = checkpoint
        self.fit_timeout = fit_timeout
        self.scheduling = scheduling
        self.max_pending = max_pending
        self.initial_params = initial_params
        self.racing = racing

    @fit_context(
        # the wrapped estimator is validated by its own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None, **params):
        """Run the search: cross-validate candidates as the strategy asks, then refit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training vector, where `n_samples` is the number of samples and
            `n_features` is the number of features.

        y : array-like of shape (n_samples, n_output) or (n_samples,), default=None
            Target relative to X for classification or regression; None for
            unsupervised learning.

        **params : dict of str -> object
            Parameters passed to the ``fit`` method of the estimator, the scorer,
            and the CV splitter.

        Returns
        -------
        self : object
            Instance of fitted estimator.
        """
        # BaseSearchCV.fit, step by step, with skhpo's loop in place of
        # evaluate_candidates: the fits run as tasks of the scheduler and
        # cv_results_ is formatted once, at the end (see utils/_fixes.py for the
        # scikit-learn helpers used).
        scorers, refit_metric = get_scorers(self)
        X, y = indexable(X, y)
        params = check_method_params(X, params=params)
        routed = self._get_routed_params_for_fit(params)
        metadata = params.get("sample_weight")
        metadata = None if metadata is None else {"sample_weight": metadata}
        root_ctx = callback_root(self, X, y, metadata, 1 + (self.refit is not False))

        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self._checked_cv_orig = cv
        space = self._check_input_parameters(
            X=X, y=y, split_params=routed.splitter.split
        )
        self.n_splits_ = cv.get_n_splits(X, y, **routed.splitter.split)
        # Every candidate is scored on these very splits, even with a randomized
        # splitter: the folds are frozen for the whole search.
        splits = list(cv.split(X, y, **routed.splitter.split))
        if not splits:  # scikit-learn's error, raised before any worker starts
            raise ValueError(
                "No fits were performed. Was the CV iterator empty? "
                "Were there no candidates?"
            )
        if len(splits) != self.n_splits_:
            raise ValueError(INCONSISTENT_SPLITS.format(self.n_splits_, len(splits)))
        initial = self._check_initial_params(space, scorers, splits)
        base_estimator = clone(self.estimator)
        fit_kwargs = {
            "scorer": scorers,
            "fit_params": routed.estimator.fit,
            "score_params": routed.scorer.score,
            "return_train_score": self.return_train_score,
            "return_n_test_samples": True,
            "return_times": True,
            "return_parameters": False,
            "error_score": self.error_score,
            "verbose": self.verbose,
            "caller": self,
        }
        # What the CV fits and the refit fit: the estimator, or a strategy's
        # wrapper of it (Hyperband's partial_fit passes), unwrapped after the refit.
        to_fit = self._estimator_to_fit(base_estimator, y)
        data = _FitData(X, y, params, splits, to_fit, fit_kwargs, scorers)
        run = _SearchRun(self, data, space, root_ctx)
        run.initial, run.n_iter = self._initial_grid(space, initial)
        try:
            self._search(run)
            out = run.finish()
        except BaseException as exc:  # Ctrl-C, error_score="raise", a dead cluster
            run.note_checkpoint(exc)
            raise
        finally:
            run.close()

        # A raced-out candidate's unrun folds: stand-ins for the formatting,
        # NaN in cv_results_ after it (_racing.py).
        fits, unrun = fill_unrun(out.fits, self.n_splits_)
        if callable(self.scoring):
            insert_error_scores(fits, self.error_score)
        results = self._format_results(out.params, self.n_splits_, fits, out.more)
        if unrun is not None:
            times = {
                name: np.array(
                    [np.nan if fit is None else fit[name] for fit in out.fits]
                ).reshape(unrun.shape)
                for name in ("fit_time", "score_time")
            }
            failed = np.array(
                [fit is not None and fit["fit_error"] is not None for fit in out.fits]
            ).reshape(unrun.shape)
            mask_unrun(results, unrun, times, failed.any(axis=1))
        first_test_score = out.fits[0]["test_scores"]
        self.multimetric_ = isinstance(first_test_score, dict)
        if callable(self.scoring) and self.multimetric_:
            self._check_refit_for_multimetric(first_test_score)
            refit_metric = self.refit

        if self.refit or not self.multimetric_:
            self.best_index_ = self._select_best_index(
                self.refit, refit_metric, results
            )
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][
                    self.best_index_
                ]
            self.best_params_ = results["params"][self.best_index_]

        if self.refit:
            # The parameters are cloned too: they may be estimators (a Pipeline
            # step searched over), scikit-learn#26786.
            refitted = clone(to_fit).set_params(**clone(self.best_params_, safe=False))
            refit_ctx = (
                None
                if root_ctx is None
                else root_ctx.subcontext(task_name="refit-with-best-params")
            )
            with (
                contextlib.nullcontext()
                if refit_ctx is None
                else refit_ctx.propagate_callback_context(refitted)
            ):
                if refit_ctx is not None:
                    refit_ctx.call_on_fit_task_begin(
                        estimator=self, X=X, y=y, metadata=metadata
                    )
                refit_start_time = time.time()
                if y is not None:
                    refitted.fit(X, y, **routed.estimator.fit)
                else:
                    refitted.fit(X, **routed.estimator.fit)
                self.refit_time_ = time.time() - refit_start_time
            self.best_estimator_ = (
                refitted if to_fit is base_estimator else refitted.estimator_
            )
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_
            if refit_ctx is not None:
                refit_ctx.call_on_fit_task_end(
                    estimator=self, X=X, y=y, metadata=metadata
                )

        self.scorer_ = public_scorers(scorers)
        self.cv_results_ = results
        if root_ctx is not None:
            root_ctx.call_on_fit_task_end(estimator=self, X=X, y=y, metadata=metadata)
        return self

    # -- what a strategy supplies ---------------------------------------------------
    @abstractmethod
    def _make_optimizer(self, space, random_state):
        """Return the ask/tell optimizer for ``space``, seeded by ``random_state``."""

    def _estimator_to_fit(self, estimator, y):
        """The estimator the CV fits and the refit fit, ``estimator`` by default.

        A strategy may wrap it (Hyperband with ``resource="partial_fit"``); the
        refitted wrapper's ``estimator_`` is then ``best_estimator_``.
        """
        return estimator

    # -- checks before any fit ----------------------------------------------------
    def _check_input_parameters(self, X, y, split_params):
        """Build, check and return the search space, before the first fit."""
        # The search's random state draws the samples of the distributions that
        # only have rvs, as RandomizedSearchCV draws candidates from them.
        space = SearchSpace(self.param_distributions, random_state=self.random_state)
        for i, subspace in enumerate(space.subspaces):
            valid = _valid_param_names(self.estimator, subspace)
            for name, dimension in subspace.items():
                if name in valid or _settable(self.estimator, name, dimension):
                    continue
                where = (
                    f"param_distributions[{name!r}]"
                    if isinstance(self.param_distributions, dict)
                    else f"param_distributions[{i}][{name!r}]"
                )
                close = difflib.get_close_matches(name, sorted(valid), n=3)
                hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
                raise ValueError(
                    f"{where}: {name!r} is not a parameter of "
                    f"{type(self.estimator).__name__}.{hint} Valid names are listed "
                    f"by estimator.get_params().keys()."
                )
        return space

    # Whether initial_params may be a cv_results_ (Hyperband: no, see its class).
    _starts_from_results = True

    def _check_initial_params(self, space, scorers, splits):
        """``initial_params`` as ``(points (k, n_dims), k dicts, fits)``, or None.

        A list: dicts that must each set every parameter of one dict of
        ``param_distributions`` to a value of its space. A dict: the
        ``cv_results_`` of an earlier search on the same splits, whose candidates
        come with their results (``fits``: per candidate, one ``_fit_and_score``
        result per split, read from its columns; None for a list). A budget they
        do not fit in is an error too (``_initial_budget``).
        """
        initial = self.initial_params
        if initial is None or not len(initial):
            return None
        fits = None
        if isinstance(initial, dict):
            if not self._starts_from_results:
                raise ValueError(
                    f"initial_params: {type(self).__name__} takes a list of "
                    f"candidates, not the cv_results_ of a search; continue a "
                    f"search with its checkpoint instead (see long_searches)"
                )
            params, fits = _read_results(initial, scorers, splits, self)
        else:
            params = list(initial)
        try:
            X = space.encode(params)
        except (TypeError, ValueError) as exc:
            raise type(exc)(
                f"initial_params: {str(exc).replace('param_distributions: ', '')}"
            ) from None
        # A candidate given twice is evaluated once (the first one's results).
        first = {}
        for row, key in enumerate(space.keys(X)):
            first.setdefault(key, row)
        rows = list(first.values())
        budget = self._initial_budget()
        if budget is not None and len(rows) > budget:
            raise ValueError(
                f"initial_params holds {len(rows)} distinct candidates, more than "
                f"the n_iter={budget} the search evaluates"
            )
        return (
            X[rows],
            [dict(params[row]) for row in rows],
            None if fits is None else [fits[row] for row in rows],
        )

    def _initial_grid(self, space, initial):
        """``(initial, n_iter)`` for the loop: with no ``initial_params`` and a
        finite space that ``n_iter`` covers, every candidate of it, first and in
        grid order, as ``RandomizedSearchCV`` does (with its warning when there
        are fewer than ``n_iter``); the search ends with them."""
        n_iter = getattr(self, "n_iter", None)
        if initial is not None or n_iter is None:
            return initial, n_iter
        U = space.grid(n_iter)
        if U is None:
            return initial, n_iter
        if len(U) < n_iter:
            warnings.warn(
                f"The total space of parameters {len(U)} is smaller than "
                f"n_iter={n_iter}. Running {len(U)} iterations. For exhaustive "
                f"searches, use GridSearchCV.",
                UserWarning,
            )
        return (U, space.decode(U), None), len(U)

    def _initial_budget(self):
        """How many candidates ``initial_params`` may hold (None: checked later)."""
        return getattr(self, "n_iter", None)

    # -- the engine -----------------------------------------------------------------
    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        """Not used: skhpo's ``fit`` runs its own loop (``_search``).

        ``BaseSearchCV`` requires the method. skhpo does not evaluate candidates in
        batches through ``evaluate_candidates``: its engine submits each fit to a
        scheduler and reads the results as they finish.
        """
        raise NotImplementedError(
            f"{type(self).__name__} runs its own search loop: override _search(run) "
            f"instead of _run_search(evaluate_candidates)."
        )

    def _search(self, run):
        """Run the strategy's optimizer for ``n_iter`` candidates."""
        optimizer = self._make_optimizer(run.space, run.random_state)
        self._run_loop(run, optimizer, run.n_iter)

    def _run_loop(self, run, optimizer, budget, trial=None):
        """Run ``optimizer`` through the ask/tell loop (see _loop.py): the one
        search loop of every class.

        ``trial(params, resource) -> (params, splits)``, for a multi-fidelity
        optimizer: the parameters and CV splits (None: the frozen ones) of a
        candidate evaluated with ``resource``.
        """
        loop = AskTellLoop(
            run,
            optimizer,
            budget,
            asynchronous=self.scheduling == "asynchronous",
            max_pending=self.max_pending,
            trial=trial,
            initial=run.initial,
        )
        loop.run_loop()
        run.add_results(*loop.results())

    def _score_metric(self):
        """The metric that drives the search: ``None`` for the single score.

        With multi-metric scoring, the refit metric; when ``refit`` is a callable or
        False, the first metric of ``scoring``.
        """
        return self.refit if isinstance(self.refit, str) else None

    def _max_fits(self, run):
        """How many fits the search makes at most (its callbacks' total), or None."""
        return self.n_iter * len(run.splits)


class _FitData(NamedTuple):
    """What every fit of one search shares: shipped once to each worker."""

    X: object
    y: object
    params: dict  # the fit parameters, for the checkpoint's fingerprint
    splits: list  # the frozen CV splits, [(train, test), ...]
    estimator: object  # the unfitted clone every candidate starts from
    fit_kwargs: dict  # keyword arguments of _fit_and_score
    scorers: object


def _fit_one(
    shared,
    parameters,
    train,
    test,
    split_progress,
    candidate_progress,
    ctx,
    model=None,
    keep=False,
):
    """One task of the scheduler: fit and score one candidate on one split.

    Runs in a worker: scikit-learn's configuration (``set_config``) travels with
    the payload, as scikit-learn's own ``delayed`` carries it to joblib's workers.
    ``model`` (pickled) is a fitted model to continue (Hyperband's promotions);
    with ``keep``, the fitted model comes back pickled, so that the bytes the
    search holds are exactly what it costs (one pickling each way).
    """
    data, config = shared
    estimator = clone(data.estimator) if model is None else pickle.loads(model)
    with config_context(**config):
        out = fit_and_score(
            estimator,
            data.X,
            data.y,
            train=train,
            test=test,
            parameters=parameters,
            split_progress=split_progress,
            candidate_progress=candidate_progress,
            callback_ctx=ctx,
            return_estimator=keep,
            **data.fit_kwargs,
        )
    fitted = out.pop("estimator", None)
    if keep and out["fit_error"] is None:
        # A model pickle cannot carry (a lambda inside...) is refitted instead.
        with contextlib.suppress(pickle.PicklingError, TypeError, AttributeError):
            out["model"] = pickle.dumps(fitted, protocol=pickle.HIGHEST_PROTOCOL)
    return out


class _Results(NamedTuple):
    """Everything ``BaseSearchCV._format_results`` needs, gathered once."""

    params: list  # one dict per candidate, in the order of cv_results_
    fits: list  # _fit_and_score results, candidate-major
    more: dict  # extra cv_results_ columns (iter, bracket, n_resources...)


class _SearchRun:
    """What one ``fit`` of a search shares between the engine and its strategy.

    The data and frozen CV splits, the random state, the time budget and stopping
    rules, the callback context, and ``evaluate``: the only place candidates are
    cross-validated and their scores turned into losses.
    """

    def __init__(self, search, data, space, root_ctx):
        self.search = search
        self.data = data
        self.space = space
        self.journal = None
        self.initial = None  # initial_params: (points, dicts), evaluated first
        self.n_iter = None  # the candidates to evaluate (a grid may have fewer)
        if search.checkpoint is None:
            self.random_state = check_random_state(search.random_state)
        else:
            self._open_journal()
        self.state = _SearchState()
        self.racing_alpha = check_racing(search.racing)
        self.start = time.monotonic()
        self.n_batches = 0
        self.n_tasks = 0  # fits submitted, for the callbacks' task ids
        self.params, self.fits, self.more = [], [], defaultdict(list)
        self.ctx = None
        if root_ctx is not None:
            self.ctx = root_ctx.subcontext(
                task_name="search",
                max_subtasks=search._max_fits(self),
                sequential_subtasks=False,
            ).call_on_fit_task_begin(estimator=search)
        self.scheduler = Scheduler(
            search.n_jobs,
            shared=(data, get_config()),
            fit_timeout=search.fit_timeout,
        )

    @property
    def X(self):
        return self.data.X

    @property
    def y(self):
        return self.data.y

    @property
    def splits(self):
        return self.data.splits

    def _open_journal(self):
        """Open (or create) the checkpoint, and seed the search from it.

        An integer ``random_state`` is the seed, and must be the checkpoint's; with
        ``None`` or a ``RandomState`` a seed is drawn for a new checkpoint, and a
        resumed one continues with the seed it recorded, so it can replay the run.
        """
        search = self.search
        seeded = isinstance(search.random_state, Integral)
        seed = (
            int(search.random_state)
            if seeded
            else int(check_random_state(search.random_state).randint(_SEED_MAX))
        )
        header = new_header(search, self.data._asdict(), seed)
        self.journal = Journal(search.checkpoint, header, check_seed=seeded)
        # A fixed integer gives the very generator it gives without a checkpoint.
        self.random_state = check_random_state(
            search.random_state if seeded else self.journal.seed
        )

    def should_stop(self):
        """Whether ``max_time`` or ``n_iter_no_change`` ends the search."""
        search, state = self.search, self.state
        elapsed = time.monotonic() - self.start
        # The first batch always runs: a search needs one candidate for its
        # cv_results_ and best_*, even with a max_time of microseconds.
        if (
            search.max_time is not None
            and self.n_batches
            and elapsed >= search.max_time
        ):
            return True
        if search.n_iter_no_change is not None:
            return state.since_best >= search.n_iter_no_change
        return False

    # -- what the loops use ----------------------------------------------------------
    def submit_fit(
        self,
        task_id,
        parameters,
        split,
        candidate_progress,
        splits=None,
        model=None,
        keep=False,
    ):
        """Start fitting ``parameters`` on split number ``split``, as a task.

        ``model``: a fitted model (pickled) to continue instead of a clone of the
        estimator; ``keep``: send the fitted model back (pickled, as ``"model"``).
        """
        splits = self.splits if splits is None else splits
        train, test = splits[split]
        ctx = None
        if self.ctx is not None:
            ctx = self.ctx.subcontext(
                task_name="candidate-split-evaluation", task_id=self.n_tasks
            )
        self.n_tasks += 1
        self.scheduler.submit(
            task_id,
            _fit_one,
            parameters,
            train,
            test,
            (split, len(splits)),
            candidate_progress,
            ctx,
            model,
            keep,
        )

    def score_of(self, fit):
        """The score that drives the search, of one fit."""
        return _score_of(fit["test_scores"], self.search._score_metric())

    def loss_of(self, fits):
        """The loss of one candidate from its fits: NaN for any failure.

        Optimizers minimise: the score that drives the search becomes a loss here
        and nowhere else. A candidate with any failed fit is a failure, whatever
        numeric ``error_score`` stood in for its score.
        """
        if any(fit["fit_error"] is not None for fit in fits):
            return np.nan
        metric = self.search._score_metric()
        scores = [_score_of(fit["test_scores"], metric) for fit in fits]
        loss = -float(np.mean(scores))
        return loss if np.isfinite(loss) else np.nan

    def batch_done(self, n, recorded=False):
        """Count a finished batch of ``n`` candidates; report it under ``verbose``."""
        self.n_batches += 1
        search = self.search
        if search.verbose > 0:
            # Hyperband has no best score until a candidate ran on the full budget.
            best = self.state.best_loss
            best = "none yet" if np.isinf(best) else f"{-best:.5g}"
            print(
                f"[{type(search).__name__}] batch {self.n_batches}: {n} "
                f"candidate{'s' if n != 1 else ''}"
                f"{' (read from the checkpoint)' if recorded else ''}, "
                f"{self.state.n_evaluated} evaluated, best score {best}, "
                f"{time.monotonic() - self.start:.1f}s elapsed"
            )

    def add_results(self, params, fits, more):
        """Rows of ``cv_results_``: candidates, their fits, extra columns."""
        self.params += list(params)
        self.fits += list(fits)
        for key, values in more.items():
            self.more[key] += list(values)

    def note_checkpoint(self, exc):
        """Tell where the finished batches are, on an error that ends the search."""
        if self.journal is not None and hasattr(exc, "add_note"):
            exc.add_note(
                f"skhpo: the {len(self.journal.records)} finished batches of this "
                f"search are in checkpoint {self.journal.path!r}; the same fit "
                f"resumes from them."
            )

    def _fit_result(self, outcome, parameters, split):
        """The ``_fit_and_score`` result of a task, made up for a lost fit."""
        if outcome.ok:
            return outcome.value
        search = self.search
        if outcome.status == "error" or search.error_score == "raise":
            # An error _fit_and_score did not catch (error_score="raise", a
            # result that cannot be sent back...) ends the search, as it does
            # scikit-learn's.
            if outcome.exception is not None:
                raise outcome.exception
            raise TimeoutError(f"Fit of {parameters!r}: {outcome.message}")
        warnings.warn(
            f"Fit of candidate {parameters!r} on split {outcome.task_id[1]} failed: "
            f"{outcome.message}. It is recorded with "
            f"error_score={search.error_score!r} and the search goes on.",
            FitFailedWarning,
        )
        scores = error_scores(self.data.scorers, search.error_score)
        result = {
            "fit_error": f"skhpo: {outcome.message}",
            "test_scores": scores,
            "n_test_samples": len(split[1]),
            "fit_time": outcome.elapsed,
            "score_time": 0.0,
        }
        if search.return_train_score:
            result["train_scores"] = scores
        return result

    def finish(self):
        """Close the callback context, check the failures; return the results."""
        search, state = self.search, self.state
        if self.ctx is not None:
            self.ctx.call_on_fit_task_end(estimator=search)
        # scikit-learn's own check over every fit: "All the N fits failed" raises,
        # a partial failure warns (FitFailedWarning) with the errors counted.
        warn_or_raise_about_fit_failures(
            [fit for fit in self.fits if fit is not None], search.error_score
        )
        # Some failed candidates: scikit-learn's warnings say it, and no other
        # (FitFailedWarning above; "One or more of the test scores are
        # non-finite" when cv_results_ is formatted), so that filters and tests
        # written for scikit-learn's searches match skhpo's the same.
        if state.n_evaluated and state.n_failed == state.n_evaluated:
            raise ValueError(
                f"All the {state.n_evaluated} candidates failed: every score was "
                f"non-finite. It is very likely that the estimator or the search "
                f"space is misconfigured."
            )
        return _Results(self.params, self.fits, self.more)

    def close(self):
        self.scheduler.close()


def _read_results(results, scorers, splits, search):
    """The candidates of a ``cv_results_`` and their fits, one per split.

    The columns must be those this search would write: one ``split<k>_test_<m>``
    per split ``k`` of ``splits`` and metric ``m`` of ``scorers`` (``score`` for a
    single one), and the train scores with ``return_train_score``. A Hyperband's
    rows evaluated with less than its largest resource are left out. Each fit
    gets the candidate's mean fit and score times.
    """
    if "params" not in results:
        raise ValueError(
            "initial_params: a dict must be the cv_results_ of a search, with its "
            "'params' column"
        )
    template = error_scores(scorers, np.nan)
    metrics = list(template) if isinstance(template, dict) else ["score"]
    kinds = ["test", "train"] if search.return_train_score else ["test"]
    n_splits = len(splits)
    missing = [
        f"split{k}_{kind}_{m}"
        for kind in kinds
        for m in metrics
        for k in range(n_splits)
        if f"split{k}_{kind}_{m}" not in results
    ]
    if missing or f"split{n_splits}_test_{metrics[0]}" in results:
        what = f"no column {missing[0]!r}" if missing else "more splits"
        raise ValueError(
            f"initial_params: these cv_results_ do not hold the scores of "
            f"{n_splits} CV splits for scoring {metrics}"
            f"{' with train scores' if len(kinds) > 1 else ''} ({what}): they "
            f"come from a search with other cv, scoring or return_train_score"
        )
    rows = range(len(results["params"]))
    if "n_resources" in results:  # Hyperband: its full evaluations only
        resources = np.asarray(results["n_resources"], dtype=float)
        rows = np.flatnonzero(resources == resources.max())

    def scores(kind, row, k):
        values = {m: float(results[f"split{k}_{kind}_{m}"][row]) for m in metrics}
        return values if isinstance(template, dict) else values["score"]

    n = len(results["params"])
    fit_times = np.asarray(results.get("mean_fit_time", np.zeros(n)), dtype=float)
    score_times = np.asarray(results.get("mean_score_time", np.zeros(n)), dtype=float)
    # A raced-out candidate (racing=True) ran only its first n_splits_run folds.
    n_run = np.asarray(results.get("n_splits_run", np.full(n, n_splits)), dtype=int)
    params, fits = [], []
    for row in rows:
        params.append(results["params"][row])
        fit_time, score_time = float(fit_times[row]), float(score_times[row])
        candidate = []
        for k, (_, test) in enumerate(splits):
            if k >= n_run[row]:
                candidate.append(None)
                continue
            fit = {
                "test_scores": scores("test", row, k),
                "n_test_samples": len(test),
                "fit_time": fit_time,
                "score_time": score_time,
                "fit_error": None,
            }
            if search.return_train_score:
                fit["train_scores"] = scores("train", row, k)
            candidate.append(fit)
        fits.append(candidate)
    return params, fits


def _score_of(test_scores, metric):
    """The score that drives the search, from one fit's ``test_scores``."""
    if isinstance(test_scores, dict):
        if metric is None:
            metric = next(iter(test_scores))
        return test_scores[metric]
    return test_scores


class _SearchState:
    """Counters of one search, for the stopping rules and the final checks."""

    def __init__(self):
        self.n_evaluated = 0
        self.n_failed = 0
        self.best_loss = np.inf
        self.since_best = 0  # candidates in a row that did not improve the best

    def record(self, losses, counts):
        """Count losses; ``counts`` says which ones ``n_iter_no_change`` watches."""
        for loss, watched in zip(losses, counts):
            self.n_evaluated += 1
            if np.isnan(loss):
                self.n_failed += 1
            if not watched:
                continue
            if loss < self.best_loss:  # False for NaN
                self.best_loss = loss
                self.since_best = 0
            else:
                self.since_best += 1
