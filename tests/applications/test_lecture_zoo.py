"""The lectures' own architectures (no Keras counterpart): LeNet5, AlexNet, NiN, GoogLeNet, SEResNet50 and
the CIFAR ResNets. Parameter counts and shapes from the papers, a training step, saving and loading,
and the arguments Keras applications take."""
import numpy as np
import pytest

import striate as keras
from striate.applications.googlenet import INCEPTION_FILTERS

A = keras.applications

# Each architecture at a small input it allows, for the training step and the round trips.
SMALL = {
    "LeNet5": lambda: A.LeNet5(),
    "AlexNet": lambda: A.AlexNet(input_shape=(67, 67, 3), classes=5),
    "NiN": lambda: A.NiN(input_shape=(67, 67, 3), classes=5),
    "GoogLeNet": lambda: A.GoogLeNet(input_shape=(65, 65, 3), classes=5, aux_logits=True),
    "SEResNet50": lambda: A.SEResNet50(input_shape=(32, 32, 3), classes=5),
    "ResNet20": lambda: A.ResNet20(input_shape=(16, 16, 3), classes=5),
}


def _images(model, n):
    return np.random.standard_normal((n,) + tuple(model.input_shape[1:])).astype("float32")


def _summary(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def test_lenet5_is_the_lectures_variant():
    model = A.LeNet5()
    assert model.count_params() == 61_706
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    assert [(l.name, l.output.shape) for l in model.layers[1:]] == [
        ("conv1", (None, 28, 28, 6)), ("pool1", (None, 14, 14, 6)), ("conv2", (None, 10, 10, 16)),
        ("pool2", (None, 5, 5, 16)), ("flatten", (None, 400)), ("fc1", (None, 120)), ("fc2", (None, 84)),
        ("predictions", (None, 10))]
    assert {type(l).__name__ for l in model.layers if "pool" in l.name} == {"AveragePooling2D"}
    assert all(l.activation.__name__ == "tanh" for l in model.layers if l.name in ("conv1", "conv2", "fc1", "fc2"))


def test_alexnet_at_full_size_has_the_papers_parameters_and_shapes():
    model = A.AlexNet()
    assert model.count_params() == 60_965_224
    shapes = {l.name: l.output.shape for l in model.layers}
    assert shapes["conv1"] == (None, 55, 55, 96) and shapes["pool1"] == (None, 27, 27, 96)
    assert shapes["pool2"] == (None, 13, 13, 256) and shapes["pool5"] == (None, 6, 6, 256)
    assert shapes["flatten"] == (None, 9216)
    # two towers: conv2, conv4 and conv5 see half of the previous layer's maps, conv3 all of them
    assert {n: model.get_layer(n).kernel.shape[2] for n in ("conv2", "conv3", "conv4", "conv5")} == \
        {"conv2": 48, "conv3": 256, "conv4": 192, "conv5": 192}
    norms = [l for l in model.layers if isinstance(l, keras.layers.LocalResponseNormalization)]
    assert [l.name for l in norms] == ["norm1", "norm2"]
    assert all((l.size, l.k, l.alpha, l.beta) == (5, 2.0, 1e-4, 0.75) for l in norms)
    assert [(l.name, l.rate) for l in model.layers if isinstance(l, keras.layers.Dropout)] == \
        [("drop6", 0.5), ("drop7", 0.5)]
    assert {(l.pool_size, l.strides) for l in model.layers if isinstance(l, keras.layers.MaxPooling2D)} == \
        {((3, 3), (2, 2))}
    y = model.predict(_images(model, 1), verbose=0)
    assert y.shape == (1, 1000) and np.isclose(y.sum(), 1.0, atol=1e-5)


def test_googlenet_follows_table_1():
    model = A.GoogLeNet()
    assert model.count_params() == 6_998_552
    channels = {m: sum(f[i] for i in (0, 2, 4, 5)) for m, f in INCEPTION_FILTERS.items()}
    assert channels == {"3a": 256, "3b": 480, "4a": 512, "4b": 512, "4c": 512, "4d": 528, "4e": 832,
                        "5a": 832, "5b": 1024}
    for module, size in (("3a", 28), ("3b", 28), ("4a", 14), ("4e", 14), ("5a", 7), ("5b", 7)):
        assert model.get_layer(f"inception_{module}_output").output.shape == (None, size, size, channels[module])
    assert model.get_layer("conv2_3x3").output.shape == (None, 56, 56, 192)
    assert model.get_layer("dropout").rate == 0.4
    y = model.predict(_images(model, 1), verbose=0)
    assert y.shape == (1, 1000)

    with_aux = A.GoogLeNet(aux_logits=True)
    assert with_aux.output_shape == [(None, 1000)] * 3
    assert [t.node.layer.name for t in with_aux.outputs] == ["predictions", "loss1_classifier", "loss2_classifier"]
    # each auxiliary classifier: 1x1 conv of 128 on 4x4 maps, dense 1024, the classifier
    aux = (512 * 128 + 128) + (4 * 4 * 128 * 1024 + 1024) + (1024 * 1000 + 1000)
    assert with_aux.count_params() == 6_998_552 + 2 * aux + (528 - 512) * 128  # aux2 sees 528 channels
    assert with_aux.get_layer("loss1_ave_pool").output.shape == (None, 4, 4, 512)
    assert with_aux.get_layer("loss2_drop_fc").rate == 0.7


def test_nin_is_mlpconv_blocks_and_global_average_pooling():
    model = A.NiN()
    assert model.count_params() == 7_439_608
    assert not any(isinstance(l, keras.layers.Dense) for l in model.layers)
    for block, filters in (("block1", 96), ("block2", 256), ("block3", 384), ("block4", 1000)):
        kernels = [model.get_layer(f"{block}_{part}").kernel.shape for part in ("conv", "mlp1", "mlp2")]
        assert kernels[1:] == [(1, 1, filters, filters)] * 2
    assert [l.name for l in model.layers if isinstance(l, keras.layers.Dropout)] == \
        ["block1_dropout", "block2_dropout", "top_dropout"]
    assert model.get_layer("block4_mlp2").output.shape == (None, 5, 5, 1000)
    assert isinstance(model.get_layer("avg_pool"), keras.layers.GlobalAveragePooling2D)


def test_seresnet50_is_resnet50_with_an_se_block_on_each_residual_branch():
    model = A.SEResNet50()
    resnet = A.ResNet50(weights=None)
    assert model.count_params() == 28_167_704
    se_layers = [l for l in model.layers if isinstance(l, keras.layers.SqueezeExcitation)]
    assert len(se_layers) == 16
    assert model.count_params() - resnet.count_params() == sum(l.count_params() for l in se_layers)
    # the same layers otherwise, by name and weight shapes (the graph's order differs: the SE blocks
    # make each residual branch one layer deeper than its shortcut)
    others = sorted((l.name, [w.shape for w in l.weights]) for l in model.layers[1:] if l not in se_layers)
    assert others == sorted((l.name, [w.shape for w in l.weights]) for l in resnet.layers[1:])
    block = model.get_layer("conv4_block2_se")
    assert block.squeeze_kernel.shape == (1024, 64)  # reduction 16
    # before the addition: the SE block takes the last batch normalization and feeds the add
    assert block._inbound_nodes[0].inputs[0].node.layer.name == "conv4_block2_3_bn"
    assert model.get_layer("conv4_block2_add")._inbound_nodes[0].inputs[1].node.layer is block


@pytest.mark.parametrize("fn, trainable", [(A.ResNet20, 269_722), (A.ResNet32, 464_154), (A.ResNet44, 658_586),
                                           (A.ResNet56, 853_018), (A.ResNet110, 1_727_962)])
def test_cifar_resnets_have_the_papers_depth_and_size(fn, trainable):
    model = fn()
    depth = int(fn.__name__[len("ResNet"):])
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)]
    assert len(convs) + len(dense) == depth  # 6n + 2 weighted layers
    assert sum(w.size for w in model.trainable_weights) == trainable  # the paper's 0.27M ... 1.7M
    assert model.count_params() == trainable + 2 * sum(l.moving_mean.size for l in model.layers
                                                       if isinstance(l, keras.layers.BatchNormalization))
    assert model.name == f"resnet{depth}" and model.output_shape == (None, 10)
    shortcuts = [l for l in model.layers if isinstance(l, keras.layers.ZeroPaddingShortcut)]
    assert [(l.name, l.output.shape) for l in shortcuts] == [("conv3_block1_shortcut", (None, 16, 16, 32)),
                                                            ("conv4_block1_shortcut", (None, 8, 8, 64))]


@pytest.mark.parametrize("name", sorted(SMALL))
def test_one_training_step_then_save_and_load(name, tmp_path):
    model = SMALL[name]()
    x = _images(model, 2)
    y = np.array([1, 3])
    outputs = len(model.outputs)
    # Adam's steps are bounded: SGD's first step on a batch of two can blow up SE-ResNet50, whose last
    # stage normalizes 1x1 maps by the statistics of two values
    optimizer = keras.optimizers.Adam(1e-4)
    if outputs == 1:
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    else:  # GoogLeNet with its auxiliary classifiers, weighted as in the paper
        model.compile(optimizer=optimizer, loss=["sparse_categorical_crossentropy"] * 3, loss_weights=[1.0, 0.3, 0.3])
    first, last = model.trainable_weights[0], model.trainable_weights[-1]
    before = first.numpy().copy(), last.numpy().copy()
    history = model.fit(x, y if outputs == 1 else [y] * outputs, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.allclose(first.numpy(), before[0]) and not np.allclose(last.numpy(), before[1])

    expected = model.predict(x, verbose=0)
    assert all(np.isfinite(p).all() for p in (expected if outputs > 1 else [expected]))
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    got = loaded.predict(x, verbose=0)
    for a, b in zip(got if outputs > 1 else [got], expected if outputs > 1 else [expected]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)  # sums split across threads may differ in an ulp

    model.save_weights(tmp_path / "model.weights.h5")
    fresh = SMALL[name]()
    assert not np.allclose(fresh.trainable_weights[0].numpy(), first.numpy())
    fresh.load_weights(tmp_path / "model.weights.h5")
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    # Keras's "Total params" adds the optimizer's variables; the model's own are trainable + non-trainable
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert f"Trainable params: {trainable:,}" in _summary(loaded)
    assert f"Non-trainable params: {model.count_params() - trainable:,}" in _summary(loaded)


def test_weights_argument_loads_a_striate_saved_file(tmp_path):
    model = A.ResNet20(input_shape=(16, 16, 3), classes=4)
    model.save_weights(tmp_path / "resnet20.weights.h5")
    again = A.ResNet20(input_shape=(16, 16, 3), classes=4, weights=str(tmp_path / "resnet20.weights.h5"))
    x = np.random.standard_normal((2, 16, 16, 3)).astype("float32")
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("fn", [A.LeNet5, A.AlexNet, A.NiN, A.GoogLeNet, A.SEResNet50, A.ResNet20, A.ResNet110])
def test_imagenet_weights_are_refused_by_name(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: no pretrained weights file exists for this architecture"):
        fn(weights="imagenet")


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"LeNet5: weights must be None or the path of a weights file that exists, "
                                         r"received weights='missing.h5'"):
        A.LeNet5(weights="missing.h5")
    with pytest.raises(ValueError, match=r"aux_logits=True adds classifiers, which needs include_top=True"):
        A.GoogLeNet(include_top=False, aux_logits=True)
    with pytest.raises(ValueError, match=r"depth must be 6n \+ 2 .* received depth=21"):
        A.resnet_cifar.ResNetCIFAR(21)
    with pytest.raises(ValueError, match=r"pooling must be None, 'avg' or 'max', received pooling='mean'"):
        A.NiN(include_top=False, pooling="mean")
    with pytest.raises(ValueError, match=r"Input size must be at least 67x67"):
        A.AlexNet(include_top=False, input_shape=(64, 64, 3))


@pytest.mark.parametrize("fn, size, features", [
    (A.LeNet5, 28, (None, 5, 5, 16)), (A.AlexNet, 67, (None, 1, 1, 256)), (A.NiN, 67, (None, 1, 1, 384)),
    (A.GoogLeNet, 32, (None, 1, 1, 1024)), (A.SEResNet50, 32, (None, 1, 1, 2048)), (A.ResNet20, 16, (None, 4, 4, 64)),
])
def test_feature_extractors_without_the_top(fn, size, features):
    channels = 1 if fn is A.LeNet5 else 3
    base = fn(include_top=False, input_shape=(size, size, channels))
    assert base.output_shape == features
    for pooling, layer in (("avg", keras.layers.GlobalAveragePooling2D), ("max", keras.layers.GlobalMaxPooling2D)):
        pooled = fn(include_top=False, input_shape=(size, size, channels), pooling=pooling)
        assert pooled.output_shape == (None, features[-1]) and isinstance(pooled.layers[-1], layer)


def test_input_tensor_builds_on_the_users_graph():
    inputs = keras.Input(shape=(28, 28, 1))
    scaled = keras.layers.Rescaling(1 / 255)(inputs)
    model = A.LeNet5(input_tensor=scaled, classes=3, classifier_activation=None, name="digits")
    assert model.inputs == [inputs] and model.name == "digits"
    assert isinstance(model.layers[1], keras.layers.Rescaling)
    x = np.random.randint(0, 256, (2, 28, 28, 1)).astype("float32")
    logits = model.predict(x, verbose=0)
    assert logits.shape == (2, 3) and not np.allclose(logits.sum(axis=1), 1.0)


def test_a_frozen_zoo_model_nested_as_a_feature_extractor():
    base = A.LeNet5(include_top=False, pooling="avg")
    base.trainable = False
    inputs = keras.Input(shape=(28, 28, 1))
    model = keras.Model(inputs, keras.layers.Dense(5, activation="softmax", name="head")(base(inputs, training=False)))
    text = _summary(model)
    assert "lenet5" in text and "Total params: 2,657" in text and "Non-trainable params: 2,572" in text
    frozen = base.get_weights()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.random.standard_normal((4, 28, 28, 1)).astype("float32"), np.array([0, 1, 2, 3]), epochs=1,
              verbose=0)
    for a, b in zip(base.get_weights(), frozen):
        np.testing.assert_array_equal(a, b)



@pytest.mark.parametrize("fn, size, kwargs", [
    (A.ResNet20, 16, {"classes": 4}),
    (A.AlexNet, 67, {"include_top": False, "pooling": "avg"}),
    (A.GoogLeNet, 65, {"classes": 4, "aux_logits": True}),
    (A.SEResNet50, 32, {"include_top": False, "pooling": "avg"}),
], ids=["ResNet20", "AlexNet", "GoogLeNet", "SEResNet50"])
def test_channels_first_models_compute_what_channels_last_ones_do(fn, size, kwargs):
    last = fn(input_shape=(size, size, 3), **kwargs)
    keras.backend.set_image_data_format("channels_first")
    try:
        first = fn(input_shape=(3, size, size), **kwargs)
    finally:
        keras.backend.set_image_data_format("channels_last")
    first.set_weights(last.get_weights())  # the same weight shapes in both layouts
    x = np.random.standard_normal((2, size, size, 3)).astype("float32") * 50  # large enough for LRN to matter
    expected, got = last.predict(x, verbose=0), first.predict(x.transpose(0, 3, 1, 2), verbose=0)
    for a, b in zip(got if isinstance(got, list) else [got], expected if isinstance(expected, list) else [expected]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
