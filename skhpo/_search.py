# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""The one search engine every skhpo ``*SearchCV`` class runs on.

``BaseStrategySearchCV`` connects an ask/tell optimizer on the unit hypercube
(``skhpo._optimizers``) to scikit-learn's ``BaseSearchCV``: it turns the optimizer's
points into candidates through the search space, evaluates them in batches with
``evaluate_candidates`` (so joblib, or any joblib backend, runs the cross-validation
fits), and tells the optimizer the losses. Everything strategies share lives here and
only here: the budget and the stopping rules, the frozen CV splits, the score that
drives the search, de-duplication and failure handling.
"""

import contextlib
import difflib
import os
import time
import warnings
from abc import abstractmethod
from collections import defaultdict, deque
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn import config_context, get_config
from sklearn.base import clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state, indexable

from skhpo._checkpoint import Journal, new_header
from skhpo._scheduler import Scheduler
from skhpo.space import SearchSpace
from skhpo.utils._fixes import (
    BaseSearchCV,
    Interval,
    callback_root,
    check_method_params,
    error_scores,
    fit_and_score,
    fit_context,
    get_scorers,
    insert_error_scores,
    public_scorers,
    single_blas_thread,
    warn_or_raise_about_fit_failures,
)

# How many batches in a row may hold only candidates evaluated before, before the
# engine evaluates random unseen candidates instead.
_MAX_REPEATS = 3
# Random draws per missing candidate when looking for unseen ones; a space in which
# none is found after that many is taken as exhausted.
_MAX_RANDOM_DRAWS = 200
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
        if len(splits) != self.n_splits_:
            raise ValueError(
                f"cv.split and cv.get_n_splits return inconsistent results. "
                f"Expected {self.n_splits_} splits, got {len(splits)}"
            )
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
        data = _FitData(X, y, params, splits, base_estimator, fit_kwargs, scorers)
        run = _SearchRun(self, data, space, root_ctx)
        try:
            self._search(run)
            out = run.finish()
        finally:
            run.close()

        if callable(self.scoring):
            insert_error_scores(out.fits, self.error_score)
        results = self._format_results(out.params, self.n_splits_, out.fits, out.more)
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
            self.best_estimator_ = clone(base_estimator).set_params(
                **clone(self.best_params_, safe=False)
            )
            refit_ctx = (
                None
                if root_ctx is None
                else root_ctx.subcontext(task_name="refit-with-best-params")
            )
            with (
                contextlib.nullcontext()
                if refit_ctx is None
                else refit_ctx.propagate_callback_context(self.best_estimator_)
            ):
                if refit_ctx is not None:
                    refit_ctx.call_on_fit_task_begin(
                        estimator=self, X=X, y=y, metadata=metadata
                    )
                refit_start_time = time.time()
                if y is not None:
                    self.best_estimator_.fit(X, y, **routed.estimator.fit)
                else:
                    self.best_estimator_.fit(X, **routed.estimator.fit)
                self.refit_time_ = time.time() - refit_start_time
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

    # -- checks before any fit ----------------------------------------------------
    def _check_input_parameters(self, X, y, split_params):
        """Build, check and return the search space, before the first fit."""
        space = SearchSpace(self.param_distributions)
        for i, subspace in enumerate(space.subspaces):
            valid = _valid_param_names(self.estimator, subspace)
            for name in subspace:
                if name in valid:
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
        """The ask/tell loop: ask a batch, evaluate the unseen candidates, tell."""
        optimizer = self._make_optimizer(run.space, run.random_state)
        fill_rng = np.random.RandomState(run.random_state.randint(_SEED_MAX))
        space, state, budget = run.space, run.state, self.n_iter
        iteration = 0
        while state.n_evaluated < budget and not run.should_stop():
            if optimizer.should_stop():
                break
            n = min(optimizer.next_batch_size(), budget - state.n_evaluated)
            with single_blas_thread():
                X = optimizer.ask(n)
            keys = space.keys(X)
            new = _unseen_rows(keys, state.losses)
            if not new:
                # Only candidates evaluated before: their losses are known, so telling
                # them costs no budget. An optimizer that keeps repeating itself
                # (converged, or a small discrete space) gets random unseen ones.
                with single_blas_thread():
                    optimizer.tell(X, state.known_losses(keys))
                state.n_stale += 1
                if state.n_stale <= _MAX_REPEATS:
                    continue
                X = _random_unseen(space, n, state.losses, fill_rng)
                if len(X) == 0:
                    warnings.warn(
                        f"The search space holds no candidate that was not evaluated "
                        f"yet: stopping after {state.n_evaluated} distinct candidates "
                        f"out of n_iter={budget}.",
                        UserWarning,
                    )
                    break
                keys = space.keys(X)
                new = list(range(len(X)))
            state.n_stale = 0
            run.evaluate(
                space.decode(X[new]),
                [keys[i] for i in new],
                more_results={"iter": [iteration] * len(new)},
            )
            with single_blas_thread():
                optimizer.tell(X, state.known_losses(keys))
            iteration += 1

    def _score_metric(self):
        """The metric that drives the search: ``None`` for the single score.

        With multi-metric scoring, the refit metric; when ``refit`` is a callable or
        False, the first metric of ``scoring``.
        """
        return self.refit if isinstance(self.refit, str) else None

    def _max_fits(self, run):
        """How many fits the search makes at most (its callbacks' total), or None."""
        return self.n_iter * len(run.splits)


def _unseen_rows(keys, seen):
    """Rows of the first occurrence of each key not in ``seen``."""
    rows, batch = [], set()
    for row, key in enumerate(keys):
        if key not in seen and key not in batch:
            batch.add(key)
            rows.append(row)
    return rows


def _random_unseen(space, n, seen, rng):
    """Up to ``n`` random candidates whose key is not in ``seen`` (none: exhausted)."""
    rows, keys = [], set()
    for _ in range(_MAX_RANDOM_DRAWS):
        X = space.sample(n, rng)
        for x, key in zip(X, space.keys(X)):
            if key not in seen and key not in keys and len(rows) < n:
                keys.add(key)
                rows.append(x)
        if len(rows) == n:
            break
    return np.asarray(rows, dtype=float).reshape(-1, space.n_dims)


class _FitData(NamedTuple):
    """What every fit of one search shares: shipped once to each worker."""

    X: object
    y: object
    params: dict  # the fit parameters, for the checkpoint's fingerprint
    splits: list  # the frozen CV splits, [(train, test), ...]
    estimator: object  # the unfitted clone every candidate starts from
    fit_kwargs: dict  # keyword arguments of _fit_and_score
    scorers: object


def _fit_one(shared, parameters, train, test, split_progress, candidate_progress, ctx):
    """One task of the scheduler: fit and score one candidate on one split.

    Runs in a worker: scikit-learn's configuration (``set_config``) travels with
    the payload, as scikit-learn's own ``delayed`` carries it to joblib's workers.
    """
    data, config = shared
    with config_context(**config):
        return fit_and_score(
            clone(data.estimator),
            data.X,
            data.y,
            train=train,
            test=test,
            parameters=parameters,
            split_progress=split_progress,
            candidate_progress=candidate_progress,
            callback_ctx=ctx,
            **data.fit_kwargs,
        )


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
        if search.checkpoint is None:
            self.random_state = check_random_state(search.random_state)
        else:
            self._open_journal()
        self.state = _SearchState()
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

    def evaluate(self, candidates, keys, more_results, splits=None, counts=True):
        """Cross-validate ``candidates``; return their losses (NaN for a failure).

        ``keys`` identify the candidates for de-duplication; ``splits`` replaces
        the frozen splits (Hyperband subsamples them); ``counts``, a bool or one per
        candidate, says which candidates ``n_iter_no_change`` watches (Hyperband
        leaves out those evaluated on a small budget).
        """
        search, n = self.search, len(candidates)
        splits = self.splits if splits is None else splits
        recorded = None if self.journal is None else self.journal.replay(keys)
        fits = (
            recorded
            if recorded is not None
            else self._cross_validate(candidates, keys, splits)
        )
        self.params += list(candidates)
        self.fits += fits
        for key, values in more_results.items():
            self.more[key] += list(values)

        n_splits = len(splits)
        fit_errors = [fit["fit_error"] for fit in fits]
        # Optimizers minimise: the score that drives the search becomes a loss here
        # and nowhere else. A candidate with any failed fit is a failure (NaN),
        # whatever numeric error_score stood in for its score.
        metric = search._score_metric()
        scores = np.array(
            [_score_of(fit["test_scores"], metric) for fit in fits], dtype=float
        ).reshape(n, n_splits)
        with np.errstate(invalid="ignore"):
            losses = -scores.mean(axis=1)
        failed = np.asarray([error is not None for error in fit_errors], dtype=bool)
        losses[failed.reshape(n, n_splits).any(axis=1)] = np.nan
        losses[~np.isfinite(losses)] = np.nan
        first_error = next((error for error in fit_errors if error is not None), None)
        counts = np.broadcast_to(counts, (n,))
        self.state.record(keys, losses, first_error, counts)
        self.n_batches += 1
        if search.verbose > 0:
            # Hyperband has no best score until a candidate ran on the full budget.
            best = self.state.best_loss
            best = "none yet" if np.isinf(best) else f"{-best:.5g}"
            print(
                f"[{type(search).__name__}] batch {self.n_batches}: {n} "
                f"candidate{'s' if n != 1 else ''}"
                f"{' (read from the checkpoint)' if recorded is not None else ''}, "
                f"{self.state.n_evaluated} evaluated, best score {best}, "
                f"{time.monotonic() - self.start:.1f}s elapsed"
            )
        return losses

    def _cross_validate(self, candidates, keys, splits):
        """Fit and score ``candidates`` on every split, as tasks of the scheduler."""
        scheduler = self.scheduler
        n, n_splits = len(candidates), len(splits)
        tasks = deque(
            (i, k) for i in range(n) for k in range(n_splits)
        )  # candidate-major, as scikit-learn's evaluate_candidates orders them
        fits = [None] * (n * n_splits)
        try:
            while tasks or scheduler.n_running:
                while tasks and scheduler.has_room():
                    i, k = tasks.popleft()
                    train, test = splits[k]
                    ctx = None
                    if self.ctx is not None:
                        ctx = self.ctx.subcontext(
                            task_name="candidate-split-evaluation",
                            task_id=self.n_tasks,
                        )
                    self.n_tasks += 1
                    scheduler.submit(
                        (i, k),
                        _fit_one,
                        candidates[i],
                        train,
                        test,
                        (k, n_splits),
                        (i, n),
                        ctx,
                    )
                for outcome in scheduler.wait():
                    i, k = outcome.task_id
                    fits[i * n_splits + k] = self._fit_result(
                        outcome, candidates[i], splits[k]
                    )
        except BaseException as exc:  # Ctrl-C, error_score="raise"
            if self.journal is not None and hasattr(exc, "add_note"):
                exc.add_note(
                    f"skhpo: the {len(self.journal.records)} finished batches of "
                    f"this search are in checkpoint {self.journal.path!r}; the "
                    f"same fit resumes from them."
                )
            raise
        if self.journal is not None:
            self.journal.append(keys, candidates, fits, n_splits)
        return fits

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
        warn_or_raise_about_fit_failures(self.fits, search.error_score)
        if 0 < state.n_failed < state.n_evaluated:
            # Beside scikit-learn's warnings (failed fits, non-finite scores): the
            # count of candidates the search could not use.
            warnings.warn(
                f"{state.n_failed} of the {state.n_evaluated} candidates failed or "
                f"scored a non-finite value; their scores in cv_results_ are "
                f"error_score={search.error_score!r} or NaN and they rank last.",
                UserWarning,
            )
        if state.n_evaluated and state.n_failed == state.n_evaluated:
            raise ValueError(
                f"All the {state.n_evaluated} candidates failed: every score was "
                f"non-finite. It is very likely that the estimator or the search "
                f"space is misconfigured."
            )
        return _Results(self.params, self.fits, self.more)

    def close(self):
        self.scheduler.close()


def _score_of(test_scores, metric):
    """The score that drives the search, from one fit's ``test_scores``."""
    if isinstance(test_scores, dict):
        if metric is None:
            metric = next(iter(test_scores))
        return test_scores[metric]
    return test_scores


class _SearchState:
    """History and stopping counters of one search."""

    def __init__(self):
        self.losses = {}  # candidate key -> loss, for de-duplication
        self.n_evaluated = 0
        self.n_failed = 0
        self.best_loss = np.inf
        self.since_best = 0  # candidates in a row that did not improve the best
        self.first_error = None
        self.n_stale = 0  # batches in a row without an unseen candidate

    def known_losses(self, keys):
        return np.array([self.losses[key] for key in keys], dtype=float)

    def record(self, keys, losses, first_error, counts):
        if self.first_error is None:
            self.first_error = first_error
        for key, loss, watched in zip(keys, losses, counts):
            self.losses[key] = loss
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
