# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""A real-coded genetic algorithm for mixed continuous, integer and categorical spaces.

One generation is one batch of ``population_size`` offspring. The operators, each
from the paper that introduced or analysed it:

- Initial population: scrambled Sobol points (Owen, "Scrambling Sobol' and
  Niederreiter-Xing points", J. Complexity 14, 1998).
- Selection: tournaments of ``tournament_size`` drawn with replacement (Goldberg &
  Deb, "A comparative analysis of selection schemes used in genetic algorithms",
  FOGA 1, 1991), or truncation: parents drawn uniformly from the best half
  (Mühlenbein & Schlierkamp-Voosen, "Predictive models for the breeder genetic
  algorithm", Evol. Comput. 1(1), 1993).
- Crossover: simulated binary crossover (SBX) on real genes (Deb & Agrawal,
  "Simulated binary crossover for continuous search space", Complex Systems 9(2),
  1995), uniform crossover on integer and categorical genes
  (Syswerda, "Uniform crossover in genetic algorithms", ICGA 1989).
- Mutation: each gene mutates with probability ``mutation_rate``, by default 1/d
  (Bäck, "Optimal mutation rates in genetic search", ICGA 1993). Real genes take a
  Gaussian step of standard deviation sigma, reflected at the bounds; integer genes
  a Gaussian step of ``max(sigma * k, 1)`` cells, reflected in continuous space
  before snapping so that the end cells are not favoured; categorical genes jump
  to one of the other categories, uniformly.
- Step size: sigma follows the 1/5th success rule (Rechenberg, "Evolutionsstrategie",
  1973; Schwefel 1981) in the smooth form
  ``sigma <- sigma * exp((p_s - 1/5) / (1 - 1/5) / d_sigma)`` of Kern, Müller,
  Hansen, Büche, Ocenasek & Koumoutsakos, "Learning probability distributions in
  continuous evolutionary algorithms - a comparative review", Natural Computing 3,
  2004), where ``p_s`` is the fraction of the generation's offspring
  that beat the parent they descend from.
- Replacement: generational with elitism (De Jong, "An analysis of the behavior of
  a class of genetic adaptive systems", PhD thesis, 1975): the ``elitism`` best of
  parents and offspring survive unchanged and are never asked again; the other
  places go to the best offspring.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import qmc

from skhpo._optimizers.base import Optimizer, check_float, check_int, reflect, sobol

# SBX distribution index eta_c (Deb & Agrawal 1995): small values spread children
# far from their parents, which suits the small populations of a tuning budget.
_ETA_C = 3.0
# Initial and extreme mutation step sizes, as fractions of the range [0, 1].
_SIGMA0 = 0.1
_SIGMA_MIN = 1e-5
_SIGMA_MAX = 0.5
# 1/5th success rule: target success rate and damping (Kern et al. 2004).
_P_TARGET = 0.2
_D_SIGMA = 2.0
# Truncation selection keeps this fraction of the population as parents.
_TRUNCATION = 0.5
# How many times a child identical to an evaluated point is mutated again, with a
# doubled step each time, before it is proposed anyway.
_MAX_RETRIES = 8


class GeneticAlgorithm(Optimizer):
    """Real-coded genetic algorithm with an adaptive Gaussian mutation.

    Parameters
    ----------
    n_dims : int
        Number of coordinates of a point.
    kinds : sequence of {"real", "integer", "categorical"}, default=None
        What each coordinate encodes; ``None`` means all real.
    n_choices : sequence of int, default=None
        Number of equal cells of each coordinate, 0 for continuous ones (which
        include discrete coordinates with unequal cells).
    population_size : int, default=None
        Individuals per generation, hence points per batch. ``None`` means
        ``max(10, round(4 + 3 ln d))``: CMA-ES's default population (Hansen, "The
        CMA Evolution Strategy: A Tutorial", 2016, eq. (48)), which is sized for
        budgets of a few hundred points, so that they still run 20 to 40
        generations (larger populations did worse at 300 evaluations on Rastrigin
        and Rosenbrock), but never under 10, below which tournaments and the
        elite take over the population within a few generations.
    selection : {"tournament", "truncation"}, default="tournament"
        How parents are chosen.
    tournament_size : int, default=3
        Contestants per tournament, drawn with replacement.
    crossover_rate : float, default=0.9
        Probability that a pair of parents is recombined rather than copied.
    mutation_rate : float, default=None
        Probability that a gene mutates; ``None`` means ``1 / n_dims``.
    elitism : int, default=1
        Number of best individuals that survive each generation unchanged.
    random_state : int, RandomState instance or None, default=None
        The only source of randomness.
    """

    @property
    def _whole_batches(self):
        # Generational replacement needs the whole generation; the asynchronous
        # GA is steady-state (each child competes as soon as its result is in):
        # see _tell_async.
        return not self.asynchronous

    def __init__(
        self,
        n_dims,
        *,
        kinds=None,
        n_choices=None,
        population_size=None,
        selection="tournament",
        tournament_size=3,
        crossover_rate=0.9,
        mutation_rate=None,
        elitism=1,
        random_state=None,
    ):
        super().__init__(
            n_dims, kinds=kinds, n_choices=n_choices, random_state=random_state
        )
        d = self.n_dims
        population_size = check_int("population_size", population_size, 2, True)
        if population_size is None:
            population_size = max(10, round(4 + 3 * math.log(d)))
        self.population_size = population_size
        if selection not in ("tournament", "truncation"):
            raise ValueError(
                f"selection must be 'tournament' or 'truncation', got "
                f"selection={selection!r}"
            )
        self.selection = selection
        self.tournament_size = check_int("tournament_size", tournament_size, 1)
        self.crossover_rate = check_float("crossover_rate", crossover_rate, 0, 1)
        mutation_rate = check_float("mutation_rate", mutation_rate, 0, 1, True)
        self.mutation_rate = 1.0 / d if mutation_rate is None else mutation_rate
        self.elitism = check_int("elitism", elitism, 0)
        if self.elitism >= self.population_size:
            raise ValueError(
                f"elitism must be smaller than population_size="
                f"{self.population_size}, got elitism={elitism!r}"
            )
        # Gene types: equal cells are integer (ordered) or categorical genes; every
        # coordinate without equal cells is real.
        discrete = self.n_choices > 0
        self._cat = discrete & np.array([k == "categorical" for k in self.kinds])
        self._int = discrete & ~self._cat
        self._real = ~discrete

        self.sigma_ = _SIGMA0  # mutation step size, fraction of the range
        self.n_generations_ = 0
        self._pop = np.empty((0, d))  # (mu, d), discrete genes on cell centres
        self._loss = np.empty(0)  # (mu,) losses, failures as +inf
        self._asked = None  # (n, d) offspring waiting for their losses
        self._parent_loss = None  # (n,) loss of each offspring's parent
        self._migrants = []  # [(X, loss)] unpaired tells, for the next replacement
        self._seen = set()  # keys of every point told
        self._sobol_seed = None
        self._n_sobol = 0
        self._parent_of = {}  # asynchronous: child row (bytes) -> [parent loss]
        self._successes = []  # asynchronous: child beat its parent? (1/5th rule)

    def next_batch_size(self) -> int:
        """One generation: ``population_size`` points."""
        return self.population_size

    # -- the NaN policy ------------------------------------------------------------
    @staticmethod
    def _fitness(y: np.ndarray) -> np.ndarray:  # (n,) -> (n,)
        # A failed evaluation has the lowest fitness: its loss counts as +inf, so it
        # loses every tournament, survives only when nothing else can, and never
        # counts as a success of the 1/5th rule. Selection and replacement only
        # compare losses, so no finite stand-in value has to be invented.
        return np.where(np.isnan(y), np.inf, y)

    # -- ask -----------------------------------------------------------------------
    def _ask(self, n: int) -> np.ndarray:
        if len(self._pop) < self.population_size:
            X, parent_loss = self._design(n), None
        else:
            X, parent_loss = self._offspring(n)
        if self.asynchronous and parent_loss is not None:
            # Keyed as the base class hands the rows back (clipped to [0, 1]).
            for row, loss in zip(np.clip(X, 0.0, 1.0), parent_loss):
                self._parent_of.setdefault(row.tobytes(), []).append(float(loss))
            return X
        self._asked, self._parent_loss = X, parent_loss
        return X

    def _design(self, n: int) -> np.ndarray:  # (n, d)
        """The next ``n`` points of the initial scrambled Sobol population."""
        if self._sobol_seed is None:
            self._sobol_seed = int(self.random_state.randint(2**31 - 1))
        if self.n_dims > qmc.Sobol.MAXDIM:  # pragma: no cover - absurdly many dims
            X = self.random_state.uniform(size=(n, self.n_dims))
        else:
            X = sobol(self.n_dims, n, self._sobol_seed, start=self._n_sobol)
        self._n_sobol += n
        return self._cells(X)

    def _offspring(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` children by selection, crossover and mutation, and their parents."""
        rng = self.random_state
        n_pairs = (n + 1) // 2
        i1, i2 = self._select(n_pairs), self._select(n_pairs)
        P1, P2 = self._pop[i1], self._pop[i2]  # (n_pairs, d)
        cross = rng.uniform(size=n_pairs) < self.crossover_rate
        C1, C2 = self._crossover(P1, P2)
        C1 = np.where(cross[:, None], C1, P1)
        C2 = np.where(cross[:, None], C2, P2)
        # Child 2i descends from parent i1[i], child 2i + 1 from i2[i].
        children = np.stack([C1, C2], axis=1).reshape(-1, self.n_dims)[:n]
        parents = np.stack([i1, i2], axis=1).ravel()[:n]
        children = self._mutate(children, 1.0, force=False)
        return self._avoid_duplicates(children), self._loss[parents]

    def _select(self, n: int) -> np.ndarray:  # (n,) indices into the population
        rng, mu = self.random_state, len(self._pop)
        if self.selection == "truncation":
            n_best = max(1, round(_TRUNCATION * mu))
            best = np.argsort(self._loss, kind="stable")[:n_best]
            return best[rng.randint(n_best, size=n)]
        contestants = rng.randint(mu, size=(n, self.tournament_size))
        # The lowest loss wins; ties go to the first contestant drawn.
        winner = np.argmin(self._loss[contestants], axis=1)
        return contestants[np.arange(n), winner]

    def _crossover(self, P1: np.ndarray, P2: np.ndarray):  # 2 x (m, d) -> 2 x (m, d)
        rng = self.random_state
        m, d = P1.shape
        # SBX on real genes (Deb & Agrawal 1995): the spread factor beta has the
        # polynomial density 0.5 (eta + 1) beta^eta on [0, 1] and
        # 0.5 (eta + 1) / beta^(eta + 2) above 1, sampled by inverting its CDF; the
        # children are symmetric around the parents' mean, beta times as far apart.
        u = rng.uniform(size=(m, d))
        beta = np.where(
            u <= 0.5,
            (2.0 * u) ** (1.0 / (_ETA_C + 1.0)),
            (0.5 / (1.0 - u)) ** (1.0 / (_ETA_C + 1.0)),
        )
        mean, half = 0.5 * (P1 + P2), 0.5 * (P2 - P1)
        S1, S2 = reflect(mean - beta * half), reflect(mean + beta * half)
        # Uniform crossover on integer and categorical genes (Syswerda 1989).
        swap = rng.uniform(size=(m, d)) < 0.5
        U1, U2 = np.where(swap, P2, P1), np.where(swap, P1, P2)
        return np.where(self._real, S1, U1), np.where(self._real, S2, U2)

    def _mutate(self, X: np.ndarray, scale: float, force: bool) -> np.ndarray:
        """Mutate each gene with probability ``mutation_rate``; step ``scale * sigma``.

        With ``force``, every row mutates at least one gene.
        """
        rng = self.random_state
        n, d = X.shape
        mutate = rng.uniform(size=(n, d)) < self.mutation_rate
        if force:
            mutate[np.arange(n), rng.randint(d, size=n)] = True
        z = rng.standard_normal((n, d))
        jump = rng.randint(1, np.maximum(self.n_choices, 2), size=(n, d))
        sigma = min(scale * self.sigma_, 1.0)
        k = np.maximum(self.n_choices, 1)  # cells per gene
        # Reals: a Gaussian step, mirrored at the bounds. Integers: a Gaussian step
        # of max(sigma k, 1) cells, also mirrored in continuous space before being
        # snapped back to a cell centre, so the end cells are not over-sampled.
        step = np.where(self._int, np.maximum(sigma, 1.0 / k), sigma) * z
        moved = reflect(X + step)
        # Categories: one of the other k - 1, uniformly.
        cell = np.minimum(np.floor(X * k), k - 1)
        other = (np.mod(cell + jump, k) + 0.5) / k
        out = np.where(mutate & ~self._cat, moved, X)
        out = np.where(mutate & self._cat & (self.n_choices > 1), other, out)
        return self._cells(out)

    def _avoid_duplicates(self, X: np.ndarray) -> np.ndarray:
        """Mutate again every child that repeats a told point or an earlier child.

        After decoding integer and categorical genes, a child often equals one of
        its parents; the engine would just tell back the known loss, wasting the
        place in the generation.
        """
        scale = 1.0
        population = set(self._keys(self._pop))
        for _ in range(_MAX_RETRIES):
            taken = set(population)  # plus the children kept so far
            dup = np.zeros(len(X), dtype=bool)
            for i, key in enumerate(self._keys(X)):
                dup[i] = key in self._seen or key in taken
                taken.add(key)
            if not dup.any():
                break
            scale *= 2.0
            X[dup] = self._mutate(X[dup], scale, force=True)
        return X

    def _keys(self, X: np.ndarray) -> list[tuple]:
        """Hashable keys: the cells of discrete genes, reals to about 1e-9."""
        Z = self._cells(X)
        Z[:, self._real] = np.round(Z[:, self._real], 9)
        return [tuple(row) for row in Z.tolist()]

    # -- tell ----------------------------------------------------------------------
    def _tell(self, X: np.ndarray, y: np.ndarray) -> None:
        loss = self._fitness(y)
        if self.asynchronous and len(self._pop) >= self.population_size:
            self._tell_async(X, loss)
            return
        paired = self._asked is not None and np.array_equal(X, self._asked)
        parent_loss = self._parent_loss if paired else None
        if paired:
            self._asked = self._parent_loss = None
        self._seen.update(self._keys(X))
        X = self._cells(X)
        if parent_loss is not None and len(self._pop) >= self.population_size:
            self._adapt_sigma(loss, parent_loss)
            self._replace(X, loss)
        elif len(self._pop) < self.population_size:
            # Initial population, completed by unpaired tells (random fills, a
            # resumed checkpoint): keep the best population_size points.
            self._pop, self._loss = self._best(
                np.vstack([self._pop, X]), np.concatenate([self._loss, loss])
            )
        else:
            # Unpaired tells into a full population: migrants that compete with
            # the offspring at the next replacement.
            self._migrants.append((X, loss))
            if sum(len(m[1]) for m in self._migrants) > self.population_size:
                self._migrants = [self._best(*self._migrant_pool())]

    def _tell_async(self, X: np.ndarray, loss: np.ndarray) -> None:
        """Steady state (Whitley's GENITOR, 1989): each newcomer replaces the worst
        member of the population if it is better, as soon as it is told.

        The 1/5th rule adapts sigma once per ``population_size`` children, from
        their successes against their own parents.
        """
        self._seen.update(self._keys(X))
        for x, f in zip(X, loss):
            key = np.asarray(x, dtype=float).tobytes()
            parents = self._parent_of.get(key)
            if parents:
                self._successes.append(f < parents.pop(0))
                if not parents:
                    del self._parent_of[key]
            x = self._cells(x[None])[0]
            worst = int(np.argmax(self._loss))
            if f < self._loss[worst]:
                self._pop[worst], self._loss[worst] = x, f
        if len(self._successes) >= self.population_size:
            p_s = float(np.mean(self._successes))
            factor = math.exp((p_s - _P_TARGET) / (1.0 - _P_TARGET) / _D_SIGMA)
            self.sigma_ = float(np.clip(self.sigma_ * factor, _SIGMA_MIN, _SIGMA_MAX))
            self._successes = []
            self.n_generations_ += 1

    def _adapt_sigma(self, loss: np.ndarray, parent_loss: np.ndarray) -> None:
        # 1/5th success rule, smooth form (Kern et al. 2004): sigma grows
        # when more than a fifth of the offspring beat their parent, shrinks
        # otherwise. A child with a failed parent succeeds if it did not fail.
        p_s = np.mean(loss < parent_loss)
        factor = math.exp((p_s - _P_TARGET) / (1.0 - _P_TARGET) / _D_SIGMA)
        self.sigma_ = float(np.clip(self.sigma_ * factor, _SIGMA_MIN, _SIGMA_MAX))

    def _replace(self, X: np.ndarray, loss: np.ndarray) -> None:
        """Generational replacement with ``elitism`` elites (De Jong 1975)."""
        if self._migrants:
            MX, ML = self._migrant_pool()
            X, loss = np.vstack([X, MX]), np.concatenate([loss, ML])
            self._migrants = []
        mu, e = self.population_size, self.elitism
        # The e best of parents and newcomers survive unchanged ...
        all_loss = np.concatenate([self._loss, loss])
        elite = np.argsort(all_loss, kind="stable")[:e]
        is_elite = np.zeros(len(all_loss), dtype=bool)
        is_elite[elite] = True
        # ... the other places go to the best newcomers, then, if too few newcomers
        # were told (the end of a budget), to the best remaining parents.
        n_old = len(self._loss)
        new = np.flatnonzero(~is_elite[n_old:]) + n_old
        old = np.flatnonzero(~is_elite[:n_old])
        new = new[np.argsort(all_loss[new], kind="stable")]
        old = old[np.argsort(all_loss[old], kind="stable")]
        keep = np.concatenate([elite, new, old])[:mu]
        all_X = np.vstack([self._pop, X])
        self._pop, self._loss = all_X[keep], all_loss[keep]
        self.n_generations_ += 1

    def _migrant_pool(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.vstack([m[0] for m in self._migrants]),
            np.concatenate([m[1] for m in self._migrants]),
        )

    def _best(self, X: np.ndarray, loss: np.ndarray):
        keep = np.argsort(loss, kind="stable")[: self.population_size]
        return X[keep], loss[keep]
