"""
====================================================================
Training control: schedules, early stopping, partial_fit and history
====================================================================

The first-order solvers (``gd``, ``sgd``, ``momentum``, ``adam``, ``adamw``)
take a learning-rate ``schedule``; with ``early_stopping=True`` they hold out
part of the data and keep the coefficients that score best on it; the
stateful ones (``sgd``, ``momentum``, ``adam``, ``adamw``) learn from a stream
of blocks with ``partial_fit``. Every fit records ``history_``, one entry per
iteration or epoch, which :class:`~sklearn_gd.LossCurveDisplay` plots.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_gd import GDLogisticRegression, LossCurveDisplay
from sklearn_gd.schedules import CosineAnnealing, LinearWarmup, StepDecay

X, y = make_classification(
    n_samples=5000, n_features=20, n_informative=10, flip_y=0.05, random_state=0
)
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
# Learning-rate schedules
# -----------------------
# Mini-batch SGD with four schedules, each for 60 epochs (``n_iter_no_change``
# as large as ``max_iter``, so no run stops on a plateau), and with its default
# ``"adaptive"`` schedule, which divides the rate by 5 whenever the objective
# has not improved by ``tol`` for ``n_iter_no_change`` epochs (5 by default)
# and stops once it would fall below 1e-4 of its start. The optimum, for
# reference, comes from ``lbfgs``.
optimum = GDLogisticRegression(alpha=1e-3, tol=1e-10).fit(X_train, y_train).loss_curve_[-1]

schedules = {
    "constant": "constant",
    "invscaling": "invscaling",
    "StepDecay(10, 0.5)": StepDecay(step_size=10, gamma=0.5),
    "warm-up + cosine": LinearWarmup(CosineAnnealing(), warmup_steps=5),
}
models, labels = [], []
for label, schedule in schedules.items():
    model = GDLogisticRegression(
        solver="sgd",
        alpha=1e-3,
        schedule=schedule,
        max_iter=60,
        n_iter_no_change=60,
        random_state=0,
    )
    with warnings.catch_warnings():
        # 60 epochs on purpose: the ConvergenceWarning for reaching max_iter is expected
        warnings.simplefilter("ignore", ConvergenceWarning)
        models.append(model.fit(X_train, y_train))
    labels.append(label)
adaptive = GDLogisticRegression(solver="sgd", alpha=1e-3, random_state=0).fit(X_train, y_train)
models.append(adaptive)
labels.append(f"adaptive (default; stopped after {adaptive.n_iter_} epochs)")

fig, (ax_rate, ax_objective) = plt.subplots(1, 2, figsize=(12, 4.5))
LossCurveDisplay.from_estimator(
    models, y="learning_rate", labels=labels, log_scale=True, ax=ax_rate
)
LossCurveDisplay.from_estimator(
    models, labels=labels, log_scale=True, optimum=optimum, ax=ax_objective
)
ax_rate.set_title("The learning rate of each epoch")
ax_objective.set_title("Epoch objective - optimum (mini-batch mean)")
ax_objective.get_legend().remove()
fig.tight_layout()

# %%
# A constant step leaves SGD bouncing around the optimum at a distance set by
# the step; a decaying one lets it settle. (The epoch objective is the mean
# over the epoch's mini-batches, taken while the coefficients move.)
for label, model in zip(labels, models, strict=True):
    print(f"{label:>45}: final objective - optimum = {model.loss_curve_[-1] - optimum:.2e}")

# %%
# Early stopping
# --------------
# ``early_stopping=True`` holds out ``validation_fraction`` (10 %) of the
# training data, stratified, scores every epoch on it, stops once the score has
# not improved by ``tol`` for ``n_iter_no_change`` epochs and keeps the best
# coefficients.
stopped = GDLogisticRegression(
    solver="adam", alpha=1e-3, early_stopping=True, max_iter=200, random_state=0
).fit(X_train, y_train)
print(
    f"adam with early stopping: {stopped.n_iter_} epochs, best validation accuracy "
    f"{stopped.best_validation_score_:.3f}, test accuracy {stopped.score(X_test, y_test):.3f}"
)
display = LossCurveDisplay.from_estimator(stopped, y="validation_score", marker="o")
display.ax_.set_title("Validation accuracy per epoch (early stopping)")

# %%
# Training and validation loss on your own validation set
# -------------------------------------------------------
# ``fit(X, y, X_val=..., y_val=...)`` (scikit-learn's spelling, as in
# ``HistGradientBoostingClassifier``) records, after every iteration or epoch,
# the loss on the validation set without the penalty (``"validation_loss"``)
# and its score; ``early_stopping=True`` would watch that set instead of
# holding out part of the training data. One plot shows both curves: the
# training objective keeps falling while the validation loss levels off.
X_fit, X_val, y_fit, y_val = train_test_split(X_train, y_train, random_state=1)
watched = GDLogisticRegression(solver="gd", alpha=1e-4, max_iter=300, tol=1e-6)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # 300 iterations, on purpose
    watched.fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
history = watched.history_
print(
    f"gd, {watched.n_iter_} iterations: training objective {history['objective'][-1]:.4f}, "
    f"validation loss {history['validation_loss'][-1]:.4f}"
)
display = LossCurveDisplay.from_estimator(watched, y=["objective", "validation_loss"])
display.ax_.set_title("Training objective and validation loss per iteration")

# %%
# Learning from a stream: ``partial_fit``
# ---------------------------------------
# Each call is one pass over the block it is given and continues from the
# optimiser's state (here SGD's step count and learning rate); the classes are
# given on the first call. ``history_`` grows by one entry per call.
stream = GDLogisticRegression(solver="sgd", alpha=1e-3, random_state=0)
blocks = np.array_split(np.arange(len(X_train)), 15)
accuracy = []
for block in blocks:
    stream.partial_fit(X_train[block], y_train[block], classes=[0, 1])
    accuracy.append(stream.score(X_test, y_test))
print(f"after {len(blocks)} blocks: {stream.n_iter_} entries in history_")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(np.arange(1, len(blocks) + 1), accuracy, "o-")
ax.set_xlabel("blocks seen")
ax.set_ylabel("test accuracy")
ax.set_title("partial_fit on a stream of blocks")
fig.tight_layout()
plt.show()
