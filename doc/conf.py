# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
"""Sphinx configuration of the skhpo documentation.

Build with ``sphinx-build -W --keep-going -b html doc doc/_build/html`` after
``pip install ".[docs]"``.
"""

import os
import re
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version as _version
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from docutils import nodes

_ROOT = Path(__file__).resolve().parent.parent

# -- Project -------------------------------------------------------------------------
project = "skhpo"
author = "The skhpo developers"
copyright = "The skhpo developers"
release = _version("skhpo")  # the installed distribution: pip install ".[docs]"
version = ".".join(release.split(".")[:2])

# -- General -------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "literal"

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"  # types are in the numpydoc sections

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = False

# The same numpydoc validation as the pre-commit hook: read from pyproject.toml so
# that the two never disagree.
with open(_ROOT / "pyproject.toml", "rb") as _f:
    _numpydoc = tomllib.load(_f)["tool"]["numpydoc_validation"]
numpydoc_validation_checks = set(_numpydoc["checks"])
numpydoc_validation_exclude = set(_numpydoc.get("exclude", []))

# -- Intersphinx ---------------------------------------------------------------------
# CI and some build machines reach PyPI but not these hosts. An unreachable inventory
# is an untyped Sphinx warning (it cannot be silenced with `suppress_warnings`), so a
# -W build would fail: keep only the inventories that answer a quick HEAD request.
# SKHPO_DOCS_OFFLINE=1 skips the probe and every inventory.
_INTERSPHINX = {
    "python": ("https://docs.python.org/3/", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "joblib": ("https://joblib.readthedocs.io/en/stable/", None),
    "matplotlib": ("https://matplotlib.org/stable/", None),
}


def _reachable(url, timeout=5.0):
    request = urllib.request.Request(url + "objects.inv", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status < 400
    except (OSError, ValueError):
        return False


if os.environ.get("SKHPO_DOCS_OFFLINE", "0") not in ("", "0"):
    intersphinx_mapping = {}
else:
    with ThreadPoolExecutor(len(_INTERSPHINX)) as _pool:
        _ok = list(_pool.map(lambda v: _reachable(v[0]), _INTERSPHINX.values()))
    intersphinx_mapping = {
        k: v for (k, v), ok in zip(_INTERSPHINX.items(), _ok, strict=True) if ok
    }
    _missing = sorted(set(_INTERSPHINX) - set(intersphinx_mapping))
    if _missing:
        print(f"intersphinx: unreachable, links not resolved: {', '.join(_missing)}")
intersphinx_timeout = 10

# Docstrings inherited from scikit-learn (and ours, written in its style) use its
# glossary terms (:term:`fit`) and labels (:ref:`metadata_routing`). Those are
# resolved by the scikit-learn inventory; without it, an unresolved term or label is
# a warning. So when the inventory is unavailable, link them to scikit-learn's pages
# directly. References to our own labels and terms are not affected: they resolve
# first, and a broken one still fails the build.
_SKLEARN_URL = "https://scikit-learn.org/stable/"
_SKLEARN_LABELS = {  # labels that scikit-learn's docstrings (and ours) refer to
    "metadata_routing": "metadata_routing.html",
    "cross_validation": "modules/cross_validation.html",
    "grid_search": "modules/grid_search.html",
    "multimetric_grid_search": "modules/grid_search.html#multimetric-grid-search",
    "randomized_parameter_search": (
        "modules/grid_search.html#randomized-parameter-search"
    ),
    "scoring_parameter": "modules/model_evaluation.html#scoring-parameter",
    "successive_halving_user_guide": (
        "modules/grid_search.html#successive-halving-user-guide"
    ),
}
_PY_TYPES = ("class", "func", "obj")  # API pages: modules/generated/<name>.html


def _term_id(term):
    """The HTML id Sphinx gives a glossary term (sphinx.util.nodes.make_id)."""
    return "term-" + re.sub(r"[^A-Za-z0-9._]+", "-", " ".join(term.split())).strip("-")


def _link_to_sklearn(app, env, node, contnode):
    domain, reftype, target = node.get("refdomain"), node["reftype"], node["reftarget"]
    if domain == "std" and reftype == "term":
        uri = f"{_SKLEARN_URL}glossary.html#{_term_id(target)}"
    elif domain == "std" and reftype == "ref" and target in _SKLEARN_LABELS:
        uri = _SKLEARN_URL + _SKLEARN_LABELS[target]
    elif domain == "py" and reftype in _PY_TYPES and target.startswith("sklearn."):
        uri = f"{_SKLEARN_URL}modules/generated/{target}.html"
    else:
        return None
    if reftype == "ref" and not node.get("refexplicit"):
        contnode = nodes.inline(target, target)
    reference = nodes.reference("", "", internal=False, refuri=uri)
    reference.append(contnode)
    return reference


def setup(app):
    if "sklearn" not in intersphinx_mapping:
        app.connect("missing-reference", _link_to_sklearn)


# -- sphinx-gallery ------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "doc_module": ("skhpo",),
    "backreferences_dir": "generated",
    # Only plot_*.py files run and enter the gallery; quickstart.py is the README's
    # command-line script.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py|quickstart\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "show_memory": False,
    "remove_config_comments": True,
}

# -- HTML ----------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skhpo {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
html_static_path = []
