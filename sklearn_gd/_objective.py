r"""Objective layer: data + loss + targets + sample weights + penalty.

The objective every estimator minimises (``DESIGN.md`` section 1):

.. math::

    F(W, b) = \frac{1}{S} \sum_{i=1}^n s_i \, \ell(y_i, x_i W + b) + P(W),
    \qquad S = \sum_i s_i .

Solvers see only this layer. They work on a flat float64 vector ``theta``, the
coefficient matrix ``C`` of shape ``(n_dof, n_outputs)`` raveled in C order; the
last row of ``C`` is the intercept when there is one, and it is never penalised.
"""

import numpy as np


class Objective:
    """The regularised empirical risk of a linear model.

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
    """

    def __init__(self, design, loss, Y, sample_weight, penalty, scale=None):
        self.design = design
        self.loss = loss
        self.Y = np.asarray(Y, dtype=design.dtype)
        self.sample_weight = np.asarray(sample_weight, dtype=np.float64)
        self._weight = self.sample_weight.astype(design.dtype)
        self.penalty = penalty
        self.scale = 1.0 / self.sample_weight.sum() if scale is None else scale
        self.shape = (design.n_dof, self.Y.shape[1])
        self.n_coef = self.shape[0] * self.shape[1]
        self.n_samples = design.n_samples

    # ------------------------------------------------------------------ helpers
    def _weights_rows(self, C):
        return C[: self.design.n_features]

    def coef_matrix(self, theta):
        """``theta`` as the coefficient matrix of shape (n_dof, n_outputs)."""
        return np.reshape(theta, self.shape)

    @property
    def is_smooth(self):
        """Whether the objective is differentiable (the penalty has no L1 part)."""
        return self.penalty.is_smooth

    # ------------------------------------------------------------------ values
    def smooth_value_and_gradient(self, theta):
        """Value and gradient of the smooth part (data term + L2), fused.

        One pass over ``X`` for the predictor and one for the gradient.
        """
        C = self.coef_matrix(theta)
        Z = self.design.linear_predictor(C)
        losses, dZ = self.loss.loss_gradient(self.Y, Z)
        value = self.scale * float(np.dot(self.sample_weight, losses))
        grad = self.design.transpose_product(self._weight[:, None] * dZ)
        grad = np.asarray(grad, dtype=np.float64) * self.scale
        penalty_value, penalty_grad = self.penalty.smooth_value_and_gradient(self._weights_rows(C))
        grad[: self.design.n_features] += penalty_grad
        return value + penalty_value, grad.ravel()

    def smooth_value(self, theta):
        """Value of the smooth part (data term + L2)."""
        C = self.coef_matrix(theta)
        Z = self.design.linear_predictor(C)
        value = self.scale * float(np.dot(self.sample_weight, self.loss.loss(self.Y, Z)))
        return value + self.penalty.smooth_value_and_gradient(self._weights_rows(C))[0]

    def nonsmooth_value(self, theta):
        """Value of the L1 part of the penalty (0 when there is none)."""
        return self.penalty.nonsmooth_value(self._weights_rows(self.coef_matrix(theta)))

    def value(self, theta):
        """The full objective ``F(theta)``."""
        return self.smooth_value(theta) + self.nonsmooth_value(theta)

    def prox(self, theta, step):
        """Proximal operator of ``step`` times the L1 part (intercept untouched)."""
        if self.penalty.is_smooth:
            return theta
        C = np.array(self.coef_matrix(theta), dtype=np.float64)
        d = self.design.n_features
        step = np.reshape(step, self.shape)[:d] if np.ndim(step) else step
        C[:d] = self.penalty.prox(C[:d], step)
        return C.ravel()

    # ------------------------------------------------------------ curvature
    def hessian_operator(self, theta):
        """A function ``v -> H(theta) v`` for the smooth part (two passes over X each).

        The loss curvature at ``theta`` is computed once, so each product costs
        one ``X @ V`` and one ``X.T @ R``.
        """
        Z = self.design.linear_predictor(self.coef_matrix(theta))
        loss_hessian = self.loss.hessian_operator(self.Y, Z)
        d = self.design.n_features

        def apply(v):
            V = self.coef_matrix(v)
            HdZ = loss_hessian(self.design.linear_predictor(V))
            out = self.design.transpose_product(self._weight[:, None] * HdZ)
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
        C = self.coef_matrix(theta)
        Z = self.design.linear_predictor(C)
        n_dof, k = self.shape
        H = np.zeros((n_dof, k, n_dof, k))
        for (a, b), h in self.loss.hessian_blocks(self.Y, Z).items():
            block = self.scale * self.design.weighted_gram(self.sample_weight * h)
            H[:, a, :, b] = block
            if a != b:
                H[:, b, :, a] = block
        H = H.reshape(self.n_coef, self.n_coef)
        n_weights = self.design.n_features * k
        H[np.arange(n_weights), np.arange(n_weights)] += self.penalty.l2
        return H

    def lipschitz(self):
        """Upper estimate of the Lipschitz constant of the smooth gradient.

        ``curvature_bound(loss) * lambda_max(X1' diag(s) X1) / S + l2``, with the
        eigenvalue from a few power iterations on the data (no decomposition).
        """
        eig = self.design.largest_eigenvalue(self.sample_weight)
        return self.loss.curvature_bound * self.scale * eig + self.penalty.l2

    # ----------------------------------------------------------- mini-batches
    def batch(self, index):
        """The objective on the rows ``index``, scaled to estimate the full one.

        Its gradient is an unbiased estimate of the full gradient when ``index``
        is drawn uniformly: the weighted sum over the batch is scaled by
        ``n / (|B| S)`` instead of ``1 / S``.
        """
        index = np.asarray(index)
        if index.shape[0] == self.n_samples:
            return self
        scale = self.scale * self.n_samples / index.shape[0]
        return Objective(
            self.design.rows(index),
            self.loss,
            self.Y[index],
            self.sample_weight[index],
            self.penalty,
            scale=scale,
        )
