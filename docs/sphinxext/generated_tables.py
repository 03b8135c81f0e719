"""Sphinx directives for the tables generated from the code (see :mod:`doc_tables`).

``.. solver-capabilities::``
    What each solver of ``sklearn_gd.SOLVERS`` can do, from its capability flags.
``.. migration-table::``
    The migration table of ``sklearn_gd._migration.EQUIVALENTS`` (page "Coming
    from scikit-learn"), the rows the estimators' errors quote.

``rst_epilog`` (in conf.py) takes the substitutions of :func:`doc_tables.substitutions`.
"""

from doc_tables import capability_rows, list_table, migration_rows
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


class _TableDirective(SphinxDirective):
    has_content = False
    rows = None
    widths = None

    def run(self):
        container = nodes.container()
        lines = StringList(list_table(type(self).rows(), self.widths), source="generated")
        self.state.nested_parse(lines, self.content_offset, container)
        return container.children


class SolverCapabilities(_TableDirective):
    rows = staticmethod(capability_rows)


class MigrationTable(_TableDirective):
    rows = staticmethod(migration_rows)
    widths = (22, 22, 56)


def setup(app):
    app.add_directive("solver-capabilities", SolverCapabilities)
    app.add_directive("migration-table", MigrationTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
