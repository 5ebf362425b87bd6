# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skhpo._optimizers.base import RandomSampler
from skhpo._optimizers.hyperband import (
    Bracket,
    Hyperband,
    hyperband_brackets,
    top_k,
    total_cost,
)

# (min_resources, max_resources, factor): integer and non-integer ratios and
# factors, a factor close to 1 (rounding collisions), R below eta, R == 1.
CASES = [
    (1, 81, 3),
    (1, 80, 3),
    (1, 82, 3),
    (5, 1000, 3),
    (5, 1000, 2.5),
    (100, 16000, 3),
    (1, 1000, 10),
    (3, 1000, 2),
    (1, 5, 1.2),
    (2, 50, 1.1),
    (1, 2, 3),
    (7, 7, 3),
    (1, 100, np.float64(4.0)),
]


def test_paper_table_1():
    # Li et al. (2018), Table 1: R = 81, eta = 3.
    brackets = hyperband_brackets(1, 81, 3)
    assert [b.s for b in brackets] == [4, 3, 2, 1, 0]
    assert [b.n_candidates for b in brackets] == [
        (81, 27, 9, 3, 1),
        (34, 11, 3, 1),
        (15, 5, 1),
        (8, 2),
        (5,),
    ]
    assert [b.resources for b in brackets] == [
        (1, 3, 9, 27, 81),
        (3, 9, 27, 81),
        (9, 27, 81),
        (27, 81),
        (81,),
    ]
    expected = sum(n * r for b in brackets for n, r in zip(b.n_candidates, b.resources))
    assert total_cost(brackets) == expected
    assert isinstance(total_cost(brackets), float)


@pytest.mark.parametrize("min_resources, max_resources, factor", CASES)
def test_brackets_are_well_formed(min_resources, max_resources, factor):
    brackets = hyperband_brackets(min_resources, max_resources, factor)
    eta = Fraction(str(factor))
    R = Fraction(max_resources, min_resources)
    s_max = brackets[0].s
    # s_max = floor(log_eta R), checked exactly.
    assert eta**s_max <= R < eta ** (s_max + 1)
    assert [b.s for b in brackets] == list(range(s_max, -1, -1))
    for b in brackets:
        assert isinstance(b, Bracket)
        r, n = b.resources, b.n_candidates
        assert all(type(v) is int for v in r + n)
        assert len(r) == len(n) <= b.s + 1
        assert r[-1] == max_resources
        assert r[0] >= min_resources
        assert all(r0 < r1 for r0, r1 in itertools.pairwise(r))
        assert all(n0 >= n1 >= 1 for n0, n1 in itertools.pairwise(n))
        assert n[-1] >= 1
        # n = ceil((s_max + 1) / (s + 1) * eta^s) candidates in the first rung.
        assert n[0] == math.ceil(Fraction(s_max + 1, b.s + 1) * eta**b.s)


@pytest.mark.parametrize(
    "min_resources, max_resources, factor, s_max",
    [
        (1, 1000, 10, 3),  # float log gives 2.9999999999999996
        (4, 25, 2.5, 2),  # 2.5^2 == 6.25 exactly
        (1, 81, 3, 4),
        (1, 80, 3, 3),
        (1, 243, 3, 5),
        (1, 2, 3, 0),
        (1, 8, 2, 3),
    ],
)
def test_s_max_has_no_float_off_by_one(min_resources, max_resources, factor, s_max):
    assert hyperband_brackets(min_resources, max_resources, factor)[0].s == s_max


def test_non_integer_ratio():
    # R = 200, eta = 3: s_max = 4 and the first rung is above min_resources.
    first = hyperband_brackets(5, 1000, 3)[0]
    assert first.s == 4
    assert first.n_candidates == (81, 27, 9, 3, 1)
    assert first.resources[0] == round(1000 / 81)
    # R = 200, eta = 2.5: s_max = 5 (2.5^5 = 97.7 <= 200 < 244.1).
    assert hyperband_brackets(5, 1000, 2.5)[0].s == 5


def test_rounding_collisions_merge_rungs():
    # eta = 1.2 and min_resources = 1: several rungs round to the same integer.
    brackets = hyperband_brackets(1, 5, 1.2)
    assert any(len(b.resources) < b.s + 1 for b in brackets)
    # The merged rung keeps the first, larger n_i: n_0 candidates at r = 1.
    first = brackets[0]
    assert first.resources[0] == 1
    assert first.n_candidates[0] == math.ceil(Fraction(6, 5) ** first.s)


def test_equal_resources_is_random_search():
    assert hyperband_brackets(7, 7, 3) == [Bracket(0, (1,), (7,))]
    assert hyperband_brackets(7, 7, 3, n_brackets=3) == [Bracket(0, (1,), (7,))] * 3


def test_n_brackets_cycles_from_the_most_aggressive():
    full = hyperband_brackets(1, 81, 3)
    assert hyperband_brackets(1, 81, 3, n_brackets=None) == full
    assert hyperband_brackets(1, 81, 3, n_brackets=5) == full
    assert hyperband_brackets(1, 81, 3, n_brackets=2) == full[:2]
    seven = hyperband_brackets(1, 81, 3, n_brackets=7)
    assert [b.s for b in seven] == [4, 3, 2, 1, 0, 4, 3]
    assert seven[5:] == full[:2]
    assert total_cost(seven) == total_cost(full) + total_cost(full[:2])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"min_resources": 0}, "min_resources must .* got 0"),
        ({"min_resources": 1.5}, "min_resources must .* got 1.5"),
        ({"min_resources": True}, "min_resources must .* got True"),
        ({"max_resources": 81.0}, r"max_resources must .* got 81\.0"),
        ({"min_resources": 90}, "max_resources=81 < min_resources=90"),
        ({"factor": 1}, "factor must .* got 1"),
        ({"factor": 0.5}, r"factor must .* got 0\.5"),
        ({"factor": float("nan")}, "factor must .* got nan"),
        ({"factor": float("inf")}, "factor must .* got inf"),
        ({"factor": "3"}, "factor must .* got '3'"),
        ({"n_brackets": 0}, "n_brackets must .* got 0"),
        ({"n_brackets": 2.0}, r"n_brackets must .* got 2\.0"),
    ],
)
def test_bad_arguments_show_the_value(kwargs, match):
    params = {"min_resources": 1, "max_resources": 81, "factor": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        hyperband_brackets(**params)


def test_top_k_ranks_failures_last_and_breaks_ties_by_index():
    losses = np.array([0.5, np.nan, 0.1, 0.5, np.inf, 0.1, np.nan, -1.0])
    assert_array_equal(top_k(losses, 8), [7, 2, 5, 0, 3, 4, 1, 6])
    assert_array_equal(top_k(losses, 3), [7, 2, 5])
    assert top_k(losses, 0).shape == (0,)
    assert top_k(losses, 2).dtype == np.intp
    assert_array_equal(top_k([np.nan, np.nan, 2.0], 2), [2, 0])
    assert_array_equal(top_k([1.0, 1.0, 1.0], 2), [0, 1])


@pytest.mark.parametrize(
    "losses, k, match",
    [
        ([1.0, 2.0], 3, r"k must .*\[0, 2\].* got 3"),
        ([1.0, 2.0], -1, "got -1"),
        ([1.0, 2.0], 1.0, r"got 1\.0"),
        ([[1.0, 2.0]], 1, r"1-d, got shape \(1, 2\)"),
    ],
)
def test_top_k_rejects_bad_arguments(losses, k, match):
    with pytest.raises(ValueError, match=match):
        top_k(losses, k)


# -- ASHA: the brackets run as an ask/tell optimizer of trials ---------------------
def _asha(brackets, seed=0, unseen=None, asynchronous=True):
    optimizer = Hyperband(brackets, RandomSampler(2, random_state=seed), unseen=unseen)
    optimizer.asynchronous = asynchronous
    return optimizer


def _run(optimizer, loss, lag=0):
    """Ask one trial at a time, tell each ``lag`` trials later; return the trials
    as ``(id, x, fidelity, loss)`` in the order asked."""
    trials, pending = [], []
    while True:
        if optimizer.can_ask():
            (i,), X = optimizer.ask_ids(1)
            fidelity = optimizer.fidelity(i)
            trials.append((i, X[0], fidelity, loss(X[0], fidelity.resource)))
            pending.append(trials[-1])
            if len(pending) <= lag:
                continue
        elif not pending:
            return trials
        i, _, _, y = pending.pop(0)
        optimizer.tell_ids([i], [y])


def test_asha_promotes_before_the_rung_is_complete():
    bracket = Bracket(s=2, n_candidates=(9, 3, 1), resources=(1, 3, 9))
    optimizer = _asha([bracket])
    ids, X = optimizer.ask_ids(3)
    assert [optimizer.fidelity(i).resource for i in ids] == [1, 1, 1]
    optimizer.tell_ids(ids, [0.5, 0.1, 0.9])
    # 3 of 9 results: the best one is in the top 3 / 9 * 3 = 1, promoted at once
    (i,), X_up = optimizer.ask_ids(1)
    assert optimizer.fidelity(i) == (
        3,
        False,
        {"iter": 1, "bracket": 2, "n_resources": 3},
        ids[1],  # it continues the candidate's trial of rung 0
        0,  # the first rung with this resource
    )
    assert_array_equal(X_up[0], X[1])


def test_asha_never_promotes_a_failure_on_partial_results():
    bracket = Bracket(s=1, n_candidates=(4, 2), resources=(1, 3))
    optimizer = _asha([bracket])
    ids, _ = optimizer.ask_ids(2)
    optimizer.tell_ids(ids, [np.nan, np.nan])  # top 2 * 2 / 4 = 1: but failed
    (i,), _ = optimizer.ask_ids(1)
    assert optimizer.fidelity(i).resource == 1


def test_certain_promotions_come_before_the_rung_is_complete():
    # Reproducible mode: 7 of 9 results known, 2 unknown; the best of the 7 is
    # in the top 3 of the complete rung whatever the other 2 are.
    bracket = Bracket(s=2, n_candidates=(9, 3, 1), resources=(1, 3, 9))
    optimizer = _asha([bracket], asynchronous=False)
    ids, X = optimizer.ask_ids(9)
    optimizer.tell_ids(ids[:6], [0.6, 0.1, 0.9, 0.5, 0.7, 0.8])
    assert not optimizer.can_ask()  # the best of 6 could still be 4th of 9
    optimizer.tell_ids(ids[6:7], [0.95])
    (i,), X_up = optimizer.ask_ids(1)
    assert optimizer.fidelity(i).resource == 3
    assert_array_equal(X_up[0], X[1])
    assert not optimizer.can_ask()  # the second best (0.5) is not certain yet


@pytest.mark.parametrize("asynchronous", [False, True])
@pytest.mark.parametrize("lag", [0, 2, 7])
@pytest.mark.parametrize("seed", range(5))
def test_asha_promotes_everything_synchronous_halving_would(asynchronous, lag, seed):
    brackets = hyperband_brackets(1, 27, 3)
    noise = np.random.RandomState(seed)
    optimizer = _asha(brackets, seed, asynchronous=asynchronous)
    trials = _run(optimizer, lambda x, r: x[0] + noise.normal(0, 1 / r), lag)
    cost = sum(fidelity.resource for _, _, fidelity, _ in trials)
    if asynchronous:
        # Candidates promoted early on partial results cost a little more than
        # the plan, never more than twice the plan of the rungs above the first.
        assert total_cost(brackets) <= cost <= 2 * total_cost(brackets)
    else:  # certain promotions only: synchronous successive halving's plan
        assert cost == total_cost(brackets)
    for bracket in brackets:
        rungs = [
            [
                (tuple(x), y)
                for _, x, f, y in trials
                if f.columns["bracket"] == bracket.s and f.columns["iter"] == i
            ]
            for i in range(len(bracket.resources))
        ]
        assert len(rungs[0]) == bracket.n_candidates[0]
        for i, n_next in enumerate(bracket.n_candidates[1:]):
            best = sorted(rungs[i], key=lambda row: row[1])[:n_next]
            promoted = {x for x, _ in rungs[i + 1]}
            assert {x for x, _ in best} <= promoted
            assert n_next <= len(promoted) <= 2 * n_next
            if not asynchronous:
                assert {x for x, _ in best} == promoted


def test_asha_results_do_not_depend_on_tell_timing_only_on_order():
    brackets = hyperband_brackets(1, 9, 3)
    one, two = (
        [(tuple(x), f, y) for _, x, f, y in _run(_asha(brackets), lambda x, r: x[1])]
        for _ in range(2)
    )
    assert one == two


def test_asha_goes_on_with_fewer_candidates_when_the_space_is_exhausted():
    brackets = hyperband_brackets(1, 9, 3)
    seen = []

    def unseen(X):  # a space of 5 candidates
        X = X[: 5 - len(seen)]
        seen.extend(X)
        return X

    optimizer = _asha(brackets, unseen=unseen)
    trials = _run(optimizer, lambda x, r: x[0])
    assert len({tuple(x) for _, x, _, _ in trials}) == 5
    # bracket (9, 3, 1) starts with the 5 candidates there are, and keeps its plan
    # for the rungs above
    assert optimizer.rung_sizes()[:3] == [5, 3, 1]
    assert not optimizer.can_ask()


def test_asha_rejects_unknown_ids():
    optimizer = _asha(hyperband_brackets(1, 9, 3))
    ids, _ = optimizer.ask_ids(1)
    optimizer.tell_ids(ids, [0.0])
    with pytest.raises(ValueError, match="was not asked, or was told already"):
        optimizer.tell_ids(ids, [0.0])


@pytest.mark.parametrize("asynchronous", [False, True])
def test_every_trial_is_continued_or_settled(asynchronous):
    # A caller keeping fitted models to continue frees each one, exactly once:
    # when its promotion continues it, or when no promotion will.
    optimizer = _asha(hyperband_brackets(1, 27, 3), asynchronous=asynchronous)
    trials = _run(optimizer, lambda x, r: x[0] + x[1] / r, lag=3)
    settled = optimizer.settled_ids()
    continued = [f.continues for _, _, f, _ in trials if f.continues is not None]
    not_final = [i for i, _, f, _ in trials if not f.final]
    assert len(settled) == len(set(settled))
    assert sorted(settled + continued) == sorted(not_final)


def test_halving_plan_is_scikit_learns_arithmetic():
    from skhpo._optimizers.hyperband import halving_plan

    plan = halving_plan(20, 20, 1000, 3)
    assert plan.bracket.n_candidates == (20, 7, 3)
    assert plan.bracket.resources == (20, 60, 180)
    assert (plan.n_required_iterations, plan.n_possible_iterations) == (3, 4)
    # Too few resources: fewer rungs, unless eliminated aggressively on the
    # first rung's budget, repeated.
    assert halving_plan(20, 20, 100, 3).bracket.resources == (20, 60)
    aggressive = halving_plan(20, 20, 100, 3, aggressive_elimination=True)
    assert aggressive.bracket.n_candidates == (20, 7, 3)
    assert aggressive.bracket.resources == (20, 20, 60)


def test_a_repeated_resource_is_a_trial_of_its_own():
    # Aggressive elimination re-ranks on the same resource: the promoted trial
    # continues nothing and is marked as the rung's repeat.
    from skhpo._optimizers.hyperband import halving_plan

    bracket = halving_plan(9, 1, 3, 3, aggressive_elimination=True).bracket
    assert bracket.resources == (1, 1, 3)
    optimizer = Hyperband([bracket], RandomSampler(1, random_state=0))
    ids, _ = optimizer.ask_ids(9)
    optimizer.tell_ids(ids, np.arange(9.0))
    up, _ = optimizer.ask_ids(3)
    for i in up:
        fidelity = optimizer.fidelity(i)
        assert (fidelity.resource, fidelity.continues, fidelity.repeat) == (1, None, 1)
