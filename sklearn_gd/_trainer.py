"""Estimator layer: run a solver on an objective and return what the run produced.

:func:`train` is the one place a solver is run: a whole fit (``minimize``) or one
epoch of ``partial_fit`` (``partial_minimize``, continuing the state of the
previous call). It knows the solver interface and the run settings, nothing of
scikit-learn's estimator API; the estimator turns the :class:`RunRecord` into its
fitted attributes and warnings.
"""

import inspect
from dataclasses import dataclass

import numpy as np

from .exceptions import NoCurvatureBoundError
from .solvers import solver_names


@dataclass
class RunSettings:
    """The estimator's parameters that a run reads (see the estimators' docs)."""

    max_iter: int
    tol: float
    learning_rate: object
    batch_size: object
    schedule: object
    n_iter_no_change: int
    random_state: object
    verbose: int
    average: object = False
    record_batches: bool = False


@dataclass
class RunRecord:
    """What a run produced.

    Attributes
    ----------
    coef : ndarray
        The flat coefficients to keep (the best validation iterate with early stopping).
    result : SolverResult
        The solver's result (iterations, convergence, message, state).
    history : dict of ndarray
        The run's history, ``"validation_score"`` included with early stopping.
    """

    coef: np.ndarray
    result: object
    history: dict


def settings_taken(method, settings):
    """The entries of ``settings`` that ``method`` takes, read from its signature.

    A solver's ``minimize`` names the run settings that apply to it and refuses
    any other with a TypeError; one that takes ``**settings`` gets them all.

    Parameters
    ----------
    method : callable
        A solver's ``minimize`` or ``partial_minimize``.
    settings : dict
        Every run setting, by keyword.

    Returns
    -------
    dict
        The settings ``method`` accepts.
    """
    parameters = inspect.signature(method).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(settings)
    return {name: value for name, value in settings.items() if name in parameters}


def train(solver, objective, theta0, settings, *, partial=False, state=None, monitor=None,
          recorder=None, callback=None):  # fmt: skip
    """Run ``solver`` on ``objective`` from ``theta0``.

    Parameters
    ----------
    solver : Solver
    objective : Objective
    theta0 : ndarray of shape (objective.n_coef,)
    settings : RunSettings
    partial : bool, default=False
        One epoch continuing ``state`` (``partial_fit``) instead of a whole run.
    state : object or None
        The state of the previous ``partial_fit`` call.
    monitor : ValidationMonitor or None
        Early stopping: its best iterate replaces the last one.
    recorder : ValidationRecorder or None
        Validation data term and score per iteration (``"validation_loss"``,
        ``"validation_score"`` in the history).
    callback : callable or None
        ``callback(theta) -> stop`` after each iteration or epoch (the monitor
        included).

    Returns
    -------
    RunRecord

    Raises
    ------
    NoCurvatureBoundError
        When the solver asked for a Lipschitz constant of an objective whose
        loss has no global curvature bound; the message names the solvers of
        the registry that never ask (``needs_curvature_bound`` unset).
    """
    common = dict(
        tol=settings.tol,
        learning_rate=settings.learning_rate,
        batch_size=settings.batch_size,
        schedule=settings.schedule,
        n_iter_no_change=settings.n_iter_no_change,
        random_state=settings.random_state,
        verbose=settings.verbose,
        average=settings.average,
        record_batches=settings.record_batches,
    )
    if partial:
        method, run = solver.partial_minimize, dict(common, initial_state=state)
    else:
        method, run = solver.minimize, dict(common, max_iter=settings.max_iter, callback=callback)
    try:
        result = method(objective, theta0, **settings_taken(method, run))
    except NoCurvatureBoundError as exc:
        raise NoCurvatureBoundError(
            f"{exc} solver={solver.name!r} needs one here; the solvers that do not: "
            f"{', '.join(solver_names(lambda cls: not cls.needs_curvature_bound))}."
        ) from None
    coef = result.coef
    history = {key: np.asarray(value, dtype=np.float64) for key, value in result.history.items()}
    if recorder is not None:
        history["validation_loss"] = np.asarray(recorder.losses, dtype=np.float64)
        history["validation_score"] = np.asarray(recorder.scores, dtype=np.float64)
    if monitor is not None:
        if monitor.best_theta is not None:
            coef = monitor.best_theta
    return RunRecord(coef, result, history)
