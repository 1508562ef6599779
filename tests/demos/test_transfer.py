"""The transfer demo's pieces: a frozen base stays the same bit for bit while its head trains, its
BatchNormalization runs in inference mode inside ``fit`` (Keras's rule, checked against Keras 3), and
fine-tuning trains only the unfrozen top block."""
import keras as real_keras
import numpy as np
import pytest

import striate
from striate.demos import transfer


def keras_convnet(input_shape=(28, 28, 1), classes=5):
    """Keras's twin of ``transfer.build_convnet``: the same layers, names and weight order."""
    L = real_keras.layers
    inputs = real_keras.Input(shape=input_shape, name="image")
    x = inputs
    for block, filters in enumerate((16, 32), start=1):
        x = L.Conv2D(filters, 3, use_bias=False, name=f"block{block}_conv")(x)
        x = L.BatchNormalization(momentum=0.9, name=f"block{block}_bn")(x)
        x = L.Activation("relu", name=f"block{block}_relu")(x)
        x = L.MaxPooling2D(2, name=f"block{block}_pool")(x)
    base = real_keras.Model(inputs, L.Flatten(name="features")(x), name="base")
    head_in = real_keras.Input(shape=input_shape, name="image")
    x = L.Dense(64, activation="relu", name="fc")(base(head_in))
    return base, real_keras.Model(head_in, L.Dense(classes, activation="softmax", name="predictions")(x))


def pretrained(rng):
    """striate's convnet with random weights and BatchNormalization statistics far from any batch's."""
    base, model = transfer.build_convnet()
    model.set_weights([rng.uniform(0.5, 2.0, w.shape).astype("float32") if "variance" in w.path
                       else (rng.standard_normal(w.shape) * 0.3).astype("float32") for w in model.weights])
    return base, model


def data(rng, n=64):
    return rng.random((n, 28, 28, 1)).astype("float32"), rng.integers(0, 5, n)


def test_a_frozen_base_is_unchanged_bit_for_bit_while_the_head_trains():
    rng = np.random.default_rng(0)
    base, _ = pretrained(rng)
    before = base.get_weights()
    base.trainable = False
    model = transfer.classifier(base, 5)
    assert [w.path for w in model.trainable_weights] == ["fc/kernel", "fc/bias", "predictions/kernel",
                                                         "predictions/bias"]
    head_before = model.get_weights()[len(before):]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(*data(rng), batch_size=16, epochs=2, verbose=0)
    for a, b in zip(base.get_weights(), before):
        assert np.array_equal(a, b)
    assert all(not np.array_equal(a, b) for a, b in zip(model.get_weights()[len(before):], head_before))


def test_a_frozen_base_runs_batch_normalization_in_inference_mode_in_training():
    rng = np.random.default_rng(1)
    base, model = pretrained(rng)
    x, _ = data(rng, 8)
    base.trainable = False
    np.testing.assert_array_equal(model(x, training=True).numpy(), model(x, training=False).numpy())
    base.trainable = True  # the batch's own statistics now: the outputs differ
    assert not np.allclose(model(x, training=True).numpy(), model(x, training=False).numpy(), atol=1e-3)


@pytest.mark.parametrize("freeze_bn", [True, False])
def test_fine_tuning_matches_keras(freeze_bn):
    """The whole recipe in Keras 3 and in striate from the same weights: the head on the frozen base,
    then the top block (with, or without, its BatchNormalization) at a low learning rate."""
    rng = np.random.default_rng(2)
    base, model = pretrained(rng)
    k_base, k_model = keras_convnet()
    k_model.set_weights(model.get_weights())
    x, y = data(rng)
    stats_before = [bn.get_weights()[2:] for bn in (base.get_layer("block1_bn"), base.get_layer("block2_bn"))]
    top = ("block2_conv",) if freeze_bn else ("block2_conv", "block2_bn")
    for lib, b, m in ((striate, base, model), (real_keras, k_base, k_model)):
        b.trainable = False
        m.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss="sparse_categorical_crossentropy")
        m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        b.trainable = True
        for layer in b.layers:
            layer.trainable = layer.name in top
        m.compile(optimizer=lib.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy")
        m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert [w.path for w in model.trainable_weights] == [w.path for w in k_model.trainable_weights]
    for ours, theirs, w in zip(model.get_weights(), k_model.get_weights(), model.weights):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5, err_msg=w.path)
    stats = [bn.get_weights()[2:] for bn in (base.get_layer("block1_bn"), base.get_layer("block2_bn"))]
    assert all(np.array_equal(a, b) for a, b in zip(stats[0], stats_before[0]))
    assert all(np.array_equal(a, b) for a, b in zip(stats[1], stats_before[1])) == freeze_bn


def test_fine_tune_trains_the_top_block_only():
    rng = np.random.default_rng(3)
    base, _ = pretrained(rng)
    before = {w.path: w.numpy().copy() for w in base.weights}
    transfer.fine_tune(base, *data(rng, 32), classes=5, head_epochs=1, epochs=1)
    changed = sorted(w.path for w in base.weights if not np.array_equal(w.numpy(), before[w.path]))
    assert changed == ["block2_conv/kernel"]


def test_unfreeze_names_the_missing_layer():
    base, _ = transfer.build_convnet()
    with pytest.raises(ValueError, match=r"no layer named \['block9_conv'\].*block1_conv"):
        transfer.unfreeze(base, ["block9_conv"])


def test_sample_per_class_draws_distinct_examples_of_each_class_repeatably():
    y = np.random.default_rng(4).integers(0, 5, 1000)
    idx = transfer.sample_per_class(y, 100, seed=7)
    assert len(set(idx.tolist())) == 500
    np.testing.assert_array_equal(np.bincount(y[idx]), [100] * 5)
    np.testing.assert_array_equal(idx, transfer.sample_per_class(y, 100, seed=7))
    assert not np.array_equal(idx, transfer.sample_per_class(y, 100, seed=8))
    with pytest.raises(ValueError, match=r"per_class=300 asks for more examples than class \d has \(\d+\)"):
        transfer.sample_per_class(y, 300)


def test_run_reports_the_three_ways_on_the_embedded_dataset(capsys):
    results = transfer.run(base_epochs=2, head_epochs=2, fine_tune_epochs=1, scratch_epochs=1, per_class=20,
                           dataset="shapes", base_limit=1500, test_limit=200)
    out = capsys.readouterr().out
    assert "Dataset: shapes (embedded) (asked for)" in out
    assert "classes circle, ring, square, frame, triangle" in out
    assert "20 labelled images per class (100 in all); tested on 200 images" in out
    for label in ("(a) frozen base's features", "(b) fine-tuned", "(c) the same network from scratch"):
        assert label in out
    assert results["dataset"] == "shapes (embedded)"
    assert results["base"] > 0.5 and results["features"] > 0.5, results  # 5 classes: chance is 0.2
