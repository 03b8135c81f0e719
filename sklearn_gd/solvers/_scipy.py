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
* :func:`outcome`: whether a run met ``tol`` and, if not, why it stopped;
* :func:`finish`: the :class:`~._base.SolverResult` of the run.
"""

import numpy as np

from ._base import IterationLog, SolverResult
from ._precision import ITERATION_CAP, max_abs

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


def outcome(result, optimality, tol, n_iter, max_iter, precision):
    """``(converged, message)`` of a SciPy run that ended with ``optimality``.

    Parameters
    ----------
    result : OptimizeResult
        What SciPy returned (``status`` 1: its iteration limit).
    optimality : float
        max |gradient| where the run ended (after any polishing).
    tol : float
        The tolerance.
    n_iter, max_iter : int
        Iterations run and allowed.
    precision : str
        Why SciPy stops short of ``tol`` at the precision limit of the
        objective, in words, for the message.

    Returns
    -------
    converged : bool
    message : str
    """
    if optimality <= tol:
        return True, f"max |gradient| <= tol={tol:g}"
    if result.status == 1 or n_iter >= max_iter:
        return False, ITERATION_CAP
    return False, (
        f"{result.message} (max |gradient| {optimality:.3g} > tol={tol:g}: {precision}; a "
        "larger tol, or float64 data, removes this warning)"
    )


def finish(log, theta, n_iter, optimality, converged, message, stopped, value):
    """The :class:`~._base.SolverResult` of a run that ended at ``theta``.

    A run SciPy ended before its first iteration records ``value`` (the
    objective at ``theta``) as its one iteration; a run a callback stopped
    counts as converged, with the message :data:`STOPPED`.
    """
    if log.n_iter == 0:
        log.record(value, optimality, theta=theta)
    if stopped:
        converged, message = True, STOPPED
    return SolverResult(
        coef=np.array(theta, dtype=np.float64),
        n_iter=max(n_iter, log.n_iter, 1),
        converged=converged,
        optimality=optimality,
        history=log.history,
        message=message,
    )
