r"""Newton's method with a backtracking line search.

Each iteration solves :math:`H(\theta)\, d = -\nabla F(\theta)` and moves to
:math:`\theta + t d` with the largest :math:`t \in \{1, 1/2, 1/4, \dots\}`
meeting Armijo's condition. The Newton system is solved

* directly, by a Cholesky factorisation of the dense Hessian, when there are at
  most ``max_cholesky_coef`` coefficients and forming the Hessian is cheap
  enough (a minimum-norm least-squares solve when the Hessian is singular up
  to rounding, e.g. unpenalised with collinear columns or more features than
  samples: see :func:`newton_system_solution`);
* by conjugate gradient on Hessian-vector products otherwise (truncated Newton,
  relative tolerance ``min(0.5, sqrt(|g|))``), never forming the Hessian, and
  preconditioned by the objective's curvature on a few thousand rows
  (:mod:`._preconditioner`).

Forming the Hessian costs ``n * n_dof^2`` operations per block, and a
``k``-output loss with coupled outputs (softmax) has ``k (k + 1) / 2`` blocks,
while a Hessian-vector product costs two passes over ``X``. ``"auto"`` takes
Cholesky when ``n_dof * n_blocks <= CHOLESKY_WORK`` (one output with up to
about a thousand features, a few classes with up to a hundred or two),
conjugate gradient otherwise (e.g. 10 classes x 200 features, where it is many
times faster).

Works for every loss, the multinomial one included. Needs a twice
differentiable objective, so it refuses an L1 part.
"""

from numbers import Integral

import numpy as np
import scipy.linalg
from scipy.sparse.linalg import LinearOperator, cg
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import IterationLog, Solver, SolverResult, StopReason
from ._precision import (
    ITERATION_CAP,
    MAX_REFINEMENTS,
    max_abs,
    precision_message,
    refine,
    value_dtype,
)
from ._preconditioner import BlockPreconditioner

#: Armijo's sufficient-decrease constant.
ARMIJO = 1e-4
#: Halvings of the step tried by the line search before giving up.
MAX_HALVINGS = 40
#: Smallest pivot of the Hessian's Cholesky factor, relative to its diagonal
#: entry, for which the factorisation is trusted (see ``newton_system_solution``).
MIN_RELATIVE_PIVOT = 1e-10
#: Eigenvalues of a singular Hessian below ``RCOND * n_coef * eps`` times the
#: largest are taken as zero (rounding errors of an exact null space).
RCOND = 64
#: ``"auto"`` forms the Hessian when ``n_dof * n_blocks`` is at most this: the
#: Hessian (compute-bound) then costs less than a typical preconditioned
#: conjugate gradient run of (memory-bound) Hessian-vector products.
CHOLESKY_WORK = 1000


def newton_system_solution(hessian, grad):
    r"""The minimum-norm solution of ``hessian @ d = -grad``: Cholesky, or a pseudo-inverse.

    Cholesky when the Hessian is safely positive definite: every pivot of its
    factor keeps at least :data:`MIN_RELATIVE_PIVOT` of its diagonal entry
    (one minus the squared multiple correlation of that coefficient's column
    with the previous ones). Below that the Hessian is singular up to rounding
    (collinear columns, unpenalised): Cholesky may still succeed, on pivots
    that are rounding errors, and return a huge direction along the null space
    that depends on the rounding (the order of the rows, zero-weight rows).
    There the step is the least-squares solution with the eigenvalues below
    :data:`RCOND` times the largest taken as zero: it lies in the Hessian's
    range, so that from a start in that range (zero coefficients) the iterates
    stay in it and end at the minimum-norm minimiser, :math:`X^+ y` for least
    squares, as ``LinearRegression`` returns.
    """
    diagonal = np.diag(hessian)
    try:
        factor = scipy.linalg.cho_factor(hessian, check_finite=False)
        pivots = np.diag(factor[0]) ** 2
        safe = np.all(pivots >= MIN_RELATIVE_PIVOT * np.maximum(diagonal, 1e-300))
        if safe:
            direction = -scipy.linalg.cho_solve(factor, grad, check_finite=False)
            if np.all(np.isfinite(direction)):
                return direction
    except np.linalg.LinAlgError:
        pass
    cond = RCOND * max(hessian.shape[0], 1) * np.finfo(np.float64).eps
    return scipy.linalg.lstsq(hessian, -grad, cond=cond, check_finite=False)[0]


class Newton(Solver):
    """Newton's method with line search (``solver="newton"``).

    Stops when the largest entry of the gradient is at most ``tol``.

    Parameters
    ----------
    inner_solver : {"auto", "cholesky", "cg"}, default="auto"
        How the Newton system is solved: ``"auto"`` takes Cholesky when there
        are at most ``max_cholesky_coef`` coefficients and conjugate gradient
        otherwise.
    max_cholesky_coef : int, default=2500
        Largest number of coefficients for which ``"auto"`` forms the Hessian
        (it also needs the Hessian to be cheap, see the module's notes).
    """

    name = "newton"
    refines_precision = True
    reports_iterates = True
    _parameter_constraints = {
        "inner_solver": [StrOptions({"auto", "cholesky", "cg"})],
        "max_cholesky_coef": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, inner_solver="auto", max_cholesky_coef=2500):
        self.inner_solver = inner_solver
        self.max_cholesky_coef = max_cholesky_coef

    def _direction(self, objective, theta, grad):
        n_dof, k = objective.shape
        n_blocks = objective.loss.n_hessian_blocks(k)
        use_cholesky = self.inner_solver == "cholesky" or (
            self.inner_solver == "auto"
            and objective.n_coef <= self.max_cholesky_coef
            and n_dof * n_blocks <= CHOLESKY_WORK
        )
        if use_cholesky:
            return newton_system_solution(objective.hessian(theta), grad)
        operator = LinearOperator(
            (objective.n_coef, objective.n_coef),
            matvec=objective.hessian_operator(theta),
            dtype=np.float64,
        )
        precond = BlockPreconditioner.for_objective(objective, theta)
        M = None
        if precond is not None:
            M = LinearOperator(
                (objective.n_coef, objective.n_coef),
                matvec=precond.inverse_curvature,
                dtype=np.float64,
            )
        grad_norm = np.linalg.norm(grad)
        direction, _ = cg(operator, -grad, rtol=min(0.5, np.sqrt(grad_norm)), maxiter=200, M=M)
        return direction

    def minimize(self, objective, theta0, *, max_iter, tol, verbose=0, callback=None):
        self.check_objective(objective)
        theta = np.array(theta0, dtype=np.float64)
        value, grad = objective.smooth_value_and_gradient(theta)
        log = IterationLog(self.name, verbose, value, callback=callback)
        optimality = max_abs(grad)
        converged = optimality <= tol
        message = f"max |gradient| <= tol={tol:g}" if converged else ITERATION_CAP
        reason = StopReason.CONVERGED if converged else StopReason.MAX_ITER
        # Values of a refined objective are differences from its reference
        # point: ``offset`` (that point's value) is added for the history.
        offset, refinements = 0.0, 0
        # A refinement restarts the loop without an iteration: count the recorded ones.
        while log.n_iter < max_iter and not converged:
            direction = self._direction(objective, theta, grad)
            slope = float(np.dot(grad, direction))
            if not slope < 0:  # not a descent direction: fall back to the gradient
                direction, slope = -grad, -float(np.dot(grad, grad))
            # Rounding-level slack so that a step at machine precision is accepted.
            slack = 16 * np.finfo(float).eps * abs(value)
            noise = 16 * np.finfo(value_dtype(objective)).eps * abs(value)
            step, progress = 1.0, False
            for _ in range(MAX_HALVINGS):
                candidate = theta + step * direction
                new_value, new_grad = objective.smooth_value_and_gradient(candidate)
                if new_value <= value + ARMIJO * step * slope + slack:
                    # A step that lowers neither the value by more than its
                    # rounding (at the data's precision) nor the gradient by a
                    # tenth is no progress: the values no longer resolve the
                    # decrease, and the gradient moves by rounding only.
                    progress = new_value < value - noise or max_abs(new_grad) < 0.9 * optimality
                    break
                step *= 0.5
            if not progress:
                # No decrease measurable in the objective's values: go on with
                # float64 differences of the objective from here, or stop.
                refined = refine(objective, theta, tol) if refinements < MAX_REFINEMENTS else None
                if refined is None:
                    log.record(offset + value, optimality, theta=theta)
                    message = precision_message(objective, tol, "the line search found no decrease")
                    reason = StopReason.PRECISION_LIMIT
                    break
                objective, refinements = refined, refinements + 1
                offset = objective.reference_value
                value, grad = objective.smooth_value_and_gradient(theta)
                optimality = max_abs(grad)
                converged = optimality <= tol
                if converged:
                    reason = StopReason.CONVERGED
                continue
            theta, value, grad = candidate, new_value, new_grad
            optimality = max_abs(grad)
            stop = log.record(offset + value, optimality, theta=theta)
            if optimality <= tol:
                converged, message = True, f"max |gradient| <= tol={tol:g}"
                reason = StopReason.CONVERGED
            elif stop:
                converged, message = True, "stopped by a callback (e.g. early stopping)"
                reason = StopReason.CALLBACK
                break
        if log.n_iter == 0:
            log.record(offset + value, optimality, theta=theta)
        return SolverResult(
            coef=theta,
            n_iter=log.n_iter,
            converged=converged,
            optimality=optimality,
            history=log.history,
            message=message,
            reason=reason,
        )
