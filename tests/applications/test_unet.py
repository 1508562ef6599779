"""U-Net (Ronneberger et al. 2015): the paper's network (31,030,658 parameters, 572x572 -> 388x388), the
same architecture written with Keras's layers giving the same outputs for the same weights, small "same"
U-Nets that train, weights from a file, and the size errors."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import striate  # noqa: E402
from striate.applications import UNet  # noqa: E402


def test_the_paper_s_network(capsys):
    model = UNet()
    assert model.count_params() == 31_030_658
    assert model.input_shape == (None, 572, 572, 1) and model.output_shape == (None, 388, 388, 2)
    shapes = {layer.name: layer.output.shape[1:] for layer in model.layers}
    # Figure 1 of the paper: the contracting path, the bottom and the crops of the copied maps
    assert shapes["down1_conv2"] == (568, 568, 64) and shapes["down4_pool"] == (32, 32, 512)
    assert shapes["bottom_conv2"] == (28, 28, 1024)
    assert shapes["up4_crop"] == (56, 56, 512) and shapes["up4_concat"] == (56, 56, 1024)
    assert shapes["up1_crop"] == (392, 392, 64) and shapes["up1_conv2"] == (388, 388, 64)
    assert model.get_layer("up1_crop").cropping == ((88, 88), (88, 88))
    assert model.get_layer("up4_upconv").kernel.shape == (2, 2, 512, 1024)
    assert model.get_layer("predictions").kernel.shape == (1, 1, 64, 2)
    model.summary()
    assert "Total params: 31,030,658" in capsys.readouterr().out


def keras_unet(input_shape, classes, padding, depth, filters, batch_norm):
    """The paper's architecture written with Keras's layers, independently of striate's builder."""
    def conv(x, width):
        if not batch_norm:
            return keras.layers.Conv2D(width, 3, padding=padding, activation="relu")(x)
        x = keras.layers.Conv2D(width, 3, padding=padding, use_bias=False)(x)
        return keras.layers.ReLU()(keras.layers.BatchNormalization()(x))

    inputs = keras.Input(shape=input_shape)
    x, copies = inputs, []
    for level in range(depth):
        x = conv(conv(x, filters * 2 ** level), filters * 2 ** level)
        copies.append(x)
        x = keras.layers.MaxPooling2D()(x)
    x = conv(conv(x, filters * 2 ** depth), filters * 2 ** depth)
    for level in reversed(range(depth)):
        x = keras.layers.Conv2DTranspose(filters * 2 ** level, 2, strides=2)(x)
        copy = copies[level]
        cut = (copy.shape[1] - x.shape[1]) // 2
        if cut:
            copy = keras.layers.Cropping2D(cut)(copy)
        x = keras.layers.Concatenate()([copy, x])
        x = conv(conv(x, filters * 2 ** level), filters * 2 ** level)
    return keras.Model(inputs, keras.layers.Conv2D(classes, 1, activation="softmax")(x))


@pytest.mark.parametrize("padding,size,depth,batch_norm", [("valid", 92, 2, False), ("same", 32, 3, False),
                                                             ("same", 16, 2, True)])
def test_outputs_equal_keras_s_for_the_same_weights(padding, size, depth, batch_norm):
    ours = UNet(input_shape=(size, size, 2), classes=3, padding=padding, depth=depth, filters=4,
                batch_norm=batch_norm)
    theirs = keras_unet((size, size, 2), 3, padding, depth, 4, batch_norm)
    assert ours.count_params() == theirs.count_params()
    rng = np.random.default_rng(0)
    weights = [rng.uniform(0.5, 1.5, w.shape).astype(np.float32) if "variance" in w.path
               else rng.normal(0, 0.3, w.shape).astype(np.float32) for w in ours.weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x = rng.uniform(size=(2, size, size, 2)).astype(np.float32)
    expected = theirs.predict(x, verbose=0)
    assert ours.output_shape[1:] == expected.shape[1:]
    # float32 rounding: with these random weights (no normalization, 14 convolutions deep) each library's
    # float32 output lies up to about 5e-4 from the float64 one, and the two up to about 1e-4 apart
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-4, atol=3e-4)


def test_a_small_same_padded_unet_trains_on_64x64_masks():
    model = UNet(input_shape=(64, 64, 1), classes=11, padding="same", depth=3, filters=4)
    assert model.output_shape == (None, 64, 64, 11)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(4, 64, 64, 1)).astype(np.float32)
    y = np.where(x[..., 0] > 0.5, 3, 0)  # class 3 on the bright pixels
    model.compile(optimizer=striate.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=4, epochs=15, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.6 * before


def test_without_top_pooling_and_input_tensor():
    features = UNet(include_top=False, input_shape=(32, 32, 3), padding="same", depth=2, filters=4)
    assert features.output_shape == (None, 32, 32, 4)
    pooled = UNet(include_top=False, pooling="avg", input_shape=(32, 32, 3), padding="same", depth=2, filters=4)
    assert pooled.output_shape == (None, 4)
    inputs = striate.Input(shape=(32, 32, 3))
    model = UNet(input_tensor=striate.layers.Rescaling(1 / 255)(inputs), padding="same", depth=2, filters=4,
                 classes=5, classifier_activation=None)
    assert model.inputs == [inputs] and model.output_shape == (None, 32, 32, 5)
    free = UNet(padding="same", depth=2, filters=4)  # sizes left open with "same" padding
    assert free.input_shape == (None, None, None, 1)
    assert free.predict(np.zeros((1, 16, 24, 1), np.float32), verbose=0).shape == (1, 16, 24, 2)


def test_weights_from_a_file(tmp_path):
    model = UNet(input_shape=(16, 16, 1), padding="same", depth=2, filters=4)
    path = str(tmp_path / "unet.weights.h5")
    model.save_weights(path)
    again = UNet(input_shape=(16, 16, 1), padding="same", depth=2, filters=4, weights=path)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="UNet: no pretrained weights file"):
        UNet(weights="imagenet")


def test_sizes_that_do_not_fit_are_refused_with_the_nearest_that_do():
    with pytest.raises(ValueError, match="input side of 570 .* nearest sizes that do are 556 and 572"):
        UNet(input_shape=(570, 570, 1))
    with pytest.raises(ValueError, match="padding='same' and depth=3 needs input sides divisible by 8, received 60"):
        UNet(input_shape=(60, 64, 1), padding="same", depth=3)
    with pytest.raises(ValueError, match="padding='valid' needs a known input height and width"):
        UNet(input_shape=(None, None, 1))
    with pytest.raises(ValueError, match="UNet: padding must be one of .* received 'full'"):
        UNet(padding="full")
    with pytest.raises(ValueError, match="UNet: depth must be a positive int, received 0"):
        UNet(depth=0)
