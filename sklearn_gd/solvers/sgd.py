r"""Mini-batch stochastic (proximal) gradient descent.

Each epoch visits the samples in a new random order, in mini-batches of
``batch_size`` (``"auto"``: ``min(200, n_samples)``), and takes the step

.. math:: \theta \leftarrow \mathrm{prox}_{\eta_t P_1}\big(\theta - \eta_t \, g_B(\theta)\big)

with :math:`g_B` the batch gradient scaled to be an unbiased estimate of the
full one. The step starts at ``1 / L_B`` (the steepest of a few random batches)
and, with the default ``"adaptive"`` schedule, is divided by 5 whenever the
objective stops improving by ``tol`` for ``n_iter_no_change`` epochs, which
makes it converge. Any schedule of :mod:`sklearn_gd.schedules` can replace it.
"""

from ._first_order import FirstOrderSolver


class SGD(FirstOrderSolver):
    """Mini-batch stochastic gradient descent (``solver="sgd"``).

    Hyperparameters shared by every solver (``learning_rate``, ``batch_size``,
    ``max_iter`` in epochs, ``tol``, ``random_state``) are set on the estimator.
    """

    name = "sgd"
    stochastic = True
    supports_partial_fit = True
    full_batch_default = False
    default_schedule = "adaptive"

    def update(self, grad, state, theta, learning_rate, objective):
        return learning_rate * grad, learning_rate, state

    def kernel_rule(self):
        return {"method": "sgd"}
