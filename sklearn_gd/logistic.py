"""Estimator layer: :class:`GDLogisticRegression`, sigmoid models, one-vs-rest.

Its model is the logistic loss's (:class:`~sklearn_gd._loss.LogisticLoss`: logit
link, 0/1 indicators, the log-odds of the class shares as the intercept-only model).
"""

import numpy as np
from scipy.special import logsumexp
from sklearn.utils import _safe_indexing

from ._classifier import GDLinearClassifier
from ._estimator import _FITTED_DOC, _SHARED_DOC, predicts_rows
from ._loss import LogisticLoss


class GDLogisticRegression(GDLinearClassifier):
    __doc__ = (
        r"""Logistic regression (sigmoid, one-vs-rest) trained by the solver you name.

    For two classes, with :math:`y_i \in \{0, 1\}` and
    :math:`p_i = \sigma(x_i \cdot w + b)`, it minimises

    .. math::

        \frac{1}{S} \sum_i s_i \big( -y_i \log p_i - (1 - y_i) \log(1 - p_i) \big)
        + \alpha \Big( \rho \lVert w \rVert_1
        + \frac{1 - \rho}{2} \lVert w \rVert_2^2 \Big)

    which for ``l1_ratio=0`` is scikit-learn's ``LogisticRegression(C=1 / (alpha * S))``.
    With more than two classes it fits one such binary model per class (class
    against the rest), jointly, and normalises their probabilities.

    Parameters
    ----------"""
        + _SHARED_DOC.replace("alpha : float >= 0", "alpha : float >= 0, default=1e-4")
        + """    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``; ``"balanced"`` uses
        ``n_samples / (n_classes * np.bincount(y))``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights; one row for two classes, one per class otherwise.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
"""
        + _FITTED_DOC
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_gd import GDLogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), GDLogisticRegression(solver="newton"))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    """
    )

    def _loss(self):
        return LogisticLoss()

    @predicts_rows
    def predict_log_proba(self, X):
        """Logarithm of the probability of each class, computed without underflow.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities; columns follow ``classes_``.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self._log_proba(scores)
        # One-vs-rest: normalise sigmoid(z_k) across classes, in log space.
        log_p = self._loss().log_inverse_link(scores)
        lost = np.flatnonzero(np.all(np.isneginf(log_p), axis=1))
        if lost.size:
            # Every score overflowed to -inf: sigmoid(z_k) = exp(z_k) there, so the
            # normalised probabilities are a softmax of the scores, which only
            # needs them relative to the largest.
            log_p[lost] = self._linear_predictor(_safe_indexing(X, lost), relative=True)
        return log_p - logsumexp(log_p, axis=1, keepdims=True)
