r"""Objective layer: data + loss + targets + sample weights + penalty.

The objective every estimator minimises (the user guide's "The objective" page):

.. math::

    F(W, b) = \frac{1}{S} \sum_{i=1}^n s_i \, \ell(y_i, x_i W + b) + P(W),
    \qquad S = \sum_i s_i .

Solvers see only this layer. They work on a flat float64 vector ``theta``, the
coefficient matrix ``C`` of shape ``(n_dof, n_outputs)`` raveled in C order; the
last row of ``C`` is the intercept when there is one, and it is never penalised.
"""

from functools import cached_property

import numpy as np

from .exceptions import NoCurvatureBoundError

#: Rows read by :meth:`Objective.curvature_block` (every ``k``-th row beyond it).
CURVATURE_ROWS = 4096
#: A quadratic objective (squared loss) uses its Gram matrix only when ``X`` has
#: at least this many entries and ``n_samples >= GRAM_ROWS_PER_DOF * n_dof``.
GRAM_MIN_ENTRIES = 1 << 20
GRAM_ROWS_PER_DOF = 4
#: Forming the Gram matrix (``n * n_dof^2 / 2`` multiply-adds, compute-bound)
#: costs about as much as ``n_dof / GRAM_DOF_PER_EVALUATION`` evaluations (two
#: memory-bound passes each): it is formed once that many have been made.
GRAM_DOF_PER_EVALUATION = 25
#: Evaluations from the Gram matrix between two exact ones (new anchors).
GRAM_REANCHOR = 25
#: A solver asking for curvature (a preconditioner, Hessian-vector products)
#: gets the Gram matrix formed at once up to this many coefficient rows (it then
#: costs at most about 20 evaluations); beyond, it is formed only when it pays.
GRAM_AT_ONCE_DOF = 512


class Objective:
    """The regularised empirical risk of a linear model.

    For the squared loss on many more samples than coefficients, the Gram
    matrix ``G = [X 1]' diag(s) [X 1]`` is a sufficient statistic. Once it pays
    (after as many exact evaluations as it costs, or at once when a solver asks
    for the curvature), it is formed in one blocked pass over ``X`` and the
    objective is evaluated without reading ``X``: by the exact second-order
    expansion of the quadratic around an *anchor*, the last point evaluated
    exactly, ``F(a + e) = F(a) + g(a).e + e'He/2`` and ``g(a + e) = g(a) + He``.
    Rounding grows with ``|e|``, not with the size of ``y``, and an exact
    evaluation every :data:`GRAM_REANCHOR` refreshes the anchor.

    Parameters
    ----------
    design : Design
        The data layer wrapping ``X`` (and whether there is an intercept).
    loss : loss object
        One of the losses in :mod:`sklearn_gd._loss`.
    Y : ndarray of shape (n_samples, n_outputs)
        Encoded targets (real values, 0/1 indicators or one-hot rows).
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights ``s_i`` with a positive sum.
    penalty : ElasticNetPenalty
        The penalty on the weights.
    scale : float, default=None
        Factor in front of the weighted sum of losses; ``1 / sum(sample_weight)``
        when None. Mini-batch views use ``n / (|B| S)`` so their gradient is an
        unbiased estimate of the full one.
    use_gram : bool, default=True
        Whether a quadratic objective may evaluate from its Gram matrix (False:
        every evaluation reads ``X``, as a chunk of a larger sum should).
    """

    #: Whether the values are differences from a reference point (:class:`RefinedObjective`).
    is_refined = False

    def __init__(self, design, loss, Y, sample_weight, penalty, scale=None, use_gram=True):
        self.Y = np.asarray(Y, dtype=design.dtype)
        self.sample_weight = np.asarray(sample_weight, dtype=np.float64)
        self._weight = self.sample_weight.astype(design.dtype)
        # Unit weights (no sample_weight) need no per-sample multiplication.
        self._unweighted = bool((self.sample_weight == 1.0).all())
        scale = 1.0 / self.sample_weight.sum() if scale is None else scale
        self._setup(design, loss, penalty, scale, self.Y.shape[1], use_gram)

    def _setup(self, design, loss, penalty, scale, n_outputs, use_gram):
        """What every objective holds beside its targets and weights, and its caches."""
        self.design = design
        self.loss = loss
        self.penalty = penalty
        self.scale = scale
        self.shape = (design.n_dof, int(n_outputs))
        self.n_coef = self.shape[0] * self.shape[1]
        self.n_samples = design.n_samples
        self._gram_allowed = use_gram
        self._reset_caches()

    def _rows_changed(self):
        """Reset what is derived from the rows, after their arrays were refilled in
        place (reused mini-batch buffers)."""
        self._unweighted = bool((self.sample_weight == 1.0).all())
        self._reset_caches()

    def _reset_caches(self):
        """The caches of evaluations, empty."""
        design = self.design
        # The linear predictor of the last evaluation, reused by the curvature
        # methods at the same point (Newton asks for the Hessian where it has
        # just evaluated the gradient): saves one pass over X.
        self._last_theta = None
        self._last_Z = None
        # Gram matrix of a quadratic objective (see the class notes).
        self._quadratic = bool(
            self._gram_allowed
            and getattr(self.loss, "is_quadratic", False)
            and design.n_stored >= GRAM_MIN_ENTRIES
            and design.n_samples >= GRAM_ROWS_PER_DOF * design.n_dof
        )
        self._gram = None
        self._anchor = None
        self._exact_evaluations = 0
        self._since_anchor = 0

    # ------------------------------------------------------------------ helpers
    def _weights_rows(self, C):
        return C[: self.design.n_features]

    def coef_matrix(self, theta):
        """``theta`` as the coefficient matrix of shape (n_dof, n_outputs)."""
        return np.reshape(theta, self.shape)

    def _predictor(self, theta, C):
        """``Z`` at ``theta``: the last evaluation's when it was at the same point."""
        if self._last_theta is not None and np.array_equal(theta, self._last_theta):
            return self._last_Z
        return self.design.linear_predictor(C)

    def _remember(self, theta, Z):
        self._last_theta = np.array(theta, dtype=np.float64, copy=True)
        self._last_Z = Z

    def _weighted_sum(self, losses):
        """``sum_i s_i * losses_i`` in float64."""
        if self._unweighted:
            return float(losses.sum(dtype=np.float64))
        return float(np.dot(self.sample_weight, losses))

    def _weighted(self, R):
        """``s_i * R_i`` row by row (``R`` itself when unweighted)."""
        if self._unweighted:
            return R
        return self._weight[:, None] * R

    @property
    def evaluation_cost(self):
        """Multiply-adds of one value and gradient: two passes over the stored X."""
        return 2 * self.design.n_stored * self.shape[1]

    @property
    def is_smooth(self):
        """Whether the objective is differentiable (no L1 part, no constraint)."""
        return self.penalty.is_smooth

    # ------------------------------------------------------------ Gram matrix
    def _form_gram(self):
        """The Gram matrix ``[X 1]' diag(s) [X 1]``, formed once (one blocked pass over X)."""
        if self._gram is None:
            self._gram = self.design.weighted_gram(self.sample_weight)
        return self._gram

    def _quadratic_product(self, v):
        """``H v`` of a quadratic objective from its Gram matrix (flat in, flat out)."""
        V = self.coef_matrix(v)
        out = self.scale * (self._gram @ V)
        d = self.design.n_features
        out[:d] += self.penalty.l2 * V[:d]
        return out.ravel()

    def _from_gram(self, theta):
        """Value and gradient by the expansion around the anchor (no pass over X)."""
        anchor, value, grad = self._anchor
        step = np.asarray(theta, dtype=np.float64) - anchor
        Hstep = self._quadratic_product(step)
        self._since_anchor += 1
        return value + float(np.dot(grad, step)) + 0.5 * float(np.dot(step, Hstep)), grad + Hstep

    def _use_gram(self):
        return (
            self._gram is not None
            and self._anchor is not None
            and self._since_anchor < GRAM_REANCHOR
        )

    # ------------------------------------------------------------------ values
    def smooth_value_and_gradient(self, theta):
        """Value and gradient of the smooth part (data term + L2), fused.

        One pass over ``X`` for the predictor and one for the gradient (none
        once a quadratic objective has its Gram matrix, see the class notes).
        """
        if self._use_gram():
            return self._from_gram(theta)
        value, grad = self.exact_value_and_gradient(theta)
        if self._quadratic:
            self._exact_evaluations += 1
            self._anchor = (np.array(theta, dtype=np.float64), value, grad.copy())
            self._since_anchor = 0
            if self._exact_evaluations >= max(2, self.shape[0] // GRAM_DOF_PER_EVALUATION):
                self._form_gram()
        return value, grad

    def exact_value_and_gradient(self, theta):
        """Value and gradient of the smooth part computed from ``X`` (never the Gram matrix)."""
        C = self.coef_matrix(theta)
        Z = self.design.linear_predictor(C)
        self._remember(theta, Z)
        losses, dZ = self.loss.loss_gradient(self.Y, Z)
        value = self.scale * self._weighted_sum(losses)
        grad = self.design.transpose_product(self._weighted(dZ))
        grad = np.asarray(grad, dtype=np.float64) * self.scale
        penalty_value, penalty_grad = self.penalty.smooth_value_and_gradient(self._weights_rows(C))
        grad[: self.design.n_features] += penalty_grad
        return value + penalty_value, grad.ravel()

    def smooth_value(self, theta):
        """Value of the smooth part (data term + L2)."""
        if self._use_gram():
            return self._from_gram(theta)[0]
        C = self.coef_matrix(theta)
        Z = self.design.linear_predictor(C)
        value = self.scale * self._weighted_sum(self.loss.loss(self.Y, Z))
        return value + self.penalty.smooth_value_and_gradient(self._weights_rows(C))[0]

    def nonsmooth_value(self, theta):
        """Value of the L1 part of the penalty (0 when there is none)."""
        return self.penalty.nonsmooth_value(self._weights_rows(self.coef_matrix(theta)))

    def value(self, theta):
        """The full objective ``F(theta)``."""
        return self.smooth_value(theta) + self.nonsmooth_value(theta)

    def prox(self, theta, step):
        """Proximal operator of ``step`` times the L1 part (intercept untouched).

        With a constraint on the weights, that of the L1 part plus the
        constraint's indicator: the projection onto the set when there is no
        L1 part (see :mod:`sklearn_gd.constraints`).
        """
        if self.penalty.is_smooth:
            return theta
        C = np.array(self.coef_matrix(theta), dtype=np.float64)
        d = self.design.n_features
        step = np.reshape(step, self.shape)[:d] if np.ndim(step) else step
        C[:d] = self.penalty.prox(C[:d], step)
        return C.ravel()

    def refined(self, theta, tol=0.0):
        """This objective with its values relative to ``theta``, resolvable near ``theta``.

        For solvers that stop at the precision limit of the objective's values
        while the gradient is still above ``tol``: :class:`RefinedObjective`.
        Its products over ``X`` stay in ``X``'s dtype when ``tol`` is at least
        :data:`NARROW_TOL_EPS` machine epsilons of it (float32 products resolve
        the gradient far below such a ``tol``, at half the cost of float64
        ones); otherwise, and when a refined objective is refined again, they
        are taken in float64 (:func:`refines_in_float64`). None when the data
        layer cannot take float64 products over its ``X``.
        """
        if getattr(self.design, "in_float64", None) is None:
            return None
        return RefinedObjective(self, theta, widen=refines_in_float64(self.design.dtype, tol))

    # ------------------------------------------------------------ curvature
    def hessian_operator(self, theta):
        """A function ``v -> H(theta) v`` for the smooth part (two passes over X each).

        The loss curvature at ``theta`` is computed once, so each product costs
        one ``X @ V`` and one ``X.T @ R``.
        """
        if self._quadratic and (self._gram is not None or self.shape[0] <= GRAM_AT_ONCE_DOF):
            self._form_gram()  # the Hessian of a quadratic is its Gram matrix
            return self._quadratic_product
        Z = self._predictor(theta, self.coef_matrix(theta))
        loss_hessian = self.loss.hessian_operator(self.Y, Z)
        d = self.design.n_features

        def apply(v):
            V = self.coef_matrix(v)
            HdZ = loss_hessian(self.design.linear_predictor(V))
            out = self.design.transpose_product(self._weighted(HdZ))
            out = np.asarray(out, dtype=np.float64) * self.scale
            out[:d] += self.penalty.l2 * V[:d]
            return out.ravel()

        return apply

    def hessp(self, theta, v):
        """Hessian of the smooth part at ``theta`` applied to ``v`` (flat)."""
        return self.hessian_operator(theta)(v)

    def l2_gradient(self, theta):
        """Gradient of the L2 part of the penalty alone (zero on the intercept)."""
        C = np.zeros(self.shape)
        d = self.design.n_features
        C[:d] = self.penalty.l2 * self.coef_matrix(theta)[:d]
        return C.ravel()

    def hessian(self, theta):
        """The dense Hessian of the smooth part, shape (n_coef, n_coef)."""
        n_dof, k = self.shape
        if self._quadratic:
            gram = self.scale * self._form_gram()
            H = np.zeros((n_dof, k, n_dof, k))
            for a in range(k):
                H[:, a, :, a] = gram
            H = H.reshape(self.n_coef, self.n_coef)
            n_weights = self.design.n_features * k
            H[np.arange(n_weights), np.arange(n_weights)] += self.penalty.l2
            return H
        C = self.coef_matrix(theta)
        Z = self._predictor(theta, C)
        H = np.zeros((n_dof, k, n_dof, k))
        blocks = self.loss.hessian_blocks(self.Y, Z)
        weighted = [h if self._unweighted else self.sample_weight * h for h in blocks.values()]
        # All the blocks in one pass over X.
        grams = self.design.weighted_grams(weighted)
        for (a, b), gram in zip(blocks, grams, strict=True):
            block = self.scale * gram
            H[:, a, :, b] = block
            if a != b:
                H[:, b, :, a] = block
        H = H.reshape(self.n_coef, self.n_coef)
        n_weights = self.design.n_features * k
        H[np.arange(n_weights), np.arange(n_weights)] += self.penalty.l2
        return H

    def curvature_block(self, theta, max_rows=CURVATURE_ROWS):
        """A symmetric ``(n_dof, n_dof)`` matrix ``M`` with ``H(theta) ~ M (x) I_k``.

        ``M`` is the Hessian block that every output would have if the loss
        curvature of each sample were the mean of its diagonal curvatures at
        ``theta``: ``scale * [X 1]' diag(s * h) [X 1] + l2`` on the weights. It is
        exact for one output, and captures the scaling and correlation of the
        features that make the objective ill-conditioned, which is what a
        preconditioner needs. It is computed on every ``k``-th row (a view, no
        copy) so that about ``max(max_rows, 4 n_dof)`` rows are read.
        """
        if self._quadratic and (self._gram is not None or self.shape[0] <= GRAM_AT_ONCE_DOF):
            # The exact, constant Hessian block: the Gram matrix.
            M = self.scale * self._form_gram()
            d = self.design.n_features
            M[np.arange(d), np.arange(d)] += self.penalty.l2
            return M
        step = max(1, self.n_samples // max(max_rows, 4 * self.shape[0]))
        part = self if step == 1 else self.batch(slice(None, None, step))
        C = part.coef_matrix(theta)
        Z = part._predictor(theta, C) if part is self else part.design.linear_predictor(C)
        k = self.shape[1]
        blocks = part.loss.hessian_blocks(part.Y, Z)
        h = sum(np.asarray(blocks[(a, a)], dtype=np.float64) for a in range(k)) / k
        M = part.scale * part.design.weighted_gram(part.sample_weight * h)
        d = self.design.n_features
        M[np.arange(d), np.arange(d)] += self.penalty.l2
        return M

    def curvature_diagonal(self, theta):
        """The diagonal of :meth:`curvature_block` on every row, shape (n_dof,).

        ``scale * sum_i s_i h_i x_ij^2 (+ l2)`` per column, with ``h_i`` the
        mean of sample ``i``'s diagonal loss curvatures at ``theta``: one pass
        over ``X`` for the predictor (none at zero weights) and one for the
        squares. A diagonal (Jacobi) preconditioner for problems with too many
        coefficients for the dense block.
        """
        C = self.coef_matrix(theta)
        d = self.design.n_features
        if np.any(C[:d]):
            Z = self._predictor(theta, C)
        else:
            Z = np.broadcast_to(
                np.asarray(C[d:], dtype=self.design.dtype).sum(axis=0), self.Y.shape
            )
        k = self.shape[1]
        blocks = self.loss.hessian_blocks(self.Y, Z)
        diagonal = [
            np.asarray(blocks[(a, a)], dtype=np.float64) for a in range(k) if (a, a) in blocks
        ]
        h = np.broadcast_to(sum(diagonal) / len(diagonal), (self.n_samples,)) * self.sample_weight
        m = self.scale * self.design.weighted_square_sums(h)
        m[:d] += self.penalty.l2
        return m

    def _curvature_bound(self):
        r"""The loss's global bound :math:`c \ge \lambda_{\max}(\nabla_z^2 \ell)`.

        Raises
        ------
        NoCurvatureBoundError
            When the loss has none (its ``curvature_bound`` is None): then the
            objective has no Lipschitz constant.
        """
        bound = self.loss.curvature_bound
        if bound is None:
            raise NoCurvatureBoundError(
                f"The loss {type(self.loss).__name__} has no global curvature bound "
                "(its curvature_bound is None), so the objective has no Lipschitz "
                "constant: no step size 1 / L and no certified gap can be taken from it."
            )
        return bound

    def coordinate_lipschitz(self):
        """Upper bounds of the curvature along each coordinate, shape (n_dof,).

        ``curvature_bound(loss) * scale * sum_i s_i x_ij^2`` (plus the L2
        strength on the weights), the same for every output: one pass over
        ``X`` for the squares. A ``NoCurvatureBoundError`` for a loss without
        a global curvature bound.
        """
        bound = self._curvature_bound()
        L = self.scale * self.design.weighted_square_sums(self.sample_weight)
        L *= bound
        L[: self.design.n_features] += self.penalty.l2
        return L

    def lipschitz(self):
        """Upper estimate of the Lipschitz constant of the smooth gradient.

        ``curvature_bound(loss) * lambda_max(X1' diag(s) X1) / S + l2``, with the
        eigenvalue from a few power iterations on the data (no decomposition).
        A ``NoCurvatureBoundError`` for a loss without a global curvature bound.
        """
        bound = self._curvature_bound()
        eig = self.design.largest_eigenvalue(self.sample_weight)
        return bound * self.scale * eig + self.penalty.l2

    # ----------------------------------------------------------- mini-batches
    def batches(self, size, rng):
        """The mini-batches of one epoch, in a random order: ``(objective, share)`` pairs.

        The ``n_samples`` rows are split into ``ceil(n_samples / size)`` batches
        whose sizes differ by at most one row (215 rows in batches of at most
        200: 108 and 107, not 200 and 15, whose gradient would be far noisier
        than the others' at the same learning rate). Each batch is a
        :meth:`batch` view and ``share`` is its fraction of the rows, so that
        the shares of an epoch sum to 1. With ``size >= n_samples`` the one batch is the whole
        objective (and ``rng`` is not drawn from).

        Parameters
        ----------
        size : int
            Most rows per batch.
        rng : numpy.random.RandomState
            Source of the order.

        Yields
        ------
        (Objective, float)
        """
        n = self.n_samples
        if size >= n:
            yield self, 1.0
            return
        order = rng.permutation(n)
        for index in np.array_split(order, -(-n // size)):
            yield self.batch(index), index.shape[0] / n

    def sample_batches(self, count, size, rng):
        """``count`` batches of ``size`` rows drawn at random (for step-size estimates)."""
        n = self.n_samples
        return [self.batch(rng.choice(n, size, replace=False)) for _ in range(count)]

    def batch(self, index):
        """The objective on the rows ``index``, scaled to estimate the full one.

        Its gradient is an unbiased estimate of the full gradient when ``index``
        is drawn uniformly: the weighted sum over the batch is scaled by
        ``n / (|B| S)`` instead of ``1 / S``.
        """
        if isinstance(index, slice):
            size = len(range(*index.indices(self.n_samples)))
        else:
            index = np.asarray(index)
            size = index.shape[0]
        if size == self.n_samples:
            return self
        scale = self.scale * self.n_samples / size
        return Objective(
            self.design.rows(index),
            self.loss,
            self.Y[index],
            self.sample_weight[index],
            self.penalty,
            scale=scale,
        )


#: A refinement keeps ``X``'s own dtype for its products when ``tol`` is at
#: least this many machine epsilons of that dtype (float32: 1.2e-5).
NARROW_TOL_EPS = 100


def refines_in_float64(dtype, tol):
    r"""Whether a refinement to ``tol`` over ``X`` of ``dtype`` takes its products in float64.

    True unless ``tol`` is at least :data:`NARROW_TOL_EPS` machine epsilons
    of ``dtype``, :math:`\mathrm{tol} \ge 100\,\epsilon`: products in
    ``X``'s own dtype resolve the gradient far below such a ``tol`` (float32:
    :math:`1.2 \times 10^{-5}`), at half the cost of float64 ones. Always
    False for float64 ``X``, whose products are float64 already.
    """
    dtype = np.dtype(dtype)
    return bool(dtype != np.float64 and tol < NARROW_TOL_EPS * np.finfo(dtype).eps)


def l2_difference(l2, W, W0):
    r"""``l2 (|W|^2 - |W0|^2) / 2`` as :math:`\tfrac{l_2}{2} (W - W_0) \cdot (W + W_0)`.

    The L2 part of a penalty difference, its rounding error relative to the
    difference (no subtraction of the two squared norms).
    """
    return 0.5 * l2 * float(np.vdot(W - W0, W + W0))


class RefinedObjective(Objective):
    r"""An :class:`Objective` in float64 whose values are differences from a reference point.

    Near the optimum the decrease a step makes, about
    :math:`\lVert\nabla F\rVert^2 / L`, falls below the rounding error of the
    objective's value, :math:`\epsilon \lvert F\rvert` (targets in the
    hundreds give values of 1e4 and more), and a line search comparing values
    stops there, with the gradient orders of magnitude above the resolution of
    the gradient itself. This objective returns

    .. math:: F(\theta) - F(\theta_0) = \frac{1}{S} \sum_i s_i
        \big(\ell(y_i, z_{0,i} + d_i) - \ell(y_i, z_{0,i})\big) + P(w) - P(w_0),
        \qquad d = [X\ 1] (\theta - \theta_0),

    each loss difference computed without cancellation (``loss_difference``)
    and ``d`` as one product with ``theta - theta0``, so that its rounding
    error is relative to the difference, not to :math:`F`: even in float32,
    ``d`` carries about seven correct digits of the change a step makes. Its
    gradient and curvature are those of :math:`F`. With ``widen=True`` every
    product over float32 ``X`` is accumulated in float64 as well
    (``Design.in_float64``: ``X`` converted one block at a time, never copied
    whole, at two to four times the cost of a float32 pass): what is left when
    the float32 products no longer resolve the gradient. It costs the same
    passes over ``X`` as the objective it refines, plus keeping the predictor
    ``Z_0`` (``n x k``).

    Parameters
    ----------
    objective : Objective
        The objective to refine (its data, loss, targets, weights and penalty).
    theta0 : ndarray of shape (n_coef,)
        The reference point: values are ``F(theta) - F(theta0)``.
    widen : bool, default=True
        Take the products over ``X`` in float64 whatever ``X``'s dtype.
    reference_predictor : ndarray of shape (n_samples, n_outputs), default=None
        ``Z_0 = [X 1] C_0`` when the caller kept it from an earlier refinement
        at the same point with the same ``widen`` (the chunks of a dask
        objective keep theirs on their workers); None computes it.
    """

    is_refined = True

    def __init__(self, objective, theta0, *, widen=True, reference_predictor=None):
        super().__init__(
            objective.design.in_float64() if widen else objective.design,
            objective.loss,
            objective.Y,
            objective.sample_weight,
            objective.penalty,
            scale=objective.scale,
        )
        # The Gram matrix is float64 whatever X's dtype: share it for the curvature.
        self._gram = objective._gram
        self.theta0 = np.array(theta0, dtype=np.float64)
        self._C0 = self.coef_matrix(self.theta0)
        if reference_predictor is not None:
            self._Z0 = reference_predictor
        elif self.design is objective.design:  # the last evaluation's Z when it was at theta0
            self._Z0 = objective._predictor(self.theta0, self._C0)
        else:
            self._Z0 = self.design.linear_predictor(self._C0)

    @property
    def reference_predictor(self):
        """``Z_0 = [X 1] C_0``, the predictor at the reference point (``n x k``)."""
        return self._Z0

    @cached_property
    def reference_value(self):
        """``F(theta0)`` itself (in float64), to report values as the objective's."""
        return float(
            self.scale * self._weighted_sum(self.loss.loss(self.Y, self._Z0))
            + self.penalty.value(self._weights_rows(self._C0))
        )

    def refined(self, theta, tol=0.0):
        """Refined again from ``theta``, with float64 products over ``X`` this time."""
        return RefinedObjective(self, theta, widen=True)

    def _difference(self, theta):
        """``(C, Z, data term of F(theta) - F(theta0) + L2 part of it)``."""
        C = self.coef_matrix(np.asarray(theta, dtype=np.float64))
        D = self.design.linear_predictor(C - self._C0)
        Z = self._Z0 + D
        value = self.scale * self._weighted_sum(self.loss.loss_difference(self.Y, self._Z0, D))
        W, W0 = self._weights_rows(C), self._weights_rows(self._C0)
        value += l2_difference(self.penalty.l2, W, W0)
        return C, Z, value

    def smooth_value_and_gradient(self, theta):
        """``F_smooth(theta) - F_smooth(theta0)`` and the gradient of ``F_smooth`` at theta."""
        C, Z, value = self._difference(theta)
        self._remember(theta, Z)
        dZ = self.loss.loss_gradient(self.Y, Z)[1]
        grad = np.asarray(self.design.transpose_product(self._weighted(dZ)), dtype=np.float64)
        grad *= self.scale
        grad[: self.design.n_features] += self.penalty.l2 * self._weights_rows(C)
        return value, grad.ravel()

    def smooth_value(self, theta):
        """``F_smooth(theta) - F_smooth(theta0)``."""
        return self._difference(theta)[2]

    def nonsmooth_value(self, theta):
        """``l1 (|w|_1 - |w0|_1)``, summed term by term."""
        if self.penalty.is_smooth:
            return 0.0
        W = self._weights_rows(self.coef_matrix(theta))
        W0 = self._weights_rows(self._C0)
        return self.penalty.l1 * float(np.sum(np.abs(W) - np.abs(W0)))
