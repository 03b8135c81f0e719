r"""Loss layer: pointwise losses of the linear predictor, numerically stable.

Each loss sees only targets ``Y`` and linear predictors ``Z``, both of shape
``(n_samples, n_outputs)``, and returns per-sample values; weighting, averaging
and the penalty are the objective's job. Every method is written so that logits
of any size (``|z| = 1e4`` and beyond) give finite values and no NumPy warnings.

``loss_difference(Y, Z0, D)`` gives :math:`\ell(y, z_0 + d) - \ell(y, z_0)` per
sample without subtracting two large losses: its rounding error is relative to
the difference, not to the losses. Solvers that finish a fit near the optimum
compare such differences, which stay resolvable long after the objective's
value has stopped changing in floating point.

========================  ==============================  =======================
loss                      :math:`\ell(y, z)` per sample   gradient in :math:`z`
========================  ==============================  =======================
:class:`SquaredLoss`      :math:`\tfrac12 (y - z)^2`      :math:`z - y`
:class:`LogisticLoss`     :math:`\log(1 + e^z) - y z`     :math:`\sigma(z) - y`
:class:`MultinomialLoss`  :math:`\log\sum_k e^{z_k} - z_y`  :math:`\mathrm{softmax}(z) - y`
========================  ==============================  =======================
"""

import numpy as np
from scipy.special import expit, log_expit


def _one_hot(labels, n_classes, dtype):
    """Rows of the identity: ``Y[i, labels[i]] = 1``."""
    Y = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    Y[np.arange(labels.shape[0]), labels] = 1
    return Y


def _softmax(Z):
    """Row-wise softmax; logit differences beyond the largest float give 0, silently."""
    with np.errstate(over="ignore"):
        E = Z - Z.max(axis=1, keepdims=True)
        np.exp(E, out=E)
    E /= E.sum(axis=1, keepdims=True)
    return E


class SquaredLoss:
    r"""Half squared error :math:`\ell(y, z) = \tfrac12 (y - z)^2` (one output).

    Its Hessian in ``z`` is 1, so the objective's curvature is that of the data.
    """

    #: Upper bound of the Hessian of the loss in ``z`` (for Lipschitz constants).
    curvature_bound = 1.0
    #: The objective is quadratic in the coefficients: its Hessian is constant.
    is_quadratic = True

    def target_matrix(self, y, n_classes, dtype):
        """Real targets ``y`` as one column, refusing values the loss cannot square.

        The objective sums ``s_i (y_i - z_i)^2 / 2`` (weights at most 1): with
        ``|y|`` near the square root of the largest float it is not finite even
        at zero coefficients. Such targets are refused before any solver runs,
        with room for the residuals to grow. ``n_classes`` is unused (None).
        """
        y = np.asarray(y)
        limit = 1e-4 * np.sqrt(np.finfo(dtype).max / max(y.shape[0], 1))
        largest = float(np.max(np.abs(y), initial=0.0))
        if largest > limit:
            raise ValueError(
                f"The targets y are too large for least squares in {np.dtype(dtype).name}: "
                f"max |y| = {largest:.3g} exceeds about {limit:.3g}, beyond which the "
                "squared errors summed over the samples come too close to overflowing "
                "floating point. Scale y first, "
                "e.g. with sklearn.compose.TransformedTargetRegressor(regressor=..., "
                "transformer=StandardScaler()), or divide it by a constant."
            )
        return y.astype(dtype, copy=False).reshape(-1, 1)

    def loss_gradient(self, Y, Z):
        """Per-sample losses, shape (n_samples,), and gradients in ``Z``."""
        R = Z - Y
        return 0.5 * np.einsum("ij,ij->i", R, R), R

    def loss(self, Y, Z):
        """Per-sample losses, shape (n_samples,)."""
        return self.loss_gradient(Y, Z)[0]

    def loss_difference(self, Y, Z0, D):
        r"""``loss(Y, Z0 + D) - loss(Y, Z0)``: :math:`d (z_0 - y + d / 2)`, shape (n_samples,)."""
        return np.einsum("ij,ij->i", D, (Z0 - Y) + 0.5 * D)

    def hessian_operator(self, Y, Z):
        """A function ``dZ -> H dZ`` applying the per-sample Hessians in ``z``."""
        return lambda dZ: dZ

    def hessian_blocks(self, Y, Z):
        """Per-sample Hessian entries: ``{(a, b): h_ab}`` for ``a <= b``, each (n_samples,)."""
        # The identity: one diagonal block per output (several targets), none across.
        ones = np.ones(Z.shape[0], dtype=Z.dtype)
        return {(a, a): ones for a in range(Z.shape[1])}

    def n_hessian_blocks(self, n_outputs):
        """How many entries :meth:`hessian_blocks` returns for ``n_outputs``."""
        return n_outputs


class LogisticLoss:
    r"""Binary cross-entropy of a sigmoid, one independent column per output.

    With :math:`y \in \{0, 1\}` and :math:`p = \sigma(z) = 1 / (1 + e^{-z})`,
    :math:`\ell(y, z) = -y \log p - (1 - y) \log(1 - p) = \log(1 + e^z) - y z`,
    its gradient is :math:`p - y` and its Hessian :math:`p (1 - p) \le 1/4`.
    Several columns are summed: that is one-vs-rest, one binary model per class.
    """

    curvature_bound = 0.25

    def target_matrix(self, labels, n_classes, dtype):
        """Class indices as 0/1 indicators: one column for two classes
        (``labels`` itself), one column per class above (one-vs-rest)."""
        if n_classes == 2:
            return labels.reshape(-1, 1).astype(dtype)
        return _one_hot(labels, n_classes, dtype)

    def loss_gradient(self, Y, Z):
        return self.loss(Y, Z), expit(Z) - Y

    def loss(self, Y, Z):
        # log(1 + e^z) - y z == -log_expit(-z) - y z, finite for any z. A sum
        # over outputs beyond the largest float is +inf, as it should be.
        loss = log_expit(-Z)
        np.negative(loss, out=loss)
        loss -= Y * Z
        if loss.shape[1] == 1:
            return loss[:, 0]
        with np.errstate(over="ignore"):
            return loss.sum(axis=1)

    def loss_difference(self, Y, Z0, D):
        r"""``loss(Y, Z0 + D) - loss(Y, Z0)`` per sample, shape (n_samples,).

        :math:`\log(1 + e^{z_0 + d}) - \log(1 + e^{z_0}) = \log(1 + \sigma(z_0)
        (e^d - 1))`, with ``log1p`` and ``expm1`` (exact for small ``d``); entries
        with ``|d| > 1`` take the plain difference, which is then large.
        """
        with np.errstate(over="ignore"):
            small = np.abs(D) <= 1.0
            Dc = np.where(small, D, 0.0)
            out = np.log1p(expit(Z0) * np.expm1(Dc))
            if not np.all(small):
                plain = -log_expit(-(Z0 + D)) + log_expit(-Z0)
                out = np.where(small, out, plain)
            out -= Y * D
        return out.sum(axis=1)

    def hessian_operator(self, Y, Z):
        P = expit(Z)
        H = P * (1.0 - P)
        return lambda dZ: H * dZ

    def hessian_blocks(self, Y, Z):
        P = expit(Z)
        H = P * (1.0 - P)
        return {(a, a): H[:, a] for a in range(Z.shape[1])}

    def n_hessian_blocks(self, n_outputs):
        return n_outputs


class MultinomialLoss:
    r"""Cross-entropy of the softmax over ``n_outputs`` classes.

    With one-hot :math:`y` and :math:`p = \mathrm{softmax}(z)`,
    :math:`\ell(y, z) = \log \sum_k e^{z_k} - \sum_k y_k z_k`, its gradient is
    :math:`p - y` and its Hessian :math:`\mathrm{diag}(p) - p p^\top`, whose
    largest eigenvalue is at most 1/2.
    """

    curvature_bound = 0.5

    def target_matrix(self, labels, n_classes, dtype):
        """Class indices as one-hot rows, one column per class (two included)."""
        return _one_hot(labels, n_classes, dtype)

    def loss_gradient(self, Y, Z):
        # -sum_k y_k log p_k = sum(y) * logsumexp(z) - y . z, with the row
        # maximum taken out before exponentiating (no overflow for any z).
        # In float64, rounded once to the dtype of Z (line searches compare
        # the losses: one rounding per entry, not one per operation).
        # Differences and values beyond the largest float are -inf / +inf
        # (exp(-inf) = 0; a loss too large to represent is +inf), silently.
        dtype = Z.dtype
        Z = np.asarray(Z, dtype=np.float64)
        with np.errstate(over="ignore"):
            top = Z.max(axis=1, keepdims=True)
            E = Z - top
            np.exp(E, out=E)
            total = E.sum(axis=1, keepdims=True)
            log_norm = (np.log(total) + top)[:, 0]
            loss = Y.sum(axis=1) * log_norm - np.einsum("ij,ij->i", Y, Z)
            E /= total
            E -= Y
            return loss.astype(dtype, copy=False), E.astype(dtype, copy=False)

    def loss(self, Y, Z):
        # The same arithmetic as the fused method: equal values from both.
        return self.loss_gradient(Y, Z)[0]

    def loss_difference(self, Y, Z0, D):
        r"""``loss(Y, Z0 + D) - loss(Y, Z0)`` per sample, shape (n_samples,).

        :math:`\log\sum_k p_k e^{d_k} - y \cdot d = \log(1 + \sum_k p_k (e^{d_k} - 1))
        - y \cdot d` with :math:`p = \mathrm{softmax}(z_0)` (``log1p``, ``expm1``);
        rows with some ``|d_k| > 1`` take the plain difference.
        """
        Z0 = np.asarray(Z0, dtype=np.float64)
        D = np.asarray(D, dtype=np.float64)
        small = np.max(np.abs(D), axis=1) <= 1.0
        Dc = np.where(small[:, None], D, 0.0)
        out = np.log1p(np.einsum("ij,ij->i", _softmax(Z0), np.expm1(Dc)))
        out -= np.einsum("ij,ij->i", Y, D)
        if not np.all(small):
            with np.errstate(over="ignore", invalid="ignore"):
                plain = self.loss(Y, Z0 + D) - self.loss(Y, Z0)
            out = np.where(small, out, plain)
        return out

    def hessian_operator(self, Y, Z):
        P = _softmax(Z)

        def apply(dZ):
            PdZ = P * dZ
            return PdZ - P * PdZ.sum(axis=1, keepdims=True)

        return apply

    def hessian_blocks(self, Y, Z):
        P = _softmax(Z)
        k = Z.shape[1]
        blocks = {}
        for a in range(k):
            for b in range(a, k):
                blocks[(a, b)] = P[:, a] * ((a == b) - P[:, b])
        return blocks

    def n_hessian_blocks(self, n_outputs):
        return n_outputs * (n_outputs + 1) // 2
