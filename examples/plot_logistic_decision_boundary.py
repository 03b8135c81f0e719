r"""
========================================================
Logistic regression: decision boundary and probabilities
========================================================

:class:`~sklearn_gd.GDLogisticRegression` models the probability of the
positive class as :math:`p = \sigma(w \cdot x + b)`, so its decision boundary
:math:`p = 1/2` is the line :math:`w \cdot x + b = 0` and the probability
changes along :math:`w`, the faster the larger :math:`\lVert w \rVert`. The
penalty ``alpha`` shrinks :math:`w`: the boundary hardly moves, the
probabilities become less confident.

:class:`~sklearn_gd.GDSoftmaxClassifier` generalises it to several classes with
one linear score per class, :math:`p = \mathrm{softmax}(W x + b)`; its
boundaries are where two scores tie.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.linear_model import LogisticRegression

from sklearn_gd import GDLogisticRegression, GDSoftmaxClassifier

X, y = make_blobs(n_samples=200, centers=[[-1, -0.5], [1, 0.5]], cluster_std=1.0, random_state=0)

# %%
# Two fits, with a weak and a strong penalty. Newton's method needs a handful
# of iterations here. The objective is scikit-learn's
# ``LogisticRegression(C=1 / (alpha * n_samples))``: the coefficients agree.
weak = GDLogisticRegression(solver="newton", alpha=1e-4).fit(X, y)
strong = GDLogisticRegression(solver="newton", alpha=1.0).fit(X, y)
for model in (weak, strong):
    reference = LogisticRegression(C=1 / (model.alpha * len(X)), tol=1e-10).fit(X, y)
    print(
        f"alpha={model.alpha:g}: w = {np.round(model.coef_[0], 4)}, "
        f"b = {model.intercept_[0]:.4f}; scikit-learn: w = {np.round(reference.coef_[0], 4)}, "
        f"b = {reference.intercept_[0]:.4f}; {model.n_iter_} Newton iterations"
    )
    assert np.allclose(model.coef_, reference.coef_, atol=1e-3)

# %%
# The probability of the positive class, with the boundary :math:`p = 1/2`.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
for ax, model in zip(axes, (weak, strong), strict=True):
    display = DecisionBoundaryDisplay.from_estimator(
        model,
        X,
        response_method="predict_proba",
        cmap="RdBu_r",
        alpha=0.8,
        ax=ax,
        levels=np.linspace(0, 1, 11),
    )
    DecisionBoundaryDisplay.from_estimator(
        model, X, response_method="decision_function", plot_method="contour", levels=[0], ax=ax
    )
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolor="k", s=20)
    norm = np.linalg.norm(model.coef_)
    ax.set_title(f"GDLogisticRegression, alpha={model.alpha:g}\n|w| = {norm:.2f}")
fig.colorbar(display.surface_, ax=axes, label="P(class 1)")
plt.show()

# %%
# Three classes with the softmax classifier, here trained by mini-batch Adam.
# The colour shows the most probable class, paler where it is less sure; the
# markers show the true classes.
X3, y3 = make_blobs(n_samples=300, centers=[[-2, 0], [2, 0], [0, 2.5]], random_state=0)
softmax = GDSoftmaxClassifier(solver="adam", alpha=1e-3, random_state=0).fit(X3, y3)
print(f"softmax on 3 blobs: training accuracy {softmax.score(X3, y3):.3f}")
fig, ax = plt.subplots(figsize=(5.5, 4.2))
DecisionBoundaryDisplay.from_estimator(softmax, X3, response_method="predict_proba", ax=ax)
for k, marker in zip(range(3), "os^", strict=True):
    ax.scatter(*X3[y3 == k].T, marker=marker, facecolor="white", edgecolor="k", s=20)
ax.set_title("GDSoftmaxClassifier (adam), 3 classes")
plt.show()
