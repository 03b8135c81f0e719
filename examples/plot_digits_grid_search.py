"""
=====================================================================
Softmax on digits: a Pipeline and GridSearchCV over solvers and alpha
=====================================================================

:class:`~sklearn_gd.GDSoftmaxClassifier` is an ordinary scikit-learn
classifier: it goes into a :class:`~sklearn.pipeline.Pipeline` after a
:class:`~sklearn.preprocessing.StandardScaler`, and
:class:`~sklearn.model_selection.GridSearchCV` searches its ``solver`` and
``alpha`` like any other parameters. A solver can be given by name or as an
object with its own hyperparameters, which are searchable too
(``clf__solver__beta_1``).

The data are scikit-learn's 8 x 8 images of handwritten digits (1797 samples,
64 features, 10 classes). Every solver minimises the same objective, so for a
given ``alpha`` they reach (nearly) the same accuracy; they differ in time.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_gd import Adam, GDSoftmaxClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

pipe = Pipeline([("scale", StandardScaler()), ("clf", GDSoftmaxClassifier(random_state=0))])
solvers = ["lbfgs", "newton", "sgd", Adam(beta_1=0.9)]
alphas = [1e-4, 1e-3, 1e-2, 1e-1]
search = GridSearchCV(pipe, {"clf__solver": solvers, "clf__alpha": alphas}, cv=3)
search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"cross-validated accuracy {search.best_score_:.3f}")
print(f"test accuracy {search.score(X_test, y_test):.3f}")

# %%
# Accuracy against ``alpha`` for each solver, and the mean time of one fit.
results = search.cv_results_
names = [s if isinstance(s, str) else type(s).__name__ for s in solvers]
fig, (ax_score, ax_time) = plt.subplots(1, 2, figsize=(12, 4.2))
for solver, name in zip(solvers, names, strict=True):
    rows = [i for i, p in enumerate(results["params"]) if p["clf__solver"] is solver]
    ax_score.errorbar(
        [results["params"][i]["clf__alpha"] for i in rows],
        results["mean_test_score"][rows],
        yerr=results["std_test_score"][rows],
        marker="o",
        capsize=3,
        label=name,
    )
    ax_time.bar(name, np.mean(results["mean_fit_time"][rows]))
ax_score.set_xscale("log")
ax_score.set_xlabel("alpha")
ax_score.set_ylabel("cross-validated accuracy")
ax_score.set_title("GDSoftmaxClassifier on digits")
ax_score.legend()
ax_time.set_ylabel("mean fit time (s), pipeline included")
ax_time.set_title("Time of one fit, by solver")
fig.tight_layout()

# %%
# The best pipeline's errors on the held-out test set.
ConfusionMatrixDisplay.from_estimator(search.best_estimator_, X_test, y_test, colorbar=False)
plt.title("Confusion matrix of the best model (test set)")
plt.show()
