# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark suite: skhpo's four searches against every peer, in one run.

One command, one environment (every peer installed by the ``bench`` extra), four
experiments, all in the same run:

1. **Quality**: every method of ``SUITE_METHODS`` on every problem of
   ``problems.PROBLEMS`` (12 scikit-learn models on bundled or generated data), for
   several seeds, with ``n_jobs=1`` and the same budget: ``n_iter`` candidates, or
   for the multi-fidelity methods (Hyperband, successive halving) the same compute,
   ``n_iter`` full-data evaluations (``methods.hyperband_plan`` and
   ``methods.halving_plan``). Reported: Bayesmark's normalized score (random search
   at the same budget = 0, the best score seen in the run = 100), its mean and
   median over problems with 95% bootstrap intervals over seeds, paired
   differences, the held-out test score of the refit model, and anytime curves
   (best so far against candidates and against wall time).
2. **Overhead**: ``problems.OVERHEAD_PROBLEM`` (Ridge on 60 rows, ``cv=2``, whose
   fits cost about a millisecond) at 100, 300 and 1000 candidates: the optimizer's
   milliseconds per candidate as observations accumulate. scikit-optimize only up
   to ``--skopt-max-overhead`` candidates (100): beyond, it takes hours.
3. **Parallel efficiency**: skhpo's classes and ``RandomizedSearchCV`` on a problem
   whose fits take 50 to 200 ms (``rf_cancer``), with ``n_jobs=1``, ``n_jobs=2``
   (loky) and a dask ``LocalCluster`` of 2 single-threaded workers: speedup over
   ``n_jobs=1``, and whether the results are identical.
4. **Hyperband's time to target**: ``bench_hyperband.py``'s ``hgb_n_samples``
   problem (30,000 rows) and timing machinery: the time HyperbandSearchCV (default
   sampler) takes to reach random search's final CV score, as a fraction of random
   search's wall time, per seed.

Usage::

    PYTHONPATH=. python benchmarks/bench_suite.py --quick   # < 2 minutes
    PYTHONPATH=. python benchmarks/bench_suite.py           # the full run

The full run writes ``results/suite_<date>.{json,md}`` and its figures, and the
fragment and figures of the documentation page (``doc/benchmarks_results.rst.inc``,
``doc/_static/benchmarks/``); ``--quick`` writes to ``/tmp/skhpo_bench_suite_quick``
unless ``--out`` says otherwise, and touches ``doc/`` only with ``--doc``.
``--report FILE.json`` rebuilds the report, figures and (with ``--doc``) the doc
fragment from saved results, without fitting anything.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from contextlib import nullcontext  # noqa: E402
from dataclasses import asdict  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from _suite_report import write_outputs  # noqa: E402
from harness import jsonable, progress, run_one  # noqa: E402
from methods import METHOD_INFO, all_versions, split_variant  # noqa: E402
from problems import OVERHEAD_PROBLEM, PROBLEMS, SUITE_PROBLEMS  # noqa: E402

SUITE_METHODS = (
    "random",
    "halving",
    "skhpo-bayes",
    "skhpo-hyperband",
    "skhpo-evolutionary",
    "skhpo-ga",
    "skhpo-pso",
    "skopt-bayes",
    "optuna-tpe",
    "optuna-cmaes",
    "gasearchcv",
    "pso-baseline",
)
PARALLEL_METHODS = (
    "random",
    "skhpo-bayes",
    "skhpo-hyperband",
    "skhpo-evolutionary",
    "skhpo-pso",
)
# --quick: the cheapest problems, both tasks, mixed and numeric-only spaces.
QUICK_PROBLEMS = ("enet_diabetes", "svr_diabetes", "knn_friedman", "logreg_cancer")
FULL = {
    "seeds": 5,
    "n_iter": 50,
    "overhead_sizes": "100,300,1000",
    "skopt_max_overhead": 100,
    "parallel_problem": "rf_cancer",
    "parallel_n_iter": 30,
    "hyperband_seeds": 3,
    "hyperband_n_iter": 60,
}
QUICK = {
    "seeds": 2,
    "n_iter": 10,
    "overhead_sizes": "20,50",
    "skopt_max_overhead": 20,
    # a smoke test of the backends: 20 ms fits instead of ~100 ms
    "parallel_problem": "logreg_cancer",
    "parallel_n_iter": 4,
    "hyperband_seeds": 1,
    "hyperband_n_iter": 15,
}
EXPERIMENTS = ("quality", "overhead", "parallel", "hyperband")


# --------------------------------------------------------------------------------------
# Experiments
# --------------------------------------------------------------------------------------


def _quality_jobs(problems, methods, seeds):
    jobs = []
    for problem in problems:
        for seed in seeds:
            # rotate the order with the seed: no method always runs first (a shared
            # machine's load drifts, and wall times with it)
            k = seed % len(methods)
            jobs += [(problem.name, m, seed) for m in methods[k:] + methods[:k]]
    return jobs


def _init_worker(threads):
    import warnings

    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    warnings.filterwarnings("ignore", module="optuna")


def _quality_one(name, method, seed, n_iter):
    rec = run_one(PROBLEMS[name], method, seed, n_iter)
    progress(rec)
    return jsonable(rec)


def quality(
    problems, methods, seeds, n_iter, *, workers=1, journal=None, threads=1, info=None
):
    """Every method on every problem and seed, ``n_jobs=1``, the same budget.

    ``workers > 1`` runs that many searches at a time in separate processes (each
    still ``n_jobs=1``; use at most one per core, or the wall times measure the
    contention). ``journal``, a JSON-lines file, receives each run as it ends, and
    the runs already in it are not run again: an interrupted full run resumes.
    ``info``, a dict, receives how many runs came from the journal.
    """
    jobs = _quality_jobs(problems, methods, seeds)
    done = {}
    if journal is not None and journal.exists():
        for line in journal.read_text().splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:  # a line torn by an interruption
                continue
            if rec.get("n_iter") == n_iter:
                done[(rec["problem"], rec["method"], rec["seed"])] = rec
        print(f"  journal {journal}: {len(done)} runs done", file=sys.stderr)
    if journal is not None:
        journal.parent.mkdir(parents=True, exist_ok=True)
    todo = [j for j in jobs if j not in done]
    if info is not None:
        info.update(
            journal=None if journal is None else str(journal),
            resumed=len(jobs) - len(todo),
            runs=len(jobs),
        )

    def record(rec):
        rec["workers"] = workers
        rec["finished"] = time.time()
        done[(rec["problem"], rec["method"], rec["seed"])] = rec
        if journal is not None:
            with journal.open("a") as f:
                f.write(json.dumps(rec) + "\n")

    if workers == 1:
        for job in todo:
            record(_quality_one(*job, n_iter))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(threads,)
        ) as pool:
            futures = [pool.submit(_quality_one, *job, n_iter) for job in todo]
            for fut in as_completed(futures):
                record(fut.result())
    return [done[j] for j in jobs]


def overhead(sizes, methods, skopt_max):
    """Milliseconds per candidate on the near-free overhead problem, per size."""
    runs = []
    for n in sizes:
        for m in methods:
            if split_variant(m)[0] == "skopt-bayes" and n > skopt_max:
                runs.append(
                    {
                        "problem": OVERHEAD_PROBLEM.name,
                        "method": m,
                        "seed": 0,
                        "n_iter": n,
                        "status": "skipped",
                        "reason": f"scikit-optimize is run up to {skopt_max} "
                        "candidates only: its overhead grows to seconds per "
                        "candidate (hours at this size)",
                    }
                )
                continue
            rec = run_one(OVERHEAD_PROBLEM, m, 0, n, budget="rows")
            progress(rec)
            runs.append(jsonable(rec))
    return runs


def _dask_client():
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster


def parallel(problem, methods, n_iter, seed=0, use_dask=True):
    """Wall time with ``n_jobs=1``, ``n_jobs=2`` (loky) and a 2-worker dask cluster.

    Each backend is warmed up first (worker processes started, modules imported)
    with the first method, whose timed run follows; the speedup is the search time
    (wall minus refit) with ``n_jobs=1`` over the backend's.
    """
    from joblib import parallel_config

    runs = []
    backends = [("n_jobs=1", 1, None), ("loky, n_jobs=2", 2, "loky")]
    client = cluster = None
    if use_dask:
        try:
            client, cluster = _dask_client()
            backends.append(("dask LocalCluster(2 workers)", 2, "dask"))
        except Exception as exc:
            runs.append(
                {
                    "problem": problem.name,
                    "method": "(all: no cluster)",
                    "backend": "dask LocalCluster(2 workers)",
                    "status": "error",
                    "stage": "start cluster",
                    "error": f"{type(exc).__name__}: {exc}"[:300],
                }
            )
    try:
        for label, n_jobs, backend in backends:
            with parallel_config(backend=backend) if backend else nullcontext():
                run_one(problem, methods[0], seed, 3, n_jobs=n_jobs)  # warm-up
                for m in methods:
                    rec = run_one(problem, m, seed, n_iter, n_jobs=n_jobs)
                    rec["backend"] = label
                    progress(rec)
                    runs.append(jsonable(rec))
    finally:
        if client is not None:
            client.close()
            cluster.close()
    return runs


def hyperband_target(seeds, quick, n_iter):
    """bench_hyperband.py's ``hgb_n_samples``: random search and Hyperband."""
    import bench_hyperband as bh

    from skhpo import HyperbandSearchCV

    default = HyperbandSearchCV(None, {}).sampler
    methods = ["random", f"hyperband-{default}"]
    bh.warm_up()
    runs = []
    for seed in seeds:
        for m in methods if seed % 2 == 0 else methods[::-1]:
            rec = bh.run_one("hgb_n_samples", m, seed, quick, n_iter)
            print(
                f"  hgb_n_samples   {m:18s} seed={seed}: cv {rec['best_score']:.4f} "
                f"wall {rec['wall']:.1f}s evals {rec['n_evaluations']}",
                file=sys.stderr,
                flush=True,
            )
            runs.append(jsonable(rec))
    analysis = bh.analyse(runs, ["hgb_n_samples"], methods, list(seeds))
    prob = bh.make_problem("hgb_n_samples", 0, quick)
    return {
        "methods": methods,
        "n_iter": n_iter,
        "n_jobs": bh.N_JOBS,
        "description": bh.PROBLEM_TEXT["hgb_n_samples"].format(
            n_rows=prob["n_rows"], max_iter=prob["max_iter"]
        ),
        "runs": runs,
        "analysis": jsonable(analysis),
    }


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def _parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run, < 2 minutes")
    ap.add_argument("--seeds", type=int, help="seeds of the quality runs (5; 2)")
    ap.add_argument("--n-iter", type=int, help="candidates per run (50; 10)")
    ap.add_argument("--methods", help="comma-separated, default: SUITE_METHODS")
    ap.add_argument("--problems", help="comma-separated, default: all (quick: 4)")
    ap.add_argument("--experiments", default=",".join(EXPERIMENTS))
    ap.add_argument("--overhead-sizes", help="'100,300,1000' ('20,50')")
    ap.add_argument("--skopt-max-overhead", type=int, help="100 (20)")
    ap.add_argument("--parallel-problem", help="rf_cancer (logreg_cancer)")
    ap.add_argument("--parallel-n-iter", type=int, help="30 (4)")
    ap.add_argument("--no-dask", action="store_true", help="skip the dask cluster")
    ap.add_argument("--hyperband-seeds", type=int, help="3 (1)")
    ap.add_argument("--hyperband-n-iter", type=int, help="random search's, 60 (15)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads")
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="quality runs at a time, in separate processes (at most one per core)",
    )
    ap.add_argument(
        "--journal",
        help="JSON-lines file of finished quality runs; those in it are not re-run "
        "(default: next to the results JSON, for the full run)",
    )
    ap.add_argument("--out", help="results JSON (Markdown and figures next to it)")
    ap.add_argument(
        "--doc",
        nargs="?",
        const=str(HERE.parent / "doc"),
        help="write the doc fragment and figures into this doc/ directory "
        "(default for the full run)",
    )
    ap.add_argument("--no-doc", action="store_true", help="leave doc/ alone")
    ap.add_argument("--report", metavar="JSON", help="rebuild outputs from a JSON")
    return ap, ap.parse_args(argv)


def main(argv=None):
    ap, args = _parse(argv)
    if args.report:
        results = json.loads(Path(args.report).read_text())
        write_outputs(results, Path(args.report), None if args.no_doc else args.doc)
        return results

    cfg = dict(QUICK if args.quick else FULL)
    for key in cfg:
        value = getattr(args, key, None)
        if value is not None:
            cfg[key] = value
    methods = args.methods.split(",") if args.methods else list(SUITE_METHODS)
    for m in methods:
        try:
            split_variant(m)
        except ValueError as exc:
            ap.error(str(exc))
    names = args.problems.split(",") if args.problems else None
    names = names or list(QUICK_PROBLEMS if args.quick else SUITE_PROBLEMS)
    unknown = [p for p in [*names, cfg["parallel_problem"]] if p not in PROBLEMS]
    if unknown:
        ap.error(f"unknown problems {unknown}; choose from {list(PROBLEMS)}")
    problems = [PROBLEMS[p] for p in names]
    experiments = [e for e in args.experiments.split(",") if e]
    sizes = [int(x) for x in str(cfg["overhead_sizes"]).split(",") if x]
    today = datetime.date.today().isoformat()
    if args.out:
        out = Path(args.out)
    elif args.quick:
        out = Path("/tmp/skhpo_bench_suite_quick/suite_quick.json")
    else:
        out = HERE / "results" / f"suite_{today}.json"
    doc = None if args.no_doc else args.doc
    if doc is None and not args.quick and not args.no_doc:
        doc = str(HERE.parent / "doc")

    journal = Path(args.journal) if args.journal else None
    if journal is None and not args.quick:
        journal = out.with_suffix(".quality.jsonl")

    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    import warnings

    warnings.filterwarnings("ignore", module="optuna")

    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": "python benchmarks/bench_suite.py " + " ".join(sys.argv[1:]),
        "quick": args.quick,
        "methods": methods,
        "method_info": {
            m: asdict(METHOD_INFO[split_variant(m)[0]]) | {"variant": m}
            for m in methods
        },
        "problems": [p.name for p in problems],
        "problem_info": {
            p.name: {
                "description": p.description,
                "space": jsonable(p.space),
                "task": p.task,
                "scoring": p.scoring
                or ("accuracy" if p.task == "classification" else "r2"),
            }
            for p in [*problems, OVERHEAD_PROBLEM, PROBLEMS[cfg["parallel_problem"]]]
        },
        "seeds": list(range(cfg["seeds"])),
        "n_iter": cfg["n_iter"],
        "config": cfg,
        "experiments": experiments,
        "threads": args.threads,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.platform()}",
        "python": sys.executable,
        "versions": all_versions(),
        "loadavg_start": list(os.getloadavg()),
    }
    print(f"versions: {meta['versions']}", file=sys.stderr, flush=True)
    results = {"meta": meta}
    timings = meta["experiment_runtime_s"] = {}
    if "quality" in experiments:
        t = time.perf_counter()
        results["quality"] = quality(
            problems,
            methods,
            meta["seeds"],
            cfg["n_iter"],
            workers=args.workers,
            journal=journal,
            threads=args.threads,
            info=meta.setdefault("quality_journal", {}),
        )
        timings["quality"] = time.perf_counter() - t
        if meta["quality_journal"]["resumed"]:
            # Runs resumed from the journal: their own time, not this process's.
            # Exact from the finish times where recorded, else the summed wall
            # time of the searches over the processes that ran them. A run that
            # was not applicable or failed early has no wall time.
            runs = results["quality"]
            walls = [r.get("wall_time") or 0.0 for r in runs]
            if all("finished" in r for r in runs):
                timings["quality"] = max(r["finished"] for r in runs) - min(
                    r["finished"] - w for r, w in zip(runs, walls)
                )
            else:
                timings["quality"] = sum(walls) / max(r.get("workers", 1) for r in runs)
                meta["quality_journal"]["runtime_estimated"] = True
    if "overhead" in experiments:
        t = time.perf_counter()
        results["overhead"] = overhead(sizes, methods, cfg["skopt_max_overhead"])
        timings["overhead"] = time.perf_counter() - t
    if "parallel" in experiments:
        t = time.perf_counter()
        par = [m for m in PARALLEL_METHODS if m in methods] or methods[:1]
        results["parallel"] = parallel(
            PROBLEMS[cfg["parallel_problem"]],
            par,
            cfg["parallel_n_iter"],
            use_dask=not args.no_dask,
        )
        timings["parallel"] = time.perf_counter() - t
    if "hyperband" in experiments:
        t = time.perf_counter()
        results["hyperband_target"] = hyperband_target(
            range(cfg["hyperband_seeds"]), args.quick, cfg["hyperband_n_iter"]
        )
        timings["hyperband"] = time.perf_counter() - t
    # the experiments' times, so that quality runs read from a journal count theirs
    meta["runtime_s"] = sum(timings.values())
    meta["loadavg_end"] = list(os.getloadavg())
    loads = [
        r["loadavg_1min"] for r in results.get("quality", []) if "loadavg_1min" in r
    ]
    meta["loadavg_mean"] = float(np.mean(loads)) if loads else None
    write_outputs(results, out, doc)
    print(
        f"total runtime {meta['runtime_s']:.0f} s; results in {out}",
        file=sys.stderr,
    )
    return results


if __name__ == "__main__":
    main()
