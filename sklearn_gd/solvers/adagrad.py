r"""AdaGrad and RMSProp: per-coordinate steps scaled by past squared gradients.

With gradient :math:`g_t` (data term and L2 part), step :math:`\eta` and
:math:`\odot` the elementwise product:

.. math::

    \text{AdaGrad:}\quad s_t = s_{t-1} + g_t \odot g_t, \qquad
    \text{RMSProp:}\quad s_t = \rho\, s_{t-1} + (1 - \rho)\, g_t \odot g_t,

    \theta_{t+1} = \mathrm{prox}_{D_t P_1}\big(\theta_t - D_t g_t\big), \qquad
    D_t = \eta / (\sqrt{s_t} + \epsilon) \ \text{(per coordinate)},

with :math:`\epsilon` outside the root and no bias correction. Both start at
:math:`s_0 = 0`, as the survey's formula, PyTorch and Keras do: AdaGrad's first
step moves each coordinate by :math:`\eta`, as Adam's does, and RMSProp's
first steps by :math:`\eta / \sqrt{1 - \rho^t}` (3.2, 2.3, 1.9 times
:math:`\eta` at ``rho=0.9``), the long first steps of an average that has
not yet filled. The L1 part :math:`P_1` is taken by soft-thresholding with the
per-coordinate threshold :math:`D_t \alpha\rho`.

AdaGrad's sum only grows, so each coordinate's step :math:`\eta/\sqrt{s_t}`
only shrinks: with gradients of similar size it falls like :math:`1/\sqrt t`,
the decay a stochastic gradient needs to settle, without a schedule. A
coordinate whose gradients are rare or small (a sparse feature) keeps a larger
step. The price: a rate that shrinks whatever happens, so a long noisy start
leaves it small for good. RMSProp replaces the sum by an exponential moving
average over about :math:`1/(1-\rho)` steps, so its scale follows the recent
gradients and its rate does **not** shrink by itself; with mini-batches it
needs a decaying schedule (the default ``"adaptive"``) to converge.
"""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._first_order import FirstOrderSolver


class AdaGrad(FirstOrderSolver):
    """AdaGrad (``solver="adagrad"``): steps scaled by the root of the summed squared gradients.

    ``s_t = s_{t-1} + g_t * g_t`` and ``theta -= eta * g_t / (sqrt(s_t) + epsilon)``
    elementwise (Duchi, Hazan & Singer, 2011). Mini-batches of
    ``min(200, n_samples)`` by default. The effective step shrinks by itself,
    but only like ``1 / sqrt(t)``, too slowly to quench mini-batch noise at a
    large rate, so the default schedule is ``"adaptive"`` as for Adam (divided
    by 5 when the objective stalls). ``learning_rate="auto"`` is half the
    distance estimate ``D`` at the start (the largest coordinate-wise Newton
    step, capped against overshooting; see
    :func:`~sklearn_gd.solvers._first_order.coordinate_distance`), without
    Adam's floor of 1: the first step moves every coordinate by
    ``eta`` and the steps after it add up to at most about ``eta sqrt(t)``, so
    the rate has to be of the size of the distance. Duchi et al.'s regret
    bound is least at ``eta = D_inf / sqrt(2)``, ``D_inf`` the largest
    coordinate distance over the run.

    Parameters
    ----------
    epsilon : float > 0, default=1e-8
        Added to ``sqrt(s_t)``: it only guards coordinates whose gradient has
        been zero so far (e.g. a constant column); it is negligible next to the
        gradient of any coordinate that is learning. The same value as Adam's.
    """

    name = "adagrad"
    stochastic = True
    supports_partial_fit = True
    full_batch_default = False
    default_schedule = "adaptive"
    auto_learning_rate = 0.5
    auto_min_distance = 0.0
    _parameter_constraints = {"epsilon": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, epsilon=1e-8):
        self.epsilon = epsilon

    def init_state(self, theta):
        return np.zeros_like(theta)

    def _accumulate(self, s, grad):
        return s + grad * grad

    def kernel_rule(self):
        # the compiled epoch's s = beta_2 * s + beta_1 * g * g
        return {"method": "adagrad", "beta_1": 1.0, "beta_2": 1.0, "epsilon": self.epsilon}

    def update(self, grad, state, theta, learning_rate, objective):
        s = self._accumulate(state, grad)
        prox_step = learning_rate / (np.sqrt(s) + self.epsilon)
        return prox_step * grad, prox_step, s


class RMSProp(AdaGrad):
    """RMSProp (``solver="rmsprop"``): steps scaled by a moving average of squared gradients.

    ``s_t = rho * s_{t-1} + (1 - rho) * g_t * g_t`` and
    ``theta -= eta * g_t / (sqrt(s_t) + epsilon)`` elementwise (Tieleman &
    Hinton's form, no bias correction, ``epsilon`` outside the root), with the
    average started at zero (``s_0 = 0``, as PyTorch and Keras start it), so
    its first steps are ``1 / sqrt(1 - rho^t)`` times ``eta``. Mini-batches of
    ``min(200, n_samples)`` by default; the rate
    does not shrink by itself, so the default schedule is ``"adaptive"``
    (divided by 5 when the objective stalls). ``learning_rate="auto"`` is 0.005
    (times the distance estimate, as for Adam):
    without momentum to average them out, its steps stay about ``eta`` per
    coordinate even where the gradient's sign oscillates, so it needs a
    smaller rate than Adam's 0.01.

    Parameters
    ----------
    rho : float in [0, 1), default=0.9
        Decay rate of the moving average of squared gradients: it averages
        over about ``1 / (1 - rho)`` steps (Tieleman & Hinton's and Keras's
        default; PyTorch's is 0.99). At a constant rate the step
        ``eta / sqrt(s_t)`` grows as the gradient shrinks, so a run that goes
        on near the optimum without a smaller rate keeps moving every
        coordinate by about ``eta``; a longer memory delays that but also
        slows the run down (0.99 took about twice the epochs to the same
        objective in our tests).
    epsilon : float > 0, default=1e-8
        Added to ``sqrt(s_t)`` for stability.
    """

    name = "rmsprop"
    auto_learning_rate = 0.005
    auto_min_distance = 1.0
    auto_batch_scaling = True
    _parameter_constraints = {
        "rho": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, rho=0.9, epsilon=1e-8):
        self.rho = rho
        self.epsilon = epsilon

    def kernel_rule(self):
        return {
            "method": "adagrad",
            "beta_1": 1.0 - self.rho,
            "beta_2": self.rho,
            "epsilon": self.epsilon,
        }

    def _accumulate(self, s, grad):
        return self.rho * s + (1.0 - self.rho) * grad * grad
