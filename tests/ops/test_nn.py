"""ops/nn.py: activations, cross-entropies, dropout and normalization against PyTorch and Keras."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from opcheck import check_op
from striate import backend, ops
from striate.autodiff import Tensor

EPS = 1e-7  # keras.config.epsilon()


def randn(*shape, scale=1.0):
    return np.random.standard_normal(shape) * scale  # conftest seeds np.random per test


def keras_value(x):
    """A keras.ops result (a torch tensor on this backend) as a NumPy array."""
    return x.detach().cpu().numpy()


def torch_grads(fn, arrays, w):
    """Forward and gradients of a hand-written torch expression, float64."""
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    y = fn(*ts)
    y.backward(torch.from_numpy(w))
    return y.detach().numpy(), [t.grad.numpy() if t.grad is not None else None for t in ts]


# -- activations ----------------------------------------------------------------------------
ACTIVATIONS = {
    "relu": (ops.relu, F.relu),
    "relu6": (ops.relu6, F.relu6),
    "leaky_relu": (ops.leaky_relu, lambda x: F.leaky_relu(x, 0.2)),
    "leaky_relu_0.01": (lambda x: ops.leaky_relu(x, negative_slope=0.01), lambda x: F.leaky_relu(x, 0.01)),
    "elu": (ops.elu, F.elu),
    "elu_0.5": (lambda x: ops.elu(x, alpha=0.5), lambda x: F.elu(x, alpha=0.5)),
    "selu": (ops.selu, F.selu),
    "gelu": (ops.gelu, lambda x: F.gelu(x, approximate="tanh")),
    "gelu_exact": (lambda x: ops.gelu(x, approximate=False), F.gelu),
    "softplus": (ops.softplus, F.softplus),
    "sigmoid": (ops.sigmoid, torch.sigmoid),
    "hard_sigmoid": (ops.hard_sigmoid, F.hardsigmoid),
    "tanh": (ops.tanh, torch.tanh),
    "silu": (ops.silu, F.silu),
    "softmax": (ops.softmax, lambda x: F.softmax(x, -1)),
    "log_softmax": (ops.log_softmax, lambda x: F.log_softmax(x, -1)),
}


@pytest.mark.parametrize("shape", [(1, 7), (5, 3, 4)])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_torch(name, shape):
    fn, torch_fn = ACTIVATIONS[name]
    check_op(fn, torch_fn, [randn(*shape, scale=3.0)])


@pytest.mark.parametrize("axis", [0, 1, -2, (1, 2)])
def test_softmax_and_log_softmax_along_other_axes(axis):
    x = randn(3, 4, 5, scale=2.0)
    dim = axis if isinstance(axis, int) else None
    if dim is None:  # torch has no multi-axis softmax: normalize over the flattened trailing axes
        check_op(lambda t: ops.softmax(t, axis=axis),
                 lambda t: F.softmax(t.reshape(3, -1), -1).reshape(3, 4, 5), [x])
        return
    check_op(lambda t: ops.softmax(t, axis=axis), lambda t: F.softmax(t, dim), [x])
    check_op(lambda t: ops.log_softmax(t, axis=axis), lambda t: F.log_softmax(t, dim), [x])


def test_activations_with_extreme_inputs_stay_finite_and_exact():
    x = np.array([[-100.0, -30.0, 0.5, 30.0, 100.0]], np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for name, (fn, torch_fn) in ACTIVATIONS.items():
            t = Tensor(x, requires_grad=True)
            y = fn(t)
            y.backward(np.ones_like(x))
            tt = torch.tensor(x, requires_grad=True)
            yt = torch_fn(tt)
            yt.backward(torch.ones_like(tt))
            assert y.dtype == np.float32 and t.grad.dtype == np.float32, name
            assert np.isfinite(y.numpy()).all() and np.isfinite(t.grad).all(), name
            np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6, err_msg=name)
            np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_activation_defaults_match_keras():
    keras = pytest.importorskip("keras")
    x = randn(4, 6, scale=4.0).astype(np.float32)
    for name in ("relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "softplus", "sigmoid",
                 "hard_sigmoid", "silu", "softmax", "log_softmax"):
        expected = keras_value(getattr(keras.ops, name)(x))
        np.testing.assert_allclose(getattr(ops, name)(x).numpy(), expected, rtol=1e-5, atol=1e-6, err_msg=name)
    expected = keras_value(keras.ops.gelu(x, approximate=False))
    np.testing.assert_allclose(ops.gelu(x, approximate=False).numpy(), expected, rtol=1e-6, atol=1e-6)


def test_exact_gelu_is_accurate_in_float64_far_into_the_tails():
    x = np.concatenate([np.linspace(-38, 38, 2001), [-1e-8, 0.0, 1e-8]])
    expected = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    got = ops.gelu(x, approximate=False).numpy()
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)


# -- losses ---------------------------------------------------------------------------------
def soft_targets(*shape, axis=-1):
    t = np.random.random(shape)
    return t / t.sum(axis, keepdims=True)


def probabilities(*shape):
    return np.random.uniform(0.05, 1.0, shape)  # unnormalized and away from the clip, as in Keras tests


def torch_cce_probs(t, o, axis=-1):
    o = o / o.sum(axis, keepdim=True)
    return -(t * torch.log(torch.clamp(o, EPS, 1 - EPS))).sum(axis)


def torch_sparse(labels, o, axis, from_logits):
    idx = labels.long().unsqueeze(axis)
    if from_logits:
        return -torch.gather(F.log_softmax(o, axis), axis, idx).squeeze(axis)
    p = torch.gather(o / o.sum(axis, keepdim=True), axis, idx).squeeze(axis)
    return -torch.log(torch.clamp(p, EPS, 1 - EPS))


def torch_bce_probs(t, o):
    o = torch.clamp(o, EPS, 1 - EPS)
    return -(t * torch.log(o) + (1 - t) * torch.log(1 - o))


@pytest.mark.parametrize("shape, axis", [((1, 4), -1), ((5, 3), -1), ((2, 3, 4), 1)])
def test_categorical_crossentropy_from_logits(shape, axis):
    check_op(lambda t, o: ops.categorical_crossentropy(t, o, from_logits=True, axis=axis),
             lambda t, o: -(t * F.log_softmax(o, axis)).sum(axis),
             [soft_targets(*shape, axis=axis), randn(*shape, scale=2.0)])


@pytest.mark.parametrize("shape, axis", [((1, 4), -1), ((5, 3), -1), ((2, 3, 4), 1)])
def test_categorical_crossentropy_from_probabilities(shape, axis):
    check_op(lambda t, o: ops.categorical_crossentropy(t, o, axis=axis),
             lambda t, o: torch_cce_probs(t, o, axis),
             [soft_targets(*shape, axis=axis), probabilities(*shape)])


@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("shape, axis", [((1, 4), -1), ((5, 3), -1), ((5,), -1), ((2, 3, 4), 1)])
def test_sparse_categorical_crossentropy(shape, axis, from_logits):
    classes = shape[axis]
    labels = np.random.randint(0, classes, shape[:axis % len(shape)] + shape[axis % len(shape) + 1:])
    output = randn(*shape, scale=2.0) if from_logits else probabilities(*shape)
    check_op(lambda t, o: ops.sparse_categorical_crossentropy(t, o, from_logits=from_logits, axis=axis),
             lambda t, o: torch_sparse(t, o, axis, from_logits), [labels, output], diff=[1])


def test_sparse_from_logits_equals_torch_cross_entropy_and_accepts_label_forms():
    logits = randn(6, 5).astype(np.float32)
    labels = np.random.randint(0, 5, 6)
    expected = F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(labels), reduction="none").numpy()
    for form in (labels, labels.astype(np.int32), labels.astype(np.float32), labels[:, None], Tensor(labels)):
        got = ops.sparse_categorical_crossentropy(form, logits, from_logits=True)
        assert got.dtype == np.float32 and got.shape == (6,)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("shape", [(1, 3), (5, 2, 3)])
@pytest.mark.parametrize("from_logits", [True, False])
def test_binary_crossentropy(shape, from_logits):
    target = np.random.random(shape)
    if from_logits:
        check_op(lambda t, o: ops.binary_crossentropy(t, o, from_logits=True),
                 lambda t, o: F.binary_cross_entropy_with_logits(o, t, reduction="none"),
                 [target, randn(*shape, scale=3.0)])
    else:
        check_op(ops.binary_crossentropy, torch_bce_probs, [target, np.random.uniform(0.02, 0.98, shape)])


def test_losses_with_clipped_probabilities_match_torch_gradients():
    # probabilities at and beyond the clip: the clip's mask and the normalization both shape the gradient
    o = np.array([[1e-12, 0.3, 0.7], [1.0, 1e-9, 1e-10], [0.2, 0.0, 0.8]])
    t = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    labels = np.array([0, 0, 1])
    w = randn(3)
    cases = [
        (lambda t, o: ops.categorical_crossentropy(t, o), torch_cce_probs, [t, o], w),
        (lambda l, o: ops.sparse_categorical_crossentropy(l, o), lambda l, o: torch_sparse(l, o, -1, False),
         [labels, o], w),
        (ops.binary_crossentropy, torch_bce_probs, [t, o], randn(3, 3)),
    ]
    for fn, torch_fn, arrays, w in cases:
        expected, expected_grads = torch_grads(torch_fn, arrays, w)
        ts = [Tensor(a, requires_grad=True) if a.dtype.kind == "f" else a for a in arrays]
        y = fn(*ts)
        y.backward(w)
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-8)  # log1p(-p) vs log(1 - p)
        for t_, g in zip(ts, expected_grads):
            if g is not None:
                np.testing.assert_allclose(t_.grad, g, rtol=1e-10, atol=1e-12)


def test_losses_match_keras_ops():
    keras = pytest.importorskip("keras")
    o = np.array([[1e-12, 0.3, 1.4], [2.0, 1e-9, 1e-10], [0.2, 0.0, 0.8]], np.float32)
    logits = randn(3, 3, scale=5.0).astype(np.float32)
    t = np.eye(3, dtype=np.float32)[[0, 0, 1]]
    labels = np.array([0, 0, 1])
    for out, from_logits in ((o, False), (logits, True)):
        for name, target in (("categorical_crossentropy", t), ("sparse_categorical_crossentropy", labels)):
            expected = keras_value(getattr(keras.ops, name)(target, out, from_logits=from_logits))
            got = getattr(ops, name)(target, out, from_logits=from_logits).numpy()
            np.testing.assert_allclose(got, expected, rtol=1e-6, err_msg=f"{name} from_logits={from_logits}")
    bce_out = np.clip(o, 0, 1)
    for out, from_logits in ((bce_out, False), (logits, True)):
        expected = keras_value(keras.ops.binary_crossentropy(t, out, from_logits=from_logits))
        got = ops.binary_crossentropy(t, out, from_logits=from_logits).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_losses_from_extreme_logits_stay_finite_and_exact():
    logits = np.array([[100.0, -100.0, 0.0], [-100.0, 100.0, 100.0]], np.float32)
    labels = np.array([1, 0])
    target = np.eye(3, dtype=np.float32)[labels]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        cases = [
            (lambda o: ops.sparse_categorical_crossentropy(labels, o, from_logits=True), [200.0, 200.0 + np.log(2)]),
            (lambda o: ops.categorical_crossentropy(target, o, from_logits=True), [200.0, 200.0 + np.log(2)]),
            (lambda o: ops.binary_crossentropy(target, o, from_logits=True), None),
        ]
        for fn, expected in cases:
            o = Tensor(logits, requires_grad=True)
            y = fn(o)
            y.sum().backward()
            assert np.isfinite(y.numpy()).all() and np.isfinite(o.grad).all()
            if expected is not None:
                np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
                np.testing.assert_allclose(o.grad, F.softmax(torch.from_numpy(logits), -1).numpy() - target,
                                           atol=1e-6)
    bce = ops.binary_crossentropy(target, logits, from_logits=True).numpy()
    np.testing.assert_allclose(bce, F.binary_cross_entropy_with_logits(
        torch.from_numpy(logits), torch.from_numpy(target), reduction="none").numpy(), rtol=1e-6)


def test_integer_one_hot_targets_give_float32_losses():
    out = np.random.uniform(0.1, 1, (4, 3)).astype(np.float32)
    t = np.eye(3, dtype=np.int64)[[0, 1, 2, 0]]
    assert ops.categorical_crossentropy(t, out).dtype == np.float32
    assert ops.binary_crossentropy(t, out).dtype == np.float32


def test_loss_errors_name_the_op_and_shapes():
    out = np.zeros((32, 10), np.float32)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: target shape \(32, 10\) does not fit "
                       r"output shape \(32, 10\): sparse targets hold one integer class per sample "
                       r"\(shape \(32,\)\); for one-hot targets use categorical_crossentropy"):
        ops.sparse_categorical_crossentropy(np.zeros((32, 10)), out)
    with pytest.raises(ValueError, match=r"target shape \(31,\) does not fit output shape \(32, 10\)"):
        ops.sparse_categorical_crossentropy(np.zeros(31, int), out)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: label 10 is out of range for 10 classes"):
        ops.sparse_categorical_crossentropy(np.full(32, 10), out)
    with pytest.raises(ValueError, match=r"label -1 is out of range for 10 classes"):
        ops.sparse_categorical_crossentropy(np.full(32, -1), out)
    with pytest.raises(ValueError, match=r"integer class ids, received 2.5"):
        ops.sparse_categorical_crossentropy(np.full(32, 2.5), out)
    with pytest.raises(ValueError, match=r"categorical_crossentropy: target shape \(32,\) does not fit output "
                       r"shape \(32, 10\).*use sparse_categorical_crossentropy"):
        ops.categorical_crossentropy(np.zeros(32), out)
    with pytest.raises(ValueError, match=r"binary_crossentropy: target shape \(32,\) does not fit output "
                       r"shape \(32, 1\)"):
        ops.binary_crossentropy(np.zeros(32), np.zeros((32, 1), np.float32))


# -- dropout --------------------------------------------------------------------------------
def test_dropout_statistics():
    x = np.ones((200, 500), np.float32)
    y = ops.dropout(x, 0.3).numpy()
    assert y.dtype == np.float32
    assert abs((y == 0).mean() - 0.3) < 0.01
    assert abs(y.mean() - 1.0) < 0.01
    np.testing.assert_array_equal(np.unique(y), np.array([0.0, 1 / 0.7], np.float32))


def test_dropout_is_repeatable_with_a_seed_and_draws_from_the_backend_rng_without():
    x = np.ones((8, 16), np.float32)
    a, b = ops.dropout(x, 0.5, seed=7).numpy(), ops.dropout(x, 0.5, seed=7).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, ops.dropout(x, 0.5, seed=8).numpy())
    backend.set_seed(3)
    c = ops.dropout(x, 0.5).numpy()
    assert not np.array_equal(c, ops.dropout(x, 0.5).numpy())  # the generator moved on
    backend.set_seed(3)
    np.testing.assert_array_equal(c, ops.dropout(x, 0.5).numpy())


def test_dropout_gradient_is_the_scaled_mask():
    x = randn(5, 6) + 5.0
    mask = ops.dropout(np.ones((5, 6), np.float32), 0.4, seed=1).numpy()
    check_op(lambda t: ops.dropout(t, 0.4, seed=1), lambda t: t * torch.from_numpy(mask), [x])
    t = Tensor(x.astype(np.float32), requires_grad=True)
    w = randn(5, 6).astype(np.float32)
    ops.dropout(t, 0.4, seed=1).backward(w)
    np.testing.assert_array_equal(t.grad, w * mask)
    # a broadcast mask (noise_shape): the gradient is the mask broadcast back to the input
    mask = ops.dropout(np.ones((5, 1, 3), np.float32), 0.5, seed=2).numpy()
    check_op(lambda t: ops.dropout(t, 0.5, noise_shape=(5, 1, 3), seed=2), lambda t: t * torch.from_numpy(mask),
             [randn(5, 4, 3)])


def test_dropout_noise_shape_drops_whole_feature_maps():
    x = np.ones((4, 5, 5, 8), np.float32)
    for noise_shape in ((4, 1, 1, 8), (None, 1, 1, None)):
        y = ops.dropout(x, 0.5, noise_shape=noise_shape, seed=2).numpy()
        assert (y == y[:, :1, :1, :]).all()
        assert 0 < (y == 0).mean() < 1


def test_dropout_edge_rates_and_errors():
    x = randn(3, 4).astype(np.float32)
    np.testing.assert_array_equal(ops.dropout(x, 0.0).numpy(), x)
    np.testing.assert_array_equal(ops.dropout(x, 1.0).numpy(), np.zeros_like(x))
    with pytest.raises(ValueError, match=r"dropout: rate must be in \[0, 1\], received 1.5"):
        ops.dropout(x, 1.5)
    with pytest.raises(ValueError, match=r"noise_shape \(3, 2\) does not broadcast to the input shape \(3, 4\)"):
        ops.dropout(x, 0.5, noise_shape=(3, 2))


# -- normalization --------------------------------------------------------------------------
@pytest.mark.parametrize("axes, keepdims", [((0,), False), ((0, 1, 2), False), ([0, 2], True)])
def test_moments(axes, keepdims):
    x = randn(5, 3, 4, 2) + 1.5
    dims = tuple(axes)
    check_op(lambda t: ops.moments(t, axes, keepdims)[0], lambda t: t.mean(dims, keepdim=keepdims), [x])
    check_op(lambda t: ops.moments(t, axes, keepdims)[1],
             lambda t: t.var(dims, correction=0, keepdim=keepdims), [x])


def torch_bn(x, m, v, b, g, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    return (x - m.reshape(shape)) / torch.sqrt(v.reshape(shape) + 1e-3) * g.reshape(shape) + b.reshape(shape)


@pytest.mark.parametrize("shape, axis", [((1, 3, 3, 4), -1), ((5, 2, 3, 4), -1), ((5, 4, 2, 3), 1)])
def test_batch_normalization(shape, axis):
    c = shape[axis]
    arrays = [randn(*shape), randn(c), np.random.uniform(0.5, 2.0, c), randn(c), randn(c)]
    check_op(lambda x, m, v, b, g: ops.batch_normalization(x, m, v, axis, offset=b, scale=g),
             lambda x, m, v, b, g: torch_bn(x, m, v, b, g, axis), arrays)


def test_batch_normalization_without_offset_and_scale():
    x, m, v = randn(4, 3), randn(3), np.random.uniform(0.5, 2.0, 3)
    check_op(lambda x, m, v: ops.batch_normalization(x, m, v, axis=-1, epsilon=1e-2),
             lambda x, m, v: (x - m) / torch.sqrt(v + 1e-2), [x, m, v])


def nhwc_batch_norm(x, g, b):
    return F.batch_norm(x.permute(0, 3, 1, 2), None, None, g, b, training=True, eps=1e-3).permute(0, 2, 3, 1)


@pytest.mark.parametrize("shape", [(1, 3, 3, 4), (5, 4, 3, 6)])
def test_batch_norm_train_matches_torch_nhwc(shape):
    c = shape[-1]
    check_op(lambda x, g, b: ops.batch_norm_train(x, g, b)[0], nhwc_batch_norm,
             [randn(*shape, scale=2.0) + 1.0, randn(c), randn(c)])


def test_batch_norm_train_without_gamma_beta_and_on_other_axes():
    check_op(lambda x: ops.batch_norm_train(x, None, None)[0],
             lambda x: F.batch_norm(x, None, None, training=True, eps=1e-3), [randn(5, 3)])
    check_op(lambda x, g: ops.batch_norm_train(x, g, None, axis=1)[0],
             lambda x, g: F.batch_norm(x, None, None, g, None, training=True, eps=1e-3), [randn(4, 3, 2, 2), randn(3)])
    check_op(lambda x, b: ops.batch_norm_train(x, None, b, axis=1, epsilon=1e-5)[0],
             lambda x, b: F.batch_norm(x, None, None, None, b, training=True, eps=1e-5), [randn(4, 3, 5), randn(3)])


def test_batch_norm_train_statistics_and_agreement_with_moments():
    x = (randn(6, 4, 4, 3, scale=2.0) + 3.0).astype(np.float32)
    g, b = Tensor(randn(3).astype(np.float32)), Tensor(randn(3).astype(np.float32))
    y, mean, var = ops.batch_norm_train(x, g, b)
    assert mean.shape == var.shape == (3,) and mean.dtype == var.dtype == y.dtype == np.float32
    assert not mean.requires_grad and not var.requires_grad
    np.testing.assert_allclose(mean.numpy(), x.mean((0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(var.numpy(), x.var((0, 1, 2)), rtol=1e-4)  # population variance
    m, v = ops.moments(x, (0, 1, 2))
    composite = ops.batch_normalization(x, m, v, axis=-1, offset=b, scale=g)
    np.testing.assert_allclose(y.numpy(), composite.numpy(), rtol=1e-4, atol=1e-5)


def test_normalization_errors_name_the_argument():
    x = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match=r"batch_norm_train: gamma has shape \(3,\), expected \(4,\)"):
        ops.batch_norm_train(x, np.ones(3, np.float32), None)
    with pytest.raises(ValueError, match=r"batch_normalization: variance has shape \(4,\), expected \(3,\)"):
        ops.batch_normalization(x, np.zeros(3), np.ones(4), axis=1)


# -- the fused softmax + cross-entropy path (taken when the loss sees a softmax's output) --------
@pytest.mark.parametrize("sparse", [True, False])
@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_cross_entropy_of_a_softmax_is_fused_and_exact(sparse, scale):
    """Same value and gradient as softmax followed by Keras's clipped cross-entropy (clip active at scale 30)."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 6, 5)
    target = labels if sparse else np.eye(6)[labels]
    loss = ops.sparse_categorical_crossentropy if sparse else ops.categorical_crossentropy

    def fused(z):
        return loss(target, ops.softmax(z), through_softmax=True)

    def torch_ref(z):
        p = torch.softmax(z, -1)
        q = torch.clamp(p / p.sum(-1, keepdim=True), 1e-7, 1 - 1e-7)
        t = torch.nn.functional.one_hot(torch.from_numpy(labels), 6).to(z.dtype)
        return -(t * torch.log(q)).sum(-1)
    z = rng.standard_normal((5, 6)) * scale
    from striate.autodiff import Tensor
    out = fused(Tensor(z.astype(np.float32), requires_grad=True))
    assert type(out._ctx).__name__ == "SoftmaxCrossEntropy"
    check_op(fused, torch_ref, [z], grad_tol=1e-4)
