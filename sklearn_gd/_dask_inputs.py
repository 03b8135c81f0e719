"""Estimator layer: the input backend for dask arrays (``pip install "sklearn-gd[dask]"``).

``X`` is never gathered: its dtype, shape and chunks are checked without
computing it, the labels are encoded chunk by chunk (once, kept on the
workers), one pass over the data checks finiteness and sums the weights, and
the objective is a
:class:`~sklearn_gd._dask.DaskObjective` (map-reduces over the row chunks for
full batches; the chunks one at a time, in a random order, for mini-batches).
Predictions are lazy: the prediction method mapped over the row chunks.
"""

import functools
from dataclasses import dataclass

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from ._dask import DaskDesign, DaskObjective, require_dask
from ._inputs import TrainingData


@dataclass
class DaskTrainingData(TrainingData):
    """:class:`TrainingData` whose arrays are dask arrays chunked by rows."""

    def objective(self, loss, penalty, fit_intercept):
        design = DaskDesign(self.X, fit_intercept)
        return DaskObjective(design, loss, self.Y, self.sample_weight, penalty, self.weight_sum)

    def split(self, fraction, stratify, random_state):
        raise ValueError("early_stopping=True is not supported on dask arrays.")


class DaskInputs:
    """dask arrays: validated and encoded lazily, predicted chunk by chunk."""

    def prepare(self, estimator, X, y, sample_weight, *, partial, classes):
        """Validate and encode lazily; one pass checks finiteness and sums the weights.

        Parameters and result as :meth:`sklearn_gd._inputs.ArrayInputs.prepare`.
        """
        dask, da = require_dask()
        if partial:
            raise ValueError(
                "partial_fit does not take dask arrays: call it on one chunk at a time "
                "(e.g. X.blocks[i].compute()), or wrap the estimator in "
                "dask_ml.wrappers.Incremental, or use fit on the dask arrays."
            )
        X = self._design_matrix(X)
        n, d = (int(k) for k in X.shape)
        y = da.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y of shape {y.shape} does not match X of shape {X.shape}.")
        y = y.rechunk((X.chunks[0],))
        if sample_weight is None:
            weights = da.ones(n, chunks=(X.chunks[0],), dtype=np.float64)
        else:
            weights = da.asarray(sample_weight).astype(np.float64)
            if weights.shape != (n,):
                raise ValueError(f"sample_weight of shape {weights.shape} does not match n={n}.")
            weights = weights.rechunk((X.chunks[0],))
        estimator.n_features_in_ = d
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        if is_classifier(estimator):
            targets, weights = self._encode_labels(estimator, y, weights)
        else:
            if y.dtype.kind not in "biuf":
                raise ValueError(f"y must hold numbers; its dtype is {y.dtype}.")
            targets = y
        dtype = X.dtype
        k = estimator._target_matrix(np.zeros(0, dtype=targets.dtype), dtype).shape[1]
        Y = targets.map_blocks(
            estimator._target_matrix, dtype, dtype=dtype, chunks=(y.chunks[0], (k,)), new_axis=1
        )
        largest, total, smallest, finite = dask.compute(
            weights.max(),
            weights.sum(),
            weights.min(),
            da.isfinite(X).all() & da.isfinite(Y).all() & da.isfinite(weights).all(),
        )
        if not finite:
            raise ValueError("X, y and sample_weight must be finite; they contain NaN or inf.")
        if smallest < 0:
            raise ValueError("sample_weight must be non-negative.")
        if not largest > 0:
            raise ValueError("sample_weight must have a positive sum; all weights are zero.")
        weight_sum = float(total) / float(largest)
        return DaskTrainingData(X, y, Y, weights / largest, weight_sum)

    @staticmethod
    def _design_matrix(X):
        """``X`` as a 2-D float dask array with known chunks, one chunk across columns."""
        _, da = require_dask()
        X = da.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D dask array X, got {X.ndim} dimension(s).")
        if any(np.isnan(n) for n in X.shape):
            raise ValueError(
                "X has unknown chunk sizes; call X.compute_chunk_sizes() (or build it "
                "with known chunks) before fit."
            )
        if X.dtype not in (np.float32, np.float64):
            if X.dtype.kind not in "biu":
                raise ValueError(f"X must hold numbers; its dtype is {X.dtype}.")
            X = X.astype(np.float64)
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"X of shape {X.shape} has no samples or no features.")
        if X.numblocks[1] > 1:
            X = X.rechunk({1: -1})
        return X

    @staticmethod
    def _encode_labels(estimator, y, weights):
        """Labels as class indices (``classes_`` set), and weights with class weights."""
        dask, da = require_dask()
        classes = np.unique(da.unique(y).compute())
        estimator._encode_classes(classes, np.ones(classes.shape[0]))  # sets classes_, checks
        # Computed once and kept on the workers (one small integer per sample):
        # the class counts, the checks and the objective's targets and weights
        # are separate graphs over them, and each would otherwise submit the
        # encoding again, under the same keys but fused differently (which
        # dask.distributed warns can deadlock).
        targets = y.map_blocks(
            functools.partial(np.searchsorted, estimator.classes_), dtype=np.intp
        ).persist()
        class_weight = estimator.class_weight
        if class_weight is None:
            return targets, weights
        k = estimator.classes_.shape[0]
        if isinstance(class_weight, str):  # "balanced"
            counts = da.bincount(targets, minlength=k).compute()
            per_class = y.shape[0] / (k * np.maximum(counts, 1))
        else:
            per_class = np.array([class_weight.get(c, 1.0) for c in estimator.classes_])
        per_sample = targets.map_blocks(
            functools.partial(np.take, per_class.astype(np.float64)), dtype=np.float64
        )
        return targets, weights * per_sample

    def predict(self, estimator, method, X):
        """``method`` (a prediction method) applied lazily to each row chunk of ``X``."""
        _, da = require_dask()
        check_is_fitted(estimator)
        X = da.asarray(X)
        if X.ndim != 2 or X.shape[1] != estimator.n_features_in_:
            raise ValueError(
                f"X has shape {X.shape}, but {type(estimator).__name__} is expecting "
                f"{estimator.n_features_in_} features as input."
            )
        if X.numblocks[1] > 1:
            X = X.rechunk({1: -1})
        func = functools.partial(method, estimator)
        probe = np.zeros((1, X.shape[1]), dtype=X.dtype if X.dtype.kind == "f" else np.float64)
        sample = np.asarray(func(probe))
        meta = np.empty((0,) * sample.ndim, dtype=sample.dtype)
        if sample.ndim == 1:
            return X.map_blocks(func, drop_axis=1, dtype=sample.dtype, meta=meta)
        return X.map_blocks(
            func, chunks=(X.chunks[0], (sample.shape[1],)), dtype=sample.dtype, meta=meta
        )
