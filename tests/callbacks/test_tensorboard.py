"""callbacks.TensorBoard, read back with TensorBoard's own EventAccumulator."""
import io
import json

import numpy as np
import pytest

import striate as keras
from striate.callbacks import CallbackList, LambdaCallback, TensorBoard

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator",
                                        reason="reading event files needs tensorboard (pip install tensorboard)")
from tensorboard.plugins.graph import keras_util  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

X = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
Y = X @ np.array([1.0, -2.0, 0.5], dtype="float32") + 0.1


def read_run(path):
    """{tag: (plugin name, plugin content, [(step, value as an array), ...])} of one run's event files."""
    acc = event_accumulator.EventAccumulator(str(path), size_guidance={event_accumulator.TENSORS: 0})
    acc.Reload()
    out = {}
    for tag in acc.Tags()[event_accumulator.TENSORS]:
        plugin = acc.SummaryMetadata(tag).plugin_data
        out[tag] = (plugin.plugin_name, plugin.content,
                    [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)])
    return out


def series(run, tag):
    """The (steps, values) of scalar series ``tag``."""
    plugin, _, events = run[tag]
    assert plugin == "scalars"
    return [step for step, _ in events], [value.item() for _, value in events]


def small_model(learning_rate=0.01):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse", metrics=["mae"])
    return model


def test_epoch_scalars_equal_history(tmp_path):
    model = small_model()
    history = model.fit(X, Y, batch_size=8, epochs=3, validation_split=0.25, verbose=0,
                        callbacks=[TensorBoard(tmp_path, write_graph=False)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train", "validation"]
    train, val = read_run(tmp_path / "train"), read_run(tmp_path / "validation")
    assert set(train) == {"epoch_loss", "epoch_mae", "epoch_learning_rate"}
    assert set(val) == {"epoch_loss", "epoch_mae", "evaluation_loss_vs_iterations", "evaluation_mae_vs_iterations"}
    for name in ("loss", "mae"):
        assert series(train, f"epoch_{name}") == ([0, 1, 2], list(np.float32(history.history[name])))
        assert series(val, f"epoch_{name}") == ([0, 1, 2], list(np.float32(history.history[f"val_{name}"])))
        # each validation pass, at the optimizer's step count then: 24 training samples, 3 batches an epoch
        assert series(val, f"evaluation_{name}_vs_iterations") == (
            [3, 6, 9], list(np.float32(history.history[f"val_{name}"])))
    assert series(train, "epoch_learning_rate") == ([0, 1, 2], [np.float32(0.01)] * 3)


def test_learning_rate_follows_the_optimizer(tmp_path):
    model = small_model(learning_rate=0.1)
    halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / 2 ** epoch)
    model.fit(X, Y, batch_size=8, epochs=3, verbose=0, callbacks=[halve, TensorBoard(tmp_path)])
    assert series(read_run(tmp_path / "train"), "epoch_learning_rate")[1] == list(np.float32([0.1, 0.05, 0.025]))


def test_weight_histograms(tmp_path):
    model = small_model()
    model.fit(X, Y, batch_size=8, epochs=3, verbose=0, callbacks=[TensorBoard(tmp_path, histogram_freq=2)])
    train = read_run(tmp_path / "train")
    weights = {w.path: keras.ops.convert_to_numpy(w) for layer in model.layers for w in layer.weights}
    assert {tag for tag in train if tag.endswith("/histogram")} == {f"{path}/histogram" for path in weights}
    for path, value in weights.items():
        plugin, _, events = train[f"{path}/histogram"]
        assert plugin == "histograms" and [step for step, _ in events] == [0, 2]
        buckets = events[-1][1]  # the last epoch's: the final weights
        assert buckets.shape == (30, 3)
        assert buckets[:, 2].sum() == value.size
        assert buckets[0, 0] == value.min() and buckets[-1, 1] == value.max()
        np.testing.assert_array_equal(buckets[:-1, 1], buckets[1:, 0])  # adjacent, equal-width buckets
        if value.min() < value.max():
            counts, _ = np.histogram(value, bins=30, range=(value.min(), value.max()))
        else:  # a single value (the output bias): all in the last bucket, as tf.summary.histogram puts it
            counts = np.eye(30)[-1] * value.size
        np.testing.assert_array_equal(buckets[:, 2], counts)


def _png_pixels(data):
    image = pytest.importorskip("PIL.Image", reason="decoding PNG needs Pillow").open(io.BytesIO(data))
    return np.asarray(image)


def test_weight_images_are_keras_layout_and_tf_pixels(tmp_path):
    inputs = keras.Input(shape=(6, 6, 1))
    x = keras.layers.Conv2D(5, 3, name="conv")(inputs)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(2, name="wide")(keras.layers.Dense(5, name="narrow")(x))
    model = keras.Model(inputs, x)
    model.compile(optimizer=keras.optimizers.SGD(1e-4), loss="mse")
    model.set_weights([np.linspace(-0.2, 1.2, w.size).reshape(w.shape) for w in model.get_weights()])
    model.fit(np.ones((4, 6, 6, 1)), np.ones((4, 2)), epochs=1, verbose=0,
              callbacks=[TensorBoard(tmp_path, histogram_freq=1, write_images=True)])
    images = {tag: (plugin, events[0][1]) for tag, (plugin, _, events) in read_run(tmp_path / "train").items()
              if tag.endswith("/image")}
    assert set(images) == {"conv/kernel/image", "conv/bias/image", "narrow/kernel/image", "narrow/bias/image",
                           "wide/kernel/image", "wide/bias/image"}
    weight = {w.path: keras.ops.convert_to_numpy(w) for layer in model.layers for w in layer.weights}  # as logged

    def pixels(value):  # tf.summary.image's float to uint8
        return np.clip(value.astype(np.float64) * 255.5, 0, 255).astype(np.uint8)

    def decoded(tag):
        plugin, tensor = images[tag]
        assert plugin == "images"
        return int(tensor[0]), int(tensor[1]), [_png_pixels(png) for png in tensor[2:]]

    # a Conv kernel (3, 3, 1, 5): one 3x3 image per filter, the first 3 of them
    width, height, conv = decoded("conv/kernel/image")
    assert (width, height, len(conv)) == (3, 3, 3)
    for k in range(3):
        np.testing.assert_array_equal(conv[k], pixels(weight["conv/kernel"][:, :, 0, k]))
    # a Dense kernel (in, out) with in > out is turned so that its longer side goes across
    width, height, (wide,) = decoded("wide/kernel/image")
    assert (width, height) == (5, 2)
    np.testing.assert_array_equal(wide, pixels(weight["wide/kernel"].T))
    width, height, (bias,) = decoded("narrow/bias/image")  # a vector: one column
    assert (width, height) == (1, 5)
    np.testing.assert_array_equal(bias[:, 0], pixels(weight["narrow/bias"]))
    assert bias.min() == 0 and bias.max() == 255  # the ramp from -0.2 to 1.2, clipped


def test_graph_is_the_model_config_tensorboard_draws(tmp_path):
    model = small_model()
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    plugin, content, events = read_run(tmp_path / "train")["keras"]
    assert (plugin, content, [step for step, _ in events]) == ("graph_keras_model", b"1", [0])
    config = json.loads(events[0][1].item())
    assert config == json.loads(model.to_json())
    graph = keras_util.keras_model_to_graph_def(config)  # what TensorBoard's Graphs tab draws
    nodes = {node.name: node for node in graph.node}
    first, second = (f"{model.name}/{layer.name}" for layer in model.layers)
    assert first in nodes and list(nodes[second].input) == [first]  # the two Dense layers, one feeding the other


def test_no_graph_when_not_asked(tmp_path):
    small_model().fit(X, Y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path, write_graph=False)])
    assert "keras" not in read_run(tmp_path / "train")


def test_update_freq_int_writes_batch_scalars(tmp_path):
    seen = []
    record = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    model = small_model()
    model.fit(X, Y, batch_size=8, epochs=3, verbose=0, callbacks=[record, TensorBoard(tmp_path, update_freq=2)])
    steps, values = series(read_run(tmp_path / "train"), "batch_loss")
    assert steps == [2, 4, 6, 8, 10, 12]  # batches counted from the start of fit: 4 an epoch
    assert values == list(np.float32([seen[step - 1] for step in steps]))


def test_update_freq_batch_is_every_batch(tmp_path):
    small_model().fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[TensorBoard(tmp_path, update_freq="batch")])
    assert series(read_run(tmp_path / "train"), "batch_mae")[0] == list(range(1, 9))


def test_epoch_updates_skip_the_batch_hooks(tmp_path):
    assert not CallbackList([TensorBoard(tmp_path)]).hooked("on_train_batch_end")
    assert CallbackList([TensorBoard(tmp_path, update_freq=3)]).hooked("on_train_batch_end")


def test_steps_per_second(tmp_path):
    small_model().fit(X, Y, batch_size=8, epochs=2, verbose=0,
                      callbacks=[TensorBoard(tmp_path, write_steps_per_second=True, update_freq=1)])
    train = read_run(tmp_path / "train")
    steps, values = series(train, "epoch_steps_per_second")
    assert steps == [0, 1] and all(v > 0 for v in values)
    assert series(train, "batch_steps_per_second")[0] == list(range(1, 9))


def test_evaluate_writes_to_validation(tmp_path):
    model = small_model()
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    callback = TensorBoard(tmp_path)
    loss, mae = model.evaluate(X, Y, verbose=0, callbacks=[callback])
    val = read_run(tmp_path / "validation")  # readable at once: evaluate's end closed the files
    assert series(val, "evaluation_loss_vs_iterations") == ([8], [np.float32(loss)])
    assert series(val, "evaluation_mae_vs_iterations") == ([8], [np.float32(mae)])


@pytest.mark.parametrize("kwargs, message", [
    ({"update_freq": "epochs"}, "update_freq='epochs'"),
    ({"update_freq": 0}, "update_freq=0"),
    ({"histogram_freq": -1}, "histogram_freq=-1"),
    ({"profile_batch": 2}, "profile_batch=2"),
    ({"profile_batch": (2, 5)}, "profile_batch=(2, 5)"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TensorBoard(**kwargs)


def test_embeddings_warn(tmp_path):
    with pytest.warns(UserWarning, match="embeddings_freq=1"):
        TensorBoard(tmp_path, embeddings_freq=1)
