r"""Learning-rate schedules: how the step size of a first-order solver evolves.

A schedule maps the step count :math:`t = 0, 1, 2, \dots` (completed
iterations for the full-batch solvers, completed epochs for the mini-batch
ones; the rate is constant within an epoch, as with PyTorch's
``lr_scheduler.step()`` called once per epoch) and the initial learning rate
:math:`\eta_0` (the estimator's ``learning_rate``, ``"auto"`` resolved by the
solver) to the learning rate of step :math:`t`.

The estimators take ``schedule=`` as

* ``None``: the solver's default (``"constant"`` for ``gd`` and full-batch
  ``momentum``, ``"adaptive"`` for ``sgd``, ``adam``, ``adamw`` and mini-batch
  ``momentum``);
* a name: ``"constant"``, ``"invscaling"``, ``"step"``, ``"exponential"``,
  ``"cosine"``, ``"adaptive"`` (that schedule with its default parameters);
* a schedule object below, carrying its parameters (a plain parameter object,
  so ``GridSearchCV`` can search ``schedule__gamma``); :class:`LinearWarmup`
  wraps any of them;
* any callable ``step -> learning rate`` (as in optax): it gives the learning
  rate itself, and the estimator's ``learning_rate`` only sets the scale of the
  stopping measure.

Every schedule may also react to a *plateau* (``n_iter_no_change`` epochs
without an improvement of the training objective larger than ``tol``): only
:class:`Adaptive` does, by dividing the rate by 5; the others let the solver
stop (mini-batch) or go on (full batch).

Examples
--------
>>> from sklearn_gd.schedules import CosineAnnealing, LinearWarmup, StepDecay
>>> StepDecay(step_size=2, gamma=0.5).rate(5, 1.0)
0.25
>>> sched = LinearWarmup(CosineAnnealing(T_max=10), warmup_steps=2)
>>> [round(sched.rate(t, 1.0), 3) for t in (0, 1, 2, 7, 12)]
[0.1, 0.55, 1.0, 0.5, 0.0]
"""

import math
from numbers import Integral, Real

from sklearn.base import BaseEstimator, clone
from sklearn.utils._param_validation import Interval

__all__ = [
    "Adaptive",
    "Constant",
    "CosineAnnealing",
    "ExponentialDecay",
    "FunctionSchedule",
    "InverseScaling",
    "LinearWarmup",
    "PerUpdate",
    "SCHEDULES",
    "Schedule",
    "StepDecay",
    "make_schedule",
]


class Schedule(BaseEstimator):
    """Base class of the schedules: parameters in ``__init__``, the rate in :meth:`rate`.

    Fit never writes into a schedule object; the solver keeps what changes
    during a run (the step count, the plateau scale) in its own state.
    """

    _parameter_constraints: dict = {}
    #: Whether ``step`` counts mini-batch updates (:class:`PerUpdate`) rather than epochs.
    per_update = False

    def rate(self, step, eta0):
        """The learning rate at step ``step`` (from 0) given the initial rate ``eta0``.

        Parameters
        ----------
        step : int
            Completed iterations (full batch) or epochs (mini-batch), from 0.
        eta0 : float
            The initial learning rate (the estimator's ``learning_rate``).

        Returns
        -------
        float
            The learning rate of step ``step``.
        """
        raise NotImplementedError

    def on_plateau(self, scale):
        """React to a plateau: the new multiplier of the rate, or None for no reaction.

        Parameters
        ----------
        scale : float
            The current multiplier of the rate (1.0 at the start of training).

        Returns
        -------
        float or None
            The new multiplier, or None to let the solver stop (mini-batch) or
            go on (full batch).
        """
        return None

    def with_horizon(self, n_steps):
        """This schedule with its unset length (if any) set to ``n_steps``.

        Parameters
        ----------
        n_steps : int
            Total steps of the run (the estimator's ``max_iter``).

        Returns
        -------
        Schedule
            ``self`` when nothing is unset, else a copy with the length set.
        """
        return self


class Constant(Schedule):
    """The same rate at every step: :math:`\\eta_t = \\eta_0`."""

    def rate(self, step, eta0):
        return eta0


class InverseScaling(Schedule):
    """Inverse scaling: :math:`\\eta_t = \\eta_0 / (t + 1)^{p}`.

    Parameters
    ----------
    power_t : float >= 0, default=0.5
        The exponent :math:`p` (scikit-learn's ``power_t``).
    """

    _parameter_constraints = {"power_t": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, power_t=0.5):
        self.power_t = power_t

    def rate(self, step, eta0):
        return eta0 / (step + 1.0) ** self.power_t


class StepDecay(Schedule):
    """Step decay (PyTorch's ``StepLR``).

    :math:`\\eta_t = \\eta_0 \\gamma^{\\lfloor t / s \\rfloor}`.

    Parameters
    ----------
    step_size : int >= 1, default=10
        Steps between two decays :math:`s`.
    gamma : float in (0, 1], default=0.1
        Factor applied at each decay.
    """

    _parameter_constraints = {
        "step_size": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(self, step_size=10, gamma=0.1):
        self.step_size = step_size
        self.gamma = gamma

    def rate(self, step, eta0):
        return eta0 * self.gamma ** (step // self.step_size)


class ExponentialDecay(Schedule):
    """Exponential decay (PyTorch's ``ExponentialLR``): :math:`\\eta_t = \\eta_0 \\gamma^t`.

    Parameters
    ----------
    gamma : float in (0, 1], default=0.95
        Factor applied at every step.
    """

    _parameter_constraints = {"gamma": [Interval(Real, 0, 1, closed="right")]}

    def __init__(self, gamma=0.95):
        self.gamma = gamma

    def rate(self, step, eta0):
        return eta0 * self.gamma**step


class CosineAnnealing(Schedule):
    """Cosine annealing from :math:`\\eta_0` down to ``eta_min`` over ``T_max`` steps.

    :math:`\\eta_t = \\eta_{min} + (\\eta_0 - \\eta_{min}) (1 + \\cos(\\pi t / T)) / 2`
    for :math:`t \\le T`, then ``eta_min`` (no restart, unlike PyTorch's
    ``CosineAnnealingLR`` past ``T_max``).

    Parameters
    ----------
    T_max : int >= 1 or None, default=None
        Length :math:`T` of the annealing; None means the estimator's ``max_iter``.
    eta_min : float >= 0, default=0.0
        The final learning rate.
    """

    _parameter_constraints = {
        "T_max": [Interval(Integral, 1, None, closed="left"), None],
        "eta_min": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, T_max=None, eta_min=0.0):
        self.T_max = T_max
        self.eta_min = eta_min

    def rate(self, step, eta0):
        if self.T_max is None:
            raise ValueError("CosineAnnealing needs T_max (None is set by the estimator).")
        progress = min(step, self.T_max) / self.T_max
        return self.eta_min + (eta0 - self.eta_min) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def with_horizon(self, n_steps):
        if self.T_max is not None:
            return self
        return clone(self).set_params(T_max=max(int(n_steps), 1))


class Adaptive(Schedule):
    """Constant until a plateau, then divided by 5 (scikit-learn's ``"adaptive"``).

    On each plateau of the training objective (``n_iter_no_change`` epochs
    without an improvement larger than ``tol``, both set on the estimator) the
    rate is multiplied by ``factor``; once it would fall below ``min_factor``
    times its initial value the plateau ends the run.

    Parameters
    ----------
    factor : float in (0, 1), default=0.2
        Multiplier applied on a plateau.
    min_factor : float in (0, 1], default=1e-4
        Smallest multiplier of the initial rate tried before stopping.
    """

    _parameter_constraints = {
        "factor": [Interval(Real, 0, 1, closed="neither")],
        "min_factor": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(self, factor=0.2, min_factor=1e-4):
        self.factor = factor
        self.min_factor = min_factor

    def rate(self, step, eta0):
        return eta0

    def on_plateau(self, scale):
        new = scale * self.factor
        return new if new >= self.min_factor else None


class LinearWarmup(Schedule):
    """Linear warm-up followed by another schedule.

    For :math:`t <` ``warmup_steps`` the rate grows linearly from
    ``start_factor * eta0`` towards ``eta0``; afterwards it is
    ``schedule.rate(t - warmup_steps, eta0)`` (the schedule starts after the
    warm-up, as PyTorch's ``SequentialLR`` and optax's ``join_schedules``).

    Parameters
    ----------
    schedule : Schedule or str, default="constant"
        The schedule after the warm-up (searchable as ``schedule__schedule__<param>``).
    warmup_steps : int >= 1, default=5
        Length of the warm-up.
    start_factor : float in (0, 1], default=0.1
        Share of ``eta0`` at step 0.
    """

    _parameter_constraints = {
        "schedule": [Schedule, str],
        "warmup_steps": [Interval(Integral, 1, None, closed="left")],
        "start_factor": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(self, schedule="constant", warmup_steps=5, start_factor=0.1):
        self.schedule = schedule
        self.warmup_steps = warmup_steps
        self.start_factor = start_factor

    def _after(self):
        return _by_name(self.schedule) if isinstance(self.schedule, str) else self.schedule

    def rate(self, step, eta0):
        if step < self.warmup_steps:
            share = self.start_factor + (1.0 - self.start_factor) * step / self.warmup_steps
            return eta0 * share
        return self._after().rate(step - self.warmup_steps, eta0)

    def on_plateau(self, scale):
        return self._after().on_plateau(scale)

    def with_horizon(self, n_steps):
        after = self._after()
        bound = after.with_horizon(max(n_steps - self.warmup_steps, 1))
        if bound is after and not isinstance(self.schedule, str):
            return self
        return LinearWarmup(bound, warmup_steps=self.warmup_steps, start_factor=self.start_factor)


class FunctionSchedule(Schedule):
    """A callable ``step -> learning rate`` as a schedule (the rate is the callable's).

    Parameters
    ----------
    function : callable
        Called with the step count (an int from 0); returns the learning rate.
    """

    def __init__(self, function):
        self.function = function

    def rate(self, step, eta0):
        return float(self.function(step))


#: Schedules by name; ``schedule="<name>"`` means ``SCHEDULES[name]()``.
class PerUpdate(Schedule):
    r"""Another schedule advanced at every update instead of every epoch.

    The rate of the ``t``-th mini-batch update of a run (from 0, counted
    across epochs) is ``schedule.rate(t, eta0)``: e.g.
    ``PerUpdate(InverseScaling(0.5))`` is the textbook SGD rate
    :math:`\eta_t = \eta_0 / \sqrt{t + 1}` per mini-batch. With full
    batches an update is an iteration, so it is the wrapped schedule itself.
    Plateau reactions are those of the wrapped schedule.

    Parameters
    ----------
    schedule : Schedule or str, default="invscaling"
        The schedule to advance per update (searchable as ``schedule__schedule__<param>``).
    """

    _parameter_constraints = {"schedule": [Schedule, str]}
    per_update = True

    def __init__(self, schedule="invscaling"):
        self.schedule = schedule

    def _inner(self):
        return _by_name(self.schedule) if isinstance(self.schedule, str) else self.schedule

    def rate(self, step, eta0):
        return self._inner().rate(step, eta0)

    def on_plateau(self, scale):
        return self._inner().on_plateau(scale)


SCHEDULES = {
    "constant": Constant,
    "invscaling": InverseScaling,
    "step": StepDecay,
    "exponential": ExponentialDecay,
    "cosine": CosineAnnealing,
    "adaptive": Adaptive,
}


def _by_name(name):
    try:
        return SCHEDULES[name]()
    except KeyError:
        raise ValueError(
            f"Unknown schedule {name!r}; use one of {', '.join(SCHEDULES)}, a "
            "schedule object or a callable step -> learning rate."
        ) from None


def make_schedule(schedule, horizon=None):
    """A fresh schedule object for a name, a schedule object or a callable.

    Parameters
    ----------
    schedule : str, Schedule or callable
        What the estimator's ``schedule`` parameter (or a solver's default) holds.
    horizon : int or None
        Total steps of the run, given to schedules whose length is unset.

    Returns
    -------
    Schedule
        Never the caller's own object: fit does not write into parameters.
    """
    if isinstance(schedule, str):
        result = _by_name(schedule)
    elif isinstance(schedule, Schedule):
        result = clone(schedule)
        result._validate_params()
    elif callable(schedule):
        result = FunctionSchedule(schedule)
    else:
        raise TypeError(f"schedule must be a name, a Schedule or a callable; got {schedule!r}.")
    return result if horizon is None else result.with_horizon(horizon)
