r"""One epoch of mini-batch updates, compiled when numba is installed.

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
:math:`G_b = f_i g`, and with step :math:`\eta_t` (the step of update ``t``):

- ``sgd``: :math:`\theta \leftarrow \mathrm{prox}_{\eta\lambda_1}(\theta - \eta G)`;
- ``momentum``: :math:`\theta \leftarrow \mathrm{prox}_{\eta\lambda_1}(\theta - \eta G
  + \beta(\theta - \theta_{prev}))` (plus :math:`-\beta\eta(G - G_{prev})` with
  Nesterov);
- ``adam``: bias-corrected moments, :math:`\theta \leftarrow
  \mathrm{prox}_{\eta\lambda_1 / (\sqrt{\hat v} + \epsilon)}(\theta - \eta \hat m /
  (\sqrt{\hat v} + \epsilon))`;
- ``adagrad`` (AdaGrad and RMSProp): :math:`s \leftarrow \beta_2 s + \beta_1 G
  \odot G` from :math:`s = 0` (AdaGrad's
  :math:`\beta_1 = \beta_2 = 1`, RMSProp's :math:`\beta_1 = 1 - \rho, \beta_2 =
  \rho`), :math:`\theta \leftarrow \mathrm{prox}_{D\lambda_1}(\theta - D G)`
  with :math:`D = \eta / (\sqrt s + \epsilon)`.

After each update, the running means the first-order loop keeps (the user's
averaged iterate, the mean of the iterates since the last plateau reduction)
take the new iterate, from the update each starts at.

``sgd`` without an L1 part keeps ``W = a V`` (scikit-learn's lazy scaling): the
L2 decay multiplies the scalar ``a`` by :math:`1 - \eta\lambda_2`, and only the
entries of ``V`` where :math:`x_i` is non-zero change, so a sparse row costs its
stored entries, not ``d``. The penalty's value, needed for the epoch's
objective estimate, is kept up to date the same way, as scikit-learn does:
:math:`\lVert V - c x\rVert^2 = \lVert V\rVert^2 - 2c\, x \cdot V + c^2 \lVert
x\rVert^2`, with :math:`x \cdot V` the product the predictor needed anyway.

One output on a dense row (the common online case) runs straight loops over
the row: the products keep four partial sums (which the compiler packs into
one vector register), and the update loops have no reduction and no branch,
so they are vectorised too; the squared norm of ``W`` that the penalty's value
needs is summed in the product's loop. Other layouts (sparse rows, several
outputs, an L1 part) run the general loop.

Only the one-output losses and softmax are here: ``loss`` is 0 (squared),
1 (logistic, every output on its own) or 2 (softmax over the outputs).

How the first-order loop uses it: see :mod:`sklearn_gd.solvers._compiled_epochs`.
Where :data:`COMPILED` is false the loop keeps its NumPy path, which is
faster than the Python twin here (that twin is the reference the tests hold
the compiled loop to).

Compilation: the loop is a module-level function compiled by numba with
``cache=True`` at its first call, so that the machine code is written to
numba's cache (``__pycache__`` beside this file, or numba's per-user cache
directory when that is not writable, or ``NUMBA_CACHE_DIR``) and later
processes load it instead of compiling again.
"""

import os

import numpy as np

SQUARED, LOGISTIC, SOFTMAX = 0, 1, 2
SGD, MOMENTUM, ADAM, ADAGRAD = 0, 1, 2, 3


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


#: Rows ahead of the current one whose cache lines are asked for (dense rows in
#: random order: the next rows' memory latency overlaps the current row's work).
PREFETCH_AHEAD = 3


def _prefetch(row, j):
    """Ask the processor for the cache line of ``row[j]``: a no-op in Python.

    Compiled, it is LLVM's ``prefetch`` (see :func:`register_helpers`); it
    changes no value, only when the memory is read.
    """


def _prefetch_row(X, i):
    """:func:`_prefetch` every cache line (8 float64) of the dense row ``X[i]``."""
    row = X[i]
    for j in range(0, row.shape[0], 8):
        _prefetch(row, j)


def _two_dots(x, y, u, v):
    """``(x . y, u . v)`` over 1-D arrays of one length, four partial sums each."""
    n = x.shape[0]
    p0 = p1 = p2 = p3 = 0.0
    q0 = q1 = q2 = q3 = 0.0
    m = n - n % 4
    for j in range(0, m, 4):
        p0 += x[j] * y[j]
        p1 += x[j + 1] * y[j + 1]
        p2 += x[j + 2] * y[j + 2]
        p3 += x[j + 3] * y[j + 3]
        q0 += u[j] * v[j]
        q1 += u[j + 1] * v[j + 1]
        q2 += u[j + 2] * v[j + 2]
        q3 += u[j + 3] * v[j + 3]
    for j in range(m, n):
        p0 += x[j] * y[j]
        q0 += u[j] * v[j]
    return (p0 + p1) + (p2 + p3), (q0 + q1) + (q2 + q3)


def _dot(x, y):
    """``x . y`` over 1-D arrays of one length, four partial sums."""
    n = x.shape[0]
    p0 = p1 = p2 = p3 = 0.0
    m = n - n % 4
    for j in range(0, m, 4):
        p0 += x[j] * y[j]
        p1 += x[j + 1] * y[j + 1]
        p2 += x[j + 2] * y[j + 2]
        p3 += x[j + 3] * y[j + 3]
    for j in range(m, n):
        p0 += x[j] * y[j]
    return (p0 + p1) + (p2 + p3)


def _dense_update(
    method, nesterov, last, row, gi, w, s1, s2, lr, l2, beta_1, beta_2, epsilon, c1, c2
):
    """One output, dense rows, no L1 part: the rule's step on every weight.

    The gradient term of the weights is ``row * gi`` (one row; a batch passes
    its summed term and 1). Straight loops without reduction or branch
    (vectorised when compiled).
    Without Nesterov the momentum's previous gradient is only needed as the
    state after the epoch: it is written at the ``last`` update only.
    ``c1, c2`` are Adam's bias corrections, or AdaGrad's ``s = c1 s + c2 g^2``.
    """
    d = w.shape[0]
    if method == SGD:
        for j in range(d):
            wj = w[j]
            w[j] = wj - lr * (l2 * wj + row[j] * gi)
    elif method == MOMENTUM:
        if nesterov:
            for j in range(d):
                wj = w[j]
                gw = l2 * wj + row[j] * gi
                step = lr * gw - beta_1 * (wj - s1[j]) + beta_1 * lr * (gw - s2[j])
                s1[j] = wj
                s2[j] = gw
                w[j] = wj - step
        else:
            if last:
                for j in range(d):
                    s2[j] = l2 * w[j] + row[j] * gi
            for j in range(d):
                wj = w[j]
                gw = l2 * wj + row[j] * gi
                step = lr * gw - beta_1 * (wj - s1[j])
                s1[j] = wj
                w[j] = wj - step
    elif method == ADAGRAD:
        for j in range(d):
            wj = w[j]
            gw = l2 * wj + row[j] * gi
            v = c1 * s2[j] + c2 * gw * gw
            s2[j] = v
            w[j] = wj - lr / (np.sqrt(v) + epsilon) * gw
    else:
        # lr m_hat / (sqrt(v_hat) + eps) with one square root and one division
        # an entry: the bias corrections are folded into two scalars.
        one_minus_1 = 1.0 - beta_1
        one_minus_2 = 1.0 - beta_2
        lr_1 = lr / c1
        root_2 = 1.0 / np.sqrt(c2)
        for j in range(d):
            wj = w[j]
            gw = l2 * wj + row[j] * gi
            m = beta_1 * s1[j] + one_minus_1 * gw
            v = beta_2 * s2[j] + one_minus_2 * gw * gw
            s1[j] = m
            s2[j] = v
            w[j] = wj - lr_1 * m / (np.sqrt(v) * root_2 + epsilon)


def _general_update(
    method, nesterov, dense, row, cols, vals, g, GW, w, s1, s2, lr, l1, l2, beta_1, beta_2,
    epsilon, c1, c2,
):  # fmt: skip
    """Any layout: the step on every weight; returns ``(|W|^2, |W|_1)`` after it.

    ``w`` and the states are flat views of ``(d, k)`` matrices; a sparse row's
    gradient term is scattered into ``GW`` (and cleared after).
    """
    k = g.shape[0]
    d = w.shape[0] // k
    if not dense:
        for q in range(cols.shape[0]):
            for c in range(k):
                GW[cols[q] * k + c] += vals[q] * g[c]
    sq = 0.0
    norm1 = 0.0
    # One loop per rule (the rule and the storage do not change inside it).
    if method == SGD:
        for j in range(d):
            for c in range(k):
                p = j * k + c
                wj = w[p]
                gw = l2 * wj + (row[j] * g[c] if dense else GW[p])
                new = _soft(wj - lr * gw, lr * l1)
                w[p] = new
                sq += new * new
                norm1 += abs(new)
    elif method == MOMENTUM:
        for j in range(d):
            for c in range(k):
                p = j * k + c
                wj = w[p]
                gw = l2 * wj + (row[j] * g[c] if dense else GW[p])
                step = lr * gw - beta_1 * (wj - s1[p])
                if nesterov:
                    step += beta_1 * lr * (gw - s2[p])
                s1[p] = wj
                s2[p] = gw
                new = _soft(wj - step, lr * l1)
                w[p] = new
                sq += new * new
                norm1 += abs(new)
    elif method == ADAGRAD:
        for j in range(d):
            for c in range(k):
                p = j * k + c
                wj = w[p]
                gw = l2 * wj + (row[j] * g[c] if dense else GW[p])
                v = c1 * s2[p] + c2 * gw * gw
                s2[p] = v
                step = lr / (np.sqrt(v) + epsilon)
                new = _soft(wj - step * gw, step * l1)
                w[p] = new
                sq += new * new
                norm1 += abs(new)
    else:
        for j in range(d):
            for c in range(k):
                p = j * k + c
                wj = w[p]
                gw = l2 * wj + (row[j] * g[c] if dense else GW[p])
                m = beta_1 * s1[p] + (1.0 - beta_1) * gw
                v = beta_2 * s2[p] + (1.0 - beta_2) * gw * gw
                s1[p] = m
                s2[p] = v
                scale = 1.0 / (np.sqrt(v / c2) + epsilon)
                new = _soft(wj - lr * ((m / c1) * scale), lr * scale * l1)
                w[p] = new
                sq += new * new
                norm1 += abs(new)
    if not dense:
        for q in range(cols.shape[0]):
            for c in range(k):
                GW[cols[q] * k + c] = 0.0
    return sq, norm1


def _epoch(
    dense,
    X,
    data,
    indices,
    indptr,
    Y,
    factor,
    order,
    batch,
    lrs,
    w,
    b,
    fit_intercept,
    loss,
    method,
    l1,
    l2,
    beta_1,
    beta_2,
    epsilon,
    nesterov,
    s1w,
    s1b,
    s2w,
    s2b,
    t0,
    avg1_w,
    avg1_b,
    avg2_w,
    avg2_b,
    avg_count,
    avg_from,
    values,
):
    """One epoch over ``order`` in batches of ``batch`` rows; arrays updated in place.

    The rows are ``X[i]`` when ``dense``, else the CSR rows ``(data, indices,
    indptr)``. ``w`` is the flat view of the ``(d, k)`` weights (C order), and
    ``s1w, s2w`` those of the momentum's previous iterate and previous
    gradient, or of Adam's moments, or (``s2w``) AdaGrad's sum of squared
    gradients (``s1b, s2b`` for the intercept); ``t0`` is Adam's step count
    (unused by AdaGrad). ``lrs`` holds the step of every update, or one step
    for all. ``avg1_*, avg2_*`` are two running means of the iterates holding
    ``avg_count`` iterates each; mean ``r`` takes the iterate after every
    update from the ``avg_from[r]``-th of the epoch on. ``values`` receives
    each update's batch objective when it has one entry per update.

    Returns
    -------
    epoch_value : float
        Sum over the batches of the objective of each batch at the iterate
        before its update, times its share of the rows (the estimate the
        NumPy loop records).
    t : int
        Adam's step count after the epoch.
    failed : int
        -1, or an update (from 0) after which the coefficients were not finite.
    """
    k = b.shape[0]
    d = w.shape[0] // k
    n = order.shape[0]
    n_batches = (n + batch - 1) // batch
    # Batches of equal size within one row (Objective.batches): the first
    # ``longer`` have ``short + 1`` rows.
    short, longer = n // n_batches, n % n_batches
    z = np.empty(k)
    g = np.empty(k)
    gb = np.empty(k)  # the batch's gradient in the intercept
    acc = np.empty(k)
    lazy = batch == 1 and method == SGD and l1 == 0.0
    # One output, dense rows, no L1 part: the straight loops (see the module notes).
    straight = dense and k == 1 and l1 == 0.0
    a = 1.0  # W = a V in lazy mode (V is w itself, rescaled at the end)
    sq = 0.0  # lazy: |V|^2; otherwise |W|^2, and |W|_1 in norm1
    norm1 = 0.0
    for p in range(d * k):
        sq += w[p] * w[p]
        norm1 += abs(w[p])
    epoch_value = 0.0
    t = t0
    # The batch's gradient term in W (a one-row batch steps from its row, or
    # scatters a sparse row into it and clears it after).
    GW = np.zeros(d * k if not lazy and (batch > 1 or not dense) else 1)
    record = values.shape[0] == n_batches
    row = X[0]
    cols = indices[0:0]
    vals = data[0:0]
    for update in range(n_batches):
        first = update * short + min(update, longer)
        size = short + 1 if update < longer else short
        lr = lrs[0] if lrs.shape[0] == 1 else lrs[update]
        value = 0.0
        xsq = 0.0
        for c in range(k):
            gb[c] = 0.0
        for position in range(first, first + size):
            i = order[position]
            if dense and position + PREFETCH_AHEAD < n:
                _prefetch_row(X, order[position + PREFETCH_AHEAD])
            # the products x . V (lazy) or x . W, and |x|^2 (lazy) or |W|^2 (straight)
            if dense:
                row = X[i]
                if k == 1 and lazy:
                    product, xsq = _two_dots(row, w, row, row)
                    acc[0] = product
                elif straight and position == first:
                    product, sq = _two_dots(row, w, w, w)
                    acc[0] = product
                elif straight:
                    acc[0] = _dot(row, w)
                else:
                    for c in range(k):
                        acc[c] = 0.0
                    for j in range(d):
                        for c in range(k):
                            acc[c] += row[j] * w[j * k + c]
                    if lazy:
                        for j in range(d):
                            xsq += row[j] * row[j]
            else:
                cols = indices[indptr[i] : indptr[i + 1]]
                vals = data[indptr[i] : indptr[i + 1]]
                for c in range(k):
                    acc[c] = 0.0
                for q in range(cols.shape[0]):
                    j = cols[q]
                    for c in range(k):
                        acc[c] += vals[q] * w[j * k + c]
                if lazy:
                    for q in range(vals.shape[0]):
                        xsq += vals[q] * vals[q]
            for c in range(k):
                z[c] = a * acc[c] + b[c]
            scale = factor[i] / size  # the row's weight in the batch's objective
            value += scale * _loss_and_derivative(loss, Y[i], z, g)
            for c in range(k):
                g[c] *= scale
                gb[c] += g[c]
            if batch > 1:  # the row's term of the batch's gradient
                if dense and k == 1:
                    gi = g[0]
                    for j in range(d):
                        GW[j] += gi * row[j]
                elif dense:
                    for j in range(d):
                        for c in range(k):
                            GW[j * k + c] += row[j] * g[c]
                else:
                    for q in range(cols.shape[0]):
                        for c in range(k):
                            GW[cols[q] * k + c] += vals[q] * g[c]
        if lazy:
            value += 0.5 * l2 * a * a * sq
        else:
            value += 0.5 * l2 * sq + l1 * norm1
        if straight and not lazy and update > 0 and not np.isfinite(sq):
            return epoch_value, t, update - 1  # the previous update overflowed
        epoch_value += value * (size / n)
        if record:
            values[update] = value
        if lazy:
            decay = 1.0 - lr * l2
            if decay <= 0.0:  # the whole of W is decayed away (or flipped): no lazy form
                shrink = a * decay
                sq = 0.0
                for p in range(d * k):
                    w[p] *= shrink
                    sq += w[p] * w[p]
                for c in range(k):
                    acc[c] *= shrink
                a = 1.0
            else:
                a *= decay
            # V -= x g^T (lr / a), and |V|^2 by the expansion of the square
            change = 0.0
            gg = 0.0
            for c in range(k):
                coef = lr * g[c] / a
                change += coef * acc[c]
                gg += coef * coef
            sq += xsq * gg - 2.0 * change
            if dense and k == 1:
                coef = lr * g[0] / a
                for j in range(d):
                    w[j] -= coef * row[j]
            elif dense:
                for j in range(d):
                    for c in range(k):
                        w[j * k + c] -= (lr * g[c] / a) * row[j]
            else:
                for q in range(cols.shape[0]):
                    j = cols[q]
                    for c in range(k):
                        w[j * k + c] -= (lr * g[c] / a) * vals[q]
            if fit_intercept:
                for c in range(k):
                    b[c] -= lr * g[c]
            if a < 1e-9:  # rescale before V grows too large
                for p in range(d * k):
                    w[p] *= a
                sq *= a * a
                a = 1.0
        else:
            if method == ADAM or method == ADAGRAD:
                t += 1
            if method == ADAGRAD:  # s = c1 s + c2 g^2
                c1 = beta_2
                c2 = beta_1
            else:
                c1 = 1.0 - beta_1**t
                c2 = 1.0 - beta_2**t
            last = update == n_batches - 1
            if straight and batch == 1:
                _dense_update(
                    method, nesterov, last, row, g[0], w, s1w, s2w, lr, l2,
                    beta_1, beta_2, epsilon, c1, c2,
                )  # fmt: skip
            elif straight:
                _dense_update(
                    method, nesterov, last, GW, 1.0, w, s1w, s2w, lr, l2,
                    beta_1, beta_2, epsilon, c1, c2,
                )  # fmt: skip
            elif batch == 1:
                sq, norm1 = _general_update(
                    method, nesterov, dense, row, cols, vals, g, GW, w, s1w, s2w, lr, l1, l2,
                    beta_1, beta_2, epsilon, c1, c2,
                )  # fmt: skip
            else:
                sq, norm1 = _general_update(
                    method, nesterov, False, row, cols[0:0], vals[0:0], g, GW, w, s1w, s2w,
                    lr, l1, l2, beta_1, beta_2, epsilon, c1, c2,
                )  # fmt: skip
            if batch > 1:
                for p in range(d * k):
                    GW[p] = 0.0
            if fit_intercept:
                for c in range(k):
                    if method == SGD:
                        b[c] -= lr * gb[c]
                    elif method == MOMENTUM:
                        step = lr * gb[c] - beta_1 * (b[c] - s1b[c])
                        if nesterov:
                            step += beta_1 * lr * (gb[c] - s2b[c])
                        s1b[c] = b[c]
                        s2b[c] = gb[c]
                        b[c] -= step
                    elif method == ADAGRAD:
                        v = c1 * s2b[c] + c2 * gb[c] * gb[c]
                        s2b[c] = v
                        b[c] -= lr / (np.sqrt(v) + epsilon) * gb[c]
                    else:
                        m = beta_1 * s1b[c] + (1.0 - beta_1) * gb[c]
                        v = beta_2 * s2b[c] + (1.0 - beta_2) * gb[c] * gb[c]
                        s1b[c] = m
                        s2b[c] = v
                        b[c] -= lr * ((m / c1) * (1.0 / (np.sqrt(v / c2) + epsilon)))
        # |W|^2 (or |V|^2 and a) finite means every weight is finite; the
        # straight loops learn |W|^2 at the next update (and at the end, below)
        finite = np.isfinite(sq) and np.isfinite(a) and np.isfinite(value)
        for c in range(k):
            finite = finite and np.isfinite(b[c])
        if not finite:
            if lazy:
                for p in range(d * k):
                    w[p] *= a
            return epoch_value, t, update
        # the running means of the iterates
        for r in range(avg_from.shape[0]):
            if update < avg_from[r]:
                continue
            avg_count[r] += 1
            count = avg_count[r]
            mean_w = avg1_w if r == 0 else avg2_w
            mean_b = avg1_b if r == 0 else avg2_b
            for p in range(d * k):
                mean_w[p] += (a * w[p] - mean_w[p]) / count
            if fit_intercept:
                for c in range(k):
                    mean_b[c] += (b[c] - mean_b[c]) / count
    if lazy and a != 1.0:
        for p in range(d * k):
            w[p] *= a
    if straight and not lazy and n_batches > 0:
        total = 0.0
        for p in range(d):
            total += w[p] * w[p]
        if not np.isfinite(total):
            return epoch_value, t, n_batches - 1
    return epoch_value, t, -1


#: The epoch in Python and NumPy: the reference the compiled loop repeats.
epoch_python = _epoch

#: Functions the compiled epoch calls (compiled with it, inlined where LLVM sees fit).
_HELPERS = (
    _loss_and_derivative,
    _soft,
    _prefetch_row,
    _dot,
    _two_dots,
    _dense_update,
    _general_update,
)


def _numba_enabled():
    """numba is installed and not disabled by ``SKLEARN_GD_DISABLE_NUMBA`` (no import)."""
    import importlib.util

    flag = os.environ.get("SKLEARN_GD_DISABLE_NUMBA", "")
    return flag in ("", "0") and importlib.util.find_spec("numba") is not None


_REGISTERED = []


def register_helpers():
    """Let compiled code call the helpers (``register_jitable``), once per process.

    They stay the plain Python functions the twin calls; compiled callers
    compile them with themselves.
    """
    if not _REGISTERED:
        from numba.extending import overload, register_jitable

        for helper in _HELPERS:
            register_jitable(helper)
        prefetch_line = _prefetch_intrinsic()

        @overload(_prefetch)
        def _prefetch_compiled(row, j):
            return lambda row, j: prefetch_line(row, j)

        _REGISTERED.append(True)


def _prefetch_intrinsic():
    """LLVM's ``prefetch`` (read, keep in all cache levels) of an array item's address."""
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def prefetch_line(typingctx, array, index):
        if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
            return None

        def codegen(context, builder, signature, args):
            array_type, index_type = signature.args
            data = context.make_array(array_type)(context, builder, args[0])
            where = context.cast(builder, args[1], index_type, types.intp)
            pointer = cgutils.get_item_pointer(
                context, builder, array_type, data, [where], wraparound=False
            )
            byte_pointer = ir.IntType(8).as_pointer()
            i32 = ir.IntType(32)
            function = cgutils.get_or_insert_function(
                builder.module,
                ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
                "llvm.prefetch.p0",
            )
            # read (0), high locality (3), data cache (1)
            builder.call(function, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)])
            return context.get_dummy_value()

        return types.void(array, index), codegen

    return prefetch_line


def _compile():
    """The compiled epoch (numba is imported here, at the first compiled epoch).

    The epoch is compiled with ``cache=True``: it is a module-level function
    without closure, which numba's cache requires.
    """
    import numba

    register_helpers()
    return numba.njit(cache=True, nogil=True, error_model="numpy")(_epoch)


#: Whether :func:`run_epoch` runs compiled code (numba installed and not disabled).
COMPILED = _numba_enabled()
#: The compiled epoch once compiled (at the first compiled call); None before.
_COMPILED_EPOCH = None


def compiled_epoch():
    """The compiled epoch (numba's dispatcher), compiling or loading it at the first call."""
    global _COMPILED_EPOCH
    if _COMPILED_EPOCH is None:
        _COMPILED_EPOCH = _compile()
    return _COMPILED_EPOCH


def _flat(a):
    """The flat view of a C-ordered float64 array (an error rather than a silent copy)."""
    if not (a.flags.c_contiguous and a.dtype == np.float64):
        raise ValueError("the kernel's arrays must be C-contiguous float64 (updated in place)")
    return a.reshape(-1)


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
    batch=1,
    means=(),
    values=None,
    compiled=None,
):
    """One epoch of updates over the rows ``order``, ``batch`` at a time (in place).

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
    method : {SGD, MOMENTUM, ADAM, ADAGRAD}
    lr : float or ndarray of shape (n_updates,)
        The step of every update of this epoch, or of each
        (``n_updates = ceil(len(order) / batch)``).
    l1, l2 : float
        Strengths of the L1 and L2 parts of the penalty.
    beta_1, beta_2, epsilon, nesterov
        The momentum (``beta_1``) and Adam's hyperparameters; for ADAGRAD the
        weights of ``s = beta_2 s + beta_1 g^2``.
    state : tuple of 4 arrays or None
        ``(W-shaped, b-shaped, W-shaped, b-shaped)``: the momentum's previous
        iterate and gradient, or Adam's first and second moments, or (the last
        two) AdaGrad's ``s``. None for sgd.
    t : int
        Adam's step count before the epoch (unused by AdaGrad and RMSProp).
    batch : int
        Most rows per update: ``order`` is cut into ``ceil(len(order) / batch)``
        consecutive runs of equal size within one row (as
        :meth:`Objective.batches` cuts an epoch), each scaled as
        :meth:`Objective.batch` scales it.
    means : sequence of at most 2 ``[W_mean, b_mean, count, start]`` lists
        Running means of the iterates, updated in place (``count`` too): the
        iterate after each update from the ``start``-th of the epoch on (from
        0) is added to the mean of ``count`` iterates.
    values : ndarray of shape (n_updates,) or None
        Receives the batch objective of every update.
    compiled : bool or None
        Force the compiled (True) or Python (False) loop; None: compiled when available.

    Returns
    -------
    epoch_value : float
        The batch objectives before each update, weighted by their shares of the rows.
    t : int
        Adam's step count after the epoch.
    failed : int
        -1, or an update (from 0) after which the coefficients were not finite.
    """
    import scipy.sparse as sp

    use_compiled = COMPILED if compiled is None else compiled
    if use_compiled and not COMPILED:
        raise RuntimeError("numba is not installed or is disabled (SKLEARN_GD_DISABLE_NUMBA)")
    epoch = compiled_epoch() if use_compiled else epoch_python
    d, k = W.shape
    if state is None:
        state = (np.zeros((d, k)), np.zeros(k), np.zeros((d, k)), np.zeros(k))
    if sp.issparse(X):
        X = X.tocsr()
        dense, X2, data, indices, indptr = False, np.zeros((1, 1)), X.data, X.indices, X.indptr
    else:
        empty = np.zeros(1, dtype=np.int64)
        dense, X2, data, indices, indptr = True, X, np.zeros(1), empty, empty
    batch = int(batch)
    if batch < 1:
        raise ValueError(f"batch must be at least 1; got {batch}")
    n_updates = -(-len(order) // batch)
    lrs = np.atleast_1d(np.asarray(lr, dtype=np.float64))
    if lrs.shape[0] not in (1, n_updates):
        raise ValueError(f"lr must be one step or one per update ({n_updates}); got {lrs.shape[0]}")
    means = list(means)
    if len(means) > 2:
        raise ValueError("at most two running means")
    mean_arrays = [(_flat(mw), mb) for mw, mb, _, _ in means]
    mean_arrays += [(np.zeros(1), np.zeros(k))] * (2 - len(means))
    counts = np.array([m[2] for m in means], dtype=np.int64)
    starts = np.array([m[3] for m in means], dtype=np.int64)
    values = np.zeros(0) if values is None else values
    with np.errstate(all="ignore"):  # overflow is reported through ``failed``
        value, t, failed = epoch(
            dense,
            X2,
            data,
            indices,
            indptr,
            Y,
            np.asarray(factor, dtype=np.float64),
            np.asarray(order, dtype=np.int64),
            batch,
            lrs,
            _flat(W),
            b,
            bool(fit_intercept),
            int(loss),
            int(method),
            float(l1),
            float(l2),
            float(beta_1),
            float(beta_2),
            float(epsilon),
            bool(nesterov),
            _flat(state[0]),
            state[1],
            _flat(state[2]),
            state[3],
            int(t),
            mean_arrays[0][0],
            mean_arrays[0][1],
            mean_arrays[1][0],
            mean_arrays[1][1],
            counts,
            starts,
            values,
        )
    for mean, count in zip(means, counts, strict=False):
        mean[2] = int(count)
    return float(value), int(t), int(failed)
