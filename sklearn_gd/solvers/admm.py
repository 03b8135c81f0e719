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
match, so it needs no tuning; it stays within :data:`RHO_RANGE` of its start
(without an L1 term :math:`r = 0` and balancing alone would halve it forever).
A new run starts from :math:`u_0 = a - \mathrm{prox}_{g/\rho}(a)`,
:math:`a = z_0 - \nabla f(z_0) / \rho`: at a minimiser :math:`z_0` that is
:math:`-\nabla f(z_0) / \rho`, the duals that make it a fixed point, so a
warm start at the optimum stays there (without an L1 term it is 0).

The x-update is where the structure of the loss pays:

* squared loss: :math:`f` is quadratic with a constant Hessian :math:`H`, so
  :math:`x_{k+1} = (H + \rho I)^{-1}(\rho (z_k - u_k) - \nabla f(0))`. One
  matrix is decomposed once and every solve, for every :math:`\rho` the
  balancing picks, is a few products (:mod:`sklearn_gd.solvers._ridge`):
  ``H`` itself, diagonalised as :math:`H = Q \Lambda Q^\top`, or, with fewer
  samples than coefficients, the ``n x n`` Gram matrix of the rows, the
  solve then going through the matrix inversion lemma (the ``d x d`` matrix
  is never formed);
* logistic and softmax losses: a few damped Newton steps on the x-subproblem,
  warm-started at the previous :math:`x`, to a tolerance that tightens with the
  outer iterations (an inexact ADMM).

On a dask array (an objective that offers ``map_blocks``) the method is
*consensus* ADMM over the row chunks (Boyd et al., 2011, section 7.1): with
:math:`f = \sum_c f_c`, :math:`f_c` the data term of chunk :math:`c` of
:math:`N`, each chunk keeps its own copy :math:`x_c` and dual :math:`u_c`,

.. math::

    x_c &\leftarrow \arg\min_x\ f_c(x) + \tfrac{\rho}{2} \lVert x - z + u_c \rVert^2
          \qquad \text{(on the worker holding the chunk)},

    z &\leftarrow \arg\min_z\ P(z) + \tfrac{N\rho}{2}
          \lVert z - \overline{x + u} \rVert^2
          \qquad \text{(on the driver: the prox of the whole penalty)},

    u_c &\leftarrow u_c + x_c - z ,

with primal residual :math:`r = (\sum_c \lVert x_c - z\rVert^2)^{1/2}` and
dual residual :math:`s = \rho \sqrt N \lVert z - z_{\rm old}\rVert`,
balanced as above. Each chunk's local problem is solved by the damped Newton
steps of the logistic x-update, warm started at its previous :math:`x_c`, or,
for the squared loss, exactly from the chunk's own decomposition (as above),
computed once on the chunk's worker and kept there for every iteration; one
pass over the chunks per iteration does the local solves *and* sums the
gradient at the current :math:`z`, so the stop below is measured on the true
objective at the point returned, at no extra pass. The elastic-net z-update
is closed-form: with :math:`\ell_2` the L2 strength,
:math:`z = \mathrm{prox}_{g/(N\rho + \ell_2)}\big(N\rho\,
\bar a / (N\rho + \ell_2)\big)`, :math:`\bar a = \overline{x + u}`
(intercept: :math:`\bar a` itself).

The run stops when the largest entry of the proximal gradient mapping at
:math:`z`, :math:`(z - \mathrm{prox}_{tg}(z - t \nabla f(z)))/t` with
:math:`t = 1/L`, is at most ``tol``: the measure ista and the first-order
solvers stop on, so ``tol`` means the same thing. The coefficients returned
are :math:`z`, which has the exact zeros of the L1 solution.

When the optimality finds no new low for :data:`STALL_ITERATIONS` iterations
(float32 data, or values too large to resolve the inner line search's
decrease), the run goes on with the objective's float64 form
(:meth:`~sklearn_gd._objective.Objective.refined`), at most
:data:`~sklearn_gd.solvers._precision.MAX_REFINEMENTS` times, and otherwise
stops with ``converged=False`` and a message saying so. Consensus ADMM is
not refined (its chunks stay where they are): its stall message says whether
the chunks' solutions agree with :math:`z` as closely as the data's dtype
resolves (the precision limit) or are still apart (slow consensus, see
:func:`consensus_stall_message`).
"""

from numbers import Integral, Real

import numpy as np
import scipy.linalg
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import IterationLog, Solver, SolverResult, StopReason, detects_overflow
from ._precision import (
    ITERATION_CAP,
    MAX_REFINEMENTS,
    max_abs,
    precision_message,
    refine,
    value_dtype,
)
from ._ridge import ridge_factor

#: Residual balancing: rescale rho by TAU when one residual exceeds MU times the other.
MU, TAU = 10.0, 2.0
#: Residual balancing keeps rho within RHO_RANGE of its start, either way. Without
#: an L1 term the primal residual is zero and balancing would halve rho forever:
#: the x-update becomes the exact minimiser long before the bound, and a rho of a
#: few machine epsilons of the curvature only amplifies rounding.
RHO_RANGE = 1e6
#: Largest n_coef for which the dense Hessian is formed (x-update and inner Newton).
MAX_DENSE_COEF = 2500
#: Halvings of the inner Newton step tried by its line search: a step cut below
#: 2**-30 of the Newton step is rounding noise failing the test, not curvature.
MAX_HALVINGS = 30
#: Iterations without bringing the optimality below ``STALL_FACTOR`` times its
#: best after which the run counts as stalled at the precision of its arithmetic.
STALL_ITERATIONS = 100
STALL_FACTOR = 0.9


class _StallWatch:
    """Counts iterations since the optimality last fell below ``STALL_FACTOR`` times its best."""

    def __init__(self, optimality=np.inf):
        self.best, self.since = optimality, 0

    def stalled(self, optimality):
        """Record ``optimality``; True after ``STALL_ITERATIONS`` iterations without a new low."""
        if optimality < STALL_FACTOR * self.best:
            self.best, self.since = optimality, 0
        else:
            self.since += 1
        return self.since >= STALL_ITERATIONS


def proximal_newton(objective, x, v, rho, tol, max_steps):
    r"""Damped Newton on :math:`f(x) + \frac{\rho}{2} \lVert x - v \rVert^2` from ``x``.

    :math:`f` is the smooth part of ``objective``. Each step solves
    :math:`(\nabla^2 f(x) + \rho I)\, p = -\nabla` (Cholesky of the dense Hessian
    up to :data:`MAX_DENSE_COEF` coefficients, conjugate gradients on
    Hessian-vector products beyond) and backtracks (Armijo, with a rounding
    slack at the precision of the objective's values) at most
    :data:`MAX_HALVINGS` times. The x-update of ADMM, run in this process for
    a NumPy objective and on each chunk's worker for consensus ADMM on dask.

    Parameters
    ----------
    objective : Objective
        Its smooth part is :math:`f`.
    x : ndarray of shape (n_coef,)
        The starting point (warm start: the previous x-update).
    v : ndarray of shape (n_coef,)
        The centre of the proximal term, :math:`z - u`.
    rho : float > 0
        The ADMM penalty.
    tol : float
        Stop once the largest entry of the subproblem's gradient is at most ``tol``.
    max_steps : int
        Newton steps at most.

    Returns
    -------
    x : ndarray of shape (n_coef,)
        The approximate minimiser.
    limited : bool
        Whether the steps stopped at the precision of the arithmetic before
        ``tol``: the line search found no decrease, or a full Newton step did
        not reduce the largest gradient entry (rounding noise in the gradient).
    """
    from scipy.sparse.linalg import LinearOperator, cg

    dense = objective.n_coef <= MAX_DENSE_COEF
    eps = np.finfo(value_dtype(objective)).eps
    value, grad = objective.smooth_value_and_gradient(x)
    value += 0.5 * rho * float(np.dot(x - v, x - v))
    grad = grad + rho * (x - v)
    optimality = max_abs(grad)
    for _ in range(max_steps):
        if optimality <= tol:
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
            return x, True  # no descent direction left (rounding or overflow)
        slack = 16 * eps * abs(value)
        t = 1.0
        for _ in range(MAX_HALVINGS):
            candidate = x + t * step
            new_value, new_grad = objective.smooth_value_and_gradient(candidate)
            new_value += 0.5 * rho * float(np.dot(candidate - v, candidate - v))
            if new_value <= value + 1e-4 * t * slope + slack:
                break
            t *= 0.5
        else:
            return x, True  # the precision limit of the subproblem's values
        x, value = candidate, new_value
        grad = new_grad + rho * (x - v)
        previous, optimality = optimality, max_abs(grad)
        if t == 1.0 and optimality >= previous:
            # Near its minimiser a full Newton step at least halves the
            # gradient of this strongly convex subproblem: one that does not
            # reduce it is moving in the gradient's rounding noise.
            return x, True
    return x, False


def chunk_factor(objective, item):
    """The decomposition that solves a chunk's x-updates (squared loss), where the chunk lives.

    :func:`~sklearn_gd.solvers._ridge.ridge_factor` of the chunk's data term:
    computed once per run, kept on the chunk's worker and reused by
    :func:`consensus_update` for every iteration and every ``rho``. ``item``
    is unused (one per block, as :meth:`map_blocks` passes).
    """
    return ridge_factor(objective, MAX_DENSE_COEF)


def consensus_update(objective, block, z, rho, tol, max_steps):
    """One chunk's share of an iteration of consensus ADMM, where the chunk lives.

    Parameters
    ----------
    objective : Objective
        The chunk's data term (the whole objective's scale, no penalty).
    block : (ndarray, ndarray, factor or None)
        The chunk's previous local solution ``x_c``, its scaled dual ``u_c``
        and, for the squared loss, its :func:`chunk_factor` (None: damped
        Newton steps from ``x_c``).
    z : ndarray of shape (n_coef,)
        The consensus point.
    rho, tol, max_steps
        As for :func:`proximal_newton`.

    Returns
    -------
    x_c : ndarray of shape (n_coef,)
        ``argmin f_c(x) + rho/2 |x - z + u_c|^2`` (exact with a factor, else
        inexact from ``x_c``).
    value : float
        ``f_c(z)``.
    grad : ndarray of shape (n_coef,)
        ``grad f_c(z)``: summed over the chunks, the data gradient at ``z``.
    """
    x, u, factor = block
    value, grad = objective.smooth_value_and_gradient(z)
    if factor is not None:
        return factor.solve(objective, z - u, rho), value, grad
    return proximal_newton(objective, x, z - u, rho, tol, max_steps)[0], value, grad


def consensus_stall_message(objective, tol, z, rho, residuals, at_low):
    r"""Why consensus ADMM stopped with its optimality stalled above ``tol``.

    With :math:`r` and :math:`s` the primal and dual residuals of the last
    iteration over :math:`N` chunks, their size relative to the consensus
    point,

    .. math:: \delta = \frac{\max(\lVert r \rVert, \lVert s \rVert / \rho)}
        {\sqrt N \, \lVert z \rVert},

    says how far the chunks' solutions are from :math:`z` and how far
    :math:`z` last moved. At :math:`\delta \le \sqrt{\epsilon}` of the
    data's dtype the iterates are as close as its values resolve a minimiser:
    the precision limit of that arithmetic. Above it the chunks have not
    agreed yet: consensus is slow, and the message quotes the residuals (and
    those when the optimality last fell) with what may help.

    Parameters
    ----------
    objective : DaskObjective
        The objective (its dtype and number of chunks).
    tol : float
        The tolerance not met.
    z : ndarray of shape (n_coef,)
        The consensus point returned.
    rho : float
        The penalty of the last iteration.
    residuals, at_low : (float, float)
        The primal and dual residuals of the last iteration, and when the
        optimality last found a new low.

    Returns
    -------
    message : str
    reason : StopReason
        ``PRECISION_LIMIT`` or, for slow consensus, ``STALLED``.
    """
    primal, dual = residuals
    n_blocks = objective.n_blocks
    dtype = value_dtype(objective)
    resolution = float(np.sqrt(np.finfo(dtype).eps))
    size = np.sqrt(n_blocks) * max(float(np.linalg.norm(z)), np.finfo(np.float64).tiny)
    delta = max(primal, dual / rho) / size
    figures = f"primal residual {primal:.3g}, dual residual {dual:.3g}"
    since = f"the optimality found no new low in {STALL_ITERATIONS} iterations"
    if delta <= resolution:
        detail = (
            f"{since}; the chunks' solutions and z agree to {delta:.2g} of |z| "
            f"({figures}), within the {resolution:.2g} to which {dtype.name} values "
            "resolve a minimiser"
        )
        return precision_message(objective, tol, detail), StopReason.PRECISION_LIMIT
    before = ""
    if np.all(np.isfinite(at_low)):
        before = f" (when it last fell: {at_low[0]:.3g} and {at_low[1]:.3g})"
    return (
        f"consensus between the {n_blocks} chunks is slow: {since}, with the {figures}"
        f"{before}, {delta:.2g} of |z|, above the {resolution:.2g} to which {dtype.name} "
        "values resolve a minimiser; a larger max_iter, or fewer and larger chunks, may "
        f"reach tol={tol:g}"
    ), StopReason.STALLED


class ADMM(Solver):
    """ADMM with adaptive penalty (``solver="admm"``), for L1 and elastic-net problems.

    Stops when the largest entry of the proximal gradient mapping at the
    returned coefficients is at most ``tol``. ``learning_rate`` and
    ``batch_size`` do not apply. On a dask array it is consensus ADMM over the
    row chunks: each chunk solves its own subproblem on its worker and only
    the coefficient vectors travel (see the module notes).

    Parameters
    ----------
    rho : "auto" or float > 0, default="auto"
        Initial penalty of the augmented Lagrangian; ``"auto"`` takes a tenth
        of the Lipschitz estimate of the smooth gradient (divided by the
        number of chunks for consensus ADMM, so that the z-update's total
        penalty is the same). It is then adapted by residual balancing, so the
        initial value matters little.
    max_inner_iter : int, default=10
        Newton steps at most per x-update for the non-quadratic losses (and
        per chunk and iteration for consensus ADMM).
    """

    name = "admm"
    needs_curvature_bound = True
    supports_l1 = True
    reports_iterates = True
    refines_precision = True
    _parameter_constraints = {
        "rho": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "max_inner_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, rho="auto", max_inner_iter=10):
        self.rho = rho
        self.max_inner_iter = max_inner_iter

    # ------------------------------------------------------------- x-update
    def _x_update(self, objective):
        """``(x, v, rho, inner_tol) -> (argmin f(x) + rho/2 |x - v|^2, limited)``.

        Exact for the squared loss (:func:`~sklearn_gd.solvers._ridge.ridge_factor`:
        one decomposition, of the smaller of the coefficient and row sides),
        damped Newton steps otherwise. ``limited``: whether the solve stopped at
        the precision of the arithmetic (see :func:`proximal_newton`).
        """
        quadratic = getattr(objective.loss, "is_quadratic", False)
        factor = ridge_factor(objective, MAX_DENSE_COEF) if quadratic else None
        if factor is not None:
            return lambda x, v, rho, inner_tol: (factor.solve(objective, v, rho), False)

        def update(x, v, rho, inner_tol):
            return proximal_newton(objective, x, v, rho, inner_tol, self.max_inner_iter)

        return update

    # ------------------------------------------------------------------ run
    def _start(self, objective, z, initial_state, shape, scale=1.0):
        """``(t, rho, u, bounds)``: the measure's step, the penalty, the duals of the
        run resumed (None for a new run) and the range residual balancing keeps rho in."""
        lipschitz = objective.lipschitz()
        t = 1.0 / lipschitz if 0 < lipschitz < np.inf else 1.0
        rho = (0.1 / t if self.rho == "auto" else float(self.rho)) * scale
        bounds = (rho / RHO_RANGE, rho * RHO_RANGE)
        resumed = isinstance(initial_state, dict) and initial_state.get("solver") == self.name
        if resumed and np.shape(initial_state["u"]) == shape:
            u = np.array(initial_state["u"], dtype=np.float64)
            return t, float(np.clip(initial_state["rho"], *bounds)), u, bounds
        return t, rho, None, bounds

    @staticmethod
    def _balance(rho, u, primal, dual, bounds):
        """Residual balancing: ``(rho, u)`` rescaled when one residual dominates,
        ``rho`` kept within ``bounds``."""
        if primal > MU * dual:
            new = min(rho * TAU, bounds[1])
        elif dual > MU * primal:
            new = max(rho / TAU, bounds[0])
        else:
            return rho, u
        return new, u * (rho / new)

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
    ):
        self.check_objective(objective)
        z = np.array(theta0, dtype=np.float64)
        if getattr(objective, "map_blocks", None) is not None:
            return self._consensus(objective, z, max_iter, tol, verbose, callback, initial_state)
        t, rho, u, bounds = self._start(objective, z, initial_state, z.shape)
        resumed = u is not None
        x_update = self._x_update(objective)

        def measure(z):
            value, grad = objective.smooth_value_and_gradient(z)
            mapping = (z - objective.prox(z - t * grad, t)) / t
            return value + objective.nonsmooth_value(z), max_abs(mapping), grad

        value, optimality, grad = measure(z)
        if not resumed:
            # u = a - prox(a), a = z - grad / rho: at a minimiser z that is
            # -grad / rho, the duals that make z a fixed point (the x-update
            # returns z, the z-update prox(a) = z), so a warm start near the
            # optimum stays there; with u = 0 the first iteration moved z by
            # about grad / rho. Where g does not act (no L1 term) u is 0.
            shifted = z - grad / rho
            u = shifted - objective.prox(shifted, 1.0 / rho)
        log = IterationLog(
            self.name, verbose, value, callback=callback, optimality_name="max |gradient mapping|"
        )
        x = z.copy()
        converged = optimality <= tol
        message = (
            f"max |gradient mapping| <= tol={tol:g} at the starting point"
            if converged
            else ITERATION_CAP
        )
        reason = StopReason.CONVERGED if converged else StopReason.MAX_ITER
        # Values of a refined objective are differences from its reference
        # point: ``offset`` (that point's value) is added for the history.
        offset, refinements = 0.0, 0
        watch = _StallWatch(optimality)
        for _ in range(max_iter if not converged else 0):
            inner_tol = max(0.1 * tol, 1e-3 * optimality)
            x, limited = x_update(x, z - u, rho, inner_tol)
            z_old = z
            z = objective.prox(x + u, 1.0 / rho)
            u = u + x - z
            primal = float(np.linalg.norm(x - z))
            dual = rho * float(np.linalg.norm(z - z_old))
            rho, u = self._balance(rho, u, primal, dual, bounds)
            value, optimality, _ = measure(z)
            stop = log.record(offset + value, optimality, theta=z)
            if optimality <= tol:
                converged, message = True, f"max |gradient mapping| <= tol={tol:g}"
                reason = StopReason.CONVERGED
                break
            if stop:
                converged, message = True, "stopped by a callback (e.g. early stopping)"
                reason = StopReason.CALLBACK
                break
            stalled = watch.stalled(optimality)
            if not (stalled or limited) or (limited and refinements >= MAX_REFINEMENTS):
                continue
            # The x-update met the precision of the arithmetic (float32 data,
            # large values), or the optimality found no new low for
            # STALL_ITERATIONS iterations: go on in float64 differences from
            # z, or stop and say why.
            refined = refine(objective, z, tol) if refinements < MAX_REFINEMENTS else None
            if refined is None and not stalled:
                continue
            if refined is None:
                message = precision_message(
                    objective,
                    tol,
                    f"the optimality found no new low in {watch.since} iterations",
                )
                reason = StopReason.PRECISION_LIMIT
                break
            objective, refinements = refined, refinements + 1
            offset = objective.reference_value
            x_update = self._x_update(objective)
            x, watch = z.copy(), _StallWatch(optimality)
        if log.n_iter == 0:
            log.record(offset + value, optimality, theta=z)
        return SolverResult(
            coef=z,
            n_iter=max(log.n_iter, 1),
            converged=converged,
            optimality=optimality,
            optimality_name="max |gradient mapping|",
            history=log.history,
            message=message,
            reason=reason,
            state={"solver": self.name, "rho": rho, "u": u},
        )

    @staticmethod
    def _chunk_factors(objective):
        """Each chunk's :func:`chunk_factor`, kept on its worker (squared loss), else Nones."""
        if getattr(objective.loss, "is_quadratic", False):
            return objective.map_blocks(chunk_factor, [None] * objective.n_blocks, keep=True)
        return [None] * objective.n_blocks

    def _consensus(self, objective, z, max_iter, tol, verbose, callback, initial_state):
        """Consensus ADMM over the blocks of ``objective.map_blocks`` (see the module notes).

        Each pass over the blocks measures the current ``z`` (the summed
        gradient at ``z`` comes back with the local solutions) and, unless
        ``z`` meets ``tol``, takes one ADMM iteration from it: the history and
        the result are always those of a ``z`` whose optimality was measured.
        """
        n_blocks = objective.n_blocks
        shape = (n_blocks, z.size)
        t, rho, us, bounds = self._start(objective, z, initial_state, shape, scale=1.0 / n_blocks)
        us = np.zeros(shape) if us is None else us
        resumed = isinstance(initial_state, dict) and np.shape(initial_state.get("x")) == shape
        xs = np.array(initial_state["x"]) if resumed else np.tile(z, (n_blocks, 1))
        # The z-update: the prox of the whole penalty, L2 part included.
        l2 = objective.l2_gradient(np.ones_like(z))
        log, value, optimality = None, np.inf, np.inf
        converged, message, reason = False, ITERATION_CAP, StopReason.MAX_ITER
        primal = dual = np.inf
        at_low = (primal, dual)
        watch = _StallWatch()
        factors = self._chunk_factors(objective)
        for _ in range(max_iter):
            # Each block's share of the gradient is about 1/N of the whole.
            inner_tol = max(0.1 * tol, 1e-3 * optimality if log else 0.0) / n_blocks
            parts = objective.map_blocks(
                consensus_update,
                list(zip(xs, us, factors, strict=True)),
                z,
                rho,
                inner_tol,
                self.max_inner_iter,
            )
            grad = sum(part[2] for part in parts) + l2 * z
            smooth = sum(part[1] for part in parts) + 0.5 * float(np.dot(l2 * z, z))
            value = smooth + objective.nonsmooth_value(z)
            optimality = max_abs((z - objective.prox(z - t * grad, t)) / t)
            if log is None:
                log = IterationLog(
                    self.name, verbose, value, callback=callback,
                    optimality_name="max |gradient mapping|",
                )  # fmt: skip
            stop = log.record(value, optimality, theta=z)
            if optimality <= tol:
                converged = True
                message = (
                    f"max |gradient mapping| <= tol={tol:g} (primal residual {primal:.3g}, "
                    f"dual residual {dual:.3g})"
                )
                reason = StopReason.CONVERGED
                break
            if stop:
                converged, message = True, "stopped by a callback (e.g. early stopping)"
                reason = StopReason.CALLBACK
                break
            stalled = watch.stalled(optimality)
            if watch.since == 0:
                at_low = (primal, dual)  # the residuals when the optimality last fell
            if stalled:
                residuals = (primal, dual)
                message, reason = consensus_stall_message(objective, tol, z, rho, residuals, at_low)
                break
            if len(log.history["objective"]) == max_iter:
                break  # the last pass measured z; no iteration from it is returned
            xs = np.array([part[0] for part in parts])
            z_old = z
            total = n_blocks * rho
            z = objective.prox(total * (xs + us).mean(axis=0) / (total + l2), 1.0 / (total + l2))
            us = us + xs - z
            primal = float(np.linalg.norm(xs - z))
            dual = rho * np.sqrt(n_blocks) * float(np.linalg.norm(z - z_old))
            rho, us = self._balance(rho, us, primal, dual, bounds)
        return SolverResult(
            coef=z,
            n_iter=max(log.n_iter, 1),
            converged=converged,
            optimality=optimality,
            optimality_name="max |gradient mapping|",
            history=log.history,
            message=message,
            reason=reason,
            state={"solver": self.name, "rho": rho, "u": us, "x": xs},
        )
