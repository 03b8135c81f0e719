"""The diagonal (Jacobi) preconditioner of lbfgs on wide sparse data.

Beyond the size where the dense curvature block is formed, lbfgs on sparse
``X`` runs on ``u = D theta`` with ``D^2`` the diagonal of the curvature,
computed on every row in one pass. Same objective, same stopping rule, fewer
iterations when the columns' scales differ (text-like data).
"""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import assert_rel_close, fitted_objective

from sklearn_gd import LBFGS, GDLogisticRegression, GDSoftmaxClassifier
from sklearn_gd._data import Design
from sklearn_gd._loss import LogisticLoss
from sklearn_gd._objective import Objective
from sklearn_gd._penalty import ElasticNetPenalty
from sklearn_gd.solvers._preconditioner import (
    BlockPreconditioner,
    DiagonalPreconditioner,
    preconditioner_for,
)


def wide_sparse(seed=0, n=2000, d=600, density=0.05):
    """Columns whose scales span four orders of magnitude, like word counts."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=density, format="csr", random_state=rng)
    X = sp.csr_matrix(X @ sp.diags(10.0 ** rng.uniform(-2, 2, size=d)))
    w = rng.standard_normal(d) / (X.power(2).mean(axis=0).A1 ** 0.5 + 1e-12) / 10
    y = (X @ w + 0.3 * rng.standard_normal(n) > np.median(X @ w)).astype(int)
    return X, y


@pytest.mark.parametrize("fmt", ["csr", "csc", "dense"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_weighted_square_sums_is_the_diagonal_of_the_weighted_gram(fmt, dtype, fit_intercept):
    X, _ = wide_sparse(n=300, d=40, density=0.2)
    X = X.astype(dtype)
    h = np.random.default_rng(1).uniform(0, 2, size=300)
    data = X.toarray() if fmt == "dense" else X.asformat(fmt)
    design = Design(data, fit_intercept)
    expected = np.diag(design.weighted_gram(h))
    np.testing.assert_allclose(design.weighted_square_sums(h), expected, rtol=1e-6)


def test_curvature_diagonal_is_the_diagonal_of_the_curvature_block():
    X, y = wide_sparse(n=400, d=30, density=0.3)
    rng = np.random.default_rng(2)
    objective = Objective(
        Design(X, True),
        LogisticLoss(),
        y[:, None].astype(float),
        rng.uniform(0.5, 2, size=400),
        ElasticNetPenalty(0.01, 0.0),
    )
    theta = rng.standard_normal(31) * 0.1
    block = objective.curvature_block(theta, max_rows=10_000)  # every row
    np.testing.assert_allclose(objective.curvature_diagonal(theta), np.diag(block), rtol=1e-10)
    zero = np.zeros(31)  # zero weights: no pass for the predictor, same diagonal
    block0 = objective.curvature_block(zero, max_rows=10_000)
    np.testing.assert_allclose(objective.curvature_diagonal(zero), np.diag(block0), rtol=1e-10)


def test_wide_sparse_lbfgs_takes_the_diagonal_preconditioner():
    X, y = wide_sparse()
    objective = Objective(
        Design(X, True),
        LogisticLoss(),
        y[:, None].astype(float),
        np.ones(X.shape[0]),
        ElasticNetPenalty(1e-4, 0.0),
    )
    theta = np.zeros(objective.n_coef)
    assert BlockPreconditioner.for_objective(objective, theta) is None  # too costly to form
    precond = preconditioner_for(objective, theta)
    assert isinstance(precond, DiagonalPreconditioner)
    u = np.random.default_rng(0).standard_normal(objective.n_coef)
    np.testing.assert_allclose(precond.to_u(precond.to_theta(u)), u, rtol=1e-12)
    # the gradient in u is P' g: consistent with theta = P u
    g = np.random.default_rng(1).standard_normal(objective.n_coef)
    assert np.isclose(np.dot(precond.gradient_to_u(g), u), np.dot(g, precond.to_theta(u)))


@pytest.mark.parametrize("cls", [GDLogisticRegression, GDSoftmaxClassifier])
def test_diagonal_preconditioner_same_optimum_fewer_iterations(cls):
    X, y = wide_sparse()
    params = dict(alpha=1e-4, tol=1e-8, max_iter=10_000)
    plain = cls(solver=LBFGS(precondition=False), **params).fit(X, y)
    jacobi = cls(solver=LBFGS(), **params).fit(X, y)
    # The same objective to rounding (columns of scale 1e-2 leave their
    # coefficients loosely determined by a gradient tolerance, not the objective).
    f_plain, f_jacobi = fitted_objective(plain, X, y), fitted_objective(jacobi, X, y)
    assert abs(f_jacobi - f_plain) <= 1e-9 * f_plain, (f_jacobi, f_plain)
    assert_rel_close(jacobi.predict_proba(X), plain.predict_proba(X), 1e-5)
    assert jacobi.n_iter_ * 2 <= plain.n_iter_, (jacobi.n_iter_, plain.n_iter_)
