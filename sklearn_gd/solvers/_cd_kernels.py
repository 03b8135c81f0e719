r"""Coordinate descent on a quadratic model with an L1 term: the inner loop of ``"cd"``.

The model, on ``m`` coordinates,

.. math::

    \min_x \; q_0^\top (x - x_0) + \tfrac12 (x - x_0)^\top H (x - x_0)
    + \lambda \sum_{i \in \mathcal{P}} |x_i|,

is minimised one coordinate at a time in covariance form: the model's
gradient ``q = q_0 + H (x - x_0)`` is kept up to date, so each update costs one
row of ``H`` (``O(m)``, no pass over the data). Coordinate ``i`` moves to

.. math::

    x_i \leftarrow S_{\lambda / H_{ii}}\big(x_i - q_i / H_{ii}\big)

(soft-thresholding ``S`` for the penalised coordinates, none for the others),
and ``q \leftarrow q + (x_i^{new} - x_i) H_{:, i}``.

Two implementations of the same update sequence: :func:`cd_epochs_python`
(NumPy, always available) and, when numba is installed, the same loop compiled.
:func:`cd_epochs` runs the compiled one unless numba is missing or the
environment variable ``SKLEARN_GD_DISABLE_NUMBA`` is set to a non-empty value
other than ``0`` (read at import); :data:`COMPILED` says which one is in use.
Both stop after the first epoch whose largest violation of the model's
optimality conditions is at most ``tol``.
"""

import os

import numpy as np


def _violation(q_i, x_i, l1, penalized):
    """Distance of ``-q_i`` to ``l1`` times the subdifferential of ``|x_i|``."""
    if not penalized:
        return abs(q_i)
    if x_i > 0:
        return abs(q_i + l1)
    if x_i < 0:
        return abs(q_i - l1)
    return max(abs(q_i) - l1, 0.0)


def cd_epochs_python(H, q, x, l1, penalized, max_epochs, tol):
    """Coordinate descent epochs on the model; ``q`` and ``x`` are updated in place.

    Parameters
    ----------
    H : ndarray of shape (m, m)
        Symmetric positive semi-definite (C order); coordinates with
        ``H[i, i] <= 0`` are left alone.
    q : ndarray of shape (m,)
        The model's gradient at ``x`` (updated in place).
    x : ndarray of shape (m,)
        The current point (updated in place).
    l1 : float
        Strength of the L1 term.
    penalized : ndarray of bool, shape (m,)
        Which coordinates carry the L1 term.
    max_epochs : int
        Most passes over the coordinates.
    tol : float
        Stop once the largest violation of the optimality conditions is at most this.

    Returns
    -------
    epochs : int
        Epochs run.
    violation : float
        The largest violation after the last epoch.
    """
    m = x.shape[0]
    violation = np.inf
    epochs = 0
    while epochs < max_epochs:
        epochs += 1
        for i in range(m):
            hii = H[i, i]
            if hii <= 0.0:
                continue
            old = x[i]
            u = old - q[i] / hii
            if penalized[i]:
                new = np.sign(u) * max(abs(u) - l1 / hii, 0.0)
            else:
                new = u
            if new != old:
                x[i] = new
                q += (new - old) * H[i]
        violation = 0.0
        for i in range(m):
            if H[i, i] > 0.0:
                violation = max(violation, _violation(q[i], x[i], l1, penalized[i]))
        if violation <= tol:
            break
    return epochs, violation


def _numba_enabled():
    """numba is installed and not disabled by ``SKLEARN_GD_DISABLE_NUMBA`` (no import)."""
    import importlib.util

    flag = os.environ.get("SKLEARN_GD_DISABLE_NUMBA", "")
    return flag in ("", "0") and importlib.util.find_spec("numba") is not None


def _compile():
    """The compiled loop (numba is imported here, at the first solve, not at import)."""
    import numba

    @numba.njit(cache=True, nogil=True)
    def cd_epochs_compiled(H, q, x, l1, penalized, max_epochs, tol):
        m = x.shape[0]
        violation = np.inf
        epochs = 0
        while epochs < max_epochs:
            epochs += 1
            for i in range(m):
                hii = H[i, i]
                if hii <= 0.0:
                    continue
                old = x[i]
                u = old - q[i] / hii
                if penalized[i]:
                    shrunk = abs(u) - l1 / hii
                    new = np.sign(u) * shrunk if shrunk > 0.0 else 0.0
                else:
                    new = u
                if new != old:
                    x[i] = new
                    diff = new - old
                    for j in range(m):
                        q[j] += diff * H[i, j]
            violation = 0.0
            for i in range(m):
                if H[i, i] <= 0.0:
                    continue
                if not penalized[i]:
                    v = abs(q[i])
                elif x[i] > 0:
                    v = abs(q[i] + l1)
                elif x[i] < 0:
                    v = abs(q[i] - l1)
                else:
                    v = max(abs(q[i]) - l1, 0.0)
                violation = max(violation, v)
            if violation <= tol:
                break
        return epochs, violation

    return cd_epochs_compiled


#: Whether :func:`cd_epochs` runs compiled code (numba installed and not disabled).
COMPILED = _numba_enabled()
#: The compiled loop once compiled; None before the first call (and without numba).
_COMPILED_KERNEL = None


def cd_epochs(H, q, x, l1, penalized, max_epochs, tol):
    """:func:`cd_epochs_python`, compiled by numba when it is available (same arguments)."""
    global _COMPILED_KERNEL
    if COMPILED and _COMPILED_KERNEL is None:
        _COMPILED_KERNEL = _compile()
    if COMPILED and _COMPILED_KERNEL is not False:
        epochs, violation = _COMPILED_KERNEL(
            H, q, x, float(l1), penalized, int(max_epochs), float(tol)
        )
        return int(epochs), float(violation)
    return cd_epochs_python(H, q, x, l1, penalized, max_epochs, tol)
