"""Solver layer: the interface every solver implements, and what they share.

A solver is a plain parameter object (``get_params`` / ``set_params``, so that
``GridSearchCV`` can search ``solver__<param>``) with one method,
:meth:`Solver.minimize`, which sees only the objective. Fit never writes into
a solver object.
"""

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator

from ..exceptions import DivergenceError

#: An objective above this multiple of ``max(F(theta0), 1)`` counts as exploding.
EXPLOSION_FACTOR = 1e4


@dataclass
class SolverResult:
    """What :meth:`Solver.minimize` returns.

    Attributes
    ----------
    coef : ndarray
        The flat coefficient vector reached.
    n_iter : int
        Iterations (full-batch solvers) or epochs (mini-batch solvers) run, >= 1.
    converged : bool
        Whether the stopping criterion was met before ``max_iter``.
    optimality : float
        The last value of the measure the solver stops on (compared with ``tol``).
    optimality_name : str
        What that measure is, for messages.
    learning_rate : float or None
        The (initial) step size used, for solvers that have one.
    history : dict of lists
        ``"objective"``, ``"optimality"`` and ``"time"`` per iteration or epoch.
    message : str
        A human-readable reason for stopping.
    """

    coef: np.ndarray
    n_iter: int
    converged: bool
    optimality: float
    optimality_name: str = "max |gradient|"
    learning_rate: float = None
    history: dict = field(default_factory=dict)
    message: str = ""


class Solver(BaseEstimator):
    """Base class of the solvers: hyperparameters in ``__init__``, work in ``minimize``.

    Subclasses set ``name`` (the registry key), ``supports_l1`` (whether they
    handle the non-smooth L1 part of the penalty) and ``stochastic`` (whether
    their result depends on ``random_state``).
    """

    name = None
    supports_l1 = False
    stochastic = False
    _parameter_constraints: dict = {}

    def minimize(
        self,
        objective,
        theta0,
        *,
        max_iter,
        tol,
        learning_rate="auto",
        batch_size="auto",
        random_state=None,
        verbose=0,
    ):
        """Minimise ``objective`` from ``theta0``; return a :class:`SolverResult`.

        Parameters
        ----------
        objective : Objective
            What to minimise.
        theta0 : ndarray of shape (objective.n_coef,)
            The starting point (not modified).
        max_iter : int
            Maximum iterations (full-batch) or epochs (mini-batch).
        tol : float
            Tolerance of the solver's stopping criterion.
        learning_rate : "auto" or float
            Step size for the solvers that take one; ignored by the others.
        batch_size : "auto" or int
            Mini-batch size for the solvers that take one; ignored by the others.
        random_state : numpy.random.RandomState
            Source of randomness (shuffling).
        verbose : int
            Print one line per iteration or epoch when > 0.
        """
        raise NotImplementedError

    def check_objective(self, objective):
        """Refuse, with a ValueError naming the solvers that can, what this one cannot do."""
        if objective.is_smooth or self.supports_l1:
            return
        from . import solvers_supporting_l1  # the registry; imported late on purpose

        raise ValueError(
            f"solver={self.name!r} needs a differentiable objective and cannot handle "
            f"the L1 part of the penalty (l1_ratio={objective.penalty.l1_ratio:g} "
            f"with alpha={objective.penalty.alpha:g}). Use one of the solvers that "
            f"support it: {', '.join(solvers_supporting_l1())}; or set l1_ratio=0."
        )


class IterationLog:
    """Records the history of a run, prints progress and detects divergence.

    Shared by the solvers so that ``history`` and ``verbose`` output look the
    same for each of them.
    """

    def __init__(self, solver_name, verbose, initial_value, learning_rate=None):
        self.solver_name = solver_name
        self.verbose = verbose
        self.initial_value = initial_value
        self.learning_rate = learning_rate
        self.start = time.perf_counter()
        self.history = {"objective": [], "optimality": [], "time": []}

    def record(self, value, optimality, learning_rate=None):
        """Append one iteration; raise :class:`DivergenceError` if it diverged."""
        elapsed = time.perf_counter() - self.start
        self.history["objective"].append(value)
        self.history["optimality"].append(optimality)
        self.history["time"].append(elapsed)
        n = len(self.history["objective"])
        if self.verbose:
            step = "" if learning_rate is None else f", step {learning_rate:.3e}"
            print(
                f"[{self.solver_name}] iteration {n}: objective {value:.8e}, "
                f"optimality {optimality:.3e}{step}, elapsed {elapsed:.3f}s"
            )
        limit = EXPLOSION_FACTOR * max(self.initial_value, 1.0)
        if not np.isfinite(value) or value > limit:
            lr = self.learning_rate if learning_rate is None else learning_rate
            hint = (
                f"learning_rate={lr:.3g} is too large for this problem; try "
                f"learning_rate={lr / 10:.3g} (or 'auto')."
                if lr is not None
                else "check the data for extreme values."
            )
            raise DivergenceError(
                f"solver={self.solver_name!r} diverged at iteration {n}: the objective "
                f"went from {self.initial_value:.6g} to {value:.6g}. {hint}"
            )

    @property
    def n_iter(self):
        return len(self.history["objective"])
