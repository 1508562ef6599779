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
