# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Checkpoints: an append-only journal of the finished batches of a search.

The file is JSON lines (one JSON document per line, UTF-8), readable without skhpo::

    {"format": "skhpo-checkpoint", "version": 3, "search": "BayesSearchCV",
     "skhpo_version": "...", "seed": 1234, "n_splits": 5, "fingerprint": {...}}
    {"batch": 0, "keys": [...], "params": [...], "fits": [[{...}, ...], ...],
     "asked": [[0.5, 0.25], ...]}
    {"batch": 1, ...}

The header identifies what the search ran on: digests of the data (``X``, ``y``
and the fit parameters), the estimator and its parameters, ``param_distributions``,
the CV splits, ``scoring`` and the search's own settings, plus the seed of its
random state. Each following line is one finished batch (one ask of the
optimizer): ``asked`` holds the points the optimizer asked for, on the unit cube
(repeated candidates included), ``keys`` identify its new candidates, ``params``
shows them (values that are not plain JSON as their
``repr``), and ``fits[i][k]`` is what scikit-learn's ``_fit_and_score`` returned
for candidate ``i`` on split ``k``: ``test_scores`` (and ``train_scores``), a
number or a ``{metric: number}`` dict, ``fit_time``, ``score_time``,
``n_test_samples`` and ``fit_error`` (``null`` or the error's traceback).
Non-finite numbers are written as the strings ``"nan"``, ``"inf"`` and ``"-inf"``,
so that any JSON parser reads the file.

Besides them, each fit is recorded on a line of its own as soon as it ends::

    {"fit": [key, split], "result": {...}}

Every line is appended, flushed and synced to disk (``os.fsync``) when it is
written: a fit's line when the fit ends, a batch's line when its last candidate is
told to the optimizer. A crash in the middle of a write leaves a last line without
its newline: reading ignores it and the next append cuts it off, so a search killed
with ``kill -9`` loses only the fits that were running; a resumed one reads the
finished fits of an unfinished batch back from their own lines.

Resuming tells the optimizer the recorded history: the strategy starts again from
the same seed, each recorded batch is handed to it as the answer of its ask
(``Optimizer.replay_ids``: the Gaussian process does not compute its proposals
again, it only draws what they drew) and gets its recorded results instead of being
fitted (and each fit found on a line of its own is not fitted again). The optimizer
thus sees exactly what it saw the first time, and goes on as the interrupted run
would have: the final ``cv_results_`` is that of an uninterrupted run.
"""

import datetime
import hashlib
import inspect
import json
import math
import os
from numbers import Integral, Real

import numpy as np

_FORMAT = "skhpo-checkpoint"
# Version 2 (skhpo's own scheduler): records of single fits besides those of whole
# batches, and batches proposed while earlier ones run (max_pending). Version 3:
# a line for every ask, with the points asked, so resuming tells the history.
_VERSION = 3
# How every header line starts (json.dumps keeps the key order of new_header).
_MAGIC = b'{"format":"skhpo-checkpoint"'
# Search parameters that may change between a run and its resumption: they decide
# how fast, how long or how loudly the search runs, not which candidates it tries
# first. (A budget that changes the batches anyway, say an n_iter that cuts a
# generation elsewhere, is caught by Journal.replay.)
# (The estimator, the space, cv and scoring get fingerprints of their own; the
# random state is the header's seed.)
_FREE_PARAMS = frozenset(
    {
        "estimator",
        "param_distributions",
        "cv",
        "scoring",
        "random_state",
        "n_jobs",
        "pre_dispatch",
        "verbose",
        "max_time",
        "n_iter_no_change",
        "n_iter",
        "n_brackets",
        "checkpoint",
        "fit_timeout",
    }
)
_WHAT = {
    "search": "another search class",
    "data": "other data (X, y or fit parameters)",
    "estimator": "another estimator, or other estimator parameters",
    "space": "another param_distributions",
    "cv": "other cross-validation splits",
    "scoring": "another scoring",
    "seed": "another random_state",
}


# -- fingerprints -------------------------------------------------------------------
def _describe(obj, depth=0):
    """A JSON-able description of ``obj`` that does not depend on hidden state.

    Estimators are described by their class and parameters, frozen scipy.stats
    distributions by their name and arguments (not by their random state), functions
    by their qualified name; arrays and other objects by a digest of their pickle.
    """
    if depth > 50:  # pragma: no cover - a cycle
        return repr(obj)
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, Integral):
        return int(obj)
    if isinstance(obj, Real):
        return _number(float(obj))
    if isinstance(obj, (list, tuple)):
        return [type(obj).__name__, [_describe(v, depth + 1) for v in obj]]
    if isinstance(obj, dict):
        return {str(k): _describe(v, depth + 1) for k, v in obj.items()}
    cls = type(obj)
    name = f"{cls.__module__}.{cls.__qualname__}"
    if hasattr(obj, "get_params") and not isinstance(obj, type):
        return [name, _describe(obj.get_params(deep=False), depth + 1)]
    dist = getattr(obj, "dist", None)
    if dist is not None and hasattr(obj, "ppf") and hasattr(obj, "kwds"):
        return ["scipy.stats", dist.name, _describe([obj.args, obj.kwds], depth + 1)]
    if callable(obj) and hasattr(obj, "__qualname__"):
        code = getattr(obj, "__code__", None)  # two lambdas share a name, not code
        body = None if code is None else _digest((code.co_code, repr(code.co_consts)))
        return [
            "callable",
            f"{getattr(obj, '__module__', '')}.{obj.__qualname__}",
            body,
        ]
    if hasattr(obj, "__dict__") and not isinstance(obj, np.ndarray):
        # Scorers, Real/Integer/Categorical and other plain objects: their fields.
        return [name, _describe(vars(obj), depth + 1)]
    return [name, _digest(obj)]


def _digest(obj):
    """Hex digest of ``obj`` (arrays, DataFrames, sparse matrices...) via joblib."""
    import joblib

    try:
        return joblib.hash(obj)
    except Exception:  # an object that cannot be pickled: its type and repr
        return _json_digest([type(obj).__qualname__, repr(obj)])


def _json_digest(description):
    text = json.dumps(description, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(search, fit_data):
    """Digests of everything a resumed search must share with the checkpoint."""
    params = search.get_params(deep=False)
    settings = {
        name: _json_digest(_describe(value))
        for name, value in sorted(params.items())
        if name not in _FREE_PARAMS
    }
    refit = params.get("refit")
    if not isinstance(refit, str):
        # refit=True/False or a callable only chooses the final model: it does not
        # change which metric drives the search.
        settings.pop("refit", None)
    # The settings at their constructor default: a checkpoint written before a
    # parameter existed matches a search that leaves it at its default.
    defaults = {
        name: p.default
        for name, p in inspect.signature(type(search).__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    at_default = sorted(
        name
        for name in settings
        if name in defaults
        and settings[name] == _json_digest(_describe(defaults[name]))
    )
    return {
        "search": type(search).__name__,
        "at_default": at_default,
        "data": _digest((fit_data["X"], fit_data["y"], fit_data["params"])),
        "estimator": _json_digest(_describe(search.estimator)),
        "space": _json_digest(_describe(search.param_distributions)),
        "cv": _digest([(train, test) for train, test in fit_data["splits"]]),
        "scoring": _json_digest(_describe(search.scoring)),
        "settings": settings,
    }


# -- JSON encoding of numbers and results ---------------------------------------------
def _number(x):
    """A float for JSON: non-finite values as the strings 'nan', 'inf', '-inf'."""
    return x if math.isfinite(x) else str(x)


def _encode_scores(scores):
    if isinstance(scores, dict):
        return {str(k): _number(float(v)) for k, v in scores.items()}
    return _number(float(scores))


def _decode_scores(scores):
    if isinstance(scores, dict):
        return {k: float(v) for k, v in scores.items()}
    return float(scores)


def encode_fit(out):
    """One ``_fit_and_score`` result as JSON (fitted estimators are not kept);
    None, a fold racing never ran, as null."""
    if out is None:
        return None
    record = {}
    for key, value in out.items():
        if key in ("test_scores", "train_scores"):
            record[key] = _encode_scores(value)
        elif key in ("fit_time", "score_time"):
            record[key] = _number(float(value))
        elif key == "n_test_samples":
            record[key] = int(value)
        elif key == "fit_error":
            record[key] = None if value is None else str(value)
        # "estimator" and "parameters" are not requested by BaseSearchCV.
    return record


def decode_fit(record):
    if record is None:  # a fold racing never ran
        return None
    out = dict(record)
    for key in ("test_scores", "train_scores"):
        if key in out:
            out[key] = _decode_scores(out[key])
    for key in ("fit_time", "score_time"):
        if key in out:
            out[key] = float(out[key])
    return out


def _plain(value):
    """A candidate's value as JSON when it is plain data, else its repr."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return _number(float(value))
    return repr(value)


def _json_keys(keys):
    """Candidate keys as they read back from JSON (tuples become lists)."""

    def convert(value):
        if isinstance(value, (tuple, list)):
            return [convert(v) for v in value]
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float):
            return _number(value)
        return value

    return [convert(key) for key in keys]


# -- the journal file ---------------------------------------------------------------
class CheckpointMismatch(ValueError):
    """A checkpoint that belongs to another search; the file was not modified."""


class Journal:
    """The checkpoint file of one fit: read the finished batches, append new ones.

    ``Journal(path, header)`` creates the file with ``header`` if it does not exist
    (or holds only an interrupted header), and otherwise reads it and checks that it
    was written for the same search, raising :class:`CheckpointMismatch` without
    touching the file when it was not. With ``check_seed=False`` (the search has no
    fixed integer ``random_state``) the recorded seed is used whatever it is.
    """

    def __init__(self, path, header, check_seed=True):
        self.path = os.fspath(path)
        self._check_seed = check_seed
        self.records = []  # finished batches, in order
        self.fits = {}  # (candidate key as JSON text, split) -> a finished fit
        self.position = 0  # next record to replay
        self._by_key = {}  # candidate key (JSON text) -> its recorded fits
        self._n_indexed = 0  # records in _by_key
        self._good_size = None  # bytes to keep before the next append
        lines, torn = self._read()
        if not lines:
            self.header = header
            self._write_line(header, fresh=True)
            return
        self.header = self._check_header(lines[0], header)
        for i, line in enumerate(lines[1:]):
            try:
                record = json.loads(line)
                if "fit" in record:
                    key, split = record["fit"]
                    self.fits[json.dumps(key), int(split)] = record["result"]
                    continue
                if record.get("batch") != len(self.records) or len(
                    record["keys"]
                ) != len(record["fits"]):
                    raise ValueError
            except (ValueError, KeyError, TypeError, AttributeError):
                if i == len(lines) - 2:
                    # The last line, newline included, but not all of its bytes
                    # reached the disk: an interrupted write too.
                    lines.pop()
                    torn = True
                    break
                raise ValueError(
                    f"checkpoint {self.path!r} is corrupted at line {i + 2} (a "
                    f"finished batch that cannot be read); it was left untouched."
                ) from None
            self.records.append(record)
        if torn:
            self._good_size = sum(len(line) + 1 for line in lines)

    @property
    def seed(self):
        return self.header["seed"]

    def _read(self):
        """The complete lines of the file, and whether an interrupted one follows."""
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return [], False
        lines = data.split(b"\n")
        torn = lines.pop() != b""  # the part after the last newline
        if lines and not _is_json(lines[0]):
            raise self._not_a_checkpoint()
        if not lines and torn and _is_partial_header(data):
            # A header cut short while it was being written: nothing finished yet.
            self._good_size = 0
            return [], False
        if not lines and data:
            raise self._not_a_checkpoint()
        return lines, torn

    def _not_a_checkpoint(self):
        return CheckpointMismatch(
            f"checkpoint {self.path!r} exists and is not an skhpo checkpoint; it "
            f"was left untouched. Pass another path."
        )

    def _check_header(self, line, header):
        found = json.loads(line)
        if not isinstance(found, dict) or found.get("format") != _FORMAT:
            raise self._not_a_checkpoint()
        if found.get("version") != _VERSION:
            raise CheckpointMismatch(
                f"checkpoint {self.path!r} has format version {found.get('version')!r}"
                f"; this skhpo reads version {_VERSION}. It was left untouched."
            )
        theirs, ours = found.get("fingerprint", {}), header["fingerprint"]
        different = [
            _WHAT[part]
            for part in ("search", "data", "estimator", "space", "cv", "scoring")
            if theirs.get(part) != ours[part]
        ]
        recorded = theirs.get("settings", {})
        changed = sorted(
            name
            for name in set(recorded) | set(ours["settings"])
            if recorded.get(name) != ours["settings"].get(name)
            # A parameter newer than the checkpoint, left at its default.
            and not (name not in recorded and name in ours["at_default"])
        )
        if changed:
            different.append(f"other values of {', '.join(changed)}")
        if self._check_seed and found.get("seed") != header["seed"]:
            different.append(_WHAT["seed"])
        if different:
            raise CheckpointMismatch(
                f"checkpoint {self.path!r} was written by a {found.get('search')} for "
                f"{'; '.join(different)} than this fit, so it cannot be resumed. It "
                f"was left untouched: pass another checkpoint path, or delete the "
                f"file to start afresh."
            )
        return found

    def replay(self, keys):
        """The recorded fits of the next batch if it holds ``keys``, else None.

        Raises :class:`Diverged` when the journal's next batch holds other
        candidates: the search no longer follows the run that wrote it.
        """
        if self.position >= len(self.records):
            return None
        record = self.records[self.position]
        if record["keys"] != _json_keys(keys):
            raise Diverged(self.position)
        self.position += 1
        return [decode_fit(fit) for fits in record["fits"] for fit in fits]

    def append_fit(self, key, split, fit):
        """Record one finished fit, durably, as soon as it ends.

        A search killed in the middle of a batch loses only the fits that were
        running: a resumed one reads the others back (:meth:`recorded_fit`).
        """
        (json_key,) = _json_keys([key])
        self._write_line({"fit": [json_key, int(split)], "result": encode_fit(fit)})

    def recorded_fit(self, key, split):
        """The fit of ``key`` on ``split`` recorded by an interrupted run, or None."""
        (json_key,) = _json_keys([key])
        record = self.fits.get((json.dumps(json_key), int(split)))
        return None if record is None else decode_fit(record)

    def lookup(self, keys):
        """The recorded fits of ``keys`` wherever they are in the journal, or None.

        For the asynchronous mode, whose batches differ from run to run: any
        candidate recorded before is read back instead of being fitted again.
        """
        index = self._index()
        found = [index.get(json.dumps(key)) for key in _json_keys(keys)]
        if any(fits is None for fits in found):
            return None
        return [decode_fit(fit) for fits in found for fit in fits]

    def _index(self):
        """The recorded fits of every candidate, by its key as JSON text."""
        for record in self.records[self._n_indexed :]:
            for key, fits in zip(record["keys"], record["fits"]):
                self._by_key[json.dumps(key)] = fits
        self._n_indexed = len(self.records)
        return self._by_key

    def peek_asked(self):
        """The points asked in the next batch to replay, (k, d), or None."""
        if self.position >= len(self.records):
            return None
        asked = self.records[self.position].get("asked")
        return None if asked is None else np.array(asked, dtype=float)

    def append(self, keys, candidates, fits, n_splits, asked=None):
        """Record a finished batch, durably, before the next one starts.

        ``asked``: the points the optimizer asked for, (k, d) on the unit cube.
        """
        record = {
            "batch": len(self.records),
            "keys": _json_keys(keys),
            "params": [{k: _plain(v) for k, v in c.items()} for c in candidates],
            "fits": [
                [encode_fit(out) for out in fits[i * n_splits : (i + 1) * n_splits]]
                for i in range(len(candidates))
            ],
        }
        if asked is not None:
            # repr-exact floats: JSON reads back the very points asked.
            record["asked"] = np.asarray(asked, dtype=float).tolist()
        self._write_line(record)
        self.records.append(record)
        self.position = len(self.records)

    def _write_line(self, document, fresh=False):
        line = json.dumps(document, allow_nan=False, separators=(",", ":"))
        if self._good_size is not None:
            # Cut off an interrupted last line before appending after it.
            os.truncate(self.path, self._good_size)
            self._good_size = None
        with open(self.path, "ab") as f:
            f.write(line.encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        if fresh:
            _sync_directory(self.path)


class Diverged(Exception):
    """A resumed search asks for other candidates than the recorded batch holds
    (another budget, another version of skhpo): it goes on by key (``lookup``)."""

    def __init__(self, batch):
        super().__init__(f"the search no longer follows batch {batch} of the record")
        self.batch = batch


def new_header(search, fit_data, seed):
    """The first line of a new checkpoint."""
    from skhpo import __version__

    return {
        "format": _FORMAT,
        "version": _VERSION,
        "search": type(search).__name__,
        "skhpo_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "seed": seed,
        "n_splits": len(fit_data["splits"]),
        "fingerprint": fingerprint(search, fit_data),
    }


def _is_json(line):
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def _is_partial_header(data):
    """Whether ``data`` is the start of a header line cut short by a crash."""
    return data.startswith(_MAGIC) or _MAGIC.startswith(data)


def _sync_directory(path):
    """Make the new file's directory entry durable too (POSIX only)."""
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
