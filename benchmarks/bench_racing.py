# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Fold-level racing: the fits it saves, and what the saved compute buys.

For each problem (the suite's models and datasets), cross-validation with
``--cv`` folds (5 and 10 by default), each skhpo class and each seed, three runs
on the same splits:

- ``off``: ``racing=False``, ``n_iter`` candidates;
- ``on``: ``racing=True``, the same ``n_iter``;
- ``on-long``: ``racing=True`` with ``--long`` times the candidates, read at the
  compute ``off`` spent (its candidates in order until their summed fit and score
  time reaches that of ``off``): the best score at equal CPU time.

and, side by side, scikit-learn's ``HalvingRandomSearchCV`` (``halving``), the
other way scikit-learn saves compute, with as many candidates in its first
iteration as ``n_iter`` (factor 3, resource ``n_samples``).

Each run records the number of fits, their summed fit and score time (CPU of the
fits, as ``_fit_and_score`` measures it), and the best CV score among the
candidates evaluated on every fold with the full resource (for racing, those it did
not stop; for Hyperband and halving, those of the largest resource), plus the held
out test score of that best candidate refitted. The report gives, per class and
``cv``, the fraction of fits saved, and the paired differences (seed by seed) of
the best CV score, ``on`` minus ``off`` and ``on-long`` (at equal compute) minus
``off``, with 95% bootstrap intervals over the seeds, averaged over problems after
normalizing each problem's scores by their spread.

Usage::

    python benchmarks/bench_racing.py [--problems a,b] [--cv 5,10] [--seeds 10]
        [--n-iter 30] [--classes bayes,hyperband,evolutionary,pso,halving]
        [--workers 2] [--out results/racing_<date>.json]
    python benchmarks/bench_racing.py --report results/racing_<date>.json
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from problems import PROBLEMS, to_skhpo, to_sklearn  # noqa: E402

DEFAULT_PROBLEMS = (
    "svc_digits",
    "hgb_classif",
    "enet_diabetes",
    "tree_friedman",
    "knn_friedman",
    "logreg_cancer",
)
CLASSES = ("bayes", "hyperband", "evolutionary", "pso", "halving")
LONG = 2  # on-long: this many times n_iter


def _search(name, problem, cv, seed, n_iter, racing):
    """The search of class ``name`` (``racing``: False, True or a level)."""
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV

    from skhpo import (
        BayesSearchCV,
        EvolutionarySearchCV,
        HyperbandSearchCV,
        PSOSearchCV,
    )

    estimator = problem.make_estimator()
    common = {"scoring": problem.scoring, "cv": cv, "random_state": seed}
    if name == "halving":
        return HalvingRandomSearchCV(
            estimator,
            to_sklearn(problem.space),
            n_candidates=n_iter,
            factor=3,
            refit=False,
            **common,
        )
    space = to_skhpo(problem.space)
    if name == "hyperband":
        # About n_iter candidates' worth of compute in full-data evaluations.
        n_brackets = max(1, round(n_iter / 10))
        return HyperbandSearchCV(
            estimator,
            space,
            n_brackets=n_brackets,
            factor=3,
            racing=racing,
            refit=False,
            **common,
        )
    cls = {
        "bayes": BayesSearchCV,
        "evolutionary": EvolutionarySearchCV,
        "pso": PSOSearchCV,
    }[name]
    return cls(estimator, space, n_iter=n_iter, racing=racing, refit=False, **common)


def run_one(problem_name, cv_folds, name, variant, seed, n_iter, level=True):
    """One search; its fits, compute and best full-fold score. Never raises."""
    from sklearn.base import clone
    from sklearn.metrics import check_scoring

    problem = dataclasses.replace(PROBLEMS[problem_name], n_splits=cv_folds)
    rec = {
        "problem": problem_name,
        "cv": cv_folds,
        "class": name,
        "variant": variant,
        "seed": seed,
    }
    racing = variant != "off" and level
    budget = n_iter * (LONG if variant == "on-long" else 1)
    X_train, X_test, y_train, y_test = problem.data(seed)
    search = _search(name, problem, problem.cv(seed), seed, budget, racing)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            search.fit(X_train, y_train)
            rec["wall"] = time.perf_counter() - t0
    except Exception as exc:  # recorded, not raised
        rec["error"] = f"{type(exc).__name__}: {exc}"[:300]
        return rec
    r = search.cv_results_
    n = len(r["params"])
    n_run = np.asarray(r.get("n_splits_run", np.full(n, cv_folds)), dtype=int)
    cost = (np.asarray(r["mean_fit_time"]) + np.asarray(r["mean_score_time"])) * n_run
    full = n_run == cv_folds
    if "n_resources" in r:  # Hyperband, halving: the largest resource only
        resources = np.asarray(r["n_resources"], dtype=float)
        full &= resources == resources.max()
    scores = np.where(full, np.asarray(r["mean_test_score"], dtype=float), -np.inf)
    scores = np.where(np.isnan(scores), -np.inf, scores)
    rec.update(
        n_candidates=n,
        n_fits=int(n_run.sum()),
        cost=float(cost.sum()),
        # In proposal order: the compute spent and the best full score so far.
        trace_cost=np.cumsum(cost).tolist(),
        trace_best=[
            float(x) if np.isfinite(x) else None for x in np.fmax.accumulate(scores)
        ],
        best_cv=float(scores.max()) if np.isfinite(scores).any() else None,
    )
    if not racing and "n_resources" not in r and name != "halving":
        rec["ceiling"] = _ceiling(r, cv_folds)
    if rec["best_cv"] is not None:
        best = r["params"][int(np.argmax(scores))]
        model = clone(problem.make_estimator()).set_params(**best)
        model.fit(X_train, y_train)
        scorer = check_scoring(model, scoring=problem.scoring)
        rec["test"] = float(scorer(model, X_test, y_test))
    return rec


def _ceiling(results, n_splits):
    """The fraction of fits a run without racing could have saved at most.

    Each candidate, in order, against the best one before it, by the racing test
    (``racing=True``'s level, without the prior) on *all* its folds: those it
    calls worse would be stopped by an oracle after the first wave, two folds.
    A test on fewer folds has less power, so no racing saves more (at this
    level).
    """
    from skhpo._racing import DEFAULT_ALPHA, FIRST_WAVE, is_worse

    scores = np.column_stack(
        [np.asarray(results[f"split{k}_test_score"]) for k in range(n_splits)]
    )
    stoppable, best = 0, None
    for i, row in enumerate(scores):
        if not np.all(np.isfinite(row)):
            continue
        if best is not None and is_worse(row, scores[best], DEFAULT_ALPHA):
            stoppable += 1
        if best is None or row.mean() > scores[best].mean():
            best = i
    return stoppable * (n_splits - FIRST_WAVE) / (len(scores) * n_splits)


def _worker(task):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return run_one(*task)


# -- the report ---------------------------------------------------------------------
def _best_at(rec, cost):
    """The best full score of a run once it has spent ``cost`` (its candidates in
    proposal order, the last one that fits in the budget included)."""
    costs = np.asarray(rec["trace_cost"])
    k = int(np.searchsorted(costs, cost, side="right"))
    trace = rec["trace_best"][: max(k, 1)]
    found = [t for t in trace if t is not None]
    return max(found) if found else None


def _bootstrap(values, n_boot=2000, seed=0):
    """Mean and 95% interval over the seeds (rows) of per-seed means."""
    values = np.asarray(values, dtype=float)
    rng = np.random.RandomState(seed)
    idx = rng.randint(len(values), size=(n_boot, len(values)))
    means = values[idx].mean(axis=1)
    return values.mean(), np.percentile(means, 2.5), np.percentile(means, 97.5)


def report(results):
    runs = [r for r in results["runs"] if "error" not in r]
    errors = [r for r in results["runs"] if "error" in r]
    meta = results["meta"]
    by = {(r["problem"], r["cv"], r["class"], r["variant"], r["seed"]): r for r in runs}
    problems = sorted({r["problem"] for r in runs})
    seeds = sorted({r["seed"] for r in runs})
    # Score differences in units of 1% of the spread of the best scores of
    # every run of that problem and cv (all classes, variants and seeds).
    scales = {}
    for p in problems:
        for cv in {r["cv"] for r in runs}:
            best = [r["best_cv"] for r in runs if (r["problem"], r["cv"]) == (p, cv)]
            best = [b for b in best if b is not None]
            spread = (max(best) - min(best)) if best else 0.0
            scales[p, cv] = spread / 100 if spread > 0 else 1.0
    lines = [
        f"# Fold-level racing ({meta['date']})",
        "",
        f"{len(problems)} problems, {len(seeds)} seeds, n_iter={meta['n_iter']} "
        f"(on-long: {LONG * meta['n_iter']}), one BLAS thread, "
        f"{meta.get('workers', 1)} runs side by side; machine: {meta['machine']}.",
        "",
        "Fits saved: 1 - fits(on) / fits(off), mean over problems and seeds. "
        "Best CV score differences are paired by seed (same splits), in percent "
        "of the spread (max - min) of the best scores of all the runs of that "
        "problem and cv, averaged over problems; [95% bootstrap interval over "
        "seeds]. Above zero: racing ahead.",
        "",
        "Ceiling: the fits an oracle could save in the run without racing: the "
        "candidates that the test calls worse than the best before them on all "
        "their folds, each stopped after two (a test on two folds has less "
        "power).",
        "",
        "| class | cv | fits saved | ceiling | compute saved | on - off, same "
        "n_iter | on-long - off, equal compute | test: on - off |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in [c for c in CLASSES if c != "halving"]:
        for cv in sorted({r["cv"] for r in runs}):
            saved, saved_cost, same, equal, test = [], [], [], [], []
            ceiling = []
            for seed in seeds:
                row_same, row_equal, row_test = [], [], []
                for p in problems:
                    off = by.get((p, cv, name, "off", seed))
                    on = by.get((p, cv, name, "on", seed))
                    long = by.get((p, cv, name, "on-long", seed))
                    if off is None or on is None or off["best_cv"] is None:
                        continue
                    scale = scales[p, cv]
                    saved.append(1 - on["n_fits"] / off["n_fits"])
                    if "ceiling" in off:
                        ceiling.append(off["ceiling"])
                    saved_cost.append(1 - on["cost"] / off["cost"])
                    if on["best_cv"] is not None:
                        row_same.append((on["best_cv"] - off["best_cv"]) / scale)
                    if "test" in on and "test" in off:
                        row_test.append((on["test"] - off["test"]) / scale)
                    if long is not None:
                        at = _best_at(long, off["cost"])
                        if at is not None:
                            row_equal.append((at - off["best_cv"]) / scale)
                for row, out in (
                    (row_same, same),
                    (row_equal, equal),
                    (row_test, test),
                ):
                    if row:
                        out.append(np.mean(row))
            if not saved:
                continue

            def cell(v):
                if not v:
                    return "-"
                m, lo, hi = _bootstrap(v)
                return f"{m:+.2f} [{lo:+.2f}, {hi:+.2f}]"

            lines.append(
                f"| {name} | {cv} | {100 * np.mean(saved):.0f}% | "
                + (f"{100 * np.mean(ceiling):.0f}% | " if ceiling else "- | ")
                + f"{100 * np.mean(saved_cost):.0f}% | {cell(same)} | {cell(equal)} "
                f"| {cell(test)} |"
            )
    lines += [
        "",
        "HalvingRandomSearchCV beside (n_candidates = n_iter, factor 3): fits, "
        "compute and best full-data CV score minus BayesSearchCV with racing "
        "(same scaling):",
        "",
        "| cv | fits (halving / bayes on) | compute (halving / bayes on) "
        "| halving - bayes on |",
        "|---|---|---|---|",
    ]
    for cv in sorted({r["cv"] for r in runs}):
        fits, costs, diff = [], [], []
        for seed in seeds:
            row = []
            for p in problems:
                h = by.get((p, cv, "halving", "off", seed))
                b = by.get((p, cv, "bayes", "on", seed))
                if h is None or b is None or h["best_cv"] is None:
                    continue
                scale = scales[p, cv]
                fits.append(h["n_fits"] / b["n_fits"])
                costs.append(h["cost"] / b["cost"])
                row.append((h["best_cv"] - b["best_cv"]) / scale)
            if row:
                diff.append(np.mean(row))
        if diff:
            m, lo, hi = _bootstrap(diff)
            lines.append(
                f"| {cv} | {np.mean(fits):.2f} | {np.mean(costs):.2f} "
                f"| {m:+.2f} [{lo:+.2f}, {hi:+.2f}] |"
            )
    if errors:
        lines += ["", f"{len(errors)} runs failed:", ""]
        lines += [
            f"- {e['problem']} cv={e['cv']} {e['class']} {e['variant']} "
            f"seed={e['seed']}: {e['error']}"
            for e in errors[:20]
        ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", default=",".join(DEFAULT_PROBLEMS))
    ap.add_argument("--cv", default="5,10")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--n-iter", type=int, default=30)
    ap.add_argument("--classes", default=",".join(CLASSES))
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument(
        "--level",
        type=float,
        default=None,
        help="racing's level for the on runs (default: racing=True)",
    )
    ap.add_argument("--out", default=None)
    ap.add_argument("--report", default=None, metavar="JSON")
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args(argv)
    if args.report:
        text = report(json.loads(Path(args.report).read_text()))
        Path(args.report).with_suffix(".md").write_text(text)
        print(text)
        return
    out = Path(args.out) if args.out else None
    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "n_iter": args.n_iter,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}",
        "workers": args.workers,
        "argv": sys.argv[1:],
    }
    results = {"meta": meta, "runs": []}
    done = set()
    if args.resume and out is not None and out.exists():
        results = json.loads(out.read_text())
        done = {
            (r["problem"], r["cv"], r["class"], r["variant"], r["seed"])
            for r in results["runs"]
        }
    level = True if args.level is None else args.level
    meta["level"] = level
    tasks = []
    for seed in range(args.seeds):
        for p in args.problems.split(","):
            for cv in map(int, args.cv.split(",")):
                for name in args.classes.split(","):
                    variants = (
                        ("off",) if name == "halving" else ("off", "on", "on-long")
                    )
                    for v in variants:
                        if (p, cv, name, v, seed) not in done:
                            tasks.append((p, cv, name, v, seed, args.n_iter, level))
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(_worker, t) for t in tasks]
        for k, future in enumerate(as_completed(futures)):
            rec = future.result()
            results["runs"].append(rec)
            print(
                f"{rec['problem']:14s} cv={rec['cv']:<2d} {rec['class']:12s} "
                f"{rec['variant']:7s} seed={rec['seed']}: "
                f"best={rec.get('best_cv')} fits={rec.get('n_fits')} "
                f"{rec.get('error', '')}",
                flush=True,
            )
            if out is not None and (k + 1) % 20 == 0:
                out.write_text(json.dumps(results))
    meta["runtime_s"] = time.perf_counter() - t0
    if out is not None:
        out.write_text(json.dumps(results))
        text = report(results)
        out.with_suffix(".md").write_text(text)
        print(text)


if __name__ == "__main__":
    main()
