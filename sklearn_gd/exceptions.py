"""Exceptions raised by sklearn-gd (warnings are scikit-learn's ``ConvergenceWarning``)."""


class DivergenceError(ValueError):
    """A fit stopped because its objective became non-finite or exploded.

    Raised by the first-order solvers when the learning rate is too large; the
    message names the learning rate used and suggests a smaller one. It is a
    ``ValueError`` because the cause is a parameter value.
    """
