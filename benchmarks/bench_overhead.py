# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""What a proposal costs as the history grows: skhpo's optimizers against optuna's.

The search-level overhead of ``bench_bayes.py`` mixes the optimizer with everything
around it; this script isolates the optimizer. Every method runs its own ask/tell
loop, in this process, one candidate at a time, on the same cheap function of the
same 6-dimensional mixed space (the space of ``bench_bayes.py``'s overhead
experiment: three log-scaled reals, a log-scaled integer, two categories and a
boolean), and each ask + tell is timed. Nothing else runs: no estimator, no
cross-validation, no joblib.

Reported, per method:

- the *marginal* cost at ``n`` observations: the mean time of the ask + tell of
  the candidates from ``n / 1.15`` to ``1.15 n`` (the cost of one more candidate in
  a search that has already seen about ``n``, with the occasional expensive step,
  such as a full refit of the GP's hyperparameters every 30% more points,
  amortised over the window);
- the *mean* cost of the first ``n`` candidates (what a search of ``n_iter=n``
  spends per candidate on its optimizer);
- peak memory of the optimizer's process (``tracemalloc`` is not used: it slows
  numpy; the resident set size is read from ``/proc/self/status``).

Methods: ``skhpo-bayes`` (``GaussianProcessBO``, the optimizer of
``BayesSearchCV``), ``skhpo-tpe`` (skhpo's TPE, the sampler of Hyperband's BOHB
mode), ``optuna-tpe`` (``TPESampler``, the default of ``OptunaSearchCV``, with
optuna's in-memory storage) and ``optuna-gp`` (``GPSampler``, where it installs;
it is not run past ``--gp-max`` candidates).

Every method runs in a process of its own (one after another, never side by side),
with one BLAS thread, as the engine runs its optimizers. Each ask + tell is timed
in CPU time of that process (``time.process_time``; every method here runs on one
thread), so that other work on the machine does not count; the wall time is kept
beside. On a shared machine a single run still varies by 10-20% from one repeat to
the next (one full refit of the GP lands in or out of a window), so ``--repeats R``
runs every method R times, with seeds ``seed .. seed + R - 1``, interleaved (method
A, method B, method A, ...), and the report gives the median over the repeats and
their range.

Usage::

    python benchmarks/bench_overhead.py [--sizes 100,1000,5000] [--seed 0]
        [--repeats 3] [--methods skhpo-bayes,optuna-tpe] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
METHODS = ("skhpo-bayes", "skhpo-tpe", "optuna-tpe", "optuna-gp")
WINDOW = 1.15  # the marginal cost at n: candidates n / WINDOW .. n * WINDOW

# The space: (name, kind, low, high, log) or (name, "cat", choices).
SPACE = [
    ("alpha", "real", 1e-4, 1e2, True),
    ("tol", "real", 1e-6, 1e-1, True),
    ("l1", "real", 0.0, 1.0, False),
    ("max_iter", "int", 10, 1000, True),
    ("solver", "cat", ["svd", "cholesky", "lsqr", "sparse_cg"]),
    ("fit_intercept", "cat", [True, False]),
]


def objective(p, rng):
    """A cheap loss of one candidate: smooth in the reals, steps in the rest."""
    a = math.log10(p["alpha"])
    t = math.log10(p["tol"])
    loss = 0.2 * (a - 0.5) ** 2 + 0.1 * (t + 4.0) ** 2 + (p["l1"] - 0.3) ** 2
    loss += 0.3 * abs(math.log10(p["max_iter"]) - 2.0)
    loss += {"svd": 0.0, "cholesky": 0.1, "lsqr": 0.3, "sparse_cg": 0.5}[p["solver"]]
    loss += 0.0 if p["fit_intercept"] else 0.4
    return loss + 0.05 * rng.standard_normal()


def rss_mib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# -- one method, in this process -------------------------------------------------------
def run_skhpo(name, n_total, seed):
    import numpy as np

    from skhpo._optimizers.bayes import GaussianProcessBO
    from skhpo._optimizers.tpe import KDESampler
    from skhpo.space import Categorical, Integer, Real, SearchSpace

    dims = {}
    for spec in SPACE:
        if spec[1] == "real":
            dims[spec[0]] = Real(
                spec[2], spec[3], prior="log-uniform" if spec[4] else "uniform"
            )
        elif spec[1] == "int":
            dims[spec[0]] = Integer(
                spec[2], spec[3], prior="log-uniform" if spec[4] else "uniform"
            )
        else:
            dims[spec[0]] = Categorical(spec[2])
    space = SearchSpace(dims)
    kwargs = {"kinds": space.kinds, "n_choices": space.n_choices, "random_state": seed}
    if name == "skhpo-bayes":
        opt = GaussianProcessBO(space.n_dims, **kwargs)
    else:
        opt = KDESampler(space.n_dims, **kwargs)
    rng = np.random.RandomState(seed)
    times, walls, best = [], [], math.inf
    while len(times) < n_total:
        start, wall = time.process_time(), time.perf_counter()
        ids, X = opt.ask_ids(1)
        params = space.decode(X)[0]
        loss = objective(params, rng)
        opt.tell_ids(ids, [loss])
        times.append(time.process_time() - start)
        walls.append(time.perf_counter() - wall)
        best = min(best, loss)
    return times, walls, best


def run_optuna(name, n_total, seed):
    import numpy as np
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if name == "optuna-tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    else:
        sampler = optuna.samplers.GPSampler(seed=seed)
    study = optuna.create_study(sampler=sampler)
    rng = np.random.RandomState(seed)
    times, walls, best = [], [], math.inf
    while len(times) < n_total:
        start, wall = time.process_time(), time.perf_counter()
        trial = study.ask()
        params = {}
        for spec in SPACE:
            if spec[1] == "real":
                params[spec[0]] = trial.suggest_float(
                    spec[0], spec[2], spec[3], log=spec[4]
                )
            elif spec[1] == "int":
                params[spec[0]] = trial.suggest_int(
                    spec[0], spec[2], spec[3], log=spec[4]
                )
            else:
                params[spec[0]] = trial.suggest_categorical(spec[0], spec[2])
        loss = objective(params, rng)
        study.tell(trial, loss)
        times.append(time.process_time() - start)
        walls.append(time.perf_counter() - wall)
        best = min(best, loss)
    return times, walls, best


def child(name, n_total, seed):
    """Run one method and print its record as JSON (the subprocess's job)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        run = run_skhpo if name.startswith("skhpo") else run_optuna
        try:
            times, walls, best = run(name, n_total, seed)
            record = {"times": times, "walls": walls, "best": best, "status": "ok"}
        except Exception as exc:  # a peer that does not install or run
            record = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    record["peak_rss_mib"] = rss_mib()
    print(json.dumps(record))


# -- the report ------------------------------------------------------------------------
def marginal(times, n):
    window = times[int(n / WINDOW) : math.ceil(n * WINDOW)]
    return sum(window) / len(window) if window else float("nan")


def _median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else 0.5 * (values[mid - 1] + values[mid])


def _cell(values):
    """Median over the repeats in ms, and the range when there are several."""
    values = [1000 * v for v in values]
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{_median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def markdown(results):
    sizes = results["meta"]["sizes"]
    repeats = results["meta"].get("repeats", 1)
    lines = [
        "# Optimizer cost per candidate as the history grows",
        "",
        f"{results['meta']['date']}, {results['meta']['machine']}, one BLAS thread, "
        f"seeds {results['meta']['seed']}..{results['meta']['seed'] + repeats - 1} "
        f"({repeats} repeats, methods interleaved); {results['meta']['space']}.",
        "",
        "CPU time of ask + tell per candidate (ms), median over the repeats "
        "(range in brackets). Marginal at n: mean over the candidates n / 1.15 .. "
        "1.15 n. Mean of first n: what a search of n_iter=n spends per candidate. "
        "Wall: the marginal in wall-clock time (median).",
        "",
        "| method | "
        + " | ".join(f"marginal at {n}" for n in sizes)
        + " | "
        + " | ".join(f"mean of first {n}" for n in sizes)
        + " | "
        + " | ".join(f"wall at {n}" for n in sizes)
        + " | peak RSS (MiB) | best loss |",
        "|---|" + "---|" * (3 * len(sizes) + 2),
    ]
    for name, recs in results["methods"].items():
        recs = recs if isinstance(recs, list) else [recs]
        ok = [r for r in recs if r["status"] == "ok"]
        if not ok:
            lines.append(f"| {name} | " + f"not run: {recs[0]['error'][:120]} |")
            continue
        cells = []
        for key, stat in (("times", "marginal"), ("times", "mean"), ("walls", "m")):
            for n in sizes:
                if len(ok[0][key]) < n:
                    cells.append("—")
                elif stat == "mean":
                    cells.append(_cell([sum(r[key][:n]) / n for r in ok]))
                elif stat == "marginal":
                    cells.append(_cell([marginal(r[key], n) for r in ok]))
                else:
                    cells.append(
                        f"{1000 * _median([marginal(r[key], n) for r in ok]):.1f}"
                    )
        rss = max(r["peak_rss_mib"] for r in ok)
        best = _median([r["best"] for r in ok])
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | {rss:.0f} | {best:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,5000")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="runs per method")
    ap.add_argument("--gp-max", type=int, default=1000, help="optuna-gp stops here")
    ap.add_argument("--out", default=None)
    ap.add_argument("--child", nargs=3, metavar=("METHOD", "N", "SEED"))
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    n_total = math.ceil(max(sizes) * WINDOW)
    results = {
        "meta": {
            "date": datetime.date.today().isoformat(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "python": platform.python_version(),
            "seed": args.seed,
            "sizes": sizes,
            "space": "6 dims: 3 reals (2 log), 1 log integer, 4 + 2 categories",
        },
        "methods": {},
    }
    results["meta"]["repeats"] = args.repeats
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    methods = args.methods.split(",")
    for name in methods:
        results["methods"][name] = []
    for rep in range(args.repeats):
        seed = args.seed + rep
        for name in methods:
            gp_max = math.ceil(args.gp_max * WINDOW)
            n = min(n_total, gp_max) if name == "optuna-gp" else n_total
            print(
                f"{name}, seed {seed}: {n} candidates ...", file=sys.stderr, flush=True
            )
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, __file__, "--child", name, str(n), str(seed)],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            try:
                record = json.loads(out.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                record = {"status": "error", "error": out.stderr.strip()[-300:]}
            record["wall_s"] = time.perf_counter() - start
            record["seed"] = seed
            results["methods"][name].append(record)
            print(f"  {record['status']} in {record['wall_s']:.0f} s", file=sys.stderr)
    report = markdown(results)
    print(report)
    if args.out:
        Path(args.out).write_text(json.dumps(results))
        Path(args.out).with_suffix(".md").write_text(report)


if __name__ == "__main__":
    main()
