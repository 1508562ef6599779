"""max_pool and average_pool against PyTorch, TensorFlow's "same" padding done explicitly there."""
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


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _tf_pads(sizes, pool, strides, padding):
    """F.pad amounts (left, right, top, bottom) for TensorFlow's padding rule."""
    pads = []
    for n, p, s in zip(sizes, pool, strides):
        total = max((math.ceil(n / s) - 1) * s + p - n, 0) if padding == "same" else 0
        pads.append((total // 2, total - total // 2))
    return pads[1] + pads[0]


def torch_max_pool(x, pool, strides, padding):
    pool, strides = _pair(pool), _pair(strides or pool)
    x = F.pad(x.permute(0, 3, 1, 2), _tf_pads(x.shape[1:3], pool, strides, padding), value=-math.inf)
    return F.max_pool2d(x, pool, strides).permute(0, 2, 3, 1)


def torch_average_pool(x, pool, strides, padding):
    """Sum over each window divided by the number of real (unpadded) pixels in it, as TensorFlow."""
    pool, strides = _pair(pool), _pair(strides or pool)
    pads = _tf_pads(x.shape[1:3], pool, strides, padding)
    x = x.permute(0, 3, 1, 2)
    total = F.avg_pool2d(F.pad(x, pads), pool, strides, divisor_override=1)
    count = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), pads), pool, strides, divisor_override=1)
    return (total / count).permute(0, 2, 3, 1)


POOL_CASES = [  # batch, (h, w), channels, pool, strides, padding
    (1, (8, 6), 3, 2, None, "valid"),        # blocks
    (3, (7, 9), 2, 2, None, "valid"),        # blocks, odd sizes: the last row and column are cropped
    (2, (9, 7), 2, 4, None, "valid"),
    (2, (7, 9), 3, 3, 2, "valid"),           # overlapping windows
    (2, (7, 9), 2, 2, 1, "valid"),
    (2, (9, 8), 2, 4, 3, "valid"),
    (2, (7, 8), 2, 3, None, "same"),         # blocks with padding
    (2, (7, 9), 2, 2, None, "same"),
    (2, (7, 9), 2, 4, 2, "same"),
    (2, (6, 7), 3, (2, 3), (1, 2), "same"),
    (2, (7, 9), 16, 2, None, "valid"),       # channels enough for the compiled kernels
    (2, (8, 7), 17, (2, 3), None, "same"),
]


@pytest.mark.parametrize("n,hw,c,pool,strides,padding", POOL_CASES)
def test_max_pool(n, hw, c, pool, strides, padding):
    x = rng.standard_normal((n, *hw, c))
    check_op(lambda x: ops.max_pool(x, pool, strides, padding),
             lambda x: torch_max_pool(x, pool, strides, padding), [x])


@pytest.mark.parametrize("n,hw,c,pool,strides,padding", POOL_CASES)
def test_max_pool_relu(n, hw, c, pool, strides, padding):
    x = rng.standard_normal((n, *hw, c))
    check_op(lambda x: max_pool_relu(x, pool, strides, padding),
             lambda x: F.relu(torch_max_pool(x, pool, strides, padding)), [x])


@pytest.mark.parametrize("channels", [3, 16])
@pytest.mark.parametrize("pool,strides", [(2, None), (3, 2)])
def test_max_pool_relu_is_relu_then_max_pool_on_ties_negatives_and_nan(pool, strides, channels):
    # whole windows of zeros or of negatives: both orders route no gradient there
    x = rng.integers(-3, 2, size=(2, 9, 8, channels)).astype(np.float32)
    x[:, :4, :4] = -1.0
    x[1, 5, 5, 1] = np.nan
    fused, plain = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    y, expected = max_pool_relu(fused, pool, strides), ops.max_pool(ops.relu(plain), pool, strides)
    np.testing.assert_array_equal(y.numpy(), expected.numpy())
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(g)
    expected.backward(g)
    np.testing.assert_array_equal(fused.grad, plain.grad)


@pytest.mark.parametrize("n,hw,c,pool,strides,padding", POOL_CASES)
def test_average_pool(n, hw, c, pool, strides, padding):
    x = rng.standard_normal((n, *hw, c))
    check_op(lambda x: ops.average_pool(x, pool, strides, padding),
             lambda x: torch_average_pool(x, pool, strides, padding), [x])


@pytest.mark.parametrize("channels", [3, 16])
@pytest.mark.parametrize("pool,strides", [(2, None), (3, 2), (4, None)])
def test_max_pool_sends_a_tied_window_gradient_once_to_the_first_maximum(pool, strides, channels):
    # After a ReLU many windows are all zeros: PyTorch routes the gradient to the first one.
    x = np.maximum(rng.integers(-3, 2, size=(2, 9, 8, channels)), 0).astype(np.float32)
    t = Tensor(x, requires_grad=True)
    y = ops.max_pool(t, pool, strides)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    torch_max_pool(xt, pool, strides, "valid").backward(torch.from_numpy(g))
    # overlapping windows may add two gradients at one position in another order than torch
    np.testing.assert_allclose(t.grad, xt.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("channels", [5, 16])
@pytest.mark.parametrize("pool", [2, 3])
def test_max_pool_with_a_few_tied_windows(pool, channels):
    # A few ties among distinct values (the usual case in real data) take the path that visits
    # only the tied windows; the rest keep their single maximum.
    x = rng.standard_normal((3, 12, 12, channels)).astype(np.float32)
    x[0, 0, 1, 2] = x[0, 0, 0, 2] = 9.0        # two maxima in one window, same row
    x[1, 4, 3, 0] = x[1, 3, 5, 0] = 9.0 if pool == 3 else x[1, 4, 3, 0]
    x[2, 7, 7, 4] = x[2, 6, 7, 4] = x[2, 7, 6, 4] = 9.0  # three, across rows
    t = Tensor(x, requires_grad=True)
    y = ops.max_pool(t, pool)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    torch_max_pool(xt, pool, None, "valid").backward(torch.from_numpy(g))
    np.testing.assert_array_equal(t.grad, xt.grad.numpy())


@pytest.mark.parametrize("channels", [3, 16])
def test_max_pool_passes_nan_on(channels):
    x = rng.standard_normal((2, 4, 4, channels)).astype(np.float32)
    x[0, 1, 1, 2] = x[1, 2, 3, 0] = np.nan
    y = ops.max_pool(x, 2).numpy()
    assert np.isnan(y[0, 0, 0, 2]) and np.isnan(y[1, 1, 1, 0]) and np.isnan(y).sum() == 2


def test_pool_1d_and_channels_first():
    x = rng.standard_normal((2, 11, 3))
    check_op(lambda x: ops.max_pool(x, 3, 2, "same"),
             lambda x: F.max_pool1d(F.pad(x.transpose(1, 2), (1, 1), value=-math.inf), 3, 2).transpose(1, 2), [x])
    x = rng.standard_normal((2, 3, 8, 6))
    check_op(lambda x: ops.average_pool(x, 2, data_format="channels_first"), lambda x: F.avg_pool2d(x, 2), [x])


def test_pool_keeps_float32():
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    for pool in (ops.max_pool, ops.average_pool):
        for strides, padding in ((None, "valid"), (1, "same")):
            assert pool(x, 2, strides, padding).dtype == np.float32


@pytest.mark.parametrize("call,message", [
    (lambda: ops.max_pool(np.zeros((8, 8)), 2), r"max_pool: expects inputs of rank 3 .*received shape \(8, 8\)"),
    (lambda: ops.average_pool(np.zeros((2, 3, 3, 1)), 4),
     r"average_pool: the window spans 4 pixels but the input has only 3 .*input shape \(2, 3, 3, 1\)"),
    (lambda: ops.max_pool(np.zeros((2, 8, 8, 1)), (2, 2, 2)), r"max_pool: pool_size must be an int >= 1 or 2 such"),
    (lambda: ops.max_pool(np.zeros((2, 8, 8, 1)), 2, padding="causal"), r"max_pool: padding must be 'valid' or 'same'"),
])
def test_errors_name_the_op_and_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()
