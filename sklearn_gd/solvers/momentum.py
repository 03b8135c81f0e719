r"""Heavy-ball momentum and Nesterov's accelerated gradient.

With momentum :math:`\beta` and velocity :math:`v` (PyTorch's convention):

.. math::

    v_{t+1} = \beta v_t + g_t, \qquad
    \theta_{t+1} = \theta_t - \eta\, v_{t+1}                 \quad\text{(heavy ball)}

    \theta_{t+1} = \theta_t - \eta\, (g_t + \beta v_{t+1})     \quad\text{(Nesterov)}

Full batch by default (``batch_size="auto"``); an integer ``batch_size`` gives
mini-batch momentum. ``learning_rate="auto"`` is ``1 / L``.
"""

from numbers import Real

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
    _parameter_constraints = {
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterov": ["boolean"],
    }

    def __init__(self, momentum=0.9, nesterov=False):
        self.momentum = momentum
        self.nesterov = nesterov

    def init_state(self, theta):
        return 0.0 * theta

    def update(self, grad, velocity, theta, learning_rate, objective):
        velocity = self.momentum * velocity + grad
        direction = grad + self.momentum * velocity if self.nesterov else velocity
        return learning_rate * direction, learning_rate, velocity
