"""model.summary(): Keras 3's table of layers, output shapes and parameter counts."""


def _fmt_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024


def _count(weights):
    return int(sum(w.size for w in weights)), int(sum(w.size * w.dtype.itemsize for w in weights))


def _output_shape(layer, model):
    node = next((n for n in getattr(model, "_nodes", ()) if n.layer is layer), None)
    if node is None and layer._inbound_nodes:
        node = layer._inbound_nodes[-1]
    if node is None:
        return "?"
    shapes = [t.shape for t in node.outputs]
    return str(shapes[0]) if len(shapes) == 1 else str(shapes)


def _kind(layer):
    """The type Keras shows: a functional model is "Functional", whatever its class is called here."""
    from striate.models.model import Model
    return "Functional" if type(layer) is Model and layer._functional else type(layer).__name__


def _wrap(text, width):
    lines, line = [], ""
    for word in text.split(" "):
        while len(word) > width:  # a word longer than the column: cut
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line] if line or not lines else lines


def summary(model, print_fn=None, line_length=None):
    """Print the table; ``print_fn`` receives each line (default: print)."""
    from striate.models.sequential import Sequential
    out = print_fn or print
    cols = [33, 24, 15]
    if line_length:
        cols[0] = max(20, line_length - sum(cols[1:]) - 4)
    header = ["Layer (type)", "Output Shape", "Param #"]
    layers = model.layers
    if model._functional and not isinstance(model, Sequential):
        layers = [t.node.layer for t in model.inputs] + [l for l in model.layers if l not in
                                                       [t.node.layer for t in model.inputs]]

    def row(cells, left="│", mid="│", right="│"):
        # a cell too long for its column goes on as many lines as it needs, broken at spaces (as Keras)
        wrapped = [_wrap(str(c), w - 2) for c, w in zip(cells, cols)]
        lines = []
        for k in range(max(len(w) for w in wrapped)):
            a, b, c = (w[k] if k < len(w) else "" for w in wrapped)
            lines.append(left + mid.join([f" {a:<{cols[0] - 2}} ", f" {b:<{cols[1] - 2}} ",
                                          f" {c:>{cols[2] - 2}} "]) + right)
        return "\n".join(lines)

    def rule(l, m, r, fill="─"):
        return l + m.join(fill * c for c in cols) + r

    out(f'Model: "{model.name}"')
    out(rule("┏", "┳", "┓", "━"))
    out(row(header, "┃", "┃", "┃"))
    out(rule("┡", "╇", "┩", "━"))
    for i, layer in enumerate(layers):
        shape = _output_shape(layer, model) if model.built or model._functional else "?"
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        out(row([f"{layer.name} ({_kind(layer)})", shape, params]))
        if i < len(layers) - 1:
            out(rule("├", "┼", "┤"))
    out(rule("└", "┴", "┘"))
    total, total_b = _count(model.weights)
    train, train_b = _count(model.trainable_weights)
    out(f" Total params: {total:,} ({_fmt_bytes(total_b)})")
    out(f" Trainable params: {train:,} ({_fmt_bytes(train_b)})")
    out(f" Non-trainable params: {total - train:,} ({_fmt_bytes(total_b - train_b)})")
    opt = getattr(model, "optimizer", None)
    if opt is not None and getattr(opt, "variables", None):
        n, b = _count([getattr(v, "data", v) for v in opt.variables])
        if n:
            out(f" Optimizer params: {n:,} ({_fmt_bytes(b)})")
