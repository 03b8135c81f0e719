"""Plots of the training history, in scikit-learn's display style.

matplotlib is an optional dependency (``pip install "sklearn-gd[plot]"``): it
is imported when a plot is drawn, never when this module is imported.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from sklearn.datasets import make_regression
>>> from sklearn_gd import GDLinearRegression
>>> from sklearn_gd.plotting import LossCurveDisplay
>>> X, y = make_regression(n_samples=50, n_features=3, random_state=0)
>>> gd = GDLinearRegression(solver="gd").fit(X, y)
>>> momentum = GDLinearRegression(solver="momentum").fit(X, y)
>>> display = LossCurveDisplay.from_estimator([gd, momentum], log_scale=True)
>>> [line.get_label() for line in display.lines_]
['gd', 'momentum']
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["LossCurveDisplay"]

_Y_LABELS = {
    "objective": "objective",
    "optimality": "optimality measure",
    "learning_rate": "learning rate",
    "validation_score": "validation score",
    "validation_loss": "validation loss",
    "batch_objective": "mini-batch objective",
}
_X_LABELS = {"iteration": "iteration / epoch", "time": "time (s)"}


#: Line styles taken in turn once the colours of the colour cycle are used up.
_LINESTYLES = ("-", "--", ":", "-.")


def _curve_style(index, rcparams, kwargs):
    """Colour and line style of the ``index``-th curve on an axes (unless given).

    Curve ``i`` takes colour ``i mod k`` of the colour cycle (``k`` colours, 10
    by default) and line style ``i // k`` of :data:`_LINESTYLES`: a figure of
    the fourteen solvers has no two curves alike (up to ``4 k`` curves).
    """
    colors = rcparams["axes.prop_cycle"].by_key().get("color", ["C0"])
    style = {}
    if "color" not in kwargs and "c" not in kwargs:
        style["color"] = colors[index % len(colors)]
    if "linestyle" not in kwargs and "ls" not in kwargs:
        style["linestyle"] = _LINESTYLES[(index // len(colors)) % len(_LINESTYLES)]
    return style


def _pyplot(caller):
    """``matplotlib.pyplot``, or an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib. Install it with "
            '`pip install "sklearn-gd[plot]"` (or `pip install matplotlib`).'
        ) from exc
    return plt


def _final_estimator(estimator):
    """The last step of a pipeline, or the estimator itself."""
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def _check_has_history(estimator):
    """Refuse, saying which, an estimator that is not ours or not fitted."""
    from ._estimator import GDLinearModel  # late: the estimators import this module's users

    if not isinstance(estimator, GDLinearModel):
        import sklearn_gd

        ours = [
            name
            for name in sklearn_gd.__all__
            if isinstance(getattr(sklearn_gd, name), type)
            and issubclass(getattr(sklearn_gd, name), GDLinearModel)
        ]
        raise TypeError(
            "LossCurveDisplay.from_estimator needs a fitted sklearn-gd estimator "
            f"({', '.join(ours)}) or a pipeline ending in one; got "
            f"{type(estimator).__name__}, which records no training history (history_). "
            "For other histories use LossCurveDisplay(histories).plot()."
        )
    check_is_fitted(
        estimator,
        "history_",
        msg=(
            "This %(name)s instance is not fitted yet: LossCurveDisplay.from_estimator "
            "plots the history_ of a fit; call fit first."
        ),
    )


def _default_label(estimator):
    solver = getattr(estimator, "solver", None)
    if solver is None:
        return type(estimator).__name__
    return solver if isinstance(solver, str) else getattr(solver, "name", None) or repr(solver)


class LossCurveDisplay:
    """Training curves (objective per iteration or epoch) of fitted estimators.

    Build it with :meth:`from_estimator` from one or several fitted estimators
    (or pipelines ending in one), or directly from histories (dicts shaped like
    the estimators' ``history_``, e.g. the ``history`` of a
    :class:`~sklearn_gd.DivergenceError`), then call :meth:`plot`. Overlay
    curves by passing several estimators at once or by plotting again on the
    same ``ax``.

    Parameters
    ----------
    histories : list of dict
        One history per curve, with at least ``"objective"`` (and ``"time"``
        to plot against time).
    labels : list of str or None, default=None
        The legend entry of each curve; ``"curve <i>"`` when None.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes the curves were drawn on.
    figure_ : matplotlib Figure
        The figure holding ``ax_``.
    lines_ : list of matplotlib Line2D
        One line per curve, in the order of ``histories``.
    """

    def __init__(self, histories, *, labels=None):
        if isinstance(histories, dict):
            histories = [histories]
        self.histories = list(histories)
        if labels is None:
            labels = [f"curve {i}" for i in range(len(self.histories))]
        if len(labels) != len(self.histories):
            raise ValueError(
                f"Got {len(labels)} labels for {len(self.histories)} curves; give one each."
            )
        self.labels = list(labels)

    def plot(
        self, ax=None, *, x="iteration", y="objective", log_scale=False, optimum=None, **kwargs
    ):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None. Passing the ``ax_`` of an
            earlier display overlays the curves on it.
        x : {"iteration", "time"}, default="iteration"
            The horizontal axis: iteration (epoch) number from 1, or elapsed
            seconds since the start of the fit.
        y : str or list of str, default="objective"
            The entry (or entries, one curve each) of the history to plot:
            ``"objective"``, ``"optimality"``, ``"learning_rate"``,
            ``"validation_score"``, ``"validation_loss"`` (both recorded with
            ``fit(..., X_val=, y_val=)`` or ``early_stopping=True``) or
            ``"batch_objective"`` (``record_batches=True``).
            ``y=["objective", "validation_loss"]`` draws training and
            validation loss on one plot (the training objective includes the
            penalty; it is the training loss itself for ``alpha=0``).
        log_scale : bool, default=False
            Use a logarithmic vertical axis.
        optimum : float, default=None
            When given, plot ``y - optimum`` (e.g. the suboptimality of the
            objective against its minimum); values <= 0 are left out on a log scale.
        **kwargs : dict
            Passed to ``Axes.plot`` for every curve.

        Returns
        -------
        display : LossCurveDisplay
            ``self``, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        plt = _pyplot(f"{type(self).__name__}.plot")

        if x not in _X_LABELS:
            raise ValueError(f"x must be one of {sorted(_X_LABELS)}; got {x!r}.")
        keys = [y] if isinstance(y, str) else list(y)
        for key in keys:
            if key not in _Y_LABELS:
                raise ValueError(f"y must be one of {sorted(_Y_LABELS)}; got {key!r}.")
        if ax is None:
            _, ax = plt.subplots()
        self.lines_ = []
        curves = [
            (history, key, label if len(keys) == 1 else f"{label} ({_Y_LABELS[key]})")
            for history, label in zip(self.histories, self.labels, strict=True)
            for key in keys
        ]
        for history, key, label in curves:
            if key not in history:
                hint = (
                    " Fit with X_val=, y_val= (or early_stopping=True) to record it."
                    if key.startswith("validation")
                    else ""
                )
                raise ValueError(f"The history of {label!r} has no {key!r} entry.{hint}")
            values = np.asarray(history[key], dtype=float)
            if optimum is not None:
                values = values - optimum
            if log_scale:
                values = np.where(values > 0, values, np.nan)
            if x == "time":
                xs = np.asarray(history["time"], dtype=float)
            else:
                xs = np.arange(1, values.shape[0] + 1)
            style = _curve_style(len(ax.get_lines()), plt.rcParams, kwargs)
            (line,) = ax.plot(xs, values, label=label, **style, **kwargs)
            self.lines_.append(line)
        if log_scale:
            ax.set_yscale("log")
        ax.set_xlabel(_X_LABELS[x])
        name = " / ".join(_Y_LABELS[key] for key in keys)
        ax.set_ylabel(f"{name} - optimum" if optimum is not None else name)
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        ax=None,
        x="iteration",
        y="objective",
        log_scale=False,
        optimum=None,
        labels=None,
        **kwargs,
    ):
        """Plot the training curves of one or several fitted estimators.

        Parameters
        ----------
        estimator : estimator or list of estimators
            Fitted sklearn-gd estimators (or pipelines ending in one); each
            gives one curve from its ``history_``.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None (give an earlier display's
            ``ax_`` to overlay).
        x : {"iteration", "time"}, default="iteration"
            Against iteration (epoch) number or elapsed time.
        y : str or list of str, default="objective"
            The entry (or entries, one curve each) of the history to plot:
            ``"objective"``, ``"optimality"``, ``"learning_rate"``,
            ``"validation_score"``, ``"validation_loss"`` (both recorded with
            ``fit(..., X_val=, y_val=)`` or ``early_stopping=True``) or
            ``"batch_objective"`` (``record_batches=True``).
            ``y=["objective", "validation_loss"]`` draws training and
            validation loss on one plot (the training objective includes the
            penalty; it is the training loss itself for ``alpha=0``).
        log_scale : bool, default=False
            Use a logarithmic vertical axis.
        optimum : float, default=None
            When given, plot ``y - optimum``.
        labels : list of str, default=None
            Legend entries; by default each estimator's solver name.
        **kwargs : dict
            Passed to ``Axes.plot``.

        Returns
        -------
        display : LossCurveDisplay
        """
        estimators = estimator if isinstance(estimator, list | tuple) else [estimator]
        estimators = [_final_estimator(est) for est in estimators]
        for est in estimators:
            _check_has_history(est)
        if labels is None:
            labels = [_default_label(est) for est in estimators]
        display = cls([est.history_ for est in estimators], labels=labels)
        return display.plot(ax=ax, x=x, y=y, log_scale=log_scale, optimum=optimum, **kwargs)
