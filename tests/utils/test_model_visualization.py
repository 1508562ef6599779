"""model_to_dot / plot_model: the graph's boxes and arrows, the labels, the picture Graphviz draws."""
import json
import os
import shutil
import sys

import numpy as np
import pytest

import striate as keras
from striate.utils import model_to_dot, plot_model

pydot = pytest.importorskip("pydot", reason="pydot is not installed (pip install 'striate[diagram]')")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed (apt-get install graphviz)")
L = keras.layers


def branchy():
    """Two inputs, a shared trunk through Add and Concatenate, two outputs."""
    a, b = keras.Input(shape=(8,), name="in_a"), keras.Input(shape=(8,), name="in_b")
    x, y = L.Dense(4, name="dense_a")(a), L.Dense(4, name="dense_b")(b)
    total = L.Add(name="sum")([x, y])
    joined = L.Concatenate(name="join")([x, total])
    return keras.Model([a, b], [L.Dense(2, name="out_1")(joined), L.Dense(3, name="out_2")(total)], name="branchy")


def nested():
    i = keras.Input(shape=(4,), name="inner_in")
    inner = keras.Model(i, L.Dense(3, name="inner_dense")(i), name="inner")
    stack = keras.Sequential([keras.Input(shape=(3,)), L.Dense(2, name="stack_1"), L.Dense(2, name="stack_2")],
                             name="stack")
    x = keras.Input(shape=(4,), name="outer_in")
    return keras.Model(x, L.Dense(1, name="head")(stack(inner(x))), name="outer")


def edges(dot, model_layers):
    """The arrows as (source name, destination name), node ids mapped back to layer names."""
    names = {str(id(layer)): layer.name for layer in model_layers}
    found = set()
    graphs = [dot]
    while graphs:
        g = graphs.pop()
        found |= {(names[e.get_source()], names[e.get_destination()]) for e in g.get_edges()}
        graphs.extend(g.get_subgraphs())
    return found


def all_layers(model):
    out = []
    for layer in model.layers:
        out.append(layer)
        if isinstance(layer, keras.Model):
            out.extend(all_layers(layer))
    return out


def test_branchy_graph_has_every_layer_and_the_right_arrows():
    model = branchy()
    dot = model_to_dot(model)
    source = dot.to_string()
    for layer in model.layers:
        assert f"<b>{layer.name}</b> ({type(layer).__name__})" in source
    assert edges(dot, model.layers) == {("in_a", "dense_a"), ("in_b", "dense_b"), ("dense_a", "sum"),
                                        ("dense_b", "sum"), ("dense_a", "join"), ("sum", "join"),
                                        ("join", "out_1"), ("sum", "out_2")}


def test_shapes_dtype_and_trainable_in_labels_only_when_asked():
    model = branchy()
    model.get_layer("out_2").trainable = False
    plain = model_to_dot(model).to_string()
    assert "shape:" not in plain and "dtype:" not in plain and "Trainable" not in plain
    rich = model_to_dot(model, show_shapes=True, show_dtype=True, show_trainable=True).to_string()
    assert "Input shape: <b>[(None, 4), (None, 4)]</b>" in rich  # Add's two inputs
    assert "Output shape: <b>(None, 3)</b>" in rich and "Output dtype: <b>float32</b>" in rich
    assert rich.count("<b>Trainable</b>") == 3 and rich.count("<b>Non-trainable</b>") == 1


def test_rankdir_names_and_activations():
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(3, activation="relu", name="hidden"),
                              L.Dense(1, name="last")])
    dot = model_to_dot(model, rankdir="LR", show_layer_names=False, show_layer_activations=True)
    source = dot.to_string()
    assert "rankdir=LR" in source and "hidden" not in source and "<b>Dense</b>" in source
    assert "Activation: <b>relu</b>" in source
    assert edges(dot, model.layers) == {("hidden", "last")}
    with pytest.raises(ValueError, match="rankdir must be one of"):
        model_to_dot(model, rankdir="sideways")


def test_nested_models_are_one_box_or_a_cluster():
    model = nested()
    flat = model_to_dot(model)
    assert edges(flat, model.layers) == {("outer_in", "inner"), ("inner", "stack"), ("stack", "head")}
    assert not flat.get_subgraphs()
    deep = model_to_dot(model, expand_nested=True)
    assert sorted(g.get_name() for g in deep.get_subgraphs()) == ["cluster_inner", "cluster_stack"]
    assert edges(deep, all_layers(model)) == {("outer_in", "inner_in"), ("inner_in", "inner_dense"),
                                               ("inner_dense", "stack_1"), ("stack_1", "stack_2"),
                                               ("stack_2", "head")}


def test_unbuilt_model_and_unknown_arguments_are_refused():
    with pytest.raises(ValueError, match="not been built"):
        model_to_dot(keras.Sequential([L.Dense(2)]))
    model = nested()
    with pytest.raises(ValueError, match="layer_range is no longer supported"):
        model_to_dot(model, layer_range=["a", "b"])
    with pytest.raises(ValueError, match="unexpected keyword"):
        plot_model(model, show_colors=True)


def test_missing_pydot_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match=r"pip install 'striate\[diagram\]'"):
        model_to_dot(nested())
    with pytest.raises(ImportError, match=r"plot_model needs pydot"):
        plot_model(nested(), tmp_path / "m.png")


def test_missing_graphviz_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ImportError, match="apt-get install graphviz / brew install graphviz"):
        plot_model(nested(), tmp_path / "m.png")
    assert os.listdir(tmp_path) == []


@needs_dot
def test_png_has_graphvizs_size_and_a_box_where_each_layer_is(tmp_path):
    from PIL import Image
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(3, name="hidden"), L.Dense(1, name="last")])
    dpi = 72
    plot_model(model, tmp_path / "model.png", dpi=dpi)
    image = np.asarray(Image.open(tmp_path / "model.png").convert("RGB")).astype(int)
    layout = json.loads(model_to_dot(model, dpi=dpi, show_layer_names=False).create(format="json"))
    _, _, width, height = (float(v) for v in layout["bb"].split(","))
    pad = 4  # points Graphviz leaves around the drawing
    assert abs(image.shape[1] - (width + 2 * pad)) <= 1 and abs(image.shape[0] - (height + 2 * pad)) <= 1
    boxes = [next(o for o in layout["objects"] if o["name"] == str(id(layer))) for layer in model.layers]
    spans = []
    for layer, box in zip(model.layers, boxes):
        x, y = (float(v) for v in box["pos"].split(","))
        half_width, half_height = float(box["width"]) * 36, float(box["height"]) * 36  # inches to points
        row, col = round(height - y + pad), round(x - half_width + pad + 5)  # inside the box, left of the name
        assert image[row, col].sum() < 100, f"{layer.name}: expected its black box at {(row, col)}"
        spans.append((height - y - half_height + pad, height - y + half_height + pad, col))
    (top_1, bottom_1, col), (top_2, _, _) = spans
    assert bottom_1 < top_2, "rankdir TB: the first layer is drawn above the second"
    assert image[round((bottom_1 + top_2) / 2), col].sum() > 700, "white between the boxes, left of the arrow"
    assert image[0, 0].sum() > 700


@needs_dot
def test_svg_follows_the_extension_and_layer_names_are_off_by_default(tmp_path):
    model = nested()
    plot_model(model, tmp_path / "model.svg")
    text = (tmp_path / "model.svg").read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "Functional" in text and "Sequential" in text and "inner_dense" not in text
    plot_model(model, tmp_path / "named.svg", show_layer_names=True, expand_nested=True)
    named = (tmp_path / "named.svg").read_text()
    assert all(name in named for name in ("inner_dense", "stack_1", "stack_2", "head"))
    with pytest.raises(ValueError, match="extension"):
        plot_model(model, tmp_path / "model.docx")


@needs_dot
def test_a_failed_drawing_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "model.png"
    target.write_bytes(b"old picture")

    def broken(*args, **kwargs):
        raise OSError("dot crashed")
    monkeypatch.setattr(pydot.Dot, "create", broken)
    with pytest.raises(OSError, match="dot crashed"):
        plot_model(nested(), target)
    assert target.read_bytes() == b"old picture" and os.listdir(tmp_path) == ["model.png"]
