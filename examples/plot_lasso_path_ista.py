r"""
=======================================================
L1 penalty with ISTA: the coefficient path and sparsity
=======================================================

With ``l1_ratio=1`` the penalty is :math:`\alpha \lVert w \rVert_1`, the lasso.
It is not differentiable at 0, so ``lbfgs`` and ``newton`` refuse it;
``solver="ista"`` (FISTA's accelerated variant by default) handles it by
*proximal* gradient steps: a gradient step on
the smooth part, then soft-thresholding

.. math:: S_{\eta\alpha}(u)_j = \mathrm{sign}(u_j) \max(|u_j| - \eta\alpha, 0),

which sets every coefficient whose gradient step lands within
:math:`\eta\alpha` of zero to exactly zero. The larger :math:`\alpha`, the
fewer features stay in the model.

Here on scikit-learn's diabetes data (10 standardised features), for 40
values of :math:`\alpha` from large to small. ``warm_start=True`` starts each
fit from the previous solution (path following), which makes the whole path
cost little more than one fit. The objective is scikit-learn's
``Lasso(alpha)``: :func:`~sklearn.linear_model.lasso_path` gives the same path.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import lasso_path
from sklearn.preprocessing import StandardScaler

from sklearn_gd import GDLinearRegression

data = load_diabetes()
X = StandardScaler().fit_transform(data.data)
y = (data.target - data.target.mean()) / data.target.std()
alphas = np.logspace(0, -4, 40)


def path(l1_ratio):
    """Coefficients for each alpha, warm-started from the previous one."""
    model = GDLinearRegression(solver="ista", l1_ratio=l1_ratio, tol=1e-6, warm_start=True)
    coefs, n_iter = [], 0
    for alpha in alphas:
        model.set_params(alpha=alpha).fit(X, y)
        coefs.append(model.coef_.copy())
        n_iter += model.n_iter_
    return np.array(coefs), n_iter


lasso, n_iter = path(1.0)
_, reference, _ = lasso_path(X, y, alphas=alphas, tol=1e-10)
print(f"lasso path: {n_iter} ISTA iterations for {len(alphas)} values of alpha")
print(f"largest difference from scikit-learn's lasso_path: {np.abs(lasso - reference.T).max():.1e}")
assert np.allclose(lasso, reference.T, atol=1e-3)

# %%
# The elastic net (``l1_ratio=0.5``) keeps half the penalty as L2: it is
# sparse too, but at the same ``alpha`` its L1 part is half as strong, so
# features enter earlier, and the L2 part shrinks correlated ones together.
enet, _ = path(0.5)

fig, (ax_path, ax_sparsity) = plt.subplots(1, 2, figsize=(12, 4.5))
for j, name in enumerate(data.feature_names):
    ax_path.plot(alphas, lasso[:, j], label=name)
ax_path.set_xscale("log")
ax_path.invert_xaxis()
ax_path.set_xlabel("alpha (log scale, decreasing)")
ax_path.set_ylabel("coefficient")
ax_path.set_title("Lasso path by ISTA (l1_ratio=1)")
ax_path.legend(fontsize=7, ncol=2)

ax_sparsity.step(alphas, (lasso != 0).sum(axis=1), where="mid", label="lasso (l1_ratio=1)")
ax_sparsity.step(alphas, (enet != 0).sum(axis=1), where="mid", label="elastic net (l1_ratio=0.5)")
ax_sparsity.set_xscale("log")
ax_sparsity.invert_xaxis()
ax_sparsity.set_xlabel("alpha (log scale, decreasing)")
ax_sparsity.set_ylabel("non-zero coefficients")
ax_sparsity.set_title("Sparsity: exact zeros from soft-thresholding")
ax_sparsity.legend()
fig.tight_layout()
plt.show()
