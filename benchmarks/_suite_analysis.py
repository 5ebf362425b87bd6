# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""What ``bench_suite.py`` reports, computed from its raw results.

:func:`analyse` returns the normalized scores (``harness.summarize``), the
comparisons behind the targets of issue 5 and their verdicts, the parallel
speedups, Hyperband's time to random search's score, and the anytime curves.
"""

from __future__ import annotations

from dataclasses import asdict

import harness
import numpy as np
from harness import nan
from methods import METHOD_INFO, split_variant

OVERHEAD_TARGET_MS = 50.0
OVERHEAD_TARGET_SIZE = 100
CLIP = -100.0  # anytime curves: normalized scores below this are drawn at it


def info(results, m):
    """The ``methods.Method`` fields of ``m`` as recorded in the run."""
    return results["meta"].get("method_info", {}).get(m) or asdict(
        METHOD_INFO[split_variant(m)[0]]
    )


# --------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------


def compare(runs, s, a, b):
    """``a`` against ``b`` on the problems where both ran."""
    agg = s["agg"]
    if a not in agg or b not in agg:
        return None
    common = [p for p in agg[a]["problems"] if p in agg[b]["problems"]]
    if not common:
        return None

    def boot(m):
        return harness.bootstrap(
            [np.asarray(s["table"][p, m]["norm"]) for p in common], np.mean
        )

    ma, mb = boot(a), boot(b)
    d = harness.paired(runs, common, a, b)
    return {
        "a": a,
        "b": b,
        "problems": common,
        "all_problems": len(common) == len(s["problems"]),
        "mean_a": ma,
        "mean_b": mb,
        "paired": d,
        "higher": ma[0] > mb[0],
        "separated": ma[1] > mb[2],
        "paired_excludes_0": d is not None and d[1] > 0,
    }


def _targets(results, s):
    methods = results["meta"]["methods"]
    out = []
    if s is not None:
        for ours, label in (
            ("skhpo-bayes", "BayesSearchCV"),
            ("skhpo-evolutionary", "EvolutionarySearchCV"),
            ("skhpo-pso", "PSOSearchCV"),
        ):
            if ours not in methods:
                continue
            kind = info(results, ours)["kind"]
            peers = [
                m
                for m in methods
                if m != ours
                and not info(results, m)["ours"]
                and info(results, m)["kind"] == kind
            ]
            out.append(
                _target(
                    f"{label} above every peer of its kind ({kind}) in mean "
                    "normalized score",
                    results,
                    s,
                    ours,
                    peers,
                )
            )
        if "skhpo-bayes" in methods:
            others = [m for m in methods if m != "skhpo-bayes"]
            out.append(
                _target(
                    "BayesSearchCV above every method in mean normalized score",
                    results,
                    s,
                    "skhpo-bayes",
                    others,
                )
            )
    out.append(_overhead_target(results))
    out.append(_hyperband_target(results))
    return [t for t in out if t is not None]


def _target(title, results, s, ours, peers):
    runs = results.get("quality", [])
    comps = [c for c in (compare(runs, s, ours, b) for b in peers) if c]
    missing = [b for b in peers if b not in {c["b"] for c in comps}]
    ok = bool(comps) and all(c["higher"] for c in comps)
    return {
        "title": title,
        "verdict": "PASS" if ok else "FAIL",
        "comparisons": comps,
        "missing": missing,
        "claimed": [c["b"] for c in comps if c["separated"]],
    }


def _overhead_target(results):
    ov = [
        r
        for r in results.get("overhead", [])
        if r["method"] == "skhpo-bayes" and r["status"] == "ok"
    ]
    if not ov:
        return None
    r = min(ov, key=lambda r: abs(r["n_iter"] - OVERHEAD_TARGET_SIZE))
    ms = 1000 * r["overhead_per_candidate"]
    note = (
        ""
        if r["n_iter"] == OVERHEAD_TARGET_SIZE
        else f" (measured at {r['n_iter']} candidates: this run has no "
        f"{OVERHEAD_TARGET_SIZE}-candidate measurement)"
    )
    return {
        "title": f"BayesSearchCV overhead < {OVERHEAD_TARGET_MS:.0f} ms per candidate "
        f"at {OVERHEAD_TARGET_SIZE} candidates",
        "verdict": "PASS" if ms < OVERHEAD_TARGET_MS else "FAIL",
        "detail": f"{ms:.1f} ms per candidate{note}",
    }


def _hyperband_target(results):
    hb = results.get("hyperband_target")
    if not hb:
        return None
    m = hb["methods"][1]
    rows = hb["analysis"].get("hgb_n_samples", {}).get("rows", {})
    if m not in rows:
        return None
    fr, cpu = rows[m]["frac_random_wall"], rows[m]["frac_random_cpu"]
    ok = bool(fr) and all(x is not None and x <= 1 / 3 for x in fr)

    def fmt(xs, d=2, missing="never"):
        return ", ".join(missing if x is None else f"{x:.{d}f}" for x in xs)

    return {
        "title": "HyperbandSearchCV reaches random search's final CV score within a "
        "third of random search's wall time (every seed)",
        "verdict": "PASS" if ok else "FAIL",
        "detail": f"{m}: time to random's final score / random's search time, per "
        f"seed: {fmt(fr)} (CPU time: {fmt(cpu)}); target <= 0.33. Its best "
        f"full-budget CV score after a third of random's time: "
        f"{fmt(rows[m]['cv_at_third'], 4, 'none yet')}, against random's final "
        f"{fmt(rows['random']['best_score'], 4)}; random itself reached its final "
        f"score at {fmt(rows['random']['frac_random_wall'])} of its time",
    }


def _parallel(results):
    par = results.get("parallel", [])
    runs = [r for r in par if r.get("stage") != "start cluster"]
    backends = list(dict.fromkeys(r["backend"] for r in runs))
    rows = {}
    for r in runs:
        rows.setdefault(r["method"], {})[r["backend"]] = r
    out = []
    for m, by in rows.items():
        base = by.get(backends[0]) if backends else None
        row = {"method": m, "cells": {}}
        t1 = _search_time(base)
        for b in backends:
            r = by.get(b)
            t = _search_time(r)
            cell = {"time": t, "status": r["status"] if r else "not run"}
            if t is not None and t1 is not None and b != backends[0]:
                cell["speedup"] = t1 / t
                cell["efficiency"] = t1 / t / r.get("n_jobs", 1)
                cell["identical"] = r.get("history_digest") == base.get(
                    "history_digest"
                )
            if r is not None and r["status"] == "ok":
                # one fit and score of one fold
                cell["fit_ms"] = (
                    1000
                    * r["fit_score_time"]
                    / max(r["n_rows"] * r.get("n_splits", 1), 1)
                )
            row["cells"][b] = cell
        out.append(row)
    errors = [r for r in par if r.get("stage") == "start cluster"]
    return {"backends": backends, "rows": out, "errors": errors}


def _search_time(r):
    if r is None or r["status"] != "ok":
        return None
    return r["wall_time"] - (r.get("refit_time") or 0.0)


def _small_data_hyperband(results):
    """Quality runs: Hyperband's time to random's final CV score / random's wall."""
    runs = results.get("quality", [])
    by = {(r["problem"], r["method"], r["seed"]): r for r in runs}
    out = []
    for (p, m, seed), r in by.items():
        if m != "skhpo-hyperband" or r["status"] != "ok" or "trace_t" not in r:
            continue
        rr = by.get((p, "random", seed))
        if rr is None or rr["status"] != "ok" or "trace_t" not in rr:
            continue
        trace = np.array([nan(v) for v in r["trace"]])
        hit = np.flatnonzero(trace >= rr["best_cv"] - 1e-12)
        t_r = rr["trace_t"][-1]
        out.append(None if not len(hit) else r["trace_t"][hit[0]] / t_r)
    return out


def analyse(results):
    """Everything the report and the figures show, from the raw results."""
    meta = results["meta"]
    q = results.get("quality", [])
    s = (
        harness.summarize(q, meta["methods"], meta["problems"], require_all=False)
        if q
        else None
    )
    return {
        "summary": s,
        "targets": _targets(results, s),
        "parallel": _parallel(results),
        "hyperband_small": _small_data_hyperband(results),
        "curves": _curves(results, s) if s else {},
    }


# --------------------------------------------------------------------------------------
# Anytime curves
# --------------------------------------------------------------------------------------


def _step(x_rows, values, grid):
    """Value of the last row with ``x_rows <= g``, for each ``g`` (NaN before)."""
    idx = np.searchsorted(x_rows, grid + 1e-9, side="right") - 1
    out = np.where(idx >= 0, values[np.clip(idx, 0, None)], np.nan)
    return out


def _curves(results, s):
    """Mean over problems of the mean over seeds of the normalized best so far.

    Against candidates (full-data evaluations for the multi-fidelity methods) and
    against the wall time as a fraction of random search's on the same problem
    and seed. A curve starts once every run of the method has a value; values
    below -100 are clipped to -100 so that one terrible first candidate does not
    swamp the mean.
    """
    meta = results["meta"]
    runs = [r for r in results.get("quality", []) if r["status"] == "ok"]
    n_iter = meta["n_iter"]
    grid_c = np.arange(1, n_iter + 1, dtype=float)
    grid_t = np.logspace(-2, 2, 161)
    wall = {
        (r["problem"], r["seed"]): r["trace_t"][-1]
        for r in runs
        if r["method"] == "random" and r.get("trace_t")
    }
    out = {}
    for m in meta["methods"]:
        per_c, per_t = [], []
        for p in s["problems"]:
            if p not in s["refs"]:
                continue
            lo, hi = s["refs"][p]
            cs, ts = [], []
            for r in runs:
                if r["problem"] != p or r["method"] != m:
                    continue
                v = np.array([nan(x) for x in r["trace"]])
                v = 100 * (v - lo) / (hi - lo) if hi > lo else 0 * v
                v = np.maximum(v, CLIP)
                cs.append(_step(np.asarray(r["trace_cost"]), v, grid_c))
                t_ref = wall.get((p, r["seed"]))
                if r.get("trace_t") and t_ref:
                    t = np.maximum.accumulate(np.asarray(r["trace_t"])) / t_ref
                    ts.append(_step(t, v, grid_t))
            if cs:
                per_c.append(np.mean(cs, axis=0))  # NaN until every seed has one
            if ts:
                per_t.append(np.mean(ts, axis=0))
        if per_c:
            out[m] = {
                "candidates": np.mean(per_c, axis=0),
                "time": np.mean(per_t, axis=0) if per_t else None,
                "n_problems": len(per_c),
            }
    return {"grid_c": grid_c, "grid_t": grid_t, "methods": out}
