r"""Penalty layer: the elastic-net penalty on the weights (never the intercept).

.. math::

    P(w) = \alpha \left( \rho \lVert w \rVert_1
           + \frac{1 - \rho}{2} \lVert w \rVert_2^2 \right)

with :math:`\alpha` = ``alpha`` and :math:`\rho` = ``l1_ratio``. The L2 part is
smooth and enters the gradient; the L1 part is handled by its proximal operator,
soft-thresholding. An optional constraint ``w in C``
(:mod:`sklearn_gd.constraints`) is part of the non-smooth term as the indicator
function of ``C``: the proximal operator then also projects onto ``C``.
"""

import numpy as np


class ElasticNetPenalty:
    """Elastic-net penalty ``alpha * (l1_ratio * |W|_1 + (1 - l1_ratio) / 2 * |W|^2)``.

    Parameters
    ----------
    alpha : float >= 0
        Overall strength.
    l1_ratio : float in [0, 1]
        Share of the L1 part.
    constraint : Constraint or None, default=None
        A convex set the weights must lie in (its indicator function joins the
        non-smooth part); None for none.
    """

    def __init__(self, alpha, l1_ratio, constraint=None):
        self.alpha = float(alpha)
        self.l1_ratio = float(l1_ratio)
        self.constraint = constraint
        #: Strength of the L1 part, ``alpha * l1_ratio``.
        self.l1 = self.alpha * self.l1_ratio
        #: Strength of the L2 part, ``alpha * (1 - l1_ratio)``.
        self.l2 = self.alpha * (1.0 - self.l1_ratio)

    @property
    def is_smooth(self):
        """Whether the penalty is differentiable everywhere (no L1 part, no constraint)."""
        return self.l1 == 0.0 and self.constraint is None

    def smooth_value_and_gradient(self, W):
        """Value and gradient of the L2 part, ``l2 / 2 * |W|^2``."""
        return 0.5 * self.l2 * float(np.vdot(W, W)), self.l2 * W

    def nonsmooth_value(self, W):
        """Value of the L1 part, ``l1 * |W|_1``.

        The constraint's indicator adds 0: every iterate a solver returns has
        been through :meth:`prox`, so it is feasible, and a finite value at an
        infeasible starting point (zero coefficients and :class:`Simplex`)
        keeps the solvers' divergence checks meaningful.
        """
        return self.l1 * float(np.abs(W).sum()) if self.l1 else 0.0

    def value(self, W):
        """Value of the whole penalty."""
        return self.smooth_value_and_gradient(W)[0] + self.nonsmooth_value(W)

    def prox(self, W, step):
        r"""Proximal operator of ``step`` times the L1 part: soft-thresholding.

        :math:`\mathrm{prox}(w)_j = \mathrm{sign}(w_j) \max(|w_j| - s\,\alpha\rho, 0)`.
        ``step`` is a scalar or an array broadcastable to ``W``. With a
        constraint, the proximal operator of ``step * l1 * |.|_1 + indicator``
        (the constraint's :meth:`~sklearn_gd.constraints.Constraint.prox_l1`).
        """
        if self.constraint is not None:
            return self.constraint.prox_l1(W, step * self.l1)
        if not self.l1:
            return W
        threshold = step * self.l1
        return np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0)
