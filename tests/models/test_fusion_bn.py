"""BatchNormalization -> ReLU and Add -> ReLU fused in one op (models/fusion.py): which pairs fuse, and
that fusing changes no number, in training and inference, and nothing that is saved."""
import numpy as np
import pytest

import striate as keras
from striate import layers as L
from striate.applications.resnet_cifar import basic_block
from striate.models import fusion

rng = np.random.default_rng(3)


def fused_pairs(model, run):
    """The layers that ``run`` computes with the ReLU after them, and those ReLU layers."""
    runs, nodes = model._fused, model._nodes
    firsts = [n for n in nodes if runs.get(id(n)) is run]
    return ([n.layer.name for n in firsts],
            [m.layer.name for n in firsts for m in nodes if any(t is n.outputs[0] for t in m.inputs)
             and runs.get(id(m)) is fusion._relu_taken])


def fused_batch_norms(model):
    """The BatchNormalization layers that take their ReLU, and the ReLU layers they stand in for."""
    return fused_pairs(model, fusion.batch_norm_then_relu)


def small_resnet():
    """A stem (Conv -> BN without gamma -> Activation("relu")), one residual block (its first BN -> ReLU
    fuses, its second feeds the Add, which fuses with its ReLU), a BN without beta -> ReLU() pair, and a
    classifier."""
    inputs = keras.Input(shape=(8, 8, 3))
    x = L.Conv2D(8, 3, padding="same", use_bias=False, name="stem")(inputs)
    x = L.BatchNormalization(scale=False, name="stem_bn")(x)
    x = L.Activation("relu", name="stem_relu")(x)
    x = basic_block(x, 8, name="block")
    x = L.Conv2D(16, 3, strides=2, padding="same", name="top")(x)
    x = L.BatchNormalization(axis=3, momentum=0.5, center=False, name="top_bn")(x)
    x = L.ReLU(name="top_relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, L.Dense(4, activation="softmax")(x))


def fused_and_plain(make):
    fused, plain = make(), make()
    plain.set_weights(fused.get_weights())
    plain._fused = {}
    return fused, plain


def batch(shape):
    x = rng.standard_normal(shape).astype(np.float32) * 2 + 0.5
    x[:, :2] = 0  # rows of equal values: outputs that tie at the ReLU's edge
    return x


def test_batch_norm_then_relu_pairs_are_fused_where_nothing_else_sees_the_normalization():
    assert fused_batch_norms(small_resnet()) == (["stem_bn", "block_1_bn", "top_bn"],
                                                 ["stem_relu", "block_1_relu", "top_relu"])


def test_add_then_relu_pairs_are_fused_where_the_two_inputs_have_one_shape():
    assert fused_pairs(small_resnet(), fusion.add_then_relu) == (["block_add"], ["block_out"])
    a, b = keras.Input(shape=(4, 4, 2)), keras.Input(shape=(1, 1, 2))
    three = keras.Model(a, L.Activation("relu")(L.Add()([a, a, a])))
    broadcast = keras.Model([a, b], L.Activation("relu")(L.Add()([a, b])))
    for model in (three, broadcast):
        assert fused_pairs(model, fusion.add_then_relu) == ([], [])


def test_a_sequential_model_fuses_its_pairs_too():
    model = keras.Sequential([keras.Input(shape=(4, 4, 2)), L.Conv2D(3, 1, name="c"), L.BatchNormalization(name="bn"),
                              L.ReLU(name="relu"), L.Flatten(), L.Dense(2)])
    assert fused_batch_norms(model) == (["bn"], ["relu"])


def test_not_fused_where_the_output_is_seen_elsewhere_or_the_relu_or_axis_is_not_plain():
    inputs = keras.Input(shape=(6, 6, 2))
    x = L.BatchNormalization(name="bn")(inputs)
    seen_twice = keras.Model(inputs, [L.Activation("relu")(x), L.Flatten()(x)])
    as_output = keras.Model(inputs, [L.Activation("relu")(x), x])
    capped = keras.Sequential([keras.Input(shape=(6, 6, 2)), L.BatchNormalization(), L.ReLU(max_value=6.0)])
    leaky = keras.Sequential([keras.Input(shape=(6, 6, 2)), L.BatchNormalization(), L.ReLU(negative_slope=0.1)])
    sigmoid = keras.Sequential([keras.Input(shape=(6, 6, 2)), L.BatchNormalization(), L.Activation("sigmoid")])
    first = keras.Sequential([keras.Input(shape=(2, 6, 6)), L.BatchNormalization(axis=1), L.Activation("relu")])
    for model in (seen_twice, as_output, capped, leaky, sigmoid, first):
        assert fused_batch_norms(model) == ([], [])


def gradients(model, x, training):
    """The gradients of a weighted sum of ``model(x)``: one per trainable weight, then the input's."""
    x = keras.ops.convert_to_tensor(x)
    x.requires_grad = True
    out = model(x, training=training)
    keras.ops.sum(out * np.arange(1, out.shape[-1] + 1, dtype=np.float32)).backward()
    return [np.array(w.grad) for w in model.trainable_weights] + [np.array(x.grad)], out.numpy()


@pytest.mark.parametrize("training", [True, False])
def test_fused_and_unfused_give_the_same_bits(engine, training):
    fused, plain = fused_and_plain(small_resnet)
    x = batch((6, 8, 8, 3))
    got, got_out = gradients(fused, x, training)
    want, want_out = gradients(plain, x, training)
    np.testing.assert_array_equal(got_out, want_out)
    assert len(got) == len(want) == len(fused.trainable_weights) + 1
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    for a, b in zip(fused.get_weights(), plain.get_weights()):  # the moving statistics moved alike
        np.testing.assert_array_equal(a, b)
    if training:
        assert not np.array_equal(fused.get_layer("top_bn").moving_mean.numpy(), np.zeros(16))


def test_fit_and_predict_match_unfused(engine):
    fused, plain = fused_and_plain(small_resnet)
    x, y = batch((16, 8, 8, 3)), rng.integers(0, 4, 16)
    for model in (fused, plain):
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(fused.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fused.predict(x, verbose=0), plain.predict(x, verbose=0))


def test_a_frozen_batch_norm_fuses_its_relu_in_training_too():
    # layer.trainable = False: the moving statistics normalize, and the gradient still flows to the input
    def make():
        model = small_resnet()
        model.get_layer("stem_bn").trainable = False
        return model
    fused, plain = fused_and_plain(make)
    x = batch((4, 8, 8, 3))
    got, want = gradients(fused, x, True)[0], gradients(plain, x, True)[0]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_a_saved_model_is_the_same_with_or_without_fusion(tmp_path):
    import zipfile
    fused, plain = fused_and_plain(small_resnet)
    x = batch((4, 8, 8, 3))
    fused(x, training=True)  # moves the moving statistics
    fused.save(tmp_path / "fused.keras")
    runs, fused._fused = fused._fused, {}
    fused.save(tmp_path / "plain.keras")
    fused._fused = runs
    with zipfile.ZipFile(tmp_path / "fused.keras") as a, zipfile.ZipFile(tmp_path / "plain.keras") as b:
        assert a.read("config.json") == b.read("config.json")
    loaded, other = (keras.saving.load_model(tmp_path / f"{n}.keras") for n in ("fused", "plain"))
    assert loaded.get_config() == other.get_config() == fused.get_config()
    for a, b, c in zip(loaded.get_weights(), other.get_weights(), fused.get_weights()):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert fused_batch_norms(loaded) == fused_batch_norms(fused)
    other._fused = {}
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), other.predict(x, verbose=0))
