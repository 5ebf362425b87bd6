# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Faults in real processes: a killed search, a worker that dies.

Nothing finished is lost: a search killed with SIGKILL in the middle of a batch
loses only that batch, and a worker process that dies raises a clear error after
which the search resumes from its checkpoint.
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
from joblib.externals.loky.process_executor import TerminatedWorkerError
from sklearn.datasets import make_classification

import skhpo
from skhpo import EvolutionarySearchCV
from skhpo.space import Real
from skhpo.utils._testing import FaultyQuadratic

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
def test_sigkill_in_a_batch_loses_only_that_batch(data, tmp_path):
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
        _wait_for(lambda: _count_lines(checkpoint) >= 3, child)
        _wait_for(lambda: _count_lines(fit_log) > 2 * N_FITS_PER_BATCH, child)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:  # pragma: no cover
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert _count_lines(checkpoint) == 3  # the third batch was lost, only it

    n_fits = _count_lines(fit_log)
    estimator = FaultyQuadratic(noise=0.1, sleep=0.2, fit_log=str(fit_log))
    resumed = EvolutionarySearchCV(
        estimator, SPACE, checkpoint=checkpoint, **SEARCH
    ).fit(X, y)
    # Two generations are fitted again, plus the refit; the two on disk are not.
    assert _count_lines(fit_log) - n_fits == 2 * N_FITS_PER_BATCH + 1

    plain = EvolutionarySearchCV(FaultyQuadratic(noise=0.1), SPACE, **SEARCH)
    plain.fit(X, y)
    assert resumed.cv_results_["params"] == plain.cv_results_["params"]
    np.testing.assert_array_equal(
        resumed.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    assert resumed.best_params_ == plain.best_params_


def test_a_dead_worker_raises_and_the_search_resumes(data, tmp_path):
    X, y = data
    plain = EvolutionarySearchCV(FaultyQuadratic(noise=0.1), SPACE, **SEARCH)
    plain.fit(X, y)
    a = np.asarray(plain.cv_results_["param_a"], dtype=float)
    batch = np.asarray(plain.cv_results_["iter"])
    # A worker dies on the first candidate of the third generation.
    dies_in = 2
    die_at = a[np.flatnonzero(batch == dies_in)[0]]

    checkpoint = tmp_path / "search.jsonl"
    estimator = FaultyQuadratic(
        noise=0.1, die_at=die_at, die_once=str(tmp_path / "died")
    )
    search = EvolutionarySearchCV(
        estimator, SPACE, n_jobs=2, checkpoint=checkpoint, **SEARCH
    )
    with pytest.raises(TerminatedWorkerError) as info:
        search.fit(X, y)
    if sys.version_info >= (3, 11):  # exception notes
        assert f"{dies_in} finished batches" in "".join(info.value.__notes__)
    assert (tmp_path / "died").exists()
    # Every generation before the one that lost its worker is on disk.
    assert _count_lines(checkpoint) == 1 + dies_in

    search.fit(X, y)  # resumes; the worker does not die twice
    assert search.cv_results_["params"] == plain.cv_results_["params"]
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
