"""The fused CSR value and gradient against the objective's NumPy products.

``sklearn_gd/_sparse_kernels.py`` computes the data term's value, gradient and
predictor in one compiled pass over the rows; they must be those of the two
SciPy products and the loss layer, to rounding.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_gd import GDLogisticRegression, _kernels, _sparse_kernels
from sklearn_gd._data import Design
from sklearn_gd._loss import LogisticLoss, MultinomialLoss, SquaredLoss
from sklearn_gd._objective import Objective
from sklearn_gd._penalty import ElasticNetPenalty

#: Compiling the loop takes a while: CI runs these with ``-m slow``.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _kernels.COMPILED, reason="numba missing or disabled"),
]

LOSSES = {
    "squared": (SquaredLoss, 1),
    "logistic": (LogisticLoss, 1),
    "softmax": (MultinomialLoss, 3),
}


def objective(loss, weighted, fit_intercept, index_dtype=np.int32, n=50, d=8):
    rng = np.random.default_rng(0)
    X = sp.random(n, d, density=0.3, format="csr", random_state=rng, data_rvs=rng.standard_normal)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    cls, k = LOSSES[loss]
    if loss == "squared":
        Y = (X @ rng.standard_normal(d) + 0.3)[:, None]
    elif loss == "logistic":
        Y = (rng.random(n) < 0.5).astype(float)[:, None]
    else:
        Y = np.eye(k)[rng.integers(0, k, size=n)]
    sw = rng.uniform(0.5, 2.0, size=n) if weighted else np.ones(n)
    return Objective(Design(X, fit_intercept), cls(), Y, sw, ElasticNetPenalty(0.1, 0.0))


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_fused_pass_gives_the_numpy_value_and_gradient(
    monkeypatch, loss, weighted, fit_intercept, index_dtype
):
    obj = objective(loss, weighted, fit_intercept, index_dtype)
    theta = np.random.default_rng(1).standard_normal(obj.n_coef)
    monkeypatch.setattr(_sparse_kernels, "MIN_STORED", 0)
    assert _sparse_kernels.applies(obj)
    fused_value, fused_grad = obj.exact_value_and_gradient(theta)
    fused_Z = obj._last_Z.copy()
    obj._fused_sparse = False  # the NumPy products
    value, grad = obj.exact_value_and_gradient(theta)
    np.testing.assert_allclose(fused_value, value, rtol=1e-13)
    np.testing.assert_allclose(fused_grad, grad, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fused_Z, obj._last_Z, rtol=1e-13, atol=1e-14)


def test_fused_pass_only_where_it_applies(monkeypatch):
    obj = objective("logistic", False, True)
    assert not _sparse_kernels.applies(obj)  # fewer stored entries than MIN_STORED
    monkeypatch.setattr(_sparse_kernels, "MIN_STORED", 0)
    assert _sparse_kernels.applies(obj)
    X, Y = obj.design.X, obj.Y
    for other in (X.tocsc(), X.astype(np.float32), X.toarray()):
        o = Objective(Design(other, True), LogisticLoss(), Y, np.ones(50), obj.penalty)
        assert not _sparse_kernels.applies(o)
    monkeypatch.setattr(_kernels, "COMPILED", False)
    assert not _sparse_kernels.applies(obj)


def test_lbfgs_fit_is_the_numpy_fit(monkeypatch):
    rng = np.random.default_rng(0)
    X = sp.random(300, 20, density=0.2, format="csr", random_state=rng)
    y = (X @ rng.standard_normal(20) > 0.1).astype(int)
    fits = []
    for minimum in (0, np.inf):
        monkeypatch.setattr(_sparse_kernels, "MIN_STORED", minimum)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fits.append(GDLogisticRegression(alpha=1e-3, tol=1e-8).fit(X, y))
    fused, plain = fits
    np.testing.assert_allclose(fused.coef_, plain.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fused.intercept_, plain.intercept_, rtol=1e-7, atol=1e-9)
