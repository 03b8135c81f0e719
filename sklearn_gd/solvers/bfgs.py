r"""BFGS: SciPy's quasi-Newton method with a full inverse-Hessian approximation.

``scipy.optimize.minimize(method="BFGS", jac=True)`` on the fused value and
gradient. With :math:`s_t = \theta_{t+1} - \theta_t` and
:math:`y_t = \nabla F(\theta_{t+1}) - \nabla F(\theta_t)`, the approximation
:math:`H_t \approx \nabla^2 F^{-1}` is updated by

.. math::

    H_{t+1} = (I - \rho_t s_t y_t^\top) H_t (I - \rho_t y_t s_t^\top)
              + \rho_t s_t s_t^\top, \qquad \rho_t = 1 / (y_t^\top s_t),

and each iteration moves along :math:`-H_t \nabla F(\theta_t)` with a Wolfe
line search. Unlike L-BFGS, which keeps the last ``memory`` pairs, BFGS keeps
the whole ``n_coef x n_coef`` matrix: ``8 n_coef^2`` bytes and about
``2 n_coef^2`` extra operations per iteration, whatever ``n_samples``. That is
what it costs; what it buys is that curvature learned early is never forgotten,
so on small, ill-conditioned problems it can need fewer iterations than L-BFGS.
Once the per-iteration ``n_coef^2`` work approaches two passes over ``X``
(``n_coef`` around ``n_samples``), or the matrix no longer fits in memory,
``"lbfgs"`` is the better choice (see the user guide for measurements).

With ``precondition=True`` (the default) the starting matrix is the inverse of
the objective's curvature at the starting point (the same block that
preconditions lbfgs, formed only where it pays) instead of the identity.

Where SciPy's line search no longer sees a decrease of the objective's value
(its rounding: float32 data, large targets) with the gradient above ``tol``,
BFGS steps accepted on the gradient (:mod:`._polish`) go on; if they stop
short too, the run goes on refined from the point reached
(:func:`._scipy.refining_legs`), from the inverse Hessian it had built.

It needs a differentiable objective, so it refuses an L1 part.
"""

import numpy as np
from scipy.optimize import minimize

from ._base import Solver, detects_overflow
from ._polish import polish
from ._preconditioner import BlockPreconditioner
from ._scipy import Evaluations, Leg, refining_legs, start


def _positive_definite(matrix, fallback):
    """``matrix`` symmetrised when it is positive definite (SciPy checks), else ``fallback``.

    The inverse Hessian a run ends with can lose definiteness to rounding at
    the precision limit; the next leg then starts from ``fallback``.
    """
    matrix = 0.5 * (matrix + matrix.T)
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return fallback
    return matrix


class BFGS(Solver):
    """SciPy's BFGS (``solver="bfgs"``): quasi-Newton with a dense inverse Hessian.

    Stops when the largest entry of the gradient is at most ``tol`` (SciPy's
    ``gtol`` with ``norm=inf``). Memory and per-iteration work grow as
    ``n_coef^2``: prefer ``"lbfgs"`` beyond a few hundred coefficients.
    ``learning_rate`` and ``batch_size`` do not apply.

    Parameters
    ----------
    precondition : bool, default=True
        Start from the inverse of the objective's curvature at the starting
        point (where forming it pays, as for lbfgs) instead of the identity.
    """

    name = "bfgs"
    refines_precision = True
    reports_iterates = True
    _parameter_constraints = {"precondition": ["boolean"]}

    def __init__(self, precondition=True):
        self.precondition = precondition

    def _initial_inverse(self, objective, theta0):
        if not self.precondition:
            return None
        precond = BlockPreconditioner.for_objective(objective, theta0)
        if precond is None:
            return None
        inverse = precond.P @ precond.P.T  # ~ M^-1 on each output column
        inverse = 0.5 * (inverse + inverse.T)
        return np.kron(inverse, np.eye(objective.shape[1]))  # theta is C-order (n_dof, k)

    @staticmethod
    def _polish(objective, log, theta, hess_inv, tol, budget, offset=0.0):
        """BFGS steps accepted on the gradient where the line search met rounding."""
        H = np.array(hess_inv, dtype=np.float64)

        def update(s, y):
            sy = float(np.dot(s, y))
            if sy > 0:  # the BFGS update of the inverse Hessian
                rho, Hy = 1.0 / sy, H @ y
                H[...] += (rho * rho * float(np.dot(y, Hy)) + rho) * np.outer(s, s) - rho * (
                    np.outer(Hy, s) + np.outer(s, Hy)
                )

        return polish(objective, theta, log, tol, budget, lambda _, g: -(H @ g), update, offset)

    @detects_overflow
    def minimize(self, objective, theta0, *, max_iter, tol, verbose=0, callback=None):
        self.check_objective(objective)
        theta0 = np.array(theta0, dtype=np.float64)
        initial = self._initial_inverse(objective, theta0)
        hess_inv = {"last": initial}
        log, value0, grad0, done = start(self.name, objective, theta0, tol, verbose, callback)
        if done is not None:
            return done

        def leg(objective, theta, value, grad, offset, budget):
            # A refined leg starts from the inverse Hessian the last one built.
            problem = Evaluations(objective, theta, value, grad)
            options = {"maxiter": budget, "gtol": tol, "norm": np.inf}
            if hess_inv["last"] is not None:
                options["hess_inv0"] = hess_inv["last"]
            result = minimize(
                problem.fun,
                problem.u0,
                method="BFGS",
                jac=True,
                callback=problem.callback(log, offset=offset),
                options=options,
            )
            theta, optimality = problem.at(result.x)
            hess_inv["last"] = _positive_definite(result.hess_inv, initial)
            # SciPy's status 2: the line search found no decrease (precision loss).
            if result.status == 2 and optimality > tol and not problem.stopped:
                theta, optimality, _ = self._polish(
                    objective, log, theta, result.hess_inv, tol, max_iter - log.n_iter, offset
                )
            return Leg(
                theta,
                optimality,
                float(problem.last["value"]),
                stopped=problem.stopped,
                capped=result.status == 1,
                why=str(result.message).rstrip("."),
            )

        return refining_legs(log, objective, theta0, value0, grad0, tol, max_iter, leg)
