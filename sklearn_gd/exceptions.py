"""Exceptions raised by sklearn-gd (warnings are scikit-learn's ``ConvergenceWarning``)."""


class DivergenceError(ValueError):
    """A fit stopped because its objective became non-finite or exploded.

    Raised by the first-order solvers when the learning rate is too large; the
    message names the learning rate used and suggests a smaller one. It is a
    ``ValueError`` because the cause is a parameter value.

    Parameters
    ----------
    message : str
        What diverged, where, and the learning rate to try instead.
    history : dict of lists, default=None
        The run's history up to the divergence.
    learning_rate : float, default=None
        The learning rate in use when the run diverged.

    Attributes
    ----------
    history : dict of lists or None
        The run's history up to the divergence (``"objective"``,
        ``"optimality"``, ``"learning_rate"``, ``"time"``), e.g. to plot it.
    learning_rate : float or None
        The learning rate in use when the run diverged.
    """

    def __init__(self, message, *, history=None, learning_rate=None):
        super().__init__(message)
        self.history = history
        self.learning_rate = learning_rate


class NoCurvatureBoundError(ValueError):
    r"""The loss has no global curvature bound, and the solver asked for one.

    A Lipschitz constant of the objective, :math:`L = c\,\lambda_{\max}(X_1^\top
    S X_1) / \sum_i s_i`, needs a bound :math:`c` of the loss's curvature in the
    linear predictor over every point (1 for least squares, 1/4 for the
    logistic loss); a loss such as Poisson's (curvature :math:`e^z`) has none.
    The solvers whose ``needs_curvature_bound`` is set take their step sizes
    or stopping measures from such a constant; the message names the solvers
    that do not. It is a ``ValueError``: the cause is the pairing of a loss
    and a solver. Its message says what asked for the bound and which solvers
    do without it.
    """
