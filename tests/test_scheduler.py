# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""The scheduler alone: tasks on each kind of joblib backend, failures, timeouts."""

import os
import sys
import time
from pathlib import Path

import pytest
from joblib import parallel_config
from joblib._parallel_backends import ThreadingBackend

from skhpo._scheduler import Scheduler
from skhpo.utils._testing import (
    CountedPayload,
    die_task,
    echo_task,
    raise_task,
    sleep_task,
)

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")


def run_all(scheduler, tasks):
    """Submit ``{task_id: args}`` as room allows; outcomes by id, and finish order."""
    pending, outcomes, order = list(tasks.items()), {}, []
    while pending or scheduler.n_running:
        while pending and scheduler.has_room():
            task_id, (fn, *args) = pending.pop(0)
            scheduler.submit(task_id, fn, *args)
        for outcome in scheduler.wait():
            outcomes[outcome.task_id] = outcome
            order.append(outcome.task_id)
    return outcomes, order


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_results_come_back_as_they_finish(backend):
    with parallel_config(backend=backend), Scheduler(n_jobs=2) as scheduler:
        assert scheduler.n_workers == 2
        tasks = {"slow": (sleep_task, 1.0, "s"), "fast": (sleep_task, 0.0, "f")}
        # warm the worker processes up, so that start-up time does not blur timing
        run_all(scheduler, dict.fromkeys(range(2), (sleep_task, 0.0)))
        outcomes, order = run_all(scheduler, tasks)
    assert order == ["fast", "slow"]
    assert outcomes["slow"].ok and outcomes["slow"].value[0] == "s"
    assert outcomes["slow"].elapsed >= 1.0


def test_one_worker_runs_in_this_process():
    scheduler = Scheduler(n_jobs=1)
    outcomes, _ = run_all(scheduler, {0: (sleep_task, 0.0)})
    assert outcomes[0].value[1] == os.getpid()
    assert not scheduler.has_room() or scheduler.n_running == 0


def test_has_room_counts_running_tasks():
    with parallel_config(backend="threading"), Scheduler(n_jobs=2) as scheduler:
        scheduler.submit("a", sleep_task, 0.2)
        assert scheduler.has_room() and scheduler.running_ids() == ["a"]
        scheduler.submit("b", sleep_task, 0.2)
        assert not scheduler.has_room()
        with pytest.raises(ValueError, match="already running"):
            scheduler.submit("a", sleep_task, 0.0)
        done = scheduler.wait() + scheduler.wait()
        assert {outcome.task_id for outcome in done} <= {"a", "b"}


@POSIX
def test_the_payload_travels_once_per_worker(tmp_path):
    log = tmp_path / "unpickled.log"
    payload = CountedPayload(str(log))
    with Scheduler(n_jobs=2, shared=payload) as scheduler:
        outcomes, _ = run_all(scheduler, dict.fromkeys(range(12), (sleep_task, 0.01)))
    assert all(outcome.ok for outcome in outcomes.values())
    pids = {outcome.value[1] for outcome in outcomes.values()}
    lines = log.read_text().split()
    assert len(lines) == len(pids) <= 2
    assert set(map(int, lines)) == pids


@POSIX
def test_a_dead_worker_fails_only_its_task_and_is_replaced():
    with Scheduler(n_jobs=2) as scheduler:
        tasks = {"dies": (die_task,), **{k: (sleep_task, 0.1, k) for k in range(6)}}
        outcomes, _ = run_all(scheduler, tasks)
        assert outcomes["dies"].status == "crashed"
        assert "died" in outcomes["dies"].message
        assert all(outcomes[k].ok and outcomes[k].value[0] == k for k in range(6))
        # both workers are alive again
        again, _ = run_all(scheduler, {k: (sleep_task, 0.0, k) for k in range(4)})
        assert all(outcome.ok for outcome in again.values())


@POSIX
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_fit_timeout_ends_the_process_and_keeps_the_rest(n_jobs):
    with Scheduler(n_jobs=n_jobs, fit_timeout=1.0) as scheduler:
        # fit_timeout needs a process even with one worker
        warm, _ = run_all(scheduler, {"warm": (sleep_task, 0.0)})
        assert warm["warm"].value[1] != os.getpid()
        start = time.monotonic()
        tasks = {
            "hangs": (sleep_task, 60.0),
            **dict.fromkeys(range(3), (sleep_task, 0.1)),
        }
        outcomes, _ = run_all(scheduler, tasks)
        assert time.monotonic() - start < 30
    assert outcomes["hangs"].status == "timeout"
    assert "stopped" in outcomes["hangs"].message
    assert all(outcomes[k].ok for k in range(3))


def test_fit_timeout_abandons_a_thread():
    with parallel_config(backend="threading"):
        scheduler = Scheduler(n_jobs=2, fit_timeout=0.3)
    outcomes, _ = run_all(
        scheduler,
        {"hangs": (sleep_task, 3.0), **dict.fromkeys((1, 2), (sleep_task, 0.0))},
    )
    assert outcomes["hangs"].status == "timeout"
    assert "abandoned" in outcomes["hangs"].message
    assert outcomes[1].ok and outcomes[2].ok
    scheduler.close()


@pytest.mark.parametrize("backend", ["loky", "threading", "sequential"])
def test_an_exception_is_an_error_outcome(backend):
    with parallel_config(backend=backend), Scheduler(n_jobs=2) as scheduler:
        outcomes, _ = run_all(
            scheduler, {"bad": (raise_task, "boom"), "good": (sleep_task, 0.0)}
        )
    assert outcomes["bad"].status == "error"
    assert isinstance(outcomes["bad"].exception, ValueError)
    assert "boom" in outcomes["bad"].message
    assert outcomes["good"].ok


class OtherBackend(ThreadingBackend):
    """A joblib backend the scheduler has no executor of its own for."""


def test_other_backends_run_in_rounds_through_joblib():
    from joblib import register_parallel_backend

    register_parallel_backend("skhpo-test-other", OtherBackend)
    with parallel_config(backend="skhpo-test-other"):
        scheduler = Scheduler(n_jobs=2)
        assert not scheduler.timeouts_enforced
        outcomes, _ = run_all(scheduler, {k: (sleep_task, 0.0, k) for k in range(5)})
    assert sorted(outcomes) == list(range(5))
    assert all(outcome.value[0] == k for k, outcome in outcomes.items())


def test_parallel_config_n_jobs_is_the_default():
    with parallel_config(backend="threading", n_jobs=3):
        assert Scheduler().n_workers == 3
    assert Scheduler().n_workers == 1


def test_scheduler_knows_nothing_of_strategies():
    source = Path(__file__).parents[1] / "skhpo" / "_scheduler.py"
    text = source.read_text()
    for name in ("sklearn", "_optimizers", "SearchCV", "space"):
        assert f"import {name}" not in text and f"from {name}" not in text


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_what_a_process_receives_is_pickled_at_submission(backend):
    # loky pickles in a background thread: objects the caller changes after
    # submitting (a search sets its attributes as it goes) must not be read then.
    payload, item = {"version": 1}, {"version": 1}
    with parallel_config(backend=backend), Scheduler(n_jobs=2, shared=payload) as s:
        s.submit("task", echo_task, item)
        item["version"] = 2
        item.update({k: k for k in range(1000)})  # resized while in flight
        (outcome,) = s.wait()
    assert outcome.ok
    if backend == "loky":
        assert outcome.value == ({"version": 1}, {"version": 1})
