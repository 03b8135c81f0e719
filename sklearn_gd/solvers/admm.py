r"""ADMM: the alternating direction method of multipliers, with adaptive penalty.

The objective is split into its smooth part :math:`f` (data term + L2) and its
non-smooth part :math:`g` (the L1 part of the penalty), coupled by a constraint:

.. math::

    \min_{x, z}\ f(x) + g(z) \quad \text{subject to} \quad x = z .

With the scaled dual variable :math:`u` and the penalty :math:`\rho > 0`, each
iteration of the augmented Lagrangian method alternates

.. math::

    x_{k+1} &= \arg\min_x\ f(x) + \tfrac{\rho}{2} \lVert x - z_k + u_k \rVert^2
              \qquad \text{(a ridge-like smooth problem)},

    z_{k+1} &= \mathrm{prox}_{g/\rho}(x_{k+1} + u_k)
              \qquad \text{(soft-thresholding; the intercept is copied)},

    u_{k+1} &= u_k + x_{k+1} - z_{k+1}
              \qquad \text{(dual ascent on the constraint)} .

The primal residual :math:`r = x_{k+1} - z_{k+1}` measures how far the
constraint is from holding; the dual residual :math:`s = \rho (z_{k+1} - z_k)`
how far :math:`x` is from minimising the Lagrangian. :math:`\rho` is adapted by
residual balancing (Boyd et al., 2011, section 3.4.1): when
:math:`\lVert r \rVert > 10 \lVert s \rVert` it is doubled, when
:math:`\lVert s \rVert > 10 \lVert r \rVert` halved, and :math:`u` rescaled to
match, so it needs no tuning.

The x-update is where the structure of the loss pays:

* squared loss: :math:`f` is quadratic with a constant Hessian :math:`H`, so
  :math:`x_{k+1} = (H + \rho I)^{-1}(\rho (z_k - u_k) - \nabla f(0))`. ``H`` is
  formed once (from the Gram matrix) and diagonalised once,
  :math:`H = Q \Lambda Q^\top`, so every solve, for every :math:`\rho` the
  balancing picks, is two products with :math:`Q`;
* logistic and softmax losses: a few damped Newton steps on the x-subproblem,
  warm-started at the previous :math:`x`, to a tolerance that tightens with the
  outer iterations (an inexact ADMM).

The run stops when the largest entry of the proximal gradient mapping at
:math:`z`, :math:`(z - \mathrm{prox}_{tg}(z - t \nabla f(z)))/t` with
:math:`t = 1/L`, is at most ``tol``: the measure ista and the first-order
solvers stop on, so ``tol`` means the same thing. The coefficients returned
are :math:`z`, which has the exact zeros of the L1 solution.
"""

from numbers import Integral, Real

import numpy as np
import scipy.linalg
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import IterationLog, Solver, SolverResult, detects_overflow

#: Residual balancing: rescale rho by TAU when one residual exceeds MU times the other.
MU, TAU = 10.0, 2.0
#: Largest n_coef for which the dense Hessian is formed (x-update and inner Newton).
MAX_DENSE_COEF = 2500
#: Halvings of the inner Newton step tried by its line search.
MAX_HALVINGS = 40


class ADMM(Solver):
    """ADMM with adaptive penalty (``solver="admm"``), for L1 and elastic-net problems.

    Stops when the largest entry of the proximal gradient mapping at the
    returned coefficients is at most ``tol``. ``learning_rate`` and
    ``batch_size`` do not apply.

    Parameters
    ----------
    rho : "auto" or float > 0, default="auto"
        Initial penalty of the augmented Lagrangian; ``"auto"`` takes a tenth
        of the Lipschitz estimate of the smooth gradient. It is then adapted by
        residual balancing, so the initial value matters little.
    max_inner_iter : int, default=10
        Newton steps at most per x-update for the non-quadratic losses.
    """

    name = "admm"
    supports_l1 = True
    reports_iterates = True
    _parameter_constraints = {
        "rho": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "max_inner_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, rho="auto", max_inner_iter=10):
        self.rho = rho
        self.max_inner_iter = max_inner_iter

    # ------------------------------------------------------------- x-update
    def _quadratic_x_update(self, objective, theta):
        """``(v, rho) -> argmin f(x) + rho/2 |x - v|^2`` for a quadratic ``f``, exactly."""
        H = objective.hessian(theta)
        eigenvalues, Q = scipy.linalg.eigh(H, check_finite=False)
        eigenvalues = np.maximum(eigenvalues, 0.0)
        _, grad0 = objective.smooth_value_and_gradient(np.zeros(objective.n_coef))

        def update(x, v, rho, inner_tol):
            return Q @ ((Q.T @ (rho * v - grad0)) / (eigenvalues + rho))

        return update

    def _newton_x_update(self, objective):
        """Damped Newton on ``f(x) + rho/2 |x - v|^2`` from ``x`` (inexact x-update)."""
        from scipy.sparse.linalg import LinearOperator, cg

        dense = objective.n_coef <= MAX_DENSE_COEF

        def update(x, v, rho, inner_tol):
            value, grad = objective.smooth_value_and_gradient(x)
            value += 0.5 * rho * float(np.dot(x - v, x - v))
            grad = grad + rho * (x - v)
            for _ in range(self.max_inner_iter):
                if np.max(np.abs(grad), initial=0.0) <= inner_tol:
                    break
                if dense:
                    H = objective.hessian(x)
                    H[np.diag_indices_from(H)] += rho
                    try:
                        factor = scipy.linalg.cho_factor(H, check_finite=False)
                        step = -scipy.linalg.cho_solve(factor, grad, check_finite=False)
                    except np.linalg.LinAlgError:
                        step = scipy.linalg.lstsq(H, -grad, check_finite=False)[0]
                else:
                    product = objective.hessian_operator(x)
                    operator = LinearOperator(
                        (x.size, x.size),
                        matvec=lambda p, product=product: product(p) + rho * p,
                        dtype=float,
                    )
                    norm = np.linalg.norm(grad)
                    step = cg(operator, -grad, rtol=min(0.5, np.sqrt(norm)), maxiter=200)[0]
                slope = float(np.dot(grad, step))
                if not (np.all(np.isfinite(step)) and slope < 0):
                    break  # no descent direction left (rounding or overflow)
                slack = 16 * np.finfo(float).eps * abs(value)
                t = 1.0
                for _ in range(MAX_HALVINGS):
                    candidate = x + t * step
                    new_value, new_grad = objective.smooth_value_and_gradient(candidate)
                    new_value += 0.5 * rho * float(np.dot(candidate - v, candidate - v))
                    if new_value <= value + 1e-4 * t * slope + slack:
                        break
                    t *= 0.5
                else:
                    break  # the precision limit of the subproblem
                x, value = candidate, new_value
                grad = new_grad + rho * (x - v)
            return x

        return update

    # ------------------------------------------------------------------ run
    @detects_overflow
    def minimize(
        self,
        objective,
        theta0,
        *,
        max_iter,
        tol,
        verbose=0,
        callback=None,
        initial_state=None,
        **ignored,
    ):
        self.check_objective(objective)
        z = np.array(theta0, dtype=np.float64)
        lipschitz = objective.lipschitz()
        t = 1.0 / lipschitz if 0 < lipschitz < np.inf else 1.0
        resumed = isinstance(initial_state, dict) and initial_state.get("solver") == self.name
        if resumed and np.shape(initial_state["u"]) == z.shape:
            rho, u = initial_state["rho"], initial_state["u"].copy()
        else:
            rho = 0.1 / t if self.rho == "auto" else float(self.rho)
            u = np.zeros_like(z)
        quadratic = getattr(objective.loss, "is_quadratic", False)
        if quadratic and objective.n_coef <= MAX_DENSE_COEF:
            x_update = self._quadratic_x_update(objective, z)
        else:
            x_update = self._newton_x_update(objective)

        def measure(z):
            value, grad = objective.smooth_value_and_gradient(z)
            mapping = (z - objective.prox(z - t * grad, t)) / t
            return value + objective.nonsmooth_value(z), float(np.max(np.abs(mapping), initial=0.0))

        value, optimality = measure(z)
        log = IterationLog(self.name, verbose, value, callback=callback)
        x = z.copy()
        converged = optimality <= tol
        message = (
            f"max |gradient mapping| <= tol={tol:g} at the starting point"
            if converged
            else f"reached max_iter={max_iter}"
        )
        for _ in range(max_iter if not converged else 0):
            inner_tol = max(0.1 * tol, 1e-3 * optimality)
            x = x_update(x, z - u, rho, inner_tol)
            z_old = z
            z = objective.prox(x + u, 1.0 / rho)
            u = u + x - z
            primal = float(np.linalg.norm(x - z))
            dual = rho * float(np.linalg.norm(z - z_old))
            if primal > MU * dual:
                rho, u = rho * TAU, u / TAU
            elif dual > MU * primal:
                rho, u = rho / TAU, u * TAU
            value, optimality = measure(z)
            stop = log.record(value, optimality, theta=z)
            if optimality <= tol:
                converged, message = True, f"max |gradient mapping| <= tol={tol:g}"
                break
            if stop:
                converged, message = True, "stopped by a callback (e.g. early stopping)"
                break
        if log.n_iter == 0:
            log.record(value, optimality, theta=z)
        return SolverResult(
            coef=z,
            n_iter=max(log.n_iter, 1),
            converged=converged,
            optimality=optimality,
            optimality_name="max |gradient mapping|",
            history=log.history,
            message=message,
            state={"solver": self.name, "rho": rho, "u": u},
        )
