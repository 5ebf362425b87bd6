# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""The scheduler: parallel speedup, overhead per candidate, and fits that fail badly.

Three experiments, each beside scikit-learn's ``RandomizedSearchCV`` (and, in the
speedup experiment, ``OptunaSearchCV(n_jobs=2)`` and scikit-optimize's
``BayesSearchCV(n_points=2)`` where they are installed: ``pip install -e .[bench]``):

1. **Speedup**: wall time of the search (refit excluded) with ``n_jobs=1`` over
   ``n_jobs=2`` (loky), on fits that only sleep (``--sleep`` seconds, 16 candidates,
   ``cv=3``) and, with ``--dask``, on a dask ``LocalCluster`` of 2 single-threaded
   workers with ~1 s fits. Worker processes are warmed up first.
2. **Overhead**: milliseconds per candidate of everything but fitting and scoring
   (wall minus the fit and score times of ``cv_results_``), ``n_jobs=1``, on fits
   that cost nothing, at ``--sizes`` candidates.
3. **Faults**: one fit that kills its worker process and one that hangs for 10
   minutes, ``n_jobs=2``: does the search finish, how long does it take, and what
   is lost. skhpo runs with ``fit_timeout=5``; ``RandomizedSearchCV`` has no such
   parameter.

Usage::

    PYTHONPATH=. python benchmarks/bench_scheduler.py            # about 10 minutes
    PYTHONPATH=. python benchmarks/bench_scheduler.py --dask     # + the cluster runs

Writes ``results/scheduler_<date>.{json,md}`` (or ``--out DIR``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import tempfile
import time
import warnings
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from joblib import parallel_config
from scipy.stats import uniform
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import RandomizedSearchCV

from skhpo import BayesSearchCV, EvolutionarySearchCV, HyperbandSearchCV, PSOSearchCV
from skhpo.utils._testing import FaultyQuadratic, HangingQuadratic

SPACE = {"a": uniform(0, 1), "b": uniform(0, 1)}
HERE = Path(__file__).parent


def make_method(name, estimator, n_iter, cv, n_jobs, **extra):
    """A search called ``name`` with ``n_iter`` candidates (Hyperband: about)."""
    common = {"cv": cv, "n_jobs": n_jobs, "refit": False, **extra}
    if name == "RandomizedSearchCV":
        return RandomizedSearchCV(
            estimator, SPACE, n_iter=n_iter, random_state=0, **common
        )
    if name == "BayesSearchCV":
        return BayesSearchCV(estimator, SPACE, n_iter=n_iter, random_state=0, **common)
    if name == "EvolutionarySearchCV":
        return EvolutionarySearchCV(
            estimator, SPACE, n_iter=n_iter, random_state=0, **common
        )
    if name == "PSOSearchCV":
        return PSOSearchCV(estimator, SPACE, n_iter=n_iter, random_state=0, **common)
    if name.startswith("HyperbandSearchCV"):
        if name.endswith("(sampler='random')"):  # no density model
            common["sampler"] = "random"
        # One bracket of max_resources=n_iter with factor 3 runs about n_iter
        # candidates; the resource is a no-op parameter of the fake estimator.
        return HyperbandSearchCV(
            estimator,
            SPACE,
            resource="c",
            max_resources=27,
            min_resources=1,
            n_brackets=max(1, round(n_iter / 27)),
            random_state=0,
            **common,
        )
    if name == "OptunaSearchCV(n_jobs=2)":
        import optuna
        from optuna.distributions import FloatDistribution
        from optuna_integration import OptunaSearchCV

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        return OptunaSearchCV(
            estimator,
            {"a": FloatDistribution(0, 1), "b": FloatDistribution(0, 1)},
            n_trials=n_iter,
            cv=cv,
            n_jobs=n_jobs,
            refit=False,
            random_state=0,
        )
    if name == "skopt BayesSearchCV(n_points=2)":
        from skopt import BayesSearchCV as SkoptBayes
        from skopt.space import Real as SkoptReal

        return SkoptBayes(
            estimator,
            {"a": SkoptReal(0, 1), "b": SkoptReal(0, 1)},
            n_iter=n_iter,
            n_points=2,
            random_state=0,
            **common,
        )
    raise ValueError(name)


SKHPO = ["BayesSearchCV", "HyperbandSearchCV", "EvolutionarySearchCV", "PSOSearchCV"]
PEERS = ["OptunaSearchCV(n_jobs=2)", "skopt BayesSearchCV(n_points=2)"]


def available(name):
    try:
        make_method(name, FaultyQuadratic(), 2, 2, 1)
    except ImportError as exc:
        return f"not installed: {exc}"
    return None


def timed_fit(search, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    wall = time.perf_counter() - start
    results = search.cv_results_
    n_candidates = len(results["mean_test_score"])
    n_splits = getattr(search, "n_splits_", None) or search.cv
    fit_score = float("nan")
    if "mean_fit_time" in results and "mean_score_time" in results:
        times = np.asarray(results["mean_fit_time"]) + results["mean_score_time"]
        fit_score = float(np.sum(times) * n_splits)
    return wall, n_candidates, n_candidates * n_splits, fit_score


def speedup(
    X, y, sleep, n_iter, cv, backend, n_jobs_parallel, methods, scheduling=None
):
    rows = []
    estimator = FaultyQuadratic(noise=0.05, sleep=sleep)
    for name in methods:
        reason = available(name)
        if reason:
            rows.append({"method": name, "status": "skipped", "reason": reason})
            continue
        times = {}
        extra = {} if scheduling is None else {"scheduling": scheduling}
        for n_jobs in (1, n_jobs_parallel):
            context = parallel_config(backend=backend) if n_jobs > 1 else nullcontext()
            with context:
                # warm the workers up (processes started, modules imported)
                timed_fit(make_method(name, estimator, 2, cv, n_jobs, **extra), X, y)
                search = make_method(name, estimator, n_iter, cv, n_jobs, **extra)
                wall, n_cand, n_fits, _ = timed_fit(search, X, y)
            times[n_jobs] = wall
        serial_ideal = n_fits * sleep
        rows.append(
            {
                "method": name if scheduling is None else f"{name} ({scheduling})",
                "status": "ok",
                "candidates": n_cand,
                "fits": n_fits,
                "wall_1": times[1],
                f"wall_{n_jobs_parallel}": times[n_jobs_parallel],
                "speedup": times[1] / times[n_jobs_parallel],
                "ideal_speedup": n_jobs_parallel,
                "serial_sleep": serial_ideal,
            }
        )
        print(rows[-1], flush=True)
    return rows


def overhead(X, y, sizes, methods, max_bayes):
    rows = []
    for n in sizes:
        for name in methods:
            if name == "BayesSearchCV" and n > max_bayes:
                rows.append(
                    {
                        "method": name,
                        "size": n,
                        "status": "skipped",
                        "reason": f"its exact GP is run up to {max_bayes} "
                        f"candidates here (the Bayes issue owns its cost)",
                    }
                )
                continue
            search = make_method(name, FaultyQuadratic(noise=0.05), n, 2, 1)
            wall, n_cand, _, fit_score = timed_fit(search, X, y)
            rows.append(
                {
                    "method": name,
                    "size": n,
                    "status": "ok",
                    "candidates": n_cand,
                    "wall": wall,
                    "ms_per_candidate": 1000 * (wall - fit_score) / n_cand,
                }
            )
            print(rows[-1], flush=True)
    return rows


def faults(X, y, methods, hang=600.0, fit_timeout=5.0):
    """One fit kills its worker, one hangs: what becomes of the search."""
    rows = []
    for name in methods:
        for fault in ("worker dies", "fit hangs"):
            with tempfile.TemporaryDirectory() as tmp:
                # The value of ``a`` of the third candidate the search evaluates.
                probe = make_method(name, FaultyQuadratic(), 8, 3, 1)
                timed_fit(probe, X, y)
                a = probe.cv_results_["params"][2]["a"]
                if fault == "worker dies":
                    estimator = FaultyQuadratic(
                        noise=0.05, die_at=a, die_once=os.path.join(tmp, "died")
                    )
                else:
                    estimator = HangingQuadratic(noise=0.05, hang_at=a, hang=hang)
                extra = {} if name == "RandomizedSearchCV" else {"fit_timeout": 5.0}
                search = make_method(name, estimator, 8, 3, 2, **extra)
                start = time.perf_counter()
                row = {"method": name, "fault": fault}
                try:
                    if fault == "fit hangs" and name == "RandomizedSearchCV":
                        # It would wait for the hanging fit: 10 minutes.
                        row.update(
                            status="waits for the fit",
                            outcome=f"no timeout: blocked for the whole {hang:.0f} s "
                            f"hang (not run)",
                        )
                        rows.append(row)
                        continue
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always", FitFailedWarning)
                        search.fit(X, y)
                    scores = search.cv_results_["mean_test_score"]
                    row.update(
                        status="finished",
                        outcome=f"{int(np.isnan(scores).sum())} of {len(scores)} "
                        f"candidates failed, the rest kept",
                        warnings=sum(
                            issubclass(w.category, FitFailedWarning) for w in caught
                        ),
                    )
                except Exception as exc:
                    row.update(
                        status="error", outcome=f"{type(exc).__name__}: {exc}"[:160]
                    )
                row["seconds"] = time.perf_counter() - start
                rows.append(row)
                print(row, flush=True)
    return rows


def report(results, path):
    lines = [
        f"# Scheduler benchmark, {results['date']}",
        "",
        f"{results['machine']}; `{results['command']}`",
        "",
        "## Speedup, n_jobs=2 over n_jobs=1 (loky)",
        "",
        f"Fits sleep {results['sleep']} s; {results['n_iter']} candidates, "
        f"cv={results['cv']}. Wall time of the search, refit excluded.",
        "",
        "| method | candidates | fits | n_jobs=1 (s) | n_jobs=2 (s) | speedup |",
        "|---|---|---|---|---|---|",
    ]
    for row in results.get("speedup", []):
        if row["status"] != "ok":
            lines.append(f"| {row['method']} | {row['reason']} | | | | |")
            continue
        lines.append(
            f"| {row['method']} | {row['candidates']} | {row['fits']} | "
            f"{row['wall_1']:.2f} | {row['wall_2']:.2f} | {row['speedup']:.2f} |"
        )
    if results.get("dask"):
        lines += [
            "",
            "## Speedup on a dask LocalCluster (2 single-threaded workers)",
            "",
            f"Fits sleep {results['dask_sleep']} s.",
            "",
            "| method | candidates | fits | n_jobs=1 (s) | dask (s) | speedup |",
            "|---|---|---|---|---|---|",
        ]
        for row in results["dask"]:
            if row["status"] != "ok":
                lines.append(f"| {row['method']} | {row['reason']} | | | | |")
                continue
            lines.append(
                f"| {row['method']} | {row['candidates']} | {row['fits']} | "
                f"{row['wall_1']:.2f} | {row['wall_2']:.2f} | {row['speedup']:.2f} |"
            )
    lines += [
        "",
        "## Overhead per candidate, n_jobs=1 (ms, wall minus fit and score time)",
        "",
        "| method | " + " | ".join(str(n) for n in results["sizes"]) + " |",
        "|---|" + "---|" * len(results["sizes"]),
    ]
    for name in dict.fromkeys(row["method"] for row in results.get("overhead", [])):
        cells = []
        for n in results["sizes"]:
            row = next(
                r for r in results["overhead"] if r["method"] == name and r["size"] == n
            )
            cells.append(
                f"{row['ms_per_candidate']:.2f}" if row["status"] == "ok" else "-"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Faults (n_jobs=2, 8 candidates, cv=3; skhpo with fit_timeout=5)",
        "",
        "| method | fault | status | outcome | seconds |",
        "|---|---|---|---|---|",
    ]
    for row in results.get("faults", []):
        seconds = f"{row['seconds']:.1f}" if "seconds" in row else "-"
        lines.append(
            f"| {row['method']} | {row['fault']} | {row['status']} | "
            f"{row['outcome']} | {seconds} |"
        )
    path.write_text("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sleep", type=float, default=0.2)
    parser.add_argument("--n-iter", type=int, default=16)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--max-bayes", type=int, default=300)
    parser.add_argument("--dask", action="store_true")
    parser.add_argument(
        "--asynchronous",
        action="store_true",
        help="also measure skhpo's classes with scheduling='asynchronous'",
    )
    parser.add_argument("--dask-sleep", type=float, default=1.0)
    parser.add_argument("--skip", nargs="*", default=[])
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--report", type=Path, help="rebuild the report of a saved JSON file"
    )
    args = parser.parse_args(argv)
    if args.report:
        results = json.loads(args.report.read_text())
        report(results, args.report.with_suffix(".md"))
        print(args.report.with_suffix(".md").read_text())
        return

    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    methods = ["RandomizedSearchCV", *SKHPO]
    results = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.platform()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "command": "python benchmarks/bench_scheduler.py "
        + " ".join(argv or os.sys.argv[1:]),
        "sleep": args.sleep,
        "n_iter": args.n_iter,
        "cv": args.cv,
        "sizes": args.sizes,
        "dask_sleep": args.dask_sleep,
    }
    if "speedup" not in args.skip:
        results["speedup"] = speedup(
            X, y, args.sleep, args.n_iter, args.cv, "loky", 2, methods + PEERS
        )
    if args.asynchronous:
        results.setdefault("speedup", []).extend(
            speedup(
                X,
                y,
                args.sleep,
                args.n_iter,
                args.cv,
                "loky",
                2,
                SKHPO,
                scheduling="asynchronous",
            )
        )
    if args.dask:
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, dashboard_address=None
            ) as cluster,
            Client(cluster),
        ):
            results["dask"] = speedup(X, y, args.dask_sleep, 8, 2, "dask", 2, methods)
    if "overhead" not in args.skip:
        results["overhead"] = overhead(
            X,
            y,
            args.sizes,
            [*methods, "HyperbandSearchCV(sampler='random')"],
            args.max_bayes,
        )
    if "faults" not in args.skip:
        results["faults"] = faults(X, y, methods)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"scheduler_{results['date']}"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=1))
    report(results, stem.with_suffix(".md"))
    print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
