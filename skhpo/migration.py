# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Convert the search spaces of other tuning libraries into skhpo spaces.

Each function takes the space written for another library and returns the same
space as ``param_distributions`` for any skhpo search class: a dict, or a list of
dicts, of :class:`~skhpo.space.Real`, :class:`~skhpo.space.Integer`,
:class:`~skhpo.space.Categorical`, plain lists and frozen :mod:`scipy.stats`
distributions. Bounds, log priors and the very category objects are kept. What
skhpo cannot represent raises a :class:`ValueError` naming the parameter, and the
result is checked as ``fit`` would check it.

scikit-optimize and optuna are never imported: their objects are recognised by the
name and module of their class, so this module works whether or not they are
installed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from decimal import Decimal

import numpy as np
from scipy import stats

from skhpo.space import Categorical, Integer, Real, SearchSpace, _Dimension

__all__ = ["from_optuna", "from_sklearn", "from_skopt"]

# A stepped float becomes a list of its values up to this many values.
_MAX_STEPS = 1000
_PRIORS = ("uniform", "log-uniform")


def _class_from(obj, package: str, names: tuple[str, ...]) -> str | None:
    """The first class name of ``obj``'s MRO that is in ``names`` and ``package``."""
    for cls in type(obj).__mro__:
        module = getattr(cls, "__module__", "") or ""
        in_package = module == package or module.startswith(f"{package}.")
        if in_package and cls.__name__ in names:
            return cls.__name__
    return None


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _is_integral(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def _number(x):  # a numpy scalar as the Python number it holds
    return x.item() if isinstance(x, np.generic) else x


def _convert(
    spaces, where: str, convert: Callable[[object, str], object]
) -> dict | list[dict]:
    """Apply ``convert(value, location)`` to every value of a dict or list of dicts."""
    if isinstance(spaces, Mapping):
        dicts, is_list = [spaces], False
    elif isinstance(spaces, list):
        dicts, is_list = spaces, True
    else:
        raise TypeError(
            f"{where} must be a dict or a list of dicts, got {type(spaces).__name__}"
        )
    out = []
    for s, params in enumerate(dicts):
        at = f"{where}[{s}]" if is_list else where
        if not isinstance(params, Mapping):
            raise TypeError(
                f"{at}: expected a dict of parameters, got {type(params).__name__}"
            )
        out.append(
            {name: convert(value, f"{at}[{name!r}]") for name, value in params.items()}
        )
    result = out if is_list else out[0]
    SearchSpace(result)  # the checks of fit, with the parameter in the message
    return result


# -- scikit-optimize ---------------------------------------------------------------
def _skopt_bounds(dim: tuple) -> _Dimension | None:
    """A tuple of scikit-optimize's shorthand as skopt 0.10 reads it, or None."""
    n = len(dim)
    if n in (2, 3, 4) and all(_is_number(b) for b in dim[:2]):
        ints = all(_is_integral(b) for b in dim[:2])
        low, high = (int(b) if ints else float(b) for b in dim[:2])
        if n == 2:
            return Integer(low, high) if ints else Real(low, high)
        prior = dim[2]
        if isinstance(prior, str) and prior in _PRIORS:
            if n == 4 and not (prior == "log-uniform" and _is_integral(dim[3])):
                return None  # skopt reads it as four categories
            # The base of the logarithm does not change a log-uniform prior.
            return Integer(low, high, prior) if ints else Real(low, high, prior)
    return None


def _skopt_dimension(value, at: str) -> _Dimension:
    if isinstance(value, _Dimension):
        return value
    kind = _class_from(value, "skopt", ("Real", "Integer", "Categorical"))
    if kind == "Categorical":
        prior = getattr(value, "prior", None)
        if prior is not None and len(set(np.asarray(prior, float).tolist())) > 1:
            raise ValueError(
                f"{at}: {value!r} has unequal prior probabilities {list(prior)}; "
                "skhpo gives every category the same probability (a category "
                "listed twice is twice as likely)"
            )
        return Categorical(value.categories)
    if kind in ("Real", "Integer"):
        prior = getattr(value, "prior", "uniform")
        if not (isinstance(prior, str) and prior in _PRIORS):
            raise ValueError(
                f"{at}: {value!r} has prior {prior!r}; skhpo knows 'uniform' and "
                "'log-uniform'"
            )
        low, high = _number(value.low), _number(value.high)
        if kind == "Integer":
            return Integer(int(low), int(high), prior)
        return Real(float(low), float(high), prior)
    if isinstance(value, tuple):
        if not value:
            raise ValueError(f"{at}: an empty tuple is not a dimension")
        dim = _skopt_bounds(value)
        if dim is not None:
            return dim
        looks_bounded = len(value) in (3, 4) and all(_is_number(b) for b in value[:2])
        if looks_bounded and isinstance(value[2], str) and value[2] in _PRIORS:
            raise ValueError(
                f"{at}: scikit-optimize 0.10 reads {value!r} as {len(value)} "
                "choices, though it looks like bounds; write (low, high, prior) or "
                "(low, high, 'log-uniform', base) with an integer base for bounds, "
                f"or Categorical({list(value)!r}) for choices"
            )
        return Categorical(value)
    if isinstance(value, (list, np.ndarray)):
        items = value.tolist() if isinstance(value, np.ndarray) else value
        if not items:
            raise ValueError(f"{at}: an empty list is not a dimension")
        dim = _skopt_bounds(tuple(items))
        if dim is not None:
            raise ValueError(
                f"{at}: the list {items!r} is ambiguous: scikit-optimize 0.10 reads "
                f"it as {dim!r}, and its announced API as categories; write a "
                f"tuple {tuple(items)!r} for bounds, or Categorical({items!r}) for "
                "choices"
            )
        return Categorical(value)
    raise TypeError(
        f"{at}: expected a scikit-optimize Real, Integer or Categorical, a tuple "
        f"(low, high[, prior[, base]]) or a list of choices; got {value!r} of type "
        f"{type(value).__name__}"
    )


def from_skopt(dimensions):
    """Convert a scikit-optimize search space into a skhpo space.

    Accepts the ``search_spaces`` of scikit-optimize's ``BayesSearchCV``. Bounds
    and priors are kept, and categories are the very objects given.

    Parameters
    ----------
    dimensions : dict or list of dicts
        ``{name: dimension}``, each dimension being one of:

        - ``skopt.space.Real``, ``Integer`` or ``Categorical``. The base of a
          log-uniform prior does not matter (a log-uniform prior is the same in
          any base), nor do ``transform`` and ``dtype``. A ``Categorical`` with
          unequal prior probabilities raises ``ValueError``.
        - a tuple in scikit-optimize's shorthand: ``(low, high)`` gives
          ``Integer`` when both bounds are integers and ``Real`` otherwise;
          ``(low, high, prior)`` and ``(low, high, "log-uniform", base)`` add the
          prior; any other tuple is a list of choices.
        - a list or 1-d array of choices. A list that scikit-optimize 0.10 reads
          as bounds (such as ``[1, 10]``) raises ``ValueError``: write the tuple
          ``(1, 10)`` for bounds, or ``Categorical([1, 10])`` for two choices.
        - a skhpo dimension, kept as it is.

        A list of ``(dict, n_iter)`` pairs has no equivalent: skhpo's ``n_iter``
        counts the candidates of the whole search.

    Returns
    -------
    param_distributions : dict or list of dicts
        The same space, of :class:`~skhpo.space.Real`,
        :class:`~skhpo.space.Integer` and :class:`~skhpo.space.Categorical`.

    Raises
    ------
    ValueError
        If a dimension has no skhpo equivalent; the message names the parameter.

    See Also
    --------
    from_optuna : Convert optuna distributions.
    from_sklearn : Make explicit the distributions of ``RandomizedSearchCV``.

    Examples
    --------
    >>> from skhpo.migration import from_skopt
    >>> space = from_skopt({
    ...     "C": (1e-3, 1e3, "log-uniform"),
    ...     "degree": (1, 5),
    ...     "kernel": ["linear", "rbf"],
    ... })
    >>> space["C"]
    Real(low=0.001, high=1000.0, prior='log-uniform')
    >>> space["degree"]
    Integer(low=1, high=5)
    >>> space["kernel"]
    Categorical(categories=['linear', 'rbf'])
    """
    if isinstance(dimensions, list):
        for s, item in enumerate(dimensions):
            if isinstance(item, tuple) and item and isinstance(item[0], Mapping):
                raise ValueError(
                    f"dimensions[{s}] is a (dict, n_iter) pair; skhpo has no "
                    "per-subspace budget: give the dicts alone and the total on the "
                    "search, e.g. n_iter=sum(n for _, n in search_spaces)"
                )
    return _convert(dimensions, "dimensions", _skopt_dimension)


# -- optuna ------------------------------------------------------------------------
_OPTUNA_FLOATS = (
    "FloatDistribution",
    "UniformDistribution",
    "LogUniformDistribution",
    "DiscreteUniformDistribution",
)
_OPTUNA_INTS = (
    "IntDistribution",
    "IntUniformDistribution",
    "IntLogUniformDistribution",
)


def _steps(low, high, step, is_int: bool, at: str, value) -> list:
    """The values ``low, low + step, ...`` up to ``high``, as optuna samples them."""
    if not (_is_number(step) and step > 0):
        raise ValueError(f"{at}: {value!r} needs a positive step, got {step!r}")
    n = math.floor((high - low) / step + 1e-9) + 1
    if n > _MAX_STEPS:
        raise ValueError(
            f"{at}: {value!r} has {n} values, more than the {_MAX_STEPS} that skhpo "
            "lists as categories; drop the step to search Real(low, high), or use "
            "a coarser step"
        )
    if is_int:
        return [int(low) + k * int(step) for k in range(n)]
    # Decimal arithmetic on the shortest reprs gives 0.3 for 0.1 * 3, not
    # 0.30000000000000004.
    low_d, step_d = Decimal(repr(float(low))), Decimal(repr(float(step)))
    return [min(float(low_d + k * step_d), float(high)) for k in range(n)]


def _optuna_dimension(value, at: str) -> _Dimension:
    if isinstance(value, _Dimension):
        return value
    kind = _class_from(value, "optuna", (*_OPTUNA_FLOATS, *_OPTUNA_INTS))
    if kind is None:
        if _class_from(value, "optuna", ("CategoricalDistribution",)):
            return Categorical(value.choices)
        raise TypeError(
            f"{at}: expected an optuna FloatDistribution, IntDistribution or "
            f"CategoricalDistribution; got {value!r} of type {type(value).__name__}"
        )
    low, high = _number(value.low), _number(value.high)
    # Before optuna 3 the deprecated classes had no `log`, and a `q` for the step.
    log = getattr(
        value, "log", kind in ("LogUniformDistribution", "IntLogUniformDistribution")
    )
    step = _number(getattr(value, "step", getattr(value, "q", None)))
    is_int = kind in _OPTUNA_INTS
    if is_int and step in (None, 1):
        return Integer(int(low), int(high), "log-uniform" if log else "uniform")
    if log and step is not None:
        raise ValueError(f"{at}: {value!r} has both a log prior and a step")
    if step is not None:
        # skhpo has no stepped Real nor Integer: the values become categories,
        # which keep the values and their equal probabilities but not their order.
        return Categorical(_steps(low, high, step, is_int, at, value))
    if low == high:  # optuna allows a single value; Real needs low < high
        return Categorical([float(low)])
    return Real(float(low), float(high), "log-uniform" if log else "uniform")


def from_optuna(distributions):
    """Convert optuna distributions into a skhpo space.

    Accepts the ``param_distributions`` of optuna's ``OptunaSearchCV``. Bounds and
    log priors are kept, and choices are the very objects given.

    Parameters
    ----------
    distributions : dict or list of dicts
        ``{name: distribution}``, each distribution being one of:

        - ``FloatDistribution(low, high, log=False, step=None)``: ``Real(low,
          high)``, with ``prior="log-uniform"`` if ``log``. A single value
          (``low == high``) gives a one-item ``Categorical``.
        - ``IntDistribution(low, high, log=False, step=1)``: ``Integer(low, high)``,
          with ``prior="log-uniform"`` if ``log``.
        - ``CategoricalDistribution(choices)``: ``Categorical(choices)``.
        - the deprecated ``UniformDistribution``, ``LogUniformDistribution``,
          ``DiscreteUniformDistribution``, ``IntUniformDistribution`` and
          ``IntLogUniformDistribution``, read as the classes above.
        - a skhpo dimension, kept as it is.

        skhpo has no stepped ``Real`` or ``Integer``: a ``step`` (other than 1 for
        integers) gives a ``Categorical`` of the values ``low, low + step, ...,
        high``, each as likely as in optuna, but whose order the search does not
        model. More than 1000 values raise ``ValueError``.

    Returns
    -------
    param_distributions : dict or list of dicts
        The same space, of :class:`~skhpo.space.Real`,
        :class:`~skhpo.space.Integer` and :class:`~skhpo.space.Categorical`.

    Raises
    ------
    ValueError
        If a distribution has no skhpo equivalent; the message names the parameter.

    See Also
    --------
    from_skopt : Convert a scikit-optimize space.
    from_sklearn : Make explicit the distributions of ``RandomizedSearchCV``.

    Examples
    --------
    The classes are recognised by name and module, so optuna need not be
    imported here; with optuna, write ``optuna.distributions.FloatDistribution``.

    >>> from skhpo.migration import from_optuna
    >>> class FloatDistribution:  # a stand-in for optuna's class
    ...     def __init__(self, low, high, log=False, step=None):
    ...         self.low, self.high, self.log, self.step = low, high, log, step
    >>> FloatDistribution.__module__ = "optuna.distributions"
    >>> space = from_optuna({
    ...     "C": FloatDistribution(1e-3, 1e3, log=True),
    ...     "l1_ratio": FloatDistribution(0.0, 1.0, step=0.25),
    ... })
    >>> space["C"]
    Real(low=0.001, high=1000.0, prior='log-uniform')
    >>> space["l1_ratio"]
    Categorical(categories=[0.0, 0.25, 0.5, 0.75, 1.0])
    """
    return _convert(distributions, "distributions", _optuna_dimension)


# -- scikit-learn ------------------------------------------------------------------
def _scipy_params(dist) -> dict | None:
    """The parameters of a frozen scipy distribution by name, or None."""
    gen = getattr(dist, "dist", None)
    if not isinstance(gen, (stats.rv_continuous, stats.rv_discrete)):
        return None
    shapes = [s.strip() for s in (gen.shapes or "").split(",") if s.strip()]
    names = [*shapes, "loc"] + ([] if isinstance(gen, stats.rv_discrete) else ["scale"])
    args, kwds = tuple(getattr(dist, "args", ())), dict(getattr(dist, "kwds", {}))
    if len(args) > len(names) or set(kwds) - set(names):
        return None
    params = {"loc": 0, "scale": 1, **dict(zip(names, args)), **kwds}
    if not all(_is_number(params.get(n)) for n in names):
        return None  # array parameters: skhpo reports them
    return {k: _number(v) for k, v in params.items()}


def _sklearn_dimension(value, at: str) -> object:
    params = _scipy_params(value)
    if params is None:
        return value  # lists, skhpo dimensions and other objects: checked later
    name, loc, scale = value.dist.name, params["loc"], params["scale"]
    if name in ("loguniform", "reciprocal") and loc == 0 and scale > 0:
        if 0 < params["a"] < params["b"]:
            low, high = params["a"] * scale, params["b"] * scale
            return Real(float(low), float(high), "log-uniform")
    elif name == "uniform" and scale > 0:
        return Real(float(loc), float(loc + scale))
    elif name == "randint" and params["low"] < params["high"]:
        low, high = params["low"] + loc, params["high"] - 1 + loc
        if all(float(b).is_integer() for b in (low, high)):
            return Integer(int(low), int(high))
    return value  # other distributions are their own prior


def from_sklearn(param_distributions):
    """Make explicit the parameter distributions of ``RandomizedSearchCV``.

    skhpo search classes accept the ``param_distributions`` of
    :class:`~sklearn.model_selection.RandomizedSearchCV` and the ``param_grid`` of
    :class:`~sklearn.model_selection.GridSearchCV` as they are: this function is
    optional. It checks the space as ``fit`` would, and writes the common
    distributions as skhpo dimensions, whose bounds show in their ``repr``.

    Parameters
    ----------
    param_distributions : dict or list of dicts
        ``{name: values}``, each values being one of:

        - a list, tuple or 1-d array of choices (as in a ``param_grid``), kept as
          it is;
        - ``scipy.stats.loguniform(a, b)`` (or ``reciprocal``):
          ``Real(a, b, prior="log-uniform")``;
        - ``scipy.stats.uniform(loc, scale)``: ``Real(loc, loc + scale)``;
        - ``scipy.stats.randint(low, high)``: ``Integer(low, high - 1)``, as
          ``high`` is excluded;
        - any other frozen :mod:`scipy.stats` distribution, kept as it is: skhpo
          samples it through its quantile function, so its shape is the prior;
        - a skhpo dimension, kept as it is.

    Returns
    -------
    param_distributions : dict or list of dicts
        The same space, in new dicts.

    Raises
    ------
    ValueError or TypeError
        If skhpo cannot search a value, for example an object with ``rvs`` but no
        ``ppf`` and ``cdf``; the message names the parameter.

    See Also
    --------
    from_skopt : Convert a scikit-optimize space.
    from_optuna : Convert optuna distributions.

    Examples
    --------
    >>> from scipy.stats import loguniform, norm, randint, uniform
    >>> from skhpo.migration import from_sklearn
    >>> space = from_sklearn({
    ...     "C": loguniform(1e-3, 1e3),
    ...     "max_iter": randint(50, 500),
    ...     "l1_ratio": uniform(0, 1),
    ...     "tol": norm(1e-3, 1e-4),
    ...     "penalty": ["l2", "elasticnet"],
    ... })
    >>> space["C"], space["max_iter"], space["l1_ratio"]
    (Real(low=0.001, high=1000.0, prior='log-uniform'), Integer(low=50, high=499),
     Real(low=0.0, high=1.0))
    >>> space["tol"].dist.name, space["penalty"]
    ('norm', ['l2', 'elasticnet'])
    """
    return _convert(param_distributions, "param_distributions", _sklearn_dimension)
