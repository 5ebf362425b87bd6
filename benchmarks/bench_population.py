# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark skhpo's population searches against GASearchCV and a pyswarms baseline.

Methods, all with ``n_jobs=1``, the same problems (``problems.py``), seeds, CV
splits, train/test splits and number of candidates ``n_iter``:

==================  ================================================================
``random``          scikit-learn's ``RandomizedSearchCV`` (scipy.stats priors)
``skhpo-bayes``     ``skhpo.BayesSearchCV``
``skhpo-ga``        ``skhpo.EvolutionarySearchCV(strategy="ga")``
``skhpo-cmaes``     ``skhpo.EvolutionarySearchCV(strategy="cma-es")``
``skhpo-pso``       ``skhpo.PSOSearchCV()`` (global topology)
``skhpo-pso-ring``  ``skhpo.PSOSearchCV(topology="ring")``
``gasearchcv``      sklearn-genetic-opt's ``GASearchCV`` (its defaults, eaMuPlusLambda)
                    with ``population_size`` and ``generations`` chosen so that it
                    asks for ``n_iter`` candidates (see ``methods.ga_shape``)
``pso-baseline``    ``pyswarms.single.GlobalBestPSO`` through ``_pyswarms_adapter.py``
                    with ``n_particles * iters == n_iter``
==================  ================================================================

Two experiments:

1. Quality: per (problem, method, seed) the best CV score, the held-out test score of
   the refit model, the number of candidates evaluated, the wall time and the
   optimizer overhead per candidate. A Bayesmark-style normalized score per
   problem, ``100 * (best_cv - r) / (b - r)`` with ``r`` the mean over seeds of
   RandomizedSearchCV's best CV score and ``b`` the best CV score any method reached
   on the problem in this run; mean and median over problems with 95% bootstrap
   intervals that resample the seeds.
2. Overhead: ``problems.OVERHEAD_PROBLEM`` (Ridge, 60 training rows, cv=2, 6 mixed
   dims) at 100 and 500 candidates: milliseconds per candidate.

Usage::

    python benchmarks/bench_population.py [--quick] [--seeds N] [--n-iter N]

The Markdown report is printed and written next to the raw JSON results
(``results/population_<date>.{json,md}`` unless ``--out`` says otherwise; ``--quick``
writes nothing unless ``--out`` is given). ``--report FILE.json`` rebuilds the
report from saved results; ``--methods``, ``--problems``, ``--overhead-sizes`` and
``--overhead-methods`` select parts of the run.

The peers live in their own virtualenv; skhpo is used from source. sklearn-genetic-opt
0.12.0 asks for ``scikit-learn>=1.5`` with no upper bound and runs with 1.9.1, the
newest release, on every problem here::

    python3.11 -m venv /work/benchvenv2
    /work/benchvenv2/bin/pip install "scikit-learn==1.9.1" "numpy==2.4.6" \\
        "scipy==1.17.1" "pandas==3.1.1" "matplotlib==3.11.2" "threadpoolctl==3.8.0" \\
        "sklearn-genetic-opt==0.12.0" "deap==1.4.4" "pyswarms==1.3.0"
    PYTHONPATH=. /work/benchvenv2/bin/python benchmarks/bench_population.py --quick

Notes on the peers:

- GASearchCV has no ``random_state``: the run seeds ``random`` and numpy's global
  state just before ``fit`` (its dimensions' ``random_state`` would give every
  dimension the same stream; ``Categorical`` reseeds ``random`` from the OS when it
  is built, hence seeding after building).
- sklearn-genetic-opt's ``Integer`` is uniform only: the log-uniform integers of the
  problems (``max_iter``, ``max_leaf_nodes``, ``min_samples_leaf`` of hgb_classif,
  ``hidden_layer_sizes``, ``min_samples_split``, ``min_samples_leaf`` of the tree,
  ``n_neighbors``) are searched uniformly by GASearchCV. (``Categorical(priors=...)``
  cannot stand in: ``sample`` ignores the priors.)
- GASearchCV resets ``return_train_score`` to True (its ``__init__`` calls
  ``BaseSearchCV.__init__`` without it), so every fold would also be scored on its
  training data; the benchmark sets it back to False after construction.
- The number of candidates: see ``methods.ga_shape`` and ``_pyswarms_adapter.py``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402
from _pyswarms_adapter import swarm_shape  # noqa: E402
from harness import ci, fmt, jsonable, progress, run_one  # noqa: E402
from methods import ga_shape, versions  # noqa: E402
from problems import CORE_PROBLEMS, OVERHEAD_PROBLEM, PROBLEMS  # noqa: E402

METHODS = (
    "random",
    "skhpo-bayes",
    "skhpo-ga",
    "skhpo-cmaes",
    "skhpo-pso",
    "skhpo-pso-ring",
    "gasearchcv",
    "pso-baseline",
)
OVERHEAD_METHODS = (
    "random",
    "skhpo-ga",
    "skhpo-cmaes",
    "skhpo-pso",
    "skhpo-pso-ring",
    "gasearchcv",
    "pso-baseline",
)
OURS = ("skhpo-ga", "skhpo-cmaes", "skhpo-pso", "skhpo-pso-ring")


def our_methods(methods):
    """skhpo's population methods among ``methods``, variants included, in order."""
    return [m for m in methods if m.split(":")[0] in OURS]


PEERS = ("gasearchcv", "pso-baseline")
OVERHEAD_TARGET_MS = 5.0


# --------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------


_VERSIONS = (
    "sklearn",
    "numpy",
    "scipy",
    "joblib",
    "threadpoolctl",
    "sklearn_genetic",
    "deap",
    "pyswarms",
    "skhpo",
)


def summarize(runs, methods):
    """``harness.summarize``, plus each skhpo method minus each peer, by seed."""
    s = harness.summarize(runs, methods, PROBLEMS)
    agg, pairs = s["agg"], {}
    for a in our_methods(agg):
        for b in (*PEERS, "random"):
            if a in agg and b in agg:
                pairs[f"{a} - {b}"] = harness.paired(runs, s["problems"], a, b)
    if "skhpo-ga" in agg and "skhpo-cmaes" in agg:
        pairs["skhpo-cmaes - skhpo-ga"] = harness.paired(
            runs, s["problems"], "skhpo-cmaes", "skhpo-ga"
        )
    s["pairs"] = pairs
    return s


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def markdown(results):
    meta = results["meta"]
    methods = meta["methods"]
    runs, ov = results["runs"], results["overhead"]
    lines = [
        f"# Population-based search benchmark ({meta['date']})",
        "",
        f"{meta['n_seeds']} seeds (from {meta.get('first_seed', 0)}), "
        f"n_iter={meta['n_iter']} candidates for every "
        f"method, cv as in problems.py (3-fold, shuffled, seeded), n_jobs=1, "
        f"{meta['threads']} BLAS/OpenMP thread; machine: {meta['machine']}; total "
        f"runtime {meta.get('runtime_s', float('nan')):.0f} s; 1-min load average "
        f"{meta['loadavg_start'][0]:.1f} at the start, "
        f"{meta.get('loadavg_end', [float('nan')])[0]:.1f} at the end"
        + (
            f" (mean over runs {meta['loadavg_mean']:.1f})"
            if "loadavg_mean" in meta
            else ""
        )
        + ".",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "",
        "Budget mapping of the peers: "
        + "; ".join(f"{k}: {v}" for k, v in meta["shapes"].items()),
        "",
    ]
    s = None
    if runs:
        s = summarize(runs, methods)
        head = "| problem | " + " | ".join(methods) + " |"
        sep = "|---|" + "---|" * len(methods)
        lines += [
            "## Normalized best CV score (random = 0, best seen in this run = 100)",
            "",
            "Per problem: mean ± std over seeds. Summary rows: statistic over "
            "problems of the per-problem means [95% bootstrap CI, seeds resampled].",
            "",
            head,
            sep,
        ]
        for p in s["problems"]:
            row = [harness.cell(s["table"][p, m], "norm", 1) for m in methods]
            lines.append(f"| {p} | " + " | ".join(row) + " |")
        for stat in ("mean", "median"):
            row = []
            for m in methods:
                a = s["agg"].get(m)
                if a is None:
                    row.append("—")
                    continue
                extra = "" if a["n_problems"] == len(s["problems"]) else "*"
                pt, lo, hi = a[stat]
                row.append(f"**{pt:.1f}** [{lo:.1f}, {hi:.1f}]{extra}")
            lines.append(f"| **{stat}** | " + " | ".join(row) + " |")
        row = [
            f"{s['agg'][m]['mean_rank']:.2f}"
            if s["agg"].get(m, {}).get("mean_rank") is not None
            else "—"
            for m in methods
        ]
        lines.append("| mean rank (1 = best) | " + " | ".join(row) + " |")
        lines += [
            "",
            "### Paired differences of normalized scores (same seeds, same splits)",
            "",
            "Mean over problems of the per-seed difference [95% bootstrap CI]; "
            "an interval that excludes 0 is a clear difference.",
            "",
            "| skhpo method | - gasearchcv | - pso-baseline | - random |",
            "|---|---|---|---|",
        ]
        for a in our_methods(s["agg"]):
            if a not in s["agg"]:
                continue
            row = [
                ci(s["pairs"].get(f"{a} - {b}"), signed=True)
                for b in ("gasearchcv", "pso-baseline", "random")
            ]
            lines.append(f"| {a} | " + " | ".join(row) + " |")
        if "skhpo-cmaes - skhpo-ga" in s["pairs"]:
            lines += [
                "",
                "skhpo-cmaes - skhpo-ga (paired): "
                + ci(s["pairs"]["skhpo-cmaes - skhpo-ga"], signed=True),
            ]
        lines += ["", "## Best CV score (mean ± std over seeds)", "", head, sep]
        for p in s["problems"]:
            row = [harness.cell(s["table"][p, m], "best_cv", 4) for m in methods]
            lines.append(f"| {p} | " + " | ".join(row) + " |")
        lines += [
            "",
            "## Held-out test score of the refit model (mean ± std over seeds)",
            "",
            head,
            sep,
        ]
        for p in s["problems"]:
            row = [harness.cell(s["table"][p, m], "test", 4) for m in methods]
            lines.append(f"| {p} | " + " | ".join(row) + " |")
        lines += [
            "",
            "## Candidates evaluated (distinct CV evaluations; mean over seeds)",
            "",
            "gasearchcv: candidates its cache did not answer (its `cv_results_` "
            "has one row per individual evaluated, cached repeats included); "
            "pso-baseline: positions evaluated, duplicates included "
            "(distinct candidates in parentheses).",
            "",
            head,
            sep,
        ]
        for p in s["problems"]:
            row = []
            for m in methods:
                rs = [
                    r
                    for r in runs
                    if r["problem"] == p and r["method"] == m and r["status"] == "ok"
                ]
                if not rs:
                    row.append("—")
                    continue
                c = np.mean([r["n_candidates"] for r in rs])
                u = np.mean([r["n_unique"] for r in rs])
                rows = np.mean([r["n_rows"] for r in rs])
                cell = f"{c:.1f}"
                if u != c:
                    cell += f" ({u:.1f} distinct)"
                if rows != c:
                    cell += f" [{rows:.0f} rows]"
                row.append(cell)
            lines.append(f"| {p} | " + " | ".join(row) + " |")
        lines += [
            "",
            f"## Optimizer overhead per candidate in these runs (ms, n_iter="
            f"{meta['n_iter']}; mean ± std over seeds)",
            "",
            "(wall - refit_time_ - Σ fit and score times) / candidates evaluated.",
            "",
            head,
            sep,
        ]
        for p in s["problems"]:
            row = [
                fmt([1000 * v for v in s["table"][p, m]["overhead"]], 2)
                for m in methods
            ]
            lines.append(f"| {p} | " + " | ".join(row) + " |")
        row = [
            f"{s['agg'][m]['overhead_ms_median']:.2f}" if m in s["agg"] else "—"
            for m in methods
        ]
        lines.append("| **median over runs** | " + " | ".join(row) + " |")
        row = [
            f"{s['agg'][m]['wall_total']:.0f}" if m in s["agg"] else "—"
            for m in methods
        ]
        lines.append("| **total wall time (s)** | " + " | ".join(row) + " |")
        results["summary"] = jsonable(
            {"refs": s["refs"], "aggregate": s["agg"], "pairs": s["pairs"]}
        )

    if ov:
        sizes = sorted({r["n_iter"] for r in ov})
        ov_methods = list(meta["overhead_methods"])
        lines += [
            "",
            f"## Overhead experiment: {OVERHEAD_PROBLEM.description}, n_jobs=1",
            "",
            "ms per candidate = (wall - refit_time_ - Σ fit and score times) / "
            "candidates evaluated; wall time of the whole fit and candidates "
            "evaluated in parentheses. pso-baseline, the brief's definition "
            "(wall - Σ cross_val_score call times, so cloning and splitting are "
            "not counted): in brackets.",
            "",
            "| method | " + " | ".join(f"{n} candidates" for n in sizes) + " |",
            "|---|" + "---|" * len(sizes),
        ]
        for m in ov_methods:
            row = []
            for n in sizes:
                rs = [r for r in ov if r["method"] == m and r["n_iter"] == n]
                if not rs:
                    row.append("not run")
                elif rs[0]["status"] != "ok":
                    row.append(f"FAILED: {rs[0]['error'][:80]}")
                else:
                    r = rs[0]
                    cell = (
                        f"{1000 * r['overhead_per_candidate']:.2f} "
                        f"({r['wall_time']:.1f} s, {r['n_candidates']} cand.)"
                    )
                    if "overhead_per_candidate_calls" in r:
                        cell += f" [{1000 * r['overhead_per_candidate_calls']:.2f}]"
                    row.append(cell)
            lines.append(f"| {m} | " + " | ".join(row) + " |")

    lines += _targets(results, s)
    lines += _default_strategy(results, s)
    lines += _anomalies(runs + ov)
    lines += _NOTES
    for title, text in results.get("addenda", []):
        lines += ["", f"## Addendum: {title}", "", text]
    return "\n".join(lines) + "\n"


_NOTES = [
    "",
    "## Notes on the peers",
    "",
    "- gasearchcv: `GASearchCV` with its defaults (eaMuPlusLambda, mu = "
    "population_size, lambda = 2 population_size, crossover 0.2, mutation 0.8, "
    "tournaments of 3, cache on). It calls `evaluate` population_size * (1 + 2 "
    "generations) times, the budget mapping above, and has one `cv_results_` row per "
    "call; a repeat of an evaluated individual is answered by its cache without CV "
    "fits, so it cross-validates fewer distinct candidates than n_iter (table "
    "'Candidates evaluated'). Its overhead counts only the distinct ones: a cached "
    "repeat logs the record of its first evaluation again, fit times included.",
    "- gasearchcv searches the log-uniform integers of the problems uniformly: its "
    "`Integer` has no log-uniform distribution. It has no `random_state`; `random` "
    "and numpy's global state are seeded before `fit`. It resets "
    "`return_train_score` to True (its `__init__` calls `BaseSearchCV.__init__` "
    "without it) and would score every fold on its training data too; the benchmark "
    "sets it back to False.",
    "- pso-baseline: `pyswarms.single.GlobalBestPSO` on [0, 1]^d through "
    "`_pyswarms_adapter.py`, with skhpo's PSO coefficients (w = 0.7298, c1 = c2 = "
    "1.49618), velocity clamped to 0.2, reflective bounds, n_particles the divisor "
    "of n_iter closest to skhpo's default swarm size; every position is "
    "cross-validated (duplicates included), with `cross_validate` (what "
    "`cross_val_score` calls) and the same CV splitter and scoring.",
    "- Overhead = wall - refit_time_ - sum of fit and score times: it contains what "
    "every search pays per candidate (cloning, splitting, joblib dispatch, "
    "bookkeeping); `random` shows that floor.",
]


def _targets(results, s):
    out = ["", "## Targets", ""]
    agg = s["agg"] if s else {}
    for a in our_methods(agg):
        for b in PEERS:
            if b not in agg:
                continue
            ours, theirs = agg[a]["mean"][0], agg[b]["mean"][0]
            d = s["pairs"].get(f"{a} - {b}")
            out.append(
                f"- mean normalized score {a} {ours:.1f} > {b} {theirs:.1f}: "
                + ("PASS" if ours > theirs else "FAIL")
                + (
                    f" (paired difference {ci(d, signed=True)}"
                    + (
                        ", interval excludes 0)"
                        if d[1] > 0 or d[2] < 0
                        else ", interval includes 0: not significant)"
                    )
                    if d
                    else ""
                )
            )
    ov = {
        (r["method"], r["n_iter"]): r
        for r in results["overhead"]
        if r["status"] == "ok"
    }
    for a in OURS:
        for n in sorted({k[1] for k in ov}):
            r = ov.get((a, n))
            if r is None:
                continue
            ms = 1000 * r["overhead_per_candidate"]
            out.append(
                f"- {a} overhead at {n} candidates (overhead experiment) "
                f"{ms:.2f} ms < {OVERHEAD_TARGET_MS:.0f} ms: "
                + ("PASS" if ms < OVERHEAD_TARGET_MS else "FAIL")
            )
        if a in agg:
            ms = agg[a]["overhead_ms_median"]
            out.append(
                f"- {a} overhead in the quality runs (median over runs) {ms:.2f} ms "
                f"< {OVERHEAD_TARGET_MS:.0f} ms: "
                + ("PASS" if ms < OVERHEAD_TARGET_MS else "FAIL")
            )
    return out if len(out) > 3 else []


def _default_strategy(results, s):
    if not s or "skhpo-ga" not in s["agg"] or "skhpo-cmaes" not in s["agg"]:
        return []
    ga, cma = s["agg"]["skhpo-ga"], s["agg"]["skhpo-cmaes"]
    d = s["pairs"].get("skhpo-cmaes - skhpo-ga")
    better = "cma-es" if cma["mean"][0] > ga["mean"][0] else "ga"
    clear = d is not None and (d[1] > 0 or d[2] < 0)
    ov = {
        (r["method"], r["n_iter"]): r
        for r in results["overhead"]
        if r["status"] == "ok"
    }
    ov_txt = ", ".join(
        f"{m} {1000 * ov[m, n]['overhead_per_candidate']:.2f} ms at {n}"
        for m in ("skhpo-ga", "skhpo-cmaes")
        for n in sorted({k[1] for k in ov})
        if (m, n) in ov
    )
    return [
        "",
        "## Default strategy of EvolutionarySearchCV",
        "",
        f"Mean normalized score: ga {ga['mean'][0]:.1f} [{ga['mean'][1]:.1f}, "
        f"{ga['mean'][2]:.1f}], cma-es {cma['mean'][0]:.1f} [{cma['mean'][1]:.1f}, "
        f"{cma['mean'][2]:.1f}]; median: ga {ga['median'][0]:.1f}, cma-es "
        f"{cma['median'][0]:.1f}; mean rank: ga {ga['mean_rank'] or float('nan'):.2f}, "
        f"cma-es {cma['mean_rank'] or float('nan'):.2f}; paired cma-es - ga "
        f"{ci(d, signed=True)}. Overhead: {ov_txt}.",
        "",
        f"By these numbers the default should be **{better!r}**"
        + (
            "."
            if clear
            else " (the paired interval includes 0: the difference is not "
            "significant at this number of seeds)."
        ),
    ]


def _anomalies(records):
    failures = [r for r in records if r["status"] == "error"]
    odd = [r for r in records if r["status"] == "ok" and r["n_violations"]]
    dup = [
        r
        for r in records
        if r["status"] == "ok"
        and r["method"].startswith("skhpo")
        and (r["n_unique"] != r["n_candidates"] or r["n_candidates"] != r["n_iter"])
    ]
    if not (failures or odd or dup):
        return []
    out = ["", "## Failures and anomalies", ""]
    for r in failures:
        out.append(
            f"- {r['problem']} / {r['method']} / seed {r['seed']} / n_iter "
            f"{r['n_iter']}: failed at {r['stage']}: {r['error'][:300]}"
        )
    for r in odd:
        out.append(
            f"- {r['problem']} / {r['method']} / seed {r['seed']}: "
            f"{r['n_violations']} out-of-space candidates, e.g. {r['violations'][:3]}"
        )
    for r in dup:
        out.append(
            f"- {r['problem']} / {r['method']} / seed {r['seed']} / n_iter "
            f"{r['n_iter']}: {r['n_candidates']} candidates, {r['n_unique']} distinct"
        )
    return out


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run in minutes")
    ap.add_argument("--seeds", type=int, default=None, help="number of seeds (5)")
    ap.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="seeds are first-seed, first-seed + 1, ...: fresh seeds check settings "
        "chosen on others",
    )
    ap.add_argument("--n-iter", type=int, default=None, help="candidates per run (60)")
    ap.add_argument("--out", default=None, help="JSON file (Markdown next to it)")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--problems", default=",".join(CORE_PROBLEMS))
    ap.add_argument(
        "--overhead-sizes",
        default=None,
        help="candidate counts of the overhead experiment (100,500); '' to skip",
    )
    ap.add_argument("--overhead-methods", default=",".join(OVERHEAD_METHODS))
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads")
    ap.add_argument(
        "--report",
        default=None,
        metavar="JSON",
        help="only rebuild the Markdown report from a saved JSON",
    )
    args = ap.parse_args(argv)

    if args.report is not None:
        results = json.loads(Path(args.report).read_text())
        report = markdown(results)
        print(report)
        Path(args.report).with_suffix(".md").write_text(report)
        return results

    if args.quick:
        seeds = args.seeds or 2
        n_iter = args.n_iter or 12
        sizes = "30" if args.overhead_sizes is None else args.overhead_sizes
    else:
        seeds = args.seeds or 5
        n_iter = args.n_iter or 60
        sizes = "100,500" if args.overhead_sizes is None else args.overhead_sizes
    methods = [m for m in args.methods.split(",") if m]
    ov_methods = [m for m in args.overhead_methods.split(",") if m]
    problems = [PROBLEMS[p] for p in args.problems.split(",") if p]
    sizes = [int(x) for x in sizes.split(",") if x]
    unknown = {m for m in (*methods, *ov_methods) if m.split(":")[0] not in METHODS}
    if unknown:
        ap.error(
            f"unknown methods {sorted(unknown)}; choose from {METHODS}, or an skhpo "
            "method with a variant such as 'skhpo-ga:elitism=5;population_size=6'"
        )

    out = args.out
    if out is None and not args.quick:
        out = HERE / "results" / f"population_{datetime.date.today().isoformat()}.json"

    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)

    shapes = {}
    for n in sorted({n_iter, *sizes}):
        pop, gen = ga_shape(n)
        shapes[f"gasearchcv n_iter={n}"] = (
            f"population_size={pop}, generations={gen} -> {pop * (1 + 2 * gen)} asked"
        )
    for prob in [*problems, OVERHEAD_PROBLEM]:
        for n in [n_iter] if prob is not OVERHEAD_PROBLEM else sizes:
            p, it = swarm_shape(n, len(prob.space))
            shapes[f"pso-baseline {prob.name} n_iter={n}"] = (
                f"n_particles={p}, iters={it}"
            )
    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "argv": sys.argv[1:],
        "methods": methods,
        "overhead_methods": ov_methods,
        "problems": [p.name for p in problems],
        "problem_descriptions": {p.name: p.description for p in problems},
        "n_seeds": seeds,
        "first_seed": args.first_seed,
        "n_iter": n_iter,
        "overhead_sizes": sizes,
        "threads": args.threads,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "versions": versions(_VERSIONS),
        "shapes": shapes,
        "loadavg_start": list(os.getloadavg()),
    }
    print(f"versions: {meta['versions']}", file=sys.stderr)
    results = {"meta": meta, "runs": [], "overhead": []}
    t_start = time.perf_counter()

    for problem in problems:
        for seed in range(args.first_seed, args.first_seed + seeds):
            for m in methods:
                rec = run_one(problem, m, seed, n_iter)
                progress(rec)
                results["runs"].append(jsonable(rec))

    for n in sizes:
        for m in ov_methods:
            rec = run_one(OVERHEAD_PROBLEM, m, 0, n)
            progress(rec)
            results["overhead"].append(jsonable(rec))

    meta["runtime_s"] = time.perf_counter() - t_start
    meta["loadavg_end"] = list(os.getloadavg())
    loads = [r["loadavg_1min"] for r in results["runs"] + results["overhead"]]
    if loads:
        meta["loadavg_mean"] = float(np.mean(loads))
    report = markdown(results)
    print(report)
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1))
        out.with_suffix(".md").write_text(report)
        print(f"wrote {out} and {out.with_suffix('.md')}", file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
