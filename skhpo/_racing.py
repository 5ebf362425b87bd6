# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Fold-level racing: stop a candidate once its first folds show it is worse.

Every candidate is scored on the same frozen CV splits, so a candidate and the
best one seen so far can be compared fold by fold: a paired comparison, far more
sensitive than comparing two means, since most of the spread between folds is the
folds' own difficulty, shared by both. In the spirit of F-Race (Birattari, Stützle,
Paquete & Varrentrapp, GECCO 2002) and of the Hoeffding races of Maron & Moore
(NIPS 1993), restricted here to the pair that matters: the candidate against the
best fully evaluated one, its *reference*.

The folds of a candidate run in waves: the first two, then as many again, and so
on (2, 4, 8, ... folds in all, and every fold at the end). After each wave the
candidate's scores on the folds run so far are compared with the reference's on
the same folds by a one-sided paired t-test (Student 1908), and the rest of its
folds are dropped once it is worse at level ``alpha``.

On two folds a t-test alone has one degree of freedom, and stops only the
hopeless. But a search makes many such comparisons, and the variance of the
paired differences is much alike from one to the next: the test is *moderated*
as in Smyth's empirical Bayes t-test (Smyth, Stat. Appl. Genet. Mol. Biol.
2004). The fold-to-fold variances of the differences of the earlier candidates
that ran every fold give a prior, a scaled inverse chi-square with ``d0``
degrees of freedom fitted to them by moments of their logarithms; a candidate's
variance is shrunk toward it and its t-statistic has ``n - 1 + d0`` degrees of
freedom. Where the earlier variances differ widely ``d0`` is small and the test
is the plain one; where they agree it is nearer a z-test with the pooled
variance. The prior of a candidate is the one known when it was proposed (like
its reference), so decisions stay the same for any ``n_jobs``. Waves keep the workers of
a cluster busy (a wave's folds run side by side) while a losing candidate still
stops after two folds; decisions fall only at the end of a wave, on a fixed set
of folds, so they do not depend on which fit finished first: with the
reproducible scheduling they, and so ``cv_results_``, are the same for any
``n_jobs``.

A candidate stopped this way is told to its optimizer with an estimate of the
mean score it would have had on every fold: the reference's mean plus the mean
paired difference (the folds it missed are taken to be as hard for it as they
were for the reference).
"""

import math
import warnings
from numbers import Real

import numpy as np
from scipy.special import digamma, polygamma
from scipy.stats import t as student_t

# The significance level of ``racing=True``.
DEFAULT_ALPHA = 0.05
# Folds run before the first comparison: a paired test needs two differences.
FIRST_WAVE = 2
# Earlier comparisons needed before the test is moderated.
MIN_PRIOR = 4


def check_racing(racing):
    """The level of the test, or None without racing; a ValueError otherwise."""
    if racing is None or isinstance(racing, (bool, np.bool_)):
        return DEFAULT_ALPHA if racing else None
    if isinstance(racing, Real) and 0.0 < float(racing) < 0.5:
        return float(racing)
    raise ValueError(
        f"racing must be True, False or a significance level in (0, 0.5), got "
        f"{racing!r}"
    )


def wave_ends(n_splits):
    """The number of folds run after each wave: 2, 4, 8, ..., ``n_splits``."""
    ends, end = [], FIRST_WAVE
    while end < n_splits:
        ends.append(end)
        end *= 2
    ends.append(n_splits)
    return ends


def is_worse(scores, reference, alpha, prior=None):
    """Whether ``scores`` are worse than ``reference``'s on the same folds.

    A one-sided paired t-test of ``mean(scores - reference) < 0`` at level
    ``alpha``, moderated by ``prior``, ``(d0, s0_squared)`` from
    :func:`variance_prior` (None: the plain test). A mean difference at the
    rounding level of the scores is a tie, never worse. Without a prior,
    differences that are all equal and negative have no spread to test: on three
    folds or more they count as worse, but not on two, where scores that move in
    steps (an accuracy on n test rows moves by 1 / n) make two equal differences
    common even between equally good candidates.
    """
    d = np.asarray(scores, dtype=float) - np.asarray(reference, dtype=float)
    n = len(d)
    if n < 2 or not np.all(np.isfinite(d)):
        return False
    rounding = 1e-12 * max(1.0, float(np.abs(reference).max()))
    mean = float(d.mean())
    if not mean < -rounding:
        return False
    var, df = float(d.var(ddof=1)), n - 1
    if prior is not None:
        d0, s0_squared = prior
        var = (d0 * s0_squared + df * var) / (d0 + df)
        df += d0
    if var <= rounding**2:
        return n >= 3
    t = mean / math.sqrt(var / n)
    return bool(t < student_t.ppf(alpha, df))


def variance_prior(variances, dfs):
    """The prior of the variance of paired differences, ``(d0, s0_squared)``.

    Fitted, as by Smyth (2004), to earlier sample variances ``variances`` with
    ``dfs`` degrees of freedom each: ``s0_squared`` their typical size, ``d0`` how
    much they agree beyond their own sampling noise (the moments of their
    logarithms), capped at the degrees of freedom they hold together. None with
    fewer than ``MIN_PRIOR`` positive variances.
    """
    variances = np.asarray(variances, dtype=float)
    dfs = np.asarray(dfs, dtype=float)
    keep = variances > 0
    variances, dfs = variances[keep], dfs[keep]
    if len(variances) < MIN_PRIOR:
        return None
    half = dfs / 2
    e = np.log(variances) - digamma(half) + np.log(half)
    e_mean = float(e.mean())
    e_var = float(e.var(ddof=1) - polygamma(1, half).mean())
    cap = float(dfs.sum())
    d0 = cap if e_var <= 0 else min(2 * _trigamma_inverse(e_var), cap)
    s0_squared = math.exp(e_mean + digamma(d0 / 2) - math.log(d0 / 2))
    return d0, s0_squared


def _trigamma_inverse(y):
    """The x > 0 with trigamma(x) = y (Newton's method, as in Smyth 2004)."""
    if y > 1e7:
        return 1 / math.sqrt(y)
    if y < 1e-6:
        return 1 / y
    x = 0.5 + 1 / y
    for _ in range(50):
        tri = float(polygamma(1, x))
        step = tri * (1 - tri / y) / float(polygamma(2, x))
        x += step
        if -step / x < 1e-8:
            break
    return x


def estimate(scores, reference):
    """The mean score a stopped candidate would have had on every fold.

    ``scores`` on the folds it ran, ``reference`` the reference's scores on all of
    them (the first ``len(scores)`` are the same folds).
    """
    reference = np.asarray(reference, dtype=float)
    k = len(scores)
    return float(reference.mean() + np.mean(np.asarray(scores) - reference[:k]))


# -- cv_results_ ---------------------------------------------------------------------
def _mean_scores(scores):
    """The mean of a list of scores, each a float or a dict of them."""
    if isinstance(scores[0], dict):
        return {m: float(np.mean([s[m] for s in scores])) for m in scores[0]}
    return float(np.mean(scores))


def fill_unrun(fits, n_splits):
    """Stand-ins for the folds a raced-out candidate never ran.

    ``fits`` holds ``n_splits`` results per candidate, None for an unrun fold. Each
    None becomes a copy of the candidate's first fit with the means of its run
    folds (scores and times), so that scikit-learn's formatting computes the means
    over the run folds, and warns of nothing; :func:`mask_unrun` then puts NaN in
    their columns. Returns the filled list and the mask of unrun folds,
    ``(n_candidates, n_splits)``, or None if every fold ran.
    """
    unrun = np.array([fit is None for fit in fits]).reshape(-1, n_splits)
    if not unrun.any():
        return fits, None
    fits = list(fits)
    for i in np.flatnonzero(unrun.any(axis=1)):
        run = [fit for fit in fits[i * n_splits : (i + 1) * n_splits] if fit]
        stand_in = dict(run[0])
        for key in ("test_scores", "train_scores"):
            if key in stand_in:
                stand_in[key] = _mean_scores([fit[key] for fit in run])
        for key in ("fit_time", "score_time"):
            stand_in[key] = float(np.mean([fit[key] for fit in run]))
        for k in np.flatnonzero(unrun[i]):
            fits[i * n_splits + k] = stand_in
    return fits, unrun


def _rank(means, full, failed):
    """scikit-learn's ranking (higher first, ties share the lowest rank, NaN
    last), with every candidate evaluated on all folds ahead of every raced-out
    one, and those ahead of the failed ones (a numeric ``error_score``)."""
    from scipy.stats import rankdata

    means = np.asarray(means, dtype=float)
    rank = np.empty(len(means), dtype=np.int32)
    finite = ~np.isnan(means)
    offset = 0
    tiers = (finite & full & ~failed, finite & ~full & ~failed, finite & failed)
    for tier in tiers:
        rows = np.flatnonzero(tier)
        if rows.size:
            rank[rows] = offset + rankdata(-means[rows], method="min")
        offset += rows.size
    rank[~finite] = offset + 1
    return rank


def mask_unrun(results, unrun, times, failed):
    """NaN in the split columns of unrun folds, standard deviations over the run
    folds, rankings with the raced-out candidates below the fully evaluated ones;
    in place.

    ``times``: ``{"fit_time": (n_candidates, n_splits), "score_time": ...}``, the
    measured times (NaN for unrun folds); ``failed``: (n_candidates,), whether a
    fit of the candidate failed.
    """
    n_splits = unrun.shape[1]
    full = ~unrun.any(axis=1)
    raced = np.flatnonzero(~full)
    prefixes = {
        name[len("split0_") :]
        for name in results
        if name.startswith("split0_")
        and name[len("split0_") :].startswith(("test_", "train_"))
    }
    for suffix in prefixes:
        columns = [f"split{k}_{suffix}" for k in range(n_splits)]
        values = np.column_stack([np.asarray(results[c], dtype=float) for c in columns])
        values[unrun] = np.nan
        for k, c in enumerate(columns):
            results[c] = values[:, k]
        _set_std(results, f"std_{suffix}", raced, values)
        if f"rank_{suffix}" in results:
            results[f"rank_{suffix}"] = _rank(results[f"mean_{suffix}"], full, failed)
    for name, values in times.items():
        _set_std(results, f"std_{name}", raced, values)


def _set_std(results, name, rows, values):
    """The population standard deviation over the run folds, on ``rows``."""
    std = np.array(results[name], dtype=float)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a row of NaN scores
        std[rows] = np.nanstd(values[rows], axis=1)
    results[name] = std
