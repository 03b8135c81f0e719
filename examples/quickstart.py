"""
===========
Quick start
===========

Least squares by gradient descent, then a classifier in a pipeline: the two
things most users do first. Run it with ``python examples/quickstart.py``.
"""

import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_gd import Adam, GDLinearRegression, GDSoftmaxClassifier

# 1. Fit y = 2x + 1 on x = 1, 2, 3, 4 by full-batch gradient descent, starting from
#    w = 0, b = 0. learning_rate="auto" is 1/L, L estimated by power iteration.
X = np.array([[1.0], [2.0], [3.0], [4.0]])
y = 2 * X.ravel() + 1
reg = GDLinearRegression(solver="gd", tol=1e-8, max_iter=2000).fit(X, y)
print(f"gd: w = {reg.coef_[0]:.4f}, b = {reg.intercept_:.4f} after {reg.n_iter_} iterations")

# 2. A softmax classifier in a pipeline, trained by mini-batch Adam (batches of 16)
#    with a hyperparameter of its own on the solver object.
X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
clf = make_pipeline(
    StandardScaler(),
    GDSoftmaxClassifier(solver=Adam(beta_1=0.8), alpha=1e-3, batch_size=16, random_state=0),
)
clf.fit(X_train, y_train)
print(
    f"adam softmax on iris: test accuracy = {clf.score(X_test, y_test):.3f} "
    f"after {clf[-1].n_iter_} epochs"
)
print("class probabilities of the first test sample:", clf.predict_proba(X_test[:1]).round(3))
