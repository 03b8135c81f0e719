r"""Proximal gradient descent for the L1 penalty: ISTA and FISTA.

With the smooth part :math:`f` (data term + L2) and the L1 part
:math:`\lambda \lVert w \rVert_1`, each iteration takes

.. math::

    x_{t+1} = S_{\eta\lambda}\big(y_t - \eta \nabla f(y_t)\big), \qquad
    S_\tau(u) = \mathrm{sign}(u) \max(|u| - \tau, 0),

with :math:`y_t = x_t` (ISTA) or, with FISTA, the extrapolation
:math:`y_{t+1} = x_{t+1} + \frac{k_t - 1}{k_{t+1}} (x_{t+1} - x_t)`,
:math:`k_{t+1} = (1 + \sqrt{1 + 4 k_t^2}) / 2`, restarted whenever the
objective goes up (O'Donoghue & Candès). The step :math:`\eta` starts at
``1 / L`` (or ``learning_rate``) and is halved until the quadratic upper bound
:math:`f(x_{t+1}) \le f(y_t) + \langle \nabla f(y_t), x_{t+1} - y_t \rangle
+ \lVert x_{t+1} - y_t \rVert^2 / (2\eta)` holds (backtracking).
"""

import numpy as np

from ._base import IterationLog, Solver, SolverResult, detects_overflow

#: Halvings of the step tried by the backtracking before giving up: enough to
#: bring any float64 step (up to 1e308) below the smallest positive one.
MAX_HALVINGS = 2100


class ISTA(Solver):
    """Proximal gradient with backtracking (``solver="ista"``), FISTA optional.

    Stops when the largest entry of the gradient mapping
    ``(y - x_next) / step`` is at most ``tol``.

    Parameters
    ----------
    fista : bool, default=True
        Use FISTA's accelerated extrapolation (with adaptive restart).
    """

    name = "ista"
    supports_l1 = True
    reports_iterates = True
    uses_learning_rate = True
    _parameter_constraints = {"fista": ["boolean"]}

    def __init__(self, fista=True):
        self.fista = fista

    @detects_overflow
    def minimize(
        self,
        objective,
        theta0,
        *,
        max_iter,
        tol,
        learning_rate="auto",
        verbose=0,
        callback=None,
        initial_state=None,
        **ignored,
    ):
        x = np.array(theta0, dtype=np.float64)
        if isinstance(initial_state, dict) and initial_state.get("solver") == self.name:
            step = initial_state["step"]  # the step the backtracking had settled on
        elif learning_rate != "auto":
            step = float(learning_rate)
        else:
            step = 1.0 / max(objective.lipschitz(), 1e-300)
        value_x = objective.value(x)
        log = IterationLog(self.name, verbose, value_x, step, callback=callback)
        y, k = x.copy(), 1.0
        converged, optimality, message = False, np.inf, f"max_iter={max_iter}"
        # Rounding slack of the sufficient-decrease test, at the data's precision.
        eps_slack = 16 * np.finfo(objective.Y.dtype).eps
        for _ in range(max_iter):
            f_y, g_y = objective.smooth_value_and_gradient(y)
            for _ in range(MAX_HALVINGS):
                x_next = objective.prox(y - step * g_y, step)
                diff = x_next - y
                f_next = objective.smooth_value(x_next)
                bound = f_y + np.dot(g_y, diff) + np.dot(diff, diff) / (2 * step)
                if f_next <= bound + eps_slack * abs(f_y):
                    break
                step *= 0.5
            else:
                # No step decreases the objective: the precision limit is reached.
                log.record(value_x, optimality, step, x)
                message = "the line search found no decrease (precision limit reached)"
                break
            optimality = float(np.max(np.abs(diff), initial=0.0)) / step
            value_next = f_next + objective.nonsmooth_value(x_next)
            if self.fista:
                if value_next > value_x:  # adaptive restart
                    y, k = x_next.copy(), 1.0
                else:
                    k_next = (1.0 + np.sqrt(1.0 + 4.0 * k * k)) / 2.0
                    y = x_next + ((k - 1.0) / k_next) * (x_next - x)
                    k = k_next
            else:
                y = x_next
            x, value_x = x_next, value_next
            stop = log.record(value_x, optimality, step, x)
            if optimality <= tol:
                converged, message = True, f"max |gradient mapping| <= tol={tol:g}"
                break
            if stop:
                converged, message = True, "stopped by a callback (e.g. early stopping)"
                break
        return SolverResult(
            coef=x,
            n_iter=max(log.n_iter, 1),
            converged=converged,
            optimality=optimality,
            optimality_name="max |gradient mapping|",
            learning_rate=step,
            history=log.history,
            message=message,
            state={"solver": self.name, "step": step},
        )
