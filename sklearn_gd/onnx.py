"""Export to ONNX: skl2onnx converters for the estimators of sklearn-gd.

Importing this module registers a shape calculator and a converter for
:class:`~sklearn_gd.GDLinearRegression`, :class:`~sklearn_gd.GDLogisticRegression`
and :class:`~sklearn_gd.GDSoftmaxClassifier` with skl2onnx, whose ``to_onnx``
then converts them, alone or inside a pipeline. It needs skl2onnx (and
onnxruntime to run the result): ``pip install "sklearn-gd[onnx]"``.

Each graph is made of standard ONNX operators only, in the input's float type
(float32 or float64): the linear predictor ``Z = X @ coef_.T + intercept_``
(MatMul and Add), then the estimator's link, as its ``predict`` and
``predict_proba`` compute them:

- regression: ``Z`` itself, one column per target (output ``variable`` of
  shape (n_samples, n_targets), n_targets = 1 for a 1-D ``y``, as skl2onnx's
  ``LinearRegression``);
- binary logistic regression: the probabilities ``[sigmoid(-z), sigmoid(z)]``;
- one-vs-rest logistic regression: each class's ``sigmoid(z_k)`` divided by the
  row's sum, computed as ``softmax(log sigmoid(z))`` (``log sigmoid(z) =
  -softplus(-z)``), which stays finite where every sigmoid underflows;
- softmax regression: ``softmax(Z)``.

The classifiers' outputs follow skl2onnx's conventions: ``label`` (the class of
the largest score, taken from ``classes_``: int64 for integer, boolean or
integer-valued float labels, strings for string labels) and ``probabilities``,
a list of dictionaries unless ``options={"zipmap": False}`` (or ``"columns"``).
The options of skl2onnx's ``LogisticRegression`` converter are supported:
``zipmap``, ``nocl`` (class indices instead of labels), ``output_class_labels``
and ``raw_scores`` (the scores ``Z`` instead of the probabilities; ``[-z, z]``
for the binary logistic regression).

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> from skl2onnx import to_onnx
>>> from sklearn.datasets import load_iris
>>> import sklearn_gd.onnx  # registers the converters
>>> from sklearn_gd import GDSoftmaxClassifier
>>> X, y = load_iris(return_X_y=True)
>>> clf = GDSoftmaxClassifier(alpha=1e-3).fit(X, y)
>>> onx = to_onnx(clf, X[:1].astype(np.float32), options={"zipmap": False})
>>> session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
>>> label, proba = session.run(None, {"X": X.astype(np.float32)})
>>> bool(np.all(label == clf.predict(X)))
True
>>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
True
"""

import numbers

import numpy as np

try:
    import skl2onnx
except ModuleNotFoundError as exc:  # not installed (an installed one's errors propagate)
    if exc.name != "skl2onnx":
        raise
    raise ImportError(
        "sklearn_gd.onnx needs skl2onnx (and onnxruntime to run the exported "
        'models): pip install "sklearn-gd[onnx]"'
    ) from exc

from onnx import TensorProto, numpy_helper
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils import check_input_and_output_numbers, check_input_and_output_types
from skl2onnx.common.utils_classifier import get_label_classes

from .linear_regression import GDLinearRegression
from .logistic import GDLogisticRegression
from .softmax import GDSoftmaxClassifier

__all__ = [
    "calculate_classifier_output_shapes",
    "calculate_regressor_output_shapes",
    "convert_gd_linear_regression",
    "convert_gd_logistic_regression",
    "convert_gd_softmax_classifier",
]

_FLOAT_TYPES = [FloatTensorType, DoubleTensorType]
_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [True, False],
    "output_class_labels": [False, True],
    "raw_scores": [True, False],
}
_INT64 = np.iinfo(np.int64)


# ------------------------------------------------------------ shape calculators
def _n_outputs(model):
    return np.atleast_2d(model.coef_).shape[0]


def calculate_regressor_output_shapes(operator):
    """Shape calculator of :class:`~sklearn_gd.GDLinearRegression`.

    One float input of shape (N, n_features) gives one output of its type and
    shape (N, n_targets).
    """
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    check_input_and_output_types(operator, good_input_types=_FLOAT_TYPES)
    n = operator.inputs[0].get_first_dimension()
    tensor_type = type(operator.inputs[0].type)
    operator.outputs[0].type = tensor_type([n, _n_outputs(operator.raw_operator)])


def calculate_classifier_output_shapes(operator):
    """Shape calculator of the two classifiers.

    One float input of shape (N, n_features) gives the labels, of shape (N,),
    and the probabilities (or scores), of the input's type and shape
    (N, n_classes).
    """
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(operator, good_input_types=_FLOAT_TYPES)
    model = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    classes = _label_tensor(get_label_classes(operator.scope_inst, model))
    label_type = StringTensorType if classes.dtype.kind == "O" else Int64TensorType
    operator.outputs[0].type = label_type([n])
    operator.outputs[1].type = type(operator.inputs[0].type)([n, len(model.classes_)])


# ------------------------------------------------------------ graphs
def _label_tensor(classes):
    """The classes as the values of an ONNX label tensor: int64, or strings (an object array).

    Raises
    ------
    ValueError
        For labels ONNX cannot hold exactly as int64 or strings.
    """
    classes = np.asarray(classes)
    values = classes.tolist()
    if all(isinstance(c, str) for c in values):
        return np.array(values, dtype=object)
    integral = all(
        isinstance(c, numbers.Integral)
        or (isinstance(c, numbers.Real) and float(c).is_integer())
        for c in values
    )
    if integral and all(_INT64.min <= c <= _INT64.max for c in values):
        return np.array([int(c) for c in values], dtype=np.int64)
    raise ValueError(
        f"The class labels {values!r} cannot be exported to ONNX, whose labels "
        "are int64 or strings. Refit on labels of one of these types, or convert "
        'with options={"nocl": True} to output class indices.'
    )


class _Graph:
    """Adds the nodes and constants of one converter, in the input's float type."""

    def __init__(self, scope, operator, container):
        self.scope, self.operator, self.container = scope, operator, container
        double = isinstance(operator.inputs[0].type, DoubleTensorType)
        self.dtype = np.float64 if double else np.float32

    def constant(self, name, array):
        """Add ``array`` (numeric, or an object array of strings); return its name."""
        name = self.scope.get_unique_variable_name(name)
        if array.dtype.kind == "O":
            content = [s.encode("utf-8") for s in array.ravel()]
            self.container.add_initializer(name, TensorProto.STRING, list(array.shape), content)
        else:
            tensor = numpy_helper.from_array(np.asarray(array), name)
            self.container.add_initializer(name, None, None, tensor)
        return name

    def node(self, op_type, *inputs, output=None, **attrs):
        """Add one standard ONNX node; return the name of its (new or given) output."""
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        name = self.scope.get_unique_operator_name(op_type)
        self.container.add_node(op_type, list(inputs), output, name=name, **attrs)
        return output

    def linear_predictor(self, output=None):
        """``X @ coef_.T + intercept_``: MatMul, then Add."""
        model = self.operator.raw_operator
        coef = np.atleast_2d(model.coef_)
        weights = self.constant("coef", np.ascontiguousarray(coef.T, dtype=self.dtype))
        intercept = np.asarray(model.intercept_, dtype=self.dtype)
        intercept = self.constant("intercept", np.broadcast_to(intercept, coef.shape[:1]))
        product = self.node("MatMul", self.operator.inputs[0].full_name, weights)
        return self.node("Add", product, intercept, output=output)

    def sigmoid(self, scores, output):
        return self.node("Sigmoid", scores, output=output)

    def softmax(self, scores, output):
        return self.node("Softmax", scores, output=output, axis=1)

    def normalised_sigmoids(self, scores, output):
        """``sigmoid(z_k) / sum_j sigmoid(z_j)`` per row, as ``softmax(log sigmoid(z))``.

        That stays finite where every ``sigmoid(z_j)`` underflows. ``log
        sigmoid(z) = min(z, 0) - log(1 + exp(-|z|))`` (onnxruntime's Softplus
        takes float32 only).
        """
        decay = self.node("Exp", self.node("Neg", self.node("Abs", scores)))
        one = self.constant("one", np.ones(1, dtype=self.dtype))
        zero = self.constant("zero", np.zeros(1, dtype=self.dtype))
        log_sigmoid = self.node(
            "Sub", self.node("Min", scores, zero), self.node("Log", self.node("Add", decay, one))
        )
        return self.softmax(log_sigmoid, output)

    def classifier_outputs(self, scores, link):
        """The labels (``classes_`` at the argmax of ``scores``) and ``link(scores)``.

        With the option ``raw_scores=True``, the scores instead of ``link(scores)``.
        """
        model = self.operator.raw_operator
        label, proba = (output.full_name for output in self.operator.outputs)
        classes = _label_tensor(get_label_classes(self.scope, model))
        index = self.node("ArgMax", scores, axis=1, keepdims=0)
        self.node("Gather", self.constant("classes", classes), index, output=label, axis=0)
        if self.container.get_options(model, dict(raw_scores=False))["raw_scores"]:
            self.node("Identity", scores, output=proba)
        else:
            link(scores, proba)


# ------------------------------------------------------------ converters
def convert_gd_linear_regression(scope, operator, container):
    """Converter of :class:`~sklearn_gd.GDLinearRegression`: the linear predictor."""
    _Graph(scope, operator, container).linear_predictor(operator.outputs[0].full_name)


def convert_gd_logistic_regression(scope, operator, container):
    """Converter of :class:`~sklearn_gd.GDLogisticRegression`.

    Two classes: the scores ``[-z, z]`` and their sigmoids. More classes: one
    sigmoid per class, normalised by their sum (one-vs-rest).
    """
    graph = _Graph(scope, operator, container)
    scores = graph.linear_predictor()
    if _n_outputs(operator.raw_operator) == 1:
        scores = graph.node("Concat", graph.node("Neg", scores), scores, axis=1)
        graph.classifier_outputs(scores, graph.sigmoid)
    else:
        graph.classifier_outputs(scores, graph.normalised_sigmoids)


def convert_gd_softmax_classifier(scope, operator, container):
    """Converter of :class:`~sklearn_gd.GDSoftmaxClassifier`: the softmax of the scores."""
    graph = _Graph(scope, operator, container)
    graph.classifier_outputs(graph.linear_predictor(), graph.softmax)


def _register():
    skl2onnx.update_registered_converter(
        GDLinearRegression,
        "SklearnGDLinearRegression",
        calculate_regressor_output_shapes,
        convert_gd_linear_regression,
    )
    for model, convert in [
        (GDLogisticRegression, convert_gd_logistic_regression),
        (GDSoftmaxClassifier, convert_gd_softmax_classifier),
    ]:
        skl2onnx.update_registered_converter(
            model,
            f"Sklearn{model.__name__}",
            calculate_classifier_output_shapes,
            convert,
            options=_CLASSIFIER_OPTIONS,
        )


_register()
