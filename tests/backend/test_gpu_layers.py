"""Every layer, loss, metric and activation of striate on the GPU path, op by op, against the CPU.

Each case runs twice in one test: on the CPU (NumPy, the reference) and under the ``gpu`` fixture
(``tests/fake_cupy.py`` as ``cupy``, or the real CuPy where there is a GPU), from the same inputs and
weights. The GPU's outputs, gradients (of ``sum(w * y)`` with respect to the inputs and every
trainable weight) and state afterwards must be device arrays, come back through
``backend.to_numpy`` as NumPy arrays of the CPU's dtype, and equal the CPU's within rtol 1e-5 /
atol 1e-6 of the largest magnitude. Layers are built by a symbolic call (as a functional model
builds them), so shape inference runs on the device too.
"""
import numpy as np
import pytest

import striate
from striate import activations, backend, losses, metrics, ops
from striate import layers as L
from striate.autodiff import Tensor

RTOL, ATOL = 1e-5, 1e-6
NOT_COMPUTING = {"Input", "InputLayer", "InputSpec", "KerasTensor", "Layer"}


def _close(got, want, what, rtol=RTOL, atol=ATOL):
    """``got`` (from the GPU) is a NumPy array of ``want``'s shape and dtype, within tolerance of the
    largest magnitude of ``want``."""
    assert isinstance(got, np.ndarray), f"{what}: came back as {type(got).__name__}, not a NumPy array"
    want = np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, CPU {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, CPU {want.dtype}"
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    scale = float(np.max(np.abs(want), initial=0.0))
    err = float(np.max(np.abs(got.astype(np.float64) - want), initial=0.0))
    assert err <= atol + rtol * scale, f"{what}: differs from the CPU by {err:.3g} (largest magnitude {scale:.3g})"


def _on_device(gpu, a, what):
    assert isinstance(a, gpu.ndarray), f"{what}: a {type(a).__module__}.{type(a).__name__} on the GPU, " \
                                       f"not a {gpu.__name__}.ndarray"
    return backend.to_numpy(a)


# --- layers -----------------------------------------------------------------------------------------
IMG = (2, 8, 8, 3)
CF = (2, 3, 8, 8)  # channels_first


class Case:
    """A layer configuration: ``make()`` gives a new, unbuilt layer; ``shapes`` its inputs' shapes.

    ``random``: the layer draws random numbers in training (with a ``seed``). The stand-in's streams
    are NumPy's, so there it draws what the CPU draws; CuPy's streams differ, so on a real GPU only the
    results' shapes, dtypes and place are compared."""

    def __init__(self, id, make, *shapes, training=False, data="normal", random=False):
        self.id, self.make, self.shapes, self.training, self.data = id, make, shapes or (IMG,), training, data
        self.random = random

    @property
    def many(self):
        return len(self.shapes) > 1


def _conv(*a, **k):
    return lambda: L.Conv2D(*a, **k)


LAYER_CASES = [
    # Conv2D: strips (few channels: C_out <= 16 and C_in * C_out <= 128) or patches (im2col), see ops/conv.py
    Case("Conv2D-strips-valid", _conv(4, 3)),
    Case("Conv2D-strips-same-stride2-relu", _conv(4, 3, strides=2, padding="same", activation="relu")),
    Case("Conv2D-strips-dilation2-tanh", _conv(4, 3, dilation_rate=2, activation="tanh")),
    Case("Conv2D-strips-1-channel-same", _conv(4, 3, padding="same"), (2, 8, 8, 1)),
    Case("Conv2D-strips-1x1", _conv(6, 1)),
    Case("Conv2D-strips-odd-image-same-stride2", _conv(4, (3, 2), strides=2, padding="same"), (2, 7, 9, 3)),
    Case("Conv2D-strips-sigmoid", _conv(4, 3, activation="sigmoid")),
    Case("Conv2D-patches-20-out-same", _conv(20, 3, padding="same")),
    Case("Conv2D-patches-12x12-stride21", _conv(12, (3, 2), strides=(2, 1)), (2, 8, 8, 12)),
    Case("Conv2D-patches-1-channel", _conv(20, 3), (2, 8, 8, 1)),
    Case("Conv2D-patches-2-channels-dilation2-same", _conv(17, 3, dilation_rate=2, padding="same"), (2, 8, 8, 2)),
    Case("Conv2D-patches-stride2-nobias-relu", _conv(20, 3, strides=2, use_bias=False, activation="relu")),
    Case("Conv2D-channels-first-strips", _conv(4, 3, padding="same", data_format="channels_first"), CF),
    Case("Conv2D-channels-first-patches", _conv(20, 3, data_format="channels_first"), CF),
    Case("Conv1D-strips-valid", lambda: L.Conv1D(4, 3), (2, 10, 3)),
    Case("Conv1D-patches-same-stride2-relu", lambda: L.Conv1D(20, 3, strides=2, padding="same", activation="relu"),
         (2, 10, 3)),
    Case("Conv1D-dilation2-same", lambda: L.Conv1D(4, 3, dilation_rate=2, padding="same"), (2, 10, 3)),
    Case("Conv1D-channels-first", lambda: L.Conv1D(4, 3, data_format="channels_first"), (2, 3, 10)),
    Case("DepthwiseConv2D-valid", lambda: L.DepthwiseConv2D(3)),
    Case("DepthwiseConv2D-same-stride2-mult2-relu",
         lambda: L.DepthwiseConv2D((3, 2), strides=2, padding="same", depth_multiplier=2, activation="relu")),
    Case("DepthwiseConv2D-dilation2-nobias", lambda: L.DepthwiseConv2D(3, dilation_rate=2, padding="same",
                                                                        use_bias=False)),
    Case("DepthwiseConv2D-channels-first", lambda: L.DepthwiseConv2D(3, data_format="channels_first"), CF),
    Case("Conv2D-groups3-same-stride2", _conv(6, 3, groups=3, strides=2, padding="same"), (2, 8, 8, 6)),
    Case("Conv2D-groups2-channels-first", _conv(4, 3, groups=2, data_format="channels_first"), (2, 4, 8, 8)),
    Case("SeparableConv2D-same-mult2-relu", lambda: L.SeparableConv2D(5, 3, padding="same", depth_multiplier=2,
                                                                      activation="relu")),
    Case("SeparableConv2D-channels-first", lambda: L.SeparableConv2D(4, 3, data_format="channels_first"), CF),
    Case("SeparableConv1D-stride2", lambda: L.SeparableConv1D(4, 3, strides=2), (2, 10, 3)),
    Case("Conv2DTranspose-valid", lambda: L.Conv2DTranspose(4, 3), (2, 5, 5, 3)),
    Case("Conv2DTranspose-same-stride2-relu", lambda: L.Conv2DTranspose(4, 3, strides=2, padding="same",
                                                                        activation="relu"), (2, 5, 5, 3)),
    Case("Conv2DTranspose-2-filters-stride23", lambda: L.Conv2DTranspose(2, (3, 2), strides=(2, 3)), (2, 5, 4, 3)),
    Case("Conv2DTranspose-output-padding", lambda: L.Conv2DTranspose(3, 3, strides=2, output_padding=1),
         (2, 5, 5, 3)),
    Case("Conv2DTranspose-dilation2-same", lambda: L.Conv2DTranspose(4, 3, dilation_rate=2, padding="same"),
         (2, 5, 5, 3)),
    Case("Conv2DTranspose-20-filters", lambda: L.Conv2DTranspose(20, 2, strides=2, padding="same"), (2, 4, 4, 8)),
    Case("Conv2DTranspose-channels-first", lambda: L.Conv2DTranspose(4, 3, strides=2, padding="same",
                                                                     data_format="channels_first"), (2, 3, 5, 5)),
    # Dense: fused relu/tanh/linear, any other activation after the op
    Case("Dense", lambda: L.Dense(5), (2, 7)),
    Case("Dense-3d-relu", lambda: L.Dense(5, activation="relu"), (2, 4, 7)),
    Case("Dense-tanh-nobias", lambda: L.Dense(5, activation="tanh", use_bias=False), (3, 7)),
    Case("Dense-softmax", lambda: L.Dense(5, activation="softmax"), (3, 7)),
    # pooling: blocks (stride = pool), padded or cropped, or taps (other strides); ties in windows
    Case("MaxPooling2D-blocks", lambda: L.MaxPooling2D()),
    Case("MaxPooling2D-blocks-crop", lambda: L.MaxPooling2D(3)),
    Case("MaxPooling2D-blocks-same", lambda: L.MaxPooling2D(2, padding="same"), (2, 7, 7, 3)),
    Case("MaxPooling2D-blocks-23", lambda: L.MaxPooling2D((2, 3)), (2, 8, 9, 3)),
    Case("MaxPooling2D-blocks-12", lambda: L.MaxPooling2D((1, 2))),
    Case("MaxPooling2D-taps", lambda: L.MaxPooling2D(3, strides=1)),
    Case("MaxPooling2D-taps-same", lambda: L.MaxPooling2D(3, strides=2, padding="same")),
    Case("MaxPooling2D-16-channels", lambda: L.MaxPooling2D(), (2, 8, 8, 16)),
    Case("MaxPooling2D-one-tie", lambda: L.MaxPooling2D(), data="one_tie"),
    Case("MaxPooling2D-many-ties", lambda: L.MaxPooling2D(), data="zeros"),
    Case("MaxPooling2D-taps-ties", lambda: L.MaxPooling2D(3, strides=1), data="zeros"),
    Case("MaxPooling2D-channels-first", lambda: L.MaxPooling2D(data_format="channels_first"), CF),
    Case("AveragePooling2D-blocks", lambda: L.AveragePooling2D()),
    Case("AveragePooling2D-blocks-crop", lambda: L.AveragePooling2D(3)),
    Case("AveragePooling2D-blocks-21", lambda: L.AveragePooling2D((2, 1))),
    Case("AveragePooling2D-blocks-same", lambda: L.AveragePooling2D(2, padding="same"), (2, 7, 7, 3)),
    Case("AveragePooling2D-taps", lambda: L.AveragePooling2D(3, strides=1)),
    Case("AveragePooling2D-taps-same", lambda: L.AveragePooling2D(3, strides=2, padding="same")),
    Case("AveragePooling2D-channels-first", lambda: L.AveragePooling2D(data_format="channels_first"), CF),
    Case("GlobalAveragePooling2D", lambda: L.GlobalAveragePooling2D()),
    Case("GlobalAveragePooling2D-keepdims-cf", lambda: L.GlobalAveragePooling2D(data_format="channels_first",
                                                                                keepdims=True), CF),
    Case("GlobalMaxPooling2D", lambda: L.GlobalMaxPooling2D()),
    Case("GlobalMaxPooling2D-keepdims-cf-ties", lambda: L.GlobalMaxPooling2D(data_format="channels_first",
                                                                            keepdims=True), CF, data="zeros"),
    Case("LayerNormalization", lambda: L.LayerNormalization()),
    Case("LayerNormalization-axes123-rms", lambda: L.LayerNormalization(axis=[1, 2, 3], rms_scaling=True)),
    Case("LayerNormalization-axis1-no-center", lambda: L.LayerNormalization(axis=1, center=False), CF),
    Case("Lambda", lambda: L.Lambda(lambda t: ops.tanh(t) * 2.0 + ops.mean(t, axis=-1, keepdims=True))),
    # BatchNormalization: batch statistics (training) or moving ones (inference)
    Case("BatchNormalization-inference", lambda: L.BatchNormalization()),
    Case("BatchNormalization-training", lambda: L.BatchNormalization(), training=True),
    Case("BatchNormalization-axis1-training", lambda: L.BatchNormalization(axis=1), CF, training=True),
    Case("BatchNormalization-axis1-inference", lambda: L.BatchNormalization(axis=1), CF),
    Case("BatchNormalization-no-center-scale-training", lambda: L.BatchNormalization(center=False, scale=False),
         training=True),
    Case("BatchNormalization-2d-no-scale-training", lambda: L.BatchNormalization(scale=False, momentum=0.9),
         (6, 5), training=True),
    Case("BatchNormalization-no-center-inference", lambda: L.BatchNormalization(center=False, epsilon=1e-2),
         (6, 5)),
    # Dropout outside training (training: test_dropout_in_training_on_gpu)
    Case("Dropout-inference", lambda: L.Dropout(0.5, seed=1)),
    Case("Dropout-rate0-training", lambda: L.Dropout(0.0), training=True),
    Case("SpatialDropout2D-inference", lambda: L.SpatialDropout2D(0.5, seed=1)),
    Case("SpatialDropout2D-channels-first-training", lambda: L.SpatialDropout2D(0.5, data_format="channels_first",
                                                                               seed=1), CF, training=True, random=True),
    # noise: the identity outside training
    Case("GaussianNoise-inference", lambda: L.GaussianNoise(0.5)),
    Case("GaussianNoise-training", lambda: L.GaussianNoise(0.5, seed=1), training=True, random=True),
    Case("GaussianDropout-training", lambda: L.GaussianDropout(0.3, seed=1), training=True, random=True),
    # preprocessing: deterministic ones, then the random ones in training (the identity outside it)
    Case("Rescaling", lambda: L.Rescaling(1 / 127.5, offset=-1.0)),
    Case("Rescaling-per-channel", lambda: L.Rescaling([0.5, 1.0, 2.0], offset=[0.0, 1.0, -1.0])),
    Case("Resizing-bilinear-down", lambda: L.Resizing(5, 6)),
    Case("Resizing-nearest-up", lambda: L.Resizing(11, 13, interpolation="nearest")),
    Case("Resizing-bicubic-antialias", lambda: L.Resizing(5, 4, interpolation="bicubic", antialias=True)),
    Case("Resizing-crop-to-aspect-ratio", lambda: L.Resizing(4, 6, crop_to_aspect_ratio=True)),
    Case("Resizing-pad-to-aspect-ratio-cf", lambda: L.Resizing(4, 6, pad_to_aspect_ratio=True, fill_value=1.0,
                                                               data_format="channels_first"), CF),
    Case("CenterCrop", lambda: L.CenterCrop(5, 6)),
    Case("CenterCrop-larger-resizes", lambda: L.CenterCrop(10, 6)),
    Case("CenterCrop-channels-first", lambda: L.CenterCrop(5, 4, data_format="channels_first"), CF),
    Case("Normalization-adapted-weights", lambda: L.Normalization()),
    Case("Normalization-axis-none-invert", lambda: L.Normalization(axis=None, invert=True)),
    Case("Normalization-fixed-axis1", lambda: L.Normalization(axis=1, mean=[0.5, -1.0, 0.0], variance=[2.0, 0.5, 1.0]),
         CF),
    Case("Cropping2D-asymmetric", lambda: L.Cropping2D(((1, 2), (0, 3)))),
    Case("Cropping2D-channels-first", lambda: L.Cropping2D(2, data_format="channels_first"), CF),
    Case("RandomCrop-inference-resizes", lambda: L.RandomCrop(5, 6, seed=1)),
    Case("RandomCrop-training", lambda: L.RandomCrop(5, 6, seed=1), training=True, random=True),
    Case("RandomCrop-channels-first-training", lambda: L.RandomCrop(6, 5, seed=1, data_format="channels_first"), CF,
         training=True, random=True),
    Case("RandomFlip-inference", lambda: L.RandomFlip(seed=1)),
    Case("RandomFlip-training", lambda: L.RandomFlip(seed=1), training=True, random=True),
    Case("RandomFlip-vertical-cf-training", lambda: L.RandomFlip("vertical", seed=1, data_format="channels_first"),
         CF, training=True, random=True),
    Case("RandomRotation-training", lambda: L.RandomRotation(0.2, seed=1), training=True, random=True),
    Case("RandomRotation-constant-nearest-cf-training",
         lambda: L.RandomRotation((0.1, 0.3), fill_mode="constant", fill_value=0.5, interpolation="nearest", seed=1,
                                  data_format="channels_first"), CF, training=True, random=True),
    Case("RandomZoom-wrap-training", lambda: L.RandomZoom(0.3, (-0.2, 0.2), fill_mode="wrap", seed=1),
         training=True, random=True),
    Case("RandomTranslation-nearest-training", lambda: L.RandomTranslation(0.2, (-0.1, 0.3), fill_mode="nearest",
                                                                           seed=1), training=True, random=True),
    Case("RandomShear-training", lambda: L.RandomShear(0.3, (0.1, 0.2), seed=1), training=True, random=True),
    Case("RandomElasticTransform-training", lambda: L.RandomElasticTransform(0.8, 0.7, value_range=(-3, 3), seed=1),
         training=True, random=True),
    Case("RandomElasticTransform-constant-cf-training",
         lambda: L.RandomElasticTransform(fill_mode="constant", value_range=(-3, 3), seed=1,
                                          data_format="channels_first"), CF, training=True, random=True),
    Case("RandomContrast-training", lambda: L.RandomContrast(0.5, value_range=(-3, 3), seed=1), training=True,
         random=True),
    Case("RandomBrightness-training", lambda: L.RandomBrightness(0.3, value_range=(-3, 3), seed=1), training=True,
         random=True),
    # activation layers
    Case("ReLU", lambda: L.ReLU(), data="wide"),
    Case("ReLU-max6", lambda: L.ReLU(max_value=6.0), data="wide"),
    Case("ReLU-slope", lambda: L.ReLU(negative_slope=0.1), data="wide"),
    Case("ReLU-threshold", lambda: L.ReLU(threshold=0.5), data="wide"),
    Case("ReLU-general", lambda: L.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.25), data="wide"),
    Case("LeakyReLU", lambda: L.LeakyReLU()),
    Case("LeakyReLU-slope", lambda: L.LeakyReLU(negative_slope=0.05)),
    Case("ELU", lambda: L.ELU()),
    Case("ELU-alpha", lambda: L.ELU(alpha=0.5)),
    Case("PReLU", lambda: L.PReLU()),
    Case("PReLU-shared", lambda: L.PReLU(shared_axes=[1, 2])),
    Case("PReLU-2d", lambda: L.PReLU(), (2, 7)),
    Case("Softmax", lambda: L.Softmax(), (2, 5, 7)),
    Case("Softmax-axis1", lambda: L.Softmax(axis=1), (2, 5, 7)),
    Case("Softmax-axes12", lambda: L.Softmax(axis=(1, 2)), (2, 5, 7)),
    # merging: 2 or 3 inputs, ranks that broadcast
    Case("Add-2", lambda: L.Add(), IMG, IMG),
    Case("Add-3", lambda: L.Add(), IMG, IMG, IMG),
    Case("Add-broadcast-rank", lambda: L.Add(), IMG, (2, 3)),
    Case("Subtract", lambda: L.Subtract(), IMG, IMG),
    Case("Multiply-2", lambda: L.Multiply(), IMG, IMG),
    Case("Multiply-3", lambda: L.Multiply(), IMG, IMG, IMG),
    Case("Average-2", lambda: L.Average(), IMG, IMG),
    Case("Average-3", lambda: L.Average(), IMG, IMG, IMG),
    Case("Maximum-2", lambda: L.Maximum(), IMG, IMG),
    Case("Maximum-3-ties", lambda: L.Maximum(), IMG, IMG, IMG, data="ties"),
    Case("Minimum-2", lambda: L.Minimum(), IMG, IMG),
    Case("Minimum-3", lambda: L.Minimum(), IMG, IMG, IMG),
    Case("Concatenate-3", lambda: L.Concatenate(), IMG, (2, 8, 8, 2), (2, 8, 8, 4)),
    Case("Concatenate-axis1", lambda: L.Concatenate(axis=1), IMG, (2, 5, 8, 3)),
    # reshaping
    Case("Flatten", lambda: L.Flatten()),
    Case("Flatten-channels-first", lambda: L.Flatten(data_format="channels_first"), CF),
    Case("Reshape", lambda: L.Reshape((4, -1))),
    Case("Reshape-3d", lambda: L.Reshape((6, 4, 8))),
    Case("Permute", lambda: L.Permute((3, 1, 2))),
    Case("Permute-2d", lambda: L.Permute((2, 1)), (2, 5, 7)),
    Case("ZeroPadding2D", lambda: L.ZeroPadding2D()),
    Case("ZeroPadding2D-asymmetric", lambda: L.ZeroPadding2D(((1, 2), (0, 3)))),
    Case("ZeroPadding2D-channels-first", lambda: L.ZeroPadding2D(2, data_format="channels_first"), CF),
    Case("UpSampling2D", lambda: L.UpSampling2D(), (2, 4, 4, 3)),
    Case("UpSampling2D-23", lambda: L.UpSampling2D((2, 3)), (2, 4, 4, 3)),
    Case("UpSampling2D-31-channels-first", lambda: L.UpSampling2D((3, 1), data_format="channels_first"),
         (2, 3, 4, 4)),
    Case("Identity", lambda: L.Identity()),
    # striate's own: AlexNet's normalization, the SE block, the option A shortcut
    Case("LocalResponseNormalization", lambda: L.LocalResponseNormalization(alpha=0.5, k=1.0), (2, 4, 4, 7)),
    Case("LocalResponseNormalization-even-size-cf", lambda: L.LocalResponseNormalization(4, alpha=0.3, axis=1), CF),
    Case("SqueezeExcitation", lambda: L.SqueezeExcitation(ratio=4), (2, 4, 4, 8)),
    Case("SqueezeExcitation-channels-first", lambda: L.SqueezeExcitation(2, data_format="channels_first"), CF),
    Case("ZeroPaddingShortcut-stride2", lambda: L.ZeroPaddingShortcut(6, strides=2), (2, 7, 7, 3)),
    Case("ZeroPaddingShortcut-channels-first", lambda: L.ZeroPaddingShortcut(5, data_format="channels_first"), CF),
] + [Case(f"Activation-{name}", (lambda name=name: L.Activation(name)), (2, 5, 7), data="wide")
     for name in sorted(activations.ALL)]


def _inputs(case, rng):
    xs = []
    for shape in case.shapes:
        x = rng.standard_normal(shape).astype(np.float32)
        if case.data == "wide":  # reaches relu6's cap and the tails of the smooth activations
            x *= 4
        elif case.data == "ties":  # few distinct values: equal inputs across the merged tensors
            x = np.round(x).astype(np.float32)
        elif case.data == "zeros":  # a ReLU's output, less than half positive: windows of zeros tie
            x = np.maximum(x - 0.5, 0).astype(np.float32)
        elif case.data == "one_tie":  # one window holding its maximum twice
            x[0, 0, 0, 0] = x[0, 0, 1, 0] = 5.0
        xs.append(x)
    return xs


def _random_weights(layer, rng):
    """Fixed random values for a layer's weights: positive for variances, else normal."""
    return [rng.uniform(0.5, 1.5, v.shape).astype(np.float32) if "variance" in v.name
            else (rng.standard_normal(v.shape) * 0.5).astype(np.float32) for v in layer.weights]


def _run_layer(case, xs, weights=None, w=None, gpu=None):
    """Build ``case``'s layer symbolically, set ``weights`` (random ones when None), call it on ``xs``
    and backpropagate ``w`` (random when None). Returns the results as NumPy arrays, the weights and w."""
    layer = case.make()
    symbolic = [striate.Input(shape=s[1:]) for s in case.shapes]
    layer(symbolic if case.many else symbolic[0])
    if weights is None:
        weights = _random_weights(layer, np.random.default_rng(2))
    layer.set_weights(weights)
    ts = [Tensor(x, requires_grad=True) for x in xs]
    y = layer(ts if case.many else ts[0], training=case.training)

    def get(a, what):
        return backend.to_numpy(a) if gpu is None else _on_device(gpu, a, what)
    out = {"output": get(y.data, "output")}
    if w is None:
        w = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(w)
    for i, t in enumerate(ts):
        assert t.grad is not None, f"input {i} got no gradient"
        out[f"gradient of input {i}"] = get(t.grad, f"gradient of input {i}")
    for v in layer.trainable_weights:
        assert v.grad is not None, f"weight {v.path} got no gradient"
        out[f"gradient of {v.name}"] = get(v.grad, f"gradient of {v.name}")
    for v in layer.weights:
        out[f"weight {v.name} after the call"] = get(v.data, f"weight {v.name}")
    for v, a in zip(layer.weights, layer.get_weights()):
        out[f"get_weights() {v.name}"] = a  # _close checks it is a NumPy array
    return out, weights, w


@pytest.mark.parametrize("case", LAYER_CASES, ids=[c.id for c in LAYER_CASES])
def test_layer_on_gpu_matches_cpu(gpu, case):
    xs = _inputs(case, np.random.default_rng(0))
    backend.set_device("cpu")
    cpu, weights, w = _run_layer(case, xs)
    backend.set_device("gpu")
    on_gpu, _, _ = _run_layer(case, xs, weights, w, gpu)
    assert on_gpu.keys() == cpu.keys()
    same_draws = not case.random or gpu.__name__ == "fake_cupy"
    for key in cpu:
        if same_draws:
            _close(on_gpu[key], cpu[key], f"{case.id}: {key}")
        else:
            assert (on_gpu[key].shape, on_gpu[key].dtype) == (cpu[key].shape, cpu[key].dtype), f"{case.id}: {key}"


@pytest.mark.parametrize("dtype", ["uint8", "float64", "int32"])
def test_layers_called_on_host_arrays_on_gpu(gpu, dtype):
    """A layer called on a NumPy array (not a Tensor) of another dtype, as in ``layer(images)``: moved to
    the device and cast to float32, as on the CPU."""
    x = (np.random.default_rng(0).random(IMG) * 255).astype(dtype)
    results = {}
    for device in ("cpu", "gpu"):
        backend.set_device(device)
        conv, dense = L.Conv2D(4, 3, activation="relu"), L.Dense(3)
        conv(striate.Input(shape=IMG[1:]))
        dense(striate.Input(shape=(8 * 8 * 3,)))
        if device == "cpu":
            weights = [_random_weights(layer, np.random.default_rng(2)) for layer in (conv, dense)]
        conv.set_weights(weights[0])
        dense.set_weights(weights[1])
        y = (conv(x).data, dense(x.reshape(2, -1)).data)
        results[device] = [backend.to_numpy(a) if device == "cpu" else _on_device(gpu, a, "output") for a in y]
    for a, b in zip(results["gpu"], results["cpu"]):
        _close(a, b, f"{dtype} input")


def test_every_layer_class_has_a_case():
    public = {getattr(L, n) for n in dir(L) if n[0].isupper() and n not in NOT_COMPUTING}
    covered = {type(c.make()) for c in LAYER_CASES}
    assert public - covered == set(), f"layers without a GPU case: {sorted(c.__name__ for c in public - covered)}"
    named = {c.make().activation for c in LAYER_CASES if c.id.startswith("Activation-")}
    assert set(map(id, activations.ALL.values())) <= set(map(id, named))


def _dropout_run(layer, x, w):
    t = Tensor(x, requires_grad=True)
    y = layer(t, training=True)
    y.backward(w)
    return y.data, t.grad


@pytest.mark.parametrize("seed", [None, 3])
@pytest.mark.parametrize("noise_shape", [None, (None, 1, 1, None)])
def test_dropout_in_training_on_gpu(gpu, seed, noise_shape):
    """Random streams differ between devices: the kept values scaled by 1 / (1 - rate), the gradient
    through the same mask, a plausible fraction kept; seeded masks repeat on the device."""
    rate = 0.4
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((4, 8, 8, 6)) + 3).astype(np.float32)  # no zeros
    w = rng.standard_normal(x.shape).astype(np.float32)
    for device in ("cpu", "gpu"):
        backend.set_device(device)
        layer = L.Dropout(rate, noise_shape=noise_shape, seed=seed)
        y, g = _dropout_run(layer, x, w)
        if device == "gpu":
            y, g = _on_device(gpu, y, "output"), _on_device(gpu, g, "gradient")
        assert y.dtype == np.float32 and g.dtype == np.float32
        kept = y != 0
        np.testing.assert_allclose(y[kept], x[kept] / (1 - rate), rtol=1e-6)
        np.testing.assert_allclose(g, w * kept / (1 - rate), rtol=1e-6)
        if noise_shape is not None:  # whole feature maps kept or dropped
            assert (kept == kept[:, :1, :1, :]).all()
            fraction = kept[:, 0, 0, :].mean()
        else:
            fraction = kept.mean()
        assert 0.3 < fraction < 0.9, f"{device}: kept {fraction:.2f} of the values at rate {rate}"
        second, _ = _dropout_run(layer, x, w)
        assert not np.array_equal(backend.to_numpy(second) != 0, kept), f"{device}: the same mask twice"
        if seed is not None:  # a new layer with the same seed draws the same first mask
            again, _ = _dropout_run(L.Dropout(rate, noise_shape=noise_shape, seed=seed), x, w)
            np.testing.assert_array_equal(backend.to_numpy(again) != 0, kept)


# --- losses -----------------------------------------------------------------------------------------
N, C = 6, 4


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _loss_data(true, pred, rng):
    """(y_true, the leaf Tensor's value, how y_pred is made from it) for a loss case."""
    labels = rng.integers(0, C, N)
    logits = (rng.standard_normal((N, C)) * 2).astype(np.float32)
    ys = {
        "onehot": np.eye(C, dtype=np.float32)[labels],
        "soft": _softmax(rng.standard_normal((N, C)).astype(np.float32)),
        "labels": labels,
        "labels_col": labels[:, None].astype(np.int32),
        "labels_float": labels.astype(np.float32),
        "labels_ignore": np.where(np.arange(N) % 3 == 0, C - 1, labels),
        "labels_axis1": rng.integers(0, C, (N, 5)),
        "binary": rng.integers(0, 2, (N, 3)).astype(np.float32),
        "binary_col": rng.integers(0, 2, (N,)).astype(np.float32),
        "regression": rng.standard_normal((N, 3)).astype(np.float32),
        "regression_flat": rng.standard_normal((N,)).astype(np.float32),
    }
    preds = {
        "probs": _softmax(logits),
        "probs_edge": np.where(np.arange(C) == 0, 0.0, _softmax(logits)).astype(np.float32),  # exact zeros: clipped
        "logits": logits,
        "logits_axis1": (rng.standard_normal((N, C, 5)) * 2).astype(np.float32),
        "probs_axis1": _softmax(rng.standard_normal((N, C, 5)).astype(np.float32), axis=1),
        "sigmoid": (1 / (1 + np.exp(-rng.standard_normal((N, 3)) * 2))).astype(np.float32),
        "sigmoid_col": (1 / (1 + np.exp(-rng.standard_normal((N, 1)) * 2))).astype(np.float32),
        "binary_logits": (rng.standard_normal((N, 3)) * 2).astype(np.float32),
        "regression": rng.standard_normal((N, 3)).astype(np.float32),
        "regression_col": rng.standard_normal((N, 1)).astype(np.float32),
        "softmax_op": logits,  # y_pred = ops.softmax(leaf): the fused softmax + cross-entropy op
    }
    return ys[true], preds[pred], pred == "softmax_op"


F = losses.FUNCTIONS
# (id, loss: a Loss instance or a per-sample function with keywords, y_true kind, y_pred kind, sample_weight)
SW = np.linspace(0.0, 2.0, N).astype(np.float32)
LOSS_CASES = [
    ("mean_squared_error", F["mean_squared_error"], {}, "regression", "regression", None),
    ("mse-ranks", F["mse"], {}, "regression_flat", "regression_col", None),
    ("mean_absolute_error", F["mean_absolute_error"], {}, "regression", "regression", None),
    ("mae-ranks", F["MAE"], {}, "regression_flat", "regression_col", None),
    ("binary_crossentropy", F["binary_crossentropy"], {}, "binary", "sigmoid", None),
    ("binary_crossentropy-logits-smoothing", F["bce"], {"from_logits": True, "label_smoothing": 0.1},
     "binary", "binary_logits", None),
    ("binary_crossentropy-col", F["BCE"], {}, "binary_col", "sigmoid_col", None),
    ("categorical_crossentropy", F["categorical_crossentropy"], {}, "onehot", "probs", None),
    ("categorical_crossentropy-clipped", F["categorical_crossentropy"], {}, "onehot", "probs_edge", None),
    ("categorical_crossentropy-soft-smoothing", F["categorical_crossentropy"], {"label_smoothing": 0.2},
     "soft", "probs", None),
    ("categorical_crossentropy-logits", F["categorical_crossentropy"], {"from_logits": True}, "onehot", "logits",
     None),
    ("categorical_crossentropy-softmax-op", F["categorical_crossentropy"], {}, "onehot", "softmax_op", None),
    ("sparse_categorical_crossentropy", F["sparse_categorical_crossentropy"], {}, "labels", "probs", None),
    ("sparse_categorical_crossentropy-clipped", F["sparse_categorical_crossentropy"], {}, "labels", "probs_edge",
     None),
    ("sparse_categorical_crossentropy-col", F["sparse_categorical_crossentropy"], {}, "labels_col", "probs", None),
    ("sparse_categorical_crossentropy-float-labels", F["sparse_categorical_crossentropy"], {}, "labels_float",
     "probs", None),
    ("sparse_categorical_crossentropy-logits", F["sparse_categorical_crossentropy"], {"from_logits": True},
     "labels", "logits", None),
    ("sparse_categorical_crossentropy-softmax-op", F["sparse_categorical_crossentropy"], {}, "labels",
     "softmax_op", None),
    ("sparse_categorical_crossentropy-axis1", F["sparse_categorical_crossentropy"], {"axis": 1}, "labels_axis1",
     "probs_axis1", None),
    ("sparse_categorical_crossentropy-axis1-logits", F["sparse_categorical_crossentropy"],
     {"axis": 1, "from_logits": True}, "labels_axis1", "logits_axis1", None),
    ("sparse_categorical_crossentropy-ignore", F["sparse_categorical_crossentropy"], {"ignore_class": C - 1},
     "labels_ignore", "probs", None),
    ("MeanSquaredError-weighted", losses.MeanSquaredError(), {}, "regression", "regression", SW),
    ("MeanSquaredError-sum", losses.MeanSquaredError(reduction="sum"), {}, "regression", "regression", SW),
    ("MeanAbsoluteError-mean-with-weight", losses.MeanAbsoluteError(reduction="mean_with_sample_weight"), {},
     "regression", "regression", SW),
    ("MeanAbsoluteError-none", losses.MeanAbsoluteError(reduction="none"), {}, "regression", "regression", SW),
    ("BinaryCrossentropy", losses.BinaryCrossentropy(), {}, "binary", "sigmoid", SW),
    ("BinaryCrossentropy-logits", losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), {}, "binary",
     "binary_logits", None),
    ("CategoricalCrossentropy", losses.CategoricalCrossentropy(), {}, "onehot", "probs", SW),
    ("CategoricalCrossentropy-logits", losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), {},
     "onehot", "logits", SW[:, None]),
    ("CategoricalCrossentropy-softmax-op", losses.CategoricalCrossentropy(), {}, "onehot", "softmax_op", SW),
    ("SparseCategoricalCrossentropy", losses.SparseCategoricalCrossentropy(), {}, "labels", "probs", SW),
    ("SparseCategoricalCrossentropy-logits", losses.SparseCategoricalCrossentropy(from_logits=True), {}, "labels",
     "logits", None),
    ("SparseCategoricalCrossentropy-softmax-op", losses.SparseCategoricalCrossentropy(), {}, "labels_col",
     "softmax_op", SW),
    ("SparseCategoricalCrossentropy-ignore", losses.SparseCategoricalCrossentropy(ignore_class=C - 1), {},
     "labels_ignore", "probs", None),
    ("SparseCategoricalCrossentropy-ignore-weighted",
     losses.SparseCategoricalCrossentropy(ignore_class=C - 1, from_logits=True), {}, "labels_ignore", "logits", SW),
    ("LossFunctionWrapper", losses.LossFunctionWrapper(F["mean_absolute_error"], reduction="sum"), {},
     "regression", "regression", SW),
    ("mean_absolute_percentage_error", F["mape"], {}, "regression", "regression", None),
    ("mean_squared_logarithmic_error", F["msle"], {}, "regression", "regression", None),
    ("cosine_similarity", F["cosine_similarity"], {"axis": -1}, "regression", "regression", None),
    ("huber", F["huber"], {"delta": 0.5}, "regression", "regression", None),
    ("log_cosh", F["log_cosh"], {}, "regression", "regression", None),
    ("hinge", F["hinge"], {}, "binary", "binary_logits", None),
    ("squared_hinge", F["squared_hinge"], {}, "binary", "binary_logits", None),
    ("categorical_hinge", F["categorical_hinge"], {}, "onehot", "logits", None),
    ("kl_divergence", F["kl_divergence"], {}, "soft", "probs", None),
    ("poisson", F["poisson"], {}, "binary", "sigmoid", None),
    ("dice", F["dice"], {}, "binary", "sigmoid", None),
    ("tversky", F["tversky"], {"alpha": 0.3, "beta": 0.7, "axis": 1}, "binary", "sigmoid", None),
    ("MeanAbsolutePercentageError", losses.MeanAbsolutePercentageError(), {}, "regression", "regression", SW),
    ("MeanSquaredLogarithmicError", losses.MeanSquaredLogarithmicError(), {}, "regression", "regression", SW),
    ("CosineSimilarity", losses.CosineSimilarity(), {}, "regression", "regression", SW),
    ("Huber", losses.Huber(delta=0.5), {}, "regression", "regression", SW),
    ("LogCosh", losses.LogCosh(), {}, "regression", "regression", SW),
    ("Hinge", losses.Hinge(), {}, "binary", "binary_logits", SW),
    ("SquaredHinge", losses.SquaredHinge(), {}, "binary", "binary_logits", SW),
    ("CategoricalHinge", losses.CategoricalHinge(), {}, "onehot", "logits", SW),
    ("KLDivergence", losses.KLDivergence(), {}, "soft", "probs", SW),
    ("Poisson", losses.Poisson(), {}, "binary", "sigmoid", SW),
    ("Dice", losses.Dice(axis=1), {}, "binary", "sigmoid", SW),
    ("Tversky", losses.Tversky(alpha=0.3, beta=0.7), {}, "binary", "sigmoid", SW),
]
for _name in sorted(losses._NAMES):  # every name the registry knows, as compile(loss=name) gets it
    _kinds = {"squared": ("regression", "regression"), "absolute": ("regression", "regression"),
              "mse": ("regression", "regression"), "mae": ("regression", "regression"),
              "binary": ("binary", "sigmoid"), "bce": ("binary", "sigmoid"), "sparse": ("labels", "probs"),
              "categorical": ("onehot", "probs"), "mape": ("regression", "regression"),
              "msle": ("regression", "regression"), "cosine": ("regression", "regression"),
              "huber": ("regression", "regression"), "cosh": ("regression", "regression"),
              "hinge": ("binary", "binary_logits"), "kl": ("soft", "probs"), "kullback": ("soft", "probs"),
              "poisson": ("binary", "sigmoid"), "dice": ("binary", "sigmoid"), "tversky": ("binary", "sigmoid")}
    _kind = next(v for k, v in _kinds.items() if k in _name.lower())
    LOSS_CASES.append((f"get-{_name}", losses.resolve_loss(_name), {}, *_kind, SW))


_GIVEN = {"device": lambda a: backend.xp().asarray(a), "host": lambda a: a, "list": lambda a: a.tolist()}


def _run_loss(loss, kwargs, y_true, leaf, softmax_op, sw, gpu=None, where="host"):
    t = Tensor(leaf, requires_grad=True)
    y_pred = ops.softmax(t) if softmax_op else t
    to = _GIVEN[where]
    yt, w8 = to(y_true), None if sw is None else to(sw)
    if isinstance(loss, losses.Loss):
        value = loss(yt, y_pred, sample_weight=w8)
    else:
        value = loss(yt, y_pred, **kwargs)
    if value.size == 1:
        value.backward()
    else:
        value.backward(np.random.default_rng(3).standard_normal(value.shape).astype(np.float32))
    if gpu is None:
        return backend.to_numpy(value.data), backend.to_numpy(t.grad)
    return _on_device(gpu, value.data, "loss value"), _on_device(gpu, t.grad, "gradient")


@pytest.mark.parametrize("where", list(_GIVEN))
@pytest.mark.parametrize("name, loss, kwargs, true, pred, sw", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_loss_on_gpu_matches_cpu(gpu, name, loss, kwargs, true, pred, sw, where):
    """Value and gradient with respect to y_pred; targets and weights given on the device (as the
    trainer gives them), or as NumPy arrays or lists (a direct call, as Keras's examples make it)."""
    y_true, leaf, softmax_op = _loss_data(true, pred, np.random.default_rng(0))
    backend.set_device("cpu")
    cpu = _run_loss(loss, kwargs, y_true, leaf, softmax_op, sw)
    backend.set_device("gpu")
    on_gpu = _run_loss(loss, kwargs, y_true, leaf, softmax_op, sw, gpu, where)
    _close(on_gpu[0], cpu[0], f"{name}: value")
    _close(on_gpu[1], cpu[1], f"{name}: gradient")


def test_every_loss_has_a_case():
    cases = [c[1] for c in LOSS_CASES]
    functions = {id(f) for f in cases if not isinstance(f, losses.Loss)} | \
        {id(f.fn) for f in cases if isinstance(f, losses.LossFunctionWrapper)}
    assert {id(f) for f in losses.FUNCTIONS.values()} <= functions
    assert set(losses.CLASSES.values()) <= {type(f) for f in cases if isinstance(f, losses.Loss)}


# --- metrics ----------------------------------------------------------------------------------------
M = 8


def _metric_batch(kind, rng):
    """(y_true, y_pred, sample_weight) for one batch of ``kind``."""
    labels = rng.integers(0, C, M)
    probs = _softmax(rng.standard_normal((M, C)).astype(np.float32) * 2)
    weight = rng.uniform(0, 2, M).astype(np.float32)
    if kind == "binary":
        return rng.integers(0, 2, (M, 1)).astype(np.float32), rng.random((M, 1), dtype=np.float32), weight
    if kind == "multilabel":
        return rng.integers(0, 2, (M, 3)).astype(np.float32), rng.random((M, 3), dtype=np.float32), weight
    if kind == "binary_logits":
        return rng.integers(0, 2, (M, 1)).astype(np.float32), (rng.standard_normal((M, 1)) * 3).astype(np.float32), \
            weight
    if kind == "onehot":
        return np.eye(C, dtype=np.float32)[labels], probs, weight
    if kind == "sparse":
        return labels, probs, weight
    if kind == "sparse_col":
        return labels[:, None], probs, weight
    if kind == "sparse_ignore":
        return np.where(np.arange(M) % 3 == 0, C - 1, labels), probs, weight
    if kind == "regression":
        return rng.standard_normal((M, 3)).astype(np.float32), rng.standard_normal((M, 3)).astype(np.float32), weight
    if kind == "exact":
        y = rng.integers(0, 3, M).astype(np.float32)
        return y, np.where(rng.random(M) < 0.5, y, y + 1).astype(np.float32), weight
    if kind == "values":
        return rng.standard_normal(M).astype(np.float32), None, weight
    if kind in ("counts", "counts_col"):  # whole-number weights, as the confusion matrix counts samples
        return labels if kind == "counts" else labels[:, None], probs, rng.integers(0, 3, M).astype(np.float32)
    raise ValueError(kind)


Mt = metrics
METRIC_CASES = [
    ("Mean", lambda: Mt.Mean(), "values"),
    ("Accuracy", lambda: Mt.Accuracy(), "exact"),
    ("BinaryAccuracy", lambda: Mt.BinaryAccuracy(), "binary"),
    ("BinaryAccuracy-threshold", lambda: Mt.BinaryAccuracy(threshold=0.3), "multilabel"),
    ("CategoricalAccuracy", lambda: Mt.CategoricalAccuracy(), "onehot"),
    ("SparseCategoricalAccuracy", lambda: Mt.SparseCategoricalAccuracy(), "sparse"),
    ("SparseCategoricalAccuracy-col", lambda: Mt.SparseCategoricalAccuracy(), "sparse_col"),
    ("TopKCategoricalAccuracy", lambda: Mt.TopKCategoricalAccuracy(k=2), "onehot"),
    ("SparseTopKCategoricalAccuracy", lambda: Mt.SparseTopKCategoricalAccuracy(k=2), "sparse"),
    ("Precision", lambda: Mt.Precision(), "binary"),
    ("Precision-thresholds", lambda: Mt.Precision(thresholds=[0.3, 0.5, 0.7]), "multilabel"),
    ("Precision-even-thresholds", lambda: Mt.Precision(thresholds=[0.0, 0.5, 1.0]), "binary"),
    ("Precision-top-k", lambda: Mt.Precision(top_k=2), "onehot"),
    ("Precision-class-id", lambda: Mt.Precision(class_id=1), "onehot"),
    ("Recall", lambda: Mt.Recall(), "binary"),
    ("Recall-thresholds", lambda: Mt.Recall(thresholds=[0.25, 0.75]), "multilabel"),
    ("Recall-top-k-class-id", lambda: Mt.Recall(top_k=1, class_id=2), "onehot"),
    ("AUC", lambda: Mt.AUC(), "binary"),
    ("AUC-PR", lambda: Mt.AUC(curve="PR", num_thresholds=50), "binary"),
    ("AUC-minoring", lambda: Mt.AUC(summation_method="minoring"), "binary"),
    ("AUC-PR-majoring", lambda: Mt.AUC(curve="PR", summation_method="majoring"), "binary"),
    ("AUC-thresholds", lambda: Mt.AUC(thresholds=[0.2, 0.5, 0.8]), "binary"),
    ("AUC-logits", lambda: Mt.AUC(from_logits=True), "binary_logits"),
    ("AUC-multi-label", lambda: Mt.AUC(multi_label=True, num_labels=3), "multilabel"),
    ("AUC-multi-label-weights", lambda: Mt.AUC(multi_label=True, label_weights=[1.0, 0.5, 2.0]), "multilabel"),
    ("AUC-label-weights", lambda: Mt.AUC(label_weights=[1.0, 0.5, 2.0]), "multilabel"),
    ("MeanSquaredError", lambda: Mt.MeanSquaredError(), "regression"),
    ("RootMeanSquaredError", lambda: Mt.RootMeanSquaredError(), "regression"),
    ("MeanAbsoluteError", lambda: Mt.MeanAbsoluteError(), "regression"),
    ("BinaryCrossentropy", lambda: Mt.BinaryCrossentropy(), "binary"),
    ("BinaryCrossentropy-logits", lambda: Mt.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
     "binary_logits"),
    ("CategoricalCrossentropy", lambda: Mt.CategoricalCrossentropy(), "onehot"),
    ("CategoricalCrossentropy-smoothing", lambda: Mt.CategoricalCrossentropy(label_smoothing=0.1), "onehot"),
    ("SparseCategoricalCrossentropy", lambda: Mt.SparseCategoricalCrossentropy(), "sparse"),
    ("SparseCategoricalCrossentropy-ignore", lambda: Mt.SparseCategoricalCrossentropy(ignore_class=C - 1),
     "sparse_ignore"),
    ("MeanAbsolutePercentageError", lambda: Mt.MeanAbsolutePercentageError(), "regression"),
    ("MeanSquaredLogarithmicError", lambda: Mt.MeanSquaredLogarithmicError(), "regression"),
    ("CosineSimilarity", lambda: Mt.CosineSimilarity(), "regression"),
    ("LogCoshError", lambda: Mt.LogCoshError(), "regression"),
    ("Hinge", lambda: Mt.Hinge(), "binary"),
    ("SquaredHinge", lambda: Mt.SquaredHinge(), "binary"),
    ("CategoricalHinge", lambda: Mt.CategoricalHinge(), "onehot"),
    ("KLDivergence", lambda: Mt.KLDivergence(), "onehot"),
    ("Poisson", lambda: Mt.Poisson(), "binary"),
    ("ConfusionMatrix", lambda: Mt.ConfusionMatrix(C), "counts"),
    ("ConfusionMatrix-labels", lambda: Mt.ConfusionMatrix(C), "counts_col"),
    ("IoU", lambda: Mt.IoU(C, [0, 1]), "exact"),
    ("MeanIoU", lambda: Mt.MeanIoU(C), "exact"),
    ("MeanIoU-ignore", lambda: Mt.MeanIoU(C, ignore_class=0), "exact"),
    ("BinaryIoU", lambda: Mt.BinaryIoU(), "binary"),
    ("OneHotIoU", lambda: Mt.OneHotIoU(C, [0, 2]), "onehot"),
    ("OneHotMeanIoU", lambda: Mt.OneHotMeanIoU(C), "onehot"),
]
_FUNCTION_KINDS = {"accuracy": "exact", "binary_accuracy": "binary", "categorical_accuracy": "onehot",
                   "sparse_categorical_accuracy": "sparse", "top_k_categorical_accuracy": "onehot",
                   "sparse_top_k_categorical_accuracy": "sparse", "mean_squared_error": "regression",
                   "mean_absolute_error": "regression", "binary_crossentropy": "binary",
                   "categorical_crossentropy": "onehot", "sparse_categorical_crossentropy": "sparse",
                   "mean_absolute_percentage_error": "regression", "mean_squared_logarithmic_error": "regression",
                   "cosine_similarity": "regression", "huber": "regression", "log_cosh": "regression",
                   "hinge": "binary", "squared_hinge": "binary", "categorical_hinge": "onehot",
                   "kl_divergence": "onehot", "poisson": "binary", "dice": "binary", "tversky": "binary"}
# Dice and Tversky sum over every axis unless told: one value per sample here, so sample weights apply
_FUNCTION_KWARGS = {"dice": {"axis": -1}, "tversky": {"axis": -1}}
for _name, _fn in sorted(metrics.FUNCTIONS.items()):  # every metric function, as compile(metrics=[fn]) wraps it
    METRIC_CASES.append((f"MeanMetricWrapper-{_name}",
                         (lambda fn=_fn: Mt.MeanMetricWrapper(fn, **_FUNCTION_KWARGS.get(fn.__name__, {}))),
                         _FUNCTION_KINDS[_fn.__name__]))
for _name in sorted(metrics._NAMES):  # every name metrics.get knows
    _cls = metrics._NAMES[_name]
    _kind = next(kind for case_id, _, kind in METRIC_CASES if case_id == _cls.__name__)
    METRIC_CASES.append((f"get-{_name}", (lambda name=_name: Mt.get(name)), _kind))


def _state(metric):
    """The metric's running state: its array attributes (as the trainer's checkpoints find them)."""
    found = {}
    for k, v in vars(metric).items():
        if isinstance(v, (list, tuple)) and v and all(hasattr(a, "shape") and hasattr(a, "dtype") for a in v):
            found.update({f"{k}[{i}]": a for i, a in enumerate(v)})
        elif hasattr(v, "shape") and hasattr(v, "dtype"):
            found[k] = v
    return found


def _run_metric(make, kind, gpu=None, where="host"):
    """Results after a batch without, then one with sample_weight; after reset_state; after one more batch."""
    rng = np.random.default_rng(0)
    batches = [_metric_batch(kind, rng) for _ in range(3)]
    to = _GIVEN[where]
    m = make()
    results = []

    def update(y_true, y_pred, sw):
        args = (to(y_true),) if y_pred is None else (to(y_true), to(y_pred))
        m.update_state(*args, sample_weight=None if sw is None else to(sw))
        r = m.result()
        assert isinstance(r, (float, np.ndarray)) and not isinstance(r, np.generic), \
            f"result() gave a {type(r).__module__}.{type(r).__name__}"
        results.append(np.asarray(r) if isinstance(r, np.ndarray) else np.float64(r))
        if gpu is not None:
            for key, a in _state(m).items():
                _on_device(gpu, a, f"state {key}")
    (y0, p0, _), (y1, p1, w1), (y2, p2, w2) = batches
    update(y0, p0, None)
    update(y1, p1, w1)
    m.reset_state()
    r = m.result()
    results.append(np.asarray(r) if isinstance(r, np.ndarray) else np.float64(r))
    update(y2, p2, w2)
    return results


@pytest.mark.parametrize("where", list(_GIVEN))
@pytest.mark.parametrize("name, make, kind", METRIC_CASES, ids=[c[0] for c in METRIC_CASES])
def test_metric_on_gpu_matches_cpu(gpu, name, make, kind, where):
    """Labels, predictions and weights on the device (as the trainer gives them), or as NumPy arrays or
    lists (a direct call); result() a Python float or a NumPy array, the running state on the device."""
    backend.set_device("cpu")
    cpu = _run_metric(make, kind)
    backend.set_device("gpu")
    on_gpu = _run_metric(make, kind, gpu, where)
    steps = ["update", "weighted update", "reset_state", "update after reset"]
    for step, a, b in zip(steps, on_gpu, cpu):
        _close(np.asarray(a), np.asarray(b), f"{name}: result() after {step}")


def test_confusion_matrix_function_on_gpu(gpu):
    rng = np.random.default_rng(0)
    y, p, w = _metric_batch("counts", rng)
    backend.set_device("cpu")
    cpu = metrics.confusion_matrix(y, p, C, sample_weight=w)
    backend.set_device("gpu")
    xp = backend.xp()
    _close(metrics.confusion_matrix(xp.asarray(y), xp.asarray(p), C, sample_weight=xp.asarray(w)), cpu,
           "confusion_matrix")


def test_every_metric_has_a_case():
    classes = {type(make()) for _, make, _ in METRIC_CASES}
    assert set(metrics.CLASSES.values()) <= classes
    wrapped = {id(make().fn) for name, make, _ in METRIC_CASES if name.startswith("MeanMetricWrapper-")}
    assert {id(f) for f in metrics.FUNCTIONS.values()} <= wrapped


# --- a functional model with skip connections -------------------------------------------------------------
def _unet():
    """A small U-Net/ResNet-like block: a residual Add, skips concatenated after upsampling, and the two
    fusions of models/fusion.py (Conv2D relu -> MaxPooling2D, Conv2D -> AveragePooling2D)."""
    x = striate.Input(shape=(8, 8, 3))
    a = L.Conv2D(8, 3, padding="same", use_bias=False)(x)
    a = L.BatchNormalization()(a)
    a = L.Activation("relu")(a)  # the long skip: two consumers, so not fused with the pool
    d = L.MaxPooling2D()(a)  # 4x4x8
    r = L.Add()([L.Conv2D(8, 3, padding="same")(d), d])  # residual
    f = L.MaxPooling2D()(L.Conv2D(4, 3, padding="same", activation="relu")(x))
    h = L.AveragePooling2D()(L.Conv2D(4, 3, padding="same", activation="tanh")(x))
    m = L.Concatenate()([r, f, h])  # 4x4x16
    u = L.UpSampling2D()(m)
    t = L.Conv2DTranspose(8, 3, strides=2, padding="same")(m)
    c = L.Concatenate()([u, t, a])  # 8x8x32
    c = L.BatchNormalization()(L.Conv2D(6, 1, activation="relu")(c))
    y = L.Dense(3, activation="softmax")(L.GlobalAveragePooling2D()(c))
    model = striate.Model(x, y)
    model.compile(optimizer=striate.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _fit_unet(weights, x, y):
    model = _unet()
    model.set_weights(weights)
    predicted = model.predict(x, batch_size=4, verbose=0)
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    return predicted, history.history, model.get_weights(), model.evaluate(x, y, batch_size=4, verbose=0)


def test_functional_model_with_skips_predicts_and_trains_as_on_cpu(gpu):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 8, 8, 3)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    backend.set_device("cpu")
    start = _unet().get_weights()
    cpu = _fit_unet(start, x, y)
    backend.set_device("gpu")
    on_gpu = _fit_unet(start, x, y)
    _close(on_gpu[0], cpu[0], "predict")
    assert on_gpu[1].keys() == cpu[1].keys()
    for key in cpu[1]:
        np.testing.assert_allclose(on_gpu[1][key], cpu[1][key], rtol=1e-4, err_msg=key)
    assert len(on_gpu[2]) == len(cpu[2])
    for i, (a, b) in enumerate(zip(on_gpu[2], cpu[2])):
        assert isinstance(a, np.ndarray), f"weight {i}: {type(a)}"
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6, err_msg=f"weight {i} after 2 steps")
    np.testing.assert_allclose(np.asarray(on_gpu[3], np.float64), np.asarray(cpu[3], np.float64), rtol=1e-4)
