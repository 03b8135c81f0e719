"""Estimator layer: what watches a run from outside the solver.

The solvers call ``callback(theta) -> stop`` after every iteration or epoch
(those with ``reports_iterates``). The estimator builds that callback from

* :class:`ValidationMonitor`, early stopping on a held-out validation score;
* :class:`CallbackBridge`, scikit-learn's callback API (``sklearn.callback``,
  scikit-learn >= 1.9): one fit task per estimator fit, one subtask per
  iteration or epoch.

With an older scikit-learn, :class:`CallbackSupportMixin` is an empty class and
the estimators fit without callbacks.
"""

import copy

import numpy as np
from sklearn.model_selection import train_test_split

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover - older scikit-learn

    class CallbackSupportMixin:
        """Stand-in for scikit-learn's mixin when it has no callback API."""


def validation_split(X, y, Y, sample_weight, *, fraction, stratify, random_state):
    """Split the data into a training part and a validation part.

    Stratified on ``y`` for classifiers; reproducible with ``random_state``.
    Returns ``(X, y, Y, sample_weight)`` for training, then for validation.
    """
    n_samples = X.shape[0]
    n_val = int(np.ceil(fraction * n_samples))
    if n_val < 2 or n_samples - n_val < 2:
        raise ValueError(
            f"early_stopping with validation_fraction={fraction:g} leaves too few "
            f"samples: {n_samples} samples in all give {n_val} for validation. "
            "Raise validation_fraction, give more data, or set early_stopping=False."
        )
    try:
        parts = train_test_split(
            X,
            y,
            Y,
            sample_weight,
            test_size=fraction,
            stratify=y if stratify else None,
            random_state=random_state,
        )
    except ValueError as exc:
        raise ValueError(
            f"early_stopping cannot make a stratified validation split of "
            f"validation_fraction={fraction:g}: {exc} Raise validation_fraction or "
            "set early_stopping=False."
        ) from exc
    return parts[0::2], parts[1::2]


class ValidationMonitor:
    """Early stopping: score each iterate on held-out data, keep the best one.

    Stops once the score has failed to beat the best by more than ``tol`` for
    ``n_iter_no_change`` iterations in a row (scikit-learn's rule).

    Parameters
    ----------
    scorer : callable
        ``scorer(theta) -> float``, higher is better.
    n_iter_no_change : int
        Patience.
    tol : float
        Required improvement.
    """

    def __init__(self, scorer, n_iter_no_change, tol):
        self.scorer = scorer
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.scores = []
        self.best_score = -np.inf
        self.best_theta = None
        self._stalled = 0

    def __call__(self, theta):
        score = float(self.scorer(theta))
        self.scores.append(score)
        return self.observe(score, theta)

    def progress(self):
        """The ``verbose`` column: iterations without improvement so far, of the patience."""
        return [("no improvement", f"{self._stalled}/{self.n_iter_no_change}")]

    @property
    def stopped(self):
        """Whether the rule has asked the run to stop."""
        return self._stalled >= self.n_iter_no_change

    def observe(self, score, theta):
        """The stopping rule on a ``score`` already computed for ``theta``."""
        self._stalled = self._stalled + 1 if score < self.best_score + self.tol else 0
        if score > self.best_score:
            self.best_score = score
            self.best_theta = np.array(theta, copy=True)
        return self._stalled >= self.n_iter_no_change


class ValidationRecorder:
    """Record, after each iteration or epoch, the data term and the score on validation data.

    Parameters
    ----------
    objective : Objective
        The objective of the validation data without penalty: its value is
        the data term ``(1 / S_val) sum_i s_i loss(y_i, z_i)``.
    scorer : callable
        ``scorer(theta) -> float``, the estimator's ``score`` on the validation data.
    """

    def __init__(self, objective, scorer):
        self.objective = objective
        self.scorer = scorer
        self.losses = []
        self.scores = []

    @property
    def last_score(self):
        return self.scores[-1]

    def progress(self):
        """The ``verbose`` columns: the data term and the score on the validation data."""
        return [
            ("val. loss", f"{self.losses[-1]:.6e}"),
            ("val. score", f"{self.scores[-1]:.4f}"),
        ]

    def __call__(self, theta):
        self.losses.append(float(self.objective.value(theta)))
        self.scores.append(float(self.scorer(theta)))
        return False


class CallbackBridge:
    """Forward a solver's iterations to scikit-learn's callback API.

    Follows scikit-learn's own bridge for L-BFGS in ``LogisticRegression``: the
    subtask of iteration ``k`` begins before it runs and ends when the solver
    reports it; the subtask begun after the last iteration is ended empty by
    :meth:`close`. A callback asking to stop ends the run.

    Parameters
    ----------
    estimator : estimator with ``CallbackSupportMixin``
        The estimator being fitted.
    max_iter : int
        Maximum iterations of the run (the fit task's subtasks are one more).
    X, y, sample_weight
        The training data handed to the callbacks.
    attributes : callable
        ``attributes(theta) -> dict`` of the fitted attributes (``coef_``,
        ``intercept_``) at ``theta``, to build the callbacks' fitted estimator.
    """

    def __init__(self, estimator, max_iter, X, y, sample_weight, attributes):
        self.estimator = estimator
        self.data = {
            "X": X,
            "y": y,
            "metadata": None if sample_weight is None else {"sample_weight": sample_weight},
        }
        self.attributes = attributes
        self.root = estimator._init_callback_context(max_subtasks=max_iter + 1)
        self.root.call_on_fit_task_begin(estimator=estimator, **self.data)
        self.task = self._begin()

    def _begin(self):
        task = self.root.subcontext(task_name="iteration")
        task.call_on_fit_task_begin(estimator=self.estimator, **self.data)
        return task

    def __call__(self, theta):
        stop = self.task.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=None if theta is None else lambda: self.attributes(theta),
            **self.data,
        )
        self.task = self._begin()
        return stop

    def close(self, attributes):
        """End the left-over iteration subtask and the fit task (``attributes``: final)."""
        self.task.call_on_fit_task_end(estimator=self.estimator)
        self.root.call_on_fit_task_end(
            estimator=self.estimator, reconstruction_attributes=attributes, **self.data
        )

    @classmethod
    def wanted(cls, estimator):
        """Whether ``estimator`` has scikit-learn callbacks to run."""
        return bool(getattr(estimator, "_skl_callbacks", None)) and hasattr(
            estimator, "_init_callback_context"
        )


class _Combined:
    """Several callbacks as one; its ``progress()`` joins theirs (see :func:`combine`)."""

    def __init__(self, callbacks):
        self.callbacks = callbacks

    def __call__(self, theta):
        stops = [bool(cb(theta)) for cb in self.callbacks]
        return any(stops)

    def progress(self):
        return [
            column
            for cb in self.callbacks
            if hasattr(cb, "progress")
            for column in cb.progress()
        ]


def combine(callbacks):
    """One ``callback(theta) -> stop`` calling each of ``callbacks`` (None if empty).

    Its ``progress()`` gives the ``verbose`` columns of those that have one
    (the validation score, early stopping's patience).
    """
    callbacks = [cb for cb in callbacks if cb is not None]
    return _Combined(callbacks) if callbacks else None


def run_summary(solver_name, unit, result, history, monitor, tol):
    """The closing line of a ``verbose`` fit: why it stopped, how long, where.

    Parameters
    ----------
    solver_name : str
        For the prefix, as the rows of the run.
    unit : str
        ``"iteration"`` or ``"epoch"``.
    result : SolverResult
        The run's result (message, convergence, optimality and its name).
    history : dict of ndarray
        The run's history.
    monitor : ValidationMonitor or None
        Early stopping, when it watched the run.
    tol : float or None
        The estimator's ``tol``.

    Returns
    -------
    str
    """
    n = len(history["objective"])
    if monitor is not None and monitor.stopped:
        best = int(np.argmax(monitor.scores))
        reason = (
            f"early stopping: the validation score did not improve by more than "
            f"tol={tol:g} for {monitor.n_iter_no_change} {unit}s; kept {unit} {best + 1} "
            f"(validation score {monitor.scores[best]:.4f})"
        )
    elif result.reason.converged:
        reason = f"converged: {result.message}"
    else:
        reason = f"did not converge ({result.message}): ConvergenceWarning"
    elapsed = history["time"][-1] if n else 0.0
    return (
        f"[{solver_name}] {reason}. {n} {unit}{'s' if n != 1 else ''} in {elapsed:.3f} s; "
        f"final objective {history['objective'][-1]:.8e}, "
        f"{result.optimality_name} = {result.optimality:.3e} (tol={tol})"
    )


def fitted_copy(estimator, attributes):
    """A shallow copy of ``estimator`` with the fitted ``attributes`` set, to score it."""
    new = copy.copy(estimator)
    for key, value in attributes.items():
        setattr(new, key, value)
    return new
