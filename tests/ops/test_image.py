"""striate.ops.image against keras.ops.image on Keras's PyTorch backend, which PyTorch differentiates."""
import sys

import keras
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from opcheck import check_op, rel_err

from striate import backend, ops
from striate.autodiff import Tensor
from striate.ops import image

kimage = keras.ops.image
rng = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _same_draws_in_every_test():
    """Each test draws the same inputs however it is selected, so a failure reproduces alone."""
    global rng
    rng = np.random.default_rng(0)
FILL_MODES = ["constant", "nearest", "wrap", "mirror", "reflect"]
FORMATS = ["channels_last", "channels_first"]


def images(shape, data_format="channels_last", low=None):
    """Random images given as (batch, height, width, channels), in ``data_format``."""
    x = rng.standard_normal(shape) if low is None else rng.uniform(low, 1, shape)
    return np.moveaxis(x, -1, -3).copy() if data_format == "channels_first" else x


def same_as_keras(ours, theirs, tol=1e-5):
    ours = ours.numpy() if isinstance(ours, Tensor) else ours
    theirs = theirs.numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.dtype == theirs.dtype, f"dtype {ours.dtype}, Keras gives {theirs.dtype}"
    assert rel_err(ours, theirs) <= tol, f"relative error {rel_err(ours, theirs):.2e} against Keras"


def transforms(batch, perspective=False):
    """Rotations, zooms and shifts that take some pixels from outside the image (and projective parts)."""
    angle, zoom = rng.uniform(-0.6, 0.6, batch), rng.uniform(0.7, 1.4, batch)
    t = np.zeros((batch, 8))
    t[:, [0, 4]] = (zoom * np.cos(angle))[:, None]
    t[:, 1], t[:, 3] = -zoom * np.sin(angle), zoom * np.sin(angle)
    t[:, [2, 5]] = rng.uniform(-3, 3, (batch, 2))
    if perspective:
        t[:, 6:] = rng.uniform(-0.02, 0.02, (batch, 2))
    return t


# -- resize ----------------------------------------------------------------------------------
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("shape,size", [((2, 7, 5, 3), (3, 11)), ((2, 4, 9, 1), (10, 4)), ((6, 6, 2), (6, 4))])
def test_resize(interpolation, antialias, data_format, shape, size):
    x = images(shape, data_format)
    check_op(lambda x: image.resize(x, size, interpolation, antialias, data_format=data_format),
             lambda x: kimage.resize(x, size, interpolation, antialias, data_format=data_format), [x])


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [False, True])
def test_resize_every_size_from_1_to_12(interpolation, antialias):
    for height in range(1, 13):
        for target in range(1, 13):
            x = rng.standard_normal((1, height, 2, 1)).astype("float32")
            same_as_keras(image.resize(x, (target, 3), interpolation, antialias),
                          kimage.resize(x, (target, 3), interpolation, antialias))


@pytest.mark.parametrize("option", ["crop_to_aspect_ratio", "pad_to_aspect_ratio"])
@pytest.mark.parametrize("shape,size", [((2, 8, 13, 3), (6, 6)), ((2, 13, 8, 3), (5, 9)), ((9, 5, 1), (4, 4))])
@pytest.mark.parametrize("data_format", FORMATS)
def test_resize_to_aspect_ratio(option, shape, size, data_format):
    x = images(shape, data_format)
    options = {option: True, "fill_value": 0.5, "data_format": data_format}
    check_op(lambda x: image.resize(x, size, **options), lambda x: kimage.resize(x, size, **options), [x])


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic"])
def test_resize_integer_images_round_and_keep_their_dtype(interpolation):
    x = rng.integers(0, 256, (2, 5, 7, 3)).astype("uint8")
    same_as_keras(image.resize(x, (9, 4), interpolation), kimage.resize(x, (9, 4), interpolation), tol=0)


# -- sampling: map_coordinates, affine_transform, elastic_transform ----------------------------
@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("shape", [(6, 5), (4, 3, 5), (7,)])
def test_map_coordinates(order, fill_mode, shape):
    x = rng.standard_normal(shape)
    coordinates = np.stack([rng.uniform(-3, n + 3, (4, 3)) for n in shape])
    check_op(lambda x, c: image.map_coordinates(x, c, order, fill_mode, fill_value=0.5),
             lambda x, c: kimage.map_coordinates(x, c, order, fill_mode, fill_value=0.5),
             [x, coordinates], diff=[0, 1] if order == 1 else [0])


def test_map_coordinates_takes_a_list_of_coordinate_arrays_and_integer_inputs():
    x = rng.integers(0, 100, (5, 6)).astype("int32")
    coordinates = [rng.uniform(-1, 6, (3, 4)).astype("float32") for _ in range(2)]
    same_as_keras(image.map_coordinates(x, coordinates, 1), kimage.map_coordinates(x, coordinates, 1), tol=0)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("data_format", FORMATS)
def test_affine_transform(interpolation, fill_mode, data_format):
    x, t = images((3, 7, 9, 2), data_format), transforms(3)
    check_op(lambda x, t: image.affine_transform(x, t, interpolation, fill_mode, 0.5, data_format),
             lambda x, t: kimage.affine_transform(x, t.clone(), interpolation, fill_mode, 0.5, data_format),
             [x, t], diff=[0])


@pytest.mark.parametrize("fill_mode", ["constant", "reflect"])
def test_affine_transform_gradient_of_the_transform(fill_mode):
    # Keras's PyTorch backend takes c0 and c1 as weights of the channel index, so only the affine part
    # (a0 ... b2, with c0 = c1 = 0) is compared
    x, t = images((2, 6, 7, 2)), transforms(2)[:, :6]
    check_op(lambda x, t: image.affine_transform(x, ops.concatenate([t, np.zeros((2, 2), t.dtype)], axis=1),
                                                 fill_mode=fill_mode, fill_value=0.5),
             lambda x, t: kimage.affine_transform(x, torch.cat([t, torch.zeros(2, 2, dtype=t.dtype)], 1),
                                                  fill_mode=fill_mode, fill_value=0.5), [x, t])


def test_affine_transform_single_image_and_single_transform():
    x, t = images((5, 6, 3)), transforms(1)[0]
    same_as_keras(image.affine_transform(x, t), kimage.affine_transform(x, t.copy()))
    batch = images((4, 5, 6, 3))  # one transform for every image of a batch
    same_as_keras(image.affine_transform(batch, t), np.stack([kimage.affine_transform(b, t.copy()) for b in batch]))


def test_affine_transform_divides_by_the_projective_part():
    # (x', y') = ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1: as TensorFlow
    x, t = images((2, 6, 7, 1)), transforms(2, perspective=True)
    ys, xs = np.mgrid[:6, :7]
    k = t[:, 6, None, None] * xs + t[:, 7, None, None] * ys + 1
    src_x = (t[:, 0, None, None] * xs + t[:, 1, None, None] * ys + t[:, 2, None, None]) / k
    src_y = (t[:, 3, None, None] * xs + t[:, 4, None, None] * ys + t[:, 5, None, None]) / k
    expected = np.stack([kimage.map_coordinates(x[i, ..., 0], [src_y[i], src_x[i]], 1) for i in range(2)])
    same_as_keras(image.affine_transform(x, t)[..., 0], expected)


def test_affine_transform_gradient_of_a_projective_transform_shared_by_the_batch():
    x, t = images((3, 6, 7, 2)), transforms(1, perspective=True)[0]
    check_op(lambda x, t: image.affine_transform(x, t, fill_mode="nearest"), None, [x, t])


@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_affine_transform_of_float32_batches_as_keras_with_the_gradient_of_numpy(fill_mode, engine):
    # float32 images go through striate[fast]'s kernel where it is on; the gradients are found after it
    x, t = images((6, 8, 9, 2)).astype("float32"), transforms(6).astype("float32")
    t[1, [1, 3]] = 0  # zoom and shift alone
    same_as_keras(image.affine_transform(x, t, fill_mode=fill_mode, fill_value=0.5),
                  kimage.affine_transform(x, t.copy(), fill_mode=fill_mode, fill_value=0.5))
    grads = []
    for accelerated in (engine != "numpy", False):  # (the engine fixture restores the setting)
        backend.set_accelerated(accelerated)
        xs, ts = Tensor(x, requires_grad=True), Tensor(t, requires_grad=True)
        image.affine_transform(xs, ts, fill_mode=fill_mode, fill_value=0.5).backward(
            np.random.default_rng(1).standard_normal(x.shape).astype("float32"))
        grads.append((xs.grad, ts.grad))
    for got, numpy in zip(*grads):
        np.testing.assert_array_equal(got, numpy)


def test_affine_transform_of_integer_images_rounds():
    x, t = rng.integers(0, 256, (2, 6, 7, 3)).astype("uint8"), transforms(2)
    same_as_keras(image.affine_transform(x, t), kimage.affine_transform(x, t.copy()), tol=0)


class ReplayedNoise:
    """A generator that hands out Keras's draws: PyTorch's normal noise after ``torch.manual_seed(seed)``."""

    def __init__(self, seed, shape):
        torch.manual_seed(seed)
        self.noise = torch.stack([torch.normal(0.0, 1.0, size=shape) for _ in range(2)]).numpy()

    def standard_normal(self, shape, dtype):
        assert shape == self.noise.shape
        return self.noise.astype(dtype)


def keras_elastic(seed, x, **options):
    torch.manual_seed(seed)
    return kimage.elastic_transform(x, **options)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("data_format", FORMATS)
def test_elastic_transform(interpolation, fill_mode, data_format, monkeypatch):
    x = images((2, 9, 8, 2), data_format)
    options = dict(alpha=6.0, sigma=1.5, interpolation=interpolation, fill_mode=fill_mode, fill_value=0.5,
                   data_format=data_format)
    monkeypatch.setattr(backend, "rng", lambda: ReplayedNoise(3, (2, 9, 8)))
    check_op(lambda x: image.elastic_transform(x, **options), lambda x: keras_elastic(3, x, **options), [x])


def test_elastic_transform_is_repeatable_with_a_seed_or_the_backend_seed():
    x = images((3, 10, 10, 1))
    same = image.elastic_transform(x, seed=7).numpy()
    np.testing.assert_array_equal(same, image.elastic_transform(x, seed=7).numpy())
    assert not np.allclose(same, image.elastic_transform(x, seed=8).numpy())
    backend.set_seed(1)
    first = image.elastic_transform(x).numpy()
    backend.set_seed(1)
    np.testing.assert_array_equal(first, image.elastic_transform(x).numpy())
    # a single image is deformed as the batch of one holding it
    np.testing.assert_array_equal(image.elastic_transform(x[0], seed=2).numpy(),
                                  image.elastic_transform(x[:1], seed=2).numpy()[0])


# -- cropping and padding --------------------------------------------------------------------
CROPS = [dict(top_cropping=1, left_cropping=2, bottom_cropping=2, right_cropping=0),
         dict(top_cropping=2, left_cropping=1, target_height=3, target_width=4),
         dict(bottom_cropping=1, right_cropping=3, target_height=5, target_width=2)]
PADS = [dict(top_padding=1, left_padding=2, bottom_padding=2, right_padding=0),
        dict(top_padding=2, left_padding=1, target_height=10, target_width=9),
        dict(bottom_padding=1, right_padding=3, target_height=7, target_width=12)]


@pytest.mark.parametrize("arguments", CROPS)
@pytest.mark.parametrize("shape", [(2, 6, 7, 3), (6, 7, 3)])
@pytest.mark.parametrize("data_format", FORMATS)
def test_crop_images(arguments, shape, data_format):
    x = images(shape, data_format)
    check_op(lambda x: image.crop_images(x, **arguments, data_format=data_format),
             lambda x: kimage.crop_images(x, **arguments, data_format=data_format), [x])


@pytest.mark.parametrize("arguments", PADS)
@pytest.mark.parametrize("shape", [(2, 6, 7, 3), (6, 7, 3)])
@pytest.mark.parametrize("data_format", FORMATS)
def test_pad_images(arguments, shape, data_format):
    x = images(shape, data_format)
    check_op(lambda x: image.pad_images(x, **arguments, data_format=data_format),
             lambda x: kimage.pad_images(x, **arguments, data_format=data_format), [x])


# -- colour ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 4, 5, 3), (4, 5, 3), (2, 4, 5, 1)])
@pytest.mark.parametrize("data_format", FORMATS)
def test_rgb_to_grayscale(shape, data_format):
    x = images(shape, data_format)
    check_op(lambda x: image.rgb_to_grayscale(x, data_format), lambda x: kimage.rgb_to_grayscale(x, data_format),
             [x])


def test_rgb_to_grayscale_of_integer_images():
    x = rng.integers(0, 256, (2, 4, 5, 3)).astype("uint8")
    same_as_keras(image.rgb_to_grayscale(x), kimage.rgb_to_grayscale(x), tol=0)


@pytest.mark.parametrize("convert", ["rgb_to_hsv", "hsv_to_rgb"])
@pytest.mark.parametrize("shape", [(2, 4, 5, 3), (4, 5, 3)])
@pytest.mark.parametrize("data_format", FORMATS)
def test_hsv(convert, shape, data_format):
    x = images(shape, data_format, low=0.0)
    check_op(lambda x: getattr(image, convert)(x, data_format), lambda x: getattr(kimage, convert)(x, data_format),
             [x])


def test_hsv_round_trip_and_grays():
    x = images((2, 4, 5, 3), low=0.0).astype("float32")
    x[0, 0, 0] = [0.3, 0.3, 0.3]  # a gray: no hue, no saturation
    x[0, 0, 1] = [0.0, 0.0, 0.0]
    same_as_keras(image.rgb_to_hsv(x), kimage.rgb_to_hsv(x))
    np.testing.assert_allclose(image.hsv_to_rgb(image.rgb_to_hsv(x)).numpy(), x, atol=1e-6)


# -- blur ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel_size,sigma", [((3, 3), (1.0, 1.0)), ((5, 5), (0.8, 2.0)), ((7, 7), (3.0, 1.5))])
@pytest.mark.parametrize("shape", [(2, 8, 9, 3), (6, 5, 1)])
@pytest.mark.parametrize("data_format", FORMATS)
def test_gaussian_blur(kernel_size, sigma, shape, data_format):
    x = images(shape, data_format)
    check_op(lambda x: image.gaussian_blur(x, kernel_size, sigma, data_format),
             lambda x: kimage.gaussian_blur(x, kernel_size, sigma, data_format), [x])


@pytest.mark.parametrize("kernel_size,sigma", [((3, 5), (1.0, 2.0)), ((4, 2), (1.5, 0.7))])
def test_gaussian_blur_of_other_kernel_sizes_keeps_the_image_size(kernel_size, sigma):
    # Keras's PyTorch backend mixes up non-square kernels (and grows images by even ones); its JAX
    # and NumPy backends filter along the width with kernel_size[0], sigma[0], along the height
    # with kernel_size[1], sigma[1], padding as "same" convolution does
    x = images((2, 8, 9, 2))

    def gaussian(n, s):
        k = np.exp(-0.5 * ((np.arange(n) - (n - 1) / 2) / s) ** 2)
        return k / k.sum()
    kernel = np.outer(gaussian(kernel_size[1], sigma[1]), gaussian(kernel_size[0], sigma[0]))
    (kh, kw), channels = kernel.shape, x.shape[-1]
    padded = F.pad(torch.from_numpy(x).permute(0, 3, 1, 2), ((kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2))
    expected = F.conv2d(padded, torch.from_numpy(kernel).expand(channels, 1, kh, kw), groups=channels)
    np.testing.assert_allclose(image.gaussian_blur(x, kernel_size, sigma).numpy(),
                               expected.permute(0, 2, 3, 1).numpy(), atol=1e-12)


# -- bad arguments ---------------------------------------------------------------------------
X = np.zeros((2, 6, 6, 3), "float32")
BAD_CALLS = [  # (call, the error message it must give, as a regular expression)
    (lambda: image.resize(X, (4,)), "resize: size must be two ints > 0.*received \\(4,\\)"),
    (lambda: image.resize(X, (0, 4)), "resize: size must be two ints > 0.*received \\(0, 4\\)"),
    (lambda: image.resize(X, (4, 4), "lanczos3"),
     "resize: interpolation must be one of 'nearest'.*received 'lanczos3'"),
    (lambda: image.resize(X, (4, 4), fill_mode="reflect"), "resize: fill_mode must be one of 'constant', received"),
    (lambda: image.resize(X, (4, 4), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "only one of"),
    (lambda: image.resize(X[0, 0], (4, 4)), "resize: expects images of rank 3.*received shape \\(6, 3\\)"),
    (lambda: image.resize(X, (4, 4), data_format="NHWC"), "resize: data_format must be .*received 'NHWC'"),
    (lambda: image.affine_transform(X, np.zeros(6)),
     "affine_transform: transform must have shape \\(8,\\).*received shape \\(6,\\)"),
    (lambda: image.affine_transform(X, np.zeros((3, 8))),
     "with the batch of the images \\(2\\), received shape \\(3, 8\\)"),
    (lambda: image.affine_transform(X, np.zeros(8), "bicubic"), "affine_transform: interpolation must be one of"),
    (lambda: image.affine_transform(X, np.zeros(8), fill_mode="edge"),
     "affine_transform: fill_mode must be one of.*received 'edge'"),
    (lambda: image.map_coordinates(X[0, 0], np.zeros((3, 4)), 1),
     "map_coordinates: coordinates must hold one array per axis of inputs \\(2\\), received 3"),
    (lambda: image.map_coordinates(X[0, 0], np.zeros((2, 4)), 3), "map_coordinates: order must be 0 or 1, received 3"),
    (lambda: image.map_coordinates(X[0, 0], [np.zeros(3), np.zeros(4)], 1), "must share one shape"),
    (lambda: image.map_coordinates(X[0, 0], np.zeros(2), 1), "coordinates must have rank >= 2"),
    (lambda: image.crop_images(X, 1, 1),
     "crop_images: give exactly two of top_cropping, bottom_cropping, target_height"),
    (lambda: image.crop_images(X, -1, 0, 1, 1), "crop_images: top_cropping must be an int >= 0, received -1"),
    (lambda: image.crop_images(X, 4, 0, 3, 0), "crop_images: images of height 6 .* would need target_height=-1"),
    (lambda: image.crop_images(X, 2, 0, None, 0, target_height=5), "would need bottom_cropping=-1"),
    (lambda: image.pad_images(X, 2, 0, None, 0, target_height=7),
     "pad_images: images of height 6 .* would need bottom_padding=-1"),
    (lambda: image.pad_images(X, 1.5, 0, 1, 1), "pad_images: top_padding must be an int >= 0, received 1.5"),
    (lambda: image.rgb_to_grayscale(np.zeros((4, 4, 2))),
     "rgb_to_grayscale: expects 3 \\(RGB\\) or 1 .*\\(4, 4, 2\\)"),
    (lambda: image.rgb_to_hsv(np.zeros((4, 4, 3), "uint8")), "rgb_to_hsv: expects float images, received dtype uint8"),
    (lambda: image.hsv_to_rgb(np.zeros((4, 4, 4))), "hsv_to_rgb: expects 3 channels, received .*\\(4, 4, 4\\)"),
    (lambda: image.gaussian_blur(X, (3,)), "gaussian_blur: kernel_size must be two numbers > 0, received \\(3,\\)"),
    (lambda: image.gaussian_blur(X, (3, 3), (1.0, 0.0)), "gaussian_blur: sigma must be two numbers > 0"),
    (lambda: image.elastic_transform(X, sigma=0), "elastic_transform: sigma must be a number > 0, received 0"),
    (lambda: image.elastic_transform(X, interpolation="bicubic"), "elastic_transform: interpolation must be one of"),
]


@pytest.mark.parametrize("call,message", BAD_CALLS)
def test_bad_arguments_name_the_argument_and_what_was_received(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- the GPU path, on the CuPy stand-in --------------------------------------------------------
@pytest.fixture
def gpu(monkeypatch):
    import fake_cupy
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy)
    backend.set_device("gpu")
    yield fake_cupy
    backend.set_device("cpu")


GPU_TRANSFORMS, GPU_COORDINATES = transforms(2, perspective=True), rng.uniform(-2, 8, (3, 4, 5))
GPU_CALLS = {
    "resize": lambda x: image.resize(x, (9, 4), "bicubic", antialias=True, crop_to_aspect_ratio=True),
    "affine_transform": lambda x: image.affine_transform(x, GPU_TRANSFORMS, fill_mode="reflect"),
    "map_coordinates": lambda x: image.map_coordinates(x[0], GPU_COORDINATES, 1, "mirror"),
    "crop_and_pad": lambda x: image.pad_images(image.crop_images(x, 1, 2, 1, 0), 2, 0, 1, 3),
    "colour": lambda x: image.rgb_to_grayscale(image.hsv_to_rgb(image.rgb_to_hsv(x))),
    "gaussian_blur": lambda x: image.gaussian_blur(x, (3, 5), (1.0, 2.0)),
    "elastic_transform": lambda x: image.elastic_transform(x, seed=3),
}


@pytest.mark.parametrize("name", GPU_CALLS)
def test_on_the_gpu_as_on_the_cpu(name, gpu):
    x = images((2, 6, 7, 3), low=0.0).astype("float32")
    results = []
    for device in ("cpu", "gpu"):
        backend.set_device(device)
        t = Tensor(x, requires_grad=True)
        y = GPU_CALLS[name](t)
        y.backward(backend.asarray(np.ones(y.shape, "float32")))
        results.append((backend.to_numpy(y.data), backend.to_numpy(t.grad)))
    for cpu, on_gpu in zip(*results):
        np.testing.assert_allclose(on_gpu, cpu, rtol=1e-6, atol=1e-6)
