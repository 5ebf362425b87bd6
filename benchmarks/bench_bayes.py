# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark skhpo's BayesSearchCV against RandomizedSearchCV and two peers.

Methods (see ``methods.py``): ``random`` (scikit-learn's RandomizedSearchCV),
``skhpo-bayes`` (skhpo.BayesSearchCV), ``skopt-bayes`` (scikit-optimize's
BayesSearchCV) and ``optuna-tpe`` (optuna-integration's OptunaSearchCV with a seeded
TPESampler). When asked for with ``--methods``: ``optuna-gp`` (its GPSampler, on
torch), ``hyperopt-tpe``, ``flaml-blendsearch``, ``hebo`` (HEBO, in a virtualenv of
its own, about 2 s of overhead a candidate) and ``smac3`` (SMAC3's HPO facade; run
with ``PYTHONHASHSEED=0`` to reproduce it), the last four through
``_library_adapters.py``. Problems: ``problems.py``. Everything runs sequentially
with ``n_jobs=1`` so that the measured overheads are clean.

Two experiments:

1. Quality: every (problem, method, seed) with the same budget of ``n_iter``
   candidates, the same CV splits and the same train/test split. Reports the best CV
   score, the held-out test score of the refit model, the optimizer overhead per
   candidate, and a Bayesmark-style normalized score per problem::

       normalized = 100 * (best_cv - r) / (b - r)

   where ``r`` is the mean over seeds of RandomizedSearchCV's best CV score and ``b``
   the best CV score any method reached on that problem in this run (random = 0, best
   known = 100). Mean and median over problems, with 95% bootstrap intervals that
   resample the seeds of each problem.

2. Overhead: the 6-dimensional mixed Ridge space on 60 rows with ``cv=2``, at 100
   and 500 candidates (scikit-optimize at 100 only: it spends seconds per candidate).

Usage::

    python benchmarks/bench_bayes.py [--quick] [--seeds N] [--n-iter N] [--out FILE]

Raw results go to a JSON file, the Markdown report to stdout and next to the JSON.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from harness import cell, fmt, jsonable, nan, progress, run_one
from methods import versions
from problems import CORE_PROBLEMS, OVERHEAD_PROBLEM, PROBLEMS, WIDE_PROBLEMS

HERE = Path(__file__).resolve().parent


METHODS = ("random", "skhpo-bayes", "skopt-bayes", "optuna-tpe")
# Also available with --methods: optuna's GPSampler (needs torch; ~0.4 s a trial),
# hyperopt, FLAML, HEBO (~2 s a trial) and SMAC3 (~0.15 s a trial).
OPTIONAL = (
    "optuna-gp",
    "hyperopt-tpe",
    "flaml-blendsearch",
    "hebo",
    "smac3",
    "skhpo-bayes-warp",  # an ablation of skhpo's GP
)
OURS = "skhpo-bayes"
# The versions a report records: these, and the libraries of the methods run.
BASE_MODULES = (
    "sklearn",
    "numpy",
    "scipy",
    "joblib",
    "skopt",
    "optuna",
    "optuna_integration",
    "skhpo",
)
EXTRA_MODULES = {
    "optuna-gp": ("torch",),
    "hyperopt-tpe": ("hyperopt",),
    "flaml-blendsearch": ("flaml",),
    "hebo": ("hebo", "pymoo", "gpytorch", "torch"),
    "smac3": ("smac", "ConfigSpace"),
}


def summarize(runs, methods, best=None):
    """``harness.summarize``, plus skhpo minus each peer, paired by seed."""
    s = harness.summarize(runs, methods, PROBLEMS, best=best)
    # Paired comparison: skhpo minus each peer, seed by seed (same splits), so the
    # variation between seeds (different train/test and CV splits) cancels out.
    for m in methods:
        if m != OURS and m in s["agg"] and OURS in s["agg"]:
            d = harness.paired(runs, s["problems"], OURS, m)
            if d is not None:
                s["agg"][m]["skhpo_minus"] = d
    return s


def at_budget(runs, b):
    """The runs as if stopped after ``b`` candidates: best of the first ``b``.

    Anytime reading of the same runs: exact for a method whose proposals do not
    depend on ``n_iter`` (skhpo's GP, both TPEs, random search); a method that
    sizes its initial design from the budget would have run differently with
    ``n_iter=b`` (the report names them).
    """
    out = []
    for r in runs:
        if r["status"] != "ok":
            out.append(r)
            continue
        trace = r["trace"][:b]
        finite = [t for t in trace if t is not None]
        if len(trace) < b or not finite:
            continue
        out.append({**r, "best_cv": max(finite), "n_candidates": b})
    return out


def budgets_of(meta):
    """The budgets of the report: the smaller ones read from the traces, n_iter."""
    return [b for b in meta.get("budgets", []) if b < meta["n_iter"]] + [meta["n_iter"]]


# Methods whose proposals depend on n_iter: read at a smaller budget, their runs
# are not what a run with that n_iter would have done.
BUDGET_DEPENDENT = {
    "smac3": "its initial design is min(10 d, n_iter / 4) random configurations: "
    "25 of a budget of 100, 5 of a budget of 20",
}


def by_budget(runs, methods, budgets):
    """``{budget: summarize(...)}`` of the runs read at each budget, normalized
    with the best seen at any budget."""
    best = {p: hi for p, (_, hi) in summarize(runs, methods)["refs"].items()}
    return {b: summarize(at_budget(runs, b), methods, best=best) for b in budgets}


def lead_table(summaries, methods):
    """Paired skhpo-minus-peer intervals and mean normalized scores per budget."""
    peers = [m for m in methods if m != OURS]
    lines = [
        "## Summary: skhpo minus each peer, paired by seed",
        "",
        "Mean over problems of the per-seed difference in normalized best CV score "
        "(same problem, seed, splits), [95% bootstrap interval over seeds]; above "
        "zero: skhpo ahead. Normalization per budget (random search at the same "
        "budget = 0, best seen on the problem in these runs = 100). Smaller "
        "budgets are read from the best-so-far traces of the same runs (anytime).",
        "",
        "| budget | " + " | ".join(peers) + " |",
        "|---|" + "---|" * len(peers),
    ]
    means, ranks = [], []
    for b, s in summaries.items():
        row = []
        for m in peers:
            d = s["agg"].get(m, {}).get("skhpo_minus")
            row.append("—" if d is None else f"{d[0]:+.1f} [{d[1]:+.1f}, {d[2]:+.1f}]")
        lines.append(f"| {b} | " + " | ".join(row) + " |")
        means.append(
            f"| {b} | "
            + " | ".join(
                harness.ci(s["agg"][m]["mean"]) if m in s["agg"] else "—"
                for m in methods
            )
            + " |"
        )
        ranks.append(
            f"| {b} | "
            + " | ".join(
                f"{s['agg'][m]['mean_rank']:.2f}"
                if s["agg"].get(m, {}).get("mean_rank") is not None
                else "—"
                for m in methods
            )
            + " |"
        )
    head = ["| budget | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for m, why in BUDGET_DEPENDENT.items():
        if m in methods:
            lines += [
                "",
                f"{m} at the smaller budgets: not what a run of that budget would "
                f"do ({why}).",
            ]
    lines += [
        "",
        "Mean normalized best CV score over problems [95% bootstrap interval]:",
        "",
        *head,
        *means,
        "",
        "Mean rank of the best CV score (1 = best) over problem x seed where all ran:",
        "",
        *head,
        *ranks,
        "",
    ]
    return lines


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def markdown(results):
    meta = results["meta"]
    methods = meta["methods"]
    lines = [
        f"# BayesSearchCV benchmark ({meta['date']})",
        "",
        f"{meta['n_seeds']} seeds, n_iter={meta['n_iter']}, cv=3, n_jobs=1, "
        f"{meta['threads']} BLAS/OpenMP thread(s); machine: {meta['machine']}; "
        f"total runtime {meta.get('runtime_s', float('nan')):.0f} s; "
        f"1-min load average {meta['loadavg_start'][0]:.1f} at the start, "
        f"{meta.get('loadavg_end', [float('nan')])[0]:.1f} at the end.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "",
    ]
    if "merged_from" in meta:
        mf = meta["merged_from"]
        lines += [
            f"Runs of {', '.join(mf['methods'])} are taken from {mf['file']} "
            f"(run of {mf['date']}, {mf.get('runtime_s') or 0:.0f} s; "
            "same problems, seeds, splits and budgets); the runtime above is "
            "this run's only.",
            "",
        ]
    for k, sit in enumerate(meta.get("sittings", []), 1):
        changed = ", ".join(
            f"{key} {v}"
            for key, v in (sit.get("versions") or {}).items()
            if meta["versions"].get(key) != v
        )
        lines += [
            f"Resumed (--resume): sitting {k}, of {sit['date']}, had run "
            f"{sit['runs']} runs in all"
            + (f" ({sit['runtime_s']:.0f} s)" if sit.get("runtime_s") else "")
            + (f"; versions then: {changed}" if changed else "; same versions")
            + ". The runtime above is the last sitting's.",
            "",
        ]
    for c in meta.get("combined_from", []):
        lines += [
            f"Runs of {', '.join(c['methods'])} are taken from {c['file']} (run of "
            f"{c['date']}, same problems, splits and budget), seeds "
            f"{', '.join(map(str, c['seeds']))}; versions there: "
            + ", ".join(
                f"{k} {v}"
                for k, v in c["versions"].items()
                if k not in meta["versions"] or meta["versions"][k] != v
            )
            + ".",
            "",
        ]
    runs = results["runs"]
    if meta.get("workers", 1) > 1:
        lines += [
            f"{meta['workers']} runs side by side (one process each, n_jobs=1): "
            "the scores do not depend on it; the overheads are measured on a "
            "loaded machine.",
            "",
        ]
    summaries = {}  # only with smaller budgets: the lead table and the targets
    if runs and len(budgets_of(meta)) > 1:
        summaries = by_budget(runs, methods, budgets_of(meta))
        lines += lead_table(summaries, methods)
    if runs:
        s = summarize(runs, methods)
        head = "| problem | " + " | ".join(methods) + " |"
        sep = "|---|" + "---|" * len(methods)

        lines += [
            "## Normalized best CV score (random = 0, best seen in this run = 100)",
            "",
            "Per problem: mean ± std over seeds. Summary rows: statistic over "
            "problems of the per-problem means, [95% bootstrap CI over seeds].",
            "",
            head,
            sep,
        ]
        for p in s["problems"]:
            row = [cell(s["table"][p, m], "norm", 1) for m in methods]
            lines.append(f"| {p} | " + " | ".join(row) + " |")
        for stat in ("mean", "median"):
            row = []
            for m in methods:
                a = s["agg"].get(m)
                if a is None:
                    row.append("—")
                    continue
                pt, lo, hi = a[stat]
                extra = "" if a["n_problems"] == len(s["problems"]) else "*"
                row.append(f"**{pt:.1f}** [{lo:.1f}, {hi:.1f}]{extra}")
            lines.append(f"| **{stat}** | " + " | ".join(row) + " |")
        row = [
            f"{s['agg'][m]['mean_rank']:.2f}"
            if s["agg"].get(m, {}).get("mean_rank") is not None
            else "—"
            for m in methods
        ]
        lines.append(
            "| mean rank (1 = best, over problem x seed where all ran) | "
            + " | ".join(row)
            + " |"
        )
        row = []
        for m in methods:
            d = s["agg"].get(m, {}).get("skhpo_minus")
            row.append("—" if d is None else f"{d[0]:+.1f} [{d[1]:+.1f}, {d[2]:+.1f}]")
        if any(r != "—" for r in row):
            lines.append(
                "| skhpo minus method, mean over problems (paired by seed) "
                "[95% bootstrap CI] | " + " | ".join(row) + " |"
            )
        lines += ["", "## Best CV score (mean ± std over seeds)", "", head, sep]
        for p in s["problems"]:
            row = [cell(s["table"][p, m], "best_cv", 4) for m in methods]
            lines.append(f"| {p} | " + " | ".join(row) + " |")
        lines += [
            "",
            "## Held-out test score of the refit model (mean ± std over seeds)",
            "",
            head,
            sep,
        ]
        for p in s["problems"]:
            row = [cell(s["table"][p, m], "test", 4) for m in methods]
            lines.append(f"| {p} | " + " | ".join(row) + " |")
        lines += [
            "",
            f"## Optimizer overhead per candidate in these runs (ms, n_iter="
            f"{meta['n_iter']}; mean over seeds)",
            "",
            head,
            sep,
        ]
        for p in s["problems"]:
            row = [
                fmt([1000 * v for v in s["table"][p, m]["overhead"]], 1)
                for m in methods
            ]
            lines.append(f"| {p} | " + " | ".join(row) + " |")
        row = [
            f"{s['agg'][m]['overhead_ms_median']:.1f}" if m in s["agg"] else "—"
            for m in methods
        ]
        lines.append("| **median over runs** | " + " | ".join(row) + " |")
        row = [
            f"{s['agg'][m]['wall_total']:.0f}" if m in s["agg"] else "—"
            for m in methods
        ]
        lines.append("| **total wall time (s)** | " + " | ".join(row) + " |")
        results["summary"] = jsonable(
            {
                "refs": s["refs"],
                "aggregate": s["agg"],
            }
        )

    ov = results["overhead"]
    if ov:
        sizes = sorted({r["n_iter"] for r in ov})
        lines += [
            "",
            f"## Overhead experiment: {OVERHEAD_PROBLEM.description}, n_jobs=1",
            "",
            "ms per candidate = (wall - refit_time_ - sum of fit and score times) / "
            "candidates; wall time of the whole fit in parentheses.",
            "",
            "| method | " + " | ".join(f"{n} candidates" for n in sizes) + " |",
            "|---|" + "---|" * len(sizes),
        ]
        for m in methods:
            row = []
            for n in sizes:
                rs = [r for r in ov if r["method"] == m and r["n_iter"] == n]
                if not rs:
                    row.append("not run")
                elif rs[0]["status"] != "ok":
                    row.append(f"FAILED: {rs[0]['error'][:80]}")
                else:
                    r = rs[0]
                    row.append(
                        f"{1000 * r['overhead_per_candidate']:.1f} "
                        f"({r['wall_time']:.1f} s)"
                    )
            lines.append(f"| {m} | " + " | ".join(row) + " |")

    lines += _targets(results, summaries)
    failures = [r for r in runs + ov if r["status"] == "error"]
    odd = [r for r in runs + ov if r["status"] == "ok" and r["n_violations"]]
    if failures or odd:
        lines += ["", "## Failures and anomalies", ""]
        for r in failures:
            lines.append(
                f"- {r['problem']} / {r['method']} / seed {r['seed']} / "
                f"n_iter {r['n_iter']}: failed at {r['stage']}: {r['error'][:300]}"
            )
        for r in odd:
            lines.append(
                f"- {r['problem']} / {r['method']} / seed {r['seed']}: "
                f"{r['n_violations']} out-of-space candidates, "
                f"e.g. {r['violations'][:3]}"
            )
    return "\n".join(lines) + "\n"


def _targets(results, summaries):
    out = []
    ov = {
        (r["method"], r["n_iter"]): r
        for r in results["overhead"]
        if r["status"] == "ok"
    }
    agg = results.get("summary", {}).get("aggregate", {})
    checks = []
    for n, limit in ((100, 50.0), (500, 250.0)):
        r = ov.get(("skhpo-bayes", n))
        if r is not None:
            ms = 1000 * r["overhead_per_candidate"]
            checks.append(
                f"skhpo overhead at {n} candidates {ms:.1f} ms <= {limit:.0f} ms: "
                + ("PASS" if ms <= limit else "FAIL")
            )
    if "skhpo-bayes" in agg:
        ours = agg["skhpo-bayes"]["mean"][0]
        for peer in ("skopt-bayes", "optuna-tpe", *OPTIONAL):
            if peer in agg:
                theirs = agg[peer]["mean"][0]
                checks.append(
                    f"mean normalized score skhpo {ours:.1f} > {peer} {theirs:.1f}: "
                    + ("PASS" if ours > theirs else "FAIL")
                    + (
                        " (over other seeds: see the paired checks)"
                        if agg[peer]["n_problems"]
                        and len(
                            {r["seed"] for r in results["runs"] if r["method"] == peer}
                        )
                        != results["meta"]["n_seeds"]
                        else ""
                    )
                )
    # The targets, on the paired differences: clear of zero at the larger
    # budgets, not below any peer at the smallest.
    methods = results["meta"]["methods"]
    if summaries and OURS in methods:
        first = min(summaries)
        for b, s in summaries.items():
            for m in methods:
                d = s["agg"].get(m, {}).get("skhpo_minus")
                if d is None or m == "random":
                    continue
                if b == first:
                    ok, what = d[2] > 0, "not below (upper bound > 0)"
                else:
                    ok, what = d[1] > 0, "above (lower bound > 0)"
                checks.append(
                    f"budget {b}: skhpo minus {m} {harness.ci(d, signed=True)} "
                    f"{what}: " + ("PASS" if ok else "FAIL")
                )
    if checks:
        out = ["", "## Targets", ""] + [f"- {c}" for c in checks]
    return out


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    refs = results.get("summary", {}).get("refs", {})
    fig, ax = plt.subplots(figsize=(6, 4))
    for m in results["meta"]["methods"]:
        curves = []
        for r in results["runs"]:
            if r["method"] != m or r["status"] != "ok" or r["problem"] not in refs:
                continue
            lo, hi = refs[r["problem"]]
            t = np.array([nan(v) for v in r["trace"]])
            curves.append(100 * (t - lo) / (hi - lo) if hi > lo else 0 * t)
        if curves:
            n = min(len(c) for c in curves)
            c = np.nanmean([c[:n] for c in curves], axis=0)
            ax.plot(np.arange(1, n + 1), c, label=m)
    ax.set_xlabel("candidates evaluated")
    ax.set_ylabel("normalized best-so-far CV score")
    ax.set_ylim(-100, 105)
    ax.axhline(0, color="grey", lw=0.5)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run in ~2 minutes")
    ap.add_argument("--seeds", type=int, default=None, help="number of seeds (5)")
    ap.add_argument("--n-iter", type=int, default=None, help="candidates per run (50)")
    ap.add_argument("--out", default=None, help="JSON file (Markdown next to it)")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument(
        "--problems",
        default=",".join(CORE_PROBLEMS),
        help=f"comma-separated names, or 'wide' for all {len(WIDE_PROBLEMS)}",
    )
    ap.add_argument(
        "--budgets",
        default="20,50",
        help="smaller budgets reported from the traces of the same runs",
    )
    ap.add_argument(
        "--workers", type=int, default=1, help="runs side by side (processes)"
    )
    ap.add_argument(
        "--overhead-sizes",
        default=None,
        help="candidate counts of the overhead experiment (100,500); '' to skip",
    )
    ap.add_argument("--skopt-max-overhead-size", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads")
    ap.add_argument("--plot", default=None, help="PNG of best-so-far traces")
    ap.add_argument(
        "--report",
        default=None,
        metavar="JSON",
        help="only rebuild the Markdown report (and --plot) from a saved JSON; "
        "A.json,B.json,...: A's runs and those of the other methods of B..., "
        "whole seeds only (a run stopped early), written to --out",
    )
    ap.add_argument(
        "--merge",
        default=None,
        metavar="JSON",
        help="take the runs of the methods not run now from a saved JSON (same "
        "seeds, n_iter and problems): e.g. re-measure skhpo against saved peers",
    )
    ap.add_argument(
        "--resume",
        action="store_true",
        help="continue the run saved in --out (same n_iter, methods and problems; "
        "more seeds allowed): its runs are kept and not run again, so that a long "
        "peer run can be spread over several sittings",
    )
    ap.add_argument(
        "--versus",
        default=None,
        metavar="JSON",
        help="with --report: also compare this file's skhpo with that file's "
        "(another version of skhpo on the same problems and seeds)",
    )
    args = ap.parse_args(argv)

    if args.report is not None:
        files = args.report.split(",")
        results = json.loads(Path(files[0]).read_text())
        for f in files[1:]:
            combine(results, json.loads(Path(f).read_text()), f)
        if len(files) > 1 and args.out is None:
            ap.error("--report with several files needs --out")
        out = Path(args.out or files[0])
        if len(files) > 1:
            out.write_text(json.dumps(results, indent=1))
        report = markdown(results)
        if args.versus:
            old = json.loads(Path(args.versus).read_text())
            report += "\n" + versus(results, old, args.versus)
        print(report)
        out.with_suffix(".md").write_text(report)
        if args.plot:
            plot(results, args.plot)
        return results

    if args.quick:
        seeds = args.seeds or 2
        n_iter = args.n_iter or 12
        sizes = "30" if args.overhead_sizes is None else args.overhead_sizes
    else:
        seeds = args.seeds or 5
        n_iter = args.n_iter or 50
        sizes = "100,500" if args.overhead_sizes is None else args.overhead_sizes
    methods = [m for m in args.methods.split(",") if m]
    names = WIDE_PROBLEMS if args.problems == "wide" else args.problems.split(",")
    problems = [PROBLEMS[p] for p in names if p]
    sizes = [int(s) for s in sizes.split(",") if s]
    unknown = set(methods) - {*METHODS, *OPTIONAL}
    if unknown:
        ap.error(f"unknown methods {sorted(unknown)}; choose from {METHODS + OPTIONAL}")

    out = args.out
    if out is None and not args.quick:
        # A dated default never overwrites a saved result: bayes_<date>_2.json...
        stem = HERE / "results" / f"bayes_{datetime.date.today().isoformat()}"
        out, k = stem.with_suffix(".json"), 1
        while out.exists():
            k += 1
            out = stem.with_name(f"{stem.name}_{k}.json")

    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    warnings.filterwarnings("ignore", module="optuna")

    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "argv": sys.argv[1:],
        "methods": methods,
        "problems": [p.name for p in problems],
        "problem_descriptions": {p.name: p.description for p in problems},
        "n_seeds": seeds,
        "n_iter": n_iter,
        "budgets": [int(b) for b in args.budgets.split(",") if b],
        "workers": args.workers,
        "overhead_sizes": sizes,
        "threads": args.threads,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "versions": versions(
            (*BASE_MODULES, *[x for m in methods for x in EXTRA_MODULES.get(m, ())])
        ),
        "loadavg_start": list(os.getloadavg()),
    }
    print(f"versions: {meta['versions']}", file=sys.stderr)
    results = {"meta": meta, "runs": [], "overhead": []}
    done = set()
    if args.resume:
        if out is None or not Path(out).exists():
            ap.error("--resume needs --out, an existing file")
        prev = json.loads(Path(out).read_text())
        pm = prev["meta"]
        if (pm["n_iter"], pm["methods"], pm["problems"]) != (
            n_iter,
            methods,
            meta["problems"],
        ):
            ap.error(f"{out} has another n_iter, other methods or problems")
        results["runs"] = prev["runs"]
        done = {(r["problem"], r["method"], r["seed"]) for r in prev["runs"]}
        # Every sitting keeps its own date, versions and runtime.
        keys = ("date", "versions", "runtime_s", "workers", "argv")
        sitting = {key: pm.get(key) for key in keys} | {"runs": len(prev["runs"])}
        meta["sittings"] = [*pm.get("sittings", []), sitting]
        print(f"resuming {out}: {len(done)} runs kept", file=sys.stderr)
    t_start = time.perf_counter()

    # Seed by seed: a run stopped early has whole seeds of every problem.
    tasks = [
        (problem.name, m, seed, n_iter)
        for seed in range(seeds)
        for problem in problems
        for m in methods
        if (problem.name, m, seed) not in done
    ]
    last_save = time.perf_counter()
    for rec in _run_all(tasks, args.workers, args.threads):
        progress(rec)
        results["runs"].append(jsonable(rec))
        slow = time.perf_counter() - last_save > 60.0
        if out is not None and (len(results["runs"]) % 20 == 0 or slow):
            # Saved as it goes, every 20 runs or every minute (HEBO's runs take
            # minutes each): a long run stopped halfway still has a report
            # (--report on this file) and goes on with --resume.
            Path(out).write_text(json.dumps(results, indent=1))
            last_save = time.perf_counter()
    order = {
        (p.name, seed, m): i
        for i, (p, seed, m) in enumerate(
            (p, seed, m) for p in problems for seed in range(seeds) for m in methods
        )
    }
    results["runs"].sort(key=lambda r: order[r["problem"], r["seed"], r["method"]])

    for n in sizes:
        for m in methods:
            if m == "skopt-bayes" and n > args.skopt_max_overhead_size:
                continue
            rec = run_one(OVERHEAD_PROBLEM, m, 0, n)
            progress(rec)
            results["overhead"].append(jsonable(rec))

    meta["runtime_s"] = time.perf_counter() - t_start
    if args.merge is not None:
        base = json.loads(Path(args.merge).read_text())
        bm = base["meta"]
        if (bm["n_iter"], bm["n_seeds"]) != (n_iter, seeds):
            ap.error(f"{args.merge} has other n_iter/seeds than this run")
        for key in ("runs", "overhead"):
            results[key] += [r for r in base[key] if r["method"] not in methods]
        known = METHODS + OPTIONAL
        meta["methods"] = [m for m in known if m in set(methods) | set(bm["methods"])]
        meta["merged_from"] = {
            "file": str(args.merge),
            "date": bm["date"],
            "methods": [m for m in bm["methods"] if m not in methods],
            "versions": bm["versions"],
            "runtime_s": bm.get("runtime_s"),
        }
    meta["loadavg_end"] = list(os.getloadavg())
    report = markdown(results)
    print(report)
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1))
        out.with_suffix(".md").write_text(report)
        print(f"wrote {out} and {out.with_suffix('.md')}", file=sys.stderr)
    if args.plot:
        plot(results, args.plot)
    return results


def combine(results, other, name):
    """Add to ``results`` the runs of ``other``'s methods that it lacks.

    Only the seeds that ``other`` ran on every problem of ``results`` count, so
    that a run stopped early (saved as it went, seed by seed) brings whole seeds;
    the paired intervals use the seeds both ran.
    """
    meta, om = results["meta"], other["meta"]
    if om["n_iter"] != meta["n_iter"]:
        raise ValueError(f"{name} has n_iter={om['n_iter']}, not {meta['n_iter']}")
    new = [m for m in om["methods"] if m not in meta["methods"]]
    problems = set(meta["problems"])
    runs = [r for r in other["runs"] if r["method"] in new]
    seeds = sorted(
        s
        for s in {r["seed"] for r in runs}
        if all(
            {r["problem"] for r in runs if r["seed"] == s and r["method"] == m}
            >= problems
            for m in new
        )
    )
    results["runs"] += [
        r for r in runs if r["seed"] in seeds and r["problem"] in problems
    ]
    meta["methods"] = meta["methods"] + new
    meta.setdefault("combined_from", []).append(
        {
            "file": name,
            "date": om["date"],
            "methods": new,
            "seeds": seeds,
            "versions": om["versions"],
            "runtime_s": om.get("runtime_s"),
            "workers": om.get("workers", 1),
        }
    )


def versus(results, old, name):
    """Markdown: this file's skhpo minus ``old``'s (another version of it).

    Paired by seed on the problems and seeds both ran, per budget, normalized as
    in the report (random search = 0, from whichever file has it; the best seen by
    any run of either = 100), with the fit time and overhead of both beside.
    """
    mine = [r for r in results["runs"] if r["method"] == OURS]
    theirs = [dict(r, method="previous") for r in old["runs"] if r["method"] == OURS]
    random = [r for r in results["runs"] if r["method"] == "random"] or [
        r for r in old["runs"] if r["method"] == "random"
    ]
    runs = mine + theirs + random
    problems = [p for p in results["meta"]["problems"] if p in old["meta"]["problems"]]
    best = {p: hi for p, (_, hi) in harness.normalize([dict(r) for r in runs]).items()}
    lines = [
        f"## {OURS} of this run minus {OURS} of {name}",
        "",
        f"Paired by seed over {len(problems)} problems (same splits); the other "
        f"file: {old['meta']['date']}, skhpo "
        f"{old['meta']['versions'].get('skhpo', '?')}.",
        "",
        "| budget | this minus the other [95% interval] |",
        "|---|---|",
    ]
    for b in budgets_of(results["meta"]):
        rb = at_budget(runs, b)
        harness.normalize(rb, best=best)
        d = harness.paired(rb, problems, OURS, "previous")
        lines.append(f"| {b} | {harness.ci(d, signed=True)} |")
    lines.append("")
    for label, rs in (("this run", mine), (name, theirs)):
        ok = [r for r in rs if r["status"] == "ok"]
        fit = sum(r.get("fit_score_time", 0.0) or 0.0 for r in ok)
        over = [
            r["overhead_per_candidate"] for r in ok if "overhead_per_candidate" in r
        ]
        lines.append(
            f"- {label}: {len(ok)} runs, fit and score time {fit:.0f} s in all, median "
            f"overhead {1000 * float(np.median(over)):.1f} ms per candidate"
            if over
            else f"- {label}: {len(ok)} runs"
        )
    return "\n".join(lines) + "\n"


def _run_task(task):
    name, method, seed, n_iter = task
    return run_one(PROBLEMS[name], method, seed, n_iter)


def _init_worker(threads):
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    warnings.filterwarnings("ignore", module="optuna")


def _run_all(tasks, workers, threads):
    """The records of ``tasks``, as they finish (in order with one worker)."""
    if workers <= 1:
        for task in tasks:
            yield _run_task(task)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(
        workers, initializer=_init_worker, initargs=(threads,)
    ) as pool:
        futures = [pool.submit(_run_task, t) for t in tasks]
        for f in as_completed(futures):
            yield f.result()


if __name__ == "__main__":
    main()
