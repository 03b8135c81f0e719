r"""One epoch of per-sample updates (``batch_size=1``), compiled when numba is installed.

With a batch of one sample the NumPy loop spends its time in Python overhead
(an objective view, two products and a proximal step on vectors of length
``d`` per sample): about a hundred times scikit-learn's ``SGDClassifier``. This
module runs the same update sequence for a whole epoch in one call: one
compiled loop over the samples of ``order`` (numba), or the same loop in
Python and NumPy when numba is missing or disabled (``SKLEARN_GD_DISABLE_NUMBA``,
as for :mod:`sklearn_gd.solvers._cd_kernels`).

For sample ``i`` with linear predictor :math:`z = x_i W + b` (``k`` outputs),
loss derivative :math:`g = \partial \ell(y_i, z)` and factor
:math:`f_i = n s_i / S` (a batch of one, scaled as :meth:`Objective.batch`
scales it), the gradient is :math:`G_W = f_i x_i^\top g + \lambda_2 W`,
:math:`G_b = f_i g`, and with step :math:`\eta`:

- ``sgd``: :math:`\theta \leftarrow \mathrm{prox}_{\eta\lambda_1}(\theta - \eta G)`;
- ``momentum``: :math:`\theta \leftarrow \mathrm{prox}_{\eta\lambda_1}(\theta - \eta G
  + \beta(\theta - \theta_{prev}))` (plus :math:`-\beta\eta(G - G_{prev})` with
  Nesterov);
- ``adam``: bias-corrected moments, :math:`\theta \leftarrow
  \mathrm{prox}_{\eta\lambda_1 / (\sqrt{\hat v} + \epsilon)}(\theta - \eta \hat m /
  (\sqrt{\hat v} + \epsilon))`.

``sgd`` without an L1 part keeps ``W = a V`` (scikit-learn's lazy scaling): the
L2 decay multiplies the scalar ``a`` by :math:`1 - \eta\lambda_2`, and only the
entries of ``V`` where :math:`x_i` is non-zero change, so a sparse row costs its
stored entries, not ``d``. The penalty's value, needed for the epoch's
objective estimate, is kept up to date the same way.

Only the one-output losses and softmax are here: ``loss`` is 0 (squared),
1 (logistic, every output on its own) or 2 (softmax over the outputs).

How the first-order loop uses it: when the batch size is 1, the objective is
in memory (``design.X`` an ndarray or CSR; CSC converted once per fit), the
loss is one of the three and the update rule is ``sgd``, ``momentum`` or
``adam`` (not ``adamw``), each epoch is one :func:`run_epoch` call on
``W = C[:d]`` (C order, float64, kept across epochs) and ``b = C[d]``, with
the epoch's ``order = rng.permutation(n)``, ``factor = n * s / S``, the
epoch's learning rate, and the solver's state converted once per fit
(momentum: previous iterate and previous gradient; Adam: ``(t, m, v)``).
``epoch_value`` is what the loop records for the epoch, and ``failed >= 0``
is its overflow error. Where :data:`COMPILED` is false the loop keeps its
NumPy path, which is faster than the Python twin here (that twin is the
reference the tests hold the compiled loop to).
"""

import os

import numpy as np

SQUARED, LOGISTIC, SOFTMAX = 0, 1, 2
SGD, MOMENTUM, ADAM = 0, 1, 2


def _loss_and_derivative(loss, y, z, g):
    """The loss at ``z`` (k outputs); its derivative is written into ``g``."""
    k = z.shape[0]
    value = 0.0
    if loss == SQUARED:
        for a in range(k):
            r = z[a] - y[a]
            g[a] = r
            value += 0.5 * r * r
    elif loss == LOGISTIC:
        for a in range(k):
            za = z[a]
            # log(1 + e^z) - y z, and sigmoid(z) - y, without overflow
            if za > 0:
                e = np.exp(-za)
                value += za + np.log1p(e) - y[a] * za
                g[a] = 1.0 / (1.0 + e) - y[a]
            else:
                e = np.exp(za)
                value += np.log1p(e) - y[a] * za
                g[a] = e / (1.0 + e) - y[a]
    else:
        top = z[0]
        for a in range(1, k):
            top = max(top, z[a])
        total = 0.0
        for a in range(k):
            g[a] = np.exp(z[a] - top)
            total += g[a]
        log_norm = np.log(total) + top
        y_sum = 0.0
        for a in range(k):
            y_sum += y[a]
            value -= y[a] * z[a]
            g[a] = g[a] / total - y[a]
        value += y_sum * log_norm
    return value


def _soft(u, threshold):
    if u > threshold:
        return u - threshold
    if u < -threshold:
        return u + threshold
    return 0.0


def _make_epoch(loss_and_derivative, soft):
    """The epoch loop, calling the given loss and soft-thresholding functions."""

    def _epoch(
        dense,
        X,
        all_columns,
        data,
        indices,
        indptr,
        Y,
        factor,
        order,
        W,
        b,
        fit_intercept,
        loss,
        method,
        lr,
        l1,
        l2,
        beta_1,
        beta_2,
        epsilon,
        nesterov,
        state_W,
        state_b,
        state2_W,
        state2_b,
        t0,
    ):
        """One epoch over ``order``; ``W``, ``b`` and the states are updated in place.

        The rows are ``X[i]`` (columns ``all_columns``, ``arange(d)``) when
        ``dense``, else the CSR rows ``(data, indices, indptr)``. ``state_*``
        are the momentum's previous iterate and previous gradient, or Adam's
        moments, and ``t0`` Adam's step count.

        Returns
        -------
        epoch_value : float
            Mean over the samples of the objective of each one-sample batch at the
            iterate before its update (the estimate the NumPy loop records).
        t : int
            Adam's step count after the epoch.
        failed : int
            -1, or the position in ``order`` where the coefficients stopped being finite.
        """
        d, k = W.shape
        n = order.shape[0]
        z = np.empty(k)
        g = np.empty(k)
        lazy = method == SGD and l1 == 0.0
        a = 1.0  # W = a V in lazy mode (V is W itself, rescaled at the end)
        sq = 0.0  # lazy: |V|^2; otherwise |W|^2, and |W|_1 in norm1
        norm1 = 0.0
        for j in range(d):
            for c in range(k):
                sq += W[j, c] * W[j, c]
                norm1 += abs(W[j, c])
        epoch_value = 0.0
        t = t0
        GW = np.zeros((d, k))  # the sample's term of a sparse row's gradient, scattered
        for position in range(n):
            i = order[position]
            if dense:
                cols = all_columns
                vals = X[i]
            else:
                cols = indices[indptr[i] : indptr[i + 1]]
                vals = data[indptr[i] : indptr[i + 1]]
            if k == 1:  # one output: a plain dot product
                acc = 0.0
                for q in range(cols.shape[0]):
                    acc += vals[q] * W[cols[q], 0]
                z[0] = acc
            else:
                for c in range(k):
                    z[c] = 0.0
                for q in range(cols.shape[0]):
                    j = cols[q]
                    for c in range(k):
                        z[c] += vals[q] * W[j, c]
            for c in range(k):
                z[c] = a * z[c] + b[c]
            value = factor[i] * loss_and_derivative(loss, Y[i], z, g)
            for c in range(k):
                g[c] *= factor[i]
            if lazy:
                value += 0.5 * l2 * a * a * sq
            else:
                value += 0.5 * l2 * sq + l1 * norm1
            epoch_value += value / n
            if lazy:
                decay = 1.0 - lr * l2
                if decay <= 0.0:  # the whole of W is decayed away (or flipped): no lazy form
                    sq = 0.0
                    for j in range(d):
                        for c in range(k):
                            W[j, c] *= a * decay
                            sq += W[j, c] * W[j, c]
                    a = 1.0
                else:
                    a *= decay
                if k == 1:
                    coef = lr * g[0] / a
                    for q in range(cols.shape[0]):
                        j = cols[q]
                        old = W[j, 0]
                        new = old - coef * vals[q]
                        W[j, 0] = new
                        sq += new * new - old * old
                else:
                    for q in range(cols.shape[0]):
                        j = cols[q]
                        for c in range(k):
                            old = W[j, c]
                            new = old - lr * vals[q] * g[c] / a
                            W[j, c] = new
                            sq += new * new - old * old
                if fit_intercept:
                    for c in range(k):
                        b[c] -= lr * g[c]
                if a < 1e-9:  # rescale before V grows too large
                    for j in range(d):
                        for c in range(k):
                            W[j, c] *= a
                    sq *= a * a
                    a = 1.0
            else:
                if not dense:
                    for q in range(cols.shape[0]):
                        for c in range(k):
                            GW[cols[q], c] = vals[q] * g[c]
                if method == ADAM:
                    t += 1
                c1 = 1.0 - beta_1**t
                c2 = 1.0 - beta_2**t
                sq = 0.0
                norm1 = 0.0
                # One loop per rule (the rule and the storage do not change
                # inside it, so each loop is a straight pass over W).
                if method == SGD:
                    for j in range(d):
                        for c in range(k):
                            w = W[j, c]
                            gw = l2 * w + (vals[j] * g[c] if dense else GW[j, c])
                            new = soft(w - lr * gw, lr * l1)
                            W[j, c] = new
                            sq += new * new
                            norm1 += abs(new)
                elif method == MOMENTUM:
                    for j in range(d):
                        for c in range(k):
                            w = W[j, c]
                            gw = l2 * w + (vals[j] * g[c] if dense else GW[j, c])
                            step = lr * gw - beta_1 * (w - state_W[j, c])
                            if nesterov:
                                step += beta_1 * lr * (gw - state2_W[j, c])
                            state_W[j, c] = w
                            state2_W[j, c] = gw
                            new = soft(w - step, lr * l1)
                            W[j, c] = new
                            sq += new * new
                            norm1 += abs(new)
                else:
                    for j in range(d):
                        for c in range(k):
                            w = W[j, c]
                            gw = l2 * w + (vals[j] * g[c] if dense else GW[j, c])
                            m = beta_1 * state_W[j, c] + (1.0 - beta_1) * gw
                            v = beta_2 * state2_W[j, c] + (1.0 - beta_2) * gw * gw
                            state_W[j, c] = m
                            state2_W[j, c] = v
                            scale = 1.0 / (np.sqrt(v / c2) + epsilon)
                            new = soft(w - lr * (m / c1) * scale, lr * scale * l1)
                            W[j, c] = new
                            sq += new * new
                            norm1 += abs(new)
                if not dense:
                    for q in range(cols.shape[0]):
                        for c in range(k):
                            GW[cols[q], c] = 0.0
                if fit_intercept:
                    for c in range(k):
                        if method == SGD:
                            b[c] -= lr * g[c]
                        elif method == MOMENTUM:
                            step = lr * g[c] - beta_1 * (b[c] - state_b[c])
                            if nesterov:
                                step += beta_1 * lr * (g[c] - state2_b[c])
                            state_b[c] = b[c]
                            state2_b[c] = g[c]
                            b[c] -= step
                        else:
                            m = beta_1 * state_b[c] + (1.0 - beta_1) * g[c]
                            v = beta_2 * state2_b[c] + (1.0 - beta_2) * g[c] * g[c]
                            state_b[c] = m
                            state2_b[c] = v
                            b[c] -= lr * (m / c1) / (np.sqrt(v / c2) + epsilon)
            # |W|^2 (or |V|^2 and a) finite means every weight is finite
            finite = np.isfinite(sq) and np.isfinite(a) and np.isfinite(value)
            for c in range(k):
                finite = finite and np.isfinite(b[c])
            if not finite:
                if lazy:
                    for j in range(d):
                        for c in range(k):
                            W[j, c] *= a
                return epoch_value, t, position
        if lazy and a != 1.0:
            for j in range(d):
                for c in range(k):
                    W[j, c] *= a
        return epoch_value, t, -1

    return _epoch


#: The epoch in Python and NumPy: the reference the compiled loop repeats.
epoch_python = _make_epoch(_loss_and_derivative, _soft)


def _compile():
    """The compiled epoch, or None when numba is missing or disabled."""
    flag = os.environ.get("SKLEARN_GD_DISABLE_NUMBA", "")
    if flag not in ("", "0"):
        return None
    try:
        import numba
    except ImportError:
        return None
    jit = numba.njit(cache=False, nogil=True)
    return jit(_make_epoch(jit(_loss_and_derivative), jit(_soft)))


_COMPILED_EPOCH = _compile()
#: Whether :func:`run_epoch` runs compiled code (numba installed and not disabled).
COMPILED = _COMPILED_EPOCH is not None


def run_epoch(
    X,
    Y,
    factor,
    order,
    W,
    b,
    *,
    fit_intercept,
    loss,
    method,
    lr,
    l1=0.0,
    l2=0.0,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-8,
    nesterov=False,
    state=None,
    t=0,
    compiled=None,
):
    """One epoch of per-sample updates over the rows ``order`` (in place on W, b, state).

    Parameters
    ----------
    X : ndarray of shape (n, d) or CSR matrix
        The data, as stored (dense in any order, or CSR); not copied.
    Y : ndarray of shape (n, k)
        Encoded targets, float64.
    factor : ndarray of shape (n,)
        ``n * s_i / S``: the scale of a one-sample batch.
    order : ndarray of int
        The samples, in the order of the updates.
    W : ndarray of shape (d, k), float64, C order
        Weights, updated in place.
    b : ndarray of shape (k,), float64
        Intercepts, updated in place (left alone without ``fit_intercept``).
    fit_intercept : bool
    loss : {SQUARED, LOGISTIC, SOFTMAX}
    method : {SGD, MOMENTUM, ADAM}
    lr : float
        The step of this epoch.
    l1, l2 : float
        Strengths of the L1 and L2 parts of the penalty.
    beta_1, beta_2, epsilon, nesterov
        The momentum (``beta_1``) and Adam's hyperparameters.
    state : tuple of 4 arrays or None
        ``(W-shaped, b-shaped, W-shaped, b-shaped)``: the momentum's previous
        iterate and gradient, or Adam's first and second moments. None for sgd.
    t : int
        Adam's step count before the epoch.
    compiled : bool or None
        Force the compiled (True) or Python (False) loop; None: compiled when available.

    Returns
    -------
    epoch_value : float
        Mean over the samples of the one-sample objective before each update.
    t : int
        Adam's step count after the epoch.
    failed : int
        -1, or the position in ``order`` after which the coefficients were not finite.
    """
    import scipy.sparse as sp

    use_compiled = COMPILED if compiled is None else compiled
    if use_compiled and not COMPILED:
        raise RuntimeError("numba is not installed or is disabled (SKLEARN_GD_DISABLE_NUMBA)")
    epoch = _COMPILED_EPOCH if use_compiled else epoch_python
    d, k = W.shape
    if state is None:
        state = (np.zeros((d, k)), np.zeros(k), np.zeros((d, k)), np.zeros(k))
    if sp.issparse(X):
        X = X.tocsr()
        dense, X2, data, indices, indptr = False, np.zeros((1, 1)), X.data, X.indices, X.indptr
    else:
        empty = np.zeros(1, dtype=np.int64)
        dense, X2, data, indices, indptr = True, X, np.zeros(1), empty, empty
    columns = np.arange(d, dtype=indices.dtype)
    with np.errstate(all="ignore"):  # overflow is reported through ``failed``
        value, t, failed = epoch(
            dense,
            X2,
            columns,
            data,
            indices,
            indptr,
            Y,
            np.asarray(factor, dtype=np.float64),
            np.asarray(order, dtype=np.int64),
            W,
            b,
            bool(fit_intercept),
            int(loss),
            int(method),
            float(lr),
            float(l1),
            float(l2),
            float(beta_1),
            float(beta_2),
            float(epsilon),
            bool(nesterov),
            *state,
            int(t),
        )
    return float(value), int(t), int(failed)
