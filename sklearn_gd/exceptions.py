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
