"""Limited-memory BFGS: SciPy's L-BFGS-B on the fused value and gradient.

No hand-written quasi-Newton code: ``scipy.optimize.minimize(method="L-BFGS-B",
jac=True)`` with the options scikit-learn's ``LogisticRegression`` uses. It
needs a differentiable objective, so it refuses an L1 part.

By default it runs on preconditioned coordinates ``theta = P u``
(:mod:`._preconditioner`): ``P`` comes from the objective's curvature on a few
thousand rows at the starting point, and makes the Hessian L-BFGS sees close to
the identity. The objective and its minimiser are unchanged, and the run stops
on the gradient in ``theta`` as without it, but far fewer iterations (each a
pass over ``X`` for the predictor and one for the gradient) are needed on
ill-conditioned data. Where the dense ``P`` cannot be formed (more than
``MAX_DOF`` coefficient rows, or a curvature block that cannot be factored),
sparse ``X`` gets the diagonal of the curvature on every row (Jacobi: one
pass over ``X``), and dense ``X`` runs on ``theta`` itself.
"""

from numbers import Integral

import numpy as np
from scipy.optimize import Bounds, minimize
from sklearn.utils._param_validation import Interval

from ..constraints import Box
from ._base import Solver
from ._precision import max_abs, value_dtype
from ._preconditioner import preconditioner_for
from ._scipy import Evaluations, Leg, refining_legs, start

#: SciPy's ``ftol`` in units of the machine epsilon of the objective's dtype.
FTOL_EPS = 64


def _ftol(objective):
    """SciPy's ``ftol``: the relative decrease below which the objective's values stop it.

    In float64, ``FTOL_EPS`` machine epsilons, as scikit-learn's
    ``LogisticRegression``. Below float64, each row's loss carries a rounding
    error of about ``eps`` of the narrower type, but the value is their mean,
    accumulated in float64: independent errors average to about
    ``eps / sqrt(n_samples)``, so the test is divided by that root (a run that
    still goes below what the values resolve ends in a failed line search,
    and goes on refined like any other).
    """
    dtype = value_dtype(objective)
    ftol = FTOL_EPS * np.finfo(dtype).eps
    if dtype == np.float64:
        return ftol
    return ftol / np.sqrt(max(objective.n_samples, 1))


def _why(result):
    """SciPy's reason for stopping short of ``gtol``, in words."""
    text = str(result.message)
    if "ABNORMAL" in text:
        return "the line search found no decrease"
    if "REDUCTION" in text:
        return "the relative decrease of the objective fell below machine precision"
    return text


class LBFGS(Solver):
    """SciPy's L-BFGS-B (``solver="lbfgs"``), the default solver.

    Stops when the largest entry of the gradient is at most ``tol`` (SciPy's
    ``gtol``), or when the objective's relative decrease falls below machine
    precision. ``learning_rate`` and ``batch_size`` do not apply.

    Parameters
    ----------
    memory : int, default=10
        Number of past gradient pairs kept for the Hessian approximation
        (SciPy's ``maxcor``).
    max_line_search : int, default=50
        Maximum function evaluations per line search (SciPy's ``maxls``).
    precondition : bool, default=True
        Run on coordinates preconditioned by the objective's curvature at the
        start (same objective, same stopping rule, usually several times fewer
        iterations). False runs SciPy's L-BFGS-B on the coefficients as they are.
    """

    name = "lbfgs"
    refines_precision = True
    reports_iterates = True
    _parameter_constraints = {
        "memory": [Interval(Integral, 1, None, closed="left")],
        "max_line_search": [Interval(Integral, 1, None, closed="left")],
        "precondition": ["boolean"],
    }

    def __init__(self, memory=10, max_line_search=50, precondition=True):
        self.memory = memory
        self.max_line_search = max_line_search
        self.precondition = precondition

    def accepts_constraint(self, constraint):
        # L-BFGS-B takes bounds: a box (non-negativity included), nothing else.
        return isinstance(constraint, Box)

    @staticmethod
    def _bounds(objective):
        """Per-coefficient ``(lower, upper)`` of a box constraint (intercept free), or None."""
        constraint = getattr(objective.penalty, "constraint", None)
        if constraint is None:
            return None
        lower, upper = constraint.bounds(objective.design.n_features)
        d = objective.design.n_features
        lo, hi = np.full(objective.shape, -np.inf), np.full(objective.shape, np.inf)
        lo[:d], hi[:d] = lower[:, None], upper[:, None]
        return lo.ravel(), hi.ravel()

    def minimize(self, objective, theta0, *, max_iter, tol, verbose=0, callback=None):
        self.check_objective(objective)
        bounds = self._bounds(objective)
        theta0 = np.array(theta0, dtype=np.float64)
        if bounds is not None:
            theta0 = np.clip(theta0, *bounds)
        # The preconditioner before the first evaluation: an objective may sum
        # the value and gradient at theta0 in the pass that forms its curvature
        # block (the one over row chunks does, so X is read once for both).
        # Bounds hold on theta itself, so a box keeps the plain coordinates.
        precond = None
        if self.precondition and bounds is None:
            precond = preconditioner_for(objective, theta0)

        def measure(theta, grad):
            """max |gradient|, or of the projected gradient (L-BFGS-B's pgtol) under bounds."""
            if bounds is not None:
                grad = theta - np.clip(theta - grad, *bounds)
            return max_abs(grad)

        what = "projected gradient" if bounds is not None else "gradient"
        log, value, grad, done = start(
            self.name, objective, theta0, tol, verbose, callback, measure, what
        )
        if done is not None:
            return done

        def leg(objective, theta, value, grad, offset, budget):
            return self._run(
                objective, theta, value, grad, offset, precond, log, budget, tol, bounds, measure
            )

        return refining_legs(log, objective, theta0, value, grad, tol, max_iter, leg, measure, what)

    def _run(
        self, objective, theta0, value0, grad0, offset, precond, log, max_iter, tol, bounds,
        measure,
    ):  # fmt: skip
        """One run of SciPy's L-BFGS-B from ``theta0``: a :class:`~._scipy.Leg`.

        ``offset`` is added to the values recorded in the history: a refined
        objective's values are differences from its reference point. ``bounds``
        (a box) and ``measure(theta, grad)``, the optimality, as in :meth:`minimize`.
        """
        problem = Evaluations(objective, theta0, value0, grad0, precond, measure)
        refined = getattr(objective, "is_refined", False)
        result = minimize(
            problem.fun,
            problem.u0,
            method="L-BFGS-B",
            jac=True,
            bounds=None if bounds is None else Bounds(*bounds),
            # Preconditioned, the stopping rule on the gradient in theta is the
            # callback's; SciPy's own (gtol) would test the gradient in u.
            callback=problem.callback(
                log, offset=offset, stop_below=-np.inf if precond is None else tol
            ),
            options={
                "maxiter": max_iter,
                "maxls": self.max_line_search,
                "maxcor": self.memory,
                "gtol": tol if precond is None else 0.0,
                # SciPy stops when the objective's relative decrease is below
                # ftol: at the precision of its values, after which the run
                # goes on refined. A refined objective's values are differences
                # near 0 (SciPy divides by max(|f|, 1)): no decrease stops it.
                "ftol": 0.0 if refined else _ftol(objective),
            },
        )
        theta, optimality = problem.at(result.x)
        return Leg(
            np.array(theta, dtype=np.float64),
            optimality,
            float(problem.last["value"]),
            stopped=problem.stopped,
            capped=result.status == 1,
            # SciPy stopped on the objective's value: its relative decrease fell
            # below machine precision, or the line search found no decrease.
            why=_why(result),
        )
