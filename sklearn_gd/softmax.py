"""Estimator layer: :class:`GDSoftmaxClassifier`, multinomial logistic regression."""

import numpy as np
from scipy.special import log_expit, log_softmax

from ._classifier import GDLinearClassifier
from ._estimator import _SHARED_DOC, fit_context
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
    n_iter_ : int
        Iterations or epochs the solver ran.
    loss_curve_ : list of float
        The objective after each iteration (epoch mean for mini-batch solvers).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` had string column names.

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

    def __init__(
        self,
        *,
        solver="lbfgs",
        alpha=1e-4,
        l1_ratio=0.0,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-4,
        learning_rate="auto",
        batch_size="auto",
        random_state=None,
        verbose=0,
        warm_start=False,
        class_weight=None,
    ):
        super().__init__(
            solver=solver,
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            max_iter=max_iter,
            tol=tol,
            learning_rate=learning_rate,
            batch_size=batch_size,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
        )
        self.class_weight = class_weight

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 stays float32.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight equals repeating the row.

        Returns
        -------
        self : GDSoftmaxClassifier
            The fitted estimator.
        """
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight)
        labels, sample_weight = self._encode_classes(y, sample_weight)
        Y = np.zeros((labels.shape[0], self.classes_.shape[0]), dtype=X.dtype)
        Y[np.arange(labels.shape[0]), labels] = 1
        C = self._run_solver(X, Y, sample_weight, MultinomialLoss())
        # Adding one vector to every class's coefficients leaves the
        # probabilities unchanged; report the representative whose class
        # coefficients sum to zero (the penalised optimum already does for W).
        C -= C.mean(axis=1, keepdims=True)
        self._set_coef(C, X.shape[1])
        return self

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
            (the log-odds, since ``p_1 = sigmoid(z_1 - z_0)``).
        """
        scores = self._linear_predictor(X)
        return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores

    def _log_proba(self, scores):
        if scores.ndim == 1:
            return np.column_stack([log_expit(-scores), log_expit(scores)])
        return log_softmax(scores, axis=1)

