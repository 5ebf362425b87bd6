# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Searches on a real dask cluster (worker processes), through joblib's backend.

Nothing in the search code changes between a laptop and a cluster: the fits go
wherever joblib sends them. Skipped when ``distributed`` is not installed (the
``dask`` extra); CI runs them.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skhpo import EvolutionarySearchCV
from skhpo.utils._testing import SEARCHES, FaultyQuadratic, make_search

distributed = pytest.importorskip("distributed")
# After the skip: parallel_config is joblib >= 1.3, which distributed requires.
from joblib import parallel_config  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture
def data():
    return make_classification(n_samples=120, n_features=5, random_state=0)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_dask_cluster_gives_the_serial_results(SearchCV, client, data):
    X, y = data
    serial = make_search(SearchCV, FaultyQuadratic(noise=0.1), n_jobs=1).fit(X, y)
    with parallel_config(backend="dask"):
        clustered = make_search(SearchCV, FaultyQuadratic(noise=0.1), n_jobs=-1)
        clustered.fit(X, y)
    assert clustered.cv_results_["params"] == serial.cv_results_["params"]
    np.testing.assert_array_equal(
        clustered.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    assert clustered.best_params_ == serial.best_params_


def test_a_killed_dask_worker_loses_no_finished_candidate(client, data, tmp_path):
    X, y = data
    params = {"n_iter": 24, "population_size": 4, "cv": 2, "random_state": 0}
    space = {"a": [i / 20 for i in range(21)], "b": [i / 20 for i in range(21)]}
    plain = EvolutionarySearchCV(FaultyQuadratic(noise=0.1), space, **params)
    plain.fit(X, y)

    checkpoint = tmp_path / "search.jsonl"
    estimator = FaultyQuadratic(noise=0.1, sleep=0.05)
    search = EvolutionarySearchCV(
        estimator, space, checkpoint=checkpoint, n_jobs=-1, **params
    )
    outcome = {}

    def run():
        try:
            with parallel_config(backend="dask"):
                search.fit(X, y)
        except Exception as exc:  # inspected below
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while not checkpoint.exists() or _batches(checkpoint) < 3:
        assert time.monotonic() < deadline, "the search made no progress"
        assert thread.is_alive(), outcome
        time.sleep(0.01)
    # Two generations are on disk: kill a worker in the middle of the third.
    pids = client.run(os.getpid)
    os.kill(next(iter(pids.values())), signal.SIGKILL)
    thread.join(timeout=120)
    assert not thread.is_alive()
    if "error" in outcome:
        # The scheduler gave up on the batch: the finished ones are on disk, and
        # fitting again resumes from them.
        assert _batches(checkpoint) >= 3
        client.wait_for_workers(2, timeout=60)
        with parallel_config(backend="dask"):
            search.fit(X, y)
    # Either way, the search completed with exactly the uninterrupted results.
    assert search.cv_results_["params"] == plain.cv_results_["params"]
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )


def _batches(checkpoint):
    """The header and batch lines of a checkpoint (not those of single fits)."""
    lines = checkpoint.read_bytes().split(b"\n")[:-1]
    return sum(not line.startswith(b'{"fit"') for line in lines)
