"""The reference convolution against PyTorch, and every fast strategy of ops.conv against the reference."""
import importlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from opcheck import check_op

from striate import backend, ops
from striate.ops.conv import ReferenceConv, choose_strategy, out_size, window_pads
from striate.ops.conv_strategies import Direct3x3, Patches, Strips

conv_module = importlib.import_module("striate.ops.conv")


def _random_cases(seed, count, kernel=None, strides=(1, 2), paddings=("same", "valid"), dilations=(1, 2)):
    """``count`` settings drawn at random: batch, odd and even sizes, channels, kernel, stride, padding, dilation."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        k = kernel or tuple(int(v) for v in rng.integers(1, 5, 2))
        s, padding, d = int(rng.choice(strides)), str(rng.choice(paddings)), int(rng.choice(dilations))
        hw = tuple(int(v) for v in rng.integers(4, 12, 2))
        if padding == "valid" and any((kk - 1) * d + 1 > n for kk, n in zip(k, hw)):
            continue
        batch, cin, cout = (int(v) for v in rng.integers(1, (4, 20, 20)))
        cases.append((batch, hw, cin, k, cout, s, padding, d))
    return cases


def _settings(hw, k, s, padding, d):
    pads = tuple(window_pads("conv", hw[i], (k[i] - 1) * d + 1, s, padding, str) for i in range(2))
    padded = [n + lo + hi for n, (lo, hi) in zip(hw, pads)]
    return (s, s), (d, d), pads, out_size(padded, k, (s, s), (d, d))


def _arrays(n, hw, cin, k, cout, out_hw, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x, w, b = (rng.standard_normal(shape).astype(dtype) for shape in ((n, *hw, cin), (*k, cin, cout), (cout,)))
    return x, w, b, rng.standard_normal((n, *out_hw, cout)).astype(dtype)


def _reference(settings, x, w, b, g, activation):
    """Output and gradients of ``activation(ReferenceConv(x, w) + b)``, the activation's derivative by hand."""
    strides, dilation, pads, _ = settings
    ref = ReferenceConv(strides, dilation, pads)
    z = ref.forward(np, x, w) + b
    y = {None: z, "relu": np.maximum(z, 0), "tanh": np.tanh(z)}[activation]
    gz = g * {None: 1, "relu": z > 0, "tanh": 1 - y * y}[activation]
    gx, gw = ref.backward(np, gz)
    return y, gx, gw, gz.sum(axis=(0, 1, 2))


def _check(strategy, settings, arrays, activation, tolerance):
    x, w, b, g = arrays
    y = strategy.forward(np, x, w, b)
    got = [y, *strategy.backward(np, g.reshape(y.shape), [True, True, True])]
    for name, a, e in zip(["output", "input gradient", "kernel gradient", "bias gradient"], got,
                          _reference(settings, x, w, b, g, activation)):
        np.testing.assert_allclose(a, e, rtol=tolerance, atol=tolerance, err_msg=name)


@pytest.mark.parametrize("n,hw,cin,k,cout,s,padding,d", _random_cases(1, 8))
def test_reference_conv_is_pytorchs(n, hw, cin, k, cout, s, padding, d):
    settings = _settings(hw, k, s, padding, d)
    x, w, _, g = _arrays(n, hw, cin, k, cout, settings[3], np.float64)
    strides, dilation, pads, _ = settings
    ref = ReferenceConv(strides, dilation, pads)
    y = ref.forward(np, x, w)
    gx, gw = ref.backward(np, g)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    padded = F.pad(xt.permute(0, 3, 1, 2), pads[1] + pads[0])
    yt = F.conv2d(padded, wt.permute(3, 2, 0, 1).contiguous(), stride=s, dilation=d).permute(0, 2, 3, 1)
    yt.backward(torch.tensor(g))
    for a, e in ((y, yt), (gx, xt.grad), (gw, wt.grad)):
        np.testing.assert_allclose(a, e.detach().numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype,tolerance", [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("activation", [None, "relu", "tanh"])
@pytest.mark.parametrize("n,hw,cin,k,cout,s,padding,d", _random_cases(2, 6))
def test_lowered_strategies_are_the_reference(n, hw, cin, k, cout, s, padding, d, activation, dtype, tolerance):
    settings = _settings(hw, k, s, padding, d)
    arrays = _arrays(n, hw, cin, k, cout, settings[3], dtype)
    _check(Patches(*settings, activation), settings, arrays, activation, tolerance)
    out_w = settings[3][1]
    for strip in (1, out_w, *[wb for wb in range(2, out_w) if out_w % wb == 0][:1]):
        _check(Strips(*settings, activation, strip=strip), settings, arrays, activation, tolerance)


@pytest.mark.parametrize("dtype,tolerance", [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("activation", [None, "relu", "tanh"])
@pytest.mark.parametrize("n,hw,cin,cout", [(2, (7, 5), 16, 20), (3, (8, 8), 17, 3), (1, (1, 1), 4, 16),
                                           (4, (5, 9), 32, 32), (2, (2, 11), 3, 64)])
def test_direct3x3_is_the_reference(n, hw, cin, cout, activation, dtype, tolerance):
    settings = _settings(hw, (3, 3), 1, "same", 1)
    _check(Direct3x3(activation), settings, _arrays(n, hw, cin, (3, 3), cout, hw, dtype), activation, tolerance)


def _pooled(y, pool, kind):
    """NHWC ``y`` pooled in ``pool`` blocks ("valid": rows and columns of no whole block left out)."""
    (ph, pw), (n, h, w, c) = pool, y.shape
    blocks = y[:, :h // ph * ph, :w // pw * pw].reshape(n, h // ph, ph, w // pw, pw, c)
    return blocks.mean(axis=(2, 4)) if kind == "average" else blocks.max(axis=(2, 4))


@pytest.mark.parametrize("kind,activation,hw", [("average", None, (8, 12)), ("average", "tanh", (8, 12)),
                                                ("max", None, (9, 13)), ("max", "relu", (8, 12))])
@pytest.mark.parametrize("lowering", [Patches, Strips])
def test_fused_pool_strategies_are_the_reference_then_the_pool(kind, activation, hw, lowering):
    settings = _settings(hw, (3, 3), 1, "same" if kind == "average" else "valid", 1)
    x, w, b, _ = _arrays(3, hw, 5, (3, 3), 6, settings[3], np.float64)
    pool = (2, 2)
    options = {"strip": max(d for d in (1, 2, 3) if settings[3][1] % d == 0)} if lowering is Strips else {}
    strategy = lowering(*settings, activation, pool, kind == "max", **options)
    y = strategy.forward(np, x, w, b)
    expected = _pooled(_reference(settings, x, w, b, np.zeros((3, *settings[3], 6)), activation)[0], pool, kind)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    # the gradient through the pool: the reference's with the pooled gradient spread back by hand
    g = np.random.default_rng(1).standard_normal(y.shape)
    gx, gw, gb = strategy.backward(np, g, [True, True, True])
    oh, ow = settings[3]
    z = _reference(settings, x, w, b, np.zeros((3, oh, ow, 6)), None)[0]
    act = {None: z, "relu": np.maximum(z, 0), "tanh": np.tanh(z)}[activation]
    spread = np.zeros_like(z)
    region = spread[:, :oh // 2 * 2, :ow // 2 * 2].reshape(3, oh // 2, 2, ow // 2, 2, 6)
    if kind == "average":
        region[...] = g[:, :, None, :, None] / 4
    else:
        blocks = act[:, :oh // 2 * 2, :ow // 2 * 2].reshape(3, oh // 2, 2, ow // 2, 2, 6)
        region[...] = g[:, :, None, :, None] * (blocks == blocks.max(axis=(2, 4), keepdims=True))
    _, gx_ref, gw_ref, gb_ref = _reference(settings, x, w, b, spread, activation)
    for a, e in ((gx, gx_ref), (gw, gw_ref), (gb, gb_ref)):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10)


def test_patches_forward_is_the_references_bits():
    # one image, no bias: the same patch matrix times the same kernel matrix
    settings = _settings((9, 7), (3, 3), 2, "same", 1)
    x, w, _, _ = _arrays(1, (9, 7), 5, (3, 3), 8, settings[3], np.float32)
    np.testing.assert_array_equal(Patches(*settings).forward(np, x, w),
                                  ReferenceConv(*settings[:3]).forward(np, x, w))


def test_direct3x3_on_two_threads_gives_the_bits_of_one():
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((8, 16, 16, 32), (3, 3, 32, 32), (32,)))
    g = rng.standard_normal((8, 16, 16, 32)).astype(np.float32)
    before = backend.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            backend.set_num_threads(threads)
            strategy = Direct3x3("relu")
            y = strategy.forward(np, x, w, b)
            gx, gw, gb = strategy.backward(np, g, [True, True, True])
            results.append((y, gx, gw, gb))
    finally:
        backend.set_num_threads(before)
    (y1, gx1, gw1, gb1), (y2, gx2, gw2, gb2) = results
    np.testing.assert_array_equal(y2, y1)
    np.testing.assert_array_equal(gx2, gx1)
    np.testing.assert_allclose(gw2, gw1, rtol=1e-5, atol=1e-5 * np.abs(gw1).max())  # the parts' partial sums, added
    np.testing.assert_array_equal(gb2, gb1)


@pytest.mark.parametrize("kernel_shape,size,strides,padding,options,expected", [
    ((3, 3, 16, 16), 32, 1, "same", {}, Direct3x3),           # ResNet-20's first stage
    ((3, 3, 256, 256), 16, 1, "same", {"activation": "relu"}, Direct3x3),
    ((3, 3, 64, 64), 8, 1, "same", {}, Patches),              # small images
    ((3, 3, 16, 32), 32, 2, "same", {}, Patches),             # a stride-2 transition
    ((3, 3, 64, 64), 16, 1, "valid", {}, Patches),
    ((3, 3, 32, 32), 16, 1, "same", {"max_pool": (2, 2)}, Patches),  # a fused pool
    ((3, 3, 8, 32), 16, 1, "same", {}, Patches),              # few input channels
    ((5, 5, 1, 6), 28, 1, "same", {}, Strips),                # LeNet-5's first layer
    ((5, 5, 6, 16), 14, 1, "valid", {"average_pool": (2, 2)}, Strips),
])
def test_the_dispatcher_picks_by_shape(kernel_shape, size, strides, padding, options, expected, monkeypatch):
    """On NumPy alone (the compiled kernels' own rule is tested in test_conv_compiled.py)."""
    from striate.backend import accel
    monkeypatch.setattr(accel, "conv_kernels", lambda: None)
    settings = _settings((size, size), kernel_shape[:2], strides, padding, 1)
    assert type(choose_strategy(kernel_shape, settings[3], *settings[:3], **options)) is expected


def test_forcing_a_lowering_skips_the_direct_path(monkeypatch):
    settings = _settings((16, 16), (3, 3), 1, "same", 1)
    for force, expected in (("patches", Patches), ("strips", Strips)):
        monkeypatch.setitem(conv_module.LOWERING, "force", force)
        assert type(choose_strategy((3, 3, 32, 32), settings[3], *settings[:3])) is expected


@pytest.mark.parametrize("activation", [None, "relu", "tanh"])
def test_conv_bias_activation_by_the_direct_path_is_pytorchs(activation, monkeypatch):
    chosen = []
    choose = conv_module.choose_strategy
    monkeypatch.setattr(conv_module, "choose_strategy", lambda *a, **k: chosen.append(choose(*a, **k)) or chosen[-1])
    act = {None: lambda y: y, "relu": torch.relu, "tanh": torch.tanh}[activation]
    rng = np.random.default_rng(4)
    check_op(lambda x, w, b: ops.conv_bias_activation(x, w, b, padding="same", activation=activation),
             lambda x, w, b: act(F.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), b, padding=1)
                                 .permute(0, 2, 3, 1)),
             [rng.standard_normal(s) for s in ((2, 16, 17, 16), (3, 3, 16, 5), (5,))])
    assert chosen and all(type(s) is Direct3x3 for s in chosen)


@pytest.mark.parametrize("dtype,tolerance", [(np.float64, 1e-10), (np.float32, 2e-5)])
@pytest.mark.parametrize("n,hw,cin,k,cout,bias", [(2, (4, 5), 3, (2, 2), 4, True), (3, (3, 3), 5, (3, 2), 2, False),
                                                  (1, (1, 1), 2, (1, 1), 3, True), (4, (8, 8), 16, (2, 2), 8, True)])
def test_tiles_transpose_is_the_reference(n, hw, cin, k, cout, bias, dtype, tolerance, split_work):
    from striate.ops.conv import ConvTranspose
    from striate.ops.conv_strategies import tiles
    rng = np.random.default_rng(11)
    x, w, b = (rng.standard_normal(shape).astype(dtype) for shape in ((n, *hw, cin), (*k, cout, cin), (cout,)))
    gy = rng.standard_normal((n, hw[0] * k[0], hw[1] * k[1], cout)).astype(dtype)
    results = []
    for reference in (True, False):
        fn = ConvTranspose(k, (1, 1), ((0, 0), (0, 0)), reference=reference)
        fn.needs_grad = (True, True, True) if bias else (True, True)
        y = fn.forward(np, x, w, *((b,) if bias else ()))
        results.append((y, *fn.backward(np, gy)))
        assert isinstance(fn.tiles, tiles.Tiles) is not reference
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance * np.abs(expected).max())


def test_conv2d_transpose_layer_adds_its_bias_in_the_op():
    import striate as keras
    layer = keras.layers.Conv2DTranspose(3, 2, strides=2)
    x = keras.Tensor(np.random.default_rng(0).standard_normal((2, 4, 4, 5)).astype(np.float32), requires_grad=True)
    y = layer(x)
    assert type(y._ctx).__name__ == "ConvTranspose" and y.shape == (2, 8, 8, 3)
    kernel, bias = (v.numpy() for v in layer.weights)
    expected = np.einsum("nhwi,abci->nhawbc", x.data, kernel).reshape(2, 8, 8, 3) + bias
    np.testing.assert_allclose(y.data, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype,tolerance", [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("activation", [None, "relu", "tanh"])
@pytest.mark.parametrize("n,hw,cin,cout", [(2, (5, 7), 3, 4), (4, (8, 8), 16, 4), (1, (1, 1), 6, 9)])
def test_pointwise_is_the_reference(n, hw, cin, cout, activation, dtype, tolerance, split_work):
    from striate.ops.conv_strategies import Pointwise
    pads = ((0, 0), (0, 0))
    assert type(choose_strategy((1, 1, cin, cout), hw, (1, 1), (1, 1), pads, activation)) is Pointwise
    settings = _settings(hw, (1, 1), 1, "valid", 1)
    _check(Pointwise(activation), settings, _arrays(n, hw, cin, (1, 1), cout, hw, dtype), activation, tolerance)
