"""What the solvers that hand the iterations to ``scipy.optimize.minimize`` share.

lbfgs, bfgs and trust-region each run one SciPy method on the fused value and
gradient (``jac=True``). Around the method they need the same few things,
written here once:

* :func:`start`: the first evaluation at the starting point, the run's
  :class:`~._base.IterationLog`, and the result to return at once when the
  starting point already meets ``tol``;
* :class:`Evaluations`: the objective as SciPy sees it, in coordinates ``u``
  with ``theta = P u`` (``P`` a :mod:`._preconditioner`, or the identity), the
  last evaluation kept so that SciPy's call at a point and the per-iteration
  callback's look at it read the data once; its :meth:`Evaluations.callback`
  records every iteration and stops the run when a callback (early stopping)
  asks to;
* :func:`refining_legs`: the run as legs of the method, the first on the
  objective, each next one on the objective refined at the point the last
  reached (:meth:`~sklearn_gd._objective.Objective.refined`) when the method
  stopped short of ``tol`` at the precision of the objective's values;
* :func:`finish`: the :class:`~._base.SolverResult` of the run.
"""

from dataclasses import dataclass

import numpy as np

from ._base import IterationLog, SolverResult, StopReason
from ._precision import (
    ITERATION_CAP,
    MAX_REFINEMENTS,
    max_abs,
    precision_message,
    refine,
    value_dtype,
)

#: A refined leg that raises the objective by more than this many machine epsilons
#: of its values (their rounding is a few) is undone.
RISE_EPS = 1000
#: Why a run stopped when a callback (early stopping, scikit-learn's callbacks) asked it to.
STOPPED = "stopped by a callback (e.g. early stopping)"


def max_abs_gradient(theta, grad):
    """The default optimality: the largest entry of the gradient in ``theta``."""
    return max_abs(grad)


def start(
    name, objective, theta0, tol, verbose, callback, measure=max_abs_gradient, what="gradient"
):
    """Evaluate ``objective`` at ``theta0`` and open the run's log.

    Parameters
    ----------
    name : str
        The solver's name, for the log's messages.
    objective : Objective
        What is minimised.
    theta0 : ndarray
        The starting point (float64).
    tol : float
        The tolerance on ``measure``.
    verbose, callback
        As for :class:`~._base.IterationLog`.
    measure : callable, default=max_abs_gradient
        ``measure(theta, grad) -> optimality``.
    what : str, default="gradient"
        What ``measure`` takes the largest entry of, for the message.

    Returns
    -------
    log : IterationLog
    value0 : float
    grad0 : ndarray
        The objective and its gradient at ``theta0``.
    done : SolverResult or None
        The result to return when ``theta0`` already meets ``tol`` (one
        iteration recorded); None otherwise.
    """
    value0, grad0 = objective.smooth_value_and_gradient(theta0)
    optimality = measure(theta0, grad0)
    log = IterationLog(name, verbose, value0, callback=callback)
    if optimality > tol:
        return log, value0, grad0, None
    log.record(value0, optimality, theta=theta0)
    done = SolverResult(
        coef=theta0,
        n_iter=1,
        converged=True,
        optimality=optimality,
        history=log.history,
        message=f"max |{what}| <= tol={tol:g} at the starting point",
        reason=StopReason.CONVERGED,
    )
    return log, value0, grad0, done


class Evaluations:
    """The objective as a SciPy method sees it: ``u -> (value, gradient in u)``.

    With a preconditioner ``P`` the method works on ``u`` with ``theta = P u``
    (:meth:`to_theta`), and the gradient it gets is ``P^T`` times the gradient
    in ``theta`` (:meth:`gradient_to_u`); without one, ``u`` is ``theta``. The
    last evaluation is kept: a point is evaluated once, however often SciPy
    and the callback ask for it.

    Parameters
    ----------
    objective : Objective
        What is minimised.
    theta0 : ndarray
        The starting point.
    value0, grad0 : float, ndarray
        The objective and its gradient at ``theta0`` (from :func:`start`).
    precond : BlockPreconditioner or None, default=None
        ``P``; None runs on ``theta`` itself.
    measure : callable, default=max_abs_gradient
        ``measure(theta, grad) -> optimality``.

    Attributes
    ----------
    u0 : ndarray
        The starting point in ``u``, to hand to SciPy.
    last : dict
        The last evaluation: ``u``, ``theta``, ``value`` and ``grad`` (in ``theta``).
    accepted : ndarray
        The last iterate SciPy reported (``u``): where a run that fails
        inside SciPy may go on from.
    stopped : bool
        Whether a callback asked to stop.
    """

    def __init__(self, objective, theta0, value0, grad0, precond=None, measure=max_abs_gradient):
        self.objective = objective
        self.measure = measure
        if precond is None:
            self.to_theta, self.gradient_to_u = np.array, np.asarray
            self.u0 = theta0
        else:
            self.to_theta, self.gradient_to_u = precond.to_theta, precond.gradient_to_u
            self.u0 = precond.to_u(theta0)
        self.last = {"u": self.u0.copy(), "theta": theta0, "value": value0, "grad": grad0}
        self.accepted = self.u0
        self.stopped = False

    def fun(self, u):
        """The value and the gradient in ``u`` at ``u`` (``jac=True``)."""
        last = self.last
        if not np.array_equal(u, last["u"]):
            theta = self.to_theta(u)
            value, grad = self.objective.smooth_value_and_gradient(theta)
            last.update(u=np.array(u), theta=theta, value=value, grad=grad)
        return last["value"], self.gradient_to_u(last["grad"])

    def at(self, u):
        """``(theta, optimality)`` at ``u``, evaluating only a point not seen last."""
        if not np.array_equal(u, self.last["u"]):
            self.fun(u)
        return self.last["theta"], self.measure(self.last["theta"], self.last["grad"])

    def callback(self, log, *, offset=0.0, stop_below=-np.inf):
        """SciPy's per-iteration callback: record the iteration in ``log``.

        ``offset`` is added to the recorded values (a refined objective's
        values are differences from its reference point). The run stops when
        the log's callback asks to (:attr:`stopped` is then set) or once the
        optimality is at most ``stop_below`` (a stopping rule SciPy cannot
        apply itself, e.g. on the gradient in ``theta`` while it sees ``u``).
        """

        def on_iteration(intermediate_result):
            self.accepted = np.array(intermediate_result.x)
            theta, optimality = self.at(intermediate_result.x)
            if log.record(offset + float(intermediate_result.fun), optimality, theta=theta):
                self.stopped = True
                raise StopIteration
            if optimality <= stop_below:
                raise StopIteration

        return on_iteration


@dataclass
class Leg:
    """Where one run of a SciPy method (a leg of :func:`refining_legs`) ended, and why.

    Attributes
    ----------
    theta : ndarray
        The point reached.
    optimality : float
        The optimality there (after any polishing).
    value : float
        The leg's objective at ``theta`` (a refined objective's: a difference).
    stopped : bool
        A callback asked to stop.
    capped : bool
        The method reached its iteration limit.
    why : str
        Why the method stopped short of ``tol``, in words, for the message.
    message : str or None
        The message of a run that ends here short of ``tol`` for a reason of
        its own (None: the precision limit, said with ``why``).
    """

    theta: np.ndarray
    optimality: float
    value: float
    stopped: bool = False
    capped: bool = False
    why: str = ""
    message: str = None


def refining_legs(log, objective, theta, value, grad, tol, max_iter, leg, measure=max_abs_gradient,
                  what="gradient"):  # fmt: skip
    """Run ``leg`` from ``theta``; when it stops short of ``tol``, again on the refined objective.

    Each leg after the first runs on the objective refined at the point the
    previous one reached (its values are differences from there, in float64
    when ``tol`` needs it), at most :data:`~._precision.MAX_REFINEMENTS`
    times; a run that still stops short of ``tol`` says why. A refined leg
    that raised the objective itself beyond the rounding of its values (the
    refined values misled it: products rounded at extreme feature scales) is
    undone, and the run ends where that leg started.

    Parameters
    ----------
    log : IterationLog
        The run's log; its count of iterations is the run's.
    objective : Objective
        What is minimised.
    theta : ndarray
        The starting point.
    value, grad : float, ndarray
        The objective and its gradient at ``theta`` (from :func:`start`).
    tol : float
        The tolerance on ``measure``.
    max_iter : int
        Iterations allowed, all legs together.
    leg : callable
        ``leg(objective, theta, value, grad, offset, budget) -> Leg``: one run
        of the method on ``objective`` from ``theta`` for at most ``budget``
        iterations, recording ``offset`` plus the objective's values.
    measure : callable, default=max_abs_gradient
        ``measure(theta, grad) -> optimality``.
    what : str, default="gradient"
        What ``measure`` takes the largest entry of, for the message.

    Returns
    -------
    SolverResult
    """
    base, offset, refinements, before = objective, 0.0, 0, None
    while True:
        ended = leg(objective, theta, value, grad, offset, max_iter - log.n_iter)
        if before is not None and _rose(base, before[2], ended.theta):
            # The refined values misled the leg (products rounded at extreme
            # feature scales): back to where it started, at the precision limit.
            why = "the refined objective's values stopped agreeing with the objective's"
            ended = Leg(before[0], before[1], before[2] - offset, why=why)
            refinements = MAX_REFINEMENTS
        theta, optimality = ended.theta, ended.optimality
        converged = ended.stopped or optimality <= tol
        if converged:
            message, reason = f"max |{what}| <= tol={tol:g}", StopReason.CONVERGED
            break
        if ended.capped or log.n_iter >= max_iter:
            message, reason = ITERATION_CAP, StopReason.MAX_ITER
            break
        refined = refine(objective, theta, tol) if refinements < MAX_REFINEMENTS else None
        if refined is None:
            message = ended.message or precision_message(objective, tol, ended.why)
            reason = StopReason.PRECISION_LIMIT
            break
        objective, refinements = refined, refinements + 1
        offset = objective.reference_value
        value, grad = objective.smooth_value_and_gradient(theta)
        optimality = measure(theta, grad)
        before = (theta, optimality, base.smooth_value(theta))
        if optimality <= tol:  # the refined gradient resolves what the last one did not
            ended, converged = Leg(theta, optimality, value), True
            message, reason = f"max |{what}| <= tol={tol:g}", StopReason.CONVERGED
            break
    return finish(
        log, theta, log.n_iter, optimality, reason, message, ended.stopped, offset + ended.value
    )


def _rose(objective, value, theta):
    """Whether ``objective`` at ``theta`` is above ``value`` by more than its rounding."""
    new = objective.smooth_value(theta)
    slack = RISE_EPS * np.finfo(value_dtype(objective)).eps * max(abs(value), abs(new))
    return not new <= value + slack


def finish(log, theta, n_iter, optimality, reason, message, stopped, value):
    """The :class:`~._base.SolverResult` of a run that ended at ``theta``.

    A run SciPy ended before its first iteration records ``value`` (the
    objective at ``theta``) as its one iteration; a run a callback stopped
    counts as converged, with the message :data:`STOPPED`.
    """
    if log.n_iter == 0:
        log.record(value, optimality, theta=theta)
    if stopped:
        reason, message = StopReason.CALLBACK, STOPPED
    return SolverResult(
        coef=np.array(theta, dtype=np.float64),
        n_iter=max(n_iter, log.n_iter, 1),
        converged=reason.converged,
        optimality=optimality,
        history=log.history,
        message=message,
        reason=reason,
    )
