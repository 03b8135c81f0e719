r"""Full-batch (proximal) gradient descent.

.. math:: \theta_{t+1} = \mathrm{prox}_{\eta P_1}\big(\theta_t - \eta \nabla f(\theta_t)\big)

With ``learning_rate="auto"`` the step is :math:`\eta = 1/L`, ``L`` the
Lipschitz constant of the smooth gradient estimated by power iteration, so the
default never diverges. The proximal operator is the identity without an L1 part.
"""

from ._first_order import FirstOrderSolver


class GradientDescent(FirstOrderSolver):
    """Full-batch gradient descent with a constant step (``solver="gd"``).

    It has no hyperparameters of its own: the step is the estimator's
    ``learning_rate`` (``"auto"``: ``1 / L``) and it ignores ``batch_size``.
    It stops when the largest entry of the gradient (mapping) is at most ``tol``.
    """

    name = "gd"
    uses_batch_size = False

    def update(self, grad, state, theta, learning_rate, objective):
        return learning_rate * grad, learning_rate, state
