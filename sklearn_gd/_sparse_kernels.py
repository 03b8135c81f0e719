r"""The data term's value and gradient on CSR data in one pass over ``X`` (numba).

:meth:`Objective.exact_value_and_gradient` on CSR ``X`` takes two SciPy
products, ``Z = X W`` and ``X^T R``, each a pass over the stored entries, and
the loss on ``Z`` in between (for the logistic loss, two exponentials and a
logarithm per sample). Here one compiled loop goes over the rows once: for
row ``i`` with stored entries :math:`x_{ij}`,

.. math::

    z_i = \sum_j x_{ij} W_j + b, \qquad
    \ell_i, \; g_i = \partial_z \ell(y_i, z_i), \qquad
    G_j \mathrel{+}= s_i \, x_{ij} \, g_i, \qquad
    \textstyle\sum_i s_i \ell_i,

so the row's entries are read from memory once and the loss takes one
exponential and one logarithm (:func:`sklearn_gd._kernels._loss_and_derivative`,
the per-sample epoch's). The objective scales and adds the penalty as it does
for its NumPy products; the results agree with them to rounding (the sums
run in another order).

It applies to float64 CSR ``X`` with at least :data:`MIN_STORED` stored
entries (smaller problems keep the NumPy products and never compile this),
the squared, logistic and softmax losses, and numba installed and not
disabled (``SKLEARN_GD_DISABLE_NUMBA``). The loop is compiled with
``cache=True`` at its first use (see :mod:`sklearn_gd._kernels`).
"""

import numpy as np
import scipy.sparse as sp

from . import _kernels
from ._kernels import _loss_and_derivative

#: Stored entries from which the fused pass is used (below, an evaluation costs
#: microseconds and the NumPy products are kept).
MIN_STORED = 1 << 16


def _csr_value_and_gradient(data, indices, indptr, Y, weights, weighted, w, b, loss, Z, G, gb):
    """``sum_i s_i l_i``; writes ``Z``, ``G = X^T (s g)`` (flat ``(d, k)``) and ``gb = sum s g``."""
    n = indptr.shape[0] - 1
    k = b.shape[0]
    z = np.empty(k)
    g = np.empty(k)
    acc = np.empty(k)
    for p in range(G.shape[0]):
        G[p] = 0.0
    for c in range(k):
        gb[c] = 0.0
    total = 0.0
    for i in range(n):
        start = indptr[i]
        end = indptr[i + 1]
        for c in range(k):
            acc[c] = 0.0
        for q in range(start, end):
            v = data[q]
            base = indices[q] * k
            for c in range(k):
                acc[c] += v * w[base + c]
        for c in range(k):
            z[c] = acc[c] + b[c]
            Z[i, c] = z[c]
        value = _loss_and_derivative(loss, Y[i], z, g)
        if weighted:
            s = weights[i]
            total += s * value
            for c in range(k):
                g[c] *= s
        else:
            total += value
        for c in range(k):
            gb[c] += g[c]
        for q in range(start, end):
            v = data[q]
            base = indices[q] * k
            for c in range(k):
                G[base + c] += v * g[c]
    return total


_COMPILED = None


def _compiled():
    global _COMPILED
    if _COMPILED is None:
        import numba

        _kernels.register_helpers()
        _COMPILED = numba.njit(cache=True, nogil=True, error_model="numpy")(
            _csr_value_and_gradient
        )
    return _COMPILED


def applies(objective):
    """Whether :func:`value_and_gradient` serves ``objective`` (see the module notes)."""
    from ._loss import LogisticLoss, MultinomialLoss, SquaredLoss

    design = objective.design
    X = getattr(design, "X", None)
    return bool(
        _kernels.COMPILED
        and sp.issparse(X)
        and X.format == "csr"
        and X.dtype == np.float64
        and design.dtype == np.float64
        and X.nnz >= MIN_STORED
        and type(objective.loss) in (SquaredLoss, LogisticLoss, MultinomialLoss)
    )


def value_and_gradient(objective, C):
    """``(sum_i s_i l_i, Z, G)`` at the coefficient matrix ``C`` (the data term, unscaled).

    ``G`` has the shape of ``C``: ``X^T (s g)`` on the weights, ``sum_i s_i g_i``
    on the intercept row (when there is one).
    """
    from ._loss import LogisticLoss, MultinomialLoss

    design = objective.design
    X = design.X
    d, k = design.n_features, objective.shape[1]
    C = np.asarray(C, dtype=np.float64)
    W = np.ascontiguousarray(C[:d])
    b = np.array(C[d]) if design.fit_intercept else np.zeros(k)
    loss = type(objective.loss)
    code = (
        _kernels.LOGISTIC
        if loss is LogisticLoss
        else _kernels.SOFTMAX
        if loss is MultinomialLoss
        else _kernels.SQUARED
    )
    Z = np.empty((objective.n_samples, k))
    G = np.empty(objective.shape)
    gb = np.empty(k)
    Y = np.ascontiguousarray(objective.Y, dtype=np.float64)
    with np.errstate(all="ignore"):  # +inf losses are the objective's to report
        total = _compiled()(
            X.data, X.indices, X.indptr, Y, objective.sample_weight,
            not objective._unweighted, W.reshape(-1), b, code, Z, G[:d].reshape(-1), gb,
        )  # fmt: skip
    if design.fit_intercept:
        G[d] = gb
    return float(total), Z, G
