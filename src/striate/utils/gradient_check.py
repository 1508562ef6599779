"""check_gradients: compare a model's backward pass with finite differences, weight by weight.

For people writing their own layers and ops: the gradient striate's autodiff computes for the loss is
compared with central differences ``(L(w + eps) - L(w - eps)) / 2 eps`` of the same loss, one sampled
entry at a time. Both run with every weight swapped for a float64 copy (as striate's tests check each
op in float64), so that what differs is the backward pass's math, not float32's rounding, and a random
layer in training mode draws the same numbers in both.
"""
import numpy as np

from striate import backend
from striate.autodiff import no_grad


class GradientCheckResult:
    """What :func:`check_gradients` found.

    Attributes:
        rows: one dict per trainable weight: ``layer`` (the name of the layer holding it), ``weight``
            (its name), ``shape``, ``entries`` (how many entries were compared), ``max_abs_error``,
            ``relative_error`` (the largest difference over the gradient's largest entry) and ``ok``.
        loss: the loss the gradients are of.
        ok: whether every weight's gradient matched.
        failed: the rows that did not match.

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
        >>> result = keras.utils.check_gradients(model, np.ones((4, 3)), np.zeros((4, 2)), loss="mse",
        ...                                      print_fn=lambda line: None)
        >>> result.ok, [row["weight"] for row in result.rows]
        (True, ['kernel', 'bias'])
    """

    def __init__(self, rows, loss):
        self.rows, self.loss = rows, loss

    @property
    def ok(self):
        return all(row["ok"] for row in self.rows)

    @property
    def failed(self):
        return [row for row in self.rows if not row["ok"]]

    def __repr__(self):
        names = ", ".join(f"{row['layer']}/{row['weight']}" for row in self.failed)
        failed = f", failed: {names}" if names else ""
        return f"<GradientCheckResult ok={self.ok}, {len(self.rows)} weights{failed}>"


def _owners(model):
    """Each weight's layer: the innermost layer that created it."""
    return {id(v): layer for layer in model._self_and_sublayers()
            for v in layer._trainable_vars + layer._non_trainable_vars}


def _loss_function(model, loss, y_true, y_pred):
    """``(y_true, y_pred) -> scalar Tensor``: the outputs' losses (``loss`` for each output, or the
    compiled ones, weighted) plus the model's own (``add_loss``, weight regularizers), as ``fit`` adds them."""
    from striate.losses import resolve_loss
    from striate.trainers.trainer import _as_list, _scalar_loss, _shapes
    if loss is not None:
        terms = [(i, resolve_loss(loss, tuple(t.shape), tuple(p.shape)), 1.0)
                 for i, (t, p) in enumerate(zip(_as_list(y_true), _as_list(y_pred)))]
    elif getattr(model, "compiled", False):
        if model._compiled_losses is None:
            model._resolve(_shapes(y_true), _shapes(y_pred))
        terms = [(i, fn, w) for i, fn, w, _ in model._compiled_losses]
    else:
        raise ValueError(f"check_gradients: model '{model.name}' is not compiled; pass loss=... (a name such as "
                         "'mse', or a Loss)")

    def total(y_true, y_pred):
        y_true, y_pred = _as_list(y_true), _as_list(y_pred)
        value = None
        for i, fn, w in terms:
            term = fn(y_true[i], y_pred[i])
            term = term * w if w != 1.0 else term
            value = term if value is None else value + term
        for penalty in model.losses:
            value = _scalar_loss(penalty) if value is None else value + _scalar_loss(penalty)
        if value is None:
            raise ValueError(f"check_gradients: model '{model.name}' has no loss: it was compiled without one and "
                             "adds none; pass loss=...")
        return value
    return total


def _replay(model):
    """A function that puts every random draw back where it is now, so that each evaluation of a model
    in training mode draws the same dropout masks and noise (the backend's generator, and the call
    counts of layers seeded with ``seed=``)."""
    state = backend.get_rng_state()
    counts = {id(layer): (layer, layer.__dict__["_seeded_calls"]) for layer in model._self_and_sublayers()
              if "_seeded_calls" in layer.__dict__}

    def replay():
        backend.set_rng_state(state)
        for layer, calls in counts.values():
            layer._seeded_calls = calls
    return replay


def _table(rows):
    header = ["Layer", "Weight", "Shape", "Max abs error", "Relative error", "Result"]
    cells = [[r["layer"], r["weight"], str(r["shape"]), f"{r['max_abs_error']:.3e}", f"{r['relative_error']:.3e}",
              "OK" if r["ok"] else "FAIL"] for r in rows]
    widths = [max(len(c[k]) for c in [header] + cells) for k in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in [header] + cells]


def check_gradients(model, x, y, loss=None, epsilon=1e-5, max_entries=20, seed=0, rtol=1e-5, atol=1e-8,
                    training=False, print_fn=None):
    """Check the gradient of every trainable weight of ``model`` against finite differences.

    The loss is that of ``fit``: ``loss`` for every output when given, else the compiled loss (with
    its ``loss_weights``), plus the model's ``add_loss`` terms and weight regularizers. The model runs
    with float64 copies of its weights: one backward pass gives the gradients; then for each weight,
    ``max_entries`` entries picked at random (all of a smaller weight) are each moved by ``+-epsilon``
    and the central difference of the loss is compared with the gradient's entry. A weight passes
    when the largest difference is within ``atol + rtol * scale``, ``scale`` being the largest entry of
    its gradient. The weights, the model's state (BatchNormalization's statistics) and the random
    generator are restored afterwards.

    Keep ``x`` small (a few examples): each entry costs two forward passes.

    Args:
        model: a model (Sequential, functional or subclassed; built on ``x`` if it is not yet).
        x: a batch of inputs, as ``fit`` takes them.
        y: the targets for ``x``.
        loss: a loss name, function or Loss; default the model's compiled loss.
        epsilon: the step of the central differences.
        max_entries: the most entries compared per weight.
        seed: seeds the choice of entries.
        rtol, atol: the tolerance (see above).
        training: run the model in training mode; dropout and noise then draw the same numbers in
            every evaluation (the random generators are rewound before each).
        print_fn: called with each line of the table; default ``print``.

    Returns:
        A :class:`GradientCheckResult`: ``.ok``, ``.rows`` (per weight: layer, weight, shape, errors)
        and ``.failed``.

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, name="dense")])
        >>> x, y = np.ones((4, 3)), np.zeros((4, 2))
        >>> result = keras.utils.check_gradients(model, x, y, loss="mse")  # doctest: +ELLIPSIS
        Gradient check of "sequential...": loss ..., 8 entries of 2 weights compared
        Layer  Weight  Shape   Max abs error  Relative error  Result
        dense  kernel  (3, 2)  ...  OK
        dense  bias    (2,)    ...  OK
        All 2 gradients match finite differences.
        >>> result.ok
        True
    """
    if not isinstance(max_entries, int) or isinstance(max_entries, bool) or max_entries < 1:
        raise ValueError(f"check_gradients: max_entries must be a positive integer, received "
                         f"max_entries={max_entries!r}")
    if not epsilon > 0:
        raise ValueError(f"check_gradients: epsilon must be positive, received epsilon={epsilon!r}")
    out = print_fn or print
    x, y, _ = model._prepare(x, y, None)
    if not model.built:
        with no_grad():
            model(x)
    weights = [v for v in model.trainable_weights if v.requires_grad]
    if not weights:
        raise ValueError(f"check_gradients: model '{model.name}' has no trainable weights to check")
    owners = _owners(model)
    every = model.weights
    originals = [v.data for v in every]
    backups = [a.copy() for a in originals]
    replay = _replay(model)
    rng = np.random.default_rng(seed)
    try:
        for v, backup in zip(every, backups):
            v.data = backup.astype(np.float64) if backup.dtype.kind == "f" else backup.copy()
            v.grad = None
        replay()
        y_pred = model(x, training=training)
        loss_fn = _loss_function(model, loss, y, y_pred)
        value = loss_fn(y, y_pred)
        if value.dtype != np.float64:
            raise TypeError(f"check_gradients: with float64 weights the loss of model '{model.name}' came out as "
                            f"{value.dtype}: a layer computes in a fixed dtype, whose rounding finite "
                            "differences would measure")
        value.backward()
        analytic = [np.zeros(v.shape) if v.grad is None else backend.to_numpy(v.grad) for v in weights]

        def evaluate():
            replay()
            with no_grad():
                return float(backend.to_numpy(loss_fn(y, model(x, training=training)).data))

        rows = []
        for v, grad in zip(weights, analytic):
            flat = v.data.reshape(-1)
            picked = np.sort(rng.choice(flat.size, min(flat.size, max_entries), replace=False))
            numeric = np.empty(len(picked))
            for k, i in enumerate(picked):
                i = int(i)
                centre = float(flat[i])
                flat[i] = centre + epsilon
                up = evaluate()
                flat[i] = centre - epsilon
                numeric[k] = (up - evaluate()) / (2 * epsilon)
                flat[i] = centre
            error = float(np.max(np.abs(grad.reshape(-1)[picked] - numeric)))
            scale = max(float(np.max(np.abs(grad))), float(np.max(np.abs(numeric))))
            layer = owners.get(id(v), model)
            rows.append({"layer": layer.name, "weight": v.path.rsplit("/", 1)[-1], "shape": tuple(v.shape),
                         "entries": len(picked), "max_abs_error": error,
                         "relative_error": error / scale if scale else 0.0, "ok": error <= atol + rtol * scale})
    finally:
        for v, original, backup in zip(every, originals, backups):
            original[...] = backup
            v.data = original
        for v in weights:
            v.grad = None
        replay()
    result = GradientCheckResult(rows, float(backend.to_numpy(value.data)))
    out(f'Gradient check of "{model.name}": loss {result.loss:.6g}, {sum(r["entries"] for r in rows)} entries of '
        f"{len(rows)} weights compared")
    for line in _table(rows):
        out(line)
    failed = result.failed
    out(f"All {len(rows)} gradients match finite differences." if not failed else
        f"{len(failed)} of {len(rows)} gradients differ from finite differences: "
        + ", ".join(f"{r['layer']}/{r['weight']}" for r in failed))
    return result
