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

from ._base import IterationLog, Solver, SolverResult, StopReason, detects_overflow
from ._precision import (
    ITERATION_CAP,
    MAX_REFINEMENTS,
    max_abs,
    precision_message,
    refine,
    value_dtype,
)

#: Halvings of the step tried by the backtracking before giving up: enough to
#: bring any float64 step (up to 1e308) below the smallest positive one.
MAX_HALVINGS = 2100
#: Iterations without bringing the optimality below ``STALL_FACTOR`` times its
#: best after which the run counts as stalled at the precision of the objective
#: (rounding noise alone moves the gradient; it still dips to new lows at times).
STALL_ITERATIONS = 200
STALL_FACTOR = 0.9
#: A backtracked step below this fraction of the initial one is taken as the
#: sign that rounding noise, not curvature, is failing the decrease test.
STEP_COLLAPSE = 1e-6


class ISTA(Solver):
    """Proximal gradient with backtracking (``solver="ista"``), FISTA optional.

    Stops when the largest entry of the gradient mapping
    ``(y - prox(y - eta g, eta)) / eta`` (the gradient itself without L1) at
    the initial step ``eta`` is at most ``tol``. When the backtracking no
    longer resolves a decrease of the objective (the step collapses, the
    point stops moving, or the optimality has not improved for
    ``STALL_ITERATIONS`` iterations), it goes on with float64 differences of the objective
    (:meth:`~sklearn_gd._objective.Objective.refined`), and reports the
    precision limit if that also stalls.

    Parameters
    ----------
    fista : bool, default=True
        Use FISTA's accelerated extrapolation (with adaptive restart).
    """

    name = "ista"
    refines_precision = True
    supports_l1 = True
    reports_iterates = True
    uses_learning_rate = True
    needs_curvature_bound = True
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
    ):
        x = np.array(theta0, dtype=np.float64)
        if learning_rate != "auto":
            step = float(learning_rate)
        else:
            step = 1.0 / max(objective.lipschitz(), 1e-300)
        value_x = objective.value(x)
        log = IterationLog(
            self.name, verbose, value_x, step, callback=callback,
            optimality_name="max |gradient mapping|",
        )  # fmt: skip
        # The optimality is the gradient mapping at this fixed step, not at the
        # backtracked one: a step shrunk by rounding noise would make
        # (y - prox(y - step g)) / step round to exactly 0 (step * g below the
        # spacing of y) while the gradient is not.
        reference_step = step
        y, k = x.copy(), 1.0
        converged, optimality, message = False, np.inf, ITERATION_CAP
        reason = StopReason.MAX_ITER
        # Values of a refined objective are differences from its reference
        # point: ``offset`` (that point's value) is added for the history.
        offset, refinements = 0.0, 0
        best, since_best = np.inf, 0
        # A refinement restarts the loop without an iteration: count the recorded ones.
        while log.n_iter < max_iter:
            # Rounding slack of the sufficient-decrease test, at the data's precision.
            eps_slack = 16 * np.finfo(value_dtype(objective)).eps
            f_y, g_y = objective.smooth_value_and_gradient(y)
            mapped = objective.prox(y - reference_step * g_y, reference_step)
            optimality = max_abs(y - mapped) / reference_step
            if optimality <= tol:
                # Converged at y. Smooth: y itself, whose gradient was measured;
                # with L1: its proximal step, which has the exact zeros.
                x_next = y if objective.is_smooth else mapped
                diff, found = 0.0, True
                f_next = f_y if objective.is_smooth else objective.smooth_value(x_next)
            else:
                found = False
                for _ in range(MAX_HALVINGS):
                    x_next = objective.prox(y - step * g_y, step)
                    diff = x_next - y
                    f_next = objective.smooth_value(x_next)
                    bound = f_y + np.dot(g_y, diff) + np.dot(diff, diff) / (2 * step)
                    if f_next <= bound + eps_slack * abs(f_y):
                        found = True
                        break
                    step *= 0.5
            if optimality < STALL_FACTOR * best:
                best, since_best = optimality, 0
            else:
                since_best += 1
            stuck = not found or (
                optimality > tol and (not np.any(diff) or step < STEP_COLLAPSE * reference_step)
            )
            # A stall may be slow progress: it refines an objective not yet
            # refined, and never stops the run by itself.
            stalled = optimality > tol and since_best >= STALL_ITERATIONS and refinements == 0
            if stuck or stalled:
                # The backtracking no longer resolves a decrease in the
                # objective's values (its step collapses, the point stops
                # moving, or the optimality stalls at the data's precision):
                # go on with float64 differences from here, or stop.
                refined = refine(objective, x, tol) if refinements < MAX_REFINEMENTS else None
                if refined is None and stuck:
                    log.record(offset + value_x, optimality, step, x)
                    message = precision_message(
                        objective, tol, "the backtracking found no decrease"
                    )
                    reason = StopReason.PRECISION_LIMIT
                    break
                if refined is not None:
                    objective, refinements = refined, refinements + 1
                    offset = objective.reference_value
                    value_x = objective.value(x)
                    y, k, step = x.copy(), 1.0, reference_step
                    best, since_best = np.inf, 0
                    continue
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
            stop = log.record(offset + value_x, optimality, step, x)
            if optimality <= tol:
                converged, message = True, f"max |gradient mapping| <= tol={tol:g}"
                reason = StopReason.CONVERGED
                break
            if stop:
                converged, message = True, "stopped by a callback (e.g. early stopping)"
                reason = StopReason.CALLBACK
                break
        if not converged and np.isfinite(optimality):
            # Measured at y so far: report the returned point's own optimality.
            g_x = objective.smooth_value_and_gradient(x)[1]
            mapped = objective.prox(x - reference_step * g_x, reference_step)
            optimality = max_abs(x - mapped) / reference_step
        return SolverResult(
            coef=x,
            n_iter=max(log.n_iter, 1),
            converged=converged,
            optimality=optimality,
            optimality_name="max |gradient mapping|",
            history=log.history,
            message=message,
            reason=reason,
        )
