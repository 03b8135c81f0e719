"""The README's and the user guide's tables and lists agree with the code.

The README is Markdown read on its own: its solver table, its parameter table and its
lists of solvers by capability are parsed and compared with the registry and the
estimators' parameters. The user guide generates its capability table, its migration
table and its solver lists from the code (``docs/sphinxext/doc_tables.py``): the pages
must use them, and the generated cells must say what the estimators do.
"""

import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from sklearn_gd import SOLVERS, GDLinearRegression, GDLogisticRegression
from sklearn_gd._migration import EQUIVALENTS
from sklearn_gd.solvers import solvers_with

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
GUIDE = ROOT / "docs" / "user_guide"
sys.path.insert(0, str(ROOT / "docs" / "sphinxext"))
doc_tables = pytest.importorskip("doc_tables")


def _table(markdown, first_header):
    """The rows (lists of cells) of the Markdown table whose first header cell is given."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def _names(text):
    """The solver names quoted in ``text``, as a set."""
    return {name for name in re.findall(r"`([a-z-]+)`", text) if name in SOLVERS}


def test_readme_solver_table_lists_every_solver_and_which_handle_l1():
    rows = _table(README, "name")
    assert [row[0].strip("`") for row in rows] == list(SOLVERS)
    for row in rows:
        assert row[-1].startswith("yes") == SOLVERS[row[0].strip("`")].supports_l1, row


def test_readme_parameter_table_lists_every_estimator_parameter():
    documented = [row[0].strip("`") for row in _table(README, "parameter")]
    params = set(GDLinearRegression().get_params()) | set(GDLogisticRegression().get_params())
    assert sorted(documented) == sorted(params)


def test_readme_lists_of_partial_fit_and_schedule_solvers_match_the_registry():
    sentences = re.split(r"(?<=[.;])\s", README.replace("\n", " "))
    partial = [s for s in sentences if "`partial_fit`" in s and len(_names(s)) >= 2]
    assert partial
    for sentence in partial:
        assert _names(sentence) == set(solvers_with("supports_partial_fit")), sentence
    (schedule,) = [row for row in _table(README, "parameter") if row[0] == "`schedule`"]
    assert _names(schedule[2]) == set(solvers_with("uses_schedule"))


def test_guide_uses_the_generated_tables_and_lists():
    solvers = (GUIDE / "solvers.rst").read_text()
    assert ".. solver-capabilities::" in solvers
    assert "     - ``partial_fit``\n     - ``early_stopping``" not in solvers  # no hand-made copy
    assert "|partial_fit_solvers|" in (GUIDE / "training.rst").read_text()
    regularization = (GUIDE / "regularization.rst").read_text()
    assert "|smooth_only_solvers|" in regularization
    assert "|schedule_solvers|" in (GUIDE / "learning_rate.rst").read_text()
    migration = (GUIDE / "migration.rst").read_text()
    assert ".. migration-table::" in migration
    assert "   migration\n" in (GUIDE / "index.rst").read_text()
    assert len(doc_tables.migration_rows()) == len(EQUIVALENTS) + 1


def test_substitutions_list_the_solvers_by_capability():
    epilog = dict(re.findall(r"\.\. \|(\w+)\| replace:: (.*)", doc_tables.substitutions()))
    assert set(re.findall(r"``([a-z-]+)``", epilog["partial_fit_solvers"])) == set(
        solvers_with("supports_partial_fit")
    )
    smooth = {name for name, cls in SOLVERS.items() if not cls.supports_l1}
    assert set(re.findall(r"``([a-z-]+)``", epilog["smooth_only_solvers"])) == smooth


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    return X, (X[:, 0] + 0.5 * rng.standard_normal(60) > 0).astype(int)


@pytest.mark.parametrize("solver", list(SOLVERS))
def test_capability_table_says_what_the_estimators_do(solver):
    """Each "yes" / "no" of the generated table, tried on an estimator."""
    header, *rows = doc_tables.capability_rows()
    row = dict(zip(header, next(r for r in rows if r[0] == f"``{solver}``"), strict=True))
    X, y = _data()

    def fits(**params):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                GDLogisticRegression(solver=solver, max_iter=20, random_state=0, **params).fit(
                    X, y
                )
            except ValueError:
                return False
        return True

    assert (row["L1 (``l1_ratio > 0``)"] == "yes") == fits(alpha=0.01, l1_ratio=1.0)
    assert (row["``early_stopping``"] == "yes") == fits(early_stopping=True)
    assert (row["``partial_fit``"] == "yes") == hasattr(
        GDLogisticRegression(solver=solver), "partial_fit"
    )
