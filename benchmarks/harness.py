# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""What every benchmark script shares: one measured run, and its statistics.

:func:`run_one` fits one search (``methods.build``) on one problem and seed and
measures it; it never raises, failures are recorded. :func:`normalize`,
:func:`bootstrap`, :func:`paired` and :func:`summarize` turn the runs into the
Bayesmark-style normalized scores with their intervals; the small formatters at the
end write them into Markdown tables.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
import warnings

import numpy as np
from methods import build, history, not_applicable, seed_globals
from problems import in_space

# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


def jsonable(v):
    """``v`` with numpy scalars as Python ones, non-finite floats as ``None``."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [jsonable(x) for x in v]
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.floating, float)):
        v = float(v)
        return v if np.isfinite(v) else None
    if isinstance(v, np.bool_):
        return bool(v)
    if v is None or isinstance(v, (bool, int, str)):
        return v
    return repr(v)


def nan(v):
    """``None`` (a non-finite float in the JSON) back to NaN."""
    return np.nan if v is None else float(v)


def _key(params):
    return json.dumps(jsonable(params), sort_keys=True)


def _error(rec, stage, exc, **extra):
    rec.update(
        status="error",
        stage=stage,
        error=f"{type(exc).__name__}: {exc}"[:500],
        traceback=traceback.format_exc()[-3000:],
        **extra,
    )
    return rec


def run_one(problem, method, seed, n_iter, *, n_jobs=1, budget="compute"):
    """Fit one search and measure it. Never raises: failures are recorded.

    The record holds the best CV score (``best_score_``), the held-out test score of
    the refit ``best_estimator_`` (the problem's scorer on the 25% held out), the
    wall time, the fit and score time, the optimizer overhead, the best-so-far
    ``trace`` (one value per evaluation; only full-budget evaluations count), the
    compute spent up to each evaluation (``trace_cost``, in full-data
    evaluations), when each evaluation ended (``trace_t``, seconds from the start
    of ``fit``), and checks: distinct candidates, failures, candidates outside
    the space, warnings.
    """
    from sklearn.metrics import check_scoring

    rec = {"problem": problem.name, "method": method, "seed": seed, "n_iter": n_iter}
    rec["loadavg_1min"] = os.getloadavg()[0]
    if n_jobs != 1:
        rec["n_jobs"] = n_jobs
    reason = not_applicable(method, problem)
    if reason is not None:
        rec.update(status="not applicable", reason=reason)
        return rec
    try:
        X_train, X_test, y_train, y_test = problem.data(seed)
        search, notes = build(
            method,
            problem,
            n_iter=n_iter,
            cv=problem.cv(seed),
            seed=seed,
            n_jobs=n_jobs,
            X=X_train,
            y=y_train,
            budget=budget,
        )
        rec.update(notes)
    except Exception as exc:
        return _error(rec, "build", exc)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        seed_globals(method, seed)
        t0, t0_wall = time.perf_counter(), time.time()
        try:
            search.fit(X_train, y_train)
        except Exception as exc:
            return _error(rec, "fit", exc, wall_time=time.perf_counter() - t0)
        wall = time.perf_counter() - t0

    try:
        h = history(method, search, t0=t0, t0_wall=t0_wall)
        scorer = check_scoring(problem.make_estimator(), scoring=problem.scoring)
        test_score = float(scorer(search.best_estimator_, X_test, y_test))
        refit_time = float(getattr(search, "refit_time_", 0.0))
    except Exception as exc:
        return _error(rec, "read results", exc, wall_time=wall)

    scores = np.asarray(h["scores"], dtype=float)
    full = np.asarray(h["full"], dtype=bool)
    n_cand = len(h["params"])
    counted = np.where(full & ~np.isnan(scores), scores, -np.inf)
    trace = np.fmax.accumulate(counted) if n_cand else counted
    violations = []
    for p in h["params"]:
        violations.extend(in_space(problem.space, p))
    warn_summary = {}
    for w in caught:
        key = f"{w.category.__name__}: {str(w.message)[:160]}"
        warn_summary[key] = warn_summary.get(key, 0) + 1

    overhead = wall - refit_time - h["fit_score_time"]
    rec.update(
        status="ok",
        best_cv=float(search.best_score_),
        best_cv_history=float(np.max(counted)) if np.isfinite(counted).any() else None,
        test_score=test_score,
        wall_time=wall,
        refit_time=refit_time,
        fit_score_time=h["fit_score_time"],
        n_candidates=n_cand,
        # a multi-fidelity method evaluates a promoted candidate once per budget
        n_unique=len({(_key(p), c) for p, c in zip(h["params"], h["cost"])}),
        n_rows=h["n_rows"],
        n_splits=h["n_splits"],
        n_full=int(full.sum()),
        n_failed=int(np.isnan(scores).sum()),
        compute=float(np.sum(h["cost"])),
        overhead_total=overhead,
        overhead_per_candidate=overhead / max(n_cand, 1),
        trace=[float(t) if np.isfinite(t) else None for t in trace],
        trace_cost=np.cumsum(h["cost"]).tolist(),
        best_params=jsonable(search.best_params_),
        violations=violations[:10],
        n_violations=len(violations),
        warnings=dict(sorted(warn_summary.items(), key=lambda kv: -kv[1])[:8]),
    )
    # Equal digests: the same candidates, in the same order, with the same scores
    # (the parallel experiment checks that the backend changes nothing).
    rec["history_digest"] = hashlib.sha256(
        json.dumps(
            [jsonable(h["params"]), [round(float(x), 10) for x in scores]]
        ).encode()
    ).hexdigest()[:12]
    if h.get("t_done") is not None:
        rec["trace_t"] = [float(t) for t in h["t_done"]]
    if "call_time" in h:
        # The adapter's own definition: wall minus the cross_validate calls (which
        # also include cloning and splitting, counted as overhead for every other
        # method).
        rec["overhead_per_candidate_calls"] = (
            wall - refit_time - h["call_time"]
        ) / max(n_cand, 1)
    if "n_batches" in h:
        rec["n_batches"] = h["n_batches"]
    if hasattr(search, "bench_stats_"):
        rec["engine"] = dict(search.bench_stats_)
    return rec


def progress(rec, file=None):
    """One line per run on stderr."""
    import sys

    if rec["status"] == "ok":
        msg = (
            f"best_cv={rec['best_cv']:.4f} test={rec['test_score']:.4f} "
            f"n={rec['n_candidates']} wall={rec['wall_time']:.1f}s"
        )
        if rec.get("n_jobs", 1) == 1:  # in parallel, fit times overlap the wall
            msg += f" overhead={1000 * rec['overhead_per_candidate']:.2f}ms/cand"
        if rec["compute"] != rec["n_candidates"]:
            msg += f" compute={rec['compute']:.1f}"
        if rec["n_unique"] != rec["n_candidates"]:
            msg += f" UNIQUE={rec['n_unique']}"
        if rec["n_violations"]:
            msg += f" VIOLATIONS={rec['n_violations']}"
    elif rec["status"] == "not applicable":
        msg = "not applicable"
    else:
        msg = f"FAILED at {rec['stage']}: {rec['error'][:200]}"
    print(
        f"  {rec['problem']:15s} {rec['method']:18s} seed={rec['seed']} "
        f"n_iter={rec['n_iter']} load={rec['loadavg_1min']:.1f}: {msg}",
        file=file or sys.stderr,
        flush=True,
    )


# --------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------


def normalize(runs, key="best_cv", out="normalized", reference="random", best=None):
    """Add ``out`` to every ok run; return ``{problem: (r, b)}``.

    Bayesmark's normalization: ``r`` is the mean over seeds of the reference
    method's ``key`` on the problem (random search at the same budget), ``b`` the
    best ``key`` of any run on the problem; a run scores ``100 * (x - r) / (b - r)``
    (random = 0, best seen = 100, negative = worse than random on average).
    ``best`` (``{problem: b}``) sets ``b`` instead, e.g. the best of the full budget
    when the runs are read at a smaller one.
    """
    refs = {}
    for prob in sorted({r["problem"] for r in runs}):
        ok = [r for r in runs if r["problem"] == prob and r["status"] == "ok"]
        rand = [r[key] for r in ok if r["method"] == reference]
        if not rand:
            continue
        r = float(np.mean(rand))
        b = float(max(x[key] for x in ok))
        if best is not None and prob in best:
            b = max(b, float(best[prob]))
        refs[prob] = (r, b)
        for x in ok:
            x[out] = 100.0 * (x[key] - r) / (b - r) if b > r else 0.0
    return refs


def bootstrap(per_problem, stat, n_boot=2000, seed=0):
    """Point estimate and 95% interval of ``stat`` over problems of seed means.

    ``per_problem``: one 1-d array per problem, one value per seed; each replicate
    resamples the seeds of every problem with replacement.
    """
    rng = np.random.RandomState(seed)
    point = stat([np.mean(v) for v in per_problem])
    sizes = {len(v) for v in per_problem}
    if len(sizes) == 1:
        # All at once: the very draws of the loop below (rng.choice draws
        # randint(0, n, n) per problem and replicate, in that order), 50x faster.
        n = sizes.pop()
        values = np.asarray([np.asarray(v, dtype=float) for v in per_problem])
        idx = rng.randint(0, n, size=(n_boot, len(per_problem), n))
        means = np.take_along_axis(
            np.broadcast_to(values, idx.shape), idx, axis=2
        ).mean(axis=2)
        reps = np.array([stat(row) for row in means])
    else:
        reps = np.empty(n_boot)
        for i in range(n_boot):
            reps[i] = stat([np.mean(rng.choice(v, size=len(v))) for v in per_problem])
    lo, hi = np.percentile(reps, [2.5, 97.5])
    return float(point), float(lo), float(hi)


def paired(runs, problems, a, b, key="normalized", stat=np.mean):
    """``stat`` over problems of the per-seed difference ``a - b`` of ``key``.

    Only the problems and seeds where both ran count; the bootstrap resamples the
    seeds jointly for both methods, so what the seeds share (their train/test and
    CV splits) cancels out. ``None`` if they never ran together.
    """
    diffs = []
    for prob in problems:
        by_seed = {}
        for r in runs:
            if r["problem"] == prob and key in r:
                by_seed.setdefault(r["seed"], {})[r["method"]] = r[key]
        d = [v[a] - v[b] for v in by_seed.values() if a in v and b in v]
        if d:
            diffs.append(np.asarray(d))
    return bootstrap(diffs, stat) if diffs else None


def summarize(runs, methods, problems, *, require_all=True, best=None):
    """Per (problem, method) table, and per method aggregates over problems.

    ``agg[m]`` has ``mean`` and ``median`` (point, low, high) of the normalized
    score over the problems where ``m`` ran, ``n_problems``, the median overhead,
    the total wall time and the mean rank among the methods of each (problem,
    seed): with ``require_all`` only where every method ran, otherwise among
    those that ran.
    """
    problems = [p for p in problems if any(r["problem"] == p for r in runs)]
    refs = normalize(runs, best=best)
    normalize(runs, key="test_score", out="normalized_test")
    table = {}
    for prob in problems:
        for m in methods:
            rs = [r for r in runs if r["problem"] == prob and r["method"] == m]
            ok = [r for r in rs if r["status"] == "ok"]
            table[prob, m] = {
                "n_runs": len([r for r in rs if r["status"] != "not applicable"]),
                "n_ok": len(ok),
                "best_cv": [r["best_cv"] for r in ok],
                "test": [r["test_score"] for r in ok],
                "norm": [r["normalized"] for r in ok if "normalized" in r],
                "norm_test": [
                    r["normalized_test"] for r in ok if "normalized_test" in r
                ],
                "overhead": [r["overhead_per_candidate"] for r in ok],
                "n_cand": [r["n_candidates"] for r in ok],
                "wall": [r["wall_time"] for r in ok],
            }
    ranks = {m: [] for m in methods}
    for prob in problems:
        for seed in sorted({r["seed"] for r in runs if r["problem"] == prob}):
            ok = {
                r["method"]: r["best_cv"]
                for r in runs
                if r["problem"] == prob
                and r["seed"] == seed
                and r["status"] == "ok"
                and r["method"] in methods
            }
            if require_all and set(ok) != set(methods):
                continue
            # rank 1 = best; ties share the mean rank
            vals = np.array(list(ok.values()))
            for m, v in ok.items():
                ranks[m].append(np.sum(vals > v) + (np.sum(vals == v) + 1) / 2)
    agg = {}
    for m in methods:
        per_problem = [
            np.asarray(table[p, m]["norm"]) for p in problems if table[p, m]["norm"]
        ]
        if not per_problem:
            continue
        per_test = [
            np.asarray(table[p, m]["norm_test"])
            for p in problems
            if table[p, m]["norm_test"]
        ]
        agg[m] = {
            "n_problems": len(per_problem),
            "problems": [p for p in problems if table[p, m]["norm"]],
            "mean": bootstrap(per_problem, np.mean),
            "median": bootstrap(per_problem, np.median),
            "mean_test": bootstrap(per_test, np.mean) if per_test else None,
            "overhead_ms_median": 1000
            * float(np.median([v for p in problems for v in table[p, m]["overhead"]])),
            "wall_total": float(sum(sum(table[p, m]["wall"]) for p in problems)),
            "mean_rank": float(np.mean(ranks[m])) if ranks[m] else None,
        }
    return {"problems": problems, "refs": refs, "table": table, "agg": agg}


# --------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------


def fmt(vals, digits=4):
    """``mean ± std`` of ``vals`` (just the value if there is one, — if none)."""
    if not vals:
        return "—"
    if len(vals) == 1:
        return f"{vals[0]:.{digits}f}"
    return f"{np.mean(vals):.{digits}f} ± {np.std(vals, ddof=1):.{digits}f}"


def cell(entry, key, digits):
    """:func:`fmt` of one table entry, with its number of failed runs."""
    s = fmt(entry[key], digits)
    if entry["n_ok"] < entry["n_runs"]:
        s += f" ({entry['n_runs'] - entry['n_ok']} failed)"
    return s


def ci(t, signed=False, digits=1):
    """``point [low, high]``."""
    if t is None:
        return "—"
    f = f"+.{digits}f" if signed else f".{digits}f"
    return f"{t[0]:{f}} [{t[1]:{f}}, {t[2]:{f}}]"
