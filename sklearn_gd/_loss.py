r"""Loss layer: pointwise losses of the linear predictor, with their links and targets.

Each loss sees only targets ``Y`` and linear predictors ``Z``, both of shape
``(n_samples, n_outputs)``, and returns per-sample values; weighting, averaging
and the penalty are the objective's job. Every method is written so that logits
of any size (``|z| = 1e4`` and beyond) give finite values and no NumPy warnings.

A loss owns its model, as scikit-learn's ``sklearn._loss`` losses do: its
link (the prediction is ``inverse_link(z)``), the targets it is defined for
(:meth:`Loss.target_matrix`, :meth:`Loss.in_target_range`), the intercept of
the model with zero coefficients (:meth:`Loss.intercept_only`) and a bound of
its curvature in ``z`` (:attr:`Loss.curvature_bound`, None when it has none).
:class:`Loss` documents the contract; :data:`LOSSES` lists the losses.

``loss_difference(Y, Z0, D)`` gives :math:`\ell(y, z_0 + d) - \ell(y, z_0)` per
sample without subtracting two large losses: its rounding error is relative to
the difference, not to the losses. Solvers that finish a fit near the optimum
compare such differences, which stay resolvable long after the objective's
value has stopped changing in floating point.

========================  ================================  =====================  ============
loss                      :math:`\ell(y, z)` per sample     gradient in :math:`z`  inverse link
========================  ================================  =====================  ============
:class:`SquaredLoss`      :math:`\tfrac12 (y - z)^2`        :math:`z - y`          identity
:class:`LogisticLoss`     :math:`\log(1 + e^z) - y z`       :math:`\sigma(z) - y`  sigmoid
:class:`MultinomialLoss`  :math:`\log\sum_k e^{z_k} - z_y`  :math:`p - y`          softmax
========================  ================================  =====================  ============

(:math:`p = \mathrm{softmax}(z)`; the links: identity, logit, symmetric multinomial logit.)
"""

import numpy as np
from scipy.special import expit, log_expit, log_softmax, logit, softmax
from sklearn._loss.link import Interval

#: How far inside an open prediction range the mean target is clipped before
#: its link is taken (a class absent from the data: log-odds of about -18).
RANGE_MARGIN = 1e-8


def weighted_column_means(Y, sample_weight):
    """``sum_i s_i Y_i / sum_i s_i``, the weighted mean of each column of ``Y``.

    One pass over ``Y`` whatever it is (NumPy array, or a lazy array with a
    ``compute`` method, such as a dask array).
    """
    total = (Y * sample_weight[:, None]).sum(axis=0) / sample_weight.sum()
    if hasattr(total, "compute"):
        total = total.compute()
    return np.asarray(total, dtype=np.float64)


def _interval_text(interval):
    """``[0, 1]``, ``(0, inf)``...: an :class:`Interval` as mathematics writes it."""
    left = "[" if interval.low_inclusive else "("
    right = "]" if interval.high_inclusive else ")"
    return f"{left}{interval.low:g}, {interval.high:g}{right}"


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


class Loss:
    r"""The contract of a loss: a convex :math:`\ell(y, z)` of the linear predictor and its model.

    A loss sees the encoded targets ``Y`` and the linear predictors ``Z``, both
    of shape ``(n_samples, n_outputs)``; per sample it gives the value
    :math:`\ell(y_i, z_i)`, the gradient :math:`\nabla_z \ell` and the Hessian
    :math:`\nabla_z^2 \ell` (as a product and as blocks). The objective weights,
    sums and penalises them. The model of the loss is

    * its link :math:`g`: the prediction is :math:`\hat y = g^{-1}(z)`, valued
      in :attr:`prediction_range` (:meth:`link`, :meth:`inverse_link`);
    * the targets it is defined for, :attr:`target_range`
      (:meth:`target_matrix`, :meth:`in_target_range`);
    * the intercept-only model :math:`b^\star = \arg\min_b \sum_i s_i \ell(y_i, b)`,
      which for the canonical links here is :math:`g(\bar y)` with
      :math:`\bar y = \sum_i s_i y_i / \sum_i s_i` (:meth:`intercept_only`);
    * a global bound :math:`\lambda_{\max}(\nabla_z^2 \ell(y, z)) \le c` over
      every :math:`z` and valid :math:`y` (:attr:`curvature_bound`), from which
      the objective's Lipschitz constants are :math:`c\,\lambda_{\max}(X_1^\top
      S X_1) / \sum_i s_i`. A loss without one (Poisson: :math:`e^z`) sets it to
      None; solvers whose steps need one then refuse it.

    Subclasses implement :meth:`loss_gradient`, :meth:`loss_difference`,
    :meth:`hessian_operator`, :meth:`hessian_blocks`, :meth:`link` and
    :meth:`inverse_link`, and set the ranges and the bound.

    Attributes
    ----------
    curvature_bound : float or None
        Upper bound :math:`c` of the eigenvalues of the per-sample Hessian in
        ``z``; None when there is no global one.
    is_quadratic : bool
        Whether :math:`\ell` is quadratic in ``z`` (the objective's Hessian is
        then constant: a Gram matrix).
    target_range : sklearn._loss.link.Interval
        The values an entry of the encoded targets ``Y`` may take.
    prediction_range : sklearn._loss.link.Interval
        The values of :meth:`inverse_link`.
    """

    curvature_bound = None
    is_quadratic = False
    target_range = Interval(-np.inf, np.inf, False, False)
    prediction_range = Interval(-np.inf, np.inf, False, False)

    # ----------------------------------------------------------- the model
    def link(self, P):
        """The link :math:`g`: predictions ``P`` (in :attr:`prediction_range`) to ``z``."""
        raise NotImplementedError

    def inverse_link(self, Z):
        r"""The inverse link :math:`g^{-1}`: linear predictors ``Z`` to predictions."""
        raise NotImplementedError

    def target_matrix(self, y, n_classes, dtype):
        """The targets as the ``(n_samples, n_outputs)`` matrix the loss sees, checked.

        Parameters
        ----------
        y : ndarray of shape (n_samples,)
            Real targets, or class indices for a classification loss.
        n_classes : int or None
            The number of classes (None for a regression loss).
        dtype : dtype
            The dtype of ``X``, which ``Y`` takes.

        Returns
        -------
        ndarray of shape (n_samples, n_outputs)

        Raises
        ------
        ValueError
            When a target lies outside :attr:`target_range`.
        """
        Y = np.asarray(y).astype(dtype, copy=False).reshape(-1, 1)
        self.check_targets(Y)
        return Y

    def in_target_range(self, Y):
        """Whether no entry of ``Y`` lies outside :attr:`target_range`.

        NaN is not judged here (the input layer refuses non-finite targets).
        """
        r = self.target_range
        below = np.less(Y, r.low) if r.low_inclusive else np.less_equal(Y, r.low)
        above = np.greater(Y, r.high) if r.high_inclusive else np.greater_equal(Y, r.high)
        return not (np.any(below) or np.any(above))

    def check_targets(self, Y):
        """Raise a ``ValueError`` naming the valid range unless :meth:`in_target_range`."""
        if not self.in_target_range(Y):
            raise ValueError(
                f"{type(self).__name__} needs targets in {_interval_text(self.target_range)}; "
                f"y holds values from {np.min(Y):.6g} to {np.max(Y):.6g}."
            )

    def intercept_only(self, Y, sample_weight):
        r"""The intercept of the model with zero coefficients, one per output.

        :math:`b^\star = g(\bar y)`, the link of the weighted mean target
        :math:`\bar y = \sum_i s_i y_i / \sum_i s_i` (clipped
        :data:`RANGE_MARGIN` inside an open :attr:`prediction_range`), which
        minimises :math:`\sum_i s_i \ell(y_i, b)` for a canonical link (its
        gradient :math:`\sum_i s_i (g^{-1}(b) - y_i)` vanishes there).

        Parameters
        ----------
        Y : array of shape (n_samples, n_outputs)
            Encoded targets (a NumPy or dask array).
        sample_weight : array of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_outputs,)
        """
        return self.intercept_of_mean(weighted_column_means(Y, sample_weight))

    def intercept_of_mean(self, mean):
        """:meth:`intercept_only` from the weighted mean target ``mean`` itself."""
        r = self.prediction_range
        low = None if r.low == -np.inf else r.low + (0.0 if r.low_inclusive else RANGE_MARGIN)
        high = None if r.high == np.inf else r.high - (0.0 if r.high_inclusive else RANGE_MARGIN)
        if low is not None or high is not None:
            mean = np.clip(mean, low, high)
        return self.link(mean)

    def mean_inside_range(self, mean):
        """Whether the mean target lies strictly inside :attr:`prediction_range`.

        Outside it (a class absent from the data) :meth:`intercept_only` is the
        link of a clipped mean, far out.
        """
        r = self.prediction_range
        return bool(np.all(np.greater(mean, r.low)) and np.all(np.less(mean, r.high)))

    # ------------------------------------------------------ the derivatives
    def loss_gradient(self, Y, Z):
        """Per-sample losses, shape (n_samples,), and their gradients in ``Z``."""
        raise NotImplementedError

    def loss(self, Y, Z):
        """Per-sample losses, shape (n_samples,)."""
        return self.loss_gradient(Y, Z)[0]

    def loss_difference(self, Y, Z0, D):
        r"""``loss(Y, Z0 + D) - loss(Y, Z0)`` without cancellation, shape (n_samples,)."""
        raise NotImplementedError

    def hessian_operator(self, Y, Z):
        """A function ``dZ -> H dZ`` applying the per-sample Hessians in ``z``."""
        raise NotImplementedError

    def hessian_blocks(self, Y, Z):
        """Per-sample Hessian entries: ``{(a, b): h_ab}`` for ``a <= b``, each (n_samples,)."""
        raise NotImplementedError

    def n_hessian_blocks(self, n_outputs):
        """How many entries :meth:`hessian_blocks` returns for ``n_outputs`` (diagonal: k)."""
        return n_outputs


class SquaredLoss(Loss):
    r"""Half squared error :math:`\ell(y, z) = \tfrac12 (y - z)^2`, identity link.

    Its Hessian in ``z`` is 1, so the objective's curvature is that of the data;
    the intercept-only model is the weighted mean of ``y``. Several outputs (a
    2-D ``y``) are independent columns.
    """

    #: Upper bound of the Hessian of the loss in ``z`` (for Lipschitz constants).
    curvature_bound = 1.0
    #: The objective is quadratic in the coefficients: its Hessian is constant.
    is_quadratic = True

    def link(self, P):
        """The identity."""
        return P

    def inverse_link(self, Z):
        """The identity: the prediction is the linear predictor."""
        return Z

    def target_matrix(self, y, n_classes, dtype):
        """Real targets ``y`` as one column (a 2-D ``y`` as it is), refusing values
        the loss cannot square.

        The objective sums ``s_i (y_i - z_i)^2 / 2`` (weights at most 1): with
        ``|y|`` near the square root of the largest float it is not finite even
        at zero coefficients. Such targets (of a 1-D ``y``) are refused before
        any solver runs, with room for the residuals to grow. ``n_classes`` is
        unused (None).
        """
        y = np.asarray(y)
        if y.ndim == 2:
            return y.astype(dtype, copy=False)
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


class LogisticLoss(Loss):
    r"""Binary cross-entropy of a sigmoid, one independent column per output; logit link.

    With :math:`y \in \{0, 1\}` and :math:`p = \sigma(z) = 1 / (1 + e^{-z})`,
    :math:`\ell(y, z) = -y \log p - (1 - y) \log(1 - p) = \log(1 + e^z) - y z`,
    its gradient is :math:`p - y` and its Hessian :math:`p (1 - p) \le 1/4`.
    Several columns are summed: that is one-vs-rest, one binary model per class.
    The intercept-only model is the log-odds :math:`\log(\bar y / (1 - \bar y))`
    of the weighted class share.
    """

    curvature_bound = 0.25
    target_range = Interval(0.0, 1.0, True, True)
    prediction_range = Interval(0.0, 1.0, False, False)

    def link(self, P):
        r"""The logit :math:`\log(p / (1 - p))`."""
        return logit(P)

    def inverse_link(self, Z):
        """The sigmoid :math:`1 / (1 + e^{-z})` of each column."""
        return expit(Z)

    def log_inverse_link(self, Z):
        r""":math:`\log \sigma(z)` of each column, without underflow."""
        return log_expit(Z)

    def target_matrix(self, labels, n_classes, dtype):
        """Class indices as 0/1 indicators: one column for two classes
        (``labels`` itself), one column per class above (one-vs-rest)."""
        if n_classes == 2:
            Y = labels.reshape(-1, 1).astype(dtype)
        else:
            Y = _one_hot(labels, n_classes, dtype)
        self.check_targets(Y)
        return Y

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


class MultinomialLoss(Loss):
    r"""Cross-entropy of the softmax over ``n_outputs`` classes; multinomial logit link.

    With one-hot :math:`y` and :math:`p = \mathrm{softmax}(z)`,
    :math:`\ell(y, z) = \log \sum_k e^{z_k} - \sum_k y_k z_k`, its gradient is
    :math:`p - y` and its Hessian :math:`\mathrm{diag}(p) - p p^\top`, whose
    largest eigenvalue is at most 1/2. The link is the symmetric multinomial
    logit :math:`g(p)_k = \log p_k - \frac1K \sum_j \log p_j` (the
    representative of ``z`` whose entries sum to zero), so the intercept-only
    model is the centred log class frequencies.
    """

    curvature_bound = 0.5
    target_range = Interval(0.0, 1.0, True, True)
    prediction_range = Interval(0.0, 1.0, False, False)

    def link(self, P):
        """The symmetric multinomial logit of the rows of ``P`` (or of one vector)."""
        log_p = np.log(P)
        return log_p - log_p.mean(axis=-1, keepdims=True)

    def inverse_link(self, Z):
        """The softmax of each row."""
        return softmax(Z, axis=1)

    def log_inverse_link(self, Z):
        """The log-softmax of each row; differences below the float range give -inf."""
        with np.errstate(over="ignore"):
            return log_softmax(Z, axis=1)

    def target_matrix(self, labels, n_classes, dtype):
        """Class indices as one-hot rows, one column per class (two included)."""
        Y = _one_hot(labels, n_classes, dtype)
        self.check_targets(Y)
        return Y

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


#: The losses by name: the protocol tests run over every one.
LOSSES = {"squared": SquaredLoss, "logistic": LogisticLoss, "multinomial": MultinomialLoss}
