"""summary(show_flops=..., show_memory=...): each layer's forward FLOPs and output bytes for a batch."""
import re

import pytest

import striate as keras
from striate.layers.layer import reset_names

L = keras.layers


@pytest.fixture(autouse=True)
def fresh_names():
    reset_names()


def text_of(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, line_length=150, **kwargs)
    return "\n".join(lines)


def totals(model, batch_size=1):
    """(FLOPs, activation memory text) from the summary's total lines."""
    text = text_of(model, show_flops=True, show_memory=True, batch_size=batch_size)
    flops = re.search(rf"Total FLOPs \(batch {batch_size}\): ([\d,]+) \(", text).group(1)
    memory = re.search(rf"Activation memory \(batch {batch_size}\): (.+)$", text, re.M).group(1)
    return int(flops.replace(",", "")), memory


def cells(text, name):
    """The cells of the table row that starts with layer ``name``."""
    row = next(line for line in text.splitlines() if line.startswith(f"│ {name} "))
    return [c.strip() for c in row.strip("│").split("│")]


def one_layer(layer, shape):
    return keras.Sequential([keras.Input(shape=shape), layer])


def test_dense_on_784_inputs_at_batch_32():
    model = one_layer(L.Dense(10, name="dense"), (784,))
    flops, memory = totals(model, batch_size=32)
    assert flops == 2 * 784 * 10 * 32
    assert memory == "1.25 KB"  # 10 outputs x 4 bytes x 32 examples = 1,280 bytes
    row = cells(text_of(model, show_flops=True, show_memory=True, batch_size=32), "dense")
    assert row[-2:] == ["501.76 K", "1.25 KB"]


def test_conv2d_6_filters_of_5x5_on_28x28x1():
    model = one_layer(L.Conv2D(6, 5), (28, 28, 1))
    flops, memory = totals(model)
    assert flops == 2 * 5 * 5 * 1 * 6 * 24 * 24
    assert memory == "13.50 KB"  # 24 * 24 * 6 * 4 bytes
    assert totals(model, batch_size=8)[0] == 8 * flops


@pytest.mark.parametrize("layer, shape, expected", [
    (L.Conv2D(8, 3, groups=2), (10, 10, 4), 2 * 3 * 3 * 2 * 8 * 8 * 8),
    (L.Conv2D(6, 5, data_format="channels_first"), (1, 28, 28), 2 * 5 * 5 * 1 * 6 * 24 * 24),
    (L.Conv1D(4, 3), (10, 2), 2 * 3 * 2 * 4 * 8),
    (L.DepthwiseConv2D(3, depth_multiplier=2), (6, 6, 3), 2 * 3 * 3 * 3 * 2 * 4 * 4),
    (L.SeparableConv2D(5, 3), (6, 6, 3), 2 * (3 * 3 * 3 + 3 * 5) * 4 * 4),
    (L.Conv2DTranspose(2, 3, strides=2), (4, 4, 3), 2 * 3 * 3 * 3 * 2 * 4 * 4),
    (L.Dense(5), (7, 3), 2 * 3 * 5 * 7),
    (L.MaxPooling2D(2), (8, 8, 3), 2 * 2 * 4 * 4 * 3),
    (L.AveragePooling2D(3), (9, 9, 2), 3 * 3 * 3 * 3 * 2),
    (L.GlobalAveragePooling2D(), (5, 5, 4), 5 * 5 * 4),
    (L.BatchNormalization(), (6, 5), 2 * 30),
    (L.LayerNormalization(), (6, 5), 5 * 30),
    (L.ReLU(), (6, 5), 30),
    (L.Activation("tanh"), (6, 5), 30),
    (L.Flatten(), (6, 5), 0),
    (L.Dropout(0.5), (6, 5), 0),
    (L.Reshape((5, 6)), (6, 5), 0),
])
def test_rule_per_layer(layer, shape, expected):
    assert totals(one_layer(layer, shape))[0] == expected


def test_merges_shared_layers_and_nested_models_add_up():
    a, b = keras.Input(shape=(4,)), keras.Input(shape=(4,))
    summed = L.Add()([a, b, a])
    joined = L.Concatenate()([a, b])
    model = keras.Model([a, b], [summed, joined])
    assert totals(model)[0] == 2 * 4  # three inputs: two additions per entry; concatenation is free

    shared = L.Dense(4, name="shared")
    x = keras.Input(shape=(4,))
    twice = keras.Model(x, shared(shared(x)), name="twice")
    assert totals(twice)[0] == 2 * (2 * 4 * 4)
    assert cells(text_of(twice, show_flops=True), "shared")[-1] == "64"

    y = keras.Input(shape=(4,))
    outer = keras.Model(y, L.Dense(2, name="head")(twice(y)), name="outer")
    flops, memory = totals(outer, batch_size=2)
    assert flops == 2 * (64 + 2 * 4 * 2)
    assert memory == f"{2 * (4 + 4 + 2) * 4:.2f} B"  # every layer's output, the nested ones included
    assert cells(text_of(outer, show_flops=True, batch_size=2), "twice")[-1] == "128"
    expanded = text_of(outer, show_flops=True, expand_nested=True)
    assert "   └ shared (Dense)" in expanded


def test_memory_uses_the_dtypes_size_and_inputs_count_nothing():
    model = keras.Sequential([keras.Input(shape=(100,)), L.Dense(50, dtype="float64")])
    assert totals(model, batch_size=4)[1] == f"{50 * 8 * 4 / 1024:.2f} KB"
    x = keras.Input(shape=(100,), name="data")
    functional = keras.Model(x, L.Dense(50, dtype="float64")(x))
    assert totals(functional, batch_size=4) == totals(model, batch_size=4)
    assert cells(text_of(functional, show_memory=True), "data")[-1] == "0.00 B"


def test_a_custom_layer_reports_its_own_count():
    class Cube(keras.layers.Layer):
        def call(self, x):
            return x * x * x

        def compute_flops(self, input_shape, output_shape):
            return 2 * input_shape[0] * input_shape[1]

    assert totals(one_layer(Cube(), (6,)), batch_size=3)[0] == 2 * 3 * 6
    assert totals(one_layer(L.Lambda(lambda x: x * 2), (6,)))[0] == 0


def test_unknown_shapes_say_so():
    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(3)

        def call(self, x):
            return self.dense(x)

    model = Sub()
    model(keras.ops.zeros((2, 4)))
    text = text_of(model, show_flops=True)
    assert cells(text, "dense")[-1] == "?"
    assert "Total FLOPs (batch 1): unknown" in text


def test_columns_and_totals_appear_only_when_asked():
    model = one_layer(L.Dense(10), (784,))
    plain = text_of(model)
    assert "FLOPs" not in plain and "Activation" not in plain
    both = text_of(model, show_flops=True, show_memory=True, show_trainable=True)
    header = next(line for line in both.splitlines() if line.startswith("┃"))
    assert [c.strip() for c in header.strip("┃").split("┃")] == \
        ["Layer (type)", "Output Shape", "Param #", "Trainable", "FLOPs", "Activations"]
    assert " Total FLOPs (batch 1): 15,680 (15.68 KFLOPs)" in both
    assert " Activation memory (batch 1): 40.00 B" in both
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        model.summary(show_flops=True, batch_size=0)
