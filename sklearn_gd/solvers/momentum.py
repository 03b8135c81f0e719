r"""Heavy-ball momentum and Nesterov's accelerated gradient, proximal form.

With momentum :math:`\beta`, step :math:`\eta` and :math:`g_t = \nabla f(\theta_t)`:

.. math::

    \theta_{t+1} = \mathrm{prox}_{\eta P_1}\big(\theta_t - \eta g_t
                   + \beta (\theta_t - \theta_{t-1})\big)              \quad\text{(heavy ball)}

    \theta_{t+1} = \mathrm{prox}_{\eta P_1}\big(\theta_t - \eta g_t
                   + \beta (\theta_t - \theta_{t-1})
                   - \beta \eta (g_t - g_{t-1})\big)                     \quad\text{(Nesterov)}

Without an L1 part these are exactly PyTorch's ``SGD(momentum, nesterov)``
updates (``v = beta * v + g``; ``theta -= lr * v`` or ``lr * (g + beta * v)``),
written on the iterates instead of a velocity so that the proximal step keeps
the right fixed point: the momentum term vanishes at a fixed point, which is
then the lasso / elastic-net optimum (the heavy-ball form is Ochs et al.'s
iPiano). Full batch by default (``batch_size="auto"``); an integer
``batch_size`` gives mini-batch momentum. ``learning_rate="auto"`` is ``1 / L``.
"""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._first_order import FirstOrderSolver


class Momentum(FirstOrderSolver):
    """Gradient descent with heavy-ball or Nesterov momentum (``solver="momentum"``).

    Parameters
    ----------
    momentum : float in [0, 1), default=0.9
        The factor :math:`\\beta` applied to the previous velocity.
    nesterov : bool, default=False
        Use Nesterov's accelerated gradient instead of the heavy ball.
    """

    name = "momentum"
    supports_partial_fit = True
    _parameter_constraints = {
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterov": ["boolean"],
    }

    def __init__(self, momentum=0.9, nesterov=False):
        self.momentum = momentum
        self.nesterov = nesterov

    def init_state(self, theta):
        # (previous iterate, previous gradient): no displacement yet, and a zero
        # previous gradient, which gives PyTorch's first Nesterov step lr (1 + beta) g.
        return (theta.copy(), np.zeros_like(theta))

    def update(self, grad, state, theta, learning_rate, objective):
        previous, previous_grad = state
        step = learning_rate * grad - self.momentum * (theta - previous)
        if self.nesterov:
            step += self.momentum * learning_rate * (grad - previous_grad)
        return step, learning_rate, (theta.copy(), grad)

    def kernel_rule(self):
        return {"method": "momentum", "beta_1": self.momentum, "nesterov": bool(self.nesterov)}

    def _default_schedule(self, full_batch):
        # Mini-batch gradients are noisy: the step must decay to converge.
        return self.default_schedule if full_batch else "adaptive"

    def _auto_step_factor(self, full_batch):
        # Momentum amplifies a step by 1 / (1 - beta); with noisy mini-batch
        # gradients that amplification must be paid for in the step size.
        return 1.0 if full_batch else 1.0 - self.momentum
