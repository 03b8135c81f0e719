"""Per-sample epochs (``batch_size=1``) run by the compiled kernel of :mod:`sklearn_gd._kernels`.

With batches of one row the first-order loop spends its time in Python: one
objective view, two products and a proximal step on vectors of length ``d``
per sample. When the kernel can repeat that update sequence exactly, a whole
epoch is one call of :func:`~sklearn_gd._kernels.run_epoch` instead. It can
when

* the batch is one row and there is more than one row (no full batch);
* the objective is the in-memory :class:`~sklearn_gd._objective.Objective`
  on a float64 ndarray or CSR matrix (not dask, not float32, whose NumPy
  products round in float32);
* the loss is the squared, logistic or softmax loss;
* the update rule describes itself to the kernel: its
  :meth:`~sklearn_gd.solvers._first_order.FirstOrderSolver.kernel_rule` is
  not None (sgd, momentum, adam; not adamw, whose decoupled decay the kernel
  does not have);
* numba is installed and not disabled (``SKLEARN_GD_DISABLE_NUMBA``): the
  kernel's Python twin is slower than the NumPy loop.

The epoch draws the same permutation from the same generator as
:meth:`Objective.batches`, scales each sample as :meth:`Objective.batch` does
(``n * scale * s_i``), takes the epoch's learning rate and reports the same
mean objective and the same overflow. The coefficients and the rule's state
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
_METHOD_CODES = {"sgd": _kernels.SGD, "momentum": _kernels.MOMENTUM, "adam": _kernels.ADAM}


class PerSampleEpochs:
    """Epochs of one-row updates in one compiled call each, for one run.

    Build it with :meth:`for_run`, which returns None when the kernel does not
    apply (see the module notes).
    """

    def __init__(self, objective, rule):
        design = objective.design
        self.objective = objective
        self.rule = rule
        self.method = _METHOD_CODES[rule["method"]]
        self.loss = _LOSS_CODES[type(objective.loss)]
        self.d, self.k = design.n_features, objective.shape[1]
        self.X = design.X
        self.Y = np.ascontiguousarray(objective.Y, dtype=np.float64)
        # A one-row batch is scaled by n / (1 * S) instead of 1 / S (Objective.batch).
        self.factor = objective.scale * objective.n_samples * objective.sample_weight

    @classmethod
    def for_run(cls, solver, objective, batch_size):
        """The per-sample epochs of a run, or None where the NumPy loop must run."""
        if batch_size != 1 or objective.n_samples <= 1 or not _kernels.COMPILED:
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
        return cls(objective, rule)

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
        t0, m, v = rule_state  # Adam
        m, v = np.array(m, dtype=np.float64), np.array(v, dtype=np.float64)
        state = (*self._views(m), *self._views(v))
        return state, int(t0), lambda t: (t, m, v)

    # --------------------------------------------------------------- epoch
    def epoch(self, run):
        """One epoch of ``run`` (a first-order ``_Run``); returns its mean objective.

        Updates ``run.theta`` and ``run.state.rule``; an overflow is reported
        through ``run.log.fail`` as the NumPy loop reports it.
        """
        objective, rule = self.objective, self.rule
        order = run.rng.permutation(objective.n_samples)
        theta = np.array(run.theta, dtype=np.float64)  # the caller's vector is kept
        W, b = self._views(theta)
        state, t, back = self._to_kernel(run.state.rule)
        value, t, failed = _kernels.run_epoch(
            self.X, self.Y, self.factor, order, W, b,
            fit_intercept=objective.design.fit_intercept, loss=self.loss, method=self.method,
            lr=run.lr, l1=objective.penalty.l1, l2=objective.penalty.l2,
            beta_1=rule.get("beta_1", 0.9), beta_2=rule.get("beta_2", 0.999),
            epsilon=rule.get("epsilon", 1e-8), nesterov=rule.get("nesterov", False),
            state=state, t=t,
        )  # fmt: skip
        run.theta = theta
        run.state.rule = back(t)
        if failed >= 0:
            run.log.fail("the coefficients overflowed to infinity or NaN", run.lr)
        return value
