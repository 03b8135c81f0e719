"""The loop shared by the first-order solvers: gd, sgd, momentum, adam and adamw.

Each of those solvers is only an *update rule* in the style of optax: it keeps an
explicit state and turns a (mini-batch) gradient into a step. This module runs
the epochs: shuffling, mini-batches, the proximal step for the L1 part, the
learning rate, the stopping rule and the history.

Stopping rule
    * one batch per epoch (full batch): stop when the largest entry of the
      (proximal) gradient mapping at the current iterate is at most ``tol``;
    * mini-batches: stop when the epoch's mean objective has failed to improve
      on the best by more than ``tol`` for ``N_ITER_NO_CHANGE`` epochs in a row.
      Solvers with ``reduce_on_plateau`` first divide the learning rate by 5
      (the "adaptive" schedule of scikit-learn's SGD) and stop only once it has
      fallen below ``MIN_LR_FACTOR`` times its initial value.
"""

import numpy as np

from ._base import IterationLog, Solver, SolverResult

#: Epochs without an improvement larger than ``tol`` that make a plateau.
N_ITER_NO_CHANGE = 5
#: Factor applied to the learning rate on a plateau (reduce_on_plateau solvers).
PLATEAU_FACTOR = 0.2
#: Runs stop when the learning rate has been reduced below this share of its start.
MIN_LR_FACTOR = 1e-4
#: Default mini-batch size of the stochastic solvers: ``min(AUTO_BATCH, n_samples)``.
AUTO_BATCH = 200


class FirstOrderSolver(Solver):
    """A solver defined by an update rule ``(gradient, state) -> (step, state)``.

    Subclasses implement :meth:`init_state` and :meth:`update` and set:

    ``full_batch_default``
        whether ``batch_size="auto"`` means the whole data set;
    ``reduce_on_plateau``
        whether the learning rate decays when the objective stalls;
    ``auto_learning_rate``
        ``None`` to take ``1 / L`` from the objective's Lipschitz estimate, or
        a fixed number (Adam's step is scale-free, so it uses one).
    """

    supports_l1 = True
    full_batch_default = True
    reduce_on_plateau = False
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

    def _learning_rate(self, learning_rate, objective, batch_size, rng):
        if learning_rate != "auto":
            return float(learning_rate)
        if self.auto_learning_rate is not None:
            return float(self.auto_learning_rate)
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
        return 1.0 / lipschitz if lipschitz > 0 else 1.0

    # ------------------------------------------------------------------ loop
    def minimize(
        self,
        objective,
        theta0,
        *,
        max_iter,
        tol,
        learning_rate="auto",
        batch_size="auto",
        random_state=None,
        verbose=0,
    ):
        rng = random_state if random_state is not None else np.random.RandomState(0)
        n = objective.n_samples
        batch = self._batch_size(batch_size, n)
        full_batch = batch >= n
        lr0 = self._learning_rate(learning_rate, objective, batch, rng)
        lr = lr0
        theta = np.array(theta0, dtype=np.float64)
        state = self.init_state(theta)
        log = IterationLog(self.name, verbose, objective.value(theta), lr0)
        best, stalled = np.inf, 0
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
                    mapping = (theta - objective.prox(theta - lr * grad, lr)) / lr
                    optimality = float(np.max(np.abs(mapping), initial=0.0))
                    if optimality <= tol:
                        break
                step, prox_step, state = self.update(grad, state, theta, lr, part)
                theta = objective.prox(theta - step, prox_step)
            if not full_batch:
                optimality = abs(best - epoch_value) if np.isfinite(best) else np.inf
            log.record(epoch_value, optimality, lr)
            if full_batch and optimality <= tol:
                converged, message = True, f"max |gradient mapping| <= tol={tol:g}"
                break
            if epoch_value < best - tol:
                best, stalled = epoch_value, 0
            elif full_batch and not self.reduce_on_plateau:
                continue
            else:
                stalled += 1
            if stalled >= N_ITER_NO_CHANGE:
                stalled = 0
                if self.reduce_on_plateau and lr * PLATEAU_FACTOR >= lr0 * MIN_LR_FACTOR:
                    lr *= PLATEAU_FACTOR
                    best = epoch_value
                elif not full_batch:
                    converged = True
                    message = (
                        f"the objective improved by less than tol={tol:g} for "
                        f"{N_ITER_NO_CHANGE} epochs"
                    )
                    break
        return SolverResult(
            coef=theta,
            n_iter=max(log.n_iter, 1),
            converged=converged,
            optimality=optimality,
            optimality_name=optimality_name,
            learning_rate=lr0,
            history=log.history,
            message=message,
        )
