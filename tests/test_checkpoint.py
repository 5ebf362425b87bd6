# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Checkpoint and resume: nothing finished is lost, nothing finished is refitted."""

import json
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import KFold, StratifiedKFold

from skhpo import BayesSearchCV, EvolutionarySearchCV, HyperbandSearchCV
from skhpo._checkpoint import CheckpointMismatch
from skhpo.space import Real
from skhpo.utils._testing import (
    SEARCHES,
    QuadraticClassifier,
    fails_above_half,
    make_search,
)


class CountingQuadratic(QuadraticClassifier):
    """QuadraticClassifier that counts its fits and what the checkpoint held then."""

    n_fits = 0
    checkpoint = None  # path read at each fit
    records_seen = []  # number of batch records in the checkpoint at each fit

    def fit(self, X, y, sample_weight=None):
        cls = type(self)
        cls.n_fits += 1
        if cls.checkpoint is not None:
            with open(cls.checkpoint, "rb") as f:
                cls.records_seen.append(len(_batch_lines(f.read())) - 1)
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.fixture
def data():
    return make_classification(n_samples=120, n_features=5, random_state=0)


@pytest.fixture(autouse=True)
def reset_counter():
    CountingQuadratic.n_fits = 0
    CountingQuadratic.checkpoint = None
    CountingQuadratic.records_seen = []
    yield


def _search(SearchCV, **params):
    return make_search(SearchCV, CountingQuadratic(noise=0.1), **params)


def _lines(path):
    """The header and the batch records; the records of single fits left out."""
    return _batch_lines(path.read_bytes())


def _batch_lines(data):
    return [line for line in data.split(b"\n")[:-1] if not line.startswith(b'{"fit"')]


def _keep_batches(path, n_batches, torn=b""):
    """Cut the checkpoint after its header and ``n_batches`` records."""
    lines = _lines(path)
    path.write_bytes(b"\n".join(lines[: 1 + n_batches]) + b"\n" + torn)


def assert_same_results(a, b, times=True):
    assert a.keys() == b.keys()
    for key in a:
        if not times and key.endswith("_time"):
            continue
        left, right = np.asarray(a[key]), np.asarray(b[key])
        if key == "params" or left.dtype == object:
            assert list(map(repr, a[key])) == list(map(repr, b[key])), key
        else:
            np.testing.assert_array_equal(left, right, err_msg=key)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_resume_gives_the_uninterrupted_results_without_refitting(
    SearchCV, data, tmp_path
):
    X, y = data
    plain = _search(SearchCV).fit(X, y)
    path = tmp_path / "search.jsonl"
    first = _search(SearchCV, checkpoint=path).fit(X, y)
    assert_same_results(plain.cv_results_, first.cv_results_, times=False)
    assert plain.best_params_ == first.best_params_
    n_batches = len(_lines(path)) - 1
    assert n_batches >= 2
    fits_per_row = first.n_splits_
    rows_per_batch = [len(r["keys"]) for r in map(json.loads, _lines(path)[1:])]

    for kept in range(n_batches + 1):
        path_k = tmp_path / f"kept{kept}.jsonl"
        path_k.write_bytes(path.read_bytes())
        _keep_batches(path_k, kept)
        CountingQuadratic.n_fits = 0
        resumed = _search(SearchCV, checkpoint=path_k).fit(X, y)
        # Only the batches that were not in the checkpoint are fitted, plus the
        # refit; the replayed rows keep their recorded times.
        missing = sum(rows_per_batch[kept:])
        assert CountingQuadratic.n_fits == missing * fits_per_row + 1
        assert_same_results(first.cv_results_, resumed.cv_results_, times=False)
        n_replayed = sum(rows_per_batch[:kept])
        np.testing.assert_array_equal(
            resumed.cv_results_["mean_fit_time"][:n_replayed],
            first.cv_results_["mean_fit_time"][:n_replayed],
        )
        assert resumed.best_params_ == first.best_params_
        assert resumed.best_index_ == first.best_index_
        # The resumed run completed the checkpoint: it now holds every batch.
        assert _lines(path_k)[1:][:kept] == _lines(path)[1:][:kept]
        assert len(_lines(path_k)) == n_batches + 1


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_resume_with_initial_params(SearchCV, data, tmp_path):
    X, y = data
    initial = [{"a": 0.3, "b": 0.7}, {"a": 0.9, "b": 0.1}]
    path = tmp_path / "search.jsonl"
    first = _search(SearchCV, checkpoint=path, initial_params=initial).fit(X, y)
    for kept in (1, 2):
        path_k = tmp_path / f"kept{kept}.jsonl"
        path_k.write_bytes(path.read_bytes())
        _keep_batches(path_k, kept)
        resumed = _search(SearchCV, checkpoint=path_k, initial_params=initial)
        assert_same_results(first.cv_results_, resumed.fit(X, y).cv_results_, False)
    # Other initial_params are another search.
    with pytest.raises(CheckpointMismatch, match="initial_params"):
        _search(SearchCV, checkpoint=path, initial_params=initial[:1]).fit(X, y)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_each_batch_is_on_disk_before_the_next_starts(SearchCV, data, tmp_path):
    # With max_pending=0 a batch is proposed only once every earlier one is told,
    # and a batch is written as soon as it is told.
    X, y = data
    path = tmp_path / "search.jsonl"
    CountingQuadratic.checkpoint = path
    search = _search(SearchCV, checkpoint=path, refit=False, max_pending=0)
    search.fit(X, y)
    n_batches = len(_lines(path)) - 1
    seen = CountingQuadratic.records_seen
    assert len(seen) == len(search.cv_results_["params"]) * search.n_splits_
    # Every batch started with all the previous ones already written.
    assert seen == sorted(seen)
    assert sorted(set(seen)) == list(range(n_batches))


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_an_interrupted_last_record_is_ignored_and_cut_off(SearchCV, data, tmp_path):
    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(SearchCV, checkpoint=path).fit(X, y)
    complete = path.read_bytes()
    record = _lines(path)[2]
    _keep_batches(path, 1, torn=record[: len(record) // 2])
    resumed = _search(SearchCV, checkpoint=path).fit(X, y)
    assert_same_results(first.cv_results_, resumed.cv_results_, times=False)
    lines = path.read_bytes().split(b"\n")[:-1]
    assert len(_lines(path)) == len(_batch_lines(complete))
    assert all(json.loads(line) for line in lines)  # no glued, half-written line


def test_a_header_cut_short_starts_afresh(data, tmp_path):
    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(BayesSearchCV, checkpoint=path).fit(X, y)
    header = _lines(path)[0]
    path.write_bytes(header[:10])
    again = _search(BayesSearchCV, checkpoint=path).fit(X, y)
    assert_same_results(first.cv_results_, again.cv_results_, times=False)
    assert json.loads(_lines(path)[0])["format"] == "skhpo-checkpoint"


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_a_complete_checkpoint_refits_nothing_but_the_best(SearchCV, data, tmp_path):
    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(SearchCV, checkpoint=path).fit(X, y)
    before = path.read_bytes()
    CountingQuadratic.n_fits = 0
    again = _search(SearchCV, checkpoint=path).fit(X, y)
    assert CountingQuadratic.n_fits == 1  # the refit
    assert_same_results(first.cv_results_, again.cv_results_)
    assert path.read_bytes() == before
    np.testing.assert_array_equal(again.predict(X), first.predict(X))


def test_a_fully_recorded_search_fits_only_the_refit(data, tmp_path):
    # skhpo builds cv_results_ itself: a search read entirely from its checkpoint
    # needs no fit of a recorded batch again, only the final refit.
    X, y = data
    path = tmp_path / "search.jsonl"
    params = {"cv": 2, "random_state": 0, "n_iter": 8, "population_size": 4}
    space = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}
    first = EvolutionarySearchCV(
        CountingQuadratic(noise=0.1), space, checkpoint=path, **params
    ).fit(X, y)
    CountingQuadratic.n_fits = 0
    again = EvolutionarySearchCV(
        CountingQuadratic(noise=0.1), space, checkpoint=path, **params
    ).fit(X, y)
    assert CountingQuadratic.n_fits == 1  # the refit
    assert again.cv_results_["params"] == first.cv_results_["params"]
    assert_allclose(
        again.cv_results_["mean_test_score"], first.cv_results_["mean_test_score"]
    )


def _mismatches(X, y):
    """(what changes, fit arguments, search parameters) that must not resume."""
    yield "data", (X[::-1], y[::-1]), {}
    yield "data", (X, y, {"sample_weight": np.linspace(1, 2, len(y))}), {}
    yield "estimator", (X, y), {"estimator": CountingQuadratic(noise=0.2)}
    yield (
        "param_distributions",
        (X, y),
        {"param_distributions": {"a": Real(0.0, 0.9), "b": Real(0.0, 1.0)}},
    )
    yield "cross-validation", (X, y), {"cv": 3}
    yield (
        "cross-validation",
        (X, y),
        {"cv": StratifiedKFold(2, shuffle=True, random_state=1)},
    )
    yield "scoring", (X, y), {"scoring": "accuracy"}
    yield "random_state", (X, y), {"random_state": 1}
    yield "return_train_score", (X, y), {"return_train_score": True}
    yield "search class", (X, y), {"SearchCV": HyperbandSearchCV}


@pytest.mark.parametrize("case", range(10))
def test_a_checkpoint_of_another_search_raises_and_is_left_untouched(
    case, data, tmp_path
):
    X, y = data
    what, args, params = list(_mismatches(X, y))[case]
    SearchCV = params.pop("SearchCV", BayesSearchCV)
    path = tmp_path / "search.jsonl"
    _search(BayesSearchCV, checkpoint=path).fit(X, y)
    before = path.read_bytes()
    estimator = params.pop("estimator", CountingQuadratic(noise=0.1))
    search = make_search(SearchCV, estimator, checkpoint=path, **params)
    fit_params = args[2] if len(args) == 3 else {}
    CountingQuadratic.n_fits = 0
    with pytest.raises(CheckpointMismatch, match=f"(?s){what}.*cannot be resumed"):
        search.fit(args[0], args[1], **fit_params)
    assert issubclass(CheckpointMismatch, ValueError)
    assert CountingQuadratic.n_fits == 0
    assert path.read_bytes() == before


def test_free_settings_may_change_on_resume(data, tmp_path):
    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(BayesSearchCV, checkpoint=path).fit(X, y)
    CountingQuadratic.n_fits = 0
    again = _search(
        BayesSearchCV, checkpoint=path, n_jobs=2, verbose=0, max_time=1e6
    ).fit(X, y)
    assert CountingQuadratic.n_fits == 1
    assert_same_results(first.cv_results_, again.cv_results_)


def test_a_checkpoint_older_than_a_parameter_resumes_at_its_default(data, tmp_path):
    # Written by an skhpo without `racing` (its header has no such setting): a
    # search that leaves racing at its default resumes, another one does not.
    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(BayesSearchCV, checkpoint=path).fit(X, y)
    lines = _lines(path)
    header = json.loads(lines[0])
    del header["fingerprint"]["settings"]["racing"]
    del header["fingerprint"]["at_default"]
    path.write_bytes(b"\n".join([json.dumps(header).encode(), *lines[1:]]) + b"\n")
    CountingQuadratic.n_fits = 0
    again = _search(BayesSearchCV, checkpoint=path).fit(X, y)
    assert CountingQuadratic.n_fits == 1  # the refit only
    assert_same_results(first.cv_results_, again.cv_results_)
    with pytest.raises(CheckpointMismatch, match="other values of racing"):
        _search(BayesSearchCV, checkpoint=path, racing=True).fit(X, y)


def test_a_file_that_is_not_a_checkpoint_is_left_untouched(data, tmp_path):
    X, y = data
    path = tmp_path / "notes.txt"
    path.write_text("my precious notes\n")
    with pytest.raises(ValueError, match="not an skhpo checkpoint"):
        _search(BayesSearchCV, checkpoint=path).fit(X, y)
    assert path.read_text() == "my precious notes\n"
    assert CountingQuadratic.n_fits == 0


def test_a_garbled_last_record_counts_as_interrupted(data, tmp_path):
    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(BayesSearchCV, checkpoint=path).fit(X, y)
    complete = path.read_bytes()
    lines = _lines(path)
    path.write_bytes(b"\n".join([*lines[:-1], lines[-1][:-7]]) + b"\n")
    CountingQuadratic.n_fits = 0
    resumed = _search(BayesSearchCV, checkpoint=path).fit(X, y)
    assert CountingQuadratic.n_fits == len(json.loads(lines[-1])["keys"]) * 2 + 1
    assert_same_results(first.cv_results_, resumed.cv_results_, times=False)
    assert len(_lines(path)) == len(_batch_lines(complete))


def test_a_corrupted_record_raises(data, tmp_path):
    X, y = data
    path = tmp_path / "search.jsonl"
    _search(BayesSearchCV, checkpoint=path).fit(X, y)
    lines = _lines(path)
    lines[1] = lines[1][:-5]
    path.write_bytes(b"\n".join(lines) + b"\n")
    before = path.read_bytes()
    with pytest.raises(ValueError, match="corrupted at line 2"):
        _search(BayesSearchCV, checkpoint=path).fit(X, y)
    assert path.read_bytes() == before


def test_a_search_that_leaves_the_record_reads_it_back_by_key(data, tmp_path):
    # A batch record that no longer matches what the search asks (here: altered
    # by hand; in practice another budget or another version of skhpo): from
    # there on the recorded candidates are looked up by key, nothing is refitted.
    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(BayesSearchCV, checkpoint=path).fit(X, y)
    lines = _lines(path)
    record = json.loads(lines[2])
    record["keys"][0][1] = 0.123456789
    lines[2] = json.dumps(record).encode()
    path.write_bytes(b"\n".join(lines) + b"\n")
    CountingQuadratic.n_fits = 0
    resumed = _search(BayesSearchCV, checkpoint=path).fit(X, y)
    # The altered batch's candidate is fitted again (its single-fit lines are
    # gone too), then the refit; the later batches are read back by key.
    assert CountingQuadratic.n_fits == 2 + 1
    assert_same_results(first.cv_results_, resumed.cv_results_, times=False)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_unseeded_search_resumes_with_its_recorded_seed(SearchCV, data, tmp_path):
    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(SearchCV, checkpoint=path, random_state=None).fit(X, y)
    _keep_batches(path, 1)
    resumed = _search(
        SearchCV, checkpoint=path, random_state=np.random.RandomState(7)
    ).fit(X, y)
    assert_same_results(first.cv_results_, resumed.cv_results_, times=False)


def test_the_file_is_plain_json_lines(tmp_path):
    # Failures, non-finite scores, multi-metric scoring, train scores and objects
    # as categories: all readable by a strict JSON parser.
    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    path = tmp_path / "search.jsonl"
    estimator = QuadraticClassifier(fail_when=fails_above_half)
    space = {"a": Real(0.0, 1.0), "d": [None, KFold(2), "x"]}
    search = make_search(
        BayesSearchCV,
        estimator,
        space,
        checkpoint=path,
        scoring={"acc": "accuracy", "bal": "balanced_accuracy"},
        refit="acc",
        return_train_score=True,
        n_iter=8,
    )
    with pytest.warns(UserWarning):
        search.fit(X, y)

    def strict(constant):
        raise ValueError(constant)

    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0], parse_constant=strict)
    assert header["format"] == "skhpo-checkpoint"
    assert header["search"] == "BayesSearchCV"
    assert header["n_splits"] == 2
    every = [json.loads(line, parse_constant=strict) for line in lines[1:]]
    records = [r for r in every if "batch" in r]
    fits = [fit for r in records for cand in r["fits"] for fit in cand]
    assert len(fits) == len(search.cv_results_["params"]) * 2
    # Each fit also has a line of its own, written as it ended.
    singles = [r["result"] for r in every if "fit" in r]
    assert sorted(map(json.dumps, singles)) == sorted(map(json.dumps, fits))
    failed = [fit for fit in fits if fit["fit_error"] is not None]
    assert failed and all("ValueError" in fit["fit_error"] for fit in failed)
    assert all(fit["test_scores"]["acc"] == "nan" for fit in failed)
    assert {"fit_time", "score_time", "n_test_samples", "train_scores"} <= set(fits[0])
    shown = [p["d"] for r in records for p in r["params"]]
    assert set(shown) <= {
        None,
        "x",
        "KFold(n_splits=2, random_state=None, shuffle=False)",
    }

    CountingQuadratic.n_fits = 0
    again = clone(search).set_params(estimator=clone(estimator))
    with pytest.warns(UserWarning):
        again.fit(X, y)
    assert_same_results(search.cv_results_, again.cv_results_)
    # Categories come back by identity, from the resumed search's own space.
    kfold = again.param_distributions["d"][1]
    assert any(p["d"] is kfold for p in again.cv_results_["params"])
    assert all(
        p["d"] in (None, "x") or p["d"] is kfold for p in again.cv_results_["params"]
    )


def test_pickled_search_with_checkpoint(data, tmp_path):
    X, y = data
    path = tmp_path / "search.jsonl"
    search = _search(BayesSearchCV, checkpoint=str(path)).fit(X, y)
    restored = pickle.loads(pickle.dumps(search))
    assert restored.checkpoint == str(path)
    assert not hasattr(restored, "_replay")
    np.testing.assert_array_equal(restored.predict(X), search.predict(X))


def test_a_larger_n_iter_extends_a_finished_search(data, tmp_path):
    X, y = data
    path = tmp_path / "search.jsonl"
    _search(BayesSearchCV, checkpoint=path, n_iter=6).fit(X, y)
    CountingQuadratic.n_fits = 0
    extended = _search(BayesSearchCV, checkpoint=path, n_iter=9).fit(X, y)
    assert CountingQuadratic.n_fits == 3 * 2 + 1  # three new candidates, the refit
    longer = _search(BayesSearchCV, n_iter=9).fit(X, y)
    assert_same_results(longer.cv_results_, extended.cv_results_, times=False)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_a_larger_budget_continues_a_finished_search_without_refitting(
    SearchCV, data, tmp_path
):
    # The first run's last batch may be cut by its budget (6 candidates in
    # generations or swarms of 4): the continued search replays it as it was, and
    # goes on from there. Hyperband's brackets run side by side, so one more
    # bracket changes the order of the trials: the recorded ones are read back by
    # key. Either way every candidate of the first run is in the continued one,
    # with its scores, and was fitted once.
    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(SearchCV, checkpoint=path, n_iter=6).fit(X, y)
    CountingQuadratic.n_fits = 0
    more = _search(SearchCV, checkpoint=path, n_iter=14).fit(X, y)
    n_first = len(first.cv_results_["params"])
    n_more = len(more.cv_results_["params"])
    assert n_more > n_first
    # Only the new candidates are fitted (two splits each), then the refit.
    assert CountingQuadratic.n_fits == 2 * (n_more - n_first) + 1

    def rows(results):
        resources = results.get("n_resources", [None] * len(results["params"]))
        return {
            (repr(params), resource): (split0, split1)
            for params, resource, split0, split1 in zip(
                results["params"],
                resources,
                results["split0_test_score"],
                results["split1_test_score"],
            )
        }

    before, after = rows(first.cv_results_), rows(more.cv_results_)
    assert {key: after.get(key) for key in before} == before
    if SearchCV is not HyperbandSearchCV:  # the same rows, first, in order
        assert more.cv_results_["params"][:n_first] == first.cv_results_["params"]


@pytest.mark.parametrize("SearchCV", [BayesSearchCV, EvolutionarySearchCV])
def test_an_asynchronous_search_reads_back_what_it_proposes_again(
    SearchCV, data, tmp_path
):
    # Asynchronous batches differ between runs, so a resumed search looks each
    # candidate up by key; with one worker the run repeats itself exactly.
    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(SearchCV, checkpoint=path, scheduling="asynchronous").fit(X, y)
    CountingQuadratic.n_fits = 0
    again = _search(SearchCV, checkpoint=path, scheduling="asynchronous").fit(X, y)
    assert CountingQuadratic.n_fits == 1  # the refit
    assert_same_results(first.cv_results_, again.cv_results_, times=False)


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_finished_fits_of_unfinished_batches_are_read_back(SearchCV, data, tmp_path):
    # As after a kill -9: the first batch is recorded whole, the later ones only
    # as the lines of their finished fits. None of them is fitted again.
    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(SearchCV, checkpoint=path).fit(X, y)
    lines = path.read_bytes().split(b"\n")[:-1]
    n_batches = 0
    kept = [lines[0]]
    for line in lines[1:]:
        is_batch = not line.startswith(b'{"fit"')
        n_batches += is_batch
        if not is_batch or n_batches <= 1:
            kept.append(line)
    path.write_bytes(b"\n".join(kept) + b"\n")
    CountingQuadratic.n_fits = 0
    resumed = _search(SearchCV, checkpoint=path).fit(X, y)
    assert CountingQuadratic.n_fits == 1  # the refit
    assert_same_results(first.cv_results_, resumed.cv_results_, times=False)
    assert len(_lines(path)) == n_batches + 1  # the batches are recorded again


@pytest.mark.parametrize("SearchCV", SEARCHES)
def test_resume_tells_the_recorded_answers_of_every_ask(SearchCV, data, tmp_path):
    # Every ask of the optimizer has its line, with the points asked; a resumed
    # search hands them to the optimizer (replay_ids) instead of asking anew.
    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(SearchCV, checkpoint=path).fit(X, y)
    records = [json.loads(line) for line in _lines(path)[1:]]
    assert all(len(r["asked"]) >= len(r["keys"]) for r in records)
    n_asked = sum(len(r["asked"]) for r in records)
    assert n_asked >= len(first.cv_results_["params"])  # twins are asked too
    again = _search(SearchCV, checkpoint=path).fit(X, y)
    assert_same_results(first.cv_results_, again.cv_results_)


def test_resuming_bayes_does_not_compute_its_proposals(data, tmp_path, monkeypatch):
    # The Gaussian process restores its state from the recorded asks: no
    # acquisition function is optimised for them (the costly half of an ask).
    from skhpo._optimizers.bayes import GaussianProcessBO

    X, y = data
    path = tmp_path / "search.jsonl"
    first = _search(BayesSearchCV, checkpoint=path, n_iter=10).fit(X, y)
    calls = []
    propose = GaussianProcessBO._propose
    monkeypatch.setattr(
        GaussianProcessBO,
        "_propose",
        lambda self, *args: calls.append(1) or propose(self, *args),
    )
    _keep_batches(path, len(_lines(path)) - 3)  # the last two asks are lost
    again = _search(BayesSearchCV, checkpoint=path, n_iter=10).fit(X, y)
    assert_same_results(first.cv_results_, again.cv_results_, times=False)
    assert len(calls) == 2  # only the asks that were not recorded
