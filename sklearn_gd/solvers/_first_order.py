"""The loop shared by the first-order solvers: gd, sgd, momentum, adam, adamw and the like.

Each of those solvers is only an *update rule* in the style of optax: it keeps an
explicit state and turns a (mini-batch) gradient into a step. This module runs
the epochs: the batches (which the objective yields: rows of an array in memory,
computed chunks of a dask array), the proximal step for the L1 part, the
learning-rate schedule, the stopping rule and divergence detection.

Run state
    Everything a run changes as it goes (the rule's state, the resolved initial
    rate, the schedule's position, the plateau scale and counters, the reference
    objective of the divergence check) is one :class:`FirstOrderState`. ``fit``
    starts a new one, so a warm start moves from the previous coefficients as
    far as a cold fit would; ``partial_fit`` hands the state of its previous
    call back to :meth:`FirstOrderSolver.partial_minimize`, one epoch per call.

Learning rate
    ``eta0`` is the estimator's ``learning_rate`` (``"auto"``: ``1 / L``, or the
    solver's fixed ``auto_learning_rate``); the rate of epoch ``t`` is
    ``scale * schedule.rate(t, eta0)`` where ``scale`` starts at 1 and changes
    only when the schedule reacts to a plateau (:class:`~sklearn_gd.schedules.Adaptive`).

Stopping rule
    * one batch per epoch (full batch): stop when the largest entry of the
      (proximal) gradient mapping at the current iterate, taken with the step
      ``eta0`` so that it does not depend on the schedule, is at most ``tol``;
    * mini-batches: a *plateau* is ``n_iter_no_change`` epochs in a row whose
      mean objective fails to improve on the best by more than ``tol``. With
      one batch per epoch (a stochastic rule on at most ``batch_size`` rows)
      an epoch whose objective is below the previous one's does not count:
      the run is deterministic, so slow progress is not noise, and cutting
      its rate would only slow it further. The
      schedule reacts to it (``Adaptive`` divides the rate by 5) or, if it does
      not (any more), the run stops. With full batches a plateau only feeds
      the schedule. A mini-batch ``fit`` whose schedule reacts also probes,
      every ``n_iter_no_change`` epochs, the mean of the iterates since the
      last probe: far below the epochs' mean objective, it makes a plateau
      (:meth:`_Run._noisy`). A one-batch run of a stochastic rule too slow
      to finish within ``max_iter`` stops, not converged (:meth:`_Run._too_slow`).
    * a callback (early stopping, scikit-learn callbacks) may stop the run.
"""

from dataclasses import dataclass

import numpy as np

from ..schedules import make_schedule
from ._base import IterationLog, Solver, SolverResult, StopReason, detects_overflow
from ._batch_buffers import BatchBuffers
from ._compiled_epochs import CompiledEpochs
from ._precision import ITERATION_CAP

#: Default epochs without an improvement larger than ``tol`` that make a plateau
#: (the estimators pass their ``n_iter_no_change``).
N_ITER_NO_CHANGE = 5
#: Default mini-batch size of the stochastic solvers: ``min(AUTO_BATCH, n_samples)``.
AUTO_BATCH = 200
#: A plateau stop whose :func:`certified_gap` exceeds this many ``tol``, and
#: this share of the objective (mini-batch noise leaves about that much), stopped short.
SHORT_OF_OPTIMUM = 10
SHORT_SHARE = 1e-3
#: Epochs in each half of the window over which a one-batch run's pace is measured.
PACE = 5
#: How many times the epochs left a one-batch run's pace must need to stop it: a
#: linear rate read off ten epochs misjudges a run that later speeds up (Adam's,
#: whose rate cuts then help), and within this margin such runs still finish.
PACE_MARGIN = 4
#: A mini-batch run is a plateau when the mean of its recent iterates is this many
#: times tol, and its recent gain, below the epoch's mean objective
#: (:meth:`_Run._noisy`), judged on means of at least this many updates.
PROBE_RATIO = 10
PROBE_UPDATES = 100
#: A divergence error advises scaling the features first when the curvature
#: diagonal at the start spans more than this factor (scales ten times apart).
SCALE_SPREAD = 1e2
#: Full proximal gradient steps that end a stochastic run with an L1 part.
FINISHING_STEPS = 5


@dataclass
class FirstOrderState:
    """What a first-order run carries from one epoch to the next, and across calls.

    Attributes
    ----------
    solver : str
        Name of the solver whose state this is.
    rule : object
        The update rule's own state (momentum buffers, Adam's moments and step count).
    eta0 : float
        The initial learning rate, ``"auto"`` resolved.
    step : int
        Epochs (or full-batch iterations) completed: the schedule's position.
    lr_scale : float
        Multiplier of the scheduled rate, changed by plateau reactions.
    best : float
        Lowest epoch objective since the last plateau reaction.
    stalled : int
        Epochs in a row that did not improve on ``best`` by more than ``tol``.
    reference : float
        What divergence is measured against: the larger of the objective at
        the start of training and at zero coefficients.
    above : int
        Epochs in a row far above ``reference`` (see :class:`IterationLog`).
    seen : int
        Rows stepped from so far (what ``average=n`` counts).
    updates : int
        Updates (mini-batch steps) so far: the position of a per-update schedule.
    last : float
        The previous epoch's objective (a one-batch run still going down is
        not on a plateau).
    average_start : int or None
        The user's averaging (``average``): from this many rows on, the run's
        result is the running mean of the iterates, as in scikit-learn's
        averaged SGD. None: off.
    average, n_average : ndarray or None, int
        That running mean and how many iterates it holds.
    raw : ndarray or None
        With the user's averaging, the last iterate itself, from which the
        next ``partial_fit`` call goes on (its ``coef_`` is the mean).
    tail, n_tail : ndarray or None, int
        The mean of the iterates since the last plateau reduction of the
        learning rate (mini-batch runs): what ``fit`` returns instead of the
        last iterate when its objective is lower (Polyak-Ruppert averaging of
        the final phase, which removes most of the mini-batch noise).
    probing : bool
        Whether the tail is kept before the first reduction too, as the mean
        of the iterates since the last probe of :meth:`_Run._noisy` (``fit``
        of a mini-batch run whose schedule reacts to plateaus).
    window_value, window_rows : float, int
        ``partial_fit``: the summed objective (times rows) and the rows of the
        calls not yet seen by the plateau rule, which sees their mean once
        they hold :data:`AUTO_BATCH` rows.
    """

    solver: str
    rule: object
    eta0: float
    step: int = 0
    lr_scale: float = 1.0
    best: float = np.inf
    stalled: int = 0
    reference: float = np.inf
    above: int = 0
    seen: int = 0
    updates: int = 0
    last: float = np.inf
    average_start: object = None
    average: object = None
    n_average: int = 0
    raw: object = None
    tail: object = None
    n_tail: int = 0
    probing: bool = False
    window_value: float = 0.0
    window_rows: int = 0


class FirstOrderSolver(Solver):
    """A solver defined by an update rule ``(gradient, state) -> (step, state)``.

    Subclasses implement :meth:`init_state` and :meth:`update` and set:

    ``full_batch_default``
        whether ``batch_size="auto"`` means the whole data set;
    ``default_schedule``
        the schedule used when the estimator's ``schedule`` is None
        (``"adaptive"``: divide by 5 when the objective stalls);
    ``auto_learning_rate``
        ``None`` to take ``1 / L`` from the objective's Lipschitz estimate, or
        a fixed number ``a`` (Adam's step is scale-free, so it uses one): the
        auto rate is then ``min(a * max(auto_min_distance, D), S)``,
        ``D`` and ``S`` the estimates of :func:`coordinate_distance`;
    ``auto_min_distance``
        the least distance that rate assumes (1: a problem whose minimiser is
        near keeps ``a``);
    ``auto_batch_scaling``
        whether that rate shrinks like ``sqrt(batch_size / 200)`` for batches
        under the default 200 rows (the square-root scaling rule of the
        adaptive rules with a constant rate).
    """

    supports_l1 = True
    reports_iterates = True
    uses_learning_rate = True
    uses_schedule = True
    full_batch_default = True
    default_schedule = "constant"
    auto_learning_rate = None
    auto_min_distance = 1.0
    auto_batch_scaling = False
    uses_batch_size = True
    needs_curvature_bound = True

    def init_state(self, theta):
        """The optimiser state at the start of a run (e.g. zero momentum)."""
        return None

    def update(self, grad, state, theta, learning_rate, objective):
        """Return ``(step, prox_step, state)``: ``theta`` becomes ``prox(theta - step)``.

        ``prox_step`` is the step size (scalar or per coefficient) the proximal
        operator of the L1 part is taken with.
        """
        raise NotImplementedError

    def kernel_rule(self):
        """This rule for the compiled mini-batch epoch, or None (the NumPy loop runs).

        A dict with ``method`` (``"sgd"``, ``"momentum"``, ``"adam"`` or ``"adagrad"``,
        which RMSProp shares) and the
        hyperparameters the kernel takes (``beta_1``, ``beta_2``, ``epsilon``,
        ``nesterov``); see :mod:`sklearn_gd.solvers._compiled_epochs`. A rule whose
        :meth:`update` is not one of those sequences keeps the default, None.
        """
        return None

    def batch_size_for(self, batch_size, n_samples, stream=False):
        """Rows per batch for the estimator's ``batch_size`` on ``n_samples`` rows.

        A run is mini-batch exactly when this is below ``n_samples``, or when
        it is a ``stream`` (``partial_fit``) with ``batch_size="auto"``, whose
        batches are ``min(AUTO_BATCH, n_samples)`` rows for every rule.
        """
        if batch_size == "auto" or not self.uses_batch_size:
            if (self.full_batch_default and not stream) or not self.uses_batch_size:
                return n_samples
            return min(AUTO_BATCH, n_samples)
        return min(int(batch_size), n_samples)

    def minimizes(self, objective):
        """Whether this rule's fixed point is the minimiser of ``objective``."""
        return True

    def _default_schedule(self, full_batch):
        """The schedule used when the estimator's ``schedule`` is None."""
        return self.default_schedule

    def _auto_step_factor(self, full_batch):
        """Factor applied to ``1 / L`` for ``learning_rate="auto"``."""
        return 1.0

    def _learning_rate(self, learning_rate, objective, batch_size, rng, theta, full_batch=None):
        """``eta0``: the ``learning_rate`` given, or the ``"auto"`` one.

        ``"auto"`` is ``factor / L`` with ``L`` the Lipschitz estimate of the
        (mini-batch) gradient, or, for a rule with a fixed
        ``auto_learning_rate`` ``a`` (Adam's step is measured in units of the
        coefficients), ``min(a * max(m, D), S)`` with ``D`` and ``S`` the
        estimates of :func:`coordinate_distance` at the start and ``m`` the
        rule's ``auto_min_distance``: coefficients far from the start in units
        of ``a`` (raw regression targets of scale 100) get a rate that can
        reach them, unless a step that large would overshoot the coordinates
        of features of large scale; ``S`` caps ``a`` itself too (a feature of
        scale 5e4 needs steps of about 1e-5). With no distance at all (a
        stationary start) ``a`` replaces ``a * D``. A rule with
        ``auto_batch_scaling`` multiplies that by
        ``sqrt(batch_size / AUTO_BATCH)`` for mini-batches of fewer rows than
        :data:`AUTO_BATCH`: the noise of a batch of ``b`` rows grows like
        ``1 / sqrt(b)``, and for Adam and RMSProp the rate that keeps the
        iterates' noise the same scales like ``sqrt(b)`` (Malladi et al.,
        2022). Without it a constant rate sized for batches of 200 made
        one-row batches end their first epoch above where they started.
        """
        if learning_rate != "auto":
            return float(learning_rate)
        if full_batch is None:
            full_batch = batch_size >= objective.n_samples
        size = min(batch_size, objective.n_samples)
        parts = [objective] if full_batch else objective.sample_batches(3, size, rng)
        if self.auto_learning_rate is not None:
            a = float(self.auto_learning_rate)
            distance, safe = coordinate_distance(parts, theta)
            distance = max(self.auto_min_distance, distance)
            # The cap applies below ``a`` too: the least of a feature of scale
            # 5e4 needs steps of about 1e-5, and Adam's 0.01 diverged there.
            rate = min(a * (distance if distance > 0 else 1.0), safe)
            if self.auto_batch_scaling and not full_batch:
                rate *= min(1.0, np.sqrt(batch_size / AUTO_BATCH))
            return rate
        # The steepest of a few random batches bounds what one step meets.
        lipschitz = max(part.lipschitz() for part in parts)
        if not 0 < lipschitz < np.inf:
            lipschitz = None
        factor = self._auto_step_factor(full_batch)
        return factor / lipschitz if lipschitz is not None else factor

    def start(self, objective, theta, learning_rate, batch_size, rng, full_batch=None):
        """A new :class:`FirstOrderState` for a run from ``theta``.

        ``full_batch`` (default: ``batch_size >= objective.n_samples``) says
        whether the run takes full-batch steps; a stream's are mini-batch steps.
        """
        eta0 = self._learning_rate(learning_rate, objective, batch_size, rng, theta, full_batch)
        reference = objective.value(theta)
        if np.any(theta):  # a warm start may begin below the null model's objective
            reference = max(reference, objective.value(np.zeros_like(theta)))
        return FirstOrderState(self.name, self.init_state(theta), eta0, reference=reference)

    # ------------------------------------------------------------- runs
    @detects_overflow
    def minimize(self, objective, theta0, *, max_iter, tol, callback=None, **settings):
        """Epochs from ``theta0`` until a stopping rule holds or ``max_iter``: what ``fit`` runs.

        Parameters as for :meth:`Solver.minimize`; ``settings`` are the other
        run settings of ``_Run`` (``learning_rate``, ``batch_size``,
        ``schedule``, ``n_iter_no_change``, ``random_state``, ``verbose``,
        ``average``, ``record_batches``). A run always starts afresh.
        """
        run = _Run(
            self, objective, theta0, max_iter=max_iter, tol=tol, callback=callback, **settings
        )
        return run.to_the_end()

    @detects_overflow
    def partial_minimize(self, objective, theta0, *, tol, initial_state=None, **settings):
        """One epoch over ``objective`` from ``theta0``, continuing ``initial_state``.

        What ``partial_fit`` runs: each row is read once (no reference or final
        evaluation of its own), the schedule and plateau counters go on from
        the state of the previous call, and the result's ``state`` is the one to
        pass to the next call. ``settings`` as for :meth:`minimize`.
        """
        run = _Run(
            self, objective, theta0, initial_state, max_iter=1, tol=tol, stream=True, **settings
        )
        return run.one_epoch()

    @staticmethod
    def _scheduled(schedule, step, eta0, scale):
        lr = scale * float(schedule.rate(step, eta0))
        if not (np.isfinite(lr) and lr >= 0):
            raise ValueError(
                f"The learning-rate schedule {schedule!r} gave {lr!r} at step {step}; "
                "a learning rate must be a finite number >= 0."
            )
        return lr


def coordinate_distance(parts, theta):
    r"""How far the coefficients may have to travel, per coordinate, and how far they may step.

    With the (mini-batch) objectives ``parts`` at ``theta``, their values,
    gradients and curvature diagonals averaged (:math:`f`, :math:`g`,
    :math:`H_{jj}`), returns ``(D, S)``:

    .. math::

        D = \max_j \frac{|g_j|}{H_{jj}}, \qquad
        S = \sqrt{\frac{2 f}{\sum_j H_{jj}}} .

    :math:`|g_j| / H_{jj}` is the distance along coordinate :math:`j` to the
    minimum of the quadratic model of :math:`f` in that coordinate alone. It
    is an estimate, not a bound (correlated features can move the minimiser
    further or less far), but it measures the distance the way the adaptive
    rules step: every coordinate by about the learning rate per update, so a
    rate ``a * D`` crosses it in about ``1 / a`` updates. :math:`S` is the step
    that, taken on every coordinate at once, raises the quadratic model by
    :math:`f` through the curvature alone: a coordinate near its optimum
    (a feature of large scale) overshoots by the step, so a rate above
    :math:`S` can leave the run further from the optimum than zero loss is.
    Coordinates without curvature (a constant column without L2) are left
    out; ``(0, inf)`` if none has any.
    """
    values, grads = zip(*(part.smooth_value_and_gradient(theta) for part in parts), strict=True)
    diagonal = np.mean([part.curvature_diagonal(theta) for part in parts], axis=0)
    G = np.abs(parts[0].coef_matrix(np.mean(grads, axis=0)))
    curved = diagonal > 0
    if not np.any(curved):
        return 0.0, np.inf
    distance = float(np.max(G[curved] / diagonal[curved, None]))
    trace = float(np.sum(diagonal)) * G.shape[1]
    safe = float(np.sqrt(2.0 * max(np.mean(values), 0.0) / trace))
    return (distance if np.isfinite(distance) else 0.0), (safe if np.isfinite(safe) else np.inf)


def scale_advice(objective, theta):
    """Advice to scale the features when the curvature diagonal at ``theta`` is spread out.

    Given when its entries span more than :data:`SCALE_SPREAD`.

    The diagonal's entries are the curvatures along the coefficients (the
    intercept's included): the squared scales of the features, weighted by the
    loss's curvature. Features whose scales differ a lot want learning rates
    that differ as much, which one rate cannot give; standardising them is
    the cure, a smaller rate only a way to survive. Returns None otherwise.
    """
    diagonal = np.asarray(objective.curvature_diagonal(theta), dtype=np.float64)
    curved = diagonal[np.isfinite(diagonal) & (diagonal > 0)]
    if curved.size < 2 or not curved.max() > SCALE_SPREAD * curved.min():
        return None
    return (
        "Scale the features (e.g. StandardScaler) first: the curvature along the "
        f"coefficients differs by a factor of {curved.max() / curved.min():.3g} (features "
        "of very different scales), which no single learning rate suits."
    )


def proximal_finish(objective, theta):
    r"""Up to :data:`FINISHING_STEPS` full proximal gradient steps, each kept if it lowers F.

    :math:`\theta \leftarrow \mathrm{prox}_{P / L}(\theta - \nabla f(\theta) / L)`
    with :math:`L` the objective's Lipschitz estimate. A stochastic run's
    iterates are not sparse: the soft-thresholding of a mini-batch step zeros a
    coordinate only while that batch's gradient along it stays within the L1
    strength, which the noise of the batches breaks at almost every step, and
    the mean of the iterates (the final phase's, or the user's ``average``) is
    non-zero wherever any iterate was. A full proximal step zeros exactly the
    coordinates whose full gradient is within the L1 strength, and it does not
    raise the objective (the descent lemma; a step that would, the estimate of
    :math:`L` being low, is not taken). Returns ``theta`` itself if no step is
    taken.
    """
    if FINISHING_STEPS < 1:
        return theta
    lipschitz = objective.lipschitz()
    if not 0 < lipschitz < np.inf:
        return theta
    step = 1.0 / lipschitz
    value = objective.value(theta)
    for _ in range(FINISHING_STEPS):
        _, grad = objective.smooth_value_and_gradient(theta)
        candidate = objective.prox(theta - step * grad, step)
        candidate_value = objective.value(candidate)
        if not candidate_value <= value:
            break
        theta, value = candidate, candidate_value
    return theta


def certified_gap(objective, theta, l2_scale=None):
    r"""A lower bound on :math:`F(\theta) - \min F`: what one coordinate's proximal step gains.

    With :math:`L_j` an upper bound of the curvature along coordinate
    :math:`j` (:meth:`~sklearn_gd._objective.Objective.coordinate_lipschitz`)
    and :math:`\delta_j = \theta_j - \mathrm{prox}(\theta - g / L)_j` the
    proximal gradient step of that coordinate alone, the descent lemma gives

    .. math::

        F(\theta) - \min F \;\ge\; \max_j \tfrac{L_j}{2} \delta_j^2 ,

    :math:`g_j^2 / (2 L_j)` without an L1 part. It is scale-free: a
    coefficient of a feature of small scale that is far from its optimum
    shows, however flat the objective is along the others. The non-smooth
    part must act on each coordinate alone (L1, a box); with another
    constraint the bound is not taken (0).

    With ``l2_scale`` (one factor :math:`s_j \ge 0` per coefficient), the
    bound is taken for the objective whose L2 part is
    :math:`\tfrac{\lambda}{2} \sum_j s_j w_j^2` instead: the one whose
    minimiser is the fixed point of a rule that applies the decay decoupled
    from a per-coordinate step (AdamW, see :meth:`_Run._fixed_point_scale`).

    Returns
    -------
    gap : float
        The bound.
    value : float
        :math:`F(\theta)`, from the same pass over the data.
    """
    value, grad = objective.smooth_value_and_gradient(theta)
    value += objective.nonsmooth_value(theta)
    constraint = getattr(objective.penalty, "constraint", None)
    if constraint is not None and not constraint.separable:
        return 0.0, value
    lipschitz = np.broadcast_to(objective.coordinate_lipschitz()[:, None], objective.shape)
    lipschitz = lipschitz.ravel()
    if l2_scale is not None:  # lambda * s_j in place of lambda along each weight
        decay = np.asarray(l2_scale, dtype=np.float64) - 1.0
        grad = grad + decay * objective.l2_gradient(theta)
        lipschitz = lipschitz + decay * objective.l2_gradient(np.ones_like(theta))
    curved = lipschitz > 0
    step = np.where(curved, 1.0 / np.where(curved, lipschitz, 1.0), 0.0)
    moved = theta - objective.prox(theta - step * grad, step)
    return float(np.max(0.5 * lipschitz[curved] * moved[curved] ** 2, initial=0.0)), value


def epochs_to_finish(values, patience, tol):
    """Epochs a slowing descent still needs until what is left of it is at most ``tol``.

    ``values`` are the last ``2 * patience + 1`` epoch objectives of a
    deterministic (one-batch) run. Their mean fall per epoch over the two
    halves, ``previous`` and ``recent``, gives the rate ``r`` at which the
    falls shrink, ``(recent / previous) ** (1 / patience)``: a linearly
    converging run has ``recent * r / (1 - r)`` left to gain, which shrinks by
    ``r`` per epoch. None when the falls do not shrink (no rate to go by).
    """
    values = np.asarray(values, dtype=np.float64)
    previous = (values[0] - values[patience]) / patience
    recent = (values[patience] - values[-1]) / patience
    if not 0 < recent < previous:
        return None
    r = (recent / previous) ** (1.0 / patience)
    left = recent * r / (1.0 - r)
    return 0.0 if left <= tol else float(np.log(tol / left) / np.log(r))


class _Run:
    """One run of a first-order rule: its batches, schedule, plateaus and log.

    Parameters
    ----------
    solver : FirstOrderSolver
        The update rule.
    objective : Objective
        What is minimised.
    theta0 : ndarray
        The starting point (not modified).
    initial_state : FirstOrderState or None, default=None
        The state of the previous ``partial_fit`` call of the same solver to
        go on from; otherwise the run starts a new one.
    max_iter, tol, callback
        As for :meth:`Solver.minimize`.
    learning_rate, batch_size, schedule, n_iter_no_change, random_state, verbose
        As for :meth:`Solver.minimize`.
    average : bool or int, default=False
        The estimator's ``average``: return the running mean of the iterates
        (from this many rows on; True: from the first).
    record_batches : bool, default=False
        Add every batch's objective to the history (``"batch_objective"``).
    stream : bool, default=False
        A ``partial_fit`` call, one block of a stream: with
        ``batch_size="auto"`` its steps are mini-batch steps (rate, schedule)
        whatever the block's size.
    """

    def __init__(
        self, solver, objective, theta0, initial_state=None, *, max_iter, tol,
        learning_rate="auto", batch_size="auto", schedule=None,
        n_iter_no_change=N_ITER_NO_CHANGE, random_state=None, verbose=0, callback=None,
        average=False, record_batches=False, stream=False,
    ):  # fmt: skip
        self.batch_values = [] if record_batches else None
        self.solver, self.objective = solver, objective
        self.max_iter, self.tol, self.patience = max_iter, tol, n_iter_no_change
        self.rng = random_state if random_state is not None else np.random.RandomState(0)
        self.batch = solver.batch_size_for(batch_size, objective.n_samples, stream)
        auto_stream = stream and batch_size == "auto"
        self.full_batch = self.batch >= objective.n_samples and not auto_stream
        default = solver._default_schedule(self.full_batch)
        self.schedule = make_schedule(default if schedule is None else schedule, horizon=max_iter)
        self.theta = self.theta0 = np.array(theta0, dtype=np.float64)
        if isinstance(initial_state, FirstOrderState) and initial_state.solver == solver.name:
            self.state = initial_state
        else:
            self.state = solver.start(
                objective, self.theta, learning_rate, self.batch, self.rng, self.full_batch
            )
            if average is not False and average is not None:
                self.state.average_start = max(int(average), 1)  # True: from the first row
        if self.state.raw is not None:
            self.theta = np.array(self.state.raw)  # partial_fit goes on from the last iterate
        self.lr = self._rate()
        self.log = IterationLog(
            solver.name,
            verbose,
            self.state.reference,
            self.state.eta0,
            callback=callback,
            iterations_above=self.state.above,
            unit="iteration" if self.full_batch else "epoch",
            optimality_name="max |gradient mapping|" if self.full_batch else None,
        )
        self.log.advice = lambda: scale_advice(objective, self.theta0)
        self.optimality = np.inf
        self.recent = []  # the last epoch objectives of a one-batch run (see _too_slow)
        self.too_slow, self.n_slow = None, 0  # a one-batch crawl's pace (see _too_slow)
        self.values = []  # the last epoch objectives of a mini-batch run (see _noisy)
        self.jump = None  # where a plateau found by _noisy goes on from
        self.remedy = None  # what the warning of a run that stopped short advises
        self.compiled = CompiledEpochs.for_run(solver, objective, self.batch)
        self.buffers = BatchBuffers.for_run(objective, self.batch)

    def _rate(self):
        state = self.state
        step = state.updates if self.schedule.per_update else state.step
        return self.solver._scheduled(self.schedule, step, state.eta0, state.lr_scale)

    # --------------------------------------------------------------- epochs
    def epoch(self):
        """One pass over the batches; returns True if the gradient mapping met ``tol``.

        A full batch whose gradient mapping is at most ``tol`` is not stepped
        from (the run has converged there); otherwise every batch takes a step.
        """
        objective, solver, state = self.objective, self.solver, self.state
        epoch_value = 0.0
        batches = (self.buffers or objective).batches(self.batch, self.rng)
        if self.compiled is not None:  # one compiled call for the whole epoch
            epoch_value, batches = self.compiled.epoch(self), ()
        for part, share in batches:
            value, grad = part.smooth_value_and_gradient(self.theta)
            value += part.nonsmooth_value(self.theta)
            epoch_value += value * share
            if self.full_batch:
                eta0 = state.eta0
                mapping = (self.theta - objective.prox(self.theta - eta0 * grad, eta0)) / eta0
                self.optimality = float(np.max(np.abs(mapping), initial=0.0))
                if self.optimality <= self.tol:
                    self.epoch_value = epoch_value
                    return True
                if value < self.best_value:
                    self.best_theta, self.best_value = self.theta, value
            if self.batch_values is not None:
                self.batch_values.append(value)
            if self.schedule.per_update:
                self.lr = self._rate()
            step, prox_step, state.rule = solver.update(grad, state.rule, self.theta, self.lr, part)
            state.updates += 1
            self.theta = objective.prox(self.theta - step, prox_step)
            if not np.all(np.isfinite(self.theta)):
                self.log.fail("the coefficients overflowed to infinity or NaN", self.lr)
            self._accumulate(part.n_samples)
        if not self.full_batch:
            best = state.best
            self.optimality = abs(best - epoch_value) if np.isfinite(best) else np.inf
        self.epoch_value = epoch_value
        return False

    def _accumulate(self, n_rows):
        """Add the new iterate to the running means (user's average, final-phase tail)."""
        state, theta = self.state, self.theta
        state.seen += n_rows
        if state.average_start is not None and state.seen >= state.average_start:
            state.n_average += 1
            if state.average is None:
                state.average = theta.copy()
            else:
                state.average += (theta - state.average) / state.n_average
        if (state.lr_scale < 1.0 or state.probing) and not self.full_batch:
            state.n_tail += 1
            if state.tail is None:
                state.tail = theta.copy()
            else:
                state.tail += (theta - state.tail) / state.n_tail

    def reported(self):
        """The coefficients the run reports: the user's average if asked, else the iterate."""
        state = self.state
        if state.average_start is None or state.average is None:
            return self.theta
        state.raw = self.theta
        return state.average

    def plateau(self):
        """Feed the plateau rule with the last epoch; True when the run should stop."""
        state, schedule = self.state, self.schedule
        reacts = schedule.on_plateau(state.lr_scale) is not None
        # A deterministic (one-batch) run whose objective still falls by a
        # hundredth of tol per epoch is slow, not on a plateau.
        descending = self.full_batch and self.epoch_value < state.last - 0.01 * self.tol
        state.last = self.epoch_value
        if self.full_batch and self.solver.stochastic and self._too_slow():
            return True
        if self.epoch_value < state.best - self.tol:
            state.best, state.stalled = self.epoch_value, 0
        elif descending:
            pass  # one batch per epoch: a run still going down is slow, not on a plateau
        elif not self.full_batch or self.solver.stochastic or reacts:
            state.stalled += 1
        if state.probing and state.stalled < self.patience and self._noisy():
            state.stalled = self.patience  # the noise, not the drift, is what is left
        if state.stalled < self.patience:
            return False
        state.stalled = 0
        new_scale = schedule.on_plateau(state.lr_scale)
        if new_scale is not None:
            if state.probing and state.tail is not None and self.jump is not None:
                self.theta, self.jump = self.jump, None  # go on from the mean of the window
            state.lr_scale, state.best = new_scale, self.epoch_value
            state.tail, state.n_tail = None, 0  # average the phase at the new rate
            return False
        return not self.full_batch or self.solver.stochastic

    def _noisy(self):
        """Whether a mini-batch run's iterates scatter by far more than it still progresses.

        Probed every ``n_iter_no_change`` epochs, once the window holds at
        least :data:`PROBE_UPDATES` updates. The mean of the iterates since
        the last probe (or plateau reduction), ``tail``, is nearer to where
        they scatter around than any one of them. When its objective is below
        the last epoch's mean by :data:`PROBE_RATIO` times ``tol`` and times
        what the run gained over the last ``n_iter_no_change`` epochs, the
        noise of the rate, not slow progress, is what holds the run back: a
        plateau, however the epochs' means drift, and the run goes on from that
        mean (the stagewise restart of Hazan & Kale's epoch-GD). One objective
        evaluation per probe.
        """
        state, patience, values = self.state, self.patience, self.values
        values.append(self.epoch_value)
        del values[: -(patience + 1)]
        if state.step % patience or state.tail is None or len(values) <= patience:
            return False
        noisy = False
        if state.n_tail >= PROBE_UPDATES:
            gained = max(values[0] - values[-1], 0.0)
            tail = state.tail.copy()
            margin = PROBE_RATIO * max(self.tol, gained)
            noisy = self.objective.value(tail) < self.epoch_value - margin
            self.jump = tail if noisy else None
        if not noisy and state.lr_scale == 1.0:  # a new window before the first reduction
            state.tail, state.n_tail = None, 0
        return noisy

    def _too_slow(self):
        """Whether a one-batch run crawls too slowly to finish within ``max_iter``.

        Such a run is deterministic: an epoch that falls by more than a
        hundredth of ``tol`` is progress, not a plateau, however slow. But a
        run whose last ``2 * PACE`` epochs each fell by less than ``tol`` (a
        plateau by scikit-learn's rule), ever less (:func:`epochs_to_finish`),
        may need more epochs than are left to
        come within ``tol`` of where it is heading; when it needs more than
        :data:`PACE_MARGIN` times the epochs left for ``n_iter_no_change``
        epochs in a row, it stops, not converged.
        """
        recent = self.recent
        recent.append(self.epoch_value)
        del recent[: -(2 * PACE + 1)]
        falls = -np.diff(recent)
        needed = None
        if len(recent) > 2 * PACE and np.all((falls > 0) & (falls < self.tol)):
            needed = epochs_to_finish(recent, PACE, self.tol)
        if needed is None or needed <= PACE_MARGIN * (self.max_iter - self.state.step):
            self.n_slow, self.too_slow = 0, None
            return False
        self.n_slow += 1
        self.too_slow = needed
        return self.n_slow >= self.patience

    def _record(self):
        stop = self.log.record(self.epoch_value, self.optimality, self.lr, self.theta)
        self.state.above = self.log.iterations_above
        return stop

    def one_epoch(self):
        """One epoch, every batch stepped from: what a ``partial_fit`` call runs."""
        self.best_value = np.inf
        self.state.probing = False  # each row is read once: no probe of the noise
        self.epoch()
        self._record()
        self.state.step += 1
        self._stream_plateau()
        self.theta = self.reported()
        return self._result(
            False, "one epoch over the data given (partial_fit)", StopReason.MAX_ITER
        )

    def _stream_plateau(self):
        """Feed the plateau rule with the mean objective of the calls since it last looked.

        It looks once those calls hold :data:`AUTO_BATCH` rows: the objective
        of a small block is mostly the noise of which rows it holds, and the
        best of many such values, which the rule compares with, is not a level
        a later block can be expected to beat (calls of six rows,
        each seen alone, brought the rate to its floor of 5^-5 within 80 to
        120 calls). A block of that many rows is seen at once, as before.
        """
        state, n = self.state, self.objective.n_samples
        state.window_value += self.epoch_value * n
        state.window_rows += n
        if state.window_rows < AUTO_BATCH:
            return
        self.epoch_value = state.window_value / state.window_rows
        state.window_value, state.window_rows = 0.0, 0
        self.plateau()

    def to_the_end(self):
        """Epochs until a stopping rule holds or ``max_iter``; the result of ``fit``."""
        self.best_theta, self.best_value = self.theta, np.inf
        converged, message, reason = False, ITERATION_CAP, StopReason.MAX_ITER
        tol, on_plateau = self.tol, False
        reacts = self.schedule.on_plateau(self.state.lr_scale) is not None
        self.state.probing = bool(not self.full_batch and np.isfinite(tol) and reacts)
        for _ in range(self.max_iter):
            if self.epoch():
                self._record()
                converged, message = True, f"max |gradient mapping| <= tol={tol:g}"
                reason = StopReason.CONVERGED
                break
            stop = self._record()
            self.state.step += 1
            if stop:
                converged, message = True, "stopped by a callback (e.g. early stopping)"
                reason = StopReason.CALLBACK
                break
            if self.plateau():
                converged, on_plateau, reason = True, True, StopReason.CONVERGED
                message = (
                    f"the objective improved by less than tol={tol:g} for {self.patience} epochs"
                )
                if self.too_slow is not None:
                    converged, on_plateau, message = False, False, self._too_slow_message()
                    reason = StopReason.STALLED
                break
            self.lr = self._rate()
        self.theta = self.reported()
        if self.solver.minimizes(self.objective):
            if self.full_batch and not converged:
                converged, message, reason = self._full_batch_end(converged, message, reason)
            elif not self.full_batch:
                converged, message, reason = self._mini_batch_end(converged, message, reason)
            if on_plateau and self.objective.penalty.l1 > 0:  # a stochastic run's end
                self.theta = proximal_finish(self.objective, self.theta)
            if on_plateau and converged:
                converged, message, reason = self._plateau_end(message)
        elif on_plateau and converged and not self.full_batch:  # AdamW: its own fixed point
            converged, message, reason = self._plateau_end(message, self._fixed_point_scale())
        if not self.full_batch or self.state.average_start is not None:
            # the epochs' entries are means over moving iterates; the last is
            # replaced by the objective of what is returned (an average, the start)
            self.log.history["objective"][-1] = self.objective.value(self.theta)
        return self._result(converged, message, reason)

    def _fixed_point_scale(self):
        """Per coefficient, what a rule's decoupled decay is worth in units of the gradient.

        A rule that does not minimise the objective applies its L2 part as a
        decay at the learning rate, next to a step of ``prox_step`` per unit of
        gradient (AdamW: ``lr / (sqrt(v_hat) + epsilon)``). It is at rest at
        ``theta`` when the data gradient balances the decay times
        ``lr / prox_step``, with the step its state would have there: fed the
        batch gradients of one pass at ``theta`` from a fresh state (AdamW's
        second moment is then their mean square). ``theta`` is that rest
        point exactly when it minimises the objective with the L2 part so
        weighted per coefficient (``certified_gap(..., l2_scale)``).
        """
        solver, theta, lr = self.solver, self.theta, self.lr
        rule, prox_step = solver.init_state(theta), 1.0
        for part, _ in self.objective.batches(self.batch, np.random.RandomState(0)):
            grad = part.smooth_value_and_gradient(theta)[1]
            _, prox_step, rule = solver.update(grad, rule, theta, lr, part)
        prox_step = np.broadcast_to(prox_step, theta.shape)
        return np.where(prox_step > 0, lr / np.where(prox_step > 0, prox_step, 1.0), 0.0)

    def _plateau_end(self, message, l2_scale=None):
        """A plateau stop that is provably far from the minimiser is reported as not converged.

        The plateau rule stops when the objective stops improving by ``tol``
        per epoch, which slow progress does too: with features of very
        different scales one learning rate is too small for some coefficients.
        :func:`certified_gap` bounds the distance to the minimum from below;
        above :data:`SHORT_OF_OPTIMUM` times ``tol`` and :data:`SHORT_SHARE`
        of the objective (below, mini-batch noise may be all that is left), the
        run stopped short.
        """
        gap, value = certified_gap(self.objective, self.theta, l2_scale)
        if not gap > max(SHORT_OF_OPTIMUM * self.tol, SHORT_SHARE * abs(value)):
            return True, message, StopReason.CONVERGED
        self.remedy = (
            "Scale the data (e.g. StandardScaler), lower tol so that slow progress "
            "still counts, or try a full-batch solver such as lbfgs."
        )
        target = "its minimum" if l2_scale is None else (
            "the minimum its decoupled weight decay settles at"
        )
        message = (
            f"{message}, but the objective is still at least {gap:.3g} above {target} "
            "(a proximal step on one coefficient alone lowers it that much): "
            "progress had slowed, not finished, as features of very different scales "
            "make it"
        )
        return False, message, StopReason.STALLED

    def _too_slow_message(self):
        """The warning of a one-batch run stopped by :meth:`_too_slow`."""
        self.remedy = (
            "Scale the data (e.g. StandardScaler), lower tol so that slow progress "
            "still counts, or try a full-batch solver such as lbfgs."
        )
        return (
            f"the objective fell by less than tol={self.tol:g} per epoch, ever more "
            f"slowly, for {self.patience + 2 * PACE} epochs; at that pace it would need "
            f"about {self.too_slow:.3g} more epochs, over {PACE_MARGIN} times what "
            f"max_iter={self.max_iter} leaves: progress had slowed, not finished"
        )

    def _full_batch_end(self, converged, message, reason):
        """A full-batch run that ended above its best iterate returns that iterate.

        A deterministic rule minimising the objective should not end above where
        it started: if it does, the learning rate was too large.
        """
        objective, state = self.objective, self.state
        final_value = objective.value(self.theta)
        if final_value > self.best_value and final_value > state.reference:
            self.theta = self.best_theta
            message = (
                f"it ended above its starting objective; returned the best iterate "
                f"seen (objective {self.best_value:.6g}). A smaller learning_rate "
                f"than {state.eta0:.3g} should do better"
            )
            final_value, reason = self.best_value, StopReason.DIVERGED
        if not np.isfinite(final_value) or final_value > state.reference:
            self.log.fail(
                f"it ended at an objective of {final_value:.6g}, above its value at the "
                f"start ({state.reference:.6g})",
                self.lr,
            )
        return converged, message, reason

    def _mini_batch_end(self, converged, message, reason):
        """A mini-batch run that ended above its starting objective returns its start.

        Its epoch objectives are means over moving iterates, so the whole
        objective is evaluated here (two passes, ``fit`` only). A run that ends
        above where it began (mini-batch noise in a short run, or too large a
        rate) returns the starting coefficients; by more than ``tol`` (the
        change the stopping rule ignores), that is reported as not converged (a
        ConvergenceWarning), not as divergence.

        Before that, the mean of the iterates since the last plateau reduction
        (``FirstOrderState.tail``) replaces the last iterate when its objective
        is lower: at a small constant rate the iterates scatter around the
        minimiser, and their mean is nearer to it than any one of them.
        """
        final_value = self.objective.value(self.theta)
        tail = self.state.tail
        if tail is not None and self.state.average_start is None:
            tail_value = self.objective.value(tail)
            if tail_value < final_value:
                self.theta, final_value = tail.copy(), tail_value
        if not np.isfinite(final_value):
            self.log.fail("it ended at a non-finite objective", self.lr)
        start_value = self.objective.value(self.theta0)
        if final_value <= start_value:
            return converged, message, reason
        self.theta = self.theta0
        if final_value <= start_value + self.tol:
            kept = "; it ended within tol above its start, kept the start"
            return converged, message + kept, reason
        message = (
            f"it ended above its starting objective ({final_value:.6g} > {start_value:.6g}), "
            "as mini-batch noise in a short run or too large a learning rate can make it; "
            f"returned the starting coefficients. A smaller learning_rate than "
            f"{self.state.eta0:.3g} or more epochs should do better"
        )
        return False, message, StopReason.DIVERGED

    def _result(self, converged, message, reason):
        history = self.log.history
        if self.batch_values is not None:
            history = {**history, "batch_objective": self.batch_values}
        return SolverResult(
            coef=self.theta,
            n_iter=max(self.log.n_iter, 1),
            converged=converged,
            optimality=self.optimality,
            optimality_name="max |gradient mapping|" if self.full_batch else "objective change",
            history=history,
            message=message,
            reason=reason,
            state=self.state,
            **({"remedy": self.remedy} if self.remedy else {}),
        )
