"""Tables and lists of the documentation, generated from the code so they cannot drift.

Plain functions (no Sphinx needed): the directives of :mod:`generated_tables`
render them, ``conf.py`` takes :func:`substitutions` as its ``rst_epilog``
(``|partial_fit_solvers|``, ``|l1_solvers|``, ``|smooth_only_solvers|``,
``|stochastic_solvers|``, ``|schedule_solvers|``: solver names by capability, in
registry order), and the tests compare them with the registry.
"""

from sklearn_gd._migration import ANY, EQUIVALENTS
from sklearn_gd.solvers import SOLVERS, solvers_with

#: The capability table's columns: title, and the cell of a solver class.
CAPABILITY_COLUMNS = (
    ("L1 (``l1_ratio > 0``)", lambda cls: _yes(cls.supports_l1)),
    ("batch", lambda cls: _batch(cls)),
    ("``schedule``", lambda cls: _yes(cls.uses_schedule)),
    ("``partial_fit``", lambda cls: _yes(cls.supports_partial_fit)),
    ("``early_stopping``", lambda cls: _yes(cls.reports_iterates)),
    ("depends on ``random_state``", lambda cls: _random(cls)),
)


def _yes(flag):
    return "yes" if flag else "no"


def _takes_mini_batches(cls):
    batch_size_for = getattr(cls(), "batch_size_for", None)
    return batch_size_for is not None and batch_size_for(10, 100) < 100


def _batch(cls):
    if cls.stochastic:
        return "mini"
    if _takes_mini_batches(cls):
        return "full (mini with an integer ``batch_size``)"
    return "full"


def _random(cls):
    if cls.stochastic:
        return "yes"
    return "with mini-batches" if _takes_mini_batches(cls) else "no"


def capability_rows():
    """``[["solver", titles...], [name, cells...] ...]``, one row per solver, in registry order."""
    header = ["solver"] + [title for title, _ in CAPABILITY_COLUMNS]
    rows = [[f"``{name}``"] + [cell(cls) for _, cell in CAPABILITY_COLUMNS]
            for name, cls in SOLVERS.items()]  # fmt: skip
    return [header, *rows]


def migration_rows():
    """The rows of the migration table: parameter (and value), estimators, what to write."""
    header = ["scikit-learn", "in", "sklearn-gd"]
    rows = []
    for row in EQUIVALENTS:
        if row.value is ANY:
            what = f"``{row.parameter}=``"
        elif row.kind == "meaning":
            what = f"``{row.parameter}``: {row.value}"
        else:
            what = f"``{row.parameter}={row.value!r}``"
        rows.append([what, row.estimators, row.instead])
    return [header, *rows]


def list_table(rows, widths=None):
    """reStructuredText lines of a ``list-table`` with a header row."""
    lines = [".. list-table::", "   :header-rows: 1"]
    if widths:
        lines.append(f"   :widths: {' '.join(map(str, widths))}")
    lines.append("")
    for row in rows:
        first, *rest = row
        lines.append(f"   * - {first}")
        lines.extend(f"     - {cell}" for cell in rest)
    return lines


def _literals(names, last="and"):
    quoted = [f"``{name}``" for name in names]
    if len(quoted) < 2:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} {last} {quoted[-1]}"


def substitutions():
    """The ``rst_epilog`` defining the solver-list substitutions."""
    values = {
        "partial_fit_solvers": _literals(solvers_with("supports_partial_fit")),
        "l1_solvers": _literals(solvers_with("supports_l1")),
        "smooth_only_solvers": _literals(
            [name for name, cls in SOLVERS.items() if not cls.supports_l1]
        ),
        "stochastic_solvers": _literals(solvers_with("stochastic")),
        "schedule_solvers": _literals(solvers_with("uses_schedule")),
    }
    return "\n".join(f".. |{key}| replace:: {value}" for key, value in values.items())


