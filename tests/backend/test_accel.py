"""striate[fast]'s compiled kernels (Numba) against NumPy, where NumPy alone is the reference."""
import numpy as np
import pytest

from striate import backend
from striate.backend import accel, blas

numba = pytest.importorskip("numba", reason="the compiled kernels need Numba (pip install 'striate[fast]')")


def test_tanh_is_within_two_ulp_everywhere_and_exact_at_the_special_values():
    kernels = accel._load()
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-12, 12, 400001, dtype=np.float32), rng.standard_normal(200000, np.float32) * 0.1,
                        np.float32([0.625, -0.625, 0.6249999, 1e-8, 1e-30, 1e-45, 9.9, 10, 3e38])])
    out = np.empty_like(x)
    kernels.tanh(x, out)
    exact = np.tanh(x.astype(np.float64))
    ulp = np.abs(out - exact) / np.spacing(np.abs(exact).astype(np.float32))
    assert ulp.max() <= 2, f"tanh is {ulp.max():.2f} ulp off at x = {x[ulp.argmax()]!r}"
    kernels.tanh_in_place(x)
    np.testing.assert_array_equal(x, out)
    special = np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, 50.0, -50.0])
    got = np.empty_like(special)
    kernels.tanh(special, got)
    np.testing.assert_array_equal(got, np.float32([0.0, -0.0, 1.0, -1.0, np.nan, 1.0, -1.0]))
    assert np.signbit(got[1])


def test_kernels_are_off_when_asked_and_on_a_gpu():
    before = accel._state["wanted"]
    try:
        assert backend.set_accelerated(False) is False and accel.kernels() is None
        assert backend.set_accelerated(True) is True and accel.kernels() is not None
        accel._state["cpu"] = False
        assert accel.kernels() is None
    finally:
        accel._state["cpu"] = True
        backend.set_accelerated(before)


@pytest.mark.parametrize("numpy_faster", [True, False])
def test_tanh_runs_numpy_where_numpy_is_faster_else_the_kernel(numpy_faster, monkeypatch):
    from striate.ops.linalg import tanh
    monkeypatch.setitem(accel._state, "numpy_tanh", numpy_faster)
    x = np.random.default_rng(0).standard_normal(10_000).astype(np.float32)
    want = np.tanh(x) if numpy_faster else np.empty_like(x)
    if not numpy_faster:
        accel._load().tanh(x, want)
    before = backend.set_accelerated(True)
    try:
        np.testing.assert_array_equal(tanh(np, x), want)
    finally:
        backend.set_accelerated(before)


def test_numpy_tanh_is_taken_as_faster_only_with_avx512():
    info = np.lib.introspect.opt_func_info(func_name="^tanh$", signature="float32")
    target = next(iter(info["tanh"].values()))["current"]
    accel._state["numpy_tanh"] = None
    assert accel.numpy_tanh_is_faster() == (target == "X86_V4" or "AVX512" in target)


def test_importing_striate_does_not_import_numba():
    import subprocess
    import sys
    code = "import sys, striate; print('numba' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def _adam_steps(accelerated, amsgrad=False):
    import striate
    before = accel._state["wanted"]
    backend.set_accelerated(accelerated)
    try:
        rng = np.random.default_rng(1)
        w = striate.Variable(rng.standard_normal((300, 400)).astype(np.float32))
        b = striate.Variable(np.zeros(7, np.float32))
        opt = striate.optimizers.Adam(1e-3, amsgrad=amsgrad)
        for _ in range(4):
            opt.apply([rng.standard_normal((300, 400)).astype(np.float32), rng.standard_normal(7).astype(np.float32)],
                      [w, b])
        return w.numpy(), b.numpy(), opt.variables[-1].numpy()
    finally:
        backend.set_accelerated(before)


def test_adam_in_one_pass_gives_the_same_bits_as_numpy():
    """The same bits as NumPy's calls; with the BLAS's fused multiply-adds, within a few float32 ulps."""
    before = blas.set_vector_updates(False)
    try:
        numpy_calls = _adam_steps(False)
    finally:
        blas.set_vector_updates(before)
    for kernel, numpy, fused in zip(_adam_steps(True), numpy_calls, _adam_steps(False)):
        np.testing.assert_array_equal(kernel, numpy)
        np.testing.assert_allclose(fused, numpy, rtol=1e-6, atol=1e-9)


def test_tanh_gradient_in_one_pass_gives_the_same_bits_as_numpy():
    from striate.ops.linalg import activation_grad
    rng = np.random.default_rng(2)
    y, g = np.tanh(rng.standard_normal((64, 50), np.float32) * 2), rng.standard_normal((64, 50), np.float32)
    before = accel._state["wanted"]
    try:
        backend.set_accelerated(True)
        fast = activation_grad("tanh", g, y)
        backend.set_accelerated(False)
        np.testing.assert_array_equal(fast, activation_grad("tanh", g, y))
    finally:
        backend.set_accelerated(before)


def _both_ways(fn):
    """``fn()`` with the compiled kernels and then on NumPy alone."""
    before = accel._state["wanted"]
    try:
        return [(backend.set_accelerated(on), fn())[1] for on in (True, False)]
    finally:
        backend.set_accelerated(before)


@pytest.mark.parametrize("strides,dilation,padding", [(1, 1, "same"), ((2, 1), 1, "valid"), (1, (2, 2), "same")])
def test_conv_input_gradient_added_back_by_strips_gives_the_bits_of_numpy(strides, dilation, padding, monkeypatch):
    # the kernel adds the runs onto the image in NumPy's order
    import importlib

    from striate import ops
    from striate.autodiff import Tensor
    monkeypatch.setitem(importlib.import_module("striate.ops.conv").LOWERING, "force", "strips")
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((5, 14, 16, 3), (3, 3, 3, 6), (6,)))

    def run():
        inputs = [Tensor(a, requires_grad=True) for a in (x, w, b)]
        y = ops.conv_bias_activation(*inputs, strides=strides, padding=padding, dilation_rate=dilation,
                                     activation="relu", average_pool=2)
        y.backward(np.random.default_rng(4).standard_normal(y.shape).astype(np.float32))
        return [y.numpy()] + [t.grad for t in inputs]
    for fast, numpy in zip(*_both_ways(run)):
        np.testing.assert_array_equal(fast, numpy)


# -- sampling images: ops.image's Warp (affine_transform) and Sample (map_coordinates) -------------------
def _spied(monkeypatch, name):
    """The (order, mode, channels) of every kernel that the maker ``name`` of backend._kernels hands out."""
    kernels = accel._load()
    make, calls = getattr(kernels, name), []
    monkeypatch.setattr(kernels, name, lambda *key: calls.append(key) or make(*key))
    return calls


def _warps(rng, batch):
    """Transforms of every kind the kernel tells apart: rotations with zoom and shift; zoom and shift
    alone (each axis on its own); projective; zoom far out (corners many periods away)."""
    angle, zoom = rng.uniform(-0.7, 0.7, batch), rng.uniform(0.6, 1.5, batch)
    t = np.zeros((batch, 8), np.float32)
    t[:, [0, 4]] = (zoom * np.cos(angle))[:, None]
    t[:, 1], t[:, 3] = -zoom * np.sin(angle), zoom * np.sin(angle)
    t[:, [2, 5]] = rng.uniform(-6, 6, (batch, 2))
    t[1::4, [1, 3]] = 0
    t[2::4, 6:] = rng.uniform(-0.05, 0.05, (len(t[2::4]), 2))
    t[3::4, [0, 4]] *= 25
    return t


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
def test_warp_kernel_gives_the_bits_of_numpy(interpolation, fill_mode, monkeypatch):
    from striate.ops import image
    rng = np.random.default_rng(5)
    x, t = rng.random((12, 9, 7, 2), dtype=np.float32), _warps(rng, 12)
    calls = _spied(monkeypatch, "warp_2d")
    for transform in (t, t[0]):  # one per image, one for all
        fast, numpy = _both_ways(lambda: image.affine_transform(x, transform, interpolation, fill_mode, 0.5).numpy())
        np.testing.assert_array_equal(fast, numpy)
    assert calls, "the kernel did not run"


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
def test_sample_kernel_gives_the_bits_of_numpy_at_every_position(order, fill_mode, monkeypatch):
    # one point an image, so that each point's corners are found alone: near the image (a shift or a
    # reflection away) by selects, farther by a division
    from striate.ops.image import Sample
    calls = _spied(monkeypatch, "sample_2d")
    for height, width in ((1, 3), (2, 1), (3, 5)):
        ys, xs = np.meshgrid(np.arange(-4 * height - 2, 4 * height + 2, 0.5, dtype=np.float32),
                             np.arange(-4 * width - 2, 4 * width + 2, 0.5, dtype=np.float32))
        ys, xs = ys.reshape(-1, 1), xs.reshape(-1, 1)
        image = np.random.default_rng(height).random((1, height, width, 2), dtype=np.float32)
        x = np.ascontiguousarray(np.broadcast_to(image, (len(ys), height, width, 2)))
        fast, numpy = _both_ways(lambda: Sample(order, fill_mode, 0.5)(x, ys, xs).numpy())
        np.testing.assert_array_equal(fast, numpy)
    assert calls, "the kernel did not run"


def test_sample_kernel_reads_inside_the_image_at_any_coordinate():
    from striate.ops.image import Sample
    x = np.random.default_rng(6).random((1, 4, 5, 2), dtype=np.float32) + 1
    far = np.float32([1e30, -1e30, 3e9, -3e9, 2.0**22 + 1, -(2.0**23)])
    ys, xs = np.stack([far, far[::-1]]).reshape(2, 1, -1)
    odd = np.float32([[np.nan, np.inf, -np.inf]])
    before = accel._state["wanted"]
    backend.set_accelerated(True)
    try:
        for fill_mode in ("nearest", "wrap", "mirror", "reflect"):
            out = Sample(1, fill_mode, 0.0)(x, ys, xs).numpy()
            assert np.isin(out, x).all()  # a pixel (the weights are 1 and 0 that far out)
            assert np.isnan(Sample(1, fill_mode, 0.0)(x, odd, odd).numpy()).all()  # NaN weights
    finally:
        backend.set_accelerated(before)


@pytest.mark.parametrize("layer,factors", [("RandomRotation", (0.2,)), ("RandomZoom", (0.2,)),
                                           ("RandomTranslation", (0.2, 0.2))])
def test_geometric_layers_give_the_bits_of_numpy_on_mnist_sized_batches(layer, factors, monkeypatch):
    import striate
    x = np.random.default_rng(7).random((32, 28, 28, 1), dtype=np.float32)
    calls = _spied(monkeypatch, "warp_2d")

    def run():
        return getattr(striate.layers, layer)(*factors, seed=3)(x, training=True).numpy()
    fast, numpy = _both_ways(run)
    np.testing.assert_array_equal(fast, numpy)
    assert calls == [(1, 4, 1)]  # bilinear, reflect, one channel
