"""Sphinx configuration of the sklearn-gd documentation.

Build it from the repository root with

    pip install ".[docs]" && python -m sphinx -W -b html docs docs/_build/html

The gallery (``examples/plot_*.py`` and ``examples/quickstart.py``) is executed by
sphinx-gallery at every build, so a broken example fails the build.
"""

import os
import re
import sys
import warnings
from pathlib import Path

import sklearn_gd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))  # gallery_order, doc_tables, generated_tables

import doc_tables  # noqa: E402

# -- Project ------------------------------------------------------------------
project = "sklearn-gd"
author = "sklearn-gd developers"
copyright = "sklearn-gd developers, BSD-3-Clause"  # noqa: A001
release = sklearn_gd.__version__
version = ".".join(release.split(".")[:2])

# -- General ------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",  # docs/benchmarks.md, written by the benchmark scripts
    "generated_tables",  # the solver capability and migration tables, from the code
]
# Lists of solvers by capability (|partial_fit_solvers| ...), from the registry.
rst_epilog = doc_tables.substitutions()
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "sphinxext"]
# ``code`` in single backquotes is a Python object reference, as in scikit-learn.
default_role = "obj"
root_doc = "index"

# -- autodoc / autosummary / numpydoc ----------------------------------------
autosummary_generate = True
# Members inherited from the package's own classes are shown (``predict`` of the
# classifiers lives on a private base class); scikit-learn's (``score``,
# ``get_params``, ``set_params``, ``set_*_request``, ``set_callbacks``) are not:
# their docstrings refer to scikit-learn's own pages.
autodoc_default_options = {
    "members": True,
    "inherited-members": (
        "BaseEstimator, ClassifierMixin, RegressorMixin, CallbackSupportMixin, _MetadataRequester"
    ),
}
autodoc_typehints = "none"
# The class template lists the methods itself (see _templates/autosummary/class.rst).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Check the docstrings of everything documented: a missing or unknown parameter,
# a malformed section or a missing docstring is a warning, and so fails -W.
numpydoc_validation_checks = {
    "GL08",  # the object has no docstring
    "PR01",  # parameters not documented
    "PR02",  # documented parameters that do not exist
    "PR03",  # parameters documented in the wrong order
    "PR10",  # missing space before the colon of a parameter
    "RT03",  # a return value without a description
    "SS01",  # no summary line
}
# Methods scikit-learn's BaseEstimator and mixins provide (their docstrings are
# scikit-learn's) and private helpers are not checked.
numpydoc_validation_exclude = {
    r"\.SOLVERS$",  # registries (dicts), documented by their comment
    r"\.SCHEDULES$",
    r"\.SolverResult$",  # a dataclass: its fields are documented as Attributes
    r"\.get_metadata_routing$",
    r"\.get_params$",
    r"\.set_params$",
    r"\.set_\w+_request$",
    r"\.set_callbacks$",
    r"\.score$",
    r"\.__init__$",
    r"\._\w+$",
}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-gd {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 5,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": []}
html_show_sourcelink = False

# -- sphinx-gallery -------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    # Execute the plot_ examples and the quick start; every .py file there is shown.
    "filename_pattern": r"/(plot_|quickstart)",
    "within_subsection_order": "gallery_order.ExplicitOrder",
    "doc_module": ("sklearn_gd",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sklearn_gd": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "min_reported_time": 1,
    "matplotlib_animations": False,
}

# The examples ask for no display; keep matplotlib headless during the build.
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="Matplotlib is currently using agg, which is a non-GUI backend",
)

# scikit-learn's metadata-routing methods (``set_fit_request`` and the like) are
# generated on every estimator class; their docstrings refer to scikit-learn's
# own pages, so they are left to scikit-learn's documentation.
_SKIPPED_MEMBERS = re.compile(r"^(set_\w+_request|get_metadata_routing)$")


def _skip_sklearn_members(app, what, name, obj, skip, options):
    return True if _SKIPPED_MEMBERS.match(name) else None


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_members)
