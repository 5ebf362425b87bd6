# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""The figures of ``bench_suite.py``: scores with intervals, anytime, overhead."""

from __future__ import annotations

from _suite_analysis import CLIP, OVERHEAD_TARGET_MS, info

# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------


def _style(results, methods):
    import matplotlib

    cmap = matplotlib.colormaps["tab20"]
    styles = {}
    for i, m in enumerate(methods):
        ours = info(results, m)["ours"]
        styles[m] = {
            "color": cmap(i % 20),
            "linestyle": "-" if ours else "--",
            "linewidth": 2.0 if ours else 1.2,
        }
    return styles


def figures(results, ana, directory, stem):
    """Write the PNG figures; return ``{name: path}``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta = results["meta"]
    methods = meta["methods"]
    styles = _style(results, methods)
    paths = {}
    s = ana["summary"]
    tag = " (--quick smoke run)" if meta.get("quick") else ""

    if s and s["agg"]:
        order = sorted(s["agg"], key=lambda m: s["agg"][m]["mean"][0])
        fig, axes = plt.subplots(1, 2, figsize=(10, 0.45 * len(order) + 1.6))
        for ax, key, title in (
            (axes[0], "mean", "normalized best CV score"),
            (axes[1], "mean_test", "normalized test score of the refit model"),
        ):
            for i, m in enumerate(order):
                t = s["agg"][m][key]
                if t is None:
                    continue
                ax.barh(i, t[0], color=styles[m]["color"], alpha=0.8)
                ax.errorbar(
                    t[0], i, xerr=[[t[0] - t[1]], [t[2] - t[0]]], color="k", capsize=3
                )
            # Bayesmark's scale is unbounded below: show [-100, 100] and write the
            # value of a mean beyond it at the left edge.
            ax.set_xlim(-105, 105)
            for i, m in enumerate(order):
                t = s["agg"][m][key]
                if t is not None and t[0] < -105:
                    ax.text(-103, i, f"{t[0]:.0f}", va="center", fontsize=7)
            ax.set_yticks(range(len(order)))
            labels = [
                m + ("" if s["agg"][m]["n_problems"] == len(s["problems"]) else " *")
                for m in order
            ]
            ax.set_yticklabels(labels if ax is axes[0] else [])
            ax.axvline(0, color="grey", lw=0.8)
            ax.set_xlabel(f"{title}\n(mean over problems, 95% bootstrap CI)")
            ax.grid(axis="x", alpha=0.3)
        fig.suptitle(f"random search = 0, best seen = 100{tag}")
        fig.tight_layout()
        paths["scores"] = directory / f"{stem}_scores.png"
        fig.savefig(paths["scores"], dpi=110)
        plt.close(fig)

    curves = ana["curves"]
    if curves.get("methods"):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        for m, c in curves["methods"].items():
            axes[0].plot(curves["grid_c"], c["candidates"], label=m, **styles[m])
            if c["time"] is not None:
                axes[1].plot(curves["grid_t"], c["time"], label=m, **styles[m])
        axes[0].set_xlabel("candidates (full-data evaluations for Hyperband, halving)")
        axes[1].set_xlabel("wall time / random search's wall time (same problem, seed)")
        axes[1].set_xscale("log")
        for ax in axes:
            ax.set_ylabel("normalized best-so-far CV score")
            ax.axhline(0, color="grey", lw=0.5)
            ax.set_ylim(CLIP - 5, 105)
            ax.grid(alpha=0.3)
        axes[1].axvline(1, color="grey", lw=0.5)
        axes[1].legend(fontsize=7, loc="lower right", ncol=2)
        fig.suptitle(f"Anytime performance, mean over problems{tag}")
        fig.tight_layout()
        paths["anytime"] = directory / f"{stem}_anytime.png"
        fig.savefig(paths["anytime"], dpi=110)
        plt.close(fig)

    ov = [r for r in results.get("overhead", []) if r["status"] == "ok"]
    if ov:
        fig, ax = plt.subplots(figsize=(6.5, 4.2))
        for m in methods:
            rs = sorted(
                (r for r in ov if r["method"] == m), key=lambda r: r["n_candidates"]
            )
            if rs:
                ax.plot(
                    [r["n_candidates"] for r in rs],
                    [max(1000 * r["overhead_per_candidate"], 1e-2) for r in rs],
                    marker="o",
                    label=m,
                    **styles[m],
                )
        ax.set_xscale("log")
        ax.set_yscale("log")
        sizes = sorted({r["n_iter"] for r in ov})
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.minorticks_off()
        ax.set_xlabel("candidates evaluated (rows for Hyperband, halving)")
        ax.set_ylabel("optimizer overhead, ms per candidate")
        ax.axhline(OVERHEAD_TARGET_MS, color="grey", lw=0.8, ls=":")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, ncol=2)
        ax.set_title(f"Overhead on a near-free estimator{tag}", fontsize=10)
        fig.tight_layout()
        paths["overhead"] = directory / f"{stem}_overhead.png"
        fig.savefig(paths["overhead"], dpi=110)
        plt.close(fig)
    return paths
