r"""Adam and AdamW: adaptive moment estimation, with bias correction.

With gradient :math:`g_t` (of the data term and of the penalty for Adam; of the
data term and L1 only for AdamW) and :math:`t` counting steps from 1:

.. math::

    m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
    v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,

    \hat m_t = m_t / (1 - \beta_1^t), \qquad \hat v_t = v_t / (1 - \beta_2^t),

    \theta_t = \theta_{t-1} - \eta \big( \hat m_t / (\sqrt{\hat v_t} + \epsilon)
               + \lambda \theta_{t-1} \big)

where :math:`\lambda = 0` for Adam and :math:`\lambda = \alpha (1 - \rho)`, the
L2 strength, for AdamW (Loshchilov & Hutter's decoupled weight decay; the
intercept is not decayed). Because AdamW takes the L2 part out of the adaptive
step, for ``alpha > 0`` it does **not** minimise the objective of the other
solvers: the decay acts with the same strength whatever the scale of the
gradient. With ``alpha = 0`` AdamW is Adam.
"""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._first_order import FirstOrderSolver


class Adam(FirstOrderSolver):
    """Adam with bias-corrected moments (``solver="adam"``).

    Mini-batches of ``min(200, n_samples)`` by default; ``learning_rate="auto"``
    is 0.01, divided by 5 when the objective stops improving (the default
    ``"adaptive"`` schedule).

    Parameters
    ----------
    beta_1 : float in [0, 1), default=0.9
        Decay rate of the first-moment (mean) estimate.
    beta_2 : float in [0, 1), default=0.999
        Decay rate of the second-moment (uncentred variance) estimate.
    epsilon : float > 0, default=1e-8
        Added to the square root of the second moment for stability.
    """

    name = "adam"
    stochastic = True
    supports_partial_fit = True
    full_batch_default = False
    default_schedule = "adaptive"
    auto_learning_rate = 0.01
    auto_batch_scaling = True
    _decoupled_decay = False
    _parameter_constraints = {
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def minimizes(self, objective):
        # AdamW's decoupled decay settles elsewhere when there is an L2 part.
        return not (self._decoupled_decay and objective.penalty.l2 > 0)

    def init_state(self, theta):
        return (0, np.zeros_like(theta), np.zeros_like(theta))

    def update(self, grad, state, theta, learning_rate, objective):
        t, m, v = state
        decay = 0.0
        if self._decoupled_decay:
            decay = objective.l2_gradient(theta)
            grad = grad - decay
        t += 1
        m = self.beta_1 * m + (1.0 - self.beta_1) * grad
        v = self.beta_2 * v + (1.0 - self.beta_2) * grad * grad
        m_hat = m / (1.0 - self.beta_1**t)
        v_hat = v / (1.0 - self.beta_2**t)
        scale = 1.0 / (np.sqrt(v_hat) + self.epsilon)
        step = learning_rate * (m_hat * scale + decay)
        return step, learning_rate * scale, (t, m, v)

    def kernel_rule(self):
        if self._decoupled_decay:  # AdamW: the kernel has no decoupled decay
            return None
        return {
            "method": "adam",
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay (``solver="adamw"``).

    The L2 part of the penalty, ``alpha * (1 - l1_ratio)``, is applied as weight
    decay ``theta -= learning_rate * alpha * (1 - l1_ratio) * w`` next to the
    adaptive step instead of through the gradient. For ``alpha > 0`` its
    solution is therefore deliberately not the minimiser of the objective the
    other solvers minimise; at ``alpha = 0`` it is Adam.

    Parameters
    ----------
    beta_1 : float in [0, 1), default=0.9
        Decay rate of the first-moment (mean) estimate.
    beta_2 : float in [0, 1), default=0.999
        Decay rate of the second-moment (uncentred variance) estimate.
    epsilon : float > 0, default=1e-8
        Added to the square root of the second moment for stability.
    """

    name = "adamw"
    _decoupled_decay = True

    def _learning_rate(self, learning_rate, objective, batch_size, rng, theta, full_batch=None):
        """Adam's rate, capped at ``1 / (alpha * (1 - l1_ratio))`` when ``"auto"``.

        The decay step multiplies the weights by ``1 - eta * alpha * (1 - l1_ratio)``;
        past ``eta = 1 / (alpha * (1 - l1_ratio))`` it flips their sign and grows
        them (strong penalties diverged at Adam's rate of 0.01 from ``alpha = 200``).
        """
        rate = super()._learning_rate(
            learning_rate, objective, batch_size, rng, theta, full_batch
        )
        l2 = objective.penalty.l2
        if learning_rate == "auto" and l2 > 0:
            rate = min(rate, 1.0 / l2)
        return rate
