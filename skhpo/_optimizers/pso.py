# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Particle swarm optimisation on the unit cube.

Each particle i has a position x_i, a velocity v_i and the best position p_i it has
visited; l_i is the best p_j of its neighbourhood. One swarm step, one batch:

    v_i <- w v_i + c_1 r_1 * (p_i - x_i) + c_2 r_2 * (l_i - x_i),    x_i <- x_i + v_i

with r_1, r_2 uniform on [0, 1]^d, drawn per coordinate.

- Coefficients: by default the constriction coefficients of Clerc & Kennedy, "The
  particle swarm - explosion, stability, and convergence in a multidimensional
  complex space", IEEE TEC 6(1), 2002: phi = c_1 + c_2 = 4.1 gives
  chi = 2 / |2 - phi - sqrt(phi^2 - 4 phi)| = 0.7298, so w = chi and
  c_1 = c_2 = 2.05 chi = 1.4962, the same as the inertia-weight form of Shi &
  Eberhart, "A modified particle swarm optimizer", IEEE ICEC 1998, with these values.
- Velocity clamping to a fraction of the range, the Vmax of the original PSO
  (Kennedy & Eberhart, "Particle swarm optimization", ICNN 1995).
- Topologies: "global" (gbest, l_i = best of the swarm) or "ring" (lbest, l_i = best
  of particles i - 1, i and i + 1), which keeps several regions alive longer
  (Kennedy & Mendes, "Population structure and particle swarm performance", CEC
  2002).
- Bounds: a coordinate that leaves [0, 1] is mirrored back and its velocity
  reversed and halved, so the particle does not leave again at once (position
  "reflect" with velocity "deterministic back" in the comparison of Helwig,
  Branke & Mostaghim, "Experimental analysis of bound handling techniques in
  particle swarm optimization", IEEE TEC 17(2), 2013).
- Integer and categorical coordinates: the positions stay continuous and the search
  space decodes each cell.
- Swarm size: ``10 + floor(2 sqrt(d))``, Clerc's Standard PSO 2007 (Clerc,
  "Standard Particle Swarm Optimisation", technical report hal-00764996, 2012).
- Diversity: when the swarm collapses (every particle within 1e-4 of the best on
  real coordinates and in its cells on discrete ones) or two batches in a row bring
  only points told before, the worse half of the particles restart at uniform
  random positions, so that a long budget keeps exploring.
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np
from scipy.stats import qmc

from skhpo._optimizers.base import Optimizer, check_float, reflect, sobol

# Constriction with phi = 4.1 (Clerc & Kennedy 2002).
_PHI = 4.1
_CHI = 2.0 / abs(2.0 - _PHI - math.sqrt(_PHI * _PHI - 4.0 * _PHI))
# Velocity factor of a coordinate mirrored at a bound (Helwig et al. 2013).
_BOUNCE = -0.5
# A swarm whose particles are all this close to the best one has collapsed.
_COLLAPSE_RADIUS = 1e-4
# Batches in a row of points all told before, after which part of the swarm restarts.
_MAX_STALE = 2


class ParticleSwarm(Optimizer):
    """Particle swarm optimisation with constriction, clamping and reflection.

    Parameters
    ----------
    n_dims : int
        Number of coordinates of a point.
    kinds : sequence of {"real", "integer", "categorical"}, default=None
        What each coordinate encodes; ``None`` means all real.
    n_choices : sequence of int, default=None
        Number of equal cells of each coordinate, 0 for continuous ones.
    n_particles : int, default=None
        Swarm size, hence points per batch. ``None`` means
        ``10 + floor(2 sqrt(n_dims))`` (Standard PSO 2007): 12 to 16 particles for
        2 to 10 dimensions, enough for the ring to matter and few enough for a
        budget of a few hundred points to run 20 or more steps.
    inertia : float, default=None
        Inertia weight w in [0, 1]; ``None`` means chi = 0.7298.
    cognitive : float, default=None
        Weight c_1 of the particle's own best; ``None`` means 2.05 chi = 1.4962.
    social : float, default=None
        Weight c_2 of the neighbourhood's best; ``None`` means 2.05 chi = 1.4962.
    topology : {"global", "ring"}, default="global"
        Neighbourhood of a particle: the whole swarm, or its two ring neighbours.
    velocity_clamp : float or None, default=0.2
        Largest speed per coordinate, as a fraction of the range; ``None`` for none.
    random_state : int, RandomState instance or None, default=None
        The only source of randomness.

    Attributes
    ----------
    n_reinitialised_ : int
        Number of particles restarted after the swarm collapsed.
    """

    @property
    def _whole_batches(self):
        # A synchronous step moves the swarm from its whole previous step; the
        # asynchronous swarm moves each particle once its own result is in
        # (Venter & Sobieszczanski-Sobieski, 2006): see _ask_async, _tell_async.
        return not self.asynchronous

    def __init__(
        self,
        n_dims,
        *,
        kinds=None,
        n_choices=None,
        n_particles=None,
        inertia=None,
        cognitive=None,
        social=None,
        topology="global",
        velocity_clamp=0.2,
        random_state=None,
    ):
        super().__init__(
            n_dims, kinds=kinds, n_choices=n_choices, random_state=random_state
        )
        if n_particles is None:
            n_particles = 10 + math.floor(2 * math.sqrt(self.n_dims))
        elif (
            isinstance(n_particles, bool)
            or not isinstance(n_particles, Integral)
            or n_particles < 2
        ):
            raise ValueError(
                f"n_particles must be an integer >= 2, got n_particles={n_particles!r}"
            )
        self.n_particles = int(n_particles)
        inertia = check_float("inertia", inertia, 0.0, 1.0, none=True)
        self.inertia = _CHI if inertia is None else inertia
        cognitive = check_float("cognitive", cognitive, 0.0, 4.0, none=True)
        self.cognitive = 0.5 * _PHI * _CHI if cognitive is None else cognitive
        social = check_float("social", social, 0.0, 4.0, none=True)
        self.social = 0.5 * _PHI * _CHI if social is None else social
        if topology not in ("global", "ring"):
            raise ValueError(
                f"topology must be 'global' or 'ring', got topology={topology!r}"
            )
        self.topology = topology
        if velocity_clamp is not None:
            velocity_clamp = check_float("velocity_clamp", velocity_clamp, 0.0, 1.0)
            if velocity_clamp == 0.0:
                raise ValueError(
                    f"velocity_clamp must be in (0, 1] or None, got "
                    f"velocity_clamp={velocity_clamp!r}"
                )
        self.velocity_clamp = velocity_clamp
        self._real = self.n_choices == 0
        self.n_reinitialised_ = 0
        s, d = self.n_particles, self.n_dims
        self._x = None  # (s, d) positions; the swarm is built at the first ask
        self._v = np.zeros((s, d))  # (s, d) velocities
        self._p = np.zeros((s, d))  # (s, d) personal best positions
        self._f_p = np.full(s, np.inf)  # (s,) their losses (+inf: none yet)
        self._evaluated = np.zeros(s, dtype=bool)  # x_i told at least once
        self._cursor = 0  # next particle to move
        self._asked = None  # (k, d) points handed out, waiting for their losses
        self._moved = None  # (k,) particle of each asked row, -1 for extras
        self._n_stale = 0
        self._seen = set()
        self._busy = np.zeros(s, dtype=bool)  # asynchronous: position pending
        self._by_row = {}  # asynchronous: asked row (bytes) -> [particle or -1]

    def next_batch_size(self) -> int:
        """One swarm step: ``n_particles`` points."""
        return self.n_particles

    # -- the NaN policy ------------------------------------------------------------
    @staticmethod
    def _fitness(y: np.ndarray) -> np.ndarray:  # (k,) -> (k,)
        # A failed evaluation counts as +inf: it never becomes a personal or
        # neighbourhood best, so no particle is attracted to a failing region.
        return np.where(np.isnan(y), np.inf, y)

    # -- ask -----------------------------------------------------------------------
    def _ask(self, n: int) -> np.ndarray:
        if self._x is None:
            self._init_swarm()
        if self.asynchronous:
            return self._ask_async(n)
        # Particles not evaluated yet go first, at their current position; then
        # the others move, from the cursor on, so that a short batch at the end
        # of a budget moves only the first ones and keeps the rest intact.
        X, idx = self._step(np.ones(self.n_particles, dtype=bool), n)
        self._asked, self._moved = X, idx
        return X

    def _ask_async(self, n: int) -> np.ndarray:
        """Particles whose last position is told: fresh ones first, then moves.

        Each moving particle follows its own best and the best found so far, with
        whatever results have arrived; a particle still being evaluated stays put.
        More points than free particles are uniform extras.
        """
        X, idx = self._step(~self._busy, n)
        X = np.clip(X, 0.0, 1.0)
        self._busy[idx[idx >= 0]] = True
        for row, i in zip(X, idx):
            self._by_row.setdefault(row.tobytes(), []).append(int(i))
        return X

    def _step(self, free: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` points from the ``free`` particles: (X (n, d), particle or -1)."""
        s = self.n_particles
        fresh = np.flatnonzero(free & ~self._evaluated)[:n]
        ring = (self._cursor + np.arange(s)) % s
        move = ring[(free & self._evaluated)[ring]][: n - len(fresh)]
        if len(move):
            self._cursor = int(move[-1] + 1) % s
            self._move(move)
        idx = np.concatenate([fresh, move]).astype(int)
        X = self._x[idx]
        n_extra = n - len(idx)
        if n_extra > 0:  # more points than free particles: uniform extras
            X = np.vstack([X, self.random_state.uniform(size=(n_extra, self.n_dims))])
            idx = np.concatenate([idx, np.full(n_extra, -1)])
        return X, idx

    def _init_swarm(self) -> None:
        s, d = self.n_particles, self.n_dims
        seed = int(self.random_state.randint(2**31 - 1))
        if d > qmc.Sobol.MAXDIM:  # pragma: no cover - absurdly many dims
            self._x = self.random_state.uniform(size=(s, d))
        else:
            self._x = sobol(d, s, seed)
        self._p = self._x.copy()
        self._v = self._initial_velocity(self._x)

    def _initial_velocity(self, X: np.ndarray) -> np.ndarray:  # (k, d) -> (k, d)
        # Half the way to a uniform random point (Standard PSO 2007).
        v = 0.5 * (self.random_state.uniform(size=X.shape) - X)
        return self._clamp(v)

    def _clamp(self, v: np.ndarray) -> np.ndarray:
        if self.velocity_clamp is None:
            return v
        return np.clip(v, -self.velocity_clamp, self.velocity_clamp)

    def _neighbourhood_best(self, idx: np.ndarray) -> np.ndarray:  # (k,) -> (k, d)
        if self.topology == "global":
            best = self._p[np.argmin(self._f_p)]
            return np.broadcast_to(best, (len(idx), self.n_dims))
        s = self.n_particles
        hood = (idx[:, None] + np.array([-1, 0, 1])) % s  # (k, 3) ring neighbours
        best = hood[np.arange(len(idx)), np.argmin(self._f_p[hood], axis=1)]
        return self._p[best]

    def _move(self, idx: np.ndarray) -> None:
        """One velocity and position update of particles ``idx``."""
        rng = self.random_state
        x, p = self._x[idx], self._p[idx]
        l = self._neighbourhood_best(idx)
        r_1 = rng.uniform(size=x.shape)
        r_2 = rng.uniform(size=x.shape)
        v = (
            self.inertia * self._v[idx]
            + self.cognitive * r_1 * (p - x)
            + self.social * r_2 * (l - x)
        )
        v = self._clamp(v)
        x = x + v
        # Mirror a coordinate that left [0, 1]; reverse and halve its velocity.
        out = (x < 0.0) | (x > 1.0)
        self._x[idx] = np.clip(reflect(x), 0.0, 1.0)
        self._v[idx] = np.where(out, _BOUNCE * v, v)

    # -- tell ----------------------------------------------------------------------
    def _tell(self, X: np.ndarray, y: np.ndarray) -> None:
        loss = self._fitness(y)
        keys = self._keys(X)
        is_new = [key not in self._seen for key in keys]
        self._seen.update(keys)
        if self._x is None:
            self._init_swarm()
        if self.asynchronous:
            self._tell_async(X, loss)
            return
        if self._asked is not None and np.array_equal(X, self._asked):
            idx = self._moved
            self._asked = self._moved = None
            own = idx >= 0
            i, f = idx[own], loss[own]
            better = (f < self._f_p[i]) | ~self._evaluated[i]
            self._p[i[better]] = X[own][better]
            self._f_p[i[better]] = f[better]
            self._evaluated[i] = True
            self._inject(X[~own], loss[~own])
            self._n_stale = 0 if any(is_new) else self._n_stale + 1
            if self._n_stale >= _MAX_STALE or self._collapsed():
                self._reinitialise()
        else:
            self._inject(X, loss)

    def _tell_async(self, X: np.ndarray, loss: np.ndarray) -> None:
        """Each told row updates its own particle, in any order."""
        for x, f in zip(X, loss):
            key = np.asarray(x, dtype=float).tobytes()
            owners = self._by_row.get(key)
            i = owners.pop(0) if owners else None
            if owners == []:
                del self._by_row[key]
            if i is None or i < 0:  # a random fill, an extra: outside information
                self._inject(x[None], np.array([f]))
                continue
            if f < self._f_p[i] or not self._evaluated[i]:
                self._p[i], self._f_p[i] = x, f
            self._evaluated[i] = True
            self._busy[i] = False
        if self._collapsed():
            self._reinitialise()

    def _inject(self, X: np.ndarray, loss: np.ndarray) -> None:
        """Unpaired points: positions of particles never evaluated, else better
        personal bests for the particles whose own is worst."""
        pending = self._busy.copy()
        if self._moved is not None:
            pending[self._moved[self._moved >= 0]] = True
        for r in np.argsort(loss, kind="stable"):
            free = np.flatnonzero(~self._evaluated & ~pending)
            if len(free):
                i = free[0]
                self._x[i] = self._p[i] = X[r]
                self._f_p[i] = loss[r]
                self._v[i] = self._initial_velocity(X[r][None])[0]
                self._evaluated[i] = True
                continue
            worst = int(np.argmax(self._f_p))
            if loss[r] < self._f_p[worst]:
                self._p[worst], self._f_p[worst] = X[r], loss[r]

    def _collapsed(self) -> bool:
        """All particles within a tiny radius of the best one, in the same cells."""
        if not self._evaluated.all():
            return False
        best = self._p[np.argmin(self._f_p)]
        close = np.abs(self._x - best)[:, self._real] <= _COLLAPSE_RADIUS
        cells = self._cells(self._x) == self._cells(best[None])
        return bool(np.all(close) and np.all(cells[:, ~self._real]))

    def _reinitialise(self) -> None:
        """Restart the worse half of the swarm at uniform random positions."""
        order = np.argsort(self._f_p, kind="stable")
        worse = np.sort(order[(self.n_particles + 1) // 2 :])
        worse = worse[~self._busy[worse]]  # asynchronous: not those still pending
        x = self.random_state.uniform(size=(len(worse), self.n_dims))
        self._x[worse] = self._p[worse] = x
        self._v[worse] = self._initial_velocity(x)
        self._f_p[worse] = np.inf
        self._evaluated[worse] = False
        self._n_stale = 0
        self.n_reinitialised_ += len(worse)

    def _keys(self, X: np.ndarray) -> list[tuple]:
        """Hashable keys: the cells of discrete coordinates, reals to about 1e-9."""
        Z = self._cells(X)
        Z[:, self._real] = np.round(Z[:, self._real], 9)
        return [tuple(row) for row in Z.tolist()]
