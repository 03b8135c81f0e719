"""Collection of the doctests of the package: skip modules whose optional dependencies are missing.

``onnx.py`` raises an ImportError without skl2onnx, and its example
runs the exported model with onnxruntime; without them, its doctests are not
collected (``tests/test_onnx.py`` skips its tests and says why).
"""

from importlib.util import find_spec

collect_ignore = []
if find_spec("skl2onnx") is None or find_spec("onnxruntime") is None:
    collect_ignore.append("onnx.py")
