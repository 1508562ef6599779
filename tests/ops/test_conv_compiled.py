"""The compiled direct 3x3 convolution (striate[fast]) against the reference convolution."""
import numpy as np
import pytest

from striate import backend
from striate.ops.conv import ReferenceConv, choose_strategy
from striate.ops.conv_strategies import Direct3x3, DirectCompiled, Patches, Strips, direct_compiled

pytest.importorskip("numba", reason="the compiled kernels need Numba (pip install 'striate[fast]')")

SAME, VALID = ((1, 1), (1, 1)), ((0, 0), (0, 0))


def _out_hw(hw, pads):
    return tuple(n + lo + hi - 2 for n, (lo, hi) in zip(hw, pads))


def _arrays(n, hw, cin, cout, pads, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    x, w, b = (rng.standard_normal(shape).astype(dtype) for shape in ((n, *hw, cin), (3, 3, cin, cout), (cout,)))
    return x, w, b, rng.standard_normal((n, *_out_hw(hw, pads), cout)).astype(dtype)


def _reference(pads, x, w, b, g, activation, stride=1):
    """Output and gradients of ``activation(ReferenceConv(x, w) + b)`` in float64, the activation's
    derivative by hand."""
    x, w, g = (a.astype(np.float64) for a in (x, w, g))
    ref = ReferenceConv((stride, stride), (1, 1), pads)
    z = ref.forward(np, x, w) + (0 if b is None else b.astype(np.float64))
    y = {None: z, "relu": np.maximum(z, 0), "tanh": np.tanh(z)}[activation]
    gz = g * {None: 1, "relu": z > 0, "tanh": 1 - y * y}[activation]
    gx, gw = ref.backward(np, gz)
    return y, gx, gw, gz.sum(axis=(0, 1, 2))


def _assert_close(name, got, expected):
    """Within float32 rounding of sums of a few hundred products: relative to the array's scale."""
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max(), err_msg=name)


# (batch, (H, W), C_in, C_out, pads): odd and even sizes, 1 to 32 channels, images smaller than a
# step of output pixels, one pixel high
CASES = [(1, (5, 7), 1, 8, SAME), (3, (9, 4), 3, 16, SAME), (2, (6, 11), 16, 16, VALID), (5, (3, 3), 7, 5, SAME),
         (2, (13, 10), 32, 32, SAME), (4, (8, 9), 20, 12, VALID), (1, (1, 6), 16, 16, SAME), (2, (3, 17), 5, 32, VALID),
         # blocks of output channels: 3 x 32 forward (2 x 48 backward), 2 x 64 in the kernel's gradient
         (2, (5, 6), 48, 96, SAME), (1, (4, 9), 24, 128, VALID),
         # rows of several steps of 16 pixels (16 channels), the last one partly outside
         (2, (3, 37), 16, 16, SAME)]


# (batch, (H, W), C_in, C_out, padding) at stride 2: "same" pads (0, 1) on even sizes, (1, 1) on odd ones
STRIDED = [(2, (8, 8), 16, 32, "same"), (2, (7, 9), 16, 16, "same"), (1, (9, 11), 24, 48, "valid"),
           (3, (6, 10), 32, 64, "same"), (1, (1, 5), 16, 16, "same"), (2, (5, 6), 48, 96, "same"),
           (2, (4, 37), 16, 32, "same"), (1, (5, 34), 32, 16, "same")]  # rows of several steps


@pytest.mark.parametrize("activation,bias", [(None, False), ("relu", True)])
@pytest.mark.parametrize("n,hw,cin,cout,padding", STRIDED)
def test_the_strided_compiled_convolution_is_the_reference(n, hw, cin, cout, padding, activation, bias):
    from striate.ops.conv import window_pads
    backend.set_accelerated(True)  # (the fixture ``engine`` sets it back)
    pads = tuple(window_pads("conv", size, 3, 2, padding, str) for size in hw)
    out_hw = tuple((size + lo + hi - 3) // 2 + 1 for size, (lo, hi) in zip(hw, pads))
    rng = np.random.default_rng(n + cin)
    x, w, b = (rng.standard_normal(shape).astype(np.float32) for shape in ((n, *hw, cin), (3, 3, cin, cout), (cout,)))
    g = rng.standard_normal((n, *out_hw, cout)).astype(np.float32)
    b = b if bias else None
    assert direct_compiled.fits(w.shape, (2, 2), (1, 1), pads)
    strategy = DirectCompiled((2, 2), (1, 1), pads, out_hw, activation)
    got = [strategy.forward(np, x, w, b), *strategy.backward(np, g, [True, True, bias])]
    assert strategy.fallback is None and got[0].shape == g.shape
    for name, a, e in zip(["output", "input gradient", "kernel gradient", "bias gradient"], got,
                          _reference(pads, x, w, b, g, activation, stride=2)):
        if name == "bias gradient" and not bias:
            assert a is None
            continue
        _assert_close(name, a, e)


@pytest.mark.parametrize("activation,bias", [(None, False), ("relu", True), ("tanh", True), (None, True)])
@pytest.mark.parametrize("n,hw,cin,cout,pads", CASES)
def test_the_compiled_convolution_is_the_reference(n, hw, cin, cout, pads, activation, bias, engine):
    x, w, b, g = _arrays(n, hw, cin, cout, pads)
    b = b if bias else None
    strategy = DirectCompiled((1, 1), (1, 1), pads, _out_hw(hw, pads), activation)
    y = strategy.forward(np, x, w, b)
    got = [y, *strategy.backward(np, g, [True, True, bias])]
    assert y.dtype == np.float32 and y.shape == g.shape
    # NumPy alone: the strategy the dispatcher takes without the kernels
    assert type(strategy.fallback) is {"numpy": Direct3x3 if pads == SAME else Patches}.get(engine, type(None))
    for name, a, e in zip(["output", "input gradient", "kernel gradient", "bias gradient"], got,
                          _reference(pads, x, w, b, g, activation)):
        if name == "bias gradient" and not bias:
            assert a is None
            continue
        _assert_close(name, a, e)


def test_only_the_gradients_asked_for_are_computed():
    x, w, b, g = _arrays(2, (6, 6), 16, 16, SAME)
    strategy = DirectCompiled((1, 1), (1, 1), SAME, (6, 6), "relu")
    strategy.forward(np, x, w, b)
    gx, gw, gb = strategy.backward(np, g, [False, True, False])
    assert gx is None and gb is None
    _assert_close("kernel gradient", gw, _reference(SAME, x, w, b, g, "relu")[2])


@pytest.mark.parametrize("pads,fallback", [(SAME, Direct3x3), (VALID, Patches)])
def test_float64_goes_to_numpy_strategies_and_stays_float64(pads, fallback):
    x, w, b, g = _arrays(2, (5, 6), 8, 8, pads, dtype=np.float64)
    strategy = DirectCompiled((1, 1), (1, 1), pads, _out_hw((5, 6), pads), "tanh")
    y = strategy.forward(np, x, w, b)
    gx, gw, gb = strategy.backward(np, g, [True, True, True])
    assert type(strategy.fallback) is fallback and y.dtype == np.float64
    for name, a, e in zip(["output", "input gradient", "kernel gradient", "bias gradient"], [y, gx, gw, gb],
                          _reference(pads, x, w, b, g, "tanh")):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10, err_msg=name)


def test_two_threads_give_the_bits_of_one():
    backend.set_accelerated(True)  # (the fixture ``engine`` sets it back)
    x, w, b, g = _arrays(8, (16, 16), 16, 32, SAME, seed=3)
    before = backend.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            backend.set_num_threads(threads)
            with backend.engaged():
                strategy = DirectCompiled((1, 1), (1, 1), SAME, (16, 16), "relu")
                results.append((strategy.forward(np, x, w, b), *strategy.backward(np, g, [True, True, True])))
    finally:
        backend.set_num_threads(before)
    (y1, gx1, gw1, gb1), (y2, gx2, gw2, gb2) = results
    np.testing.assert_array_equal(y2, y1)
    np.testing.assert_array_equal(gx2, gx1)
    # the kernel's and the bias's gradients: the parts' partial sums, added
    np.testing.assert_allclose(gw2, gw1, rtol=1e-5, atol=1e-5 * np.abs(gw1).max())
    np.testing.assert_allclose(gb2, gb1, rtol=1e-5, atol=1e-5 * np.abs(gb1).max())


@pytest.mark.parametrize("kernel_shape,size,pads,options,expected", [
    ((3, 3, 16, 16), 32, SAME, {}, DirectCompiled),              # ResNet-20's stages
    ((3, 3, 32, 32), 16, SAME, {"activation": "relu"}, DirectCompiled),
    ((3, 3, 64, 64), 8, SAME, {}, DirectCompiled),
    ((3, 3, 16, 32), 12, VALID, {}, DirectCompiled),
    ((3, 3, 128, 256), 8, SAME, {}, DirectCompiled),             # a VGG-style net's stages
    ((3, 3, 256, 256), 4, SAME, {}, Patches),                     # narrower than a step of 8 pixels
    ((3, 3, 512, 512), 28, SAME, {}, Direct3x3),                  # wider: BLAS's products are square
    ((3, 3, 3, 16), 32, SAME, {}, Strips),                        # an RGB input layer
    ((3, 3, 16, 8), 16, SAME, {}, Direct3x3),                     # 8 lanes of 16 in the vectors: slower
    ((3, 3, 32, 32), 16, SAME, {"max_pool": (2, 2)}, Patches),    # a fused pool
])
def test_the_dispatcher_takes_the_compiled_kernels_for_16_to_256_channels(kernel_shape, size, pads, options, expected):
    backend.set_accelerated(True)  # (the fixture ``engine`` sets it back)
    out_hw = _out_hw((size, size), pads)
    assert type(choose_strategy(kernel_shape, out_hw, (1, 1), (1, 1), pads, **options)) is expected


def test_the_dispatcher_leaves_the_compiled_kernels_when_they_are_off():
    backend.set_accelerated(False)
    assert type(choose_strategy((3, 3, 16, 16), (32, 32), (1, 1), (1, 1), SAME)) is Direct3x3
