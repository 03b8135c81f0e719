"""Limited-memory BFGS: SciPy's L-BFGS-B on the fused value and gradient.

No hand-written quasi-Newton code: ``scipy.optimize.minimize(method="L-BFGS-B",
jac=True)`` with the options scikit-learn's ``LogisticRegression`` uses. It
needs a differentiable objective, so it refuses an L1 part.
"""

from numbers import Integral

import numpy as np
from scipy.optimize import minimize
from sklearn.utils._param_validation import Interval

from ._base import IterationLog, Solver, SolverResult


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
    """

    name = "lbfgs"
    _parameter_constraints = {
        "memory": [Interval(Integral, 1, None, closed="left")],
        "max_line_search": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, memory=10, max_line_search=50):
        self.memory = memory
        self.max_line_search = max_line_search

    def minimize(self, objective, theta0, *, max_iter, tol, verbose=0, **ignored):
        self.check_objective(objective)
        log = IterationLog(self.name, verbose, objective.value(theta0))
        last = {}

        def fun(theta):
            value, grad = objective.smooth_value_and_gradient(theta)
            last["grad"] = grad
            return value, grad

        def callback(intermediate_result):
            grad = last["grad"]
            log.record(intermediate_result.fun, float(np.max(np.abs(grad), initial=0.0)))

        result = minimize(
            fun,
            np.asarray(theta0, dtype=np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={
                "maxiter": max_iter,
                "maxls": self.max_line_search,
                "maxcor": self.memory,
                "gtol": tol,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
        optimality = float(np.max(np.abs(result.jac), initial=0.0))
        if log.n_iter == 0:
            log.record(float(result.fun), optimality)
        return SolverResult(
            coef=result.x,
            n_iter=max(int(result.nit), 1),
            converged=bool(result.status == 0 or optimality <= tol),
            optimality=optimality,
            learning_rate=None,
            history=log.history,
            message=str(result.message),
        )
