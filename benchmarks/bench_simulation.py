# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""The scheduler at cluster scale, on a simulated clock.

This machine has 2 cores; skhpo's users have 64 or 256 workers on a dask or ray
cluster. This benchmark runs skhpo's own ask/tell loop (``skhpo._loop``) and the
real optimizers of every class, but replaces the scheduler by one with a simulated
clock: a fit takes no real time, only a simulated duration, drawn log-normal with
a heavy tail (``sigma=1``: the slowest of 100 fits takes ~10x the median) and
depending on the candidate (some hyperparameters make slow models), times a small
per-fold variation. The score of a candidate is a known function of its
parameters (Branin on two of them) plus fold noise.

Reported, per class, scheduling mode and number of workers: **worker utilization**
(busy worker-time over ``n_workers`` x makespan) and the best loss found (Branin
plus noise; lower is better). ``cv=5`` and a budget of ten fits per worker
(``10 * n_workers / 5`` candidates, at least 40; Bayes at most 600). Hyperband runs
its brackets by asynchronous successive halving on the same loop, with a resource
that multiplies the fit's duration (1 to 27, ``factor=3``).

Usage::

    PYTHONPATH=. python benchmarks/bench_simulation.py      # a few minutes
    PYTHONPATH=. python benchmarks/bench_simulation.py --only-clock --seeds 2

The last experiment charges BayesSearchCV's own time (its ask and tell, timed for
real) to the simulated clock: do 64 workers wait for the Gaussian process?

Writes ``results/simulation_<date>.{json,md}`` (or ``--out DIR``).
"""

from __future__ import annotations

import argparse
import datetime
import heapq
import json
import math
import time
import warnings
from pathlib import Path

import numpy as np

from skhpo import BayesSearchCV, EvolutionarySearchCV, PSOSearchCV
from skhpo._loop import AskTellLoop
from skhpo._optimizers.base import RandomSampler
from skhpo._optimizers.hyperband import Hyperband, hyperband_brackets
from skhpo._scheduler import Outcome
from skhpo._search import _SearchState
from skhpo.space import Real, SearchSpace

HERE = Path(__file__).parent
SPACE = {"x1": Real(0.0, 1.0), "x2": Real(0.0, 1.0), "slow": Real(0.0, 1.0)}
CV = 5


def branin(x1, x2):
    a, b, c = 1.0, 5.1 / (4 * np.pi**2), 5 / np.pi
    r, s, t = 6.0, 10.0, 1 / (8 * np.pi)
    u, v = 15 * x1 - 5, 15 * x2
    return a * (v - b * u**2 + c * u - r) ** 2 + s * (1 - t) * np.cos(u) + s


class SimScheduler:
    """The Scheduler's interface on a simulated clock."""

    def __init__(self, n_workers, seed, time_scale=1.0):
        self.n_workers = n_workers
        self.time_scale = time_scale  # the median fit, in (simulated) seconds
        self.rng = np.random.RandomState(seed)
        self.clock = 0.0
        self.heap = []
        self.busy = 0.0
        self.n = 0
        self.intervals = []  # (start, end) of every fit
        self.last_proposal = 0.0  # the clock when the last candidate was proposed
        self.last_new = 0.0  # ... the last new one (Hyperband: not a promotion)

    def has_room(self):
        return len(self.heap) < self.n_workers

    @property
    def n_running(self):
        return len(self.heap)

    def submit(self, task_id, params, split, resource=1.0):
        # Candidate-dependent median (log-normal in "slow"), heavy-tailed noise.
        median = np.exp(1.5 * (params["slow"] - 0.5))
        duration = self.time_scale * resource * median * self.rng.lognormal(0.0, 1.0)
        score = -branin(params["x1"], params["x2"]) + self.rng.normal(0, 1.0)
        fit = {
            "fit_error": None,
            "test_scores": score,
            "n_test_samples": 10,
            "fit_time": duration,
            "score_time": 0.0,
        }
        self.n += 1
        heapq.heappush(self.heap, (self.clock + duration, self.n, task_id, fit))
        self.busy += duration
        self.intervals.append((self.clock, self.clock + duration))

    def utilization_until(self, t):
        """Busy worker-time over n_workers x t, counting only what ran before t."""
        if t <= 0:
            return float("nan")
        busy = sum(max(0.0, min(end, t) - start) for start, end in self.intervals)
        return busy / (self.n_workers * t)

    def wait(self):
        if not self.heap:
            return []
        finish, _, task_id, fit = heapq.heappop(self.heap)
        # It may have finished while the main thread was busy (the optimizer's
        # own time, when it is charged to the clock).
        self.clock = max(self.clock, finish)
        return [Outcome(task_id, "ok", fit)]


class SimRun:
    """What the loop needs of a search's run, with the simulated scheduler."""

    def __init__(self, space, n_workers, seed, time_scale=1.0):
        self.space = space
        self.scheduler = SimScheduler(n_workers, seed, time_scale)
        self.random_state = np.random.RandomState(seed)
        self.splits = [(None, None)] * CV
        self.journal = None
        self.state = _SearchState()
        self.y = None
        self.n_batches = 0

    def should_stop(self):
        return False

    def submit_fit(self, task_id, params, split, progress, splits=None, **_):
        resource = params.get("c", 1.0)
        self.scheduler.submit(task_id, params, split, resource)

    def _fit_result(self, outcome, params, split):
        return outcome.value

    def loss_of(self, fits):
        return -float(np.mean([fit["test_scores"] for fit in fits]))

    def batch_done(self, n, recorded=False):
        self.n_batches += 1

    def add_results(self, params, fits, more):
        pass


def make_optimizer(name, space, rs, n_workers, n_iter):
    if name == "random search":
        return RandomSampler(space.n_dims, random_state=rs)
    if name == "BayesSearchCV":
        return BayesSearchCV(None, SPACE)._make_optimizer(space, rs)
    if name == "EvolutionarySearchCV":
        return EvolutionarySearchCV(None, SPACE)._make_optimizer(space, rs)
    if name == "EvolutionarySearchCV(population=2 workers/cv)":
        size = max(4, 2 * n_workers // CV)
        return EvolutionarySearchCV(None, SPACE, population_size=size)._make_optimizer(
            space, rs
        )
    if name == "HyperbandSearchCV":
        n_brackets = max(1, n_iter // 27)
        return Hyperband(
            hyperband_brackets(1, 27, 3, n_brackets),
            RandomSampler(space.n_dims, random_state=rs),
        )
    if name == "PSOSearchCV":
        return PSOSearchCV(None, SPACE)._make_optimizer(space, rs)
    if name == "EvolutionarySearchCV(strategy='ga')":
        return EvolutionarySearchCV(None, SPACE, strategy="ga")._make_optimizer(
            space, rs
        )
    raise ValueError(name)


def simulate(
    name, mode, max_pending, n_workers, n_iter, seed, time_scale=1.0, charge=False
):
    """One simulated search. ``charge``: the optimizer's real time (ask and tell,
    measured here) is added to the simulated clock, during which the main thread
    submits nothing: the workers whose fits end then wait for it."""
    space = SearchSpace(SPACE)
    run = SimRun(space, n_workers, seed, time_scale)
    start = time.perf_counter()
    optimizer = make_optimizer(name, space, run.random_state, n_workers, n_iter)
    spent = [0.0]
    if charge:
        for method in ("ask_ids", "tell_ids", "tell"):
            setattr(optimizer, method, _charged(getattr(optimizer, method), run, spent))
    ask_ids = optimizer.ask_ids

    def timed_ask(n):
        sched = run.scheduler
        sched.last_proposal = sched.clock
        ids, X = ask_ids(n)
        fidelity = optimizer.fidelity(ids[0]) if len(ids) else None
        if fidelity is None or fidelity.columns["iter"] == 0:
            sched.last_new = sched.clock  # a new candidate, not a promotion
        return ids, X

    optimizer.ask_ids = timed_ask
    loop = AskTellLoop(
        run,
        optimizer,
        math.inf if name == "HyperbandSearchCV" else n_iter,
        asynchronous=mode == "asynchronous",
        max_pending=max_pending,
        trial=lambda params, resource: ({**params, "c": resource}, None),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loop.run_loop()
    sched = run.scheduler
    return {
        "method": name,
        "mode": mode,
        "max_pending": max_pending,
        "n_workers": n_workers,
        "n_iter": n_iter,
        "seed": seed,
        "fits": sched.n,
        "utilization": sched.busy / (n_workers * sched.clock),
        # What the scheduler controls: until the last proposal (after it, the
        # budget is spent and the workers drain the last, heavy-tailed fits).
        "utilization_proposing": sched.utilization_until(sched.last_proposal),
        # Hyperband's promotions go on after its last new candidate: how busy
        # the workers are until then, and when that is.
        "utilization_new": sched.utilization_until(sched.last_new),
        "last_new_fraction": sched.last_new / sched.clock,
        "best_loss": float(run.state.best_loss),
        "seconds": time.perf_counter() - start,
        "time_scale": time_scale,
        "optimizer_seconds": spent[0],
        "makespan": sched.clock,
    }


def _charged(method, run, spent):
    """``method``, its real duration added to the simulated clock."""

    def call(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            spent[0] += elapsed
            run.scheduler.clock += elapsed

    return call


def optimizer_on_the_clock(seeds=2, n_workers=64, scales=(1.0, 0.3, 0.1, 0.03)):
    """Does BayesSearchCV's own time idle 64 workers? Its ask and tell are timed
    for real and charged to the simulated clock; the fits' median duration is
    ``scale`` seconds. Random search, whose proposals cost microseconds, is the
    reference."""
    rows = []
    n_iter = 10 * n_workers // CV
    for scale in scales:
        for name in ("random search", "BayesSearchCV"):
            for seed in range(seeds):
                row = simulate(
                    name, "asynchronous", 0, n_workers, n_iter, seed, scale, True
                )
                rows.append(row)
                print(row, flush=True)
    return rows


def lag_ablation(seeds=20, n_iter=30, lags=(0, 1, 2, 4)):
    """What ``max_pending`` costs BayesSearchCV at ``n_jobs=1``: noiseless regret.

    One simulated worker, so results come in one at a time; each lag hides the
    latest results from the proposals. The regret is Branin's at the candidate
    with the best observed (noisy) loss, minus Branin's minimum.
    """
    regrets = {}
    for lag in lags:
        regrets[lag] = []
        for seed in range(seeds):
            space = SearchSpace(SPACE)
            run = SimRun(space, 1, seed)
            optimizer = BayesSearchCV(None, SPACE)._make_optimizer(
                space, run.random_state
            )
            loop = AskTellLoop(
                run,
                optimizer,
                n_iter,
                asynchronous=False,
                max_pending=lag,
                trial=None,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                loop.run_loop()
            best = min(loop.candidates, key=lambda c: c.loss).params
            regrets[lag].append(branin(best["x1"], best["x2"]) - 0.397887)
    rows = []
    rng = np.random.RandomState(0)
    for lag in lags:
        diff = np.subtract(regrets[lag], regrets[lags[0]])
        boots = [diff[rng.randint(0, seeds, seeds)].mean() for _ in range(2000)]
        rows.append(
            {
                "max_pending": lag,
                "median_regret": float(np.median(regrets[lag])),
                "mean_regret": float(np.mean(regrets[lag])),
                "paired_diff": float(diff.mean()),
                "ci": [
                    float(np.percentile(boots, 2.5)),
                    float(np.percentile(boots, 97.5)),
                ],
            }
        )
        print(rows[-1], flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[8, 64, 256])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seeds-ablation", type=int, default=20)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--only-clock",
        action="store_true",
        help="only the optimizer-on-the-clock experiment (simulation_clock_<date>)",
    )
    args = parser.parse_args(argv)
    if args.only_clock:
        clocked = optimizer_on_the_clock(seeds=args.seeds)
        stem = args.out / f"simulation_clock_{datetime.date.today().isoformat()}"
        stem.with_suffix(".json").write_text(json.dumps(clocked, indent=1))
        report = "\n".join(_clock_table(clocked)[1:]) + "\n"
        stem.with_suffix(".md").write_text(report)
        print(report)
        return
    rows = []
    for n_workers in args.workers:
        # Ten waves of fits: ten fits per worker.
        n_iter = max(40, 10 * n_workers // CV)
        configs = [
            ("random search", "asynchronous", 0),
            ("BayesSearchCV", "reproducible", 2),
            *(
                [("BayesSearchCV", "reproducible", n_workers // CV)]
                if n_workers // CV > 2
                else []
            ),
            ("BayesSearchCV", "asynchronous", 0),
            ("EvolutionarySearchCV", "reproducible", 2),
            ("EvolutionarySearchCV(population=2 workers/cv)", "reproducible", 2),
            ("PSOSearchCV", "reproducible", 2),
            ("PSOSearchCV", "asynchronous", 0),
            ("EvolutionarySearchCV", "asynchronous", 0),
            ("EvolutionarySearchCV(strategy='ga')", "reproducible", 2),
            ("EvolutionarySearchCV(strategy='ga')", "asynchronous", 0),
        ]
        configs += [
            ("HyperbandSearchCV", "reproducible", 2),
            ("HyperbandSearchCV", "asynchronous", 0),
        ]
        for name, mode, max_pending in configs:
            if name == "BayesSearchCV" and n_iter > 600:
                n_budget = 600  # the exact GP's cost is the Bayes issue's
            else:
                n_budget = n_iter
            for seed in range(args.seeds):
                row = simulate(name, mode, max_pending, n_workers, n_budget, seed)
                rows.append(row)
                print(row, flush=True)
    ablation = lag_ablation(seeds=args.seeds_ablation)
    clocked = optimizer_on_the_clock()
    args.out.mkdir(parents=True, exist_ok=True)
    date = datetime.date.today().isoformat()
    stem = args.out / f"simulation_{date}"
    stem.with_suffix(".json").write_text(
        json.dumps(
            {"runs": rows, "lag_ablation": ablation, "on_the_clock": clocked},
            indent=1,
        )
    )
    lines = [
        f"# Scheduler simulation, {date}",
        "",
        "Real loop and optimizers, simulated clock: log-normal fit times "
        "(sigma=1, candidate-dependent median), cv=5, ten fits per worker. "
        f"Mean over {args.seeds} seeds.",
        "",
        "Utilization while proposing: until the last candidate is proposed (what "
        "the scheduling controls); overall: until the last fit ends (with the "
        "drain of the last, heavy-tailed fits, which no scheduler avoids at a "
        "fixed budget). Hyperband proposes promotions after its last new "
        "candidate: its utilization until then, and when that comes (as a "
        "fraction of the whole run), are the last two columns.",
        "",
        "| workers | method | scheduling | max_pending | candidates | "
        "utilization while proposing | overall | best loss | "
        "while new candidates start | last new candidate at |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    keys = dict.fromkeys(
        (r["n_workers"], r["method"], r["mode"], r["max_pending"]) for r in rows
    )
    for key in keys:
        group = [
            r
            for r in rows
            if (r["n_workers"], r["method"], r["mode"], r["max_pending"]) == key
        ]
        util = np.mean([r["utilization"] for r in group])
        proposing = np.mean([r["utilization_proposing"] for r in group])
        best = np.mean([r["best_loss"] for r in group])
        pending = key[3] if key[2] == "reproducible" else "-"
        if key[1] == "HyperbandSearchCV":
            util_new = np.mean([r["utilization_new"] for r in group])
            at = np.mean([r["last_new_fraction"] for r in group])
            new = f"{100 * util_new:.0f}% | {100 * at:.0f}%"
        else:
            new = "- | -"
        lines.append(
            f"| {key[0]} | {key[1]} | {key[2]} | {pending} | {group[0]['n_iter']} | "
            f"{100 * proposing:.0f}% | {100 * util:.0f}% | {best:.2f} | {new} |"
        )
    lines += [
        "",
        "## What max_pending costs BayesSearchCV at n_jobs=1",
        "",
        f"One simulated worker, 30 candidates, {args.seeds_ablation} seeds; regret: "
        "noiseless Branin at the candidate with the best observed loss, minus the "
        "minimum. Paired difference with max_pending=0, 95% bootstrap interval.",
        "",
        "| max_pending | median regret | mean regret | paired difference |",
        "|---|---|---|---|",
    ]
    for row in ablation:
        lines.append(
            f"| {row['max_pending']} | {row['median_regret']:.3f} | "
            f"{row['mean_regret']:.3f} | {row['paired_diff']:+.3f} "
            f"[{row['ci'][0]:+.3f}, {row['ci'][1]:+.3f}] |"
        )
    lines += _clock_table(clocked)
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _clock_table(rows):
    lines = [
        "",
        "## BayesSearchCV's own time on the clock, 64 workers",
        "",
        "Asynchronous scheduling, cv=5, 128 candidates; the optimizer's ask and tell "
        "are timed for real (one process, this machine) and added to the simulated "
        "clock, during which no fit is submitted. Mean over seeds.",
        "",
        "| median fit | method | optimizer time per candidate | "
        "utilization while proposing | overall | makespan |",
        "|---|---|---|---|---|---|",
    ]
    keys = dict.fromkeys((r["time_scale"], r["method"]) for r in rows)
    for scale, method in keys:
        group = [r for r in rows if (r["time_scale"], r["method"]) == (scale, method)]
        per = np.mean([r["optimizer_seconds"] / r["n_iter"] for r in group])
        lines.append(
            f"| {scale:g} s | {method} | {1000 * per:.1f} ms | "
            f"{100 * np.mean([r['utilization_proposing'] for r in group]):.0f}% | "
            f"{100 * np.mean([r['utilization'] for r in group]):.0f}% | "
            f"{np.mean([r['makespan'] for r in group]):.1f} s |"
        )
    return lines


if __name__ == "__main__":
    main()
