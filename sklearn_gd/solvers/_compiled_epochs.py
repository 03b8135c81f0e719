"""Mini-batch epochs run by the compiled kernel of :mod:`sklearn_gd._kernels`.

With batches of one row the first-order loop spends its time in Python: one
objective view, two products and a proximal step on vectors of length ``d``
per sample. With batches of a few hundred rows it still spends a good part
of it there, and in gathering each batch's rows into a copy (a fancy-index
copy, or :mod:`._batch_buffers`) that the two products then read again. When
the kernel can repeat that update sequence (to rounding: its sums run in
another order than the BLAS products), a whole epoch is one call of
:func:`~sklearn_gd._kernels.run_epoch` instead, which reads each row of a
batch once, in place, for its predictor and its term of the gradient. It can
when

* the run is mini-batch: batches of ``1 <= batch_size < n_samples`` rows,
  and with more than one row per batch ``X`` has at least
  :data:`MIN_STORED` stored entries (below, an epoch costs little either
  way, and small problems keep the NumPy loop without compiling the kernel);
* the objective is the in-memory :class:`~sklearn_gd._objective.Objective`
  on a float64 ndarray or CSR matrix (not dask, not float32, whose NumPy
  products round in float32);
* the loss is the squared, logistic or softmax loss;
* the update rule describes itself to the kernel: its
  :meth:`~sklearn_gd.solvers._first_order.FirstOrderSolver.kernel_rule` is
  not None (sgd, momentum, adam, adagrad, rmsprop; not adamw, whose
  decoupled decay the kernel does not have);
* numba is installed and not disabled (``SKLEARN_GD_DISABLE_NUMBA``): the
  kernel's Python twin is slower than the NumPy loop.

The epoch draws the same permutation from the same generator as
:meth:`Objective.batches`, scales each sample as :meth:`Objective.batch` does
(``n * scale * s_i``), takes the epoch's learning rate (or, for a schedule
advanced at every update, the rate of each update), keeps the loop's running
means of the iterates (the user's ``average`` and the mean since the last
plateau reduction) and its counts of rows and updates, records each update's
objective when the loop records batches, and reports the same mean objective
and the same overflow. The coefficients and the rule's state
are updated through views of a copy of the flat vectors (``C[:d]`` of the C
ordered coefficient matrix is contiguous), so the loop's state is the rule's
own after every epoch: ``partial_fit`` and warm starts go on from it.
"""

import numpy as np
import scipy.sparse as sp

from .. import _kernels
from .._loss import LogisticLoss, MultinomialLoss, SquaredLoss
from .._objective import Objective

_LOSS_CODES = {
    SquaredLoss: _kernels.SQUARED,
    LogisticLoss: _kernels.LOGISTIC,
    MultinomialLoss: _kernels.SOFTMAX,
}
_METHOD_CODES = {
    "sgd": _kernels.SGD,
    "momentum": _kernels.MOMENTUM,
    "adam": _kernels.ADAM,
    "adagrad": _kernels.ADAGRAD,
}
#: Stored entries of ``X`` from which batches of several rows take the kernel.
MIN_STORED = 1 << 16


class CompiledEpochs:
    """Mini-batch epochs (one-row batches included) in one compiled call each, for one run.

    Build it with :meth:`for_run`, which returns None when the kernel does not
    apply (see the module notes).
    """

    def __init__(self, objective, rule, batch_size=1):
        design = objective.design
        self.objective = objective
        self.rule = rule
        self.method = _METHOD_CODES[rule["method"]]
        self.loss = _LOSS_CODES[type(objective.loss)]
        self.d, self.k = design.n_features, objective.shape[1]
        X = design.X
        if sp.issparse(X) and not X.has_canonical_format:  # duplicate entries summed
            X = X.copy()
            X.sum_duplicates()
        self.X = X
        self.Y = np.ascontiguousarray(objective.Y, dtype=np.float64)
        # A batch B is scaled by n / (|B| S) instead of 1 / S (Objective.batch):
        # the kernel divides this by |B|.
        self.factor = objective.scale * objective.n_samples * objective.sample_weight
        self.batch = batch_size
        self.n_updates = -(-objective.n_samples // batch_size)

    @classmethod
    def for_run(cls, solver, objective, batch_size):
        """The compiled epochs of a run, or None where the NumPy loop must run."""
        if not 1 <= batch_size < objective.n_samples or not _kernels.COMPILED:
            return None
        if batch_size > 1 and objective.design.n_stored < MIN_STORED:
            return None
        if type(objective) is not Objective or type(objective.loss) not in _LOSS_CODES:
            return None
        X = objective.design.X
        in_memory = type(X) is np.ndarray or (sp.issparse(X) and X.format == "csr")
        if not in_memory or X.dtype != np.float64:
            return None
        rule = solver.kernel_rule()
        if rule is None or rule.get("method") not in _METHOD_CODES:
            return None
        return cls(objective, rule, batch_size)

    # ---------------------------------------------------- state conversion
    def _views(self, flat):
        """``(C[:d], C[d])`` of a flat coefficient-shaped vector (b: zeros without intercept)."""
        C = flat.reshape(self.objective.shape)
        b = C[self.d] if self.objective.design.fit_intercept else np.zeros(self.k)
        return C[: self.d], b

    def _to_kernel(self, rule_state):
        """The rule's state as the kernel's ``(state, t)`` and a way back."""
        if self.method == _kernels.SGD:
            return None, 0, lambda t: rule_state
        if self.method == _kernels.MOMENTUM:  # (previous iterate, previous gradient)
            previous, previous_grad = (np.array(a, dtype=np.float64) for a in rule_state)
            state = (*self._views(previous), *self._views(previous_grad))
            return state, 0, lambda t: (previous, previous_grad)
        if self.method == _kernels.ADAGRAD:  # s, the (moving) sum of squared gradients
            v = np.array(rule_state, dtype=np.float64)
            state = (*self._views(np.zeros_like(v)), *self._views(v))
            return state, 0, lambda t: v
        t0, m, v = rule_state  # Adam
        m, v = np.array(m, dtype=np.float64), np.array(v, dtype=np.float64)
        state = (*self._views(m), *self._views(v))
        return state, int(t0), lambda t: (t, m, v)

    # --------------------------------------------------------------- epoch
    def _steps(self, run):
        """The step of every update of the epoch: one float, or one per update."""
        state = run.state
        if not run.schedule.per_update:
            return run.lr
        return np.array(
            [
                run.solver._scheduled(run.schedule, state.updates + p, state.eta0, state.lr_scale)
                for p in range(self.n_updates)
            ]
        )

    def _means(self, state):
        """The running means the loop would update this epoch, as the kernel takes them.

        Returns ``(means, back)``: the kernel's ``[W, b, count, start]`` lists
        and a function storing the counts back into ``state``.
        """
        means, names = [], []
        if state.average_start is not None:
            # The first update after which ``seen`` reaches ``average_start``.
            needed = state.average_start - state.seen
            n = self.objective.n_samples
            sizes = [len(part) for part in np.array_split(np.empty(n), self.n_updates)]
            start = int(np.searchsorted(np.cumsum(sizes), needed))
            if needed <= self.objective.n_samples:
                if state.average is None:
                    state.average = np.zeros(self.objective.n_coef)
                means.append([*self._views(state.average), state.n_average, start])
                names.append("n_average")
        if state.lr_scale < 1.0 or state.probing:  # since the last reduction or probe
            if state.tail is None:
                state.tail = np.zeros(self.objective.n_coef)
            means.append([*self._views(state.tail), state.n_tail, 0])
            names.append("n_tail")

        def back():
            for name, mean in zip(names, means, strict=True):
                setattr(state, name, mean[2])

        return means, back

    def epoch(self, run):
        """One epoch of ``run`` (a first-order ``_Run``); returns its mean objective.

        Updates ``run.theta``, ``run.lr`` (per-update schedules) and
        ``run.state`` (the rule's state, the running means, the counts of rows
        and updates); an overflow is reported through ``run.log.fail`` as the
        NumPy loop reports it.
        """
        objective, rule, state = self.objective, self.rule, run.state
        n = objective.n_samples
        order = run.rng.permutation(n)
        theta = np.array(run.theta, dtype=np.float64)  # the caller's vector is kept
        W, b = self._views(theta)
        kernel_state, t, back = self._to_kernel(state.rule)
        steps = self._steps(run)
        means, means_back = self._means(state)
        values = np.empty(self.n_updates) if run.batch_values is not None else None
        value, t, failed = _kernels.run_epoch(
            self.X, self.Y, self.factor, order, W, b,
            fit_intercept=objective.design.fit_intercept, loss=self.loss, method=self.method,
            lr=steps, l1=objective.penalty.l1, l2=objective.penalty.l2,
            beta_1=rule.get("beta_1", 0.9), beta_2=rule.get("beta_2", 0.999),
            epsilon=rule.get("epsilon", 1e-8), nesterov=rule.get("nesterov", False),
            state=kernel_state, t=t, batch=self.batch, means=means, values=values,
        )  # fmt: skip
        if np.ndim(steps):
            run.lr = float(steps[-1])
        if failed >= 0:
            run.log.fail("the coefficients overflowed to infinity or NaN", run.lr)
        run.theta = theta
        state.rule = back(t)
        means_back()
        state.seen += n
        state.updates += self.n_updates
        if values is not None:
            run.batch_values.extend(values.tolist())
        return value
