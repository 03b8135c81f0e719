"""What the full-batch solvers share about stopping honestly.

A solver that compares objective values (a line search, a backtracking test,
SciPy's relative-decrease test) stops making progress once the decrease a step
makes falls below the rounding error of the value, ``eps * |F|``, and that can
happen with the gradient far above ``tol`` (float32 data, or large targets in
float64). Such a solver then goes on *refined*: on
:meth:`sklearn_gd._objective.Objective.refined`, the same objective in float64
whose values are differences from the point reached, resolvable down to the
precision of the gradient. When even that stops short of ``tol``, or the
objective cannot be refined, the run returns ``converged=False`` with a
message built here, saying why it stopped; the estimator's ConvergenceWarning
adds the optimality reached and ``tol``.

The estimators return the coefficients in the data's dtype: on float32 data
the float64 point a solver reached, rounded. That moves the gradient by about
the curvature times ``eps * |coef|``, which can exceed a tight ``tol``;
:func:`rounded_optimality` measures the optimality of the rounded point.
"""

import numpy as np

from .._objective import refines_in_float64

#: Why a run stopped at ``max_iter`` (the estimator's warning names ``max_iter``).
ITERATION_CAP = "reached the iteration cap"
#: Refinements a run makes at most (each restarts from the point reached).
MAX_REFINEMENTS = 2


def max_abs(values):
    """Largest absolute entry, 0.0 for an empty array."""
    return float(np.max(np.abs(values), initial=0.0))


def value_dtype(objective):
    """The dtype in which ``objective`` computes: its data layer's, float64 when unknown.

    float64 for a refinement that widens its products (the dask one keeps the
    float32 data layer and takes each chunk's products in float64).
    """
    if getattr(objective, "widen", False):
        return np.dtype(np.float64)
    dtype = getattr(getattr(objective, "design", None), "dtype", np.float64)
    return np.dtype(dtype) if np.dtype(dtype).kind == "f" else np.dtype(np.float64)


def refine(objective, theta, tol):
    """``objective.refined(theta, tol)``, or None when the objective has no refined form."""
    refined = getattr(objective, "refined", None)
    return None if refined is None else refined(theta, tol)


def precision_message(objective, tol, detail=None):
    """Why a run stopped short of ``tol`` at the precision limit of its arithmetic."""
    dtype = value_dtype(objective).name
    what = f" ({detail.strip().rstrip('.')})" if detail else ""
    return (
        f"reached the precision limit of {dtype} arithmetic: the objective no longer "
        f"decreases measurably{what}; tol={tol:g} is below what this solver resolves "
        "on this problem"
    )


def rounded_optimality(objective, theta, optimality, dtype, tol):
    """The optimality at ``theta`` rounded to ``dtype`` (the coefficients an estimator returns).

    The gradients are taken as a refinement to ``tol`` takes them: with
    float64 products over float32 ``X`` when ``tol`` is near float32's
    resolution of the gradient
    (:meth:`~sklearn_gd._objective.Objective.refined` at ``theta``), with
    the objective's own (accumulated in float64) otherwise. For a smooth
    objective it is max |gradient| at the rounded point; otherwise
    ``optimality`` plus the largest change of the smooth gradient (rounding
    keeps the zeros and the signs of the weights, so the L1 part of the
    measure moves no further).

    Parameters
    ----------
    objective : Objective
        The objective minimised.
    theta : ndarray
        The float64 point a solver returned.
    optimality : float
        The solver's optimality measure at ``theta``.
    dtype : dtype
        The dtype the coefficients are returned in.
    tol : float
        The tolerance the optimality is compared with.

    Returns
    -------
    float or None
        The optimality of the rounded point; None when the objective cannot
        take float64 products over its ``X``.
    """
    theta = np.asarray(theta, dtype=np.float64)
    rounded = theta.astype(dtype).astype(np.float64)
    if np.array_equal(rounded, theta):
        return optimality
    exact = objective
    if refines_in_float64(value_dtype(objective), tol):
        exact = refine(objective, theta, tol)
        if exact is None:
            return None
    grad_rounded = exact.smooth_value_and_gradient(rounded)[1]
    if objective.is_smooth:
        return max_abs(grad_rounded)
    return optimality + max_abs(grad_rounded - exact.smooth_value_and_gradient(theta)[1])
