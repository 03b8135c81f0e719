"""Estimator layer: :class:`GDSoftmaxClassifier`, multinomial logistic regression.

Its model is the multinomial loss's (:class:`~sklearn_gd._loss.MultinomialLoss`:
symmetric multinomial logit link, one-hot rows, the centred log class frequencies
as the intercept-only model).
"""

import numpy as np

from ._classifier import GDLinearClassifier
from ._estimator import _FITTED_DOC, _SHARED_DOC, predicts_rows
from ._loss import MultinomialLoss


class GDSoftmaxClassifier(GDLinearClassifier):
    __doc__ = (
        r"""Multinomial (softmax) logistic regression trained by the solver you name.

    With one-hot :math:`y_i`, :math:`z_i = x_i W^\top + b` and
    :math:`p_i = \mathrm{softmax}(z_i)`, it minimises

    .. math::

        \frac{1}{S} \sum_i s_i \Big( -\sum_k y_{ik} \log p_{ik} \Big)
        + \alpha \Big( \rho \lVert W \rVert_1
        + \frac{1 - \rho}{2} \lVert W \rVert_F^2 \Big)

    which for ``l1_ratio=0`` is scikit-learn's multinomial
    ``LogisticRegression(C=1 / (alpha * S))``. It has one row of coefficients
    per class, for two classes too.

    Parameters
    ----------"""
        + _SHARED_DOC.replace("alpha : float >= 0", "alpha : float >= 0, default=1e-4")
        + """    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (n_classes, n_features)
        Weights, one row per class.
    intercept_ : ndarray of shape (n_classes,)
        Intercepts.
"""
        + _FITTED_DOC
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_gd import GDSoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = GDSoftmaxClassifier(alpha=1e-3).fit(X, y)
    >>> clf.coef_.shape
    (3, 4)
    """
    )

    def _loss(self):
        return MultinomialLoss()

    def _coef_attributes(self, C, d):
        # Adding one vector to every class's coefficients leaves the
        # probabilities unchanged, not the penalty: report the representative
        # the objective prefers. Without L1 that is the one whose class
        # coefficients sum to zero (any is as good for the unpenalised
        # intercept and for alpha = 0: centre those too).
        l1 = self.alpha * self.l1_ratio
        if l1 == 0:
            return super()._coef_attributes(C - C.mean(axis=1, keepdims=True), d)
        C = C.copy()
        C[d:] -= C[d:].mean(axis=1, keepdims=True)
        C[:d] -= _best_shift(C[:d], l1, self.alpha * (1.0 - self.l1_ratio)).astype(C.dtype)
        return super()._coef_attributes(C, d)

    @predicts_rows
    def decision_function(self, X):
        """Class scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
            One column per class; for two classes, as scikit-learn's binary
            classifiers, the single score ``z_1 - z_0`` of ``classes_[1]``
            (the log-odds, since ``p_1 = sigmoid(z_1 - z_0)``). A sample whose
            scores overflow the floating-point range gets them relative to its
            largest (``z - max(z)``, the same probabilities) rather than as
            infinities.
        """
        scores = self._linear_predictor(X, relative=True)
        if scores.shape[1] != 2:
            return scores
        with np.errstate(over="ignore"):  # two finite scores far apart: +-inf
            return scores[:, 1] - scores[:, 0]


def _best_shift(W, l1, l2):
    """Per row of ``W`` (feature x class), the ``c`` minimising the penalty of ``W - c``.

    That is ``l1 * sum_k |w_k - c| + l2 / 2 * sum_k (w_k - c) ** 2``, convex and
    piecewise quadratic in ``c``, solved exactly: for pure L1 a median (0 when
    0 is one, to keep the solver's zeros), else the stationary point on the
    interval between two sorted ``w_k`` where the derivative changes sign.
    Rows the shift would not improve beyond rounding are left alone (0).

    Returns
    -------
    ndarray of shape (n_rows, 1)
    """
    W = np.asarray(W, dtype=np.float64)
    n, k = W.shape
    s = np.sort(W, axis=1)
    rows = np.arange(n)
    if l2 == 0:
        c = np.clip(0.0, s[:, (k - 1) // 2], s[:, k // 2])
    else:
        total = W.sum(axis=1)
        j = np.arange(k)
        # derivative just right of the j-th smallest w_k (nondecreasing in j)
        slope = l1 * (2 * (j + 1) - k) + l2 * (k * s - total[:, None])
        J = np.count_nonzero(slope < 0, axis=1)
        lower = np.where(J > 0, s[rows, np.maximum(J - 1, 0)], -np.inf)
        upper = np.where(J < k, s[rows, np.minimum(J, k - 1)], np.inf)
        c = np.clip((total - l1 * (2 * J - k) / l2) / k, lower, upper)

    def penalty(V):
        return l1 * np.abs(V).sum(axis=1) + 0.5 * l2 * (V * V).sum(axis=1)

    before = penalty(W)
    c = np.where(penalty(W - c[:, None]) < before - 1e-12 * before, c, 0.0)
    return c[:, None]
