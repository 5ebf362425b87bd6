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
with one BLAS thread, as the engine runs its optimizers.

Usage::

    python benchmarks/bench_overhead.py [--sizes 100,1000,5000] [--seed 0]
        [--methods skhpo-bayes,optuna-tpe] [--out FILE]
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
    times, best = [], math.inf
    while len(times) < n_total:
        start = time.perf_counter()
        ids, X = opt.ask_ids(1)
        params = space.decode(X)[0]
        loss = objective(params, rng)
        opt.tell_ids(ids, [loss])
        times.append(time.perf_counter() - start)
        best = min(best, loss)
    return times, best


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
    times, best = [], math.inf
    while len(times) < n_total:
        start = time.perf_counter()
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
        times.append(time.perf_counter() - start)
        best = min(best, loss)
    return times, best


def child(name, n_total, seed):
    """Run one method and print its record as JSON (the subprocess's job)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        run = run_skhpo if name.startswith("skhpo") else run_optuna
        try:
            times, best = run(name, n_total, seed)
            record = {"times": times, "best": best, "status": "ok"}
        except Exception as exc:  # a peer that does not install or run
            record = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    record["peak_rss_mib"] = rss_mib()
    print(json.dumps(record))


# -- the report ------------------------------------------------------------------------
def marginal(times, n):
    window = times[int(n / WINDOW) : math.ceil(n * WINDOW)]
    return sum(window) / len(window) if window else float("nan")


def markdown(results):
    sizes = results["meta"]["sizes"]
    lines = [
        "# Optimizer cost per candidate as the history grows",
        "",
        f"{results['meta']['date']}, {results['meta']['machine']}, one BLAS thread, "
        f"seed {results['meta']['seed']}; {results['meta']['space']}.",
        "",
        "Marginal: mean ask + tell time of candidates n / 1.15 .. 1.15 n (ms). "
        "Mean: mean over the first n candidates (ms).",
        "",
        "| method | "
        + " | ".join(f"marginal at {n}" for n in sizes)
        + " | "
        + " | ".join(f"mean of first {n}" for n in sizes)
        + " | peak RSS (MiB) | best loss |",
        "|---|" + "---|" * (2 * len(sizes) + 2),
    ]
    for name, rec in results["methods"].items():
        if rec["status"] != "ok":
            lines.append(f"| {name} | " + f"not run: {rec['error'][:120]} |")
            continue
        t = rec["times"]
        cells = [
            f"{1000 * marginal(t, n):.1f}" if len(t) >= n else "—" for n in sizes
        ] + [f"{1000 * sum(t[:n]) / n:.1f}" if len(t) >= n else "—" for n in sizes]
        lines.append(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {rec['peak_rss_mib']:.0f} | {rec['best']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,5000")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--seed", type=int, default=0)
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
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    for name in args.methods.split(","):
        gp_max = math.ceil(args.gp_max * WINDOW)
        n = min(n_total, gp_max) if name == "optuna-gp" else n_total
        print(f"{name}: {n} candidates ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--child", name, str(n), str(args.seed)],
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
        results["methods"][name] = record
        print(f"  {record['status']} in {record['wall_s']:.0f} s", file=sys.stderr)
    report = markdown(results)
    print(report)
    if args.out:
        Path(args.out).write_text(json.dumps(results))
        Path(args.out).with_suffix(".md").write_text(report)


if __name__ == "__main__":
    main()
