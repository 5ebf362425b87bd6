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
from collections import defaultdict
from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context, is_classifier
from sklearn.model_selection import check_cv
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from skhpo._checkpoint import Journal, new_header
from skhpo.space import SearchSpace
from skhpo.utils._fixes import (
    evaluate_kwargs,
    recording_fit_failures,
    single_blas_thread,
)

# How many batches in a row may hold only candidates evaluated before, before the
# engine evaluates random unseen candidates instead.
_MAX_REPEATS = 3
# Random draws per missing candidate when looking for unseen ones; a space in which
# none is found after that many is taken as exhausted.
_MAX_RANDOM_DRAWS = 200
_SEED_MAX = np.iinfo(np.int32).max


class _FrozenSplits:
    """A CV splitter that splits once and then replays the same folds.

    ``evaluate_candidates`` calls ``cv.split`` again for every batch, so a randomized
    splitter (``KFold(shuffle=True)`` without a seed, ``ShuffleSplit``...) would give
    every batch new folds and make candidates of different batches incomparable.
    """

    def __init__(self, cv, classifier):
        self.cv = cv
        self.classifier = classifier
        self._splits = None

    def split(self, X, y=None, groups=None, **split_params):
        if self._splits is None:
            # check_cv, not BaseSearchCV's private checked splitter, so this works
            # with every supported scikit-learn; it returns the very object given
            # when ``cv`` is already a splitter.
            cv = check_cv(self.cv, y, classifier=self.classifier)
            if groups is not None:
                split_params["groups"] = groups
            self._splits = [
                (train, test) for train, test in cv.split(X, y, **split_params)
            ]
        return iter(self._splits)

    def freeze(self, splits):
        """Replay ``splits``, computed elsewhere from the same data and ``cv``."""
        self._splits = list(splits)

    def get_n_splits(self, X=None, y=None, groups=None, **split_params):
        if self._splits is not None:
            return len(self._splits)
        cv = check_cv(self.cv, y, classifier=self.classifier)
        return cv.get_n_splits(X, y, groups)


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

    @_fit_context(
        # the wrapped estimator is validated by its own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None, **params):
        """Run the search: cross-validate candidates batch after batch, then refit.

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
        # The CV splits are computed once, here, from the data: every batch reuses
        # them (see _FrozenSplits), Hyperband sizes its budgets from them, and a
        # checkpoint records their digest. BaseSearchCV hands _run_search no data.
        routed = self._get_routed_params_for_fit(params)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self._fit_data = {
            "X": X,
            "y": y,
            "params": params,
            "splits": list(cv.split(X, y, **routed.splitter.split)),
        }
        try:
            super().fit(X, y, **params)
        finally:
            del self._fit_data
        return self

    def _format_results(self, candidate_params, n_splits, out, more_results=None):
        # With a checkpoint, the batches read back from it come first in
        # cv_results_ (they are a prefix of the search, see _Replay), and the fits of
        # the batches run now are kept so that they can be journaled.
        replay = getattr(self, "_replay", None)
        if replay is None:
            return super()._format_results(
                candidate_params, n_splits, out, more_results
            )
        replay.live_out = out
        more_results = more_results or {}
        more = {
            key: replay.more[key] + list(more_results.get(key, []))
            for key in {*replay.more, *more_results}
        }
        return super()._format_results(
            replay.params + list(candidate_params),
            n_splits,
            replay.out + list(out),
            more,
        )

    # -- what a strategy supplies ---------------------------------------------------
    @abstractmethod
    def _make_optimizer(self, space, random_state):
        """Return the ask/tell optimizer for ``space``, seeded by ``random_state``."""

    # -- checks before any fit ----------------------------------------------------
    def _check_input_parameters(self, X, y, split_params):
        """Build and check the search space before the first fit.

        ``BaseSearchCV.fit`` calls this before fitting anything (scikit-learn >= 1.5);
        with older versions ``_run_search`` calls it first, which is still before any
        fit.
        """
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
        self._checked_space = space

    # -- the engine -----------------------------------------------------------------
    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        """Run the strategy in batches until the budget or a stopping rule ends it."""
        space = self.__dict__.pop("_checked_space", None)
        if space is None:  # scikit-learn < 1.5 does not call _check_input_parameters
            self._check_input_parameters(None, None, {})
            space = self.__dict__.pop("_checked_space")
        run = _SearchRun(self, evaluate_candidates, space, callback_ctx)
        try:
            self._search(run)
            run.finish()
        finally:
            self.__dict__.pop("_replay", None)

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

    def _score_key(self, results):
        """The ``cv_results_`` column that drives the search.

        The single score, or with multi-metric scoring the refit metric; when
        ``refit`` is a callable or False, the first metric of ``scoring``.
        """
        if "mean_test_score" in results:
            return "mean_test_score"
        if isinstance(self.refit, str):
            return f"mean_test_{self.refit}"
        return next(key for key in results if key.startswith("mean_test_"))


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


class _SearchRun:
    """What one ``fit`` of a search shares between the engine and its strategy.

    The frozen CV splits, the random state, the time budget and stopping rules, the
    callback context, and ``evaluate``: the only place candidates are
    cross-validated and their scores turned into losses.
    """

    def __init__(self, search, evaluate_candidates, space, callback_ctx):
        self.search = search
        self.space = space
        self.evaluate_candidates = evaluate_candidates
        self.cv = _FrozenSplits(search.cv, is_classifier(search.estimator))
        fit_data = getattr(search, "_fit_data", None)
        if fit_data is not None:
            self.cv.freeze(fit_data["splits"])
        self.journal = None
        if search.checkpoint is None:
            self.random_state = check_random_state(search.random_state)
        else:
            self._open_journal(fit_data)
        self.state = _SearchState()
        self.start = time.monotonic()
        self.n_batches = 0
        self.n_live_batches = 0
        self.ctx = None
        if callback_ctx is not None:
            self.ctx = callback_ctx.subcontext(
                task_name="search", max_subtasks=None
            ).call_on_fit_task_begin(estimator=search)

    def _open_journal(self, fit_data):
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
        header = new_header(search, fit_data, seed)
        self.journal = Journal(search.checkpoint, header, check_seed=seeded)
        # A fixed integer gives the very generator it gives without a checkpoint.
        self.random_state = check_random_state(
            search.random_state if seeded else self.journal.seed
        )
        search._replay = _Replay()

    def should_stop(self):
        """Whether ``max_time`` or ``n_iter_no_change`` ends the search."""
        search, state = self.search, self.state
        elapsed = time.monotonic() - self.start
        # The first batch always runs: BaseSearchCV cannot build cv_results_ from
        # no candidate at all (an IndexError with a max_time of microseconds).
        if (
            search.max_time is not None
            and self.n_batches
            and elapsed >= search.max_time
        ):
            return True
        if search.n_iter_no_change is not None:
            return state.since_best >= search.n_iter_no_change
        return False

    def evaluate(self, candidates, keys, more_results, cv=None, counts=True):
        """Cross-validate ``candidates``; return their losses (NaN for a failure).

        ``keys`` identify the candidates for de-duplication; ``cv`` replaces the
        frozen splits (Hyperband subsamples them); ``counts``, a bool or one per
        candidate, says which candidates ``n_iter_no_change`` watches (Hyperband
        leaves out those evaluated on a small budget).
        """
        search, n = self.search, len(candidates)
        recorded = None if self.journal is None else self.journal.replay(keys)
        if recorded is not None:
            results, fit_errors = self._replayed(candidates, recorded, more_results, cv)
        else:
            results, fit_errors = self._cross_validate(
                candidates, keys, more_results, cv
            )
        scores = np.asarray(results[search._score_key(results)][-n:], dtype=float)
        # Optimizers minimise: the score that drives the search becomes a loss here
        # and nowhere else. A candidate with any failed fit is a failure (NaN),
        # whatever numeric error_score stood in for its score.
        losses = -scores
        failed = np.asarray([error is not None for error in fit_errors], dtype=bool)
        losses[failed.reshape(n, -1).any(axis=1)] = np.nan
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

    def _replayed(self, candidates, fits, more_results, cv):
        """cv_results_ with a batch read from the checkpoint, and its fit errors."""
        replay = self.search._replay
        replay.batches.append((len(candidates), len(fits), cv))
        replay.params += list(candidates)
        replay.out += fits
        for key, values in more_results.items():
            replay.more[key] += list(values)
        # The scores of this batch alone: each row's mean is its own, so there is
        # no need to format the whole replayed prefix again for every batch.
        results = BaseSearchCV._format_results(
            self.search,
            list(candidates),
            len(fits) // len(candidates),
            fits,
            more_results,
        )
        return results, [fit.get("fit_error") for fit in fits]

    def _cross_validate(self, candidates, keys, more_results, cv):
        """Fit and score ``candidates`` on every split, through BaseSearchCV."""
        search, n = self.search, len(candidates)
        kwargs = {}
        if self.ctx is not None:
            kwargs = evaluate_kwargs(
                self.ctx.subcontext(
                    task_name="batch",
                    max_subtasks=n * search.n_splits_,
                    sequential_subtasks=False,
                ).call_on_fit_task_begin(estimator=search)
            )
        with _quiet_batch() as fit_errors:
            try:
                results = self.evaluate_candidates(
                    candidates, cv or self.cv, more_results=more_results, **kwargs
                )
            except BaseException as exc:  # a dead worker, Ctrl-C, error_score="raise"
                if self.journal is not None and hasattr(exc, "add_note"):
                    exc.add_note(
                        f"skhpo: the {len(self.journal.records)} finished batches of "
                        f"this search are in checkpoint {self.journal.path!r}; the "
                        f"same fit resumes from them."
                    )
                raise
        if kwargs:
            kwargs["callback_ctx"].call_on_fit_task_end(estimator=search)
        self.n_live_batches += 1
        if self.journal is not None:
            fits = search._replay.live_out[-len(fit_errors) :]
            self.journal.append(keys, candidates, fits, len(fit_errors) // n)
        return results, fit_errors

    def finish(self):
        """Close the callback context; warn about failures, or raise if all failed."""
        search, state = self.search, self.state
        if self.journal is not None and not self.n_live_batches and self.n_batches:
            self._hand_over_replayed()
        if self.ctx is not None:
            self.ctx.call_on_fit_task_end(estimator=search)
        if 0 < state.n_failed < state.n_evaluated:
            warnings.warn(
                f"{state.n_failed} of the {state.n_evaluated} candidates failed or "
                f"scored a non-finite value; their scores in cv_results_ are "
                f"error_score={search.error_score!r} or NaN and they rank last.",
                UserWarning,
            )
        if state.n_evaluated and state.n_failed == state.n_evaluated:
            detail = (
                f"First error:\n{state.first_error}"
                if state.first_error is not None
                else "Every score was non-finite."
            )
            raise ValueError(
                f"All the {state.n_evaluated} candidates failed. It is very likely "
                f"that the estimator or the search space is misconfigured; set "
                f"error_score='raise' to see the error where it happens. {detail}"
            )

    def _hand_over_replayed(self):
        """Give BaseSearchCV the results of a search read entirely from a checkpoint.

        ``BaseSearchCV.fit`` reads the results of its last ``evaluate_candidates``
        call, and the first fit of its own list of fits; when every batch came from
        the checkpoint, there was no such call. The replayed results then go
        straight into the lists ``evaluate_candidates`` fills, when this version of
        scikit-learn exposes them; otherwise the last batch is evaluated again.
        """
        search, replay = self.search, self.search._replay
        function = self.evaluate_candidates
        code = getattr(function, "__code__", None)
        cells = dict(zip(getattr(code, "co_freevars", ()), function.__closure__ or ()))
        names = ("all_candidate_params", "all_out", "all_more_results", "results")
        if all(name in cells for name in names):
            cells["all_candidate_params"].cell_contents.extend(replay.params)
            cells["all_out"].cell_contents.extend(replay.out)
            for key, values in replay.more.items():
                cells["all_more_results"].cell_contents[key].extend(values)
            n_splits = len(replay.out) // len(replay.params)
            search._replay = None  # the lists now hold everything
            cells["results"].cell_contents = search._format_results(
                cells["all_candidate_params"].cell_contents,
                n_splits,
                cells["all_out"].cell_contents,
                cells["all_more_results"].cell_contents,
            )
            return
        # A wrapped evaluate_candidates (a subclass timing its batches...): evaluate
        # the last batch again; its record is already in the journal.
        n, n_fits, cv = replay.batches.pop()
        candidates = replay.params[-n:]
        more = {key: values[-n:] for key, values in replay.more.items()}
        del replay.params[-n:], replay.out[-n_fits:]
        for values in replay.more.values():
            del values[-n:]
        with _quiet_batch():
            self.evaluate_candidates(candidates, cv or self.cv, more_results=more)


@contextlib.contextmanager
def _quiet_batch():
    """Around one ``evaluate_candidates`` call: record which fits failed.

    Yields the per-fit failure record. A batch in which every fit fails only
    warns (see ``recording_fit_failures``), and BaseSearchCV's warning about
    non-finite scores, which repeats the whole history after every batch, is
    silenced: the engine warns once, at the end.
    """
    with recording_fit_failures() as fit_errors, warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "One or more of the .* scores are non-finite", UserWarning
        )
        yield fit_errors


class _Replay:
    """The batches of a search read back from its checkpoint (a prefix of it)."""

    def __init__(self):
        self.params = []  # candidates, in the order of cv_results_
        self.out = []  # their _fit_and_score results, candidate-major
        self.more = defaultdict(list)  # iter, bracket, n_resources...
        self.batches = []  # (n_candidates, n_fits, cv) of each replayed batch
        self.live_out = []  # BaseSearchCV's list of the fits run in this fit


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
