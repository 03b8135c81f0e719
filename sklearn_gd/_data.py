"""Data layer: how the design matrix ``X`` is stored and the products taken with it.

This module knows dense (C or F ordered, float32 or float64) and SciPy sparse
(CSR/CSC) matrices. It never copies ``X``: the intercept is added to the
products, not stacked onto ``X`` as a column of ones. Everything above this
layer (losses, objectives, solvers) sees ``X`` only through :class:`Design`.
"""

import numpy as np
import scipy.sparse as sp


class Design:
    """A design matrix with an optional intercept column that is never stored.

    The coefficients that go with it are a matrix ``C`` of shape
    ``(n_dof, n_outputs)`` with ``n_dof = n_features + fit_intercept``: the first
    ``n_features`` rows are the weights ``W``, the last row (when
    ``fit_intercept``) is the intercept ``b``. The linear predictor is
    ``Z = X @ W + b``.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Dense (any memory order) or CSR/CSC, float32 or float64. Not copied.
    fit_intercept : bool
        Whether the coefficient matrix carries an intercept row.
    """

    def __init__(self, X, fit_intercept):
        self.X = X
        self.fit_intercept = bool(fit_intercept)
        self.n_samples, self.n_features = X.shape
        self.n_dof = self.n_features + self.fit_intercept
        self.dtype = X.dtype
        self.is_sparse = sp.issparse(X)

    def linear_predictor(self, C):
        """``Z = X @ C[:n_features] + C[n_features]``, shape (n_samples, n_outputs)."""
        C = np.asarray(C, dtype=self.dtype)
        Z = np.asarray(self.X @ C[: self.n_features])
        if self.fit_intercept:
            Z += C[self.n_features]
        return Z

    def transpose_product(self, R):
        """``[X.T @ R; sum(R, axis=0)]``, shape (n_dof, n_outputs): one pass over X."""
        R = np.asarray(R, dtype=self.dtype)
        G = np.empty((self.n_dof, R.shape[1]), dtype=np.result_type(self.dtype, R))
        G[: self.n_features] = self.X.T @ R
        if self.fit_intercept:
            G[self.n_features] = R.sum(axis=0)
        return G

    def weighted_gram(self, h):
        """``[X 1].T @ diag(h) @ [X 1]``, shape (n_dof, n_dof), for Newton's Hessian."""
        h = np.asarray(h, dtype=self.dtype)
        d = self.n_features
        H = np.empty((self.n_dof, self.n_dof), dtype=np.float64)
        if self.is_sparse:
            Xh = sp.diags(h) @ self.X
            H[:d, :d] = (self.X.T @ Xh).toarray()
            col = np.asarray(Xh.sum(axis=0)).ravel()
        else:
            Xh = self.X * h[:, None]
            H[:d, :d] = self.X.T @ Xh
            col = Xh.sum(axis=0)
        if self.fit_intercept:
            H[:d, d] = col
            H[d, :d] = col
            H[d, d] = h.sum(dtype=np.float64)
        return H

    def rows(self, index):
        """The design restricted to the rows ``index`` (a copy of those rows only)."""
        return Design(self.X[index], self.fit_intercept)

    def largest_eigenvalue(self, weights, n_iter=30, rtol=1e-3):
        """Largest eigenvalue of ``[X 1].T @ diag(weights) @ [X 1]`` by power iteration.

        A few matrix-vector products instead of an eigendecomposition. The start
        vector is fixed, so the estimate is deterministic. Power iteration
        approaches the eigenvalue from below; the result is the Rayleigh quotient
        of the last iterate, within ``rtol`` of the one before it.
        """
        v = np.random.default_rng(0).uniform(0.5, 1.5, size=(self.n_dof, 1))
        v /= np.linalg.norm(v)
        w = np.asarray(weights, dtype=np.float64)[:, None]
        estimate = 0.0
        for _ in range(n_iter):
            Mv = self.transpose_product(w * self.linear_predictor(v)).astype(np.float64)
            new = float(np.vdot(v, Mv))
            norm = np.linalg.norm(Mv)
            if norm == 0.0:
                return 0.0
            v = Mv / norm
            if abs(new - estimate) <= rtol * abs(new):
                return new
            estimate = new
        return estimate
