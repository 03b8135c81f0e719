"""Solver layer: the interface every solver implements, and what they share.

A solver is a plain parameter object (``get_params`` / ``set_params``, so that
``GridSearchCV`` can search ``solver__<param>``) with one method,
:meth:`Solver.minimize`, which sees only the objective. Fit never writes into
a solver object.
"""

import functools
import time
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
from sklearn.base import BaseEstimator

from ..exceptions import DivergenceError

#: An objective above this multiple of ``max(F(theta0), 1)`` counts as exploding.
EXPLOSION_FACTOR = 1e4
#: Iterations in a row above twice the starting objective that count as diverging
#: (the logistic losses grow only linearly, so an oscillating run never explodes).
DIVERGENCE_PATIENCE = 10


class StopReason(Enum):
    """Why a run stopped: the field :attr:`SolverResult.reason`.

    ``CONVERGED``
        the solver's stopping criterion was met (its optimality at most
        ``tol``, or, for the mini-batch solvers, the plateau rule);
    ``MAX_ITER``
        the run used the iterations or epochs it was given (``max_iter``; one
        epoch for ``partial_minimize``);
    ``CALLBACK``
        ``callback(theta)`` asked to stop (early stopping, scikit-learn's
        callbacks);
    ``PRECISION_LIMIT``
        the objective's values (and their refined float64 form, where there is
        one) stopped resolving a decrease with the optimality above ``tol``;
    ``DIVERGED``
        the run ended above where it started and returned an earlier iterate
        (a run that diverges outright raises :class:`DivergenceError`);
    ``STALLED``
        progress had slowed too much to reach ``tol`` (a plateau provably short
        of the minimum, a pace that ``max_iter`` cannot finish, consensus
        between chunks that does not come).

    Only ``CONVERGED`` and ``CALLBACK`` count as ``converged``.
    """

    CONVERGED = "converged"
    MAX_ITER = "max_iter"
    CALLBACK = "callback"
    PRECISION_LIMIT = "precision_limit"
    DIVERGED = "diverged"
    STALLED = "stalled"

    @property
    def converged(self):
        """Whether a run that stopped for this reason counts as converged."""
        return self in (StopReason.CONVERGED, StopReason.CALLBACK)


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
        Whether the stopping criterion was met before ``max_iter`` (or a
        callback stopped the run): ``reason.converged``.
    optimality : float
        The last value of the measure the solver stops on (compared with ``tol``).
    optimality_name : str
        What that measure is, for messages.
    history : dict of lists
        ``"objective"``, ``"optimality"``, ``"learning_rate"`` (NaN for the
        solvers without one) and ``"time"`` (seconds since the start, callbacks
        excluded) per iteration or epoch.
    message : str
        A human-readable reason for stopping.
    state : object or None
        What the solver needs to resume where it stopped (optimiser buffers,
        step count, learning-rate scale): the next ``partial_fit`` call hands it
        to ``partial_minimize``. None for the solvers that keep nothing.
    remedy : str
        What the user may do about a run that did not converge, for the warning.
    reason : StopReason
        Why the run stopped; ``message`` says it in words.
    """

    coef: np.ndarray
    n_iter: int
    converged: bool
    optimality: float
    optimality_name: str = "max |gradient|"
    history: dict = field(default_factory=dict)
    message: str = ""
    state: object = None
    remedy: str = (
        "Increase max_iter, scale the data (e.g. StandardScaler), raise tol, or try another solver."
    )
    reason: StopReason = None

    def __post_init__(self):
        if not isinstance(self.reason, StopReason):
            raise TypeError(f"SolverResult.reason must be a StopReason, not {self.reason!r}")
        if self.converged != self.reason.converged:
            raise ValueError(
                f"SolverResult: converged={self.converged} disagrees with reason={self.reason}"
            )


class Solver(BaseEstimator):
    """Base class of the solvers: hyperparameters in ``__init__``, work in ``minimize``.

    Subclasses set ``name`` (the registry key) and their capabilities, which
    the estimators read instead of the solver's name:

    ``supports_l1``
        handles the non-smooth L1 part of the penalty;
    ``stochastic``
        the result depends on ``random_state``;
    ``supports_partial_fit``
        has ``partial_minimize``: one pass over the data that continues from
        the state of the previous call;
    ``reports_iterates``
        calls ``callback(theta)`` after every iteration or epoch (which early
        stopping and the per-iteration scikit-learn callbacks need);
    ``uses_learning_rate``
        takes the estimator's ``learning_rate``;
    ``refines_precision``
        goes on in float64 differences when the objective's values stop
        resolving a decrease (float32 data, large targets), so it reaches
        ``tol`` where the others report the precision limit;
    ``uses_schedule``
        takes a learning-rate schedule (:mod:`sklearn_gd.schedules`);
    ``supports_constraints``
        keeps the weights in a constraint set (:mod:`sklearn_gd.constraints`);
        None (the default) means "as ``supports_l1``": a solver that takes the
        L1 part through ``objective.prox`` projects with it too. A solver that
        accepts some constraints only overrides :meth:`accepts_constraint`;
    ``needs_curvature_bound``
        may ask the objective for a Lipschitz constant (``lipschitz``,
        ``coordinate_lipschitz``: a step ``1 / L``, a certified gap), which
        needs the loss's global ``curvature_bound``. On a loss without one
        (Poisson) such a solver stops with a ``NoCurvatureBoundError`` when
        it asks; the others never ask.
    """

    name = None
    supports_l1 = False
    stochastic = False
    supports_partial_fit = False
    reports_iterates = False
    uses_learning_rate = False
    refines_precision = False
    uses_schedule = False
    supports_constraints = None
    needs_curvature_bound = False
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
        schedule=None,
        n_iter_no_change=5,
        random_state=None,
        verbose=0,
        callback=None,
    ):
        """Minimise ``objective`` from ``theta0``; return a :class:`SolverResult`.

        A solver's ``minimize`` names the settings that apply to it (every
        one takes ``max_iter`` and ``tol``; ``learning_rate`` only with
        ``uses_learning_rate``, ``schedule`` only with ``uses_schedule``...):
        an unknown or inapplicable setting is a TypeError naming it. The
        estimators pass each solver the settings its signature names.

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
            Step size, for the solvers that take one.
        batch_size : "auto" or int
            Mini-batch size, for the solvers that take one.
        schedule : Schedule or None
            Learning-rate schedule (see :func:`sklearn_gd.schedules.make_schedule`)
            for the solvers that take one; None for the solver's default.
        n_iter_no_change : int
            Epochs without an improvement larger than ``tol`` that make a plateau.
        random_state : numpy.random.RandomState
            Source of randomness (shuffling).
        verbose : int
            Print one line per iteration or epoch when > 0.
        callback : callable or None
            ``callback(theta) -> bool`` after each iteration or epoch, for the
            solvers with ``reports_iterates``; a true return stops the run.

        Returns
        -------
        SolverResult
            The coefficients reached, the iteration count, whether the
            stopping criterion was met and the history.
        """
        raise NotImplementedError

    def accepts_constraint(self, constraint):
        """Whether this solver honours ``constraint`` (see ``supports_constraints``).

        Parameters
        ----------
        constraint : Constraint
            A constraint object of :mod:`sklearn_gd.constraints`.

        Returns
        -------
        bool
            True when the solver keeps the weights in the set.
        """
        if self.supports_constraints is None:
            return self.supports_l1
        return bool(self.supports_constraints)

    def check_objective(self, objective):
        """Refuse, with a ValueError naming the solvers that can, what this one cannot do.

        Parameters
        ----------
        objective : Objective
            The objective about to be minimised; a solver without
            ``supports_l1`` refuses one with an L1 part, and one that does not
            accept its constraint refuses the constraint.
        """
        from . import solvers_accepting, solvers_supporting_l1  # the registry, imported late

        penalty = objective.penalty
        constraint = getattr(penalty, "constraint", None)
        if constraint is not None and not self.accepts_constraint(constraint):
            raise ValueError(
                f"solver={self.name!r} cannot keep the weights in {constraint!r}. Use one "
                f"of the solvers that can: {', '.join(solvers_accepting(constraint))}."
            )
        if penalty.l1 == 0 or self.supports_l1:
            return
        raise ValueError(
            f"solver={self.name!r} needs a differentiable objective and cannot handle "
            f"the L1 part of the penalty (l1_ratio={penalty.l1_ratio:g} "
            f"with alpha={penalty.alpha:g}). Use one of the solvers that "
            f"support it: {', '.join(solvers_supporting_l1())}; or set l1_ratio=0."
        )


def detects_overflow(minimize):
    """Run ``minimize`` with NumPy's overflow warnings off.

    For solvers that check every objective value and iterate themselves and
    report a non-finite one as divergence (or reject it, as a backtracking line
    search does): NumPy need not warn about the overflow that led there.
    """

    @functools.wraps(minimize)
    def wrapper(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return minimize(*args, **kwargs)

    return wrapper


class IterationLog:
    """Records the history of a run, prints progress and detects divergence.

    Shared by the solvers so that ``history`` and ``verbose`` output look the
    same for each of them.

    Parameters
    ----------
    solver_name : str
        For messages.
    verbose : int
        Print one line per record when > 0.
    reference_value : float or None
        The objective divergence is measured against (the start of training);
        None until the caller sets ``reference_value`` before the first record.
    learning_rate : float or None
        The initial learning rate, for the hint of a divergence error.
    callback : callable or None
        ``callback(theta) -> stop``, called after each record.
    iterations_above : int
        Records in a row far above the reference so far (a resumed run's count).
    unit : str
        What one record is, for ``verbose``: ``"iteration"`` or ``"epoch"``.
    optimality_name : str or None
        What the optimality recorded is, the title of its ``verbose`` column
        (the run's ``SolverResult.optimality_name``); None: ``"objective
        change"`` per epoch, ``"max |gradient|"`` per iteration.

    Notes
    -----
    With ``verbose``, the first record prints a header, each record one row:
    the count, the objective, the optimality, the step and the elapsed time,
    then the columns of the callback's ``progress()`` (``[(title, text)]``,
    e.g. the validation score of early stopping) when it has one; a row is
    printed after the callback, so that those columns are the iterate's own.
    """

    def __init__(
        self,
        solver_name,
        verbose,
        reference_value,
        learning_rate=None,
        callback=None,
        iterations_above=0,
        unit="iteration",
        optimality_name=None,
    ):
        self.solver_name = solver_name
        self.verbose = verbose
        self.reference_value = reference_value
        self.iterations_above = iterations_above
        self.learning_rate = learning_rate
        self.callback = callback
        self.unit = unit
        if optimality_name is None:
            optimality_name = "objective change" if unit == "epoch" else "max |gradient|"
        self.optimality_name = optimality_name
        self.start = time.perf_counter()
        self.callback_time = 0.0
        self.history = {"objective": [], "optimality": [], "learning_rate": [], "time": []}

    def record(self, value, optimality, learning_rate=None, theta=None):
        """Append one iteration; raise :class:`DivergenceError` if it diverged.

        Then call the callback, if any, with the iterate ``theta``; return
        whether it asks to stop. The time spent in callbacks is not counted in
        the history's elapsed time.
        """
        elapsed = time.perf_counter() - self.start - self.callback_time
        self.history["objective"].append(value)
        self.history["optimality"].append(optimality)
        self.history["learning_rate"].append(np.nan if learning_rate is None else learning_rate)
        self.history["time"].append(elapsed)
        limit = EXPLOSION_FACTOR * max(self.reference_value, 1.0)
        if not np.isfinite(value) or value > limit:
            self._print(value, optimality, learning_rate, elapsed)
            self.fail(
                f"the objective went from {self.reference_value:.6g} to {value:.6g}", learning_rate
            )
        far_above = value > 2.0 * abs(self.reference_value) + 1e-12
        self.iterations_above = self.iterations_above + 1 if far_above else 0
        if self.iterations_above >= DIVERGENCE_PATIENCE:
            self._print(value, optimality, learning_rate, elapsed)
            self.fail(
                f"the objective stayed above twice its value at the start "
                f"({self.reference_value:.6g}) for {DIVERGENCE_PATIENCE} {self.unit}s "
                f"(now {value:.6g})",
                learning_rate,
            )
        stop = False
        if self.callback is not None:
            started = time.perf_counter()
            stop = bool(self.callback(theta))
            self.callback_time += time.perf_counter() - started
        self._print(value, optimality, learning_rate, elapsed)
        return stop

    #: A callable returning advice that comes before the learning rate's in a
    #: divergence error (the first-order loop's: scale the features), or None.
    advice = None

    def _print(self, value, optimality, learning_rate, elapsed):
        """The ``verbose`` row of the last record (after the header, on the first)."""
        if not self.verbose:
            return
        progress = getattr(self.callback, "progress", None)
        extra = progress() if progress is not None else []
        titles = [self.unit, "objective", self.optimality_name, "step", "time (s)"]
        titles += [title for title, _ in extra]
        step = "-" if learning_rate is None else f"{learning_rate:.3e}"
        cells = [str(self.n_iter), f"{value:.8e}", f"{optimality:.3e}", step, f"{elapsed:.3f}"]
        cells += [text for _, text in extra]
        if self.n_iter == 1 or titles != getattr(self, "_titles", None):
            # Column widths fixed by the header's row, so that the rows align.
            self._titles = titles
            self._widths = [max(len(t), len(c), 9) for t, c in zip(titles, cells, strict=True)]
            self._widths[1] = max(self._widths[1], 15)
            print(f"[{self.solver_name}] " + "  ".join(map(str.rjust, titles, self._widths)))
        row = "  ".join(map(str.rjust, cells, self._widths))
        print(f"[{self.solver_name}] {row}", flush=True)

    def fail(self, what, learning_rate=None):
        """Raise :class:`DivergenceError`: ``what`` happened at the current iteration."""
        lr = self.learning_rate if self.learning_rate is not None else learning_rate
        hint = (
            f"learning_rate={lr:.3g} is too large for this problem; try "
            f"learning_rate={lr / 10:.3g} or smaller."
            if lr is not None
            else "Check the data for extreme values and scale the features."
        )
        if learning_rate is not None and lr is not None and learning_rate != lr:
            hint += f" (The schedule had brought the step to {learning_rate:.3g}.)"
        first = self.advice() if self.advice is not None else None
        if first:
            hint = f"{first} Otherwise {hint[0].lower()}{hint[1:]}"
        raise DivergenceError(
            f"solver={self.solver_name!r} diverged at iteration {self.n_iter}: {what}. {hint}",
            history=self.history,
            learning_rate=lr,
        )

    @property
    def n_iter(self):
        return len(self.history["objective"])
