# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""The ask/tell loop of the engine: candidates proposed while others still run.

Every fit of a candidate (one per CV split) is a task of the scheduler, and a new
candidate is asked for as soon as a worker is free, while earlier ones are still
being evaluated. What the optimizer knows when it proposes is decided here, in one
of two modes:

``"reproducible"`` (the default)
    Candidates are numbered in the order they are proposed, and their results are
    told to the optimizer in that order, never in the order they finish. The batch
    that starts at candidate ``k`` is proposed once exactly the results of
    candidates ``0 .. k - max_pending - 1`` are told; the loop waits for those,
    and only those (an optimizer that needs more, such as a generation of CMA-ES,
    gets the next ones in order). What each proposal knows is therefore fixed by
    ``max_pending`` and the seed, whatever ``n_jobs`` and the backend are, and so is
    ``cv_results_``.

``"asynchronous"``
    Each result is told as soon as its candidate's last fit finishes, and a new
    candidate is proposed whenever a worker is free. Workers never wait for a
    slow candidate, but what the optimizer knows depends on finishing times: the
    candidates differ from run to run.

Candidates the optimizer proposes twice are evaluated once: the copy is told the
first one's result. An optimizer that keeps proposing only known candidates gets
random unseen ones instead (a converged swarm, or a small discrete space).

With racing (``_racing.py``), the folds of a candidate run in waves, and one
that its first waves show to be worse than its reference (the best candidate
fully evaluated and told when it was proposed, so the same for any ``n_jobs`` in
the reproducible mode) skips the rest: its unrun folds stay ``None``, and it is
told with an estimate of its full-fold score.

A multi-fidelity optimizer (Hyperband) proposes trials: a point and the resource
to evaluate it with (``optimizer.fidelity(id)``). The strategy turns the resource
into the candidate's parameters or CV splits (``trial``); the same point with
another resource is another candidate, and a row of its own in ``cv_results_``.
"""

import warnings
from collections import deque

import numpy as np

from skhpo._checkpoint import Diverged
from skhpo._optimizers.base import Fidelity
from skhpo._racing import estimate, is_worse, variance_prior, wave_ends
from skhpo.utils._fixes import single_blas_thread

# How many batches in a row may hold only candidates evaluated before, before the
# engine evaluates random unseen candidates instead.
_MAX_REPEATS = 3
# Random draws per missing candidate when looking for unseen ones; a space in which
# none is found after that many is taken as exhausted.
_MAX_RANDOM_DRAWS = 200
# At most this many bytes of fitted models (pickled) are kept for continuing a
# promoted candidate's fits; beyond it, a promoted candidate is fitted afresh.
_MAX_KEPT_BYTES = 2**30
_FULL = Fidelity(resource=None, final=True, columns={})
_SEED_MAX = np.iinfo(np.int32).max


class _Candidate:
    """One proposal of the optimizer (or a random fill), as the loop tracks it."""

    __slots__ = (
        "batch",
        "continued",
        "copies",
        "fidelity",
        "fits",
        "id",
        "key",
        "loss",
        "models",
        "n_left",
        "params",
        "parent",
        "prior",
        "progress",
        "reference",
        "splits",
        "twin",
        "wave",
        "x",
    )

    def __init__(self, id, x, key, batch, fidelity=None):
        self.id = id  # the optimizer's id; None for a random fill
        self.x = x  # (d,) on the unit cube
        self.key = key  # the space's key, with the resource for a trial
        self.fidelity = fidelity  # the optimizer's Fidelity, None for a full one
        self.splits = None  # CV splits of its own (a subsampled trial)
        self.parent = None  # the trial whose fitted models this one continues
        self.models = None  # per split: the fitted model (pickled), kept to continue
        self.continued = None  # per split: whether the fit continued the parent's
        self.batch = batch  # the _Batch it was proposed in
        self.twin = None  # the candidate it repeats, if any
        self.copies = []  # the later candidates that repeat it
        self.params = None
        self.progress = None  # (index, count) among the batch's new candidates
        self.fits = None  # one _fit_and_score result per split; None: not run
        self.n_left = 0  # fits still running or queued
        self.loss = None  # set once complete
        self.reference = None  # racing: the candidate it is compared with
        self.wave = None  # racing: index of its current wave in AskTellLoop.waves
        self.prior = None  # racing: the variance prior of its test (variance_prior)

    @property
    def raced_out(self):
        """Whether racing stopped it before its last fold."""
        return self.fits is not None and any(fit is None for fit in self.fits)

    @property
    def complete(self):
        if self.twin is not None:
            return self.twin.loss is not None
        return self.loss is not None


class _Batch:
    """The candidates of one ask, for ``cv_results_["iter"]``, the journal and
    the verbose output."""

    __slots__ = ("candidates", "index", "n_untold", "recorded")

    def __init__(self, index):
        self.index = index
        self.candidates = []
        self.n_untold = 0
        self.recorded = False  # read back from the checkpoint


class AskTellLoop:
    """Run ``optimizer`` for ``budget`` distinct candidates on ``run``'s scheduler.

    ``trial(params, resource) -> (params, splits)`` makes the candidate of a
    multi-fidelity trial: its parameters and its CV splits (``None``: the frozen
    splits of the search). If ``trial.continuation`` is not None, the fitted
    models of a trial are kept, and a trial that continues it
    (``Fidelity.continues``) fits each split from its model with the parameters
    ``trial.continuation(old_resource, new_resource)`` (``warm_start``) instead
    of from scratch. ``trial.fit_parameters(params, resource)``, if defined, is
    what a fit from scratch sets, when the resource is not one of the parameters
    shown in ``cv_results_`` (``partial_fit`` passes).
    """

    def __init__(
        self, run, optimizer, budget, *, asynchronous, max_pending, trial, initial=None
    ):
        self.run = run
        self.optimizer = optimizer
        self.trial = trial
        self.continuation = getattr(trial, "continuation", None)
        self.fit_parameters = getattr(trial, "fit_parameters", None)
        # Trials evaluate one point with several resources: its key and its
        # decoded parameters are computed once (point bytes -> (params, key)).
        self.decoded = None if trial is None else {}
        if trial is not None and hasattr(optimizer, "unseen"):
            # A multi-fidelity optimizer drawing its own new candidates.
            optimizer.unseen = self._unseen
            self.drawn = set()  # keys of the candidates drawn through _unseen
            self.warned = False
        self.by_id = {}  # optimizer id -> candidate, for the trials continued
        self.kept_bytes = 0
        optimizer.asynchronous = asynchronous
        self.budget = budget
        self.asynchronous = asynchronous
        self.max_pending = max_pending
        self.space = run.space
        self.fill_rng = np.random.RandomState(run.random_state.randint(_SEED_MAX))
        self.candidates = []  # in the order proposed
        self.by_key = {}  # key -> the candidate evaluated for it
        self.n_told = 0  # reproducible mode: candidates told, a prefix
        self.queue = deque()  # (candidate, split) fits not submitted yet
        self.n_distinct = 0
        self.n_stale = 0
        self.batches = []
        self.journal_next = 0  # batches written to the checkpoint, in order
        self.exhausted = False
        # Resuming: the search no longer follows the recorded batches (a larger
        # budget asks in another order): recorded candidates are looked up by key.
        self.diverged = False
        self.initial = None  # the user's candidates, the first batch
        # Reproducible mode: the strategy's first proposal waits for the results
        # of the user's candidates, so that it starts from them (its initial
        # design is shortened by as many points, say).
        self.n_before_first_ask = 0
        # Racing: the significance level (None: every fold of every candidate),
        # the number of folds run after each wave, and the best candidate fully
        # evaluated and told so far, per resource (None for a full evaluation);
        # the variances of the paired differences of the raced candidates told
        # after running every fold, and their prior (see _racing.py), per resource.
        self.alpha = run.racing_alpha
        self.waves = wave_ends(len(run.splits))
        self.best_full = {}
        self.variances = {}
        self.priors = {}
        if initial is not None:
            self._enqueue(*initial)

    # -- the loop ------------------------------------------------------------------
    def run_loop(self):
        run, scheduler = self.run, self.run.scheduler
        while True:
            if self._may_ask() and self._ready_to_ask():
                self._ask()
                continue
            if self.queue and run.should_stop():
                # max_time or n_iter_no_change: no new fit starts (API.md); the
                # candidates left unfinished are not reported.
                self.queue.clear()
            if self.queue and scheduler.has_room():
                while self.queue and scheduler.has_room():
                    self._submit(*self.queue.popleft())
                # The queue may have drained with a worker still free: propose
                # for it before waiting.
                continue
            if not scheduler.n_running:
                # Nothing runs: every candidate is complete. In reproducible mode
                # the next one in order may be what the optimizer waits for; an
                # optimizer that still cannot propose waits for nothing: stop.
                if self._may_ask() and self._tell_next():
                    continue
                break
            for outcome in scheduler.wait():
                candidate, split = outcome.task_id
                fit = run._fit_result(outcome, candidate.params, run.splits[split])
                self._keep_model(candidate, split, fit.pop("model", None))
                candidate.fits[split] = fit
                if run.journal is not None:
                    run.journal.append_fit(candidate.key, split, fit)
                candidate.n_left -= 1
                if candidate.n_left == 0:
                    if self._next_wave(candidate):
                        # Ahead of the candidates queued since: it started first.
                        self._run_wave(candidate, front=True)
                    else:
                        self._complete(candidate)
        # Every candidate is complete: tell the rest (stopping counters, verbose).
        while self._tell_next():
            pass
        self._write_journal()

    def results(self):
        """``(params, fits, columns)`` of the distinct candidates, in proposal
        order; ``columns`` are the extra ones of ``cv_results_``: ``iter`` (the
        batch) or a trial's own (rung, bracket, resource), and with racing
        ``n_splits_run``. A raced-out candidate's unrun folds are None."""
        rows = [c for c in self.candidates if c.twin is None and c.loss is not None]
        fits = [fit for c in rows for fit in c.fits]
        racing = self.alpha is not None or any(c.raced_out for c in rows)
        columns = {}
        for k, c in enumerate(rows):
            if c.fidelity is None:
                more = {"iter": c.batch.index}
            else:  # a trial: its rung, bracket, resource, and how it was fitted
                ran = [k for k, fit in enumerate(c.fits) if fit is not None]
                continued = bool(c.continued) and all(c.continued[k] for k in ran)
                more = {**c.fidelity.columns, "continued": continued}
            if racing:  # how many of its folds ran (all but for a raced-out one)
                more["n_splits_run"] = sum(fit is not None for fit in c.fits)
            for name, value in more.items():
                columns.setdefault(name, [None] * len(rows))[k] = value
        return [c.params for c in rows], fits, columns

    # -- asking --------------------------------------------------------------------
    def _enqueue(self, X, params, fits=None):
        """The user's candidates (``initial_params``): handed to an optimizer that
        proposes them itself (Hyperband starts its first bracket with them),
        else evaluated as the first batch and told as outside information.
        ``fits``: their known results (an earlier search's), used as they are."""
        if self.decoded is not None:
            # A trial's parameters are the user's values, not their decoding.
            keys = self.space.keys(X)
            for x, p, key in zip(X, params, keys):
                self.decoded.setdefault(x.tobytes(), (p, key))
            if hasattr(self, "drawn"):
                self.drawn.update(keys)
        if fits is not None or not self.optimizer.enqueue(X):
            self.initial = (X, params, fits)

    def _ask_initial(self):
        X, params, fits = self.initial
        self.initial = None
        batch = _Batch(len(self.batches))
        self.batches.append(batch)
        new = self._add(batch, [None] * len(X), X, params)
        self.n_before_first_ask = len(self.candidates)
        if fits is None:
            self._start(batch, new)
            return
        # Known results: nothing to fit. (Resuming, the checkpoint's record of
        # this batch is the same: it is read, so that the next ones line up.)
        self.n_distinct += len(new)
        if self.run.journal is not None and self._replay([c.key for c in new]):
            batch.recorded = True
        for candidate, candidate_fits in zip(new, fits):
            candidate.fits = candidate_fits
        # The raced-out rows of an earlier racing search: estimated against the
        # best of its rows that ran every fold, as that search did.
        means = {}
        for c in new:
            scores = None if c.raced_out else self._fold_scores(c.fits)
            if scores is not None and np.isfinite(np.mean(scores)):
                means[c] = np.mean(scores)
        if means:
            best = max(means, key=means.get)
            for candidate in new:
                if candidate.raced_out:
                    candidate.reference = best
        for candidate in new:
            self._complete(candidate)

    def _may_ask(self):
        run, scheduler = self.run, self.run.scheduler
        if self.initial is not None:
            return True
        return (
            not self.exhausted
            and self.n_distinct < self.budget
            and not self.queue
            and scheduler.has_room()
            and not run.should_stop()
            and not self.optimizer.should_stop()
        )

    def _ready_to_ask(self):
        """Tell what the next proposal may know; whether it can be made now."""
        if self.asynchronous:
            return self.optimizer.can_ask()
        need = max(len(self.candidates) - self.max_pending, self.n_before_first_ask)
        while self.n_told < need:
            if not self._tell_next():
                return False
        while not self.optimizer.can_ask():
            if not self._tell_next():
                return False
        return True

    def _ask(self):
        if self.initial is not None:
            self._ask_initial()
            return
        space, optimizer = self.space, self.optimizer
        n = min(optimizer.next_batch_size(), self.budget - self.n_distinct)
        asked = self._recorded_ask(n)
        if asked is not None:
            # The recorded ask may be smaller: the last batch of a finished search,
            # cut by its n_iter. A larger n_iter extends the search as it ran.
            n = len(asked)
        with single_blas_thread():
            if asked is None:
                ids, X = optimizer.ask_ids(n)
            else:  # resuming: the recorded answer, told instead of computed
                ids, X = optimizer.replay_ids(n, asked)
                if not np.array_equal(X, asked):
                    self.diverged, asked = True, None
        self._drop_settled()
        if len(ids) == 0:  # it found nothing to propose after all
            return
        batch = _Batch(len(self.batches))
        self.batches.append(batch)
        new = self._add(batch, ids, X)
        if not new:
            # Only candidates seen before: they cost no budget. An optimizer that
            # keeps repeating itself gets random unseen ones.
            if asked is not None:
                self._replay([])  # the batch's (empty) record
                batch.recorded = True
            self.n_stale += 1
            if self.n_stale <= _MAX_REPEATS:
                return
            X = _random_unseen(space, n, self.by_key, self.fill_rng)
            if len(X) == 0:
                warnings.warn(
                    f"The search space holds no candidate that was not evaluated "
                    f"yet: stopping after {self.n_distinct} distinct candidates "
                    f"out of n_iter={self.budget}.",
                    UserWarning,
                )
                self.exhausted = True
                return
            batch = _Batch(len(self.batches))
            self.batches.append(batch)
            new = self._add(batch, [None] * len(X), X)
        self.n_stale = 0
        self._start(batch, new)

    def _decode_keys(self, X):
        """The candidates of the rows of ``X`` and their keys (memoised for
        trials, whose points come back with other resources)."""
        if self.decoded is None:
            return self.space.decode_keys(X)
        rows = [r for r, x in enumerate(X) if x.tobytes() not in self.decoded]
        if rows:
            for x, p, key in zip(X[rows], *self.space.decode_keys(X[rows])):
                self.decoded[x.tobytes()] = (p, key)
        found = [self.decoded[x.tobytes()] for x in X]
        return [dict(p) for p, _ in found], [key for _, key in found]

    def _unseen(self, X):
        """The engine's de-duplication for an optimizer that draws its own new
        candidates (Hyperband's first rungs): the rows of ``X`` never drawn
        before, the others replaced by random unseen ones; fewer rows (with a
        warning, once) when the space holds no unseen candidate."""
        space, n = self.space, len(X)
        params, keys = space.decode_keys(X)
        rows = _unseen_rows(keys, self.drawn)
        for r in rows:  # decoded once, for the whole batch (see _decode_keys)
            self.drawn.add(keys[r])
            self.decoded[X[r].tobytes()] = (params[r], keys[r])
        X = X[rows]
        if len(X) < n:
            extra = _random_unseen(space, n - len(X), self.drawn, self.fill_rng)
            self.drawn.update(self._decode_keys(extra)[1])
            X = np.vstack([X, extra])
        if len(X) < n and not self.warned:
            self.warned = True
            warnings.warn(
                f"The search space holds no candidate that was not evaluated yet: "
                f"the brackets go on with the {len(self.drawn)} candidates drawn.",
                UserWarning,
            )
        return X

    def _recorded_ask(self, n):
        """Resuming (reproducible mode): the points of the next recorded ask, if it
        asked for at most ``n``."""
        journal = self.run.journal
        if journal is None or self.asynchronous or self.diverged:
            return None
        asked = journal.peek_asked()
        return asked if asked is not None and len(asked) <= n else None

    def _add(self, batch, ids, X, params=None):
        """Register the rows of one ask; return the new (unseen) candidates.

        ``params``: the candidates' parameters, when not the decoding of ``X``.
        """
        new = []
        decoded, keys = self._decode_keys(X)
        params = decoded if params is None else params
        for i, x, p, key in zip(ids, X, params, keys):
            fidelity = None if i is None else self.optimizer.fidelity(i)
            if fidelity is not None:
                key = (key, fidelity.resource)
                if fidelity.repeat:  # re-ranked on the same resource: its own
                    key = (*key, fidelity.repeat)
            candidate = _Candidate(i, x, key, batch, fidelity)
            candidate.params = p
            if fidelity is not None and self.continuation is not None:
                self.by_id[i] = candidate
                candidate.parent = self.by_id.get(fidelity.continues)
            if self.alpha is not None:
                resource = None if fidelity is None else fidelity.resource
                candidate.reference = self.best_full.get(resource)
                candidate.prior = self._prior(resource)
            twin = self.by_key.get(key)
            if twin is not None:
                candidate.twin = twin
                twin.copies.append(candidate)
            else:
                self.by_key[key] = candidate
                new.append(candidate)
            self.candidates.append(candidate)
            batch.candidates.append(candidate)
            batch.n_untold += 1
        if self.asynchronous:
            for candidate in batch.candidates:
                if candidate.twin is not None and candidate.complete:
                    self._tell(candidate)
        return new

    def _start(self, batch, new):
        """Read ``new`` candidates from the checkpoint, or queue their fits."""
        run = self.run
        self.n_distinct += len(new)
        for k, candidate in enumerate(new):
            if candidate.fidelity is not None:
                resource = candidate.fidelity.resource
                candidate.params, candidate.splits = self.trial(
                    candidate.params, resource
                )
            candidate.progress = (k, len(new))  # for scikit-learn's verbose output
        keys = [c.key for c in new]
        recorded = None if run.journal is None else self._replay(keys)
        n_splits = len(run.splits)
        if recorded is not None:
            batch.recorded = True
            for k, candidate in enumerate(new):
                candidate.fits = recorded[k * n_splits : (k + 1) * n_splits]
                self._complete(candidate)
            return
        for candidate in new:
            candidate.fits = [None] * n_splits
            candidate.models = [None] * n_splits
            candidate.continued = [False] * n_splits
            reference = candidate.reference
            # Raced against a reference scored on the very same splits (a trial
            # with subsampled splits shares them with its rung's resource).
            if reference is not None and candidate.splits is reference.splits:
                candidate.wave = 0  # raced: its folds in waves
            self._run_wave(candidate)

    def _run_wave(self, candidate, front=False):
        """Queue the fits of the candidate's current wave (all of its folds
        without racing) that are not known yet, in fold order; ``front``: ahead
        of the queue. Complete it if none is left to run."""
        journal = self.run.journal
        while True:
            wave = candidate.wave
            end = len(candidate.fits) if wave is None else self.waves[wave]
            todo = []
            for k in range(end):
                # A fit finished before the search was interrupted is read back.
                if candidate.fits[k] is None and journal is not None:
                    candidate.fits[k] = journal.recorded_fit(candidate.key, k)
                if candidate.fits[k] is None:
                    todo.append(k)
            if todo:
                candidate.n_left += len(todo)
                # Candidate-major, as scikit-learn's evaluate_candidates does.
                if front:
                    self.queue.extendleft((candidate, k) for k in reversed(todo))
                else:
                    self.queue.extend((candidate, k) for k in todo)
                return
            if not self._next_wave(candidate):
                self._complete(candidate)
                return

    def _next_wave(self, candidate):
        """With its current wave finished: whether the candidate runs another.

        No after its last fold, and no once it is worse than its reference on
        the folds run so far (raced out: its other folds are never run).
        """
        if candidate.wave is None or candidate.wave + 1 == len(self.waves):
            return False
        n_run = self.waves[candidate.wave]
        scores = self._fold_scores(candidate.fits[:n_run])
        if scores is None:
            return False  # a failed fit: the candidate is a failure already
        reference = self._fold_scores(candidate.reference.fits[:n_run])
        if is_worse(scores, reference, self.alpha, candidate.prior):
            return False
        candidate.wave += 1
        return True

    def _fold_scores(self, fits):
        """The scores that drive the search, one per fit; None if one failed."""
        if any(fit["fit_error"] is not None for fit in fits):
            return None
        return [self.run.score_of(fit) for fit in fits]

    def _replay(self, keys):
        """The recorded fits of the candidates ``keys`` of a new batch, or None.

        In order while the search follows the recorded batches; by key once it
        does not (asynchronous mode, or a budget that asks in another order).
        """
        journal = self.run.journal
        if not (self.asynchronous or self.diverged):
            try:
                return journal.replay(keys)
            except Diverged:
                self.diverged = True
        return journal.lookup(keys) if keys else None

    def _submit(self, candidate, split):
        parameters, model = candidate.params, None
        if self.fit_parameters is not None:
            parameters = self.fit_parameters(parameters, candidate.fidelity.resource)
        parent = candidate.parent
        if parent is not None and parent.models and parent.models[split] is not None:
            # Continue the parent's fit on this split: only the new iterations.
            model, parent.models[split] = parent.models[split], None
            self.kept_bytes -= len(model)
            parameters = self.continuation(
                parent.fidelity.resource, candidate.fidelity.resource
            )
            candidate.continued[split] = True
        fidelity = candidate.fidelity or _FULL
        # A fit with the full resource is never continued: nothing to keep.
        keep = self.continuation is not None and not fidelity.final
        self.run.submit_fit(
            (candidate, split),
            parameters,
            split,
            candidate.progress,
            candidate.splits,
            model=model,
            keep=keep,
        )

    def _keep_model(self, candidate, split, model):
        """Keep a fitted model (pickled) for a promotion to continue, within
        ``_MAX_KEPT_BYTES``; beyond it the promoted fit starts afresh."""
        if model is None or self.kept_bytes + len(model) > _MAX_KEPT_BYTES:
            return
        candidate.models[split] = model
        self.kept_bytes += len(model)

    def _drop_settled(self):
        """Free the models of the trials that no promotion will continue."""
        settled = getattr(self.optimizer, "settled_ids", None)
        if settled is None or self.continuation is None:
            return
        for i in settled():
            candidate = self.by_id.pop(i, None)
            if candidate is not None and candidate.models:
                self.kept_bytes -= sum(len(m) for m in candidate.models if m)
                candidate.models = None

    # -- telling -------------------------------------------------------------------
    def _complete(self, candidate):
        if candidate.raced_out:
            n_run = candidate.fits.index(None)
            run_fits = candidate.fits[:n_run]
            scores = self._fold_scores(run_fits)
            if scores is None or candidate.reference is None:
                # A failure (NaN), or read back without a reference (another
                # run's asynchronous record): the mean of the folds that ran.
                candidate.loss = self.run.loss_of(run_fits)
            else:
                # Told with the estimate of its mean score over every fold.
                reference = self._fold_scores(candidate.reference.fits)
                candidate.loss = -estimate(scores, reference)
            self._free_parent_models(candidate, n_run)
        else:
            candidate.loss = self.run.loss_of(candidate.fits)
        if self.asynchronous:
            self._tell(candidate)
            for copy in candidate.copies:
                self._tell(copy)

    def _free_parent_models(self, candidate, n_run):
        """A raced-out trial will not continue its parent's fits of the folds it
        did not run: free those models."""
        parent = candidate.parent
        if parent is None or not parent.models:
            return
        for k in range(n_run, len(parent.models)):
            if parent.models[k] is not None:
                self.kept_bytes -= len(parent.models[k])
                parent.models[k] = None

    def _tell_next(self):
        """Reproducible mode: tell the next candidate in order, if complete."""
        if self.asynchronous or self.n_told >= len(self.candidates):
            return False
        candidate = self.candidates[self.n_told]
        if not candidate.complete:
            return False
        self.n_told += 1
        self._tell(candidate)
        return True

    def _tell(self, candidate):
        run = self.run
        twin = candidate.twin
        loss = (twin if twin is not None else candidate).loss
        with single_blas_thread():
            if candidate.id is None:  # a random fill: outside information
                self.optimizer.tell(candidate.x[None], [loss])
            else:
                self.optimizer.tell_ids([candidate.id], [loss])
        self._drop_settled()
        if twin is None:
            # n_iter_no_change watches the candidates with the full resource.
            fidelity = candidate.fidelity
            run.state.record([loss], [fidelity is None or fidelity.final])
            full = not candidate.raced_out and not np.isnan(loss)
            if self.alpha is not None and full:
                resource = None if fidelity is None else fidelity.resource
                self._add_variance(candidate, resource)
                best = self.best_full.get(resource)
                if best is None or loss < best.loss:
                    self.best_full[resource] = candidate
        batch = candidate.batch
        batch.n_untold -= 1
        if batch.n_untold == 0:
            run.batch_done(len(batch.candidates), batch.recorded)
            self._write_journal()

    def _prior(self, resource):
        """The variance prior of a test at ``resource``, from the candidates told
        so far (computed once per new variance)."""
        if resource not in self.priors:
            variances = self.variances.get(resource, [])
            self.priors[resource] = (
                variance_prior(*zip(*variances)) if variances else None
            )
        return self.priors[resource]

    def _add_variance(self, candidate, resource):
        """Record the variance of a fully evaluated candidate's paired
        differences with its reference, if it was raced against one (whether its
        fits ran or were read back from a checkpoint)."""
        reference = candidate.reference
        if reference is None or candidate.splits is not reference.splits:
            return
        scores = self._fold_scores(candidate.fits)
        if scores is None or len(scores) < 2:
            return
        d = np.subtract(scores, self._fold_scores(reference.fits))
        if np.all(np.isfinite(d)):
            self.variances.setdefault(resource, []).append(
                (float(d.var(ddof=1)), len(d) - 1)
            )
            self.priors.pop(resource, None)

    def _write_journal(self):
        """Append the finished batches to the checkpoint, in the order asked."""
        journal = self.run.journal
        if journal is None:
            return
        while self.journal_next < len(self.batches):
            batch = self.batches[self.journal_next]
            new = [c for c in batch.candidates if c.twin is None]
            if not all(c.loss is not None for c in new):
                return
            self.journal_next += 1
            if batch.recorded:
                continue
            # Every ask has its line, even one of repeated candidates only: a
            # resumed search hands each ask its recorded answer, in order.
            journal.append(
                [c.key for c in new],
                [c.params for c in new],
                [fit for c in new for fit in c.fits],
                len(self.run.splits),
                asked=[c.x for c in batch.candidates],
            )


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
