# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Long runs: memory and per-candidate overhead of 2,000-candidate searches.

Each of skhpo's four classes searches ``--n-iter`` candidates (2,000 by default)
with a classifier whose fit and score cost almost nothing
(:class:`LongRunClassifier`, a :class:`~skhpo.utils._testing.QuadraticClassifier`
with one more no-op integer parameter, ``budget``), on 200 rows of
``make_classification``, ``cv=2``, ``n_jobs=1``, one BLAS/OpenMP thread, and a
5-dimensional mixed space (see ``SPACE``):

- ``BayesSearchCV`` with its defaults (one candidate per batch after the initial
  design); ``--bayes-n-iter`` caps its budget (see "Bayes" below);
- ``HyperbandSearchCV(resource="budget", min_resources=1, max_resources=81,
  factor=3)`` with its default BOHB sampler, and ``n_brackets`` chosen so that it
  evaluates about ``n_iter`` rows of ``cv_results_`` (a promoted candidate gets a
  row per rung; for Hyperband "candidates" below means rows);
- ``EvolutionarySearchCV`` and ``PSOSearchCV`` with their defaults;
- ``RandomizedSearchCV`` (scikit-learn, one batch) as a reference: the cost every
  search pays per candidate (cloning, splitting, joblib dispatch, bookkeeping).

Each search runs in a fresh subprocess, so that peaks do not mix, twice: once for
the timings and the resident set size, once under ``tracemalloc`` (which slows
every allocation down) for the Python heap (``--no-tracemalloc`` skips it). In
each, a 20-candidate search of the same class runs first, so that modules
imported on first use and one-time caches do not count as memory per candidate.

Measured per class:

- wall time of ``fit``; the fit and score time, ``sum((mean_fit_time +
  mean_score_time) * n_splits_)`` over ``cv_results_``; ``refit_time_``;
- overhead per candidate ``(wall - refit_time_ - fit and score time) / rows``;
- overhead per candidate in windows of candidates (``--windows``, by default rows
  1-100, 101-500, 501-1000, 1001-2000). The class is subclassed only to wrap the
  ``evaluate_candidates`` it receives in ``_run_search`` and timestamp the end of
  every batch (as ``bench_hyperband.py`` does). Batch ``k`` is charged the time
  since the end of batch ``k - 1`` (since the start of ``fit`` for the first):
  asking the optimizer, evaluating, telling it the previous results. Its overhead,
  that time minus the batch's fit and score time, is spread evenly over its rows;
  a window's overhead is the mean over its rows. What follows the last batch
  (the last tell, the refit, ``fit``'s epilogue) is reported as the tail. Each
  overhead is also given scaled by the CPU share of its batches (CPU time of the
  process / wall time): on a machine shared with other jobs (the benchmark is
  meant to run under ``nice``) that is what an idle machine would show;
- memory: ``ru_maxrss`` (peak resident set) and the resident set before ``fit``;
  the ``tracemalloc`` peak of ``fit`` and the Python heap still held after ``fit``
  (and ``gc.collect()``), both relative to the heap before ``fit``; the heap at
  every window boundary, hence the MB held per 1,000 more candidates;
- the size of ``cv_results_`` (pickled) per candidate and of the whole fitted
  search;
- live estimator instances after ``fit`` and ``gc.collect()``:
  ``LongRunClassifier`` registers every instance in a ``weakref.WeakSet``, so the
  count is exact. With ``refit=True`` the only survivors must be the unfitted
  template ``search.estimator`` and the fitted ``search.best_estimator_``.

Targets (PASS/FAIL in the report; the time targets on wall and on CPU time):

- no fitted estimator kept beyond ``best_estimator_`` (and no other instance than
  the template);
- overhead below 5 ms per candidate for Hyperband, GA and PSO, over the whole run
  and in every window;
- overhead of BayesSearchCV below 50 ms per candidate on its first 100 candidates
  (the target of ``bench_bayes.py`` at 100 candidates);
- bounded memory: the Python heap held after ``fit`` grows by at most 10 MB per
  1,000 candidates (10 kB per candidate: the order of scikit-learn's per-fold
  records and ``cv_results_``), and so does the heap during the search in the
  last window, so it does not accelerate. The peaks are reported, not judged.
  BayesSearchCV's GP holds an ``n x n`` Cholesky factor between batches and a
  handful of ``n x n`` matrices while fitting its hyperparameters, so its memory
  during the search grows quadratically by design: marked INFO, not FAIL.

Bayes: the GP costs ``O(n^3)`` per hyperparameter fit and per factorisation and
``O(n^2)`` per acquisition candidate, so its overhead per candidate grows with the
number of observations; the windows show how. ``--bayes-n-iter`` gives it a
smaller budget than the other classes; the report says when it was capped.

Usage::

    nice -n 19 env PYTHONPATH=. /work/venv/bin/python benchmarks/bench_long_run.py
    nice -n 19 env PYTHONPATH=. /work/venv/bin/python benchmarks/bench_long_run.py \\
        --quick

The Markdown report is printed and written next to the JSON (by default
``results/long_run_<date>.{json,md}``; ``--quick``, 200 candidates and no
``tracemalloc`` run, writes nothing unless ``--out`` is given). ``--classes``
selects classes, ``--report FILE.json`` rebuilds the report from saved results.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402
import weakref  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from methods import skhpo_source_digest  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

from skhpo.utils._testing import QuadraticClassifier  # noqa: E402

CLASSES = ("BayesSearchCV", "HyperbandSearchCV", "EvolutionarySearchCV", "PSOSearchCV")
REFERENCE = "RandomizedSearchCV"
N_ROWS = 200
N_SPLITS = 2
MAX_BUDGET = 81  # Hyperband's max_resources: five rungs with factor=3
POPULATION_TARGET_MS = 5.0  # Hyperband, GA, PSO: whole run and every window
BAYES_TARGET_MS = 50.0  # BayesSearchCV on its first 100 candidates
BAYES_TARGET_AT = 100
MEMORY_TARGET_MB_PER_1000 = 10.0
_WARM_UP = 20  # candidates of the warm-up search run before the measured one
_MB = 2.0**20


# --------------------------------------------------------------------------------------
# The estimator and the searches
# --------------------------------------------------------------------------------------

# Every LongRunClassifier ever built and still alive (clone builds through __init__).
_LIVE = weakref.WeakSet()


class LongRunClassifier(QuadraticClassifier):
    """QuadraticClassifier with a no-op integer ``budget``; counts live instances."""

    def __init__(
        self,
        strategy="prior",
        a=0.5,
        b=0.5,
        c=0,
        d="x",
        noise=0.0,
        fail_when=None,
        budget=MAX_BUDGET,
    ):
        super().__init__(
            strategy=strategy, a=a, b=b, c=c, d=d, noise=noise, fail_when=fail_when
        )
        self.budget = budget
        _LIVE.add(self)


def space_skhpo():
    from skhpo.space import Categorical, Integer, Real

    return {
        "a": Real(0.0, 1.0),
        "b": Real(1e-3, 1.0, prior="log-uniform"),
        "c": Integer(0, 20),
        "d": Categorical(["x", "y", "z"]),
        "strategy": Categorical(["prior", "most_frequent"]),
    }


def space_sklearn():
    from scipy.stats import loguniform, randint, uniform

    return {
        "a": uniform(0.0, 1.0),
        "b": loguniform(1e-3, 1.0),
        "c": randint(0, 21),
        "d": ["x", "y", "z"],
        "strategy": ["prior", "most_frequent"],
    }


SPACE = (
    "a: Real(0, 1); b: Real(1e-3, 1, log-uniform); c: Integer(0, 20); "
    "d: Categorical(x, y, z); strategy: Categorical(prior, most_frequent)"
)


def hyperband_shape(n_iter):
    """``(n_brackets, rows)``: the number of brackets whose rows are closest to
    ``n_iter`` (ties: fewer brackets)."""
    from skhpo._optimizers.hyperband import hyperband_brackets

    best = None
    k = 1
    while True:
        brackets = hyperband_brackets(1, MAX_BUDGET, 3, k)
        rows = sum(sum(b.n_candidates) for b in brackets)
        if best is None or abs(rows - n_iter) < abs(best[1] - n_iter):
            best = (k, rows)
        if rows >= n_iter:
            return best
        k += 1


def _timed(cls, log):
    """``cls`` whose ``_run_search`` records the end of every batch in ``log``."""

    class Timed(cls):
        # scikit-learn passes callback_ctx only to a _run_search declaring it
        def _run_search(self, evaluate_candidates, *, callback_ctx=None):
            def timed_evaluate(candidate_params, cv=None, more_results=None, **kw):
                out = evaluate_candidates(
                    candidate_params, cv, more_results=more_results, **kw
                )
                log.append(_snapshot(len(out["params"])))
                _progress(cls.__name__, log)
                return out

            return super()._run_search(timed_evaluate, callback_ctx=callback_ctx)

    Timed.__name__ = Timed.__qualname__ = cls.__name__
    return Timed


def _progress(name, log):
    """A line on stderr every 100 rows (long Bayes runs take a while)."""
    if len(log) < 2:  # the warm-up search keeps no start time
        return
    rows, before = log[-1]["rows"], log[-2]["rows"]
    if rows // 100 > before // 100:
        elapsed = log[-1]["time"] - log[0]["time"]
        print(f"  [{name}] {rows} rows, {elapsed:.0f} s", file=sys.stderr, flush=True)


def _rss_mb():
    """Current resident set size (Linux ``/proc``; NaN elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except OSError:
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / _MB


def _snapshot(n_rows):
    """Clocks and memory at the end of a batch (traced heap: None if not tracing)."""
    traced = (
        tracemalloc.get_traced_memory()[0] / _MB if tracemalloc.is_tracing() else None
    )
    return {
        "time": time.perf_counter(),
        "cpu": time.process_time(),
        "rows": n_rows,
        "rss": _rss_mb(),
        "heap": traced,
    }


def make_search(name, n_iter, seed, log):
    common = {"cv": N_SPLITS, "n_jobs": 1, "random_state": seed, "refit": True}
    estimator = LongRunClassifier()
    if name == REFERENCE:
        from sklearn.model_selection import RandomizedSearchCV

        return _timed(RandomizedSearchCV, log)(
            estimator, space_sklearn(), n_iter=n_iter, **common
        )
    import skhpo

    cls = _timed(getattr(skhpo, name), log)
    if name == "HyperbandSearchCV":
        n_brackets, _ = hyperband_shape(n_iter)
        return cls(
            estimator,
            space_skhpo(),
            resource="budget",
            min_resources=1,
            max_resources=MAX_BUDGET,
            factor=3,
            n_brackets=n_brackets,
            **common,
        )
    return cls(estimator, space_skhpo(), n_iter=n_iter, **common)


# --------------------------------------------------------------------------------------
# One search, in a subprocess
# --------------------------------------------------------------------------------------


def worker(name, n_iter, seed, trace):
    """Run one search and measure it; returns a JSON-able dict."""
    X, y = make_classification(n_samples=N_ROWS, n_features=5, random_state=seed)
    # Warm-up: a short search of the same class first, so that modules imported
    # on first use and one-time caches are not counted as memory held per
    # candidate (its estimators must be gone too: the count below includes them).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make_search(name, _WARM_UP, seed + 1, []).fit(X, y)
    log = []
    search = make_search(name, n_iter, seed, log)
    gc.collect()
    rss_before = _rss_mb()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if trace:
        tracemalloc.start()
    heap_before = tracemalloc.get_traced_memory()[0] / _MB if trace else None
    load = os.getloadavg()[0]
    log.append(_snapshot(0))
    t0, cpu0 = log[0]["time"], log[0]["cpu"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y)
    t1, cpu1 = time.perf_counter(), time.process_time()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    heap_peak = heap_after = None
    if trace:
        heap_peak = tracemalloc.get_traced_memory()[1] / _MB
    gc.collect()
    if trace:
        heap_after = tracemalloc.get_traced_memory()[0] / _MB
        tracemalloc.stop()
    rss_after = _rss_mb()

    # -- live estimators: count before holding any reference of our own ----------
    best = getattr(search, "best_estimator_", None)
    live_count = len(_LIVE)
    fitted_count = sum(1 for e in _LIVE if _is_fitted(e))
    unexpected = [
        f"{type(e).__name__}(fitted={_is_fitted(e)})"
        for e in _LIVE
        if e is not search.estimator and e is not best
    ]

    # -- cv_results_ -------------------------------------------------------------
    res = search.cv_results_
    n_rows = len(res["params"])
    n_splits = int(search.n_splits_)
    fit_score = np.nan_to_num(
        (
            np.asarray(res["mean_fit_time"], dtype=float)
            + np.asarray(res["mean_score_time"], dtype=float)
        )
        * n_splits
    )
    distinct = {
        tuple(sorted((k, repr(v)) for k, v in p.items() if k != "budget"))
        for p in res["params"]
    }
    wall = t1 - t0
    refit = float(getattr(search, "refit_time_", 0.0))
    overhead = (wall - refit - fit_score.sum()) / n_rows

    # -- batches (one column per quantity, row i = batch i) -----------------------
    batches = {
        "rows": [],  # rows of cv_results_ so far
        "seconds": [],  # wall time since the end of the previous batch
        "cpu_seconds": [],  # CPU time of this process over the same interval
        "fit_score": [],  # fit and score time of the batch's rows
        "rss_mb": [],
        "heap_mb": [],  # traced heap above the start of fit (None if not traced)
    }
    for prev, cur in itertools.pairwise(log):
        batches["rows"].append(cur["rows"])
        batches["seconds"].append(round(cur["time"] - prev["time"], 6))
        batches["cpu_seconds"].append(round(cur["cpu"] - prev["cpu"], 6))
        batches["fit_score"].append(
            round(float(fit_score[prev["rows"] : cur["rows"]].sum()), 6)
        )
        batches["rss_mb"].append(round(cur["rss"], 3))
        batches["heap_mb"].append(
            None if cur["heap"] is None else round(cur["heap"] - heap_before, 4)
        )
    if log[-1]["rows"] != n_rows:
        raise RuntimeError(f"batches cover {log[-1]['rows']} of {n_rows} rows")
    return {
        "class": name,
        "n_iter": n_iter,
        "seed": seed,
        "traced": trace,
        "params": {
            k: repr(v)
            for k, v in search.get_params(deep=False).items()
            if k not in ("estimator", "param_distributions")
        },
        "n_rows": n_rows,
        "n_distinct": len(distinct),
        "n_batches": len(batches["rows"]),
        "n_splits": n_splits,
        "wall_s": wall,
        "cpu_s": cpu1 - cpu0,
        "fit_score_s": float(fit_score.sum()),
        "refit_s": refit,
        "tail_s": t1 - log[-1]["time"],
        "overhead_ms": 1000 * overhead,
        "overhead_cpu_ms": 1000 * overhead * min((cpu1 - cpu0) / wall, 1.0),
        "batches": batches,
        "best_score": float(search.best_score_),
        "loadavg_1min_start": load,
        "loadavg_1min_end": os.getloadavg()[0],
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        "maxrss_before_mb": maxrss_before,
        "maxrss_mb": maxrss,
        "heap_before_mb": heap_before,
        "heap_peak_mb": None if heap_peak is None else heap_peak - heap_before,
        "heap_after_mb": None if heap_after is None else heap_after - heap_before,
        "cv_results_bytes": len(pickle.dumps(res)),
        "search_pickle_bytes": _pickled_size(search),
        "live_instances": live_count,
        "fitted_instances": fitted_count,
        "unexpected_instances": unexpected,
        "template_alive": search.estimator in _LIVE,
        "best_estimator_alive": best is not None and best in _LIVE,
        "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught}),
    }


def _pickled_size(search):
    """Pickled size of ``search`` as its public class (``_timed`` adds no state)."""
    timed = type(search)
    search.__class__ = timed.__mro__[1]
    try:
        return len(pickle.dumps(search))
    finally:
        search.__class__ = timed


def _is_fitted(est):
    try:
        check_is_fitted(est)
    except NotFittedError:
        return False
    return True


def run_in_subprocess(name, n_iter, seed, trace):
    """Run :func:`worker` in a fresh interpreter (same niceness and environment)."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        name,
        "--n-iter",
        str(n_iter),
        "--seed",
        str(seed),
    ]
    if trace:
        cmd.append("--trace")
    # stderr is passed through: progress lines, and the traceback of a failure.
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        return {
            "class": name,
            "n_iter": n_iter,
            "traced": trace,
            "error": f"worker exited with {proc.returncode} (traceback on stderr)",
        }
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------
# Summary and report
# --------------------------------------------------------------------------------------


def windows_of(n_rows, bounds, n_iter):
    """``[(label, first, last), ...]``: 1-based inclusive row windows.

    The last window ends at ``n_rows``, but is labelled with ``n_iter`` so that the
    labels agree across classes (Hyperband's rows only approximate ``n_iter``).
    """
    edges = [0, *[b for b in bounds if 0 < b < min(n_rows, n_iter)], n_rows]
    spans = [(f"{lo + 1}-{hi}", lo + 1, hi) for lo, hi in itertools.pairwise(edges)]
    spans[-1] = (f"{edges[-2] + 1}-{n_iter}", edges[-2] + 1, n_rows)
    return spans


def per_row_overhead(batches, n_rows):
    """Overhead of every row in ms, from wall time and from CPU time.

    A batch's wall overhead is its time minus its fit and score time; its CPU
    share (CPU time / wall time, below 1 when other processes take the cores)
    scales it to the CPU-time overhead. Both are spread evenly over its rows.
    """
    wall, cpu = np.empty(n_rows), np.empty(n_rows)
    lo = 0
    for hi, seconds, cpu_seconds, work in zip(
        batches["rows"],
        batches["seconds"],
        batches["cpu_seconds"],
        batches["fit_score"],
    ):
        share = min(cpu_seconds / seconds, 1.0) if seconds > 0 else 1.0
        wall[lo:hi] = 1000 * (seconds - work) / max(hi - lo, 1)
        cpu[lo:hi] = share * wall[lo:hi]
        lo = hi
    return wall, cpu


def summarise(timing, memory, bounds):
    """One record per class from its timing run and (optional) tracemalloc run."""
    if "error" in timing:
        return {"class": timing["class"], "error": timing["error"]}
    n = timing["n_rows"]
    per_row, per_row_cpu = per_row_overhead(timing["batches"], n)
    spans = windows_of(n, bounds, timing["n_iter"])
    out = {
        key: timing[key]
        for key in (
            "class",
            "n_iter",
            "n_rows",
            "n_distinct",
            "n_batches",
            "wall_s",
            "cpu_s",
            "fit_score_s",
            "refit_s",
            "tail_s",
            "overhead_ms",
            "overhead_cpu_ms",
            "best_score",
            "rss_before_mb",
            "maxrss_mb",
            "cv_results_bytes",
            "search_pickle_bytes",
            "live_instances",
            "fitted_instances",
            "unexpected_instances",
            "template_alive",
            "best_estimator_alive",
            "warnings",
            "loadavg_1min_start",
            "loadavg_1min_end",
        )
    }
    out["cpu_share"] = timing["cpu_s"] / timing["wall_s"]
    out["windows_ms"] = {
        label: float(per_row[lo - 1 : hi].mean()) for label, lo, hi in spans
    }
    out["windows_cpu_ms"] = {
        label: float(per_row_cpu[lo - 1 : hi].mean()) for label, lo, hi in spans
    }
    out["max_window_ms"] = max(out["windows_ms"].values())
    out["max_window_cpu_ms"] = max(out["windows_cpu_ms"].values())
    out["first_100_ms"] = float(per_row[:BAYES_TARGET_AT].mean())
    out["first_100_cpu_ms"] = float(per_row_cpu[:BAYES_TARGET_AT].mean())
    out["cv_results_bytes_per_row"] = timing["cv_results_bytes"] / n
    if memory is None:
        return out
    if "error" in memory:
        out["memory_error"] = memory["error"]
        return out
    out["heap_peak_mb"] = memory["heap_peak_mb"]
    out["heap_after_mb"] = memory["heap_after_mb"]
    out["heap_mb_per_1000"] = 1000 * memory["heap_after_mb"] / memory["n_rows"]
    out["traced_wall_s"] = memory["wall_s"]
    out["memory_live_instances"] = memory["live_instances"]
    out["memory_fitted_instances"] = memory["fitted_instances"]
    # The heap during the search, at the batch ends closest to the window bounds.
    rows = np.array([0, *memory["batches"]["rows"]])
    heap = np.array([0.0, *memory["batches"]["heap_mb"]])
    curve = {}
    for label, lo, hi in spans:
        i, j = np.abs(rows - (lo - 1)).argmin(), np.abs(rows - hi).argmin()
        if rows[j] > rows[i]:
            curve[label] = float(1000 * (heap[j] - heap[i]) / (rows[j] - rows[i]))
    out["heap_mb_per_1000_windows"] = curve
    marks = {int(rows[np.abs(rows - t).argmin()]) for t in np.linspace(0, n, 11)}
    out["heap_curve"] = [
        [int(r), float(h)] for r, h in zip(rows, heap) if int(r) in marks
    ]
    return out


def _verdict(wall_ms, cpu_ms, target):
    """PASS/FAIL on wall time and on CPU time, e.g. ``"1.20 ms PASS (CPU ...)"``."""
    return (
        f"wall {wall_ms:.2f} ms {'PASS' if wall_ms < target else 'FAIL'}, "
        f"CPU {cpu_ms:.2f} ms {'PASS' if cpu_ms < target else 'FAIL'}"
    )


def targets(rec):
    """``[(description, verdict), ...]`` for one class."""
    name = rec["class"]
    if "error" in rec:
        return [(f"{name} ran", "FAIL")]
    out = []
    kept_ok = (
        rec["fitted_instances"] == 1
        and rec["live_instances"] == 2
        and rec["template_alive"]
        and rec["best_estimator_alive"]
        and rec.get("memory_fitted_instances", 1) == 1
        and rec.get("memory_live_instances", 2) == 2
    )
    out.append(
        (
            f"{name}: estimators alive after fit {rec['live_instances']}, fitted "
            f"{rec['fitted_instances']} (expected the template and best_estimator_: "
            "2, fitted 1)",
            "PASS" if kept_ok else "FAIL",
        )
    )
    if name == REFERENCE:
        return out
    if name == "BayesSearchCV":
        out.append(
            (
                f"{name}: overhead per candidate on the first {BAYES_TARGET_AT} "
                f"candidates < {BAYES_TARGET_MS:.0f} ms",
                _verdict(rec["first_100_ms"], rec["first_100_cpu_ms"], BAYES_TARGET_MS),
            )
        )
    else:
        out.append(
            (
                f"{name}: overhead per candidate over {rec['n_rows']} rows "
                f"< {POPULATION_TARGET_MS:.0f} ms",
                _verdict(
                    rec["overhead_ms"], rec["overhead_cpu_ms"], POPULATION_TARGET_MS
                ),
            )
        )
        out.append(
            (
                f"{name}: worst window < {POPULATION_TARGET_MS:.0f} ms",
                _verdict(
                    rec["max_window_ms"],
                    rec["max_window_cpu_ms"],
                    POPULATION_TARGET_MS,
                ),
            )
        )
    if "heap_mb_per_1000" in rec:
        held = rec["heap_mb_per_1000"]
        out.append(
            (
                f"{name}: Python heap held after fit {held:.2f} MB per 1000 "
                f"candidates <= {MEMORY_TARGET_MB_PER_1000:.0f} MB",
                "PASS" if held <= MEMORY_TARGET_MB_PER_1000 else "FAIL",
            )
        )
        curve = rec["heap_mb_per_1000_windows"]
        if curve:
            window, last = list(curve.items())[-1]
            ok = last <= MEMORY_TARGET_MB_PER_1000
            verdict = "PASS" if ok else "FAIL"
            if name == "BayesSearchCV" and not ok:
                # The exact GP holds its n x n Cholesky factor between batches.
                verdict = "INFO (the GP's n x n state grows quadratically)"
            out.append(
                (
                    f"{name}: heap growth during the search in rows {window} "
                    f"{last:.2f} MB per 1000 candidates <= "
                    f"{MEMORY_TARGET_MB_PER_1000:.0f} MB",
                    verdict,
                )
            )
    return out


def _f(value, digits=2):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    return f"{value:.{digits}f}"


def _table(head, rows):
    return [
        "| " + " | ".join(head) + " |",
        "|---" * len(head) + "|",
        *["| " + " | ".join(row) + " |" for row in rows],
    ]


def markdown(results):
    meta, recs = results["meta"], results["summary"]
    ok = [r for r in recs if "error" not in r]
    capped = meta["bayes_n_iter"] != meta["n_iter"]
    lines = [
        f"# Long-run benchmark ({meta['date']})",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"{meta['n_iter']} candidates per search"
        + (
            f" ({meta['bayes_n_iter']} for BayesSearchCV, capped with `--bayes-n-iter`)"
            if capped
            else ""
        )
        + f"; {meta['estimator']}; space: {meta['space']}; {meta['shapes']}. "
        f"Each search in a fresh subprocess"
        + (
            ", run twice: for the timings and RSS, then under tracemalloc"
            if meta["tracemalloc"]
            else " (no tracemalloc run)"
        )
        + f". Machine: {meta['machine']}; 1-min load average "
        f"{meta['loadavg_start'][0]:.1f} at the start, "
        f"{meta.get('loadavg_end', [float('nan')])[0]:.1f} at the end; total "
        f"runtime {meta.get('runtime_s', float('nan')):.0f} s.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "",
        "## Time",
        "",
        "Overhead = (wall - refit_time_ - Σ fit and score times) / rows of "
        "cv_results_ (Hyperband: evaluations; a promoted candidate counts once per "
        "rung). Windows: mean overhead of the rows in the window, each batch's "
        "overhead spread evenly over its rows. CPU: the same scaled by the CPU "
        "share (CPU time / wall time) of each batch, i.e. the overhead on an idle "
        "machine; the CPU share is below 1 when other processes hold the cores. "
        "Tail: after the last batch (last tell, refit, epilogue).",
        "",
    ]
    spans = []
    for r in ok:
        spans += [w for w in r["windows_ms"] if w not in spans]
    head = [
        "class",
        "rows (distinct)",
        "batches",
        "wall s",
        "fit+score s",
        "tail s",
        "CPU share",
        "overhead ms/cand. (CPU)",
        *[f"rows {w}: ms/cand. (CPU)" for w in spans],
    ]
    rows = []
    for r in recs:
        if "error" in r:
            rows.append([r["class"], f"FAILED: {r['error'][-200:]}"])
            continue
        rows.append(
            [
                r["class"],
                f"{r['n_rows']} ({r['n_distinct']})",
                str(r["n_batches"]),
                _f(r["wall_s"], 1),
                _f(r["fit_score_s"], 1),
                _f(r["tail_s"], 3),
                _f(r["cpu_share"]),
                f"{_f(r['overhead_ms'])} ({_f(r['overhead_cpu_ms'])})",
                *[
                    f"{_f(r['windows_ms'].get(w))} ({_f(r['windows_cpu_ms'].get(w))})"
                    if w in r["windows_ms"]
                    else "—"
                    for w in spans
                ],
            ]
        )
    lines += _table(head, rows)
    lines += [
        "",
        "## Memory",
        "",
        "RSS: resident set before fit and ru_maxrss (peak) of the subprocess, "
        "imports and data included. Heap: tracemalloc, relative to the heap before "
        "fit: the peak during fit, and what is held after fit and gc.collect() "
        "(cv_results_, best_estimator_, the search's attributes); MB per 1000 "
        "candidates = held / rows * 1000; during the search, per window, from the "
        "heap at the batch ends closest to the window's bounds (optimizer state "
        "included). Live estimators: LongRunClassifier instances alive after fit "
        "and gc.collect(), all / fitted, in the timing run (and the tracemalloc "
        "run).",
        "",
    ]
    head = [
        "class",
        "RSS before MB",
        "ru_maxrss MB",
        "heap peak MB",
        "heap held MB",
        "held MB / 1000 cand.",
        *[f"rows {w}: MB / 1000" for w in spans],
        "cv_results_ B/cand.",
        "pickled search kB",
        "live estimators",
    ]
    rows = []
    for r in ok:
        curve = r.get("heap_mb_per_1000_windows", {})
        live = f"{r['live_instances']} / {r['fitted_instances']}"
        if "memory_live_instances" in r:
            live += f" ({r['memory_live_instances']} / {r['memory_fitted_instances']})"
        rows.append(
            [
                r["class"],
                _f(r["rss_before_mb"], 1),
                _f(r["maxrss_mb"], 1),
                _f(r.get("heap_peak_mb")),
                _f(r.get("heap_after_mb")),
                _f(r.get("heap_mb_per_1000")),
                *[_f(curve.get(w)) for w in spans],
                _f(r["cv_results_bytes_per_row"], 0),
                _f(r["search_pickle_bytes"] / 1024, 0),
                live,
            ]
        )
    lines += _table(head, rows)
    curves = [r for r in ok if r.get("heap_curve")]
    if curves:
        lines += ["", "Heap during the search (MB above the start of fit) at rows:", ""]
        for r in curves:
            lines.append(
                f"- {r['class']}: "
                + ", ".join(f"{n}: {mb:.2f}" for n, mb in r["heap_curve"])
            )
    lines += ["", "## Targets", ""]
    for r in recs:
        for text, verdict in targets(r):
            lines.append(f"- {text}: {verdict}")
    odd = [
        r
        for r in recs
        if "error" in r
        or "memory_error" in r
        or r["unexpected_instances"]
        or r["warnings"]
    ]
    if odd:
        lines += ["", "## Failures and anomalies", ""]
        for r in odd:
            if "error" in r or "memory_error" in r:
                lines.append(f"- {r['class']}: {r.get('error', r.get('memory_error'))}")
                continue
            if r["unexpected_instances"]:
                lines.append(
                    f"- {r['class']}: estimators alive besides the template and "
                    f"best_estimator_: {r['unexpected_instances'][:10]}"
                )
            for w in r["warnings"][:5]:
                lines.append(f"- {r['class']}: warning {w[:300]}")
    for title, text in results.get("addenda", []):
        lines += ["", f"## Addendum: {title}", "", text]
    return "\n".join(lines) + "\n"


def versions():
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("scikit-learn", "numpy", "scipy", "joblib", "threadpoolctl"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    import skhpo

    out["skhpo"] = f"{skhpo.__version__} (source sha256 {skhpo_source_digest()})"
    return out


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="200 candidates, < 1 min")
    ap.add_argument("--n-iter", type=int, default=None, help="candidates (2000)")
    ap.add_argument(
        "--bayes-n-iter",
        type=int,
        default=None,
        help="candidates of BayesSearchCV (default: --n-iter)",
    )
    ap.add_argument(
        "--windows",
        default="100,500,1000",
        help="row counts where the overhead windows end (the last ends at n_iter)",
    )
    ap.add_argument("--classes", default=",".join(CLASSES))
    ap.add_argument(
        "--no-reference",
        action="store_true",
        help=f"skip {REFERENCE}, the reference for what every search pays",
    )
    ap.add_argument(
        "--no-tracemalloc", action="store_true", help="skip the tracemalloc runs"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="JSON file (Markdown next to it)")
    ap.add_argument("--report", default=None, metavar="JSON")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.n_iter, args.seed, args.trace)))
        return None
    if args.report is not None:
        results = json.loads(Path(args.report).read_text())
        results["summary"] = [
            summarise(run["timing"], run["memory"], results["meta"]["windows"])
            for run in results["runs"]
        ]
        print(markdown(results))
        _write(Path(args.report), results, final=True)
        return results

    n_iter = args.n_iter or (200 if args.quick else 2000)
    bayes_n_iter = args.bayes_n_iter or n_iter
    trace = not (args.no_tracemalloc or args.quick)
    bounds = [int(b) for b in args.windows.split(",") if b]
    names = [c for c in args.classes.split(",") if c]
    unknown = set(names) - set(CLASSES)
    if unknown:
        ap.error(f"unknown classes {sorted(unknown)}; choose from {CLASSES}")
    if not args.no_reference:
        names.append(REFERENCE)
    out = args.out
    if out is None and not args.quick:
        out = HERE / "results" / f"long_run_{datetime.date.today().isoformat()}.json"

    n_brackets, hb_rows = hyperband_shape(n_iter)
    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
        "n_iter": n_iter,
        "bayes_n_iter": bayes_n_iter,
        "windows": bounds,
        "tracemalloc": trace,
        "seed": args.seed,
        "estimator": f"LongRunClassifier on make_classification({N_ROWS}, 5), "
        f"cv={N_SPLITS}, n_jobs=1, refit=True, 1 BLAS thread",
        "space": SPACE,
        "shapes": f"HyperbandSearchCV: resource='budget', 1 to {MAX_BUDGET}, "
        f"factor=3, n_brackets={n_brackets} -> {hb_rows} rows",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, nice {os.nice(0)}",
        "versions": versions(),
        "loadavg_start": list(os.getloadavg()),
    }
    print(f"versions: {meta['versions']}", file=sys.stderr)
    t_start = time.perf_counter()
    results = {"meta": meta, "summary": [], "runs": []}
    # The cheap searches first: BayesSearchCV may take long at 2,000 candidates.
    for name in sorted(names, key=lambda c: c == "BayesSearchCV"):
        n = bayes_n_iter if name == "BayesSearchCV" else n_iter
        print(f"{name}: {n} candidates", file=sys.stderr, flush=True)
        timing = run_in_subprocess(name, n, args.seed, trace=False)
        memory = run_in_subprocess(name, n, args.seed, trace=True) if trace else None
        results["runs"].append({"timing": timing, "memory": memory})
        rec = summarise(timing, memory, bounds)
        results["summary"].append(rec)
        if "error" in rec:
            print(f"{name}: FAILED: {rec['error']}", file=sys.stderr)
        else:
            print(
                f"{name}: {rec['n_rows']} rows, {rec['wall_s']:.1f} s, overhead "
                f"{rec['overhead_ms']:.2f} ms/cand. (CPU {rec['overhead_cpu_ms']:.2f})"
                ", windows "
                + ", ".join(f"{w}: {v:.2f}" for w, v in rec["windows_ms"].items())
                + f"; ru_maxrss {rec['maxrss_mb']:.0f} MB; live "
                f"{rec['live_instances']}/{rec['fitted_instances']}",
                file=sys.stderr,
                flush=True,
            )
        if out is not None:  # partial results, in case a long run is stopped
            _write(Path(out), results, final=False)
    meta["runtime_s"] = time.perf_counter() - t_start
    meta["loadavg_end"] = list(os.getloadavg())
    report = markdown(results)
    print(report)
    if out is not None:
        _write(Path(out), results, final=True)
    return results


def _dumps(results):
    """JSON, indented, with each list of numbers on one line."""
    text = json.dumps(results, indent=1)
    number = r"(?:-?[0-9.eE+-]+|null)"
    return re.sub(
        rf"\[\s*{number}(?:,\s*{number})*\s*\]",
        lambda m: re.sub(r"\s+", "", m.group(0)).replace(",", ", "),
        text,
    )


def _write(out, results, final):
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_dumps(results))
    if final:
        out.with_suffix(".md").write_text(markdown(results))
        print(f"wrote {out} and {out.with_suffix('.md')}", file=sys.stderr)


if __name__ == "__main__":
    main()
