# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""BayesSearchCV's optimizer on analytic functions: a variant against the default.

A change to ``GaussianProcessBO`` (a cheaper polish, fewer hyperparameter fits, a
new acquisition) is first tried here, where a run costs a second: each variant runs
the same seeds on the same functions, one candidate at a time, and the report gives,
per function, the median regret of each variant, how many seeds the variant wins,
ties and loses against the default (paired: same seed, same initial design), and
the optimizer's own time per candidate (CPU time of ask + tell, so that other work
on the machine does not blur it). A variant that holds here then goes to the
model-selection benchmark (``bench_bayes.py``), which has the last word.

A variant is a set of module constants of ``skhpo._optimizers.bayes`` or
``skhpo._optimizers.gp``, overridden for the run: ``--variant
'loose:bayes._POLISH_FTOL=1e-4,gp._WARP_PRIOR=[0,0.5]'``. The default is always run.

Functions (minimised, on the unit cube; ``tests/optimizers/_functions.py``):
Branin (2 dims), Hartmann6, Hartmann6 with Gaussian noise of sd 0.05 (a CV score's
noise is of that order against the range of the function), Rosenbrock in 4 dims,
Hartmann6 in 10 dimensions of which 4 do nothing, and the 6-dimensional mixed
space of ``bench_overhead.py`` (three log reals, a log integer, four and two
categories; noisy).

Usage::

    python benchmarks/bench_gp_ablation.py --variant NAME:SETTINGS [--variant ...]
        [--seeds 16] [--budget 60] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "optimizers"))
sys.path.insert(0, str(HERE))

import bench_overhead  # noqa: E402
from _functions import MINIMA, branin, hartmann6, rosenbrock  # noqa: E402

from skhpo._optimizers import bayes, gp  # noqa: E402
from skhpo.space import Categorical, Integer, Real, SearchSpace  # noqa: E402

MODULES = {"bayes": bayes, "gp": gp}


def _mixed_space():
    dims = {}
    for spec in bench_overhead.SPACE:
        if spec[1] in ("real", "int"):
            cls = Real if spec[1] == "real" else Integer
            prior = "log-uniform" if spec[4] else "uniform"
            dims[spec[0]] = cls(spec[2], spec[3], prior=prior)
        else:
            dims[spec[0]] = Categorical(spec[2])
    return SearchSpace(dims)


def problems():
    """name -> (n_dims, kinds, n_choices, observed(U, rng), true(U), minimum).

    ``observed`` is what the optimizer is told (noisy for two of them), ``true``
    the noise-free value the regret is measured on.
    """
    space = _mixed_space()

    class _NoNoise:
        def standard_normal(self, size=None):
            return 0.0

    def mixed(U, rng):
        return np.array(
            [bench_overhead.objective(p, rng) for p in space.decode(U)], dtype=float
        )

    def noisy_h6(U, rng):
        return hartmann6(U) + 0.05 * rng.standard_normal(len(U))

    def exact(f):
        return lambda U, rng: f(U)

    return {
        "branin": (2, None, None, exact(branin), branin, MINIMA[branin]),
        "hartmann6": (6, None, None, exact(hartmann6), hartmann6, MINIMA[hartmann6]),
        "hartmann6_noisy": (6, None, None, noisy_h6, hartmann6, MINIMA[hartmann6]),
        "rosenbrock4": (4, None, None, exact(rosenbrock), rosenbrock, 0.0),
        # Six coordinates that matter among ten, as in most model-selection spaces.
        "hartmann6_in10d": (
            10,
            None,
            None,
            exact(lambda U: hartmann6(U[:, :6])),
            lambda U: hartmann6(U[:, :6]),
            MINIMA[hartmann6],
        ),
        # The noise-free minimum of bench_overhead.objective is 0.
        "mixed6": (
            space.n_dims,
            space.kinds,
            space.n_choices,
            mixed,
            lambda U: mixed(U, _NoNoise()),
            0.0,
        ),
    }


def parse_variant(text):
    """``NAME:mod.CONST=value,...`` -> (name, {(module, const): value})."""
    name, _, settings = text.partition(":")
    out = {}
    # Split at the commas that start a new setting (a value may be a JSON list).
    for item in filter(None, re.split(r",(?=\s*\w+\.\w+=)", settings)):
        key, _, value = item.partition("=")
        mod, _, const = key.strip().partition(".")
        if mod not in MODULES or not hasattr(MODULES[mod], const):
            raise SystemExit(f"unknown setting {key!r} (bayes.X or gp.X, existing)")
        out[(mod, const)] = json.loads(value)
    return name, out


def run_one(settings, problem, seed, budget):
    n_dims, kinds, n_choices, observed, true, minimum = problem
    saved = {k: getattr(MODULES[k[0]], k[1]) for k in settings}
    for (mod, const), value in settings.items():
        setattr(MODULES[mod], const, value)
    try:
        opt = bayes.GaussianProcessBO(
            n_dims, kinds=kinds, n_choices=n_choices, random_state=seed
        )
        rng = np.random.RandomState(10_000 + seed)  # the noise: same for variants
        cpu = 0.0
        while len(opt.y_) < budget:
            start = time.process_time()
            ids, X = opt.ask_ids(1)
            cpu += time.process_time() - start
            y = observed(X, rng)
            start = time.process_time()
            opt.tell_ids(ids, y)
            cpu += time.process_time() - start
        # The noise-free value of the point a user would pick: the best observed.
        best = int(np.nanargmin(opt.y_))
        return float(true(opt.X_[best : best + 1])[0]) - minimum, cpu / budget
    finally:
        for (mod, const), value in saved.items():
            setattr(MODULES[mod], const, value)


def _wtl(r, ref):
    tie = np.abs(r - ref) <= np.maximum(1e-9, 0.01 * np.abs(ref))
    return int(np.sum(~tie & (r < ref))), int(tie.sum()), int(np.sum(~tie & (r > ref)))


def _ratio_interval(r, ref):
    """Geometric mean of regret / reference regret, with a 95% t interval."""
    d = np.log((r + 1e-6) / (ref + 1e-6))
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    return math.exp(d.mean()), math.exp(d.mean() - half), math.exp(d.mean() + half)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", action="append", default=[])
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--budget", type=int, default=60)
    ap.add_argument("--problems", default=None, help="comma-separated subset")
    ap.add_argument("--save", default=None, help="JSON of every run, for --baseline")
    ap.add_argument(
        "--baseline",
        default=None,
        help="a --save file of another checkout: its default is the reference",
    )
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    variants = [("default", {})] + [parse_variant(v) for v in args.variant]
    probs = problems()
    if args.problems:
        probs = {k: probs[k] for k in args.problems.split(",")}
    res = {}  # (problem, variant) -> list of (regret, cpu)
    with threadpool_limits(1):
        for pname, prob in probs.items():
            for vname, settings in variants:
                res[pname, vname] = [
                    run_one(settings, prob, s, args.budget) for s in range(args.seeds)
                ]
                r = np.array(res[pname, vname])
                print(
                    f"{pname:16s} {vname:12s} median regret {np.median(r[:, 0]):.4g}"
                    f"  cpu {1000 * r[:, 1].mean():.1f} ms/candidate",
                    flush=True,
                )
    if args.save:
        Path(args.save).write_text(
            json.dumps(
                {
                    "seeds": args.seeds,
                    "budget": args.budget,
                    "runs": {f"{p}|{v}": runs for (p, v), runs in res.items()},
                }
            )
        )
    reference = "default"
    if args.baseline:
        base = json.loads(Path(args.baseline).read_text())
        if (base["seeds"], base["budget"]) != (args.seeds, args.budget):
            raise SystemExit("the baseline ran other seeds or another budget")
        for pname in probs:
            res[pname, "baseline"] = base["runs"][f"{pname}|default"]
        variants = [("baseline", {}), *variants]
        reference = "baseline"
    others = [v for v, _ in variants if v != reference]
    lines = [
        f"# GaussianProcessBO variants on analytic functions ({args.seeds} seeds, "
        f"{args.budget} candidates, one at a time)",
        "",
        "Regret: the noise-free value of the point with the best observed (for "
        "two of them noisy) value, minus the minimum. W/T/L: seeds where the "
        f"variant's regret is lower / equal (within 1e-9 or 1%) / higher than "
        f"`{reference}`'s. CPU: the optimizer's ask + tell per candidate (ms).",
        "",
    ]
    for vname, settings in variants:
        what = ", ".join(f"{m}.{c}={v!r}" for (m, c), v in settings.items())
        if vname == "baseline":
            what = f"the default of the checkout that wrote {args.baseline}"
        lines.append(f"- `{vname}`: " + (what or "the constants of this checkout"))
    lines += [
        "",
        "| function | "
        + " | ".join(f"{v} median regret" for v, _ in variants)
        + " | "
        + " | ".join(f"{v} W/T/L" for v in others)
        + " | "
        + " | ".join(f"{v} CPU" for v, _ in variants)
        + " |",
        "|---|" + "---|" * (2 * len(variants) + len(others)),
    ]
    for pname in probs:
        ref = np.array(res[pname, reference])[:, 0]
        cells = [f"{np.median(np.array(res[pname, v])[:, 0]):.3g}" for v, _ in variants]
        cells += [
            "{}/{}/{}".format(*_wtl(np.array(res[pname, v])[:, 0], ref)) for v in others
        ]
        cells += [
            f"{1000 * np.mean(np.array(res[pname, v])[:, 1]):.1f}" for v, _ in variants
        ]
        lines.append(f"| {pname} | " + " | ".join(cells) + " |")
    lines.append("")
    for v in others:
        r = np.concatenate([np.array(res[p, v])[:, 0] for p in probs])
        ref = np.concatenate([np.array(res[p, reference])[:, 0] for p in probs])
        g, lo, hi = _ratio_interval(r, ref)
        lines.append(
            f"- `{v}` against `{reference}`: geometric mean regret ratio {g:.3f} "
            f"[95% interval {lo:.3f}, {hi:.3f}] over {len(r)} paired runs"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
