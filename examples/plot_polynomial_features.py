r"""
=========================================================
Polynomial features: a non-linear curve by a linear model
=========================================================

A linear model in the features :math:`x, x^2, \dots, x^d` is a polynomial of
degree :math:`d` in :math:`x`: :class:`~sklearn.preprocessing.PolynomialFeatures`
makes them, :class:`~sklearn.preprocessing.StandardScaler` puts them on one
scale (essential for gradient methods: the powers of :math:`x` differ by orders
of magnitude), and :class:`~sklearn_gd.GDLinearRegression` fits the
coefficients. Thirty noisy samples of :math:`\sin(2 \pi x)`:

* the degree decides between underfitting (1), a good fit (3) and chasing the
  noise (15); a small ridge penalty ``alpha`` tames the high degree;
* gradient descent stopped early is itself a regulariser: it fits the smooth,
  well-conditioned directions first and the wiggly ones last.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from sklearn_gd import GDLinearRegression

rng = np.random.RandomState(0)
x = np.sort(rng.uniform(0, 1, 30))
y = np.sin(2 * np.pi * x) + rng.normal(scale=0.25, size=x.shape)
X = x[:, None]
grid = np.linspace(0, 1, 300)[:, None]


def poly_model(degree, **params):
    return make_pipeline(
        PolynomialFeatures(degree, include_bias=False),
        StandardScaler(),
        GDLinearRegression(**params),
    )


# %%
# Degree and penalty
# ------------------
# Newton's method solves these small least-squares problems exactly.
exact = {}
for degree, alpha in [(1, 0.0), (3, 0.0), (15, 0.0), (15, 1e-3)]:
    model = poly_model(degree, solver="newton", alpha=alpha).fit(X, y)
    mse = np.mean((model.predict(X) - y) ** 2)
    print(f"degree {degree:2d}, alpha={alpha:g}: training MSE {mse:.4f}")
    exact[f"degree {degree}, alpha={alpha:g}"] = model.predict(grid)

# %%
# Gradient descent stopped early
# ------------------------------
# Degree 15 without a penalty, ``solver="gd"`` stopped after a growing number
# of iterations (the runs stop at ``max_iter`` on purpose, so their
# :class:`~sklearn.exceptions.ConvergenceWarning` is silenced). The curve
# becomes more detailed the longer it runs.
early = {}
for n_iter in [10, 100, 1000, 10000]:
    model = poly_model(15, solver="gd", max_iter=n_iter, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    early[f"gd, {n_iter} iterations"] = model.predict(grid)

# %%
# The fitted curves, with the noiseless :math:`\sin(2 \pi x)` dashed.
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
for ax, curves, title in [
    (axes[0], exact, "Exact least squares (solver='newton')"),
    (axes[1], early, "Degree 15, gradient descent stopped early"),
]:
    for label, curve in curves.items():
        ax.plot(grid, curve, label=label)
    ax.plot(grid, np.sin(2 * np.pi * grid), "k--", lw=1, label="sin(2 pi x)")
    ax.scatter(x, y, color="k", s=15, zorder=3)
    ax.set_ylim(-2, 2)
    ax.set_xlabel("x")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower left")
plt.show()
