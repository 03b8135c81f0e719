"""The solvers, and the registry that maps their names to them.

Adding a solver is one module plus one line in :data:`SOLVERS`; the tests pick
it up from here.
"""

from ._base import Solver, SolverResult
from .adam import Adam, AdamW
from .gd import GradientDescent
from .ista import ISTA
from .lbfgs import LBFGS
from .momentum import Momentum
from .newton import Newton
from .sgd import SGD

#: Solver classes by name; ``solver="<name>"`` means ``SOLVERS[name]()``.
SOLVERS = {
    "gd": GradientDescent,
    "sgd": SGD,
    "momentum": Momentum,
    "adam": Adam,
    "adamw": AdamW,
    "lbfgs": LBFGS,
    "newton": Newton,
    "ista": ISTA,
}


def solvers_supporting_l1():
    """Names of the solvers that handle the L1 part of the penalty."""
    return solvers_with("supports_l1")


def solvers_with(capability):
    """Names of the solvers whose class sets the capability attribute ``capability``."""
    return [name for name, cls in SOLVERS.items() if getattr(cls, capability)]


def resolve_solver(solver):
    """A fresh solver object for a name or a solver object (never the caller's own)."""
    from sklearn.base import clone

    if isinstance(solver, str):
        return SOLVERS[solver]()
    return clone(solver)


__all__ = [
    "SOLVERS",
    "Adam",
    "AdamW",
    "GradientDescent",
    "ISTA",
    "LBFGS",
    "Momentum",
    "Newton",
    "SGD",
    "Solver",
    "SolverResult",
    "resolve_solver",
    "solvers_supporting_l1",
    "solvers_with",
]
