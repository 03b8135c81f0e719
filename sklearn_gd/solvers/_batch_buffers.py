"""Mini-batches of an in-memory dense objective, gathered into buffers reused all run long.

:meth:`Objective.batches` builds each batch as a new :meth:`Objective.batch`
view: a fancy-index copy of the batch's rows of ``X`` (a fresh array each
time, whose pages the system must map anew: the largest cost of a batch of a
few hundred rows), copies of its targets and weights, and a new objective.
:class:`BatchBuffers` yields the same batches in the same order (the same
permutation drawn from the same generator, the same rows, the same scale
``n / (|B| S)``), but gathers the rows with :func:`numpy.take` into arrays
allocated once per batch size, inside one :class:`Objective` per batch size
whose derived state is reset for each batch. Its values and gradients are
those of :meth:`Objective.batch`: the same code on the same numbers.

A batch objective is only valid until the next one is drawn: the loop uses
each for one step, as :class:`~sklearn_gd.solvers._first_order.FirstOrderSolver`
rules do.

Where numba is installed, the rules the compiled epoch has (sgd, momentum,
adam) on float64 data of some size run their mini-batch epochs there instead
(:mod:`._compiled_epochs`: each batch's rows are read in place, once, with no
copy at all); these buffers serve the other rules, float32 data and
installs without numba.
"""

import numpy as np

from .._data import Design
from .._objective import Objective


class BatchBuffers:
    """Reused mini-batch objectives of one run (see the module notes)."""

    def __init__(self, objective):
        self.objective = objective
        self._parts = {}

    @classmethod
    def for_run(cls, objective, batch_size):
        """Buffers for mini-batches of ``batch_size`` rows, or None (full batch, not dense)."""
        if not 1 < batch_size < objective.n_samples:
            return None
        if type(objective) is not Objective or type(objective.design) is not Design:
            return None
        if type(objective.design.X) is not np.ndarray:
            return None
        return cls(objective)

    def _part(self, size):
        part = self._parts.get(size)
        if part is None:
            full = self.objective
            X = np.empty((size, full.design.n_features), dtype=full.design.X.dtype)
            part = Objective(
                Design(X, full.design.fit_intercept),
                full.loss,
                np.empty((size, full.Y.shape[1]), dtype=full.Y.dtype),
                np.ones(size),
                full.penalty,
                scale=full.scale * full.n_samples / size,
            )
            self._parts[size] = part
        return part

    def batches(self, size, rng):
        """The mini-batches of one epoch: ``(objective, share)`` as :meth:`Objective.batches`."""
        full = self.objective
        n = full.n_samples
        order = rng.permutation(n)
        for index in np.array_split(order, -(-n // size)):
            part = self._part(index.shape[0])
            # Valid indices: "clip" only spares np.take the buffered copy of "raise".
            np.take(full.design.X, index, axis=0, out=part.design.X, mode="clip")
            np.take(full.Y, index, axis=0, out=part.Y, mode="clip")
            if not full._unweighted:  # unit weights: the buffer's ones stay
                np.take(full.sample_weight, index, out=part.sample_weight, mode="clip")
                part._weight[:] = part.sample_weight
            part._rows_changed()
            yield part, index.shape[0] / n
