r"""Working-set proximal Newton with coordinate descent: ``solver="cd"``.

For an objective ``F(theta) = f(theta) + l1 * |W|_1`` (``f``: the data term and
the L2 part), the solver alternates two loops, in the manner of glmnet, celer
and skglm:

1. **Working set.** One pass over ``X`` gives the full gradient of ``f``; the
   violation of the optimality conditions of feature ``j`` is the distance of
   ``-grad_j`` to ``l1`` times the subdifferential of ``|w_j|``. The run stops
   when the largest violation is at most ``tol``. Otherwise the working set is
   the support plus the most violating features, ``max(100, 2 |support|)`` in
   all (the intercept is always in it); without an L1 term (``l1_ratio=0``)
   there is no sparsity to exploit and it holds every feature.
2. **Proximal Newton on the working set.** At the current point the quadratic
   model of ``f`` restricted to the working set has the gradient ``g_W`` and
   the Hessian ``H_W = scale * X_W' diag(s h) X_W (+ l2)`` (``h``: the loss
   curvature of each sample; for softmax, one block per pair of classes). The
   model plus the L1 term is minimised by coordinate descent in covariance
   form (:mod:`._cd_kernels`: each update costs one row of ``H_W``, no pass
   over ``X``), and a backtracking line search on ``F`` along the direction
   found (predictors updated as ``Z + t X_W d``, no pass over ``X``) makes the
   step. After each step the gradient is taken over every coefficient: the
   optimality recorded is that of the full problem, and the run stops as soon
   as it meets ``tol``. The working set is left once its own violation is at
   most 0.3 times the full one at the set's start (the squared loss: 1e-3
   times, or ``tol`` once the set holds every feature; its model is exact, so
   one step solves the working-set problem and ``H_W`` is formed once per
   working set), never aiming below ``tol`` nor at 0: with ``tol=0``
   (``tol=None``) every iteration still makes full progress.

The cost of one step is one ``n |W|^2`` product for ``H_W`` (BLAS, one
thread-friendly ``syrk`` per class pair), a pass over ``X_W`` and one over
``X`` for the full gradient. The coordinate-descent loop itself is
compiled with numba when it is installed (``pip install "sklearn-gd[fast]"``)
and otherwise runs in NumPy, with the same updates and the same result.

Objectives this solver cannot read column by column (a dask array) are handed
to :class:`ISTA`, which minimises the same objective; unpenalised ones
(``alpha=0``) to :class:`Newton`, whose answer to an underdetermined problem
is the minimum-norm one (a coordinate method's depends on its update order);
and those without an L1 term with more than :data:`MAX_SMOOTH_COEF`
coefficients to :class:`Newton` too: the Hessian over every feature would be
too large to form, and growing working sets from 100 features to a dense
solution read ``X`` and formed ever larger Hessians many times (TF-IDF-like
softmax, 2,000 x 2,000, 4 classes, ``tol=1e-6``: 12 s, against 0.07 s).
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval

from .._data import Design
from ._base import IterationLog, Solver, SolverResult, StopReason, detects_overflow
from ._cd_kernels import cd_epochs
from ._precision import ITERATION_CAP

#: Armijo constant of the line search on F.
ARMIJO = 1e-4
#: Halvings of the step tried by the line search.
MAX_HALVINGS = 60
#: The working-set problem is left once its violation is at most this share of
#: the full one (or at most tol).
INNER_SHARE = 0.3
#: The same share for the squared loss, whose working-set problem is solved by
#: coordinate-descent epochs on one Hessian (no new one per step).
QUADRATIC_SHARE = 1e-3
#: Without an L1 term every feature is in the working set; beyond this many
#: coefficients its dense Hessian is too large and the objective goes to Newton
#: (conjugate gradients on Hessian-vector products).
MAX_SMOOTH_COEF = 2500
#: The coordinate-descent solve of a model stops at this share of the target.
MODEL_SHARE = 0.1
#: Newton steps on one working set before the full gradient is looked at again.
MAX_STEPS_PER_SET = 50


class CoordinateDescent(Solver):
    """Working-set proximal Newton with coordinate descent (``solver="cd"``).

    For the L1 and elastic-net penalties with every loss (lasso, L1 logistic
    and softmax regression), and for the smooth objectives as well. Stops when
    the largest violation of the optimality conditions, over every coefficient,
    is at most ``tol``: ``|g_j + l1 sign(w_j)|`` for a non-zero weight,
    ``max(|g_j| - l1, 0)`` for a zero one and ``|g_b|`` for an intercept (``g``:
    the gradient of the smooth part), i.e. the largest entry of the
    minimum-norm subgradient of the objective. ``max_iter`` counts Newton steps.

    Parameters
    ----------
    working_set : int, default=100
        Smallest number of features in a working set; it grows to twice the
        support. Its Hessian block costs ``n * working_set^2`` multiply-adds,
        a few passes over ``X``, and a set that holds the whole support at once
        saves the passes over ``X`` that growing it from a handful would take.
    max_epochs : int, default=1000
        Most coordinate-descent epochs on one quadratic model.
    """

    name = "cd"
    supports_l1 = True
    # Its coordinate updates soft-threshold without a projection.
    supports_constraints = False
    reports_iterates = True
    _parameter_constraints = {
        "working_set": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, working_set=100, max_epochs=1000):
        self.working_set = working_set
        self.max_epochs = max_epochs

    @detects_overflow
    def minimize(self, objective, theta0, *, max_iter, tol, verbose=0, callback=None):
        self.check_objective(objective)
        X = getattr(objective.design, "X", None)
        delegate = None
        if not (isinstance(X, np.ndarray) or sp.issparse(X)):
            from .ista import ISTA as delegate  # the same objective, through its own methods
        elif objective.penalty.alpha == 0:
            # Unpenalised, a coordinate method's answer to an underdetermined
            # problem depends on the order of its updates; Newton's gives the
            # minimum-norm one, as LinearRegression does.
            from .newton import Newton as delegate
        elif objective.penalty.l1 == 0 and objective.n_coef > MAX_SMOOTH_COEF:
            # No L1 term: no sparsity for working sets to exploit, and a
            # Hessian over every coefficient too large to form.
            from .newton import Newton as delegate
        if delegate is not None:
            return delegate().minimize(
                objective, theta0, max_iter=max_iter, tol=tol, verbose=verbose, callback=callback
            )
        return _Run(self, objective, theta0, verbose, callback).solve(max_iter, tol)


class _Run:
    """The state of one minimisation (the point, its predictor, the log)."""

    def __init__(self, solver, objective, theta0, verbose, callback):
        self.solver = solver
        self.objective = objective
        design = objective.design
        self.X = design.X
        self.d = design.n_features
        self.fit_intercept = design.fit_intercept
        self.n_dof, self.k = objective.shape
        self.loss = objective.loss
        self.quadratic = bool(getattr(self.loss, "is_quadratic", False))
        self.Y = np.asarray(objective.Y, dtype=np.float64)
        s = np.asarray(objective.sample_weight, dtype=np.float64)
        self.unweighted = bool(np.all(s == 1.0))
        self.s = s
        self.scale = float(objective.scale)
        self.l1 = float(objective.penalty.l1)
        self.l2 = float(objective.penalty.l2)
        self.C = np.array(objective.coef_matrix(np.asarray(theta0, dtype=np.float64)))
        if np.any(self.C[: self.d]):
            self.Z = np.asarray(design.linear_predictor(self.C), dtype=np.float64)
        else:  # no pass over X for zero weights
            b = self.C[self.d] if self.fit_intercept else np.zeros(self.k)
            self.Z = np.broadcast_to(b, (design.n_samples, self.k)).astype(np.float64)
        self.value = self.F(self.C, self.Z)
        self.log = IterationLog(
            solver.name, verbose, self.value, callback=callback,
            optimality_name="max |minimum-norm subgradient|",
        )  # fmt: skip

    # ------------------------------------------------------------- pieces of F
    def data_value(self, Z):
        losses = np.asarray(self.loss.loss(self.Y, Z), dtype=np.float64)
        total = losses.sum() if self.unweighted else np.dot(self.s, losses)
        return self.scale * float(total)

    def F(self, C, Z):
        W = C[: self.d]
        value = self.data_value(Z) + 0.5 * self.l2 * float(np.vdot(W, W))
        return value + self.l1 * float(np.abs(W).sum())

    def residual(self):
        """``scale * s * dloss/dZ``: the data term's gradient is ``[X 1]' R``."""
        _, dZ = self.loss.loss_gradient(self.Y, self.Z)
        R = self.scale * np.asarray(dZ, dtype=np.float64)
        return R if self.unweighted else R * self.s[:, None]

    def violations(self, G, C):
        """Per entry: distance of ``-G`` to ``l1`` times the subdifferential of ``|C|``."""
        V = np.abs(G)
        W, GW = C[: self.d], G[: self.d]
        if self.l1 > 0:
            VW = np.where(W > 0, np.abs(GW + self.l1), np.abs(GW - self.l1))
            V[: self.d] = np.where(W == 0, np.maximum(np.abs(GW) - self.l1, 0.0), VW)
        return V

    def full_gradient(self):
        """Gradient of the smooth part over every coefficient: one pass over X."""
        R = self.residual()
        G = np.asarray(self.objective.design.transpose_product(R), dtype=np.float64)
        G[: self.d] += self.l2 * self.C[: self.d]
        return G

    # ----------------------------------------------------------- working sets
    def working_set(self, V):
        """Feature indices: the support and the most violating features."""
        if self.l1 == 0:  # every weight moves: no sparsity to exploit
            return np.arange(self.d)
        per_feature = V[: self.d].max(axis=1) if self.d else np.zeros(0)
        support = np.flatnonzero(np.any(self.C[: self.d] != 0, axis=1))
        size = min(self.d, max(self.solver.working_set, 2 * support.size))
        score = per_feature.copy()
        score[support] = np.inf
        if size >= self.d:
            return np.arange(self.d)
        chosen = np.argpartition(-score, size - 1)[:size]
        return np.sort(chosen)

    def columns(self, features):
        """``X[:, features]`` in float64 (dense copy, or sparse)."""
        if self.d and features.size == self.d:
            XW = self.X
        else:
            XW = self.X[:, features]
        if sp.issparse(XW):
            return XW.astype(np.float64)
        return np.asarray(XW, dtype=np.float64)

    def rows_of(self, features):
        """Rows of the coefficient matrix in the working set (intercept last)."""
        if self.fit_intercept:
            return np.append(features, self.d)
        return features

    def hessian(self, XW):
        """``H_W``, shape (m k, m k), of the smooth part at the current point."""
        if self.quadratic:
            blocks = {(a, a): None for a in range(self.k)}
            weights = [self.s]
        else:
            blocks = self.loss.hessian_blocks(self.Y, self.Z)
            weights = [
                np.asarray(h, dtype=np.float64) * (1.0 if self.unweighted else self.s)
                for h in blocks.values()
            ]
        grams = Design(XW, self.fit_intercept).weighted_grams(weights)
        if self.quadratic:  # one Gram matrix, the same for every output
            grams = grams * self.k
        rows = grams[0].shape[0]
        H = np.zeros((rows, self.k, rows, self.k))
        for (a, b), gram in zip(blocks, grams, strict=True):
            H[:, a, :, b] = self.scale * gram
            if a != b:
                H[:, b, :, a] = self.scale * gram.T
        H = H.reshape(rows * self.k, rows * self.k)
        n_weights = XW.shape[1] * self.k
        H[np.arange(n_weights), np.arange(n_weights)] += self.l2
        return np.ascontiguousarray(H)

    # ----------------------------------------------------------------- a step
    def newton_step(self, XW, rows, H, target, G):
        """One proximal Newton step on the working set from its gradient ``G``; False
        when F cannot decrease."""
        m = XW.shape[1]
        x0 = self.C[rows].ravel()
        penalized = np.zeros(x0.size, dtype=bool)
        penalized[: m * self.k] = self.l1 > 0
        x = x0.copy()
        q = G.ravel().copy()
        cd_epochs(H, q, x, self.l1, penalized, self.solver.max_epochs, MODEL_SHARE * target)
        step = (x - x0).reshape(rows.size, self.k)
        if not np.any(step):
            return False
        dZ = XW @ step[:m]
        if self.fit_intercept:
            dZ = dZ + step[m]
        dZ = np.asarray(dZ, dtype=np.float64).reshape(self.Z.shape)
        W0 = x0.reshape(rows.size, self.k)[:m]
        decrease = float(np.vdot(G, step)) + self.l1 * float(
            np.abs(W0 + step[:m]).sum() - np.abs(W0).sum()
        )
        slack = 16 * np.finfo(float).eps * abs(self.value)
        t = 1.0
        C_try = self.C.copy()
        for _ in range(MAX_HALVINGS):
            C_try[rows] = self.C[rows] + t * step
            Z_try = self.Z + t * dZ
            value = self.F(C_try, Z_try)
            # Within rounding of F, a step the model says decreases it is taken:
            # near the optimum the changes of F fall below its precision, while
            # the gradient (the stopping rule) still improves.
            if value <= self.value + ARMIJO * t * min(decrease, 0.0) + slack:
                self.C, self.Z, self.value = C_try, Z_try, value
                return True
            t *= 0.5
        return False

    # ------------------------------------------------------------------ loop
    def solve(self, max_iter, tol):
        log = self.log
        converged, message, reason = False, ITERATION_CAP, StopReason.MAX_ITER
        G = self.full_gradient()
        V = self.violations(G, self.C)
        optimality = float(np.max(V, initial=0.0))
        stalled = False
        while True:
            if optimality <= tol:
                converged, message = True, f"max |minimum-norm subgradient| <= tol={tol:g}"
                reason = StopReason.CONVERGED
                break
            if log.n_iter >= max_iter:
                break
            if stalled:
                message = "no step decreases the objective (precision limit reached)"
                reason = StopReason.PRECISION_LIMIT
                break
            features = self.working_set(V)
            # Each set is solved to a share of the full optimality (the squared
            # loss' model is exact and its Hessian formed once per set: a small
            # share costs only coordinate-descent epochs), never to less than
            # tol: with tol=0 a target of tol itself spent every step on the
            # first set.
            share = QUADRATIC_SHARE if self.quadratic else INNER_SHARE
            target = max(share * optimality, tol)
            if self.quadratic and tol > 0 and features.size == self.d:
                target = tol  # the set is the whole problem: solve it at once
            start = optimality
            G, V, stalled, stop = self.solve_set(features, G, target, max_iter, tol)
            optimality = float(np.max(V, initial=0.0))
            if stop:
                converged, message = True, "stopped by a callback (e.g. early stopping)"
                reason = StopReason.CALLBACK
                break
            if stalled and optimality < start:
                stalled = False  # the working set was solved; the full problem was not
        if log.n_iter == 0:
            log.record(self.value, optimality, theta=self.C.ravel().copy())
        return SolverResult(
            coef=self.C.ravel().copy(),
            n_iter=max(log.n_iter, 1),
            converged=converged,
            optimality=optimality,
            optimality_name="max |minimum-norm subgradient|",
            history=log.history,
            message=message,
            reason=reason,
        )

    def solve_set(self, features, G, target, max_iter, tol):
        """Proximal Newton steps on a working set until its violation is at most ``target``.

        After each step the gradient is taken over every coefficient (one pass
        over ``X``): the optimality recorded is the full one, and the set is
        left as soon as the full problem meets ``tol``.

        Returns
        -------
        G, V : ndarray of shape (n_dof, k)
            The full gradient of the smooth part and the violations at the point reached.
        stalled : bool
            The last step could not decrease the objective.
        stop : bool
            The callback asked to stop.
        """
        log = self.log
        rows = self.rows_of(features)
        XW = self.columns(features)
        H = None
        stalled = stop = False
        for _ in range(MAX_STEPS_PER_SET):
            if H is None or not self.quadratic:
                H = self.hessian(XW)
            moved = self.newton_step(XW, rows, H, target, G[rows])
            G = self.full_gradient()
            V = self.violations(G, self.C)
            optimality = float(np.max(V, initial=0.0))
            inner = float(np.max(V[rows], initial=0.0))
            stop = log.record(self.value, optimality, theta=self.C.ravel().copy())
            if not moved:
                stalled = True
                break
            if stop or optimality <= tol or inner <= target or log.n_iter >= max_iter:
                break
        return G, V, stalled, stop
