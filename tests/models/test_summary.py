"""summary(), names and counts for the lectures' models (seed 000: 235,146 and 7,430 parameters)."""
import pytest

import striate as keras
from striate.cli import lecture_models
from striate.layers.layer import reset_names


@pytest.fixture(autouse=True)
def fresh_names():
    reset_names()


def lines_of(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def test_lecture_dff_summary():
    dff, _ = lecture_models()
    text = "\n".join(lines_of(dff))
    assert dff.count_params() == 235_146
    for row in ["flatten (Flatten)", "(None, 784)", "dense (Dense)", "(None, 256)", "200,960",
                "dense_1 (Dense)", "32,896", "dense_2 (Dense)", "1,290", "Total params: 235,146 (918.54 KB)",
                "Trainable params: 235,146", "Non-trainable params: 0 (0.00 B)", "Layer (type)", "Output Shape",
                "Param #"]:
        assert row in text, row


def test_lecture_cnn_summary():
    _, cnn = lecture_models()
    text = "\n".join(lines_of(cnn))
    assert cnn.count_params() == 7_430
    for row in ["conv2d (Conv2D)", "(None, 24, 24, 6)", "156", "max_pooling2d (MaxPooling2D)", "(None, 6, 6, 6)",
                "(None, 216)", "6,944", "330", "Total params: 7,430"]:
        assert row in text, row


def test_summary_matches_keras_layout():
    """Same rows, shapes and counts as Keras 3 prints for the same model."""
    import keras as real_keras
    dff, _ = lecture_models()
    ref = real_keras.Sequential([real_keras.Input(shape=(28, 28)), real_keras.layers.Flatten(),
                                 real_keras.layers.Dense(256, activation="relu"),
                                 real_keras.layers.Dense(128, activation="relu"),
                                 real_keras.layers.Dense(10, activation="softmax")])
    ref_lines = []
    ref.summary(print_fn=lambda s, line_break=True: ref_lines.append(s))
    ref_text = "\n".join(ref_lines)
    for needle in ["(None, 784)", "200,960", "32,896", "1,290", "235,146 (918.54 KB)"]:
        assert needle in ref_text and needle in "\n".join(lines_of(dff))


def test_automatic_names_count_up():
    a, b = keras.layers.Dense(2), keras.layers.Dense(2)
    assert (a.name, b.name) == ("dense", "dense_1")
    m1, m2 = keras.Sequential(), keras.Sequential()
    assert (m1.name, m2.name) == ("sequential", "sequential_1")


def test_sequential_add_pop_and_input_dim():
    model = keras.Sequential()
    model.add(keras.layers.Dense(64, activation="relu", input_dim=100))
    model.add(keras.layers.Dense(10))
    assert model.input_shape == (None, 100) and model.output_shape == (None, 10)
    assert model.count_params() == 100 * 64 + 64 + 650
    model.pop()
    assert model.output_shape == (None, 64) and len(model.layers) == 1
    assert model.get_layer("dense") is model.layers[0]


def test_nested_functional_models_and_long_names_print_as_keras():
    import striate
    inner_in = striate.Input(shape=(4,))
    inner = striate.Model(inner_in, striate.layers.Dense(3, name="a_rather_long_dense_layer_name")(inner_in),
                          name="inner")
    x = striate.Input(shape=(4,))
    model = striate.Model(x, inner(x), name="outer")
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "inner (Functional)" in text
    inner_lines = []
    inner.summary(print_fn=inner_lines.append)
    table = "\n".join(inner_lines).splitlines()
    assert any("a_rather_long_dense_layer_name" in line for line in table)
    assert any(line.strip("│ ").startswith("(Dense)") for line in table), "the type wraps onto its own line"
    assert len({len(line) for line in table if line.startswith(("│", "┃", "├", "└", "┏", "┡"))}) == 1


def _keras_and_striate_tables(build, **kwargs):
    """The summary Keras 3 prints and the one striate prints, for the same model built by ``build(module)``."""
    import keras as real_keras
    reference = []
    build(real_keras).summary(print_fn=lambda s, line_break=True: reference.append(s), **kwargs)
    lines = []
    build(keras).summary(print_fn=lines.append, **kwargs)
    return "".join(reference).rstrip("\n"), "\n".join(lines)


def _branchy(k):
    a, b = k.Input(shape=(8,), name="in_a"), k.Input(shape=(8,), name="in_b")
    x, y = k.layers.Dense(4, name="dense_a")(a), k.layers.Dense(4, name="dense_b")(b)
    total = k.layers.Add(name="sum")([x, y])
    joined = k.layers.Concatenate(name="join")([x, total])
    return k.Model([a, b], [k.layers.Dense(2, name="out_1")(joined), k.layers.Dense(3, name="out_2")(total)],
                   name="branchy")


def _nested(k):
    i = k.Input(shape=(4,), name="inner_in")
    inner = k.Model(i, k.layers.Dense(3, name="a_rather_long_dense_layer_name_that_overflows")(i), name="inner")
    stack = k.Sequential([k.Input(shape=(3,)), k.layers.Dense(2, name="stack_1"),
                          k.layers.BatchNormalization(name="norm")], name="stack")
    x = k.Input(shape=(4,), name="outer_in")
    return k.Model(x, stack(inner(x)), name="outer")


def _shared(k):
    x = k.Input(shape=(4,), name="x_in")
    twice = k.layers.Dense(4, name="twice")
    return k.Model(x, twice(twice(x)), name="shared")


@pytest.mark.parametrize("build", [_branchy, _nested, _shared])
@pytest.mark.parametrize("kwargs", [{}, {"show_trainable": True}, {"expand_nested": True},
                                    {"expand_nested": True, "show_trainable": True}, {"line_length": 50},
                                    {"line_length": 66, "show_trainable": True}])
def test_table_is_keras_byte_for_byte(build, kwargs):
    """Connected to (graphs that are not a chain), Trainable, nested rows, narrow lines, wrapping and
    cut words: the table Keras 3 prints."""
    reference, ours = _keras_and_striate_tables(build, **kwargs)
    assert ours == reference


def test_positions_and_layer_range_as_keras():
    reference, ours = _keras_and_striate_tables(_branchy, line_length=70, positions=[0.25, 0.5, 0.6, 0.9])
    assert ours == reference
    reference, ours = _keras_and_striate_tables(_branchy, layer_range=["dense_b", "join"])
    assert ours == reference
    assert "in_a" not in ours and "out_1" not in ours and "dense_b (Dense)" in ours and "join" in ours
    with pytest.raises(ValueError, match="matches no layer"):
        _branchy(keras).summary(layer_range=["nothing", "join"])
    with pytest.raises(ValueError, match="one end position for each of the columns"):
        _branchy(keras).summary(positions=[0.5, 1.0])


def test_total_counts_the_optimizers_variables_as_keras():
    import numpy as np
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    model.compile("adam", "mse")
    model.fit(np.zeros((8, 4)), np.zeros((8, 3)), verbose=0)
    text = "\n".join(lines_of(model))
    slots = sum(int(np.prod(v.shape)) for v in model.optimizer.variables)
    assert f" Total params: {15 + slots:,} " in text and f" Optimizer params: {slots:,} " in text
