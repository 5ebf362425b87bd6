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
                    asks for ``n_iter`` candidates (see :func:`ga_shape`)
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
- The number of candidates: see :func:`ga_shape` and ``_pyswarms_adapter.py``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import ast  # noqa: E402
import datetime  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _pyswarms_adapter import PySwarmsSearch, swarm_shape  # noqa: E402
from problems import (  # noqa: E402
    OVERHEAD_PROBLEM,
    PROBLEMS,
    in_space,
    to_skhpo,
    to_sklearn,
)

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
# Versions
# --------------------------------------------------------------------------------------


def skhpo_source_digest():
    """Short SHA-256 of skhpo's source files: which state of the code was measured."""
    try:
        import skhpo
    except Exception:
        return None
    root = Path(skhpo.__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def versions():
    """Installed versions of every distribution the benchmark touches."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in (
        "scikit-learn",
        "numpy",
        "scipy",
        "joblib",
        "threadpoolctl",
        "sklearn-genetic-opt",
        "deap",
        "pyswarms",
    ):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    try:
        import skhpo

        out["skhpo"] = f"{skhpo.__version__} (source sha256 {skhpo_source_digest()})"
    except Exception as exc:
        out["skhpo"] = f"not importable: {type(exc).__name__}: {exc}"[:300]
    return out


# --------------------------------------------------------------------------------------
# Building the searches
# --------------------------------------------------------------------------------------


def to_sgo(space):
    """Neutral space -> ``sklearn_genetic.space`` dimensions.

    sklearn-genetic-opt's ``Integer`` only knows ``distribution="uniform"``: a
    log-uniform integer of the neutral space is searched uniformly by GASearchCV
    (its initial population and its mutations draw from that distribution).
    """
    from sklearn_genetic.space import Categorical, Continuous, Integer

    out = {}
    for name, dim in space.items():
        if dim[0] == "cat":
            out[name] = Categorical(list(dim[1]))
        elif dim[0] == "real":
            _, low, high, log = dim
            out[name] = Continuous(
                float(low),
                float(high),
                distribution="log-uniform" if log else "uniform",
            )
        else:
            _, low, high, _log = dim
            out[name] = Integer(int(low), int(high), distribution="uniform")
    return out


def ga_shape(n_iter):
    """``(population_size, generations)`` of GASearchCV for a budget of ``n_iter``.

    GASearchCV's default algorithm, ``eaMuPlusLambda`` with ``mu = population_size``
    and ``lambda = 2 * population_size``, evaluates the initial population and then
    ``2 * population_size`` offspring per generation (with its default crossover and
    mutation probabilities, 0.2 + 0.8 = 1, every offspring is new and goes through
    ``evaluate``): ``population_size * (1 + 2 * generations)`` calls. An offspring
    equal to a candidate already evaluated is answered from its cache (no CV fit)
    but still gets a row of ``cv_results_``.

    Chosen: the shape closest to ``n_iter``; among the exact ones, a population of at
    least 10 and 2 generations or more when possible, then the smallest population
    (the most generations).
    """
    best = None
    for pop in range(2, n_iter + 1):
        for gen in range(1, n_iter + 1):
            count = pop * (1 + 2 * gen)
            if count > 2 * n_iter:
                break
            key = (abs(count - n_iter), pop < 10, gen < 2, pop)
            if best is None or key < best[0]:
                best = (key, pop, gen)
    return best[1], best[2]


class _Counted:
    """Count what the engine asks and tells an skhpo optimizer (diagnostics only)."""

    def __init__(self, optimizer, stats):
        self._opt = optimizer
        self._stats = stats
        self._last = None

    def ask(self, n):
        X = self._opt.ask(n)
        self._stats["asks"] += 1
        self._stats["asked_rows"] += len(X)
        self._last = X
        return X

    def tell(self, X, y):
        paired = self._last is not None and np.array_equal(X, self._last)
        self._stats["tells" if paired else "unpaired_tells"] += 1
        if not paired:
            self._stats["unpaired_rows"] += len(X)
        self._last = None
        return self._opt.tell(X, y)

    def __getattr__(self, name):
        return getattr(self._opt, name)


def _counted(cls):
    class Counted(cls):
        def _make_optimizer(self, space, random_state):
            opt = super()._make_optimizer(space, random_state)
            self.bench_stats_ = {
                "asks": 0,
                "asked_rows": 0,
                "tells": 0,
                "unpaired_tells": 0,
                "unpaired_rows": 0,
            }
            return _Counted(opt, self.bench_stats_)

    Counted.__name__ = Counted.__qualname__ = cls.__name__
    return Counted


def split_variant(method):
    """``"skhpo-ga:elitism=5;population_size=6"`` -> ``("skhpo-ga", {...})``.

    A variant passes extra keyword arguments to one of skhpo's classes, so that
    settings can be compared in the same run; the values are Python literals.
    """
    name, _, spec = method.partition(":")
    extra = {}
    for item in filter(None, spec.split(";")):
        key, _, value = item.partition("=")
        extra[key.strip()] = ast.literal_eval(value.strip())
    if extra and not name.startswith("skhpo-"):
        raise ValueError(f"only skhpo methods take variants, got {method!r}")
    return name, extra


def make_search(method, problem, *, n_iter, cv, seed):
    """Build the (unfitted) search of ``method``; also returns notes for the record."""
    method, extra = split_variant(method)
    est, space, scoring = problem.make_estimator(), problem.space, problem.scoring
    common = {
        "n_iter": n_iter,
        "scoring": scoring,
        "cv": cv,
        "n_jobs": 1,
        "random_state": seed,
        "error_score": np.nan,
    }
    if method == "random":
        from sklearn.model_selection import RandomizedSearchCV

        return RandomizedSearchCV(est, to_sklearn(space), **common), {}
    if method == "skhpo-bayes":
        from skhpo import BayesSearchCV

        return BayesSearchCV(est, to_skhpo(space), **common), {}
    if method in ("skhpo-ga", "skhpo-cmaes"):
        from skhpo import EvolutionarySearchCV

        strategy = "ga" if method == "skhpo-ga" else "cma-es"
        cls = _counted(EvolutionarySearchCV)
        return cls(est, to_skhpo(space), strategy=strategy, **common, **extra), {}
    if method in ("skhpo-pso", "skhpo-pso-ring"):
        from skhpo import PSOSearchCV

        topology = "ring" if method == "skhpo-pso-ring" else "global"
        cls = _counted(PSOSearchCV)
        return cls(est, to_skhpo(space), topology=topology, **common, **extra), {}
    if method == "gasearchcv":
        from sklearn_genetic import GASearchCV

        pop, gen = ga_shape(n_iter)
        search = GASearchCV(
            est,
            cv=cv,
            param_grid=to_sgo(space),
            scoring=scoring,
            population_size=pop,
            generations=gen,
            verbose=False,
            n_jobs=1,
            error_score=np.nan,
        )
        # GASearchCV stores return_train_score=False and then calls
        # BaseSearchCV.__init__ without it, which resets it to True: every fold
        # would also be scored on its training set (as much time as the test
        # scoring again, and counted as overhead). Restore the value it was given.
        search.return_train_score = False
        notes = {
            "population_size": pop,
            "generations": gen,
            "asked": pop * (1 + 2 * gen),
        }
        return search, notes
    if method == "pso-baseline":
        search = PySwarmsSearch(
            est, space, n_iter=n_iter, cv=cv, scoring=scoring, seed=seed
        )
        p, it = swarm_shape(n_iter, len(space))
        return search, {"n_particles": p, "iters": it, "asked": p * it}
    raise ValueError(f"unknown method {method!r}")


def _seed_globals(method, seed):
    """GASearchCV and deap draw from ``random`` and numpy's global state only."""
    if method == "gasearchcv":
        random.seed(seed)
        np.random.seed(seed)  # noqa: NPY002


def history(method, search):
    """Evaluated candidates in order: params, scores, fit+score time, extra counts."""
    if method == "pso-baseline":
        h = search.history_
        return {
            "params": [x["params"] for x in h],
            "scores": np.array([x["score"] for x in h], dtype=float),
            "fit_score_time": float(sum(x["fit_score_time"] for x in h)),
            "call_time": float(sum(x["call_time"] for x in h)),
            "n_rows": len(h),
        }
    res = search.cv_results_
    n_splits = int(search.n_splits_)
    scores = np.asarray(res["mean_test_score"], dtype=float)
    times = (
        np.asarray(res["mean_fit_time"], dtype=float)
        + np.asarray(res["mean_score_time"], dtype=float)
    ) * n_splits
    params = [dict(p) for p in res["params"]]
    n_rows = len(params)
    if method == "gasearchcv":
        # A cached candidate is logged again with the very record of its first
        # evaluation (same "index"): keep the first occurrence of each index only,
        # or its fit times would be counted twice.
        index = search.logbook.chapters["parameters"].select("index")
        first, seen = [], set()
        for i, idx in enumerate(index):
            if idx not in seen:
                seen.add(idx)
                first.append(i)
        params = [params[i] for i in first]
        scores, times = scores[first], times[first]
    out = {
        "params": params,
        "scores": scores,
        "fit_score_time": float(np.nansum(times)),
        "n_rows": n_rows,
    }
    if "iter" in res:
        out["n_batches"] = len({int(i) for i in res["iter"]})
    return out


# --------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
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


def _key(params):
    return json.dumps(_jsonable(params), sort_keys=True)


def run_one(problem, method, seed, n_iter):
    """Fit one search and measure it. Never raises: failures are recorded."""
    from sklearn.metrics import check_scoring

    rec = {"problem": problem.name, "method": method, "seed": seed, "n_iter": n_iter}
    rec["loadavg_1min"] = os.getloadavg()[0]
    try:
        X_train, X_test, y_train, y_test = problem.data(seed)
        search, notes = make_search(
            method, problem, n_iter=n_iter, cv=problem.cv(seed), seed=seed
        )
        rec.update(notes)
    except Exception as exc:
        rec.update(
            status="error", stage="build", error=f"{type(exc).__name__}: {exc}"[:500]
        )
        return rec

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        _seed_globals(method, seed)
        t0 = time.perf_counter()
        try:
            search.fit(X_train, y_train)
        except Exception as exc:
            rec.update(
                status="error",
                stage="fit",
                wall_time=time.perf_counter() - t0,
                error=f"{type(exc).__name__}: {exc}"[:500],
                traceback=traceback.format_exc()[-3000:],
            )
            return rec
        wall = time.perf_counter() - t0

    try:
        h = history(method, search)
        scorer = check_scoring(problem.make_estimator(), scoring=problem.scoring)
        test_score = float(scorer(search.best_estimator_, X_test, y_test))
        refit_time = float(getattr(search, "refit_time_", 0.0))
    except Exception as exc:
        rec.update(
            status="error",
            stage="read results",
            wall_time=wall,
            error=f"{type(exc).__name__}: {exc}"[:500],
            traceback=traceback.format_exc()[-3000:],
        )
        return rec

    scores = np.asarray(h["scores"], dtype=float)
    n_cand = len(h["params"])
    trace = np.fmax.accumulate(np.where(np.isnan(scores), -np.inf, scores))
    violations = []
    for p in h["params"]:
        violations.extend(in_space(problem.space, p))
    n_unique = len({_key(p) for p in h["params"]})
    warn_summary = {}
    for w in caught:
        key = f"{w.category.__name__}: {str(w.message)[:160]}"
        warn_summary[key] = warn_summary.get(key, 0) + 1

    overhead = wall - refit_time - h["fit_score_time"]
    rec.update(
        status="ok",
        best_cv=float(search.best_score_),
        best_cv_history=float(np.nanmax(scores)) if np.isfinite(scores).any() else None,
        test_score=test_score,
        wall_time=wall,
        refit_time=refit_time,
        fit_score_time=h["fit_score_time"],
        n_candidates=n_cand,
        n_unique=n_unique,
        n_rows=h["n_rows"],
        n_failed=int(np.isnan(scores).sum()),
        overhead_total=overhead,
        overhead_per_candidate=overhead / max(n_cand, 1),
        trace=[None if not np.isfinite(t) else float(t) for t in trace],
        best_params=_jsonable(search.best_params_),
        violations=violations[:10],
        n_violations=len(violations),
        warnings=dict(sorted(warn_summary.items(), key=lambda kv: -kv[1])[:8]),
    )
    if "call_time" in h:
        # The brief's definition for the adapter: wall minus the cross_val_score
        # calls (which also include cloning and splitting, counted as overhead for
        # every other method).
        rec["overhead_per_candidate_calls"] = (
            wall - refit_time - h["call_time"]
        ) / max(n_cand, 1)
    if "n_batches" in h:
        rec["n_batches"] = h["n_batches"]
    if hasattr(search, "bench_stats_"):
        rec["engine"] = dict(search.bench_stats_)
    return rec


def _progress(rec):
    if rec["status"] == "ok":
        msg = (
            f"best_cv={rec['best_cv']:.4f} test={rec['test_score']:.4f} "
            f"n={rec['n_candidates']} wall={rec['wall_time']:.1f}s "
            f"overhead={1000 * rec['overhead_per_candidate']:.2f}ms/cand"
        )
        if rec["n_unique"] != rec["n_candidates"]:
            msg += f" UNIQUE={rec['n_unique']}"
        if rec["n_violations"]:
            msg += f" VIOLATIONS={rec['n_violations']}"
    else:
        msg = f"FAILED at {rec['stage']}: {rec['error'][:200]}"
    print(
        f"  {rec['problem']:15s} {rec['method']:14s} seed={rec['seed']} "
        f"n_iter={rec['n_iter']} load={rec['loadavg_1min']:.1f}: {msg}",
        file=sys.stderr,
        flush=True,
    )


# --------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------


def normalize(runs):
    """Add ``normalized`` to every ok run; return {problem: (r, b)}."""
    refs = {}
    for prob in sorted({r["problem"] for r in runs}):
        ok = [r for r in runs if r["problem"] == prob and r["status"] == "ok"]
        rand = [r["best_cv"] for r in ok if r["method"] == "random"]
        if not rand:
            continue
        r = float(np.mean(rand))
        b = float(max(x["best_cv"] for x in ok))
        refs[prob] = (r, b)
        for x in ok:
            x["normalized"] = 100.0 * (x["best_cv"] - r) / (b - r) if b > r else 0.0
    return refs


def bootstrap(per_problem, stat, n_boot=2000, seed=0):
    """Point estimate and 95% interval of ``stat`` over problems of seed means.

    ``per_problem``: one 1-d array per problem, one value per seed; each replicate
    resamples the seeds of every problem with replacement.
    """
    rng = np.random.RandomState(seed)
    point = stat([np.mean(v) for v in per_problem])
    reps = np.empty(n_boot)
    for i in range(n_boot):
        reps[i] = stat([np.mean(rng.choice(v, size=len(v))) for v in per_problem])
    lo, hi = np.percentile(reps, [2.5, 97.5])
    return float(point), float(lo), float(hi)


def paired(runs, problems, a, b):
    """Mean over problems of the per-seed difference of normalized scores a - b."""
    diffs = []
    for prob in problems:
        by_seed = {}
        for r in runs:
            if r["problem"] == prob and "normalized" in r:
                by_seed.setdefault(r["seed"], {})[r["method"]] = r["normalized"]
        d = [v[a] - v[b] for v in by_seed.values() if a in v and b in v]
        if d:
            diffs.append(np.asarray(d))
    return bootstrap(diffs, np.mean) if diffs else None


def summarize(runs, methods):
    problems = [p for p in PROBLEMS if any(r["problem"] == p for r in runs)]
    refs = normalize(runs)
    table = {}
    for prob in problems:
        for m in methods:
            rs = [r for r in runs if r["problem"] == prob and r["method"] == m]
            ok = [r for r in rs if r["status"] == "ok"]
            table[prob, m] = {
                "n_runs": len(rs),
                "n_ok": len(ok),
                "best_cv": [r["best_cv"] for r in ok],
                "test": [r["test_score"] for r in ok],
                "norm": [r["normalized"] for r in ok if "normalized" in r],
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
                if r["problem"] == prob and r["seed"] == seed and r["status"] == "ok"
            }
            if set(ok) != set(methods):
                continue
            vals = np.array([ok[m] for m in methods])
            for m in methods:
                ranks[m].append(np.sum(vals > ok[m]) + (np.sum(vals == ok[m]) + 1) / 2)
    agg = {}
    for m in methods:
        per_problem = [
            np.asarray(table[p, m]["norm"]) for p in problems if table[p, m]["norm"]
        ]
        if not per_problem:
            continue
        agg[m] = {
            "n_problems": len(per_problem),
            "mean": bootstrap(per_problem, np.mean),
            "median": bootstrap(per_problem, np.median),
            "overhead_ms_median": 1000
            * float(np.median([v for p in problems for v in table[p, m]["overhead"]])),
            "wall_total": float(sum(sum(table[p, m]["wall"]) for p in problems)),
            "mean_rank": float(np.mean(ranks[m])) if ranks[m] else None,
        }
    pairs = {}
    for a in our_methods(agg):
        for b in (*PEERS, "random"):
            if a in agg and b in agg:
                pairs[f"{a} - {b}"] = paired(runs, problems, a, b)
    if "skhpo-ga" in agg and "skhpo-cmaes" in agg:
        pairs["skhpo-cmaes - skhpo-ga"] = paired(
            runs, problems, "skhpo-cmaes", "skhpo-ga"
        )
    return {
        "problems": problems,
        "refs": refs,
        "table": table,
        "agg": agg,
        "pairs": pairs,
    }


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def _fmt(vals, digits=4):
    if not vals:
        return "—"
    if len(vals) == 1:
        return f"{vals[0]:.{digits}f}"
    return f"{np.mean(vals):.{digits}f} ± {np.std(vals, ddof=1):.{digits}f}"


def _cell(entry, key, digits):
    s = _fmt(entry[key], digits)
    if entry["n_ok"] < entry["n_runs"]:
        s += f" ({entry['n_runs'] - entry['n_ok']} failed)"
    return s


def _ci(t, signed=False):
    if t is None:
        return "—"
    f = "+.1f" if signed else ".1f"
    return f"{t[0]:{f}} [{t[1]:{f}}, {t[2]:{f}}]"


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
            row = [_cell(s["table"][p, m], "norm", 1) for m in methods]
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
                _ci(s["pairs"].get(f"{a} - {b}"), signed=True)
                for b in ("gasearchcv", "pso-baseline", "random")
            ]
            lines.append(f"| {a} | " + " | ".join(row) + " |")
        if "skhpo-cmaes - skhpo-ga" in s["pairs"]:
            lines += [
                "",
                "skhpo-cmaes - skhpo-ga (paired): "
                + _ci(s["pairs"]["skhpo-cmaes - skhpo-ga"], signed=True),
            ]
        lines += ["", "## Best CV score (mean ± std over seeds)", "", head, sep]
        for p in s["problems"]:
            row = [_cell(s["table"][p, m], "best_cv", 4) for m in methods]
            lines.append(f"| {p} | " + " | ".join(row) + " |")
        lines += [
            "",
            "## Held-out test score of the refit model (mean ± std over seeds)",
            "",
            head,
            sep,
        ]
        for p in s["problems"]:
            row = [_cell(s["table"][p, m], "test", 4) for m in methods]
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
                _fmt([1000 * v for v in s["table"][p, m]["overhead"]], 2)
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
        results["summary"] = _jsonable(
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
                    f" (paired difference {_ci(d, signed=True)}"
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
        f"{_ci(d, signed=True)}. Overhead: {ov_txt}.",
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
    failures = [r for r in records if r["status"] != "ok"]
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
    ap.add_argument("--problems", default=",".join(PROBLEMS))
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
        "versions": versions(),
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
                _progress(rec)
                results["runs"].append(_jsonable(rec))

    for n in sizes:
        for m in ov_methods:
            rec = run_one(OVERHEAD_PROBLEM, m, 0, n)
            _progress(rec)
            results["overhead"].append(_jsonable(rec))

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
