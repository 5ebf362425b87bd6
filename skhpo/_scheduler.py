# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Run tasks on the user's joblib backend and hand back each result as it finishes.

The scheduler knows nothing of estimators, optimizers or strategies: it runs
``fn(shared, *args)`` for each submitted task, where ``shared`` is one payload (the
data, the estimator, the scorers...) shipped once to each worker, not once per task.
The engine submits while :meth:`Scheduler.has_room`, and :meth:`Scheduler.wait`
returns the tasks that finished, in the order they finished.

Which executor runs the tasks follows the joblib backend and ``n_jobs`` in force
(``joblib.parallel_config``, the old ``parallel_backend``, or the defaults):

==================  ============================================  =================
backend             runs each task                                ``fit_timeout``
==================  ============================================  =================
one worker          in this process, when :meth:`~Scheduler.wait`  a worker process
                    is called (as joblib runs ``n_jobs=1``)         is used instead
``loky`` (default)  in one of ``n_jobs`` worker processes, each     the process is
``multiprocessing`` its own single-process pool                     ended and replaced
``threading``       in a thread of its own                          abandoned, see
                                                                    below
dask distributed    as a future of the backend's ``Client``; the   abandoned
                    payload is scattered to every worker once
ray                 as a Ray task; the payload is put in Ray's     the worker is
                    object store once                               ended
anything else       in rounds through ``joblib.Parallel``          not enforced
==================  ============================================  =================

A worker process that dies (a segfault, the out-of-memory killer) fails only the
task it was running, and a new process takes its place: one process per worker is
what makes that possible, since a pool of several processes is broken as a whole
when one of them dies (joblib's ``TerminatedWorkerError``). A thread, or a task
already running on a dask worker, cannot be stopped: past ``fit_timeout`` it is
reported as timed out and abandoned; a new thread takes its place, and the old one
runs on in the background until its fit returns.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import signal
import threading
import time
import traceback
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

import joblib
from joblib.externals.loky import ProcessPoolExecutor

from skhpo.utils._fixes import active_joblib_backend, cloudpickle

# How long ``wait`` sleeps between checks of the deadlines when nothing finishes.
_POLL = 0.05
# Payloads kept per worker process: the current search's and the one before (a
# search nested in another, or two searches of one program in turn).
_MAX_PAYLOADS = 2
# Environment of the worker processes: one BLAS / OpenMP pool per worker sized to
# its share of the cores, as joblib's loky backend does, so that n_jobs workers do
# not each start as many threads as there are cores.
_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


@dataclass
class Outcome:
    """What became of one task.

    Attributes
    ----------
    task_id : hashable
        The id given to :meth:`Scheduler.submit`.
    status : {"ok", "error", "timeout", "crashed"}
        ``"ok"``: ``value`` holds the return value. ``"error"``: the task raised
        ``exception``. ``"timeout"``: it ran longer than ``fit_timeout`` and was
        stopped or abandoned. ``"crashed"``: its worker died under it.
    value : object
    exception : BaseException or None
    message : str
        A one-paragraph account of a failure, for warnings and ``cv_results_``.
    elapsed : float
        Seconds from the task's start (as seen from this process) to its end.
    """

    task_id: Any
    status: str
    value: Any = None
    exception: BaseException | None = None
    message: str = ""
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# -- in the worker --------------------------------------------------------------------
_PAYLOADS: OrderedDict = OrderedDict()  # token -> payload, in each worker process


def _install(token, blob):
    _PAYLOADS[token] = cloudpickle.loads(blob)
    _PAYLOADS.move_to_end(token)
    while len(_PAYLOADS) > _MAX_PAYLOADS:
        _PAYLOADS.popitem(last=False)
    return os.getpid()


def _uninstall(token):
    _PAYLOADS.pop(token, None)


def _run_installed(token, fn, blob):
    if token not in _PAYLOADS:
        raise RuntimeError("the payload of the search did not reach this worker")
    return fn(_PAYLOADS[token], *cloudpickle.loads(blob))


def _run_with(payload, fn, args):
    return fn(payload, *args)


def _run_pickled(payload, fn, blob):
    return fn(payload, *cloudpickle.loads(blob))


def _dumps(obj) -> bytes:
    """Pickle ``obj`` now, in the calling thread.

    Executors that pickle in a background thread (loky's queue feeder, dask's
    event loop) would otherwise read objects the caller may change meanwhile (a
    search sets its fitted attributes as it goes): "dictionary changed size
    during iteration", as scikit-learn's evaluate_candidates also guards against.
    """
    return cloudpickle.dumps(obj)


# -- the scheduler --------------------------------------------------------------------
class Scheduler:
    """Run ``fn(shared, *args)`` tasks on ``n_jobs`` workers of the active backend.

    Parameters
    ----------
    n_jobs : int or None
        As for :class:`joblib.Parallel`; ``None`` takes the ``n_jobs`` of the
        active ``joblib.parallel_config`` (1 by default).
    shared : object
        The payload every task receives as first argument, shipped once per worker.
    fit_timeout : float or None
        Seconds a task may run before it is stopped (or abandoned, see the module
        docstring) and reported with status ``"timeout"``.
    """

    def __init__(self, n_jobs=None, shared=None, fit_timeout=None):
        backend, _ = active_joblib_backend()
        self.n_workers = max(1, int(joblib.effective_n_jobs(n_jobs)))
        self.fit_timeout = fit_timeout
        self.backend = type(backend).__name__
        if self.backend == "SequentialBackend" or (
            self.n_workers == 1
            and fit_timeout is None
            and self.backend in ("LokyBackend", "MultiprocessingBackend")
        ):
            self._executor = _InlineExecutor(shared)
        elif self.backend in ("LokyBackend", "MultiprocessingBackend"):
            self._executor = _ProcessExecutor(shared, self.n_workers)
        elif self.backend == "ThreadingBackend":
            self._executor = _ThreadExecutor(shared, self.n_workers)
        elif hasattr(backend, "client") and "Dask" in self.backend:
            self._executor = _DaskExecutor(shared, self.n_workers, backend.client)
        elif self.backend == "RayBackend":
            self._executor = _RayExecutor(shared)
        else:
            self._executor = _RoundsExecutor(shared, self.n_workers, n_jobs)
        self.timeouts_enforced = not isinstance(self._executor, _RoundsExecutor)
        self._running = {}  # task_id -> start time (monotonic)

    # -- submitting -----------------------------------------------------------------
    def has_room(self) -> bool:
        """Whether a worker is free for one more task."""
        return len(self._running) < self.n_workers

    @property
    def n_running(self) -> int:
        return len(self._running)

    def running_ids(self) -> list:
        """Ids of the tasks submitted and not yet returned by :meth:`wait`."""
        return list(self._running)

    def submit(self, task_id, fn, *args) -> None:
        """Start ``fn(shared, *args)``; its outcome comes back from :meth:`wait`."""
        if task_id in self._running:
            raise ValueError(f"task {task_id!r} is already running")
        self._running[task_id] = time.monotonic()
        self._executor.submit(task_id, fn, args)

    # -- collecting -----------------------------------------------------------------
    def wait(self) -> list[Outcome]:
        """Block until at least one task finishes; return every finished one.

        Returns an empty list only when nothing is running.
        """
        while self._running:
            timeout = None
            if self.fit_timeout is not None and self.timeouts_enforced:
                starts = self._starts()
                # A task not started yet (its worker still starting) is checked
                # again after a short while.
                oldest = min(starts.values(), default=time.monotonic())
                timeout = max(0.0, oldest + self.fit_timeout - time.monotonic())
                if len(starts) < len(self._running):
                    timeout = min(timeout, _POLL)
            outcomes = self._executor.wait(timeout)
            outcomes += self._expire()
            outcomes = [o for o in outcomes if o.task_id in self._running]
            if outcomes:
                for outcome in outcomes:
                    start = self._running.pop(outcome.task_id)
                    if not outcome.elapsed:
                        outcome.elapsed = time.monotonic() - start
                return outcomes
        return []

    def _starts(self) -> dict:
        """Start times of the running tasks that have started (monotonic clock)."""
        starts = {}
        for task_id, submitted in self._running.items():
            start = self._executor.start_time(task_id, submitted)
            if start is not None:
                starts[task_id] = start
        return starts

    def _expire(self) -> list[Outcome]:
        if self.fit_timeout is None or not self.timeouts_enforced:
            return []
        now = time.monotonic()
        starts = self._starts()
        late = [
            task_id
            for task_id, start in starts.items()
            if now - start >= self.fit_timeout
        ]
        outcomes = []
        for task_id in late:
            stopped = self._executor.stop(task_id)
            outcomes.append(
                Outcome(
                    task_id,
                    "timeout",
                    message=(
                        f"the fit ran longer than fit_timeout={self.fit_timeout!r} "
                        f"seconds and was "
                        f"{'stopped' if stopped else 'abandoned (it keeps running)'}"
                    ),
                    elapsed=now - starts[task_id],
                )
            )
        return outcomes

    def close(self) -> None:
        """Stop what still runs and release the workers (kept for the next search)."""
        for task_id in list(self._running):
            self._executor.stop(task_id)
        self._running.clear()
        self._executor.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _failure(task_id, exc, status="error"):
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return Outcome(task_id, status, exception=exc, message=text)


class _Executor:
    """What the scheduler asks of an executor (the defaults suit most)."""

    def start_time(self, task_id, submitted):
        """When ``task_id`` started running: its submission, unless known better."""
        return submitted

    def stop(self, task_id) -> bool:
        """Stop a running task if possible; return whether it was stopped."""
        return False

    def close(self):
        pass


class _InlineExecutor(_Executor):
    """One worker: the calling process, when results are waited for."""

    def __init__(self, shared):
        self.shared = shared
        self.queued = deque()

    def submit(self, task_id, fn, args):
        self.queued.append((task_id, fn, args))

    def wait(self, timeout):
        task_id, fn, args = self.queued.popleft()
        start = time.monotonic()
        try:
            value = fn(self.shared, *args)
        except Exception as exc:
            return [_failure(task_id, exc)]
        return [Outcome(task_id, "ok", value, elapsed=time.monotonic() - start)]

    def close(self):
        self.queued.clear()


class _ThreadExecutor(_Executor):
    """One thread per running task; a thread past its deadline is abandoned."""

    def __init__(self, shared, n_workers):
        self.shared = shared
        self.done = queue.Queue()

    def submit(self, task_id, fn, args):
        def run():
            start = time.monotonic()
            try:
                outcome = Outcome(task_id, "ok", fn(self.shared, *args))
            except BaseException as exc:
                outcome = _failure(task_id, exc)
            outcome.elapsed = time.monotonic() - start
            self.done.put(outcome)

        threading.Thread(target=run, name=f"skhpo-{task_id}", daemon=True).start()

    def wait(self, timeout):
        return _drain(self.done, timeout)


def _drain(done: queue.Queue, timeout) -> list:
    """Everything in ``done``, waiting up to ``timeout`` for the first item."""
    try:
        outcomes = [done.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            outcomes.append(done.get_nowait())
        except queue.Empty:
            return outcomes


# Idle single-process pools, kept between searches as joblib keeps its workers.
_IDLE_POOLS: list = []
_POOLS_LOCK = threading.Lock()
_TOKENS = itertools.count()


def _worker_env(n_workers: int) -> dict:
    share = str(max(1, (os.cpu_count() or 1) // n_workers))
    return {name: os.environ.get(name, share) for name in _THREAD_VARIABLES}


class _Slot:
    """One worker process: a single-process pool that can be ended on its own."""

    def __init__(self, env):
        self.env = env
        self.pool = ProcessPoolExecutor(max_workers=1, env=env)
        self.tokens = set()  # payloads installed in its process
        self.task_id = None
        self.pid = None  # the worker's, known once a payload was installed

    def kill(self):
        if self.pid is None:
            self.pool.shutdown(wait=False, kill_workers=True)
            return
        # Ending the process itself, rather than asking loky to, avoids a race in
        # loky's shutdown(kill_workers=True) with a task still queued; the pool
        # then sees a dead worker and fails only its own future.
        with contextlib.suppress(OSError):  # already gone
            os.kill(self.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        self.pool.shutdown(wait=False)


class _ProcessExecutor(_Executor):
    """``n_workers`` processes, each its own pool, so one can die or be ended alone."""

    def __init__(self, shared, n_workers):
        self.shared = _dumps(shared)  # pickled once, sent to each process
        self.token = (os.getpid(), next(_TOKENS))
        self.env = _worker_env(n_workers)
        self.done = queue.Queue()
        self.slots = []
        with _POOLS_LOCK:
            while _IDLE_POOLS and len(self.slots) < n_workers:
                slot = _IDLE_POOLS.pop()
                if slot.env == self.env:
                    self.slots.append(slot)
                else:
                    slot.kill()
        self.slots += [_Slot(self.env) for _ in range(n_workers - len(self.slots))]
        self.free = list(self.slots)
        self.by_task = {}
        self.started = {}  # task_id -> when its worker was ready for it
        self.install_error = None

    def start_time(self, task_id, submitted):
        return self.started.get(task_id)

    def submit(self, task_id, fn, args):
        slot = self.free.pop()
        slot.task_id = task_id
        self.by_task[task_id] = slot
        if self.token not in slot.tokens:
            # The payload travels once per process: later tasks find it there. A
            # new process starts (and imports) first: the task's clock starts
            # once the payload is in.
            install = slot.pool.submit(_install, self.token, self.shared)
            slot.tokens.add(self.token)
            install.add_done_callback(lambda f: self._installed(task_id, slot, f))
        else:
            self.started[task_id] = time.monotonic()
        future = slot.pool.submit(_run_installed, self.token, fn, _dumps(args))
        future.add_done_callback(lambda f: self._finished(task_id, slot, f))

    def _installed(self, task_id, slot, future):
        if not future.cancelled() and future.exception() is None:
            slot.pid = future.result()
        elif not future.cancelled() and not _is_dead_worker(future.exception()):
            self.install_error = future.exception()
        self.started.setdefault(task_id, time.monotonic())

    def _finished(self, task_id, slot, future):
        start = self.started.get(task_id, time.monotonic())
        elapsed = time.monotonic() - start
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None and self.install_error is not None:
            exc = self.install_error  # the payload could not be sent
        if exc is None:
            outcome = Outcome(task_id, "ok", future.result(), elapsed=elapsed)
        elif _is_dead_worker(exc):
            outcome = _failure(task_id, exc, status="crashed")
            outcome.message = (
                f"the worker process running the fit died ({type(exc).__name__}: "
                f"{exc}); a new process took its place"
            )
        else:
            outcome = _failure(task_id, exc)
        outcome.elapsed = elapsed
        self.done.put((outcome, slot))

    def wait(self, timeout):
        outcomes = []
        for outcome, slot in _drain(self.done, timeout):
            if self.by_task.get(outcome.task_id) is not slot:
                continue  # stopped before it finished: already reported
            del self.by_task[outcome.task_id]
            self.started.pop(outcome.task_id, None)
            if outcome.status == "crashed":
                slot = self._replace(slot)
            slot.task_id = None
            self.free.append(slot)
            outcomes.append(outcome)
        return outcomes

    def _replace(self, slot):
        slot.kill()
        new = _Slot(self.env)
        self.slots[self.slots.index(slot)] = new
        return new

    def stop(self, task_id):
        slot = self.by_task.pop(task_id, None)
        self.started.pop(task_id, None)
        if slot is None:
            return False
        new = self._replace(slot)
        self.free.append(new)
        return True

    def close(self):
        for slot in self.slots:
            if slot.task_id is not None and slot.task_id in self.by_task:
                slot.kill()
                continue
            if self.token in slot.tokens:
                slot.pool.submit(_uninstall, self.token)
                slot.tokens.discard(self.token)
            with _POOLS_LOCK:
                _IDLE_POOLS.append(slot)
        self.slots, self.free, self.by_task = [], [], {}


def _is_dead_worker(exc) -> bool:
    # loky's TerminatedWorkerError and concurrent.futures' BrokenProcessPool.
    from concurrent.futures.process import BrokenProcessPool

    return isinstance(exc, BrokenProcessPool)


class _DaskExecutor(_Executor):
    """Futures of the dask client behind joblib's ``dask`` backend."""

    def __init__(self, shared, n_workers, client):
        self.client = client
        # Scattered once to every worker: tasks carry a reference, not the data.
        self.shared = client.scatter(shared, broadcast=True, hash=False)
        self.done = queue.Queue()
        self.futures = {}

    def submit(self, task_id, fn, args):
        start = time.monotonic()
        future = self.client.submit(
            _run_pickled, self.shared, fn, _dumps(args), pure=False
        )
        self.futures[task_id] = future
        future.add_done_callback(lambda f: self._finished(task_id, f, start))

    def _finished(self, task_id, future, start):
        if future.status == "cancelled":
            return
        elapsed = time.monotonic() - start
        try:
            outcome = Outcome(task_id, "ok", future.result(), elapsed=elapsed)
        except Exception as exc:
            status = "crashed" if type(exc).__name__ == "KilledWorker" else "error"
            outcome = _failure(task_id, exc, status)
            outcome.elapsed = elapsed
        self.done.put(outcome)

    def wait(self, timeout):
        outcomes = _drain(self.done, timeout)
        for outcome in outcomes:
            self.futures.pop(outcome.task_id, None)
        return outcomes

    def stop(self, task_id):
        future = self.futures.pop(task_id, None)
        if future is not None:
            future.cancel()
        return False

    def close(self):
        for future in self.futures.values():
            future.cancel()
        self.futures = {}
        self.client.cancel([self.shared])


class _RayExecutor(_Executor):
    """Ray tasks, behind the ``ray`` joblib backend (``ray.util.joblib``).

    The payload is put in Ray's object store once: every task gets a reference,
    which each worker node reads from its local store. Past ``fit_timeout`` a task
    is cancelled with ``force=True``, which ends the worker process running it.
    """

    def __init__(self, shared):
        import ray

        self.ray = ray
        self.shared = ray.put(shared)
        # No retry: a fit that crashes its worker is one failed fit, not three.
        self.remote = ray.remote(max_retries=0)(_run_with)
        self.refs = {}  # ObjectRef -> task_id
        self.by_task = {}

    def submit(self, task_id, fn, args):
        ref = self.remote.remote(self.shared, fn, args)
        self.refs[ref] = task_id
        self.by_task[task_id] = ref

    def wait(self, timeout):
        if not self.refs:
            return []
        refs = list(self.refs)
        ready, _ = self.ray.wait(refs, num_returns=1, timeout=timeout)
        if ready:  # and whatever else is done by now
            ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=0)
        outcomes = []
        for ref in ready:
            task_id = self.refs.pop(ref)
            self.by_task.pop(task_id, None)
            try:
                outcomes.append(Outcome(task_id, "ok", self.ray.get(ref)))
            except self.ray.exceptions.RayTaskError as exc:
                outcomes.append(_failure(task_id, exc))
            except self.ray.exceptions.RayError as exc:  # a dead worker or node
                outcomes.append(_failure(task_id, exc, status="crashed"))
        return outcomes

    def stop(self, task_id):
        ref = self.by_task.pop(task_id, None)
        if ref is None:
            return False
        self.refs.pop(ref, None)
        self.ray.cancel(ref, force=True)
        return True

    def close(self):
        for ref in list(self.refs):
            self.ray.cancel(ref, force=True)
        self.refs, self.by_task = {}, {}


class _RoundsExecutor(_Executor):
    """Any other joblib backend: the tasks submitted meanwhile, one round at a time."""

    def __init__(self, shared, n_workers, n_jobs):
        self.shared = shared
        self.n_jobs = n_jobs
        self.queued = []
        self.results = iter(())

    def submit(self, task_id, fn, args):
        self.queued.append((task_id, fn, args))

    def wait(self, timeout):
        for outcome in self.results:
            return [outcome]
        tasks, self.queued = self.queued, []
        if not tasks:
            return []
        parallel = joblib.Parallel(n_jobs=self.n_jobs, return_as="generator_unordered")
        outcomes = parallel(
            joblib.delayed(_guarded)(task_id, fn, self.shared, args)
            for task_id, fn, args in tasks
        )
        self.results = iter(outcomes)
        return [next(self.results)]

    def close(self):
        self.queued = []


def _guarded(task_id, fn, shared, args):
    start = time.monotonic()
    try:
        return Outcome(
            task_id, "ok", fn(shared, *args), elapsed=time.monotonic() - start
        )
    except Exception as exc:
        return _failure(task_id, exc)
