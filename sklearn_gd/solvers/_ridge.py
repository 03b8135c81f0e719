r"""Exact ADMM x-updates for a quadratic smooth part: one decomposition for every penalty.

For the squared loss the smooth part of the objective is quadratic,

.. math::

    f(x) = f(0) + g_0^\top x + \tfrac12 x^\top H x, \qquad
    H = A^\top \Omega A + \ell_2 D \quad \text{(per output)},

with :math:`A = [X\ 1]`, :math:`\Omega = \mathrm{diag}(s_i) / S` (the sample
weights and the objective's scale), :math:`\ell_2` the L2 strength and
:math:`D` the identity on the weights, zero on the unpenalised intercept. The
x-update of ADMM, :math:`\arg\min_x f(x) + \frac{\rho}{2}\lVert x - v\rVert^2`,
is the ridge solve

.. math:: (H + \rho I)\, x = \rho v - g_0 ,

once per iteration, for whatever :math:`\rho` the residual balancing picks.
Both solvers below decompose one matrix once, so that every solve is a few
products, and :func:`ridge_factor` picks the smaller matrix:

* :class:`CoefficientSide`, for ``n_samples >= n_coef``:
  :math:`H = Q \Lambda Q^\top` (``n_coef x n_coef``, from the Gram matrix),
  :math:`x = Q (\Lambda + \rho)^{-1} Q^\top (\rho v - g_0)`;
* :class:`RowSide`, for fewer samples than coefficients (wide data): with
  :math:`B = \Omega^{1/2} A` and :math:`\gamma = \rho + \ell_2`, the matrix
  :math:`N = B^\top B + \gamma I` is inverted by the matrix inversion lemma
  from the ``n_samples x n_samples`` matrix :math:`K = B B^\top = V \Sigma V^\top`,

  .. math:: N^{-1} r = \big(r - B^\top V (\Sigma + \gamma)^{-1} V^\top B r\big) / \gamma ,

  and, the intercept's diagonal entry being :math:`\rho`, not :math:`\gamma`,
  :math:`H + \rho I = N - \ell_2 e e^\top` (:math:`e` the intercept's unit
  vector) is a rank-one correction (Sherman-Morrison):

  .. math:: (H + \rho I)^{-1} r = N^{-1} r
     + \frac{\ell_2\, p\, (e^\top N^{-1} r)}{1 - \ell_2 e^\top p},
     \qquad p = N^{-1} e .

  Each solve costs two passes over ``X`` and two products with :math:`V`;
  the ``n_features x n_features`` Gram matrix is never formed.
"""

import numpy as np
import scipy.linalg


def ridge_factor(objective, max_size):
    """The decomposition that solves the x-updates of a quadratic ``objective``.

    Parameters
    ----------
    objective : Objective
        A quadratic objective (squared loss) held in this process.
    max_size : int
        The largest matrix side decomposed.

    Returns
    -------
    CoefficientSide or RowSide or None
        :class:`RowSide` when there are fewer samples than coefficients,
        :class:`CoefficientSide` otherwise; None when the matrix it would
        decompose has more than ``max_size`` rows.
    """
    if objective.n_samples < objective.n_coef:
        return RowSide(objective) if objective.n_samples <= max_size else None
    return CoefficientSide(objective) if objective.n_coef <= max_size else None


def _in_range(eigenvalues):
    """Eigenvalues above the rounding of the largest: the directions of the matrix's range."""
    largest = float(np.max(eigenvalues, initial=0.0))
    return eigenvalues > eigenvalues.size * np.finfo(np.float64).eps * largest


def _gradient_at_zero(objective):
    r""":math:`g_0 = \nabla f(0)`, flat."""
    return objective.smooth_value_and_gradient(np.zeros(objective.n_coef))[1]


class CoefficientSide:
    r"""The x-update from :math:`H = Q \Lambda Q^\top`, the Hessian diagonalised once.

    Parameters
    ----------
    objective : Objective
        A quadratic objective; its dense Hessian (from the Gram matrix) is
        formed and diagonalised here.
    """

    def __init__(self, objective):
        H = objective.hessian(np.zeros(objective.n_coef))
        eigenvalues, self.Q = scipy.linalg.eigh(H, check_finite=False)
        self.eigenvalues = np.maximum(eigenvalues, 0.0)
        # g0 lies in the range of H: its components along the null space are
        # rounding, which 1 / rho would amplify as rho falls.
        projected = self.Q.T @ _gradient_at_zero(objective)
        self.projected_grad0 = np.where(_in_range(self.eigenvalues), projected, 0.0)

    def solve(self, objective, v, rho):
        r""":math:`(H + \rho I)^{-1} (\rho v - g_0)`, flat (``objective`` is not read)."""
        Q = self.Q
        return Q @ ((rho * (Q.T @ v) - self.projected_grad0) / (self.eigenvalues + rho))


class RowSide:
    r"""The x-update by the matrix inversion lemma on :math:`K = B B^\top` (wide data).

    Holds :math:`K`'s eigendecomposition, :math:`\Omega^{1/2}` and
    :math:`g_0`, not ``X``: :meth:`solve` takes its passes over ``X`` from
    the objective it is given (always in float64).

    Parameters
    ----------
    objective : Objective
        A quadratic objective with ``n_samples`` at most a few thousand.
    """

    def __init__(self, objective):
        design = objective.design.in_float64()
        self.root = np.sqrt(objective.scale * np.asarray(objective.sample_weight, np.float64))
        K = self.root[:, None] * design.row_gram() * self.root[None, :]
        sigma, self.V = scipy.linalg.eigh(K, check_finite=False)
        self.sigma = np.maximum(sigma, 0.0)
        self.l2 = float(objective.penalty.l2)
        # g0 = B'c, c = Omega^(1/2) dloss/dz at z = 0, so N^-1 g0 = B'(K + gamma)^-1 c
        # by the push-through identity: no division by gamma, whose cancellation
        # (g0 over rho) amplified rounding without bound as rho fell.
        Y = np.asarray(objective.Y, dtype=np.float64)
        c = self.root[:, None] * np.asarray(objective.loss.loss_gradient(Y, 0.0 * Y)[1])
        self.dual_grad0 = np.where(_in_range(self.sigma)[:, None], self.V.T @ c, 0.0)
        self._correction = (None, None, None)  # (rho, p, 1 - l2 e'p) of the last rho

    def _inverse(self, design, R, gamma):
        r""":math:`N^{-1} R` for ``R`` of shape (n_dof, n_outputs): two passes over ``X``."""
        BR = self.root[:, None] * design.linear_predictor(R)
        T = self.V @ ((self.V.T @ BR) / (self.sigma + gamma)[:, None])
        return (R - design.transpose_product(self.root[:, None] * T)) / gamma

    def _intercept_correction(self, design, rho):
        r"""``(p, 1 - l2 e'p)`` with :math:`p = N^{-1} e`, kept for the last ``rho``."""
        if self._correction[0] != rho:
            gamma = rho + self.l2
            e = np.zeros((design.n_dof, 1))
            e[-1] = 1.0
            p = self._inverse(design, e, gamma)[:, 0]  # B e is Omega^(1/2) 1: X is not read
            # 1 - l2 e'p = (rho + l2 root'(K + gamma)^-1 root) / gamma, no cancellation.
            projected = self.V.T @ self.root
            quadratic = float(np.sum(projected**2 / (self.sigma + gamma)))
            self._correction = (rho, p, (rho + self.l2 * quadratic) / gamma)
        return self._correction[1:]

    def solve(self, objective, v, rho):
        r""":math:`(H + \rho I)^{-1} (\rho v - g_0)`, flat, from two passes over ``X``."""
        design = objective.design.in_float64()
        gamma = rho + self.l2
        # N^-1 (rho v - g0) = rho / gamma (v - B'V (Sigma + gamma)^-1 V'B v)
        #                     - B'V (Sigma + gamma)^-1 V'c
        V_ = objective.coef_matrix(v)
        BV = self.root[:, None] * design.linear_predictor(V_)
        dual = (rho / gamma * (self.V.T @ BV) + self.dual_grad0) / (self.sigma + gamma)[:, None]
        out = rho / gamma * V_ - design.transpose_product(self.root[:, None] * (self.V @ dual))
        if design.fit_intercept and self.l2 > 0:
            p, denominator = self._intercept_correction(design, rho)
            out += np.outer(p, out[-1]) * (self.l2 / denominator)
        return out.ravel()
