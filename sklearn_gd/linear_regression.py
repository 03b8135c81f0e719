"""Estimator layer: :class:`GDLinearRegression`, least squares by the solver you name."""

from sklearn.base import RegressorMixin
from sklearn.utils._available_if import available_if

from ._estimator import _HISTORY_DOC, _SHARED_DOC, GDLinearModel, fit_context, predicts_rows
from ._loss import SquaredLoss


class GDLinearRegression(RegressorMixin, GDLinearModel):
    __doc__ = (
        r"""Linear least squares trained by gradient descent or a variant of it.

    Minimises, with sample weights :math:`s_i` and :math:`S = \sum_i s_i`,

    .. math::

        \frac{1}{S} \sum_i s_i \frac{1}{2} (y_i - x_i \cdot w - b)^2
        + \alpha \Big( \rho \lVert w \rVert_1
        + \frac{1 - \rho}{2} \lVert w \rVert_2^2 \Big)

    With ``alpha=0`` (the default) this is ordinary least squares and every
    deterministic solver lands on the normal equation's solution. It equals
    scikit-learn's ``Ridge(alpha=alpha * S)`` for ``l1_ratio=0`` and
    ``Lasso(alpha=alpha)`` / ``ElasticNet(alpha, l1_ratio)`` (unweighted).

    The objective is *half* the mean squared error, so (with ``alpha=0``) its
    gradient in :math:`(w, b)` is
    :math:`\frac{1}{S} \sum_i s_i (x_i \cdot w + b - y_i)\, (x_i, 1)`: a
    gradient-descent loop on the full mean squared error with step
    :math:`\eta` takes the steps of ``solver="gd", learning_rate=2 * eta,
    schedule="constant"``, and the losses it prints are twice
    ``history_["objective"]`` (see the user guide's derivations page).

    Parameters
    ----------"""
        + _SHARED_DOC.replace("alpha : float >= 0", "alpha : float >= 0, default=0.0")
        + """
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Weights ``w``.
    intercept_ : float
        Intercept ``b`` (0.0 when ``fit_intercept=False``).
"""
        + _HISTORY_DOC
        + """    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` had string column names.

    Examples
    --------
    >>>     >>> from sklearn_gd import GDLinearRegression
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> y = 2 * X.ravel() + 1
    >>> reg = GDLinearRegression(solver="gd", tol=1e-8).fit(X, y)
    >>> print(round(float(reg.coef_[0]), 6), round(float(reg.intercept_), 6))
    2.0 1.0
    """
    )

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 stays float32.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight equals repeating the row.

        Returns
        -------
        self : GDLinearRegression
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    @available_if(GDLinearModel._check_partial_fit)
    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One pass (epoch) over ``X``, continuing from the previous calls.

        For the solvers that keep a state between passes (those whose
        ``supports_partial_fit`` is set: ``solvers_with("supports_partial_fit")``
        lists them); other solvers have no ``partial_fit``. Everything the run
        changes is kept between calls: the optimiser's buffers (momentum,
        Adam's moments and step count), the learning rate (``"auto"`` is
        resolved on the first call), the schedule's position and its plateau
        reductions. ``early_stopping`` does not apply.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A block of training data; later calls must have the same features.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        self : GDLinearRegression
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, partial=True)

    def _loss(self):
        return SquaredLoss()

    def _coef_attributes(self, C, d):
        attributes = super()._coef_attributes(C, d)
        attributes["coef_"] = attributes["coef_"].ravel()
        attributes["intercept_"] = attributes["intercept_"][0]
        return attributes

    @predicts_rows
    def predict(self, X):
        """Predict ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predicted values.
        """
        return self._linear_predictor(X)
