"""conv, depthwise_conv and conv_transpose against PyTorch (and Keras for conv_transpose's sizes)."""
import importlib
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from opcheck import check_op

from striate import ops
from striate.autodiff import Tensor
from striate.ops.pool import max_pool_relu

rng = np.random.default_rng(0)
conv_module = importlib.import_module("striate.ops.conv")


@pytest.fixture(params=["strips", "patches"])
def lowering(request, monkeypatch):
    """Conv's two lowerings (by patches and by strips of banded rows), each checked on every case."""
    monkeypatch.setitem(conv_module.LOWERING, "force", request.param)
    return request.param


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _tf_pads(sizes, kernel, strides, padding, dilation):
    """F.pad amounts (left, right, top, bottom) for TensorFlow's padding rule."""
    pads = []
    for n, k, s, d in zip(sizes, kernel, strides, dilation):
        k = (k - 1) * d + 1
        total = max((math.ceil(n / s) - 1) * s + k - n, 0) if padding == "same" else 0
        pads.append((total // 2, total - total // 2))
    return pads[1] + pads[0]


def torch_conv(x, w, strides=1, padding="valid", dilation=1, depthwise=False):
    """NHWC x and a Keras kernel through F.conv2d (NCHW, (out, in/groups, kh, kw)); grouped where x has
    more channels than the kernel, as Keras infers it."""
    strides, dilation = _pair(strides), _pair(dilation)
    x = F.pad(x.permute(0, 3, 1, 2), _tf_pads(x.shape[1:3], w.shape[:2], strides, padding, dilation))
    if depthwise:
        kh, kw, c, m = w.shape
        y = F.conv2d(x, w.permute(2, 3, 0, 1).reshape(c * m, 1, kh, kw), stride=strides, dilation=dilation, groups=c)
    else:
        y = F.conv2d(x, w.permute(3, 2, 0, 1), stride=strides, dilation=dilation, groups=x.shape[1] // w.shape[2])
    return y.permute(0, 2, 3, 1)


CONV_CASES = [  # batch, (h, w), in, (kh, kw), out, strides, padding, dilation
    (1, (7, 9), 3, (3, 3), 4, 1, "valid", 1),
    (3, (7, 9), 2, (3, 3), 5, 2, "same", 1),
    (2, (8, 8), 3, (2, 2), 4, 1, "same", 1),
    (2, (9, 7), 2, (4, 4), 3, 3, "same", 1),
    (2, (9, 9), 2, (3, 3), 3, 1, "same", 2),
    (2, (9, 8), 2, (3, 2), 3, 2, "valid", (2, 1)),
    (3, (5, 6), 4, (1, 1), 6, 1, "valid", 1),
    (2, (8, 7), 3, (1, 1), 2, 2, "valid", 1),
    (2, (7, 9), 1, (5, 5), 2, (2, 3), "valid", 1),
]


@pytest.mark.parametrize("n,hw,cin,k,cout,strides,padding,dilation", CONV_CASES)
def test_conv(n, hw, cin, k, cout, strides, padding, dilation, lowering):
    x, w = rng.standard_normal((n, *hw, cin)), rng.standard_normal((*k, cin, cout))
    check_op(lambda x, w: ops.conv(x, w, strides, padding, dilation_rate=dilation),
             lambda x, w: torch_conv(x, w, strides, padding, dilation), [x, w])


@pytest.mark.parametrize("n,hw,cin,k,cout,groups,strides,padding,dilation", [
    (2, (7, 9), 6, (3, 3), 4, 2, 1, "valid", 1),
    (2, (8, 7), 6, (3, 2), 9, 3, 2, "same", 1),
    (1, (9, 9), 4, (3, 3), 4, 4, 1, "same", 2),   # one channel per group: a depthwise convolution
    (3, (5, 6), 4, (1, 1), 2, 2, (1, 2), "valid", 1),
    (2, (6, 5), 8, (2, 2), 6, 2, 2, "same", 1),
])
def test_grouped_conv(n, hw, cin, k, cout, groups, strides, padding, dilation):
    # the kernel's in-channels are the input's / groups: Keras's ops.conv groups the convolution
    x, w = rng.standard_normal((n, *hw, cin)), rng.standard_normal((*k, cin // groups, cout))
    check_op(lambda x, w: ops.conv(x, w, strides, padding, dilation_rate=dilation),
             lambda x, w: torch_conv(x, w, strides, padding, dilation), [x, w])


def test_grouped_conv_1d_and_channels_first():
    x, w = rng.standard_normal((2, 4, 9)), rng.standard_normal((3, 2, 6))
    check_op(lambda x, w: ops.conv(x, w, padding="same", data_format="channels_first"),
             lambda x, w: F.conv1d(F.pad(x, (1, 1)), w.permute(2, 1, 0), groups=2), [x, w])


def test_grouped_conv_is_each_group_apart():
    x, w = rng.standard_normal((2, 6, 6, 6)), rng.standard_normal((3, 3, 2, 6))
    y = ops.conv(x, w, padding="same").numpy()
    for g in range(3):
        part = ops.conv(x[..., 2 * g:2 * g + 2], w[..., 2 * g:2 * g + 2], padding="same").numpy()
        np.testing.assert_allclose(y[..., 2 * g:2 * g + 2], part, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n,hw,c,k,m,strides,padding,dilation", [
    (1, (7, 9), 3, (3, 3), 1, 1, "valid", 1),
    (3, (7, 9), 2, (3, 3), 2, 2, "same", 1),
    (2, (8, 8), 3, (2, 2), 2, 1, "same", 1),
    (2, (9, 9), 2, (3, 3), 2, 1, "same", 2),
])
def test_depthwise_conv(n, hw, c, k, m, strides, padding, dilation):
    x, w = rng.standard_normal((n, *hw, c)), rng.standard_normal((*k, c, m))
    check_op(lambda x, w: ops.depthwise_conv(x, w, strides, padding, dilation_rate=dilation),
             lambda x, w: torch_conv(x, w, strides, padding, dilation, depthwise=True), [x, w])


def test_conv_1d_and_channels_first(lowering):
    x, w = rng.standard_normal((2, 11, 3)), rng.standard_normal((3, 3, 4))
    check_op(lambda x, w: ops.conv(x, w, 2, "same"),
             lambda x, w: F.conv1d(F.pad(x.transpose(1, 2), (1, 1)), w.permute(2, 1, 0), stride=2).transpose(1, 2),
             [x, w])
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((3, 3, 3, 4))
    check_op(lambda x, w: ops.conv(x, w, padding="same", data_format="channels_first"),
             lambda x, w: F.conv2d(x, w.permute(3, 2, 0, 1), padding=1), [x, w])


def test_conv_keeps_float32():
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    w = ops.convert_to_tensor(rng.standard_normal((3, 3, 3, 2)).astype(np.float32))
    w.requires_grad_()
    y = ops.conv(x, w, padding="same")
    assert y.dtype == np.float32 and y.shape == (2, 6, 6, 2)
    y.sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.shape == w.shape


def _keras_conv_transpose():
    from keras.src.backend.torch import nn as keras_torch_nn  # Keras's own rule for the output size
    return keras_torch_nn.conv_transpose


def test_separable_conv():
    x, dw, pw = rng.standard_normal((2, 7, 8, 3)), rng.standard_normal((3, 3, 3, 2)), rng.standard_normal((1, 1, 6, 5))
    check_op(lambda x, dw, pw: ops.separable_conv(x, dw, pw, 2, "same"),
             lambda x, dw, pw: torch_conv(torch_conv(x, dw, 2, "same", depthwise=True), pw), [x, dw, pw])


@pytest.mark.parametrize("n,hw,cin,k,cout,strides,padding,output_padding,dilation", [
    (2, (4, 5), 3, (3, 3), 2, 2, "valid", None, 1),
    (2, (4, 5), 3, (3, 3), 2, 2, "same", None, 1),
    (1, (3, 4), 2, (4, 4), 3, 2, "same", None, 1),
    (3, (3, 3), 2, (2, 2), 2, 2, "valid", None, 1),
    (2, (3, 4), 2, (3, 2), 2, (2, 3), "same", None, 1),
    (2, (5, 4), 3, (3, 3), 2, 1, "same", None, 1),
    (2, (4, 4), 2, (3, 3), 2, 2, "valid", 1, 1),
    (2, (4, 4), 2, (3, 3), 2, 1, "valid", None, 2),
])
def test_conv_transpose(n, hw, cin, k, cout, strides, padding, output_padding, dilation):
    x, w = rng.standard_normal((n, *hw, cin)), rng.standard_normal((*k, cout, cin))
    keras_fn = _keras_conv_transpose()
    check_op(lambda x, w: ops.conv_transpose(x, w, strides, padding, output_padding, dilation_rate=dilation),
             lambda x, w: keras_fn(x, w, strides, padding, output_padding, dilation_rate=dilation), [x, w])


def test_conv_transpose_is_the_adjoint_of_conv():
    x, w = rng.standard_normal((2, 8, 8, 3)), rng.standard_normal((3, 3, 3, 4))
    y = rng.standard_normal((2, 4, 4, 4))
    # <conv(x), y> == <x, conv_transpose(y)> for the same kernel and settings
    lhs = np.sum(ops.conv(x, w, 2, "same").numpy() * y)
    rhs = np.sum(x * ops.conv_transpose(y, w, 2, "same").numpy())
    assert abs(lhs - rhs) < 1e-9 * max(1.0, abs(lhs))


@pytest.mark.parametrize("call,message", [
    (lambda: ops.conv(np.zeros((2, 8, 8, 3)), np.zeros((3, 3, 4, 8))),
     r"conv: input has 3 channels but kernel expects 4 \(input shape \(2, 8, 8, 3\), kernel shape \(3, 3, 4, 8\)\)"),
    (lambda: ops.conv(np.zeros((8, 8, 3)), np.zeros((3, 3, 3, 8))), r"conv: a rank-3 input needs a rank-3 kernel"),
    (lambda: ops.conv(np.zeros((2, 2, 8, 8, 3)), np.zeros((3, 3, 3, 8))),
     r"conv: expects inputs of rank 3 .* or 4 .*received shape \(2, 2, 8, 8, 3\)"),
    (lambda: ops.conv(np.zeros((2, 4, 4, 3)), np.zeros((5, 5, 3, 8))),
     r"conv: the window spans 5 pixels but the input has only 4 .*kernel shape \(5, 5, 3, 8\)"),
    (lambda: ops.conv(np.zeros((2, 8, 8, 3)), np.zeros((3, 3, 3, 8)), padding="full"),
     r"conv: padding must be 'valid' or 'same', received 'full'"),
    (lambda: ops.conv(np.zeros((2, 8, 8, 3)), np.zeros((3, 3, 3, 8)), strides=(1, 0)),
     r"conv: strides must be an int >= 1 or 2 such ints, received \(1, 0\)"),
    (lambda: ops.conv(np.zeros((2, 8, 8, 6)), np.zeros((3, 3, 4, 8))),
     r"conv: input has 6 channels but kernel expects 4 .*; a grouped convolution needs a multiple of 4"),
    (lambda: ops.conv(np.zeros((2, 8, 8, 6)), np.zeros((3, 3, 2, 8))),
     r"conv: the input's 6 channels make 3 groups of the kernel's 2 in-channels, but its 8 out-channels do not"),
    (lambda: ops.conv_bias_activation(np.zeros((2, 8, 8, 6)), np.zeros((3, 3, 2, 6))),
     r"conv: input has 6 channels but kernel expects 2 \(input shape"),
    (lambda: ops.depthwise_conv(np.zeros((2, 8, 8, 3)), np.zeros((3, 3, 2, 2))),
     r"depthwise_conv: input has 3 channels but kernel expects 2"),
    (lambda: ops.conv_transpose(np.zeros((2, 8, 8, 3)), np.zeros((3, 3, 3, 8)), 2),
     r"conv_transpose: input has 3 channels but kernel expects 8"),
])
def test_errors_name_the_op_and_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("activation", [None, "relu", "tanh"])
@pytest.mark.parametrize("padding,strides", [("valid", 1), ("same", 2)])
def test_fused_conv_bias_activation(activation, padding, strides, lowering):
    act = {None: lambda y: y, "relu": torch.relu, "tanh": torch.tanh}[activation]
    rng = np.random.default_rng(5)
    check_op(lambda x, w, b: ops.conv_bias_activation(x, w, b, strides, padding, activation=activation),
             lambda x, w, b: act(torch_conv(x, w, strides, padding) + b),
             [rng.standard_normal((2, 7, 9, 3)), rng.standard_normal((3, 3, 3, 4)), rng.standard_normal(4)])


@pytest.mark.parametrize("activation", [None, "tanh"])
@pytest.mark.parametrize("pool", [2, (2, 3)])
def test_conv_bias_activation_then_average_pool(activation, pool, lowering):
    act = {None: lambda y: y, "tanh": torch.tanh}[activation]
    rng = np.random.default_rng(6)
    check_op(lambda x, w, b: ops.conv_bias_activation(x, w, b, padding="same", activation=activation,
                                                      average_pool=pool),
             lambda x, w, b: F.avg_pool2d(act(torch_conv(x, w, 1, "same") + b).permute(0, 3, 1, 2),
                                          pool).permute(0, 2, 3, 1),
             [rng.standard_normal((3, 8, 12, 2)), rng.standard_normal((3, 3, 2, 5)), rng.standard_normal(5)])


def same_bits(two_ops, one_op, arrays):
    """``one_op`` and ``two_ops`` (functions of Tensors x, w, b) give the same output and gradients, bit for bit."""
    apart = [Tensor(a, requires_grad=True) for a in arrays]
    joined = [Tensor(a, requires_grad=True) for a in arrays]
    y, z = two_ops(*apart), one_op(*joined)
    np.testing.assert_array_equal(z.numpy(), y.numpy())
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(g)
    z.backward(g)
    for a, c in zip(apart, joined):
        np.testing.assert_array_equal(c.grad, a.grad)


@pytest.mark.parametrize("pool", [2, (2, 3)])
def test_conv_then_average_pool_in_one_op_gives_the_bits_of_two(pool, lowering):
    # the same array calls, a part of the batch at a time (the fused Conv2D -> AveragePooling2D pair);
    # with striate[fast], the pool's and the tanh's gradients in one pass with the same roundings
    same_bits(lambda *t: ops.average_pool(ops.conv_bias_activation(*t, padding="same", activation="tanh"), pool),
              lambda *t: ops.conv_bias_activation(*t, padding="same", activation="tanh", average_pool=pool),
              [rng.standard_normal(s).astype(np.float32) for s in ((6, 12, 12, 3), (5, 5, 3, 6), (6,))])


@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("pool", [2, (2, 3)])
@pytest.mark.parametrize("size", [(8, 12), (9, 13)])  # (9, 13): valid 7x11 output, blocks leave pixels out
def test_conv_bias_activation_then_max_pool(activation, pool, size, lowering):
    act = {None: lambda y: y, "relu": torch.relu}[activation]
    rng = np.random.default_rng(7)
    check_op(lambda x, w, b: ops.conv_bias_activation(x, w, b, activation=activation, max_pool=pool),
             lambda x, w, b: F.max_pool2d(act(torch_conv(x, w, 1, "valid") + b).permute(0, 3, 1, 2),
                                          pool).permute(0, 2, 3, 1),
             [rng.standard_normal((3, *size, 2)), rng.standard_normal((3, 3, 2, 5)), rng.standard_normal(5)])


@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("channels", [6, 16])  # 16: the compiled kernels' case
def test_conv_then_max_pool_in_one_op_gives_the_bits_of_two(activation, channels, engine):
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((6, 13, 13, 3), (3, 3, 3, channels), (channels,)))
    x[:, :5] = 0  # windows that tie
    pool = ops.max_pool if activation is None else max_pool_relu
    same_bits(lambda *t: pool(ops.conv_bias_activation(*t), 2),
              lambda *t: ops.conv_bias_activation(*t, activation=activation, max_pool=2), [x, w, b])


def test_conv_max_pool_takes_no_tanh_and_fits_the_output():
    x, w = np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 2))
    with pytest.raises(ValueError, match="conv: max_pool takes activation None or 'relu', received 'tanh'"):
        ops.conv_bias_activation(x, w, activation="tanh", max_pool=2)
    with pytest.raises(ValueError, match=r"conv: max_pool \(4, 4\) is larger than the convolution's output, 3x3"):
        ops.conv_bias_activation(x, w, max_pool=4)


def test_conv_average_pool_must_tile_the_output():
    with pytest.raises(ValueError, match=r"conv: average_pool \(2, 2\) must tile the convolution's output, 6x7"):
        ops.conv_bias_activation(np.zeros((1, 8, 9, 1)), np.zeros((3, 3, 1, 2)), average_pool=2)


@pytest.mark.parametrize("strides,dilation,padding", [(1, 1, "valid"), ((2, 1), 1, "same"), (1, (1, 2), "same"),
                                                      ((1, 2), 1, "valid")])
def test_conv_by_strips_of_any_width(strides, dilation, padding, monkeypatch):
    # strips of 1 pixel are the patches again; wider ones overlap on the input by kw - 1 columns
    x, w, b = rng.standard_normal((2, 7, 14, 3)), rng.standard_normal((3, 3, 3, 4)), rng.standard_normal(4)
    out_w = ops.conv(x, w, strides, padding, dilation_rate=dilation).shape[2]
    for strip in [d for d in range(1, out_w + 1) if out_w % d == 0]:
        monkeypatch.setattr(conv_module, "strip_width", lambda kernel_shape, out_hw: strip)
        check_op(lambda x, w, b: ops.conv_bias_activation(x, w, b, strides, padding, dilation, "tanh"),
                 lambda x, w, b: torch.tanh(torch_conv(x, w, strides, padding, dilation) + b), [x, w, b])


def test_conv_reads_inputs_of_any_strides(lowering):
    # views as models meet them: a channel axis added by x[..., None] (stride 0), channels moved
    # last by a transpose, every other image and column of a batch
    images = rng.standard_normal((6, 9, 16)).astype(np.float32)
    planes = rng.standard_normal((4, 3, 9, 10)).astype(np.float32)
    for x in (images[..., None], planes.transpose(0, 2, 3, 1), images[::2, :, ::2, None]):
        w = rng.standard_normal((3, 3, x.shape[3], 4)).astype(np.float32)
        b = rng.standard_normal(4).astype(np.float32)
        for padding in ("valid", "same"):
            y = ops.conv_bias_activation(x, w, b, padding=padding, activation="relu").numpy()
            expected = ops.conv_bias_activation(x.copy(), w, b, padding=padding, activation="relu")
            np.testing.assert_allclose(y, expected.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("pool", [None, "max", "average"])
def test_inference_lowers_a_few_images_at_a_time_with_the_same_bits(monkeypatch, engine, pool):
    """Without a backward pass to keep the patches for, a large batch is lowered a few images at a
    time (bounded memory): the outputs are the same bits as one lowering of the whole batch."""
    from striate.autodiff import no_grad
    conv_module = importlib.import_module("striate.ops.conv")  # the module, not ops.conv the function
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 12, 12, 4)).astype("float32")
    w = rng.standard_normal((3, 3, 4, 16)).astype("float32")
    b = rng.standard_normal(16).astype("float32")
    kwargs = {"max_pool": (2, 2)} if pool == "max" else {"average_pool": (2, 2)} if pool == "average" else {}

    def run():
        with no_grad():
            return conv_module.Conv((1, 1), (1, 1), ((1, 1), (1, 1)), activation="relu", **kwargs)(x, w, b).numpy()
    whole = run()
    monkeypatch.setattr(conv_module, "INFERENCE_PATCHES", 1)  # two images at a time
    np.testing.assert_array_equal(run(), whole)
