"""Estimator layer: the input backends, one per kind of array.

A backend turns what the user passed to ``fit`` into :class:`TrainingData`
(validated, targets encoded, weights normalised) that builds the objective, and
applies a prediction method to new data. :func:`inputs_for` picks the backend,
so no estimator file branches on the array type:

* :class:`ArrayInputs`: NumPy arrays, anything array-like, SciPy sparse CSR/CSC;
* ``DaskInputs`` (:mod:`sklearn_gd._dask_inputs`): dask arrays, never gathered.
"""

from dataclasses import dataclass, replace

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import _check_sample_weight, validate_data

from ._dask import is_dask_collection
from ._data import Design
from ._objective import Objective
from ._training import validation_split


def inputs_for(*arrays):
    """The backend for the arrays given to ``fit`` or a prediction method."""
    if any(is_dask_collection(a) for a in arrays):
        from ._dask_inputs import DaskInputs

        return DaskInputs()
    return ArrayInputs()


def normalised_weights(sample_weight):
    """``sample_weight / max(sample_weight)``, refusing weights that sum to zero.

    The objective divides by ``S = sum(s)``, so the weights' scale is free:
    dividing by the largest keeps ``S`` and ``1 / S`` finite for weights of
    1e308 or 1e-320 alike. Zero weights stay zero.
    """
    largest = np.max(sample_weight, initial=0.0)
    if not largest > 0:
        raise ValueError("sample_weight must have a positive sum; all weights are zero.")
    return sample_weight / largest


@dataclass
class TrainingData:
    """Validated training data: what the objective and the monitors are built from.

    Attributes
    ----------
    X : ndarray, sparse matrix or dask array of shape (n_samples, n_features)
    y : array of shape (n_samples,)
        The targets as given (labels for classifiers), for scoring and callbacks.
    Y : array of shape (n_samples, n_outputs)
        The targets encoded for the loss.
    sample_weight : array of shape (n_samples,)
        Normalised weights (largest 1), class weights included.
    weight_sum : float or None
        ``sum(sample_weight)`` when known without a pass (dask input).
    """

    X: object
    y: object
    Y: object
    sample_weight: object
    weight_sum: float = None

    @property
    def n_features(self):
        return int(self.X.shape[1])

    @property
    def dtype(self):
        return self.X.dtype

    def objective(self, loss, penalty, fit_intercept):
        """The objective of this data for ``loss`` and ``penalty``."""
        design = Design(self.X, fit_intercept)
        return Objective(design, loss, self.Y, self.sample_weight, penalty)

    def split(self, fraction, stratify, random_state):
        """``(training, validation)`` parts, for early stopping."""
        parts = validation_split(
            self.X,
            self.y,
            self.Y,
            self.sample_weight,
            fraction=fraction,
            stratify=stratify,
            random_state=random_state,
        )
        names = ("X", "y", "Y", "sample_weight")
        return tuple(replace(self, **dict(zip(names, part, strict=True))) for part in parts)


class ArrayInputs:
    """NumPy arrays, array-likes (lists, DataFrames) and SciPy sparse CSR/CSC matrices.

    float32 and float64 are kept as given; anything else becomes float64.
    """

    def prepare(self, estimator, X, y, sample_weight, *, partial, classes):
        """Validate and encode; set ``n_features_in_`` (and ``classes_``) on ``estimator``.

        Parameters
        ----------
        estimator : GDLinearModel
            The estimator being fitted (its label encoding and target matrix).
        X, y, sample_weight
            As passed to ``fit`` or ``partial_fit``.
        partial : bool
            Whether this is a ``partial_fit`` call.
        classes : array-like or None
            ``partial_fit``'s ``classes``.

        Returns
        -------
        TrainingData
        """
        first_call = not (partial and hasattr(estimator, "coef_"))
        X, y = validate_data(
            estimator,
            X,
            y,
            reset=first_call,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            y_numeric=not is_classifier(estimator),
            multi_output=not is_classifier(estimator),
        )
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if not np.all(np.isfinite(sample_weight)):
            raise ValueError("sample_weight must be finite; it contains NaN or infinity.")
        largest = np.max(sample_weight, initial=0.0)
        if largest > 0:  # keeps the products below finite; the sum is checked below
            sample_weight = sample_weight / largest
        targets, sample_weight = estimator._encode_targets(
            y, sample_weight, partial=partial, classes=classes
        )
        Y = estimator._target_matrix(targets, X.dtype)
        return TrainingData(X, y, Y, normalised_weights(sample_weight))

    def predict(self, estimator, method, X):
        """``method(estimator, X)``: in memory, the method itself."""
        return method(estimator, X)
