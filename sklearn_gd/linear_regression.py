"""Estimator layer: :class:`GDLinearRegression`, least squares by the solver you name."""

import numpy as np
from sklearn.base import RegressorMixin

from ._estimator import _SHARED_DOC, GDLinearModel, fit_context
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
    >>> import numpy as np
    >>> from sklearn_gd import GDLinearRegression
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> y = 2 * X.ravel() + 1
    >>> reg = GDLinearRegression(solver="gd", tol=1e-10).fit(X, y)
    >>> print(round(float(reg.coef_[0]), 6), round(float(reg.intercept_), 6))
    2.0 1.0
    """
    )

    def __init__(
        self,
        *,
        solver="lbfgs",
        alpha=0.0,
        l1_ratio=0.0,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-4,
        learning_rate="auto",
        batch_size="auto",
        random_state=None,
        verbose=0,
        warm_start=False,
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
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight)
        Y = np.asarray(y, dtype=X.dtype).reshape(-1, 1)
        C = self._run_solver(X, Y, sample_weight, SquaredLoss())
        self._set_coef(C, X.shape[1])
        self.coef_ = self.coef_.ravel()
        self.intercept_ = self.intercept_[0]
        return self

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

    def _coef_matrix(self):
        W = self.coef_.reshape(-1, 1)
        if not self.fit_intercept:
            return W
        return np.vstack([W, [[self.intercept_]]])
