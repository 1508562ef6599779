"""The graph of layer calls between a functional model's inputs and outputs.

It lives with the layers (each call is a ``layers.layer.Node``) so that models, saving and cloning can
all walk it without importing each other.
"""


def graph_order(inputs, outputs):
    """``(layers, node ids, nodes)`` between ``inputs`` and ``outputs``: the layers in Keras's order (by
    depth from the inputs, then by first visit from the outputs, as keras.src.ops.function.map_graph
    orders them, so ``get_weights()`` lists weights as Keras does), the ids of the graph's nodes, and
    the nodes (layer calls) in an order to run them, each after the nodes that feed it."""
    input_ids = {id(t) for t in inputs}
    finished, order, first_seen = set(), [], {}
    for output in outputs:
        stack = [(output, False)]
        while stack:
            tensor, expanded = stack.pop()
            node = tensor.node
            if node is None:
                continue
            if expanded:
                if id(node) not in finished:
                    finished.add(id(node))
                    order.append(node)
                continue
            if id(node) in finished:
                continue
            if node.inputs and id(tensor) in input_ids:
                finished.add(id(node))
                continue
            if not node.inputs and id(tensor) not in input_ids:
                raise ValueError(f"Model: an output depends on {tensor}, which is not among the model's inputs")
            first_seen.setdefault(id(node.layer), len(first_seen))
            stack.append((tensor, True))
            stack.extend((t, False) for t in reversed(node.inputs))
    in_graph = {id(n) for n in order}
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        for t in node.inputs:
            if t.node is not None and id(t.node) in in_graph:
                node_depth[id(t.node)] = max(depth + 1, node_depth.get(id(t.node), 0))
    for t in inputs:  # inputs that no output depends on
        if id(t.node.layer) not in layer_depth:
            layer_depth[id(t.node.layer)], first_seen[id(t.node.layer)] = 0, -1
            layers[id(t.node.layer)] = t.node.layer
            in_graph.add(id(t.node))
    ordered = sorted(layers.values(), key=lambda l: (-layer_depth[id(l)], first_seen[id(l)]))
    return ordered, in_graph, order
