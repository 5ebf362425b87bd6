# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Report and doc fragment of ``bench_suite.py``.

:func:`write_outputs` takes the raw results of a run (or of a saved JSON) and
writes the JSON (raw results plus a summary), the Markdown report, three PNG
figures (``_suite_figures``: normalized scores with intervals, anytime curves,
overhead against the number of observations) and, when asked, the
reStructuredText fragment and the figures of the documentation page
``doc/benchmarks.rst``.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import harness
import numpy as np
from _suite_analysis import analyse, compare, info
from _suite_figures import figures
from harness import ci, jsonable

DOC_FIGURES = "_static/benchmarks"
DOC_FRAGMENT = "benchmarks_results.rst.inc"


# --------------------------------------------------------------------------------------
# Tables (shared by the Markdown report and the doc fragment)
# --------------------------------------------------------------------------------------


def _score_rows(results, s):
    """Method, mean [CI], median [CI], mean test [CI], rank, problems."""
    rows = []
    for m in sorted(s["agg"], key=lambda m: -s["agg"][m]["mean"][0]):
        a = s["agg"][m]
        star = "" if a["n_problems"] == len(s["problems"]) else " *"
        rows.append(
            [
                m + star,
                ci(a["mean"]),
                ci(a["median"]),
                ci(a["mean_test"]),
                "—" if a["mean_rank"] is None else f"{a['mean_rank']:.2f}",
                f"{a['n_problems']}/{len(s['problems'])}",
            ]
        )
    return rows


_SCORE_HEAD = [
    "method",
    "mean normalized CV score [95% CI]",
    "median [95% CI]",
    "mean normalized test score [95% CI]",
    "mean rank",
    "problems",
]


def _overhead_rows(results):
    ov = results.get("overhead", [])
    sizes = sorted({r["n_iter"] for r in ov})
    rows = []
    for m in results["meta"]["methods"]:
        row = [m]
        for n in sizes:
            rs = [r for r in ov if r["method"] == m and r["n_iter"] == n]
            if not rs:
                row.append("not run")
                continue
            r = rs[0]
            if r["status"] == "ok":
                cell = f"{1000 * r['overhead_per_candidate']:.1f}"
                if r["n_candidates"] != n:
                    cell += f" ({r['n_candidates']} cand.)"
                row.append(cell)
            elif r["status"] in ("skipped", "not applicable"):
                row.append(r["status"])
            else:
                row.append("failed")
        rows.append(row)
    return ["method", *[f"{n} candidates" for n in sizes]], rows


def _parallel_rows(par):
    backends = par["backends"]
    head = ["method", *backends]
    rows = []
    for row in par["rows"]:
        cells = [row["method"]]
        for b in backends:
            c = row["cells"].get(b, {})
            if c.get("time") is None:
                cells.append(c.get("status", "not run"))
                continue
            txt = f"{c['time']:.1f} s"
            if "speedup" in c:
                txt += f", speedup {c['speedup']:.2f}"
                if not c["identical"]:
                    txt += " (results differ!)"
            rows_fit = c.get("fit_ms")
            if rows_fit is not None and b == backends[0]:
                txt += f" ({rows_fit:.0f} ms per fold)"
            cells.append(txt)
        rows.append(cells)
    return head, rows


def _hyperband_rows(results):
    hb = results.get("hyperband_target")
    if not hb:
        return None, []
    rows = []
    a = hb["analysis"].get("hgb_n_samples", {}).get("rows", {})
    for m in hb["methods"]:
        r = a.get(m)
        if r is None:
            continue
        fr = r["frac_random_wall"]
        rows.append(
            [
                m,
                harness.fmt(r["best_score"], 4),
                harness.fmt(r["search_time"], 1) + " s",
                ", ".join("never" if x is None else f"{x:.2f}" for x in fr),
                ", ".join(
                    "never" if x is None else f"{x:.2f}" for x in r["frac_random_cpu"]
                ),
            ]
        )
    head = [
        "method",
        "final CV",
        "search time",
        "time to random's final score / random's time, per seed",
        "same in CPU time",
    ]
    return head, rows


def _md_table(head, rows):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _rst_table(head, rows, title=None):
    lines = [f".. list-table:: {title}" if title else ".. list-table::"]
    lines += ["   :header-rows: 1", ""]
    for row in [head, *rows]:
        first = True
        for c in row:
            text = str(c).replace("`", "").replace("*", "\\*") or " "
            lines.append(("   * - " if first else "     - ") + text)
            first = False
    return [*lines, ""]


# --------------------------------------------------------------------------------------
# Markdown report
# --------------------------------------------------------------------------------------


def _target_lines(targets):
    lines = []
    for t in targets:
        lines.append(f"- **{t['verdict']}**: {t['title']}.")
        if "detail" in t:
            lines.append(f"  {t['detail']}.")
        for c in t.get("comparisons", []):
            scope = (
                "all problems"
                if c["all_problems"]
                else f"the {len(c['problems'])} problem(s) both ran"
            )
            sep = (
                "intervals do not overlap: difference claimed"
                if c["separated"]
                else "intervals overlap: no difference claimed"
            )
            lines.append(
                f"  - vs {c['b']} ({scope}): {ci(c['mean_a'])} vs {ci(c['mean_b'])}, "
                f"{'higher' if c['higher'] else 'NOT higher'}; {sep}; paired "
                f"difference {ci(c['paired'], signed=True)}"
            )
        for b in t.get("missing", []):
            lines.append(f"  - vs {b}: no successful runs to compare")
    return lines


def markdown(results, ana, figs):
    meta = results["meta"]
    s = ana["summary"]
    quick = " — `--quick` smoke run, not results" if meta.get("quick") else ""
    lines = [
        f"# Benchmark suite ({meta['date']}){quick}",
        "",
        f"Command: `{meta['command']}`  ",
        f"Environment: `{meta['python']}`; machine: {meta['machine']}; "
        f"{meta['threads']} BLAS/OpenMP thread per process.  ",
        f"Total runtime {meta.get('runtime_s', float('nan')):.0f} s ("
        + ", ".join(
            f"{k} {v:.0f} s" for k, v in meta.get("experiment_runtime_s", {}).items()
        )
        + f"); 1-min load average {meta['loadavg_start'][0]:.1f} at the start, "
        f"{meta.get('loadavg_end', [math.nan])[0]:.1f} at the end"
        + (
            f", mean {meta['loadavg_mean']:.1f} over the quality runs"
            if meta.get("loadavg_mean") is not None
            else ""
        )
        + " (the machine may be shared: wall times move with the load).",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "",
        "## Targets",
        "",
        *_target_lines(ana["targets"]),
        "",
    ]
    lines += _setup_lines(results)
    if s:
        lines += _quality_lines(results, ana, figs)
    lines += _overhead_lines(results, figs)
    lines += _parallel_lines(results, ana)
    lines += _hyperband_lines(results, ana)
    lines += _not_run_lines(results)
    lines += _closing_lines(results, ana)
    return "\n".join(lines) + "\n"


def _setup_lines(results):
    meta = results["meta"]
    lines = [
        "## Setup",
        "",
        f"Quality runs: seeds {meta['seeds']}, budget n_iter={meta['n_iter']} "
        "candidates for every method (the multi-fidelity methods: the same compute, "
        "see below), `n_jobs=1`. Per seed: a fixed 75/25 train/test split "
        "(`train_test_split(random_state=seed)`, stratified for classifiers) and a "
        "shuffled 3-fold (Stratified)KFold seeded with the seed, the same splitter "
        "object for every method. Nothing is downloaded.",
        "",
    ]
    workers = max([r.get("workers", 1) for r in results.get("quality", [])] or [1])
    if workers > 1:
        lines += [
            f"The quality runs ran {workers} at a time, each in its own process "
            f"with `n_jobs=1` and one thread, on {meta['cpus']} CPUs: their wall "
            "times (anytime curves against time, overhead columns) include that "
            "much sharing of the memory bus; the overhead and parallel "
            "experiments ran alone.",
            "",
        ]
    journal = meta.get("quality_journal") or {}
    if journal.get("resumed"):
        lines += [
            f"{journal['resumed']} of the {journal['runs']} quality runs were read "
            f"from the journal `{Path(journal['journal']).name}` (written as each "
            "run ended, by an earlier invocation of the same command"
            + (
                "; the quality runtime above is their summed search time over "
                "the processes that ran them, an estimate"
                if journal.get("runtime_estimated")
                else ""
            )
            + ").",
            "",
        ]
    lines += [
        "| problem | estimator, data, dims, scoring | space |",
        "|---|---|---|",
    ]
    for p in meta["problems"]:
        pinfo = meta["problem_info"][p]
        space = "; ".join(
            f"{k.split('__')[-1]}: "
            + (
                f"{{{', '.join(map(str, d[1]))}}}"
                if d[0] == "cat"
                else f"{d[0]} [{d[1]:g}, {d[2]:g}]{' log' if d[3] else ''}"
            )
            for k, d in pinfo["space"].items()
        )
        lines.append(f"| {p} | {pinfo['description']} | {space} |")
    lines += ["", "| method | library | kind | what runs |", "|---|---|---|---|"]
    for m in meta["methods"]:
        i = info(results, m)
        lines.append(
            f"| {m} | {i['library']} | {i['kind']}{' (skhpo)' if i['ours'] else ''} "
            f"| {i['what']} |"
        )
    lines += [
        "",
        "Equal compute for the multi-fidelity methods (resource `n_samples`): the "
        "compute of an evaluation is its number of training samples over the full "
        "training part, summed over evaluations; every other method spends n_iter. "
        "HyperbandSearchCV keeps its defaults (`factor=3`, automatic resources, "
        "its default sampler) and gets the largest `n_brackets` whose compute does "
        "not exceed n_iter. HalvingRandomSearchCV gets `factor=3`, `min_resources = "
        "n_samples // 3**j` for the most halvings j <= 4 that keep scikit-learn's own "
        "smallest budget (2 x n_splits x n_classes samples), and the largest "
        "`n_candidates` within the same compute; its last rung uses all the "
        "training samples but at most 3**j - 1 (and scikit-learn subsamples the "
        "test folds in the same proportion, so its CV score is on slightly smaller "
        "folds). Only full-budget evaluations count for their best score.",
        "",
    ]
    plans = {}
    for r in results.get("quality", []):
        if r["status"] == "ok" and r["method"] in ("halving", "skhpo-hyperband"):
            plans.setdefault((r["method"], r["problem"]), []).append(r)
    if plans:
        lines += [
            "| method | problem | planned compute | spent (mean) | evaluations | "
            "setting |",
            "|---|---|---|---|---|---|",
        ]
        for (m, p), rs in sorted(plans.items()):
            r = rs[0]
            setting = (
                f"n_brackets={r.get('n_brackets')}, resources "
                f"{r.get('min_resources')}..{r.get('max_resources')}"
                if m == "skhpo-hyperband"
                else f"n_candidates={r.get('start_candidates')}, min_resources="
                f"{r.get('min_resources')}"
            )
            lines.append(
                f"| {m} | {p} | {r.get('planned_cost', math.nan):.1f} | "
                f"{np.mean([x['compute'] for x in rs]):.1f} | "
                f"{np.mean([x['n_rows'] for x in rs]):.0f} | {setting} |"
            )
        lines.append("")
    return lines


def _quality_lines(results, ana, figs):
    s = ana["summary"]
    methods = list(results["meta"]["methods"])
    head = ["problem", *methods]
    lines = [
        "## Normalized scores",
        "",
        "Bayesmark's normalization, per problem: `100 * (score - r) / (b - r)` with "
        "`r` the mean over seeds of random search's best CV score (same budget) and "
        "`b` the best CV score of any run on the problem in this run: random = 0, "
        "best seen = 100, negative = worse than random on average. Summary: the "
        "mean and the median over problems of the per-problem mean over seeds, with "
        "95% bootstrap intervals resampling the seeds of every problem (2000 "
        "replicates); mean rank among the methods that ran on each (problem, "
        "seed). The test columns normalize the held-out test score of the refit "
        "model the same way (random's mean test score = 0, best test score = 100): "
        "a method whose CV score is high but test score is not overfits its CV. "
        "`*`: ran on part of the problems only (its mean is over those).",
        "",
        *_md_table(_SCORE_HEAD, _score_rows(results, s)),
        "",
    ]
    if "scores" in figs:
        lines += [f"![normalized scores]({figs['scores'].name})", ""]
    lines += [
        "### Per problem (normalized best CV score, mean ± std over seeds)",
        "",
        *_md_table(
            head,
            [
                [p, *[harness.cell(s["table"][p, m], "norm", 1) for m in methods]]
                for p in s["problems"]
            ],
        ),
        "",
        "### Paired differences (skhpo method minus peer, per seed, mean over the "
        "problems both ran) [95% bootstrap CI]",
        "",
    ]
    ours = [m for m in methods if info(results, m)["ours"]]
    peers = [m for m in methods if m not in ours]
    runs = results["quality"]
    rows = []
    for a in ours:
        row = [a]
        for b in peers:
            c = compare(runs, s, a, b)
            row.append("—" if c is None else ci(c["paired"], signed=True))
        rows.append(row)
    lines += [*_md_table(["skhpo method", *[f"- {b}" for b in peers]], rows), ""]
    lines += [
        "### Best CV score (mean ± std over seeds)",
        "",
        *_md_table(
            head,
            [
                [p, *[harness.cell(s["table"][p, m], "best_cv", 4) for m in methods]]
                for p in s["problems"]
            ],
        ),
        "",
        "### Held-out test score of the refit model (mean ± std over seeds)",
        "",
        *_md_table(
            head,
            [
                [p, *[harness.cell(s["table"][p, m], "test", 4) for m in methods]]
                for p in s["problems"]
            ],
        ),
        "",
        "### Wall time per run (mean ± std over runs) and optimizer overhead",
        "",
        *_md_table(
            ["method", "wall time per run (s)", "overhead, median (ms/cand.)"],
            [
                [
                    m,
                    harness.fmt(
                        [w for p in s["problems"] for w in s["table"][p, m]["wall"]],
                        2,
                    ),
                    f"{s['agg'][m]['overhead_ms_median']:.1f}",
                ]
                for m in methods
                if m in s["agg"]
            ],
        ),
        "",
    ]
    curves = ana["curves"]
    if curves.get("methods"):
        n = len(curves["grid_c"])
        marks = sorted({max(1, n // 5), max(1, n // 2), n})
        rows = [
            [
                m,
                *[
                    "—"
                    if np.isnan(c["candidates"][k - 1])
                    else f"{c['candidates'][k - 1]:.1f}"
                    for k in marks
                ],
            ]
            for m, c in curves["methods"].items()
        ]
        lines += [
            "## Anytime curves",
            "",
            "Normalized best-so-far CV score, mean over problems (and seeds), "
            "against candidates (full-data evaluations for the multi-fidelity "
            "methods, whose best counts full-budget evaluations only) and against "
            "wall time as a fraction of random search's on the same problem and "
            "seed. Scores below -100 are drawn at -100.",
            "",
            *_md_table(["method", *[f"after {k} candidates" for k in marks]], rows),
            "",
        ]
        if "anytime" in figs:
            lines += [f"![anytime curves]({figs['anytime'].name})", ""]
    return lines


def _overhead_lines(results, figs):
    if not results.get("overhead"):
        return []
    head, rows = _overhead_rows(results)
    lines = [
        "## Overhead: "
        + results["meta"]["problem_info"]["ridge_overhead"]["description"],
        "",
        "Milliseconds per candidate = (wall - refit_time_ - sum of fit and score "
        "times) / candidates evaluated, `n_jobs=1`: what the method spends besides "
        "fitting (proposing candidates, cloning, splitting, dispatch, "
        "bookkeeping); random search shows the floor every search pays. "
        "Hyperband and halving: per evaluation (rows of `cv_results_`), with a "
        "budget of that many evaluations. skipped: scikit-optimize beyond "
        f"{results['meta']['config']['skopt_max_overhead']} candidates (seconds per "
        "candidate). not applicable: optuna's CMA-ES on a space with categorical "
        "dimensions.",
        "",
        *_md_table(head, rows),
        "",
    ]
    if "overhead" in figs:
        lines += [f"![overhead]({figs['overhead'].name})", ""]
    return lines


def _parallel_lines(results, ana):
    par = ana["parallel"]
    if not par["rows"]:
        return []
    head, rows = _parallel_rows(par)
    p = next(r["problem"] for r in results["parallel"] if r.get("problem"))
    desc = results["meta"]["problem_info"][p]["description"]
    n = results["meta"]["config"]["parallel_n_iter"]
    lines = [
        "## Parallel efficiency",
        "",
        f"{desc}, seed 0, n_iter={n} (the multi-fidelity methods: that compute). "
        "Search time (wall - refit) with `n_jobs=1`, with `n_jobs=2` on loky, and "
        "with joblib's dask backend on a `distributed.LocalCluster` of 2 "
        "single-threaded worker processes (`n_jobs=2`); speedup over `n_jobs=1` "
        "(efficiency = speedup / 2). In parentheses: the mean time to fit and "
        "score one fold. 'results differ!' would flag a backend that changed the "
        "candidates or the scores (skhpo promises identical `cv_results_`).",
        "",
        *_md_table(head, rows),
        "",
    ]
    for e in par["errors"]:
        lines += [f"- {e.get('backend', '')}: {e.get('error', '')}", ""]
    return lines


def _hyperband_lines(results, ana):
    hb = results.get("hyperband_target")
    lines = []
    if hb:
        head, rows = _hyperband_rows(results)
        lines += [
            "## Hyperband: time to random search's final score",
            "",
            f"bench_hyperband.py's timing machinery and problem: {hb['description']} "
            f"RandomizedSearchCV(n_iter={hb['n_iter']}) against HyperbandSearchCV "
            f"with its defaults, `n_jobs={hb['n_jobs']}`, same data, splits and "
            "seed; the time at which a full-budget candidate of the method first "
            "reached random search's final CV score of the same seed, over random "
            "search's search time (candidates within a batch are interpolated by "
            "their fit times).",
            "",
            *_md_table(head, rows),
            "",
        ]
    small = ana["hyperband_small"]
    if small:
        got = [x for x in small if x is not None]
        lines += [
            "On the small problems of the quality runs (`n_jobs=1`, equal compute), "
            "HyperbandSearchCV reached random search's final CV score on "
            f"{len(got)} of {len(small)} (problem, seed) pairs"
            + (
                f", in a median {np.median(got):.2f} of random search's wall time "
                f"({sum(x <= 1 / 3 for x in got)} within a third)."
                if got
                else "."
            ),
            "",
        ]
    return lines


def _not_run_lines(results):
    lines = []
    groups = {}
    for key in ("quality", "overhead", "parallel"):
        for r in results.get(key, []):
            if r["status"] == "ok":
                continue
            if r["status"] in ("not applicable", "skipped"):
                what = f"{r['status']}: {r['reason']}"
            else:
                what = f"failed at {r.get('stage')}: {r.get('error', '')[:300]}"
            groups.setdefault((r["method"], key, what), []).append(r)
    for (method, key, what), rs in groups.items():
        where = ", ".join(sorted({str(r.get("problem")) for r in rs}))
        lines.append(f"- {method} ({key}, {len(rs)} run(s) on {where}): {what}")
    odd = [
        r
        for r in results.get("quality", [])
        if r["status"] == "ok" and r.get("n_violations")
    ]
    for r in odd:
        lines.append(
            f"- {r['method']} on {r['problem']} (seed {r['seed']}): "
            f"{r['n_violations']} candidates outside the space, e.g. "
            f"{r['violations'][:2]}"
        )
    if not lines:
        return []
    return ["## Methods not run, failures and anomalies", "", *lines, ""]


def _worst_problems(results, a, b, k=2):
    """The ``k`` problems where ``a - b`` (normalized, mean over seeds) is lowest."""
    per = {}
    for p in results["meta"]["problems"]:
        by_seed = {}
        for r in results.get("quality", []):
            if r["problem"] == p and "normalized" in r:
                by_seed.setdefault(r["seed"], {})[r["method"]] = r["normalized"]
        d = [v[a] - v[b] for v in by_seed.values() if a in v and b in v]
        if d:
            per[p] = float(np.mean(d))
    worst = sorted(per, key=per.get)[:k]
    return ", ".join(f"{p} {per[p]:+.1f}" for p in worst if per[p] < 0)


def _closing_lines(results, ana):
    failed = [t for t in ana["targets"] if t["verdict"] == "FAIL"]
    lines = ["## Closing note", ""]
    if not failed:
        lines.append("Every target is met on its point estimate.")
    for t in failed:
        lines.append(f"- Missed: {t['title']}.")
        for c in t.get("comparisons", []):
            if c["higher"]:
                continue
            sig = (
                "a clear gap: the paired interval excludes 0"
                if c["paired"] and c["paired"][2] < 0
                else "the paired interval includes 0: more seeds would tell"
            )
            worst = _worst_problems(results, c["a"], c["b"])
            lines.append(
                f"  - {c['a']} {c['mean_a'][0]:.1f} is below {c['b']} "
                f"{c['mean_b'][0]:.1f} (paired {ci(c['paired'], signed=True)}; "
                f"{sig})" + (f"; it loses most on {worst}" if worst else "") + "."
            )
        for b in t.get("missing", []):
            lines.append(f"  - {b} has no successful run to compare with.")
        if "detail" in t:
            lines.append(f"  - {t['detail']}.")
    unclaimed = {}
    for t in ana["targets"]:
        for c in t.get("comparisons", []):
            if c["higher"] and not c["separated"]:
                who = t["title"].split(" above")[0]
                unclaimed.setdefault(who, {})[c["b"]] = None
    if unclaimed:
        lines += [
            "",
            "Higher but not separated (the two 95% intervals overlap, so no "
            "difference is claimed; more seeds or problems would narrow them): "
            + "; ".join(f"{w} vs {', '.join(bs)}" for w, bs in unclaimed.items())
            + ".",
        ]
    return [*lines, ""]


# --------------------------------------------------------------------------------------
# Doc fragment
# --------------------------------------------------------------------------------------


def _duration(seconds):
    if not seconds < 600:  # NaN included
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} s"


def _rst_targets(targets):
    lines = []
    for t in targets:
        lines += [f"- **{t['verdict']}**: {t['title']}.", ""]
        if "detail" in t:
            lines += [f"  {t['detail']}.", ""]
        subs = [
            f"  - vs {c['b']}: {ci(c['mean_a'])} vs {ci(c['mean_b'])}"
            + ("" if c["all_problems"] else f" ({len(c['problems'])} problem(s))")
            + ("; separated" if c["separated"] else "; intervals overlap")
            for c in t.get("comparisons", [])
        ]
        lines += [*subs, ""] if subs else []
    return lines


def rst_fragment(results, ana, doc_figs):
    meta = results["meta"]
    s = ana["summary"]
    lines = [
        ".. Generated by benchmarks/bench_suite.py: do not edit by hand.",
        "",
    ]
    if meta.get("quick"):
        lines += [
            ".. warning::",
            "",
            "   These numbers come from a ``--quick`` smoke run (few problems, "
            f"{len(meta['seeds'])} seeds, {meta['n_iter']} candidates): they show what "
            "the page holds, not how the methods compare. Run the full suite to "
            "replace them.",
            "",
        ]
    lines += [
        f"Run of {meta['date']}: ``{meta['command']}``, "
        f"{_duration(meta.get('runtime_s', math.nan))} on {meta['machine']}; "
        f"{len(meta['problems'])} problems, seeds {meta['seeds']}, "
        f"{meta['n_iter']} candidates per search.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + ".",
        "",
        "Targets",
        "~~~~~~~",
        "",
    ]
    lines += _rst_targets(ana["targets"])
    if s:
        lines += [
            "Normalized scores",
            "~~~~~~~~~~~~~~~~~",
            "",
            *_rst_table(_SCORE_HEAD, _score_rows(results, s)),
        ]
        for name, alt in (("scores", "normalized scores"), ("anytime", "anytime")):
            if name in doc_figs:
                lines += [
                    f".. figure:: /{DOC_FIGURES}/{doc_figs[name].name}",
                    f"   :alt: {alt}",
                    "   :width: 100%",
                    "",
                ]
    if results.get("overhead"):
        head, rows = _overhead_rows(results)
        lines += [
            "Overhead per candidate (ms)",
            "~~~~~~~~~~~~~~~~~~~~~~~~~~~",
            "",
            *_rst_table(head, rows),
        ]
        if "overhead" in doc_figs:
            lines += [
                f".. figure:: /{DOC_FIGURES}/{doc_figs['overhead'].name}",
                "   :alt: overhead",
                "   :width: 70%",
                "",
            ]
    if ana["parallel"]["rows"]:
        head, rows = _parallel_rows(ana["parallel"])
        lines += [
            "Parallel efficiency",
            "~~~~~~~~~~~~~~~~~~~",
            "",
            *_rst_table(head, rows),
        ]
    head, rows = _hyperband_rows(results)
    if rows:
        lines += [
            "Hyperband: time to random search's final score",
            "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
            "",
            *_rst_table(head, rows),
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------


def write_outputs(results, out, doc=None):
    """Write the JSON, the Markdown report, the figures and, with ``doc``, the doc
    fragment and its figures; print the report."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ana = analyse(results)
    s = ana["summary"]
    results["summary"] = jsonable(
        {
            "refs": s["refs"] if s else {},
            "aggregate": s["agg"] if s else {},
            "targets": ana["targets"],
            "parallel": ana["parallel"],
        }
    )
    out.write_text(json.dumps(results, indent=1))
    figs = figures(results, ana, out.parent, out.stem)
    report = markdown(results, ana, figs)
    out.with_suffix(".md").write_text(report)
    print(report)
    written = [out, out.with_suffix(".md"), *figs.values()]
    if doc:
        target = Path(doc) / DOC_FIGURES
        target.mkdir(parents=True, exist_ok=True)
        doc_figs = {}
        for name, path in figs.items():
            doc_figs[name] = target / f"{name}.png"
            shutil.copyfile(path, doc_figs[name])
        fragment = Path(doc) / DOC_FRAGMENT
        fragment.write_text(rst_fragment(results, ana, doc_figs))
        written += [fragment, *doc_figs.values()]
    print("wrote " + ", ".join(str(p) for p in written))
    return written
