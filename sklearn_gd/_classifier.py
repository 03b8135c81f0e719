"""Estimator layer: what the two classifiers share (labels, class weights, predict)."""

from contextlib import contextmanager

import numpy as np
from scipy.special import log_expit
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets

from ._estimator import (
    _PARTIAL_FIT_DOC,
    GDLinearModel,
    available_with_solver,
    documented,
    fit_context,
    predicts_rows,
)


@contextmanager
def _label_checks(*labels):
    """Check labels quietly, and explain the error that labels of mixed types raise.

    Whole-number labels beyond the integers (``1e200``) make scikit-learn's
    ``type_of_target`` warn about an invalid cast before it calls them
    continuous; and labels that cannot be sorted together (``"a"`` and ``1``)
    make ``np.unique`` raise a bare ``'<' not supported``.
    """
    try:
        with np.errstate(invalid="ignore", over="ignore"):
            yield
    except TypeError as exc:
        kinds = sorted(
            {
                type(v).__name__
                for part in labels
                if part is not None
                for v in np.asarray(part, dtype=object).ravel()
            }
        )
        if len(kinds) < 2:
            raise
        raise TypeError(
            f"y holds labels of mixed types ({', '.join(kinds)}), which cannot be "
            "sorted into classes. Convert the labels to one type first, e.g. all to "
            "strings with np.asarray(y).astype(str)."
        ) from exc


class GDLinearClassifier(ClassifierMixin, GDLinearModel):
    """Base of the classifiers: label encoding, class weights and prediction."""

    _parameter_constraints = {
        **GDLinearModel._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

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
        schedule=None,
        batch_size="auto",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        random_state=None,
        verbose=0,
        positive=False,
        constraint=None,
        warm_start=False,
        average=False,
        record_batches=False,
        class_weight=None,
    ):
        self.solver = solver
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose
        self.positive = positive
        self.constraint = constraint
        self.warm_start = warm_start
        self.average = average
        self.record_batches = record_batches
        self.class_weight = class_weight

    @available_with_solver
    @fit_context(prefer_skip_nested_validation=True)
    @documented(
        _PARTIAL_FIT_DOC,
        y="""        y : array-like of shape (n_samples,)
            Class labels, all from ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class of the whole data set. Required on the first call
            (unless the estimator was fitted before); ignored afterwards.
""",
    )
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def _encode_classes(self, y, sample_weight):
        """Set ``classes_``; return integer labels and the weights with class weights."""
        with _label_checks(y):
            check_classification_targets(y)
            self.classes_, labels = np.unique(y, return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {self.classes_[0]!r}."
            )
        if self.class_weight is not None:
            with _label_checks(y):
                sample_weight = sample_weight * compute_sample_weight(self.class_weight, y)
        return labels, sample_weight

    def _encode_targets(self, y, sample_weight, *, partial=False, classes=None):
        if not partial:
            return self._encode_classes(y, sample_weight)
        # partial_fit: the classes are given on the first call and fixed afterwards.
        with _label_checks(y, getattr(self, "classes_", classes)):
            check_classification_targets(y)
            first_call = _check_partial_fit_first_call(self, classes)
            unknown = np.setdiff1d(y, self.classes_)
        if first_call and self.classes_.shape[0] < 2:
            del self.classes_
            raise ValueError(
                f"{type(self).__name__}.partial_fit needs at least 2 classes in "
                f"classes=, got {list(classes)!r}."
            )
        if unknown.size:
            raise ValueError(
                f"y holds labels {unknown.tolist()!r} that are not in the classes "
                f"given on the first call to partial_fit: {self.classes_.tolist()!r}."
            )
        if isinstance(self.class_weight, str):
            raise ValueError(
                f"class_weight={self.class_weight!r} needs the whole data set and is "
                "not supported by partial_fit; pass a dict of class weights."
            )
        if self.class_weight is not None:
            with _label_checks(y):
                sample_weight = sample_weight * compute_sample_weight(self.class_weight, y)
        return np.searchsorted(self.classes_, y), sample_weight

    def _encode_validation_targets(self, y, sample_weight):
        """Validation labels as class indices, all from ``classes_``; class weights applied."""
        with _label_checks(y, self.classes_):
            check_classification_targets(y)
            unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(
                f"y_val holds labels {unknown.tolist()!r} that are not in the training "
                f"classes {self.classes_.tolist()!r}."
            )
        if self.class_weight is not None:
            with _label_checks(y):
                sample_weight = sample_weight * compute_sample_weight(self.class_weight, y)
        return np.searchsorted(self.classes_, y), sample_weight

    @predicts_rows
    def decision_function(self, X):
        """Confidence scores: the linear predictor ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            For a model with one row of coefficients (binary logistic
            regression), the score of ``classes_[1]``; otherwise one column per
            class.
        """
        return self._linear_predictor(X)

    @predicts_rows
    def predict(self, X):
        """Predict the class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predicted class labels, from ``classes_``.
        """
        # The class of the largest linear predictor; rows whose predictors
        # overflow are compared relative to their largest (no ties at +inf).
        scores = self._linear_predictor(X, relative=True)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    @predicts_rows
    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to 1; columns follow ``classes_``.
        """
        return np.exp(self.predict_log_proba(X))

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
        return self._log_proba(self.decision_function(X))

    def _log_proba(self, scores):
        r"""Log-probabilities from :meth:`decision_function`'s scores.

        A 1-D score ``z`` is that of ``classes_[1]`` against ``classes_[0]``:
        :math:`(\log \sigma(-z), \log \sigma(z))`; several columns go through
        the log of the loss's inverse link.
        """
        if scores.ndim == 1:
            return np.column_stack([log_expit(-scores), log_expit(scores)])
        return self._loss().log_inverse_link(scores)
