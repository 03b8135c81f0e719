r"""Trust-region Newton-CG: SciPy's ``trust-ncg`` on Hessian-vector products.

Each iteration minimises the quadratic model of the objective around
:math:`\theta_t`,

.. math::

    m_t(p) = F(\theta_t) + \nabla F(\theta_t)^\top p
             + \tfrac12 p^\top \nabla^2 F(\theta_t)\, p
    \quad \text{subject to} \quad \lVert p \rVert \le \Delta_t,

approximately, by Steihaug's truncated conjugate gradient (it stops at the
boundary, or along a direction of non-positive curvature). The step is taken
when the actual decrease :math:`F(\theta_t) - F(\theta_t + p)` is at least 15%
of the decrease :math:`m_t(0) - m_t(p)` the model predicted; the radius
:math:`\Delta_t` shrinks by 4 when the ratio falls below 1/4 and doubles when
it exceeds 3/4 with the step on the boundary. So instead of choosing a step
length along a direction (a line search), the method chooses how far it trusts
its model, which keeps it safe where the Hessian is nearly singular or the
model poor, and lets it take full Newton steps where the model is good.

The Hessian is never formed: the conjugate gradient needs only products
:math:`\nabla^2 F(\theta)\, v`, two passes over ``X`` each, from
``objective.hessian_operator(theta)``, which computes the loss curvature once
per point and is reused for every product at that point. Memory and work per
product are those of newton's conjugate-gradient path, linear in ``n_coef``.

With ``precondition=True`` (the default) it runs on the coordinates
``theta = P u`` that lbfgs uses (:mod:`._preconditioner`, formed only where it
pays): the trust region becomes an ellipsoid shaped by the curvature at the
start, and the conjugate gradient needs far fewer products on ill-conditioned
data. The objective and the stopping rule (on the gradient in ``theta``) are
unchanged.

Where the ratio test no longer resolves a decrease of the objective's value
(its rounding: float32 data, large targets) with the gradient above ``tol``,
Newton steps accepted on the gradient (:mod:`._polish`) go on; if they stop
short too, the run goes on refined from the point reached
(:func:`._scipy.refining_legs`).

It needs a twice differentiable objective, so it refuses an L1 part.
"""

from numbers import Real

import numpy as np
from scipy.optimize import OptimizeResult, minimize
from scipy.sparse.linalg import LinearOperator, cg
from sklearn.utils._param_validation import Interval

from ._base import Solver, detects_overflow
from ._polish import polish
from ._preconditioner import BlockPreconditioner
from ._scipy import Evaluations, Leg, refining_legs, start

#: Below this, iterating past ``tol`` stops resolving anything (rounding).
FINAL_FLOOR = 1e-10
#: The final Newton steps (at most FINAL_STEPS) aim at this fraction of ``tol``.
FINAL_TOL = 1e-6
FINAL_STEPS = 3


class _SubproblemStalled(Exception):
    """The Steihaug conjugate gradient exceeded its budget of Hessian products."""


class TrustRegion(Solver):
    """Trust-region Newton-CG (``solver="trust-region"``): SciPy's ``trust-ncg``.

    Stops when the largest entry of the gradient is at most ``tol``.
    ``learning_rate`` and ``batch_size`` do not apply.

    Parameters
    ----------
    initial_radius : float > 0, default=1.0
        Radius of the first trust region (in the preconditioned coordinates
        when ``precondition`` applies).
    precondition : bool, default=True
        Run on coordinates preconditioned by the objective's curvature at the
        start (same objective and stopping rule, fewer Hessian products on
        ill-conditioned data).
    """

    name = "trust-region"
    refines_precision = True
    reports_iterates = True
    _parameter_constraints = {
        "initial_radius": [Interval(Real, 0, None, closed="neither")],
        "precondition": ["boolean"],
    }

    def __init__(self, initial_radius=1.0, precondition=True):
        self.initial_radius = initial_radius
        self.precondition = precondition

    @staticmethod
    def _newton_step(objective):
        """``(theta, g) -> d`` solving ``H d = -g`` by conjugate gradient (Hessian products)."""

        def direction(theta, grad):
            operator = LinearOperator(
                (objective.n_coef, objective.n_coef),
                matvec=objective.hessian_operator(theta),
                dtype=np.float64,
            )
            return cg(operator, -grad, rtol=1e-10, maxiter=2 * objective.n_coef + 20)[0]

        return direction

    @detects_overflow
    def minimize(self, objective, theta0, *, max_iter, tol, verbose=0, callback=None):
        self.check_objective(objective)
        theta0 = np.array(theta0, dtype=np.float64)
        precond = None
        if self.precondition:
            precond = BlockPreconditioner.for_objective(objective, theta0)
        log, value0, grad0, done = start(self.name, objective, theta0, tol, verbose, callback)
        if done is not None:
            return done

        def leg(objective, theta, value, grad, offset, budget):
            # A refined leg keeps the preconditioner: the curvature is the same.
            problem = Evaluations(objective, theta, value, grad, precond)
            return self._leg(objective, problem, log, offset, tol, budget, max_iter)

        return refining_legs(log, objective, theta0, value0, grad0, tol, max_iter, leg)

    def _hessp(self, objective, problem, log):
        """SciPy's ``hessp(u, p)``: Hessian products in ``u``, one operator per point.

        The loss curvature is computed once per point and every conjugate-gradient
        product at that point reuses it; past ``2 n_coef + 50`` products at one
        point (conjugate gradient ends within ``n_coef`` in exact arithmetic)
        it raises :class:`_SubproblemStalled`: SciPy's Steihaug loop has no
        iteration limit of its own.
        """
        to_theta, gradient_to_u = problem.to_theta, problem.gradient_to_u
        curvature = {"u": None, "product": None, "count": 0}
        max_products = 2 * objective.n_coef + 50

        def hessp(u, p):
            if curvature["u"] is None or not np.array_equal(u, curvature["u"]):
                curvature["u"] = np.array(u)
                curvature["product"] = objective.hessian_operator(to_theta(u))
                curvature["count"] = 0
            curvature["count"] += 1
            if curvature["count"] > max_products:
                raise _SubproblemStalled
            product = gradient_to_u(curvature["product"](to_theta(p)))
            if not np.all(np.isfinite(product)):
                log.fail("a Hessian-vector product overflowed to infinity or NaN")
            return product

        return hessp, max_products

    def _leg(self, objective, problem, log, offset, tol, budget, max_iter):
        """One run of SciPy's ``trust-ncg`` on ``problem``: a :class:`~._scipy.Leg`."""
        hessp, max_products = self._hessp(objective, problem, log)
        # Past tol by the few iterations quadratic convergence needs: where the
        # objective is nearly flat in some directions, the truncated conjugate
        # gradient's stopping point depends on rounding, and equivalent inputs
        # (integer weights instead of repeated rows) would otherwise get
        # visibly different models.
        on_iteration = problem.callback(
            log, offset=offset, stop_below=max(FINAL_TOL * tol, min(tol, FINAL_FLOOR))
        )
        stalled = False
        try:
            result = minimize(
                problem.fun,
                problem.u0,
                method="trust-ncg",
                jac=True,
                hessp=hessp,
                callback=on_iteration,
                options={
                    "maxiter": budget,
                    # SciPy tests the 2-norm of the gradient in u; the rule on
                    # max|gradient| in theta is the callback's.
                    "gtol": 0.0,
                    "initial_trust_radius": self.initial_radius,
                    "max_trust_radius": max(1e3, 1e3 * self.initial_radius),
                },
            )
        except (_SubproblemStalled, ValueError):
            # A subproblem that stopped progressing, or SciPy refusing a non-finite
            # step (extreme feature scales, past tol): keep the last accepted point.
            stalled = True
            result = OptimizeResult(x=problem.accepted, status=3, message="")
        theta, optimality = problem.at(result.x)
        steps = self._newton_step(objective)
        left = max_iter - log.n_iter
        if (result.status == 2 or stalled) and optimality > tol and not problem.stopped:
            theta, optimality, _ = polish(objective, theta, log, tol, left, steps, offset=offset)
        elif optimality <= tol and not problem.stopped and left > 0:
            # A few tight Newton steps past tol (see above): quadratic
            # convergence makes equivalent inputs agree.
            theta, optimality, _ = polish(
                objective, theta, log, FINAL_TOL * tol, min(FINAL_STEPS, left), steps,
                offset=offset,
            )  # fmt: skip
        why = str(result.message).rstrip(".")
        message = None
        if stalled:
            why = (
                f"the conjugate gradient of the trust-region subproblem made no progress in "
                f"{max_products} Hessian-vector products"
            )
            if not getattr(objective, "is_refined", False):  # on the float64 finish: precision
                message = f"{why} (rounding, e.g. from extreme feature scales; scale the features)"
        return Leg(
            theta,
            optimality,
            float(problem.last["value"]),
            stopped=problem.stopped,
            capped=result.status == 1,
            why=why,
            message=message,
        )
