"""The order of the examples in the gallery: from first steps to comparisons."""

ORDER = [
    "quickstart.py",
    "plot_gradient_descent_line.py",
    "plot_learning_rates.py",
    "plot_batch_size.py",
    "plot_logistic_decision_boundary.py",
    "plot_polynomial_features.py",
    "plot_lasso_path_ista.py",
    "plot_training_control.py",
    "plot_digits_grid_search.py",
    "plot_solver_comparison.py",
    "plot_mnist_linear.py",
]


class ExplicitOrder:
    """Sort key for sphinx-gallery's ``within_subsection_order``: :data:`ORDER` first.

    Examples not listed come after the listed ones, by file name.
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = str(filename).rsplit("/", 1)[-1]
        position = ORDER.index(name) if name in ORDER else len(ORDER)
        return (position, name)

    def __repr__(self):
        return f"<{type(self).__name__}>"
