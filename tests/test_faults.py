# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Faults in real processes: a killed search, a worker that dies.

Nothing finished is lost: a search killed with SIGKILL in the middle of a batch
loses only that batch, and a worker process that dies, or a fit that hangs past
``fit_timeout``, is one failed fit: every other fit of the search survives.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning

import skhpo
from skhpo import BayesSearchCV, EvolutionarySearchCV, PSOSearchCV
from skhpo.space import Real
from skhpo.utils._testing import (
    SEARCHES,
    FaultyQuadratic,
    HangingQuadratic,
    make_search,
)

SPACE = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}
SEARCH = {"n_iter": 16, "population_size": 4, "cv": 2, "random_state": 0}
N_FITS_PER_BATCH = 4 * 2  # population_size x cv

CHILD = """
import sys

from sklearn.datasets import make_classification

from skhpo import EvolutionarySearchCV
from skhpo.space import Real
from skhpo.utils._testing import FaultyQuadratic

checkpoint, fit_log = sys.argv[1], sys.argv[2]
X, y = make_classification(n_samples=120, n_features=5, random_state=0)
estimator = FaultyQuadratic(noise=0.1, sleep=0.2, fit_log=fit_log)
space = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}
search = EvolutionarySearchCV(
    estimator, space, n_iter=16, population_size=4, cv=2, random_state=0,
    checkpoint=checkpoint,
)
search.fit(X, y)
"""


@pytest.fixture
def data():
    return make_classification(n_samples=120, n_features=5, random_state=0)


def _count_lines(path):
    try:
        return Path(path).read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _count_batches(path):
    """Lines of a checkpoint that are its header or a batch (not a single fit)."""
    try:
        lines = Path(path).read_bytes().split(b"\n")[:-1]
    except FileNotFoundError:
        return 0
    return sum(not line.startswith(b'{"fit"') for line in lines)


def _wait_for(condition, process, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the search ended early with code {process.returncode}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the search did not get there in time")
        time.sleep(0.01)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_in_a_batch_loses_only_the_running_fit(data, tmp_path):
    X, y = data
    checkpoint, fit_log = tmp_path / "search.jsonl", tmp_path / "fits.log"
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(Path(skhpo.__file__).parents[1]), os.environ.get("PYTHONPATH", "")]
        ),
    }
    child = subprocess.Popen(
        [sys.executable, str(script), str(checkpoint), str(fit_log)], env=env
    )
    try:
        # Two batches on disk (header + 2 lines), then the first fit of the third.
        _wait_for(lambda: _count_batches(checkpoint) >= 3, child)
        _wait_for(lambda: _count_lines(fit_log) > 2 * N_FITS_PER_BATCH, child)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:  # pragma: no cover
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert _count_batches(checkpoint) == 3  # the third batch was not finished

    n_fits = _count_lines(fit_log)  # the fits that finished in the child
    estimator = FaultyQuadratic(noise=0.1, sleep=0.2, fit_log=str(fit_log))
    resumed = EvolutionarySearchCV(
        estimator, SPACE, checkpoint=checkpoint, **SEARCH
    ).fit(X, y)
    # Every finished fit was recorded: only the fit running at the kill and those
    # not started are fitted, plus the refit. (The kill may land after a fit
    # logged itself but before its record was written: it was still running for
    # the search, and is fitted again.)
    n_total = 4 * N_FITS_PER_BATCH  # 16 candidates, cv=2
    redone = _count_lines(fit_log) - n_fits - 1
    assert redone - (n_total - n_fits) in (0, 1)

    plain = EvolutionarySearchCV(FaultyQuadratic(noise=0.1), SPACE, **SEARCH)
    plain.fit(X, y)
    assert resumed.cv_results_["params"] == plain.cv_results_["params"]
    np.testing.assert_array_equal(
        resumed.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    assert resumed.best_params_ == plain.best_params_


def _candidate_of(SearchCV, X, y, row):
    """A value of ``a`` that the seeded search of ``SearchCV`` evaluates."""
    plain = make_search(SearchCV, FaultyQuadratic(noise=0.1), SPACE).fit(X, y)
    return plain, plain.cv_results_["params"][row]["a"]


def _failed_splits(search):
    results = search.cv_results_
    return [
        (i, k)
        for k in range(search.n_splits_)
        for i in np.flatnonzero(np.isnan(results[f"split{k}_test_score"]))
    ]


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_a_dead_worker_fails_only_its_fit(SearchCV, data, tmp_path):
    # scikit-learn's searches die with TerminatedWorkerError here: skhpo records
    # one failed fit, replaces the worker, and every other fit survives.
    X, y = data
    plain, die_at = _candidate_of(SearchCV, X, y, row=2)
    died = tmp_path / "died"
    estimator = FaultyQuadratic(noise=0.1, die_at=die_at, die_once=str(died))
    search = make_search(SearchCV, estimator, SPACE, n_jobs=2)
    with pytest.warns(FitFailedWarning, match="died"):
        search.fit(X, y)
    assert died.exists()
    failed = _failed_splits(search)
    assert len(failed) == 1
    assert search.cv_results_["params"][failed[0][0]]["a"] == die_at
    assert len(search.cv_results_["params"]) == len(plain.cv_results_["params"])
    assert np.isfinite(search.best_score_)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_fit_timeout_stops_a_hanging_fit(SearchCV, data):
    X, y = data
    plain, hang_at = _candidate_of(SearchCV, X, y, row=1)
    estimator = HangingQuadratic(noise=0.1, hang_at=hang_at, hang=60.0)
    search = make_search(SearchCV, estimator, SPACE, n_jobs=2, fit_timeout=2.0)
    start = time.monotonic()
    with pytest.warns(FitFailedWarning, match=r"fit_timeout=2\.0.*stopped"):
        search.fit(X, y)
    assert time.monotonic() - start < 45
    results = search.cv_results_
    hung = [i for i, p in enumerate(results["params"]) if p["a"] == hang_at]
    assert hung and all(np.isnan(results["mean_test_score"][i]) for i in hung)
    assert len(results["params"]) == len(plain.cv_results_["params"])
    assert np.isfinite(search.best_score_)


def test_fit_timeout_with_one_worker_uses_a_process(data):
    X, y = data
    _, hang_at = _candidate_of(BayesSearchCV, X, y, row=0)
    estimator = HangingQuadratic(noise=0.1, hang_at=hang_at, hang=60.0)
    search = make_search(BayesSearchCV, estimator, SPACE, n_jobs=1, fit_timeout=2.0)
    with pytest.warns(FitFailedWarning, match="fit_timeout"):
        search.fit(X, y)
    assert np.isnan(search.cv_results_["mean_test_score"][0])


def test_fit_timeout_abandons_a_thread(data):
    X, y = data
    _, hang_at = _candidate_of(PSOSearchCV, X, y, row=0)
    estimator = HangingQuadratic(noise=0.1, hang_at=hang_at, hang=3.0)
    search = make_search(PSOSearchCV, estimator, SPACE, n_jobs=2, fit_timeout=0.5)
    with (
        parallel_config(backend="threading"),
        pytest.warns(FitFailedWarning, match="abandoned"),
    ):
        search.fit(X, y)
    assert np.isnan(search.cv_results_["mean_test_score"][0])


def test_fit_timeout_with_error_score_raise_raises(data):
    X, y = data
    _, hang_at = _candidate_of(BayesSearchCV, X, y, row=0)
    estimator = HangingQuadratic(noise=0.1, hang_at=hang_at, hang=60.0)
    search = make_search(
        BayesSearchCV, estimator, SPACE, n_jobs=2, fit_timeout=1.0, error_score="raise"
    )
    with pytest.raises(TimeoutError, match="fit_timeout"):
        search.fit(X, y)
