r"""Penalty layer: the elastic-net penalty on the weights (never the intercept).

.. math::

    P(w) = \alpha \left( \rho \lVert w \rVert_1
           + \frac{1 - \rho}{2} \lVert w \rVert_2^2 \right)

with :math:`\alpha` = ``alpha`` and :math:`\rho` = ``l1_ratio``. The L2 part is
smooth and enters the gradient; the L1 part is handled by its proximal operator,
soft-thresholding.
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
    """

    def __init__(self, alpha, l1_ratio):
        self.alpha = float(alpha)
        self.l1_ratio = float(l1_ratio)
        #: Strength of the L1 part, ``alpha * l1_ratio``.
        self.l1 = self.alpha * self.l1_ratio
        #: Strength of the L2 part, ``alpha * (1 - l1_ratio)``.
        self.l2 = self.alpha * (1.0 - self.l1_ratio)

    @property
    def is_smooth(self):
        """Whether the penalty is differentiable everywhere (no L1 part)."""
        return self.l1 == 0.0

    def smooth_value_and_gradient(self, W):
        """Value and gradient of the L2 part, ``l2 / 2 * |W|^2``."""
        return 0.5 * self.l2 * float(np.vdot(W, W)), self.l2 * W

    def nonsmooth_value(self, W):
        """Value of the L1 part, ``l1 * |W|_1``."""
        return self.l1 * float(np.abs(W).sum()) if self.l1 else 0.0

    def value(self, W):
        """Value of the whole penalty."""
        return self.smooth_value_and_gradient(W)[0] + self.nonsmooth_value(W)

    def prox(self, W, step):
        r"""Proximal operator of ``step`` times the L1 part: soft-thresholding.

        :math:`\mathrm{prox}(w)_j = \mathrm{sign}(w_j) \max(|w_j| - s\,\alpha\rho, 0)`.
        ``step`` is a scalar or an array broadcastable to ``W``.
        """
        if not self.l1:
            return W
        threshold = step * self.l1
        return np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0)
