"""The solvers, and the registry that maps their names to them.

Adding a solver is one module plus one line in :data:`SOLVERS`; the tests pick
it up from here.
"""

from ._base import Solver, SolverResult, StopReason
from .adagrad import AdaGrad, RMSProp
from .adam import Adam, AdamW
from .admm import ADMM
from .bfgs import BFGS
from .cd import CoordinateDescent
from .gd import GradientDescent
from .ista import ISTA
from .lbfgs import LBFGS
from .momentum import Momentum
from .newton import Newton
from .sgd import SGD
from .trust_region import TrustRegion

#: Solver classes by name; ``solver="<name>"`` means ``SOLVERS[name]()``.
SOLVERS = {
    "gd": GradientDescent,
    "sgd": SGD,
    "momentum": Momentum,
    "adam": Adam,
    "adamw": AdamW,
    "adagrad": AdaGrad,
    "rmsprop": RMSProp,
    "lbfgs": LBFGS,
    "bfgs": BFGS,
    "newton": Newton,
    "trust-region": TrustRegion,
    "ista": ISTA,
    "cd": CoordinateDescent,
    "admm": ADMM,
}


def solvers_supporting_l1():
    """Names of the solvers that handle the L1 part of the penalty.

    Returns
    -------
    list of str
        Keys of :data:`SOLVERS` whose solver has ``supports_l1``.
    """
    return solvers_with("supports_l1")


def solver_names(predicate):
    """Names of the solvers whose class satisfies ``predicate(cls)``, in registry order."""
    return [name for name, cls in SOLVERS.items() if predicate(cls)]


def solvers_accepting(constraint):
    """Names of the solvers that keep the weights in ``constraint``.

    Parameters
    ----------
    constraint : Constraint
        A constraint object of :mod:`sklearn_gd.constraints`.

    Returns
    -------
    list of str
        Keys of :data:`SOLVERS`, in registry order.
    """
    return [name for name, cls in SOLVERS.items() if cls().accepts_constraint(constraint)]


def solvers_with(capability):
    """Names of the solvers whose class sets the capability attribute ``capability``.

    Parameters
    ----------
    capability : str
        A capability attribute of :class:`Solver`: ``"supports_l1"``,
        ``"stochastic"``, ``"supports_partial_fit"``, ``"reports_iterates"``,
        ``"uses_learning_rate"``, ``"uses_schedule"`` or ``"needs_curvature_bound"``.

    Returns
    -------
    list of str
        Keys of :data:`SOLVERS`, in registry order.
    """
    return solver_names(lambda cls: getattr(cls, capability))


def resolve_solver(solver):
    """A fresh solver object for a name or a solver object (never the caller's own).

    Parameters
    ----------
    solver : str or Solver
        A key of :data:`SOLVERS`, or a solver object (which is cloned).

    Returns
    -------
    Solver
        A new solver object: the named solver with its defaults, or a clone.
    """
    from sklearn.base import clone

    if isinstance(solver, str):
        return SOLVERS[solver]()
    return clone(solver)


__all__ = [
    "SOLVERS",
    "ADMM",
    "BFGS",
    "AdaGrad",
    "Adam",
    "AdamW",
    "CoordinateDescent",
    "GradientDescent",
    "ISTA",
    "LBFGS",
    "Momentum",
    "Newton",
    "RMSProp",
    "SGD",
    "Solver",
    "SolverResult",
    "StopReason",
    "TrustRegion",
    "resolve_solver",
    "solver_names",
    "solvers_accepting",
    "solvers_supporting_l1",
    "solvers_with",
]
