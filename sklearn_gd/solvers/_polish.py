"""Steps accepted on the gradient once a value-based test meets rounding.

SciPy's line searches and trust-region ratio compare objective values. Near the
minimum the decrease a step brings (about ``|g|^2 / curvature``) falls below
the rounding of the value itself, and they stop ("precision loss", "failure to
predict improvement") while ``max|gradient|`` may still be above a tight
``tol``. The gradient still tells points apart there: :func:`polish` takes the
solver's own direction and accepts a step (halved up to :data:`MAX_HALVINGS`
times) when it reduces ``max|gradient|`` without raising the objective beyond
rounding. On the convex objectives of this package that can only move towards
the minimiser.
"""

import numpy as np

#: Steps tried at most, and halvings of each.
MAX_STEPS = 20
MAX_HALVINGS = 10


def polish(objective, theta, log, tol, budget, direction, on_step=None, offset=0.0):
    """Take gradient-accepted steps along ``direction(theta, grad)``.

    Parameters
    ----------
    objective : Objective
        Smooth objective.
    theta : ndarray
        Where the value-based method stopped.
    log : IterationLog
        Each accepted step is recorded as one iteration.
    tol : float
        Stop once ``max|gradient| <= tol``.
    budget : int
        Iterations left (``max_iter`` minus those run).
    direction : callable
        ``direction(theta, grad) -> step`` (a quasi-Newton or Newton step).
    on_step : callable or None
        ``on_step(s, y)`` after each accepted step (``s`` the step, ``y`` the
        change of gradient), e.g. to update a quasi-Newton matrix.
    offset : float, default=0.0
        Added to the values recorded (a refined objective's values are
        differences from its reference point).

    Returns
    -------
    theta, optimality, n_steps
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        value, grad = objective.smooth_value_and_gradient(theta)
        optimality = float(np.max(np.abs(grad), initial=0.0))
        slack = 64 * np.finfo(float).eps
        n_steps = 0
        for _ in range(min(MAX_STEPS, max(budget, 0))):
            if optimality <= tol:
                break
            step = direction(theta, grad)
            if not np.all(np.isfinite(step)):
                break
            for halving in range(MAX_HALVINGS):
                candidate = theta + 0.5**halving * step
                new_value, new_grad = objective.smooth_value_and_gradient(candidate)
                new_optimality = float(np.max(np.abs(new_grad), initial=0.0))
                if new_optimality < optimality and new_value <= value + slack * abs(value):
                    break
            else:
                break  # no step helps: the precision limit is reached
            if on_step is not None:
                on_step(candidate - theta, new_grad - grad)
            theta, value, grad, optimality = candidate, new_value, new_grad, new_optimality
            n_steps += 1
            log.record(offset + value, optimality, theta=theta)
    return theta, optimality, n_steps
