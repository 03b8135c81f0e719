"""Data layer: how the design matrix ``X`` is stored and the products taken with it.

This module knows dense (C or F ordered, float32 or float64) and SciPy sparse
(CSR/CSC) matrices. It never copies ``X``: the intercept is added to the
products, not stacked onto ``X`` as a column of ones, and the weighted Gram
matrix of Newton's method is accumulated over blocks of rows, so that at most
one block of ``X`` (about :data:`BLOCK_BYTES`) is ever copied. Everything above
this layer (losses, objectives, solvers) sees ``X`` only through :class:`Design`.

Products keep the dtype of ``X``: float32 data gives float32 predictors and
gradients (half the memory traffic); only the small ``(n_dof, n_dof)`` Gram
matrices are accumulated in float64. :meth:`Design.in_float64` gives the same
float32 ``X`` with float64 products (accumulated block by block of ``X``
converted in cache, never a float64 copy of the whole of ``X``), for solvers
that finish a fit beyond float32's precision.
"""

import numpy as np
import scipy.sparse as sp

#: Size in bytes of the blocks of rows that :meth:`Design.weighted_gram` copies
#: (scaled by the weights) at a time: small enough to stay in cache, large enough
#: for an efficient matrix product.
BLOCK_BYTES = 1 << 21


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
    dtype : {None, numpy.float64}, default=None
        The dtype of the products: ``X``'s own (None), or float64 over float32
        ``X``, converted one block of :data:`BLOCK_BYTES` at a time.
    """

    def __init__(self, X, fit_intercept, dtype=None):
        self.X = X
        self.fit_intercept = bool(fit_intercept)
        self.n_samples, self.n_features = X.shape
        self.n_dof = self.n_features + self.fit_intercept
        self.dtype = X.dtype if dtype is None else np.dtype(dtype)
        #: Products in a wider dtype than X's: X is converted block by block.
        self._widened = self.dtype != X.dtype
        self.is_sparse = sp.issparse(X)
        #: Entries of ``X`` a product reads: ``n * d`` dense, the stored ones sparse.
        self.n_stored = int(X.nnz) if self.is_sparse else self.n_samples * self.n_features

    def linear_predictor(self, C):
        """``Z = X @ C[:n_features] + C[n_features]``, shape (n_samples, n_outputs).

        One pass over ``X``; with one output it is a matrix-vector product
        (``gemv``), not a matrix product with a single column.
        """
        C64 = C
        C = np.asarray(C, dtype=self.dtype)
        W = C[: self.n_features]
        if self._widened:
            Z = self._widened_product(W)
        elif self.dtype == np.float64:
            Z = self._product(W)
        else:
            # Predictors beyond float32's range (huge features or steps) are
            # returned in float64 instead of overflowing.
            with np.errstate(over="ignore"):
                Z = self._product(W)
            if not np.all(np.isfinite(Z)) and np.all(np.isfinite(W)):
                top = float(np.max(np.abs(W), initial=0.0))
                power = 2.0 ** np.ceil(np.log2(top)) if top > 0 else 1.0
                with np.errstate(over="ignore"):
                    Z = self._product(W / self.dtype.type(power)).astype(np.float64) * power
                C = np.asarray(C64, dtype=np.float64)
        if self.fit_intercept:
            Z += C[self.n_features]
        return Z

    def _product(self, W):
        """``X @ W``, a matrix-vector product when ``W`` has one column.

        Zero weights (a cold start, the null model) give zeros without reading ``X``.
        """
        if not W.any():
            return np.zeros((self.n_samples, W.shape[1]), dtype=np.result_type(self.dtype, W))
        if W.shape[1] == 1:
            return np.asarray(self.X @ W[:, 0]).reshape(-1, 1)
        return np.asarray(self.X @ W)

    def in_float64(self):
        """The same ``X`` (not copied) with float64 products: ``self`` when ``X`` is float64."""
        if self.dtype == np.float64:
            return self
        return Design(self.X, self.fit_intercept, dtype=np.float64)

    def _widened_blocks(self):
        """``(rows, cols, block)``: pieces of ``X`` converted to ``self.dtype``, covering ``X``.

        Blocks of rows (dense, CSR) or of columns (CSC) of about
        :data:`BLOCK_BYTES`, so that only one converted block exists at a time.
        """
        if self.is_sparse and self.X.format == "csc":
            per_col = self.X.nnz / max(self.n_features, 1) + 1
            size = int(max(64, BLOCK_BYTES // (per_col * 12)))
            for j in range(0, self.n_features, size):
                cols = slice(j, j + size)
                yield slice(None), cols, self.X[:, cols].astype(self.dtype)
            return
        X = self.X.tocsr() if self.is_sparse and self.X.format != "csr" else self.X
        for rows in self._row_blocks():
            yield rows, slice(None), X[rows].astype(self.dtype)

    def _widened_product(self, W):
        """``X @ W`` in ``self.dtype``, over converted blocks of ``X``."""
        Z = np.zeros((self.n_samples, W.shape[1]), dtype=self.dtype)
        for rows, cols, block in self._widened_blocks():
            Z[rows] += np.asarray(block @ W[cols])
        return Z

    def _widened_transpose_product(self, R, G):
        """``G[:d] = X.T @ R`` in ``self.dtype``, over converted blocks of ``X``."""
        G[: self.n_features] = 0.0
        for rows, cols, block in self._widened_blocks():
            G[: self.n_features][cols] += np.asarray(block.T @ R[rows])

    def transpose_product(self, R):
        """``[X.T @ R; sum(R, axis=0)]``, shape (n_dof, n_outputs): one pass over X.

        Below float64, ``R`` is first divided by a power of two (exactly) that
        brings it within [-1, 1], and the result is returned in float64 times
        that power: ``X.T @ R`` cannot overflow the narrower type.
        """
        R = np.asarray(R, dtype=self.dtype)
        if self._widened:
            G = np.empty((self.n_dof, R.shape[1]), dtype=self.dtype)
            self._widened_transpose_product(R, G)
            if self.fit_intercept:
                G[self.n_features] = R.sum(axis=0)
            return G
        power = 1.0
        if self.dtype != np.float64:
            top = float(np.max(np.abs(R), initial=0.0))
            if 1.0 < top < np.inf:
                power = 2.0 ** np.ceil(np.log2(top))
                R = R / self.dtype.type(power)
        G = np.empty((self.n_dof, R.shape[1]), dtype=self.dtype if power == 1.0 else np.float64)
        if R.shape[1] == 1:
            G[: self.n_features, 0] = self.X.T @ R[:, 0]
        else:
            G[: self.n_features] = self.X.T @ R
        if self.fit_intercept:
            G[self.n_features] = R.sum(axis=0)
        if power != 1.0:
            G *= power
        return G

    def _row_blocks(self):
        """Slices of rows of about :data:`BLOCK_BYTES` each, covering all rows."""
        if self.is_sparse:  # stored entries: value and column index
            per_row = self.X.nnz / max(self.n_samples, 1) + 1
            row_bytes = per_row * (self.X.dtype.itemsize + self.X.indices.dtype.itemsize)
        else:
            row_bytes = max(self.n_features, 1) * self.X.dtype.itemsize
        size = int(max(64, BLOCK_BYTES // row_bytes))
        return [slice(i, i + size) for i in range(0, self.n_samples, size)]

    def weighted_gram(self, h):
        """``[X 1].T @ diag(h) @ [X 1]``, shape (n_dof, n_dof), for Newton's Hessian."""
        return self.weighted_grams([h])[0]

    def weighted_grams(self, hs):
        """``[X 1].T @ diag(h) @ [X 1]`` for each ``h`` in ``hs``, in one pass over X.

        Dense ``X`` is read block by block of rows; only a block scaled by the
        weights is ever copied (never ``X * h[:, None]`` whole). Non-negative
        weights use the symmetric product ``B.T @ B`` of ``B = sqrt(h) * X_block``
        (half the work of a general product). Blocks are multiplied in float64
        (a float32 block is converted, one block at a time); the result is float64.
        """
        d = self.n_features
        hs = [np.asarray(h, dtype=np.float64) for h in hs]
        grams = [np.zeros((self.n_dof, self.n_dof), dtype=np.float64) for _ in hs]
        columns = [np.zeros(d, dtype=np.float64) for _ in hs]
        if self.is_sparse and self.X.format != "csr":
            X = self.X.astype(np.float64, copy=False)
            for h, col, H in zip(hs, columns, grams, strict=True):
                Xh = (sp.diags(h) @ X).tocsc()
                H[:d, :d] = (X.T @ Xh).toarray()
                col[:] = np.asarray(Xh.sum(axis=0)).ravel()
        else:
            ones = [bool(np.all(h == 1)) for h in hs]
            roots = [np.sqrt(h) if np.all(h >= 0) else None for h in hs]
            for rows in self._row_blocks():
                # float64 products: a float32 block's Gram can overflow float32
                # (features of 1e20 and more) and is summed over many rows.
                block = self.X[rows]
                if block.dtype != np.float64:
                    block = block.astype(np.float64)
                for h, one, root, col, H in zip(hs, ones, roots, columns, grams, strict=True):
                    if self.is_sparse:
                        scaled = sp.diags(h[rows]) @ block
                        H[:d, :d] += (block.T @ scaled).toarray()
                        col += np.asarray(scaled.sum(axis=0)).ravel()
                    elif one:  # unit weights (least squares): no scaled copy at all
                        H[:d, :d] += block.T @ block
                        col += block.sum(axis=0)
                    elif root is not None:
                        scaled = block * root[rows, None]
                        H[:d, :d] += scaled.T @ scaled  # numpy's syrk
                        col += root[rows] @ scaled
                    else:
                        scaled = block * h[rows, None]
                        H[:d, :d] += block.T @ scaled
                        col += scaled.sum(axis=0)
        if self.fit_intercept:
            for h, col, H in zip(hs, columns, grams, strict=True):
                H[:d, d] = col
                H[d, :d] = col
                H[d, d] = h.sum(dtype=np.float64)
        return grams

    def row_gram(self):
        """``[X 1] @ [X 1].T``, shape (n_samples, n_samples), in float64.

        The Gram matrix of the rows, the small one when there are fewer samples
        than features (``n_samples^2 n_features / 2`` multiply-adds, one pass
        over ``X``). Dense float32 ``X`` is converted one block of columns at a
        time, sparse ``X`` as a copy of its stored values.
        """
        n, d = self.n_samples, self.n_features
        if self.is_sparse:
            X = self.X.astype(np.float64)
            K = np.asarray((X @ X.T).toarray())
        elif self.X.dtype == np.float64:
            K = np.asarray(self.X @ self.X.T)
        else:
            K = np.zeros((n, n), dtype=np.float64)
            size = int(max(64, BLOCK_BYTES // (8 * max(n, 1))))
            for j in range(0, d, size):
                block = np.asarray(self.X[:, j : j + size], dtype=np.float64)
                K += block @ block.T
        if self.fit_intercept:
            K += 1.0
        return K

    def weighted_square_sums(self, h):
        """``diag([X 1].T @ diag(h) @ [X 1])``: ``sum_i h_i x_ij^2`` per column, float64.

        One pass over ``X``: for sparse ``X`` a copy of its stored values only
        (squared), for dense ``X`` one block of rows at a time.
        """
        h = np.asarray(h, dtype=np.float64)
        out = np.empty(self.n_dof, dtype=np.float64)
        d = self.n_features
        if self.is_sparse:
            X = self.X
            squares = np.asarray(X.data, dtype=np.float64) ** 2
            cls = sp.csr_matrix if X.format == "csr" else sp.csc_matrix
            if X.format not in ("csr", "csc"):
                X, cls = X.tocsr(), sp.csr_matrix
                squares = np.asarray(X.data, dtype=np.float64) ** 2
            out[:d] = cls((squares, X.indices, X.indptr), shape=X.shape).T @ h
        else:
            out[:d] = 0.0
            for rows in self._row_blocks():
                block = np.asarray(self.X[rows], dtype=np.float64)
                out[:d] += h[rows] @ (block * block)
        if self.fit_intercept:
            out[d] = h.sum()
        return out

    def rows(self, index):
        """The design restricted to the rows ``index``.

        A copy of those rows for an index array; a view of ``X`` (no copy) for a
        slice of dense ``X``.
        """
        return Design(self.X[index], self.fit_intercept, dtype=self.dtype)

    def _power_iteration(self, w, v, n_iter, rtol):
        """Power iteration on ``[X 1].T diag(w) [X 1]`` from ``v``; (estimate, vector)."""
        estimate = 0.0
        for _ in range(n_iter):
            # Z is scaled to at most 1 before the second product, so that it
            # cannot overflow in float32 (features of 1e20 and more).
            Z = self.linear_predictor(v)
            top = float(np.max(np.abs(Z), initial=0.0))
            if top == 0.0 or not np.isfinite(top):
                return 0.0, v
            Mv = self.transpose_product(w * (Z / top)).astype(np.float64) * top
            new = float(np.vdot(v, Mv))
            norm = np.linalg.norm(Mv)
            if norm == 0.0:
                return 0.0, v
            v = Mv / norm
            if abs(new - estimate) <= rtol * abs(new):
                return new, v
            estimate = new
        return estimate, v

    def largest_eigenvalue(self, weights, n_iter=30, rtol=1e-3):
        """Largest eigenvalue of ``[X 1].T @ diag(weights) @ [X 1]`` by power iteration.

        A few matrix-vector products instead of an eigendecomposition. The start
        vector is fixed, so the estimate is deterministic. Power iteration
        approaches the eigenvalue from below; the result is the Rayleigh quotient
        of the last iterate, within ``rtol`` of the one before it. On many rows,
        the iteration first runs on every ``k``-th row (a view, no copy) and the
        full data only refines the vector it found, which usually takes two
        iterations instead of tens.
        """
        v = np.random.default_rng(0).uniform(0.5, 1.5, size=(self.n_dof, 1))
        v /= np.linalg.norm(v)
        w = np.asarray(weights, dtype=np.float64)[:, None]
        step = self.n_samples // 8192
        if step >= 4 and not self.is_sparse:
            sub = self.rows(slice(None, None, step))
            _, v = sub._power_iteration(w[::step], v, n_iter, rtol)
        return self._power_iteration(w, v, n_iter, rtol)[0]
