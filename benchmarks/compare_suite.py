# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Paired comparison of two runs of ``bench_suite.py``'s quality experiment.

For every (problem, method, seed) run in both files, the difference of the best CV
scores, in the normalized units of the older run (Bayesmark's: random search = 0,
best seen = 100, per problem; the map from score to normalized score is read back
from the older run's rows). Reported per method: the mean over problems and seeds,
with a 95% bootstrap interval over seeds, and how many runs found the very same
best score. Use it to check that a change to the engine did not cost quality::

    python benchmarks/compare_suite.py NEW.json OLD.json > report.md
"""

import argparse
import collections
import json

import numpy as np


def normalizers(rows):
    """Per problem, the linear map from best CV score to normalized score."""
    points = collections.defaultdict(list)
    for r in rows:
        if r["status"] == "ok" and r.get("normalized") is not None:
            points[r["problem"]].append((r["best_cv"], r["normalized"]))
    return {p: np.polyfit(*np.array(xy).T, 1) for p, xy in points.items()}


def compare(new, old, n_boot=4000, seed=0):
    maps = normalizers(old)
    before = {
        (r["problem"], r["method"], r["seed"]): r for r in old if r["status"] == "ok"
    }
    diffs = collections.defaultdict(lambda: collections.defaultdict(list))
    same = collections.Counter()
    for r in new:
        o = before.get((r["problem"], r["method"], r["seed"]))
        if r["status"] != "ok" or o is None or r["problem"] not in maps:
            continue
        slope = maps[r["problem"]][0]
        diffs[r["method"]][r["problem"]].append(slope * (r["best_cv"] - o["best_cv"]))
        same[r["method"]] += r["best_cv"] == o["best_cv"]
    rng = np.random.RandomState(seed)
    rows = []
    for method, per_problem in diffs.items():
        D = np.array([per_problem[p] for p in sorted(per_problem)])  # (problems, seeds)
        boots = [
            D[:, rng.randint(0, D.shape[1], D.shape[1])].mean() for _ in range(n_boot)
        ]
        rows.append(
            {
                "method": method,
                "runs": int(D.size),
                "problems": int(D.shape[0]),
                "difference": float(D.mean()),
                "ci": [
                    float(np.percentile(boots, 2.5)),
                    float(np.percentile(boots, 97.5)),
                ],
                "identical": int(same[method]),
            }
        )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("new", help="results JSON of the new run")
    parser.add_argument("old", help="results JSON of the reference run")
    args = parser.parse_args(argv)
    with open(args.new) as f_new, open(args.old) as f_old:
        new, old = json.load(f_new)["quality"], json.load(f_old)["quality"]
    print(f"Paired with `{args.old}`, in its normalized units (new - old).\n")
    print("| method | runs | difference [95% CI] | identical best score |")
    print("|---|---|---|---|")
    for row in compare(new, old):
        print(
            f"| {row['method']} | {row['runs']} ({row['problems']} problems) | "
            f"{row['difference']:+.2f} [{row['ci'][0]:+.2f}, {row['ci'][1]:+.2f}] | "
            f"{row['identical']} |"
        )


if __name__ == "__main__":
    main()
