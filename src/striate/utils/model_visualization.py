"""plot_model and model_to_dot: a model's graph of layers drawn by Graphviz, as Keras 3 draws it.

Each layer is a box (an HTML-like table: the name and class on black, then on request the input and
output shapes, the dtype, the activation and whether it trains), and an arrow joins each layer to
the layers its output feeds. With ``expand_nested`` a nested model is a dashed cluster of its own
layers. pydot (``pip install 'striate[diagram]'``) builds the graph; Graphviz's ``dot`` program,
a system package, draws it.
"""
import html
import os
import shutil

_RANKDIRS = ("TB", "LR", "BT", "RL")


def _pydot(caller):
    try:
        import pydot
    except ImportError:
        raise ImportError(f"{caller} needs pydot: pip install 'striate[diagram]'") from None
    return pydot


def _check(model, caller, kwargs):
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError(f"{caller}: layer_range is no longer supported (as in Keras 3)")
    if kwargs:
        raise ValueError(f"{caller}: unexpected keyword argument(s) {sorted(kwargs)}")
    if not model.built:
        raise ValueError(f"{caller}: model '{model.name}' has not been built yet; build it first (start it with "
                         "keras.Input(shape=...), call build(), or call it on a batch of data)")


def _is_graph(layer):
    """Whether ``layer`` is a model whose layers form a graph (functional or Sequential)."""
    from striate.models.model import Model
    return isinstance(layer, Model) and layer._functional


def _node_of(layer, model):
    """The call of ``layer`` in ``model``'s graph (its first call if it has none there), or None."""
    from striate.models.summary import graph_nodes
    in_model = [n for n in graph_nodes(model) if n.layer is layer] if _is_graph(model) else []
    return in_model[0] if in_model else (layer._inbound_nodes[0] if layer._inbound_nodes else None)


def _activation_name(activation):
    return getattr(activation, "name", None) or getattr(activation, "__name__", None) or str(activation)


def _cell(text, bgcolor="white", color=None):
    font = '<font point-size="14"' + (f' color="{color}"' if color else "") + ">"
    return f'<td bgcolor="{bgcolor}">{font}{text}</font></td>'


def _label(layer, model, show_layer_names, show_layer_activations, show_dtype, show_shapes, show_trainable):
    """Keras's HTML-like label for ``layer``'s box."""
    from striate.models.summary import kind
    cls = html.escape(kind(layer))
    colspan = max(1, int(show_dtype) + int(show_trainable) + 2 * int(show_shapes))
    title = f"<b>{html.escape(layer.name)}</b> ({cls})" if show_layer_names else f"<b>{cls}</b>"
    table = ('<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
             f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" color="white">{title}'
             "</font></td></tr>")
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        table += (f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">'
                  f"Activation: <b>{html.escape(_activation_name(layer.activation))}</b></font></td></tr>")
    node = _node_of(layer, model)

    def shapes(which):
        text = "?"
        if node is not None:
            tensors, several = (node.inputs, node.is_list) if which == "Input" else \
                (node.outputs, len(node.outputs) > 1)
            found = [t.shape for t in tensors]
            text = html.escape(str(found if several else found[0]))
        return f"{which} shape: <b>{text}</b>"

    cols = []
    if show_shapes:
        kinds = ["Output"] if type(layer).__name__ == "InputLayer" else ["Input", "Output"]
        cols.extend(_cell(shapes(which)) for which in kinds)
    if show_dtype:
        dtypes = "?" if node is None else ", ".join(str(t.dtype) for t in node.outputs)
        cols.append(_cell(f"Output dtype: <b>{dtypes}</b>"))
    if show_trainable and layer.weights:
        cols.append(_cell("<b>Trainable</b>", "forestgreen", "white") if layer.trainable else
                    _cell("<b>Non-trainable</b>", "firebrick", "white"))
    if cols:
        table += f"<tr>{''.join(cols)}</tr>"
    return table + "</table>>"


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB", expand_nested=False,
                 dpi=200, subgraph=False, show_layer_activations=False, show_trainable=False, splines="ortho",
                 **kwargs):
    """The graph of ``model``'s layers as a ``pydot.Dot``, as ``keras.utils.model_to_dot`` makes it.

    Args:
        model: a built model. A subclassed model is one box.
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's output dtype.
        show_layer_names: show the layers' names (else only their classes).
        rankdir: ``"TB"`` (top to bottom), ``"LR"`` (left to right), ``"BT"`` or ``"RL"``.
        expand_nested: draw a nested model's layers, in a dashed cluster.
        dpi: the resolution of a rendered picture.
        subgraph: return a ``pydot.Cluster`` (for a nested model) instead of a ``pydot.Dot``.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: mark layers with weights as trainable or not.
        splines: how Graphviz draws the arrows: ``"ortho"`` (right angles), ``"curved"``, ``"polyline"``,
            ``"spline"``, ``"line"``.

    Returns:
        A ``pydot.Dot`` (``pydot.Cluster`` with ``subgraph=True``): ``.to_string()`` is its DOT source.

    Raises:
        ImportError: pydot is not installed (``pip install 'striate[diagram]'``).

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, name="hidden"),
        ...                           keras.layers.Dense(1, name="out")])
        >>> source = keras.utils.model_to_dot(model, show_shapes=True).to_string()
        >>> "<b>hidden</b> (Dense)" in source, "Output shape: <b>(None, 1)</b>" in source
        (True, True)
    """
    pydot = _pydot("model_to_dot")
    _check(model, "model_to_dot", kwargs)
    if rankdir not in _RANKDIRS:
        raise ValueError(f"model_to_dot: rankdir must be one of {list(_RANKDIRS)}, received rankdir={rankdir!r}")
    from striate.models.sequential import Sequential
    from striate.models.summary import graph_nodes, listed_layers
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    shown = dict(show_layer_names=show_layer_names, show_layer_activations=show_layer_activations,
                 show_dtype=show_dtype, show_shapes=show_shapes, show_trainable=show_trainable)

    def add_node(layer, owner):
        dot.add_node(pydot.Node(str(id(layer)), label=_label(layer, owner, **shown), fontname="Helvetica",
                                border="0", margin="0"))

    def add_edge(source, destination):
        src, dst = str(id(source)), str(id(destination))
        if not dot.get_edge(src, dst):
            dot.add_edge(pydot.Edge(src, dst, penwidth="2"))

    if not _is_graph(model):
        add_node(model, model)
        return dot
    layers = listed_layers(model)
    for layer in layers:
        if expand_nested and _is_graph(layer):
            dot.add_subgraph(model_to_dot(layer, subgraph=True, expand_nested=True, **shown))
        else:
            add_node(layer, model)

    if isinstance(model, Sequential):
        if not expand_nested:
            for a, b in zip(layers, layers[1:]):
                add_edge(a, b)
            return dot
        layers = layers[1:]  # the first layer's input is the InputLayer, which a Sequential box leaves out
    in_model = {id(n) for n in graph_nodes(model)}
    for layer in layers:
        for node in layer._inbound_nodes:
            if id(node) not in in_model:
                continue
            for input_index, tensor in enumerate(node.inputs):
                source, destination = tensor.node.layer, layer
                if expand_nested:
                    output_index = tensor.index
                    while _is_graph(source):  # into a nested model: the layer that makes this output
                        made = source.outputs[output_index]
                        source, output_index = made.node.layer, made.index
                    while _is_graph(destination):  # into a nested model: its input (a Sequential's first layer)
                        destination = destination.layers[0] if isinstance(destination, Sequential) else \
                            destination.inputs[input_index].node.layer
                add_edge(source, destination)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False, rankdir="TB",
               expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False, splines="ortho",
               **kwargs):
    """Draw ``model``'s graph of layers into an image file, as ``keras.utils.plot_model`` does.

    The format follows the file's extension (``.png``, ``.svg``, ``.pdf``, ...; PNG when it has none).
    The file is written whole or not at all.

    Args:
        model: a built model.
        to_file: the image file to write.
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi, show_layer_activations,
            show_trainable, splines: as for :func:`model_to_dot` (``show_layer_names`` defaults to False,
            as in Keras 3).

    Returns:
        An ``IPython.display.Image`` of the file where IPython is installed (not for PDF), else None.

    Raises:
        ImportError: pydot is not installed (``pip install 'striate[diagram]'``), or Graphviz's ``dot``
            program is not found (install Graphviz: ``apt-get install graphviz`` / ``brew install graphviz``).

    Example:
        >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
        >>> _ = keras.utils.plot_model(model, "model.png", show_shapes=True)
        >>> open("model.png", "rb").read(4)
        b'\\x89PNG'
    """
    from striate.saving.atomic import atomic_write
    pydot = _pydot("plot_model")
    _check(model, "plot_model", kwargs)
    program = shutil.which("dot")
    if program is None:
        raise ImportError("plot_model needs Graphviz's `dot` program, which is not on the PATH: install Graphviz "
                          "(apt-get install graphviz / brew install graphviz)")
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    if extension not in pydot.Dot().formats:
        raise ValueError(f"plot_model: to_file's extension names the image format; received {to_file!r}, "
                         f"expected one of {sorted(pydot.Dot().formats)}")
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable, splines=splines)
    image = dot.create(prog=program, format=extension)
    with atomic_write(to_file, "wb") as f:
        f.write(image)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
