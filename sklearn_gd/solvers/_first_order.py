"""The loop shared by the first-order solvers: gd, sgd, momentum, adam and adamw.

Each of those solvers is only an *update rule* in the style of optax: it keeps an
explicit state and turns a (mini-batch) gradient into a step. This module runs
the epochs: shuffling, mini-batches, the proximal step for the L1 part, the
learning-rate schedule, the stopping rule, the history and the state that
``warm_start`` and ``partial_fit`` resume from.

Learning rate
    ``eta0`` is the estimator's ``learning_rate`` (``"auto"``: ``1 / L``, or the
    solver's fixed ``auto_learning_rate``); the rate of epoch ``t`` is
    ``scale * schedule.rate(t, eta0)`` where ``scale`` starts at 1 and changes
    only when the schedule reacts to a plateau (:class:`~sklearn_gd.schedules.Adaptive`).

Stopping rule
    * one batch per epoch (full batch): stop when the largest entry of the
      (proximal) gradient mapping at the current iterate, taken with the step
      ``eta0`` so that it does not depend on the schedule, is at most ``tol``;
    * mini-batches: a *plateau* is ``n_iter_no_change`` epochs in a row whose
      mean objective fails to improve on the best by more than ``tol``. The
      schedule reacts to it (``Adaptive`` divides the rate by 5) or, if it does
      not (any more), the run stops. With full batches a plateau only feeds
      the schedule.
    * a callback (early stopping, scikit-learn callbacks) may stop the run.
"""

import numpy as np

from ..schedules import make_schedule
from ._base import IterationLog, Solver, SolverResult, detects_overflow

#: Default epochs without an improvement larger than ``tol`` that make a plateau
#: (the estimators pass their ``n_iter_no_change``).
N_ITER_NO_CHANGE = 5
#: Default mini-batch size of the stochastic solvers: ``min(AUTO_BATCH, n_samples)``.
AUTO_BATCH = 200


class FirstOrderSolver(Solver):
    """A solver defined by an update rule ``(gradient, state) -> (step, state)``.

    Subclasses implement :meth:`init_state` and :meth:`update` and set:

    ``full_batch_default``
        whether ``batch_size="auto"`` means the whole data set;
    ``default_schedule``
        the schedule used when the estimator's ``schedule`` is None
        (``"adaptive"``: divide by 5 when the objective stalls);
    ``auto_learning_rate``
        ``None`` to take ``1 / L`` from the objective's Lipschitz estimate, or
        a fixed number (Adam's step is scale-free, so it uses one).
    """

    supports_l1 = True
    reports_iterates = True
    uses_schedule = True
    full_batch_default = True
    default_schedule = "constant"
    auto_learning_rate = None
    uses_batch_size = True

    def init_state(self, theta):
        """The optimiser state at the start of a run (e.g. zero momentum)."""
        return None

    def update(self, grad, state, theta, learning_rate, objective):
        """Return ``(step, prox_step, state)``: ``theta`` becomes ``prox(theta - step)``.

        ``prox_step`` is the step size (scalar or per coefficient) the proximal
        operator of the L1 part is taken with.
        """
        raise NotImplementedError

    # ---------------------------------------------------------------- helpers
    def _batch_size(self, batch_size, n_samples):
        if batch_size == "auto" or not self.uses_batch_size:
            if self.full_batch_default or not self.uses_batch_size:
                return n_samples
            return min(AUTO_BATCH, n_samples)
        return min(int(batch_size), n_samples)

    def minimizes(self, objective):
        """Whether this rule's fixed point is the minimiser of ``objective``."""
        return True

    def _default_schedule(self, full_batch):
        """The schedule used when the estimator's ``schedule`` is None."""
        return self.default_schedule

    def _auto_step_factor(self, full_batch):
        """Factor applied to ``1 / L`` for ``learning_rate="auto"``."""
        return 1.0

    def _learning_rate(self, learning_rate, objective, batch_size, rng):
        if learning_rate != "auto":
            return float(learning_rate)
        if self.auto_learning_rate is not None:
            return float(self.auto_learning_rate)
        factor = self._auto_step_factor(batch_size >= objective.n_samples)
        if batch_size >= objective.n_samples:
            lipschitz = objective.lipschitz()
        else:
            # The steepest of a few random batches bounds what one step meets.
            lipschitz = max(
                objective.batch(
                    rng.choice(objective.n_samples, batch_size, replace=False)
                ).lipschitz()
                for _ in range(3)
            )
        return factor / lipschitz if 0 < lipschitz < np.inf else factor

    # ------------------------------------------------------------------ loop
    @detects_overflow
    def minimize(
        self,
        objective,
        theta0,
        *,
        max_iter,
        tol,
        learning_rate="auto",
        batch_size="auto",
        schedule=None,
        n_iter_no_change=N_ITER_NO_CHANGE,
        random_state=None,
        verbose=0,
        callback=None,
        initial_state=None,
    ):
        rng = random_state if random_state is not None else np.random.RandomState(0)
        n = objective.n_samples
        batch = self._batch_size(batch_size, n)
        full_batch = batch >= n
        schedule = make_schedule(
            self._default_schedule(full_batch) if schedule is None else schedule,
            horizon=max_iter,
        )
        theta = np.array(theta0, dtype=np.float64)
        resumed = isinstance(initial_state, dict) and initial_state.get("solver") == self.name
        if resumed and learning_rate == "auto":
            eta0 = initial_state["eta0"]  # "auto" is resolved once per training
        else:
            eta0 = self._learning_rate(learning_rate, objective, batch, rng)
        if resumed:
            state = initial_state["rule"]
            step, scale = initial_state["step"], initial_state["lr_scale"]
        else:
            state, step, scale = self.init_state(theta), 0, 1.0
        lr = self._scheduled(schedule, step, eta0, scale)
        log = IterationLog(
            self.name,
            verbose,
            objective.value(theta),
            eta0,
            callback=callback,
            reference_value=objective.value(np.zeros_like(theta)),
        )
        best, stalled = np.inf, 0
        # Full batch: the best iterate seen (its objective is exact), returned
        # only by a run that ends worse than it started.
        best_theta, best_theta_value = theta, log.initial_value
        converged, optimality = False, np.inf
        optimality_name = "max |gradient mapping|" if full_batch else "objective change"
        message = f"reached max_iter={max_iter}"
        for _ in range(max_iter):
            if full_batch:
                batches = [slice(None)]
            else:
                order = rng.permutation(n)
                batches = [order[i : i + batch] for i in range(0, n, batch)]
            epoch_value = 0.0
            for index in batches:
                part = objective if full_batch else objective.batch(index)
                value, grad = part.smooth_value_and_gradient(theta)
                value += part.nonsmooth_value(theta)
                epoch_value += value * (1.0 if full_batch else len(index) / n)
                if full_batch:
                    mapping = (theta - objective.prox(theta - eta0 * grad, eta0)) / eta0
                    optimality = float(np.max(np.abs(mapping), initial=0.0))
                    if optimality <= tol:
                        break
                if full_batch and value < best_theta_value:
                    best_theta, best_theta_value = theta, value
                update, prox_step, state = self.update(grad, state, theta, lr, part)
                theta = objective.prox(theta - update, prox_step)
                if not np.all(np.isfinite(theta)):
                    log.fail("the coefficients overflowed to infinity or NaN", lr)
            if not full_batch:
                optimality = abs(best - epoch_value) if np.isfinite(best) else np.inf
            stop = log.record(epoch_value, optimality, lr, theta)
            if full_batch and optimality <= tol:
                converged, message = True, f"max |gradient mapping| <= tol={tol:g}"
                break
            step += 1
            if stop:
                converged, message = True, "stopped by a callback (e.g. early stopping)"
                break
            if epoch_value < best - tol:
                best, stalled = epoch_value, 0
            elif not full_batch or self.stochastic or schedule.on_plateau(scale) is not None:
                stalled += 1
            if stalled >= n_iter_no_change:
                stalled = 0
                new_scale = schedule.on_plateau(scale)
                if new_scale is not None:
                    scale, best = new_scale, epoch_value
                elif not full_batch or self.stochastic:
                    converged = True
                    message = (
                        f"the objective improved by less than tol={tol:g} for "
                        f"{n_iter_no_change} epochs"
                    )
                    break
            lr = self._scheduled(schedule, step, eta0, scale)
        final_value = objective.value(theta)
        if full_batch and self.minimizes(objective) and final_value > best_theta_value:
            if final_value > log.reference_value:
                theta, final_value = best_theta, best_theta_value
                converged = False
                message = (
                    f"it ended above its starting objective; returned the best iterate "
                    f"seen (objective {best_theta_value:.6g}). A smaller learning_rate "
                    f"than {eta0:.3g} should do better"
                )
        if not np.isfinite(final_value) or (
            self.minimizes(objective) and final_value > log.reference_value
        ):
            log.fail(
                f"it ended at an objective of {final_value:.6g}, above its value at the "
                f"start ({log.reference_value:.6g})",
                lr,
            )
        return SolverResult(
            coef=theta,
            n_iter=max(log.n_iter, 1),
            converged=converged,
            optimality=optimality,
            optimality_name=optimality_name,
            learning_rate=eta0,
            history=log.history,
            message=message,
            state={
                "solver": self.name,
                "rule": state,
                "step": step,
                "lr_scale": scale,
                "eta0": eta0,
            },
        )

    @staticmethod
    def _scheduled(schedule, step, eta0, scale):
        lr = scale * float(schedule.rate(step, eta0))
        if not (np.isfinite(lr) and lr >= 0):
            raise ValueError(
                f"The learning-rate schedule {schedule!r} gave {lr!r} at step {step}; "
                "a learning rate must be a finite number >= 0."
            )
        return lr
