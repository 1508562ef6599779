"""model.summary(): Keras 3's table of layers, output shapes and parameter counts, laid out as Keras's
renderer (rich) lays it out, and, on request, each layer's forward FLOPs and activation memory.

FLOPs of one forward pass (inference) for a batch, by layer class (:data:`FLOP_RULES`; a subclass
takes its parent's rule):

- Dense and the convolutions: a multiply-add is 2 FLOPs, so ``2 x kernel entries x positions``, the
  positions being the output's entries per channel (batch included): Dense(10) on 784 inputs at batch
  32 is ``2*784*10*32``; Conv2D(6, 5x5) on 28x28x1 is ``2*5*5*1*6*24*24`` per image (a grouped
  kernel holds ``in/groups`` channels); SeparableConv2D counts both kernels; Conv2DTranspose's kernel
  is applied at the input's positions. Biases and fused activations are not counted (as published
  model FLOPs count them).
- Element-wise layers, per output entry: activations 1, BatchNormalization, Rescaling and
  Normalization 2 (a scale and a shift at inference), LayerNormalization 5 (mean, variance,
  normalize, scale, shift), LocalResponseNormalization ``size + 3``, merges ``inputs - 1``
  (Add of two inputs: 1), Resizing 1.
- Pooling: a window's entries per output entry; global pooling: 1 per input entry.
- SqueezeExcitation: its global average, two dense steps and the rescaling.
- A nested model: the sum of its layers. Every other layer (reshaping, padding, cropping,
  concatenation, dropout and noise, which are identities at inference, inputs): 0.

A layer of one's own reports its count with a ``compute_flops(input_shape, output_shape)`` method
(shapes with the batch axis filled in, a list where the layer takes or gives several); without
one it counts 0.

Activation memory: the bytes of each layer's output for the batch (entries x the dtype's size); a
nested model counts its layers' outputs. The inputs are the data, not activations: an InputLayer
counts 0, so a Sequential model and the same functional one give the same totals.
"""
import math
import re
import shutil

from striate import backend
from striate import layers as L

_COST_WIDTH = 15  # characters for each of the FLOPs and Activations columns, right of Keras's


# -- the table, as rich draws Keras's ------------------------------------------------------------
def _wrap(text, width):
    """``text`` in lines of at most ``width`` characters, as rich wraps a table cell: broken before a word
    that does not fit; a word longer than a line gets a line of its own, cut with an ellipsis."""
    breaks, used = [], 0
    for match in re.finditer(r"\s*\S+\s*", text):
        start, word = match.start(), match.group()
        if width - used >= len(word.rstrip()):
            used += len(word)
            continue
        if start:
            breaks.append(start)
        used = len(word)
    lines = [text[a:b].rstrip() for a, b in zip([0] + breaks, breaks + [len(text)])]
    return [line if len(line) <= width else line[:width - 1] + "…" for line in lines]


def _justify(line, width, how):
    if how == "right":
        return line.rjust(width)
    if how == "center":
        left = (width - len(line)) // 2
        return " " * left + line + " " * (width - len(line) - left)
    return line.ljust(width)


def _column_widths(ends, line_length):
    """The columns' text widths, for columns ending at ``ends`` (characters): rich fits the columns, each
    padded by a space either side, between the borders of a table ``line_length`` wide: an excess is
    taken from all columns alike, a shortfall shared out in proportion to their widths."""
    widths = [b - a for a, b in zip([0] + ends, ends)]
    if min(widths) < 4:
        raise ValueError(f"summary: line_length={line_length} is too narrow for {len(widths)} columns "
                         f"ending at {ends}; a column needs at least 4 characters")
    room = line_length - len(widths) - 1
    padded = [min(w + 2, room) for w in widths]
    excess, shares, weight = sum(padded) - room, len(padded), sum(padded)
    for i, w in enumerate(padded):  # rich's ratio_reduce and ratio_distribute, with their rounding
        change = min(w, round(excess / shares)) if excess > 0 else -math.ceil(w * -excess / weight)
        padded[i], excess, shares, weight = w - change, excess - change, shares - 1, weight - w
    return [w - 2 for w in padded]


class _Table:
    def __init__(self, header, justify, widths):
        self.header, self.justify, self.widths = header, justify, widths

    def rule(self, left, mid, right, fill="─"):
        return left + mid.join(fill * (w + 2) for w in self.widths) + right

    def row(self, cells, bar="│", bottom=False):
        """A row's lines: each cell wrapped to its column, at the top of the row (the header's at the
        bottom, as rich aligns them)."""
        wrapped = [_wrap(str(c), w) for c, w in zip(cells, self.widths)]
        height = max(len(cell) for cell in wrapped)
        wrapped = [[""] * (height - len(cell)) * bottom + cell + [""] * (height - len(cell)) * (not bottom)
                   for cell in wrapped]
        return [bar + bar.join(f" {_justify(cell[k], w, how)} "
                               for cell, w, how in zip(wrapped, self.widths, self.justify)) + bar
                for k in range(height)]

    def lines(self, rows):
        out = [self.rule("┏", "┳", "┓", "━"), *self.row(self.header, "┃", bottom=True),
               self.rule("┡", "╇", "┩", "━")]
        for i, cells in enumerate(rows):
            if i:
                out.append(self.rule("├", "┼", "┤"))
            out.extend(self.row(cells))
        return out + [self.rule("└", "┴", "┘")]


# -- what a row says -------------------------------------------------------------------------------
def _readable_bytes(n):
    """Keras's readable_memory_size: ``'9.09 KB'``."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n / 1024 < 1:
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} PB"


def _si(n):
    """A count with an SI prefix and a space for the unit: ``'64 '``, ``'5.53 M'``."""
    if n < 1000:
        return f"{n} "
    for prefix in "KMGTP":
        n /= 1000
        if n < 1000 or prefix == "P":
            return f"{n:.2f} {prefix}"


def _count(weights):
    unique = {id(w): w for w in weights}.values()
    return int(sum(w.size for w in unique)), int(sum(w.size * w.dtype.itemsize for w in unique))


def _shape_text(shape):
    """A shape as Keras writes it: ``(None, 3)``, and ``(None)`` for one axis."""
    return f"({', '.join(str(n) for n in shape)})"


def _output_shape(layer, model):
    node = next((n for n in getattr(model, "_nodes", ()) if n.layer is layer), None)
    if node is None and layer._inbound_nodes:
        node = layer._inbound_nodes[-1]
    if node is None:
        return "?"
    shapes = [_shape_text(t.shape) for t in node.outputs]
    return shapes[0] if len(shapes) == 1 else f"[{', '.join(shapes)}]"


def kind(layer):
    """The type Keras shows: a functional model is "Functional", whatever its class is called here."""
    from striate.models.model import Model
    return "Functional" if type(layer) is Model and layer._functional else type(layer).__name__


def graph_nodes(model):
    """The nodes (layer calls) of a functional model, its inputs' included."""
    return [t.node for t in model.inputs] + list(model._nodes)


def listed_layers(model):
    """The layers as Keras lists them: a graph's inputs first (Keras's operations), a Sequential's
    without its InputLayer."""
    from striate.models.sequential import Sequential
    if not model._functional or isinstance(model, Sequential):
        return model.layers
    inputs = [t.node.layer for t in model.inputs]
    return inputs + [layer for layer in model.layers if all(layer is not i for i in inputs)]


def _sequential_like(model):
    """Keras's test for the short table: a chain, one layer call per depth, each on one tensor, and
    no layer called twice."""
    from striate.models.sequential import Sequential
    if isinstance(model, Sequential) or not model._functional:
        return True
    nodes = graph_nodes(model)
    depth, layer_depth = {}, {}
    for node in reversed(model._nodes):  # keras.src.ops.function.map_graph's depths
        d = max(depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        depth[id(node)] = layer_depth[id(node.layer)] = d
        for t in node.inputs:
            depth[id(t.node)] = max(d + 1, depth.get(id(t.node), 0))
    per_depth = {}
    for node in nodes:
        per_depth[depth.get(id(node), 0)] = per_depth.get(depth.get(id(node), 0), 0) + 1
    layers = [id(n.layer) for n in nodes]
    return (max(per_depth.values()) == 1 and all(len(n.inputs) <= 1 for n in nodes)
            and len(set(layers)) == len(layers))


def _connections(layer, model):
    """Keras's "Connected to": ``dense[0][0], ...`` for the calls of ``layer`` in ``model``."""
    in_model = {id(n) for n in graph_nodes(model)}
    links = [f"{t.node.layer.name}[{t.node.layer._inbound_nodes.index(t.node)}][{t.index}]"
             for node in layer._inbound_nodes if id(node) in in_model for t in node.inputs]
    return ", ".join(links) or "-"


def _layer_range(layers, layer_range):
    """Keras's get_layer_index_bound_by_layer_name: ``[first, last + 1)`` of the layers whose names match
    ``layer_range``'s two patterns (regular expressions matched at the start of the name)."""
    if layer_range is None:
        return 0, len(layers)
    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2 or \
            not all(isinstance(s, str) for s in layer_range):
        raise ValueError(f"summary: layer_range must be a list or tuple of two layer names (or patterns), "
                         f"received layer_range={layer_range!r}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(f"summary: layer_range={list(layer_range)} matches no layer of "
                         f"{[layer.name for layer in layers]}")
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


# -- FLOPs and activation memory -------------------------------------------------------------------
def _entries(shape):
    return math.prod(shape)


def _per_channel(layer, shape):
    """The entries of ``shape`` per channel: the positions where a kernel is applied."""
    first = getattr(layer, "data_format", "channels_last") == "channels_first"
    return _entries(shape) // shape[1 if first else -1]


def _kernel_flops(layer, ins, outs):
    return 2 * layer.kernel.size * _per_channel(layer, outs[0])


def _separable_flops(layer, ins, outs):
    return 2 * (layer.depthwise_kernel.size + layer.pointwise_kernel.size) * _per_channel(layer, outs[0])


def _transpose_flops(layer, ins, outs):
    return 2 * layer.kernel.size * _per_channel(layer, ins[0])


def _per_output(count):
    return lambda layer, ins, outs: count * sum(_entries(s) for s in outs)


def _pool_flops(layer, ins, outs):
    return math.prod(layer.pool_size) * _entries(outs[0])


def _merge_flops(layer, ins, outs):
    return (len(ins) - 1) * _entries(outs[0])


def _squeeze_excitation_flops(layer, ins, outs):
    batch = ins[0][0]
    dense = 2 * (layer.squeeze_kernel.size + layer.excite_kernel.size) * batch
    return _entries(ins[0]) + dense + _entries(outs[0])


FLOP_RULES = {
    L.Dense: _kernel_flops, L.Conv2D: _kernel_flops, L.DepthwiseConv2D: _kernel_flops,
    L.SeparableConv2D: _separable_flops, L.Conv2DTranspose: _transpose_flops,
    L.Activation: _per_output(1), L.ReLU: _per_output(1), L.LeakyReLU: _per_output(1),
    L.PReLU: _per_output(1), L.ELU: _per_output(1), L.Softmax: _per_output(1),
    L.BatchNormalization: _per_output(2), L.Rescaling: _per_output(2), L.Normalization: _per_output(2),
    L.LayerNormalization: _per_output(5), L.Resizing: _per_output(1),
    L.LocalResponseNormalization: lambda layer, ins, outs: (layer.size + 3) * _entries(outs[0]),
    L.MaxPooling2D: _pool_flops, L.AveragePooling2D: _pool_flops,
    L.GlobalAveragePooling2D: lambda layer, ins, outs: _entries(ins[0]),
    L.GlobalMaxPooling2D: lambda layer, ins, outs: _entries(ins[0]),
    L.Add: _merge_flops, L.Subtract: _merge_flops, L.Multiply: _merge_flops, L.Average: _merge_flops,
    L.Maximum: _merge_flops, L.Minimum: _merge_flops,
    L.SqueezeExcitation: _squeeze_excitation_flops,
}
"""Forward FLOPs by layer class: ``rule(layer, input_shapes, output_shapes)``, shapes with the batch."""


def _layer_flops(layer, ins, outs, node):
    own = getattr(layer, "compute_flops", None)
    if own is not None:
        return int(own(ins if node.is_list else ins[0], outs if len(outs) > 1 else outs[0]))
    rule = next((FLOP_RULES[c] for c in type(layer).__mro__ if c in FLOP_RULES), None)
    return 0 if rule is None else int(rule(layer, ins, outs))


def _node_cost(node, batch_size):
    """``(FLOPs, activation bytes)`` of one layer call for ``batch_size`` examples; None where a shape
    is unknown or the layer is a model whose layers are not a graph."""
    from striate.models.model import Model
    layer = node.layer
    if isinstance(layer, L.InputLayer):
        return 0, 0
    if isinstance(layer, Model):
        return _sum_costs([_node_cost(n, batch_size) for n in layer._nodes]) if layer._functional else None
    ins, outs = ([(batch_size,) + tuple(t.shape[1:]) for t in ts] for ts in (node.inputs, node.outputs))
    if any(n is None for s in ins + outs for n in s):
        return None
    itemsize = [backend.xp().dtype(t.dtype).itemsize for t in node.outputs]
    return _layer_flops(layer, ins, outs, node), sum(_entries(s) * b for s, b in zip(outs, itemsize))


def _sum_costs(costs):
    if not costs or any(c is None for c in costs):
        return None
    return sum(c[0] for c in costs), sum(c[1] for c in costs)


def _layer_cost(layer, model, batch_size):
    """The cost of ``layer``'s calls in ``model`` (a shared layer's calls add up); None if unknown."""
    if not getattr(model, "_functional", False):
        return None
    return _sum_costs([_node_cost(n, batch_size) for n in graph_nodes(model) if n.layer is layer])


# -- summary ---------------------------------------------------------------------------------------
def summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
            layer_range=None, show_flops=False, show_memory=False, batch_size=1):
    """Print Keras 3's summary table of ``model``; see :meth:`striate.Model.summary` for the arguments.

    Args:
        model: a model.
        line_length, positions, print_fn, expand_nested, show_trainable, layer_range: as Keras's.
        show_flops: add a "FLOPs" column and total (the rules are in this module's docstring).
        show_memory: add an "Activations" column (bytes of each layer's output) and total.
        batch_size: the batch the FLOPs and activation memory are counted for.

    Returns:
        None; each line goes to ``print_fn`` (default ``print``).

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
        >>> model.summary(show_flops=True, batch_size=32)  # doctest: +ELLIPSIS
        Model: "sequential..."
        ...
         Total FLOPs (batch 32): 501,760 (501.76 KFLOPs)
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"summary: batch_size must be a positive integer, received batch_size={batch_size!r}")
    out = print_fn or print
    layers = listed_layers(model)
    sequential_like = _sequential_like(model)

    header = ["Layer (type)", "Output Shape", "Param #"] + ([] if sequential_like else ["Connected to"])
    justify = ["left", "left", "right", "left"][:len(header)]
    default_length = 88 if sequential_like else 108
    costs = [name for name, on in (("FLOPs", show_flops), ("Activations", show_memory)) if on]
    default_length += 12 * show_trainable + _COST_WIDTH * len(costs)
    line_length = line_length or min(default_length, shutil.get_terminal_size().columns - 4)
    keras_length = line_length - _COST_WIDTH * len(costs)  # Keras's columns, then the cost columns
    if positions is None:
        positions = [0.45, 0.80, 1.0] if sequential_like else [0.3, 0.56, 0.74, 1.0]
    elif len(positions) != len(header):
        raise ValueError(f"summary: positions needs one end position for each of the columns {header}, "
                         f"received positions={list(positions)}")
    elif positions[-1] > 1:  # absolute positions (Keras 2's form) as fractions of the line
        positions = [p / keras_length for p in positions]
    if show_trainable:
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        justify.append("center")
    ends = [int(p * keras_length) for p in positions] + [keras_length + _COST_WIDTH * (i + 1)
                                                           for i in range(len(costs))]
    table = _Table(header + costs, justify + ["right"] * len(costs), _column_widths(ends, line_length))

    def fields(layer, owner, prefix):
        shape = _output_shape(layer, owner) if owner.built or owner._functional else "?"
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        cells = [f"{prefix}{layer.name} ({kind(layer)})", shape, params]
        if not sequential_like:
            cells.append(_connections(layer, model))
        cost = _layer_cost(layer, owner, batch_size) if show_flops or show_memory else None
        if show_trainable:
            cells.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        if show_flops:
            cells.append("?" if cost is None else _si(cost[0]).rstrip())
        if show_memory:
            cells.append("?" if cost is None else _readable_bytes(cost[1]))
        return cells

    def rows(layer, owner, level=0):
        found = [fields(layer, owner, "   " * level + "└ " if level else "")]
        if expand_nested and getattr(layer, "layers", None):
            for inner in layer.layers:
                found.extend(rows(inner, layer, level + 1))
        return found

    first, last = _layer_range(layers, layer_range)
    out(f'Model: "{model.name}"')
    for line in table.lines([r for layer in layers[first:last] for r in rows(layer, model)]):
        out(line)
    trainable, trainable_b = _count(model.trainable_weights)
    frozen, frozen_b = _count(model.non_trainable_weights)
    opt = getattr(model, "optimizer", None)
    slots = [getattr(v, "data", v) for v in getattr(opt, "variables", None) or ()]
    optimizer, optimizer_b = _count(slots)
    out(f" Total params: {trainable + frozen + optimizer:,} "
        f"({_readable_bytes(trainable_b + frozen_b + optimizer_b)})")
    out(f" Trainable params: {trainable:,} ({_readable_bytes(trainable_b)})")
    out(f" Non-trainable params: {frozen:,} ({_readable_bytes(frozen_b)})")
    if optimizer:
        out(f" Optimizer params: {optimizer:,} ({_readable_bytes(optimizer_b)})")
    if show_flops or show_memory:
        total = _sum_costs([_layer_cost(layer, model, batch_size) for layer in layers])
        unknown = "unknown (a layer's output shape is not known: build the model on an Input first)"
        if show_flops:
            out(f" Total FLOPs (batch {batch_size}): "
                + (unknown if total is None else f"{total[0]:,} ({_si(total[0])}FLOPs)"))
        if show_memory:
            out(f" Activation memory (batch {batch_size}): "
                + (unknown if total is None else _readable_bytes(total[1])))
