"""ops/normalization.py: batch normalization's lowerings against the reference, PyTorch and float64."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from opcheck import check_op, rel_err

from striate import ops
from striate.backend import accel
from striate.ops import normalization as bn

rng = np.random.default_rng(7)  # not opcheck's seed 0: its cotangent would copy the inputs


def nhwc_batch_norm(x, g, b):
    return F.batch_norm(x.permute(0, 3, 1, 2), None, None, g, b, training=True, eps=1e-3).permute(0, 2, 3, 1)


def lowering_id(low):
    return "reference" if low is bn.REFERENCE else "numpy" if low.passes is bn.NUMPY_PASSES else "compiled"


def fast_lowerings():
    """The lowerings that are not the reference: NumPy's passes, and the compiled kernels where Numba is."""
    found = [bn.ChannelsLast(bn.NUMPY_PASSES)]
    if accel.kernels() is not None:
        found.append(bn.ChannelsLast(accel.kernels()))
    return found


@pytest.mark.parametrize("shape", [(2, 3, 5, 16), (3, 5, 5, 7), (4, 2, 2, 64), (5, 1)])
def test_batch_norm_train_matches_torch_on_channels_last(shape):
    c = shape[-1]
    if len(shape) == 4:
        check_op(lambda x, g, b: ops.batch_norm_train(x, g, b)[0], nhwc_batch_norm,
                 [rng.standard_normal(shape) * 2 + 1, rng.standard_normal(c), rng.standard_normal(c)])
    else:
        check_op(lambda x: ops.batch_norm_train(x, None, None)[0],
                 lambda x: F.batch_norm(x, None, None, training=True, eps=1e-3), [rng.standard_normal(shape)])


@pytest.mark.parametrize("lowering", fast_lowerings(), ids=lowering_id)
@pytest.mark.parametrize("shape", [(128, 8, 8, 16), (7, 5, 3, 24), (3, 4, 4, 256), (33, 1), (2, 3, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_fast_lowering_matches_reference_in_float32(lowering, shape, affine):
    c = shape[-1]
    x = (rng.standard_normal(shape) * rng.uniform(0.5, 3, c) + rng.uniform(-2, 2, c)).astype(np.float32)
    gy = rng.standard_normal(shape).astype(np.float32)
    gamma, beta = (rng.standard_normal((2, c)).astype(np.float32) if affine else (None, None))
    axis = len(shape) - 1
    want = bn.REFERENCE.forward(np, x, gamma, beta, axis, 1e-3)
    got = lowering.forward(np, x, gamma, beta, axis, 1e-3)
    for a, b in zip(got, want):
        assert a.dtype == np.float32 and a.shape == b.shape
        assert rel_err(a, b) < 1e-5
    want = bn.REFERENCE.backward(np, gy, x, gamma, *want[1:], axis, 1e-3)
    got = lowering.backward(np, gy, x, gamma, *got[1:], axis, 1e-3)
    for a, b in zip(got, want):
        assert a.dtype == np.float32 and a.shape == b.shape
        assert rel_err(a, b) < 1e-5


@pytest.mark.parametrize("lowering", fast_lowerings(), ids=lowering_id)
@pytest.mark.parametrize("shape", [(16, 4, 4, 16), (3, 5, 7)])
def test_fast_affine_matches_reference(lowering, shape):
    c, axis = shape[-1], len(shape) - 1
    x, gy = rng.standard_normal((2, *shape)).astype(np.float32)
    mean, a, b = rng.standard_normal((3, c)).astype(np.float32)
    got, want = lowering.affine(np, x, mean, a, b, axis), bn.REFERENCE.affine(np, x, mean, a, b, axis)
    assert got.dtype == np.float32 and rel_err(got, want) < 1e-6
    got = lowering.affine_backward(np, gy, x, mean, a, axis)
    want = bn.REFERENCE.affine_backward(np, gy, x, mean, a, axis)
    for g, w in zip(got, want):
        assert g.dtype == np.float32 and rel_err(g, w) < 1e-5
    assert lowering.affine_backward(np, gy, x, mean, a, axis, need_x=False)[0] is None


@pytest.mark.parametrize("lowering", [bn.REFERENCE] + fast_lowerings(), ids=lowering_id)
def test_backward_takes_any_gradient_layout_and_skips_the_input_gradient(lowering):
    x = rng.standard_normal((6, 4, 8)).astype(np.float32)
    gamma = rng.standard_normal(8).astype(np.float32)
    _, mean, var = lowering.forward(np, x, gamma, None, 2, 1e-3)
    gy_t = rng.standard_normal((8, 4, 6)).astype(np.float32).T  # transposed: not C-contiguous
    want = bn.REFERENCE.backward(np, np.ascontiguousarray(gy_t), x, gamma, mean, var, 2, 1e-3)
    got = lowering.backward(np, gy_t, x, gamma, mean, var, 2, 1e-3)
    for a, b in zip(got, want):
        assert a.dtype == np.float32 and rel_err(a, b) < 1e-5
    gx, ggamma, gbeta = lowering.backward(np, gy_t, x, gamma, mean, var, 2, 1e-3, need_x=False)
    assert gx is None and rel_err(ggamma, want[1]) < 1e-5 and rel_err(gbeta, want[2]) < 1e-5


@pytest.mark.parametrize("lowering", fast_lowerings(), ids=lowering_id)
def test_statistics_stay_accurate_over_many_rows_far_from_zero(lowering):
    # float32 sums over 131072 rows, or E[x^2] - E[x]^2 at mean 300 and std 0.5, lose most of the digits
    x = (300 + 0.5 * rng.standard_normal((131072, 16))).astype(np.float32)
    _, mean, var = lowering.forward(np, x, None, None, 1, 1e-3)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=0), rtol=1e-7)
    np.testing.assert_allclose(var, x64.var(axis=0), rtol=1e-5)


def test_lowering_for_picks_channels_last_only_where_it_serves():
    nhwc = np.zeros((4, 3, 3, 16), np.float32)
    assert bn.lowering_for(nhwc, axis=1) is bn.REFERENCE
    assert bn.lowering_for(nhwc.astype(np.float16), axis=3) is bn.REFERENCE
    assert bn.lowering_for(np.zeros((0, 16), np.float32), axis=1) is bn.REFERENCE
    assert bn.lowering_for(nhwc.astype(np.float64), axis=3).passes is bn.NUMPY_PASSES
    chosen = bn.lowering_for(nhwc, axis=3).passes
    assert chosen is (bn.NUMPY_PASSES if accel.kernels() is None else accel.kernels())


def test_gamma_and_beta_get_gradients_when_the_input_needs_none():
    x = rng.standard_normal((5, 4, 3)).astype(np.float32)
    g, b = (ops.convert_to_tensor(v) for v in rng.standard_normal((2, 3)).astype(np.float32))
    g.requires_grad = b.requires_grad = True
    y, _, _ = ops.batch_norm_train(x, g, b)
    y.backward(np.ones_like(x) * np.arange(3, dtype=np.float32))
    xhat = (x - x.mean((0, 1))) / np.sqrt(x.var((0, 1)) + 1e-3)
    np.testing.assert_allclose(b.grad, [0.0, 20.0, 40.0])
    np.testing.assert_allclose(g.grad, (xhat * np.arange(3)).sum((0, 1)), atol=1e-4)


@pytest.mark.parametrize("with_offset", [True, False])
def test_inference_normalization_matches_torch_with_far_statistics(with_offset):
    x = rng.standard_normal((3, 4, 4, 5)) * 2 + 10
    mean, var = rng.uniform(9, 11, 5), rng.uniform(0.5, 4, 5)
    offset, scale = rng.standard_normal(5), rng.standard_normal(5)
    if with_offset:
        check_op(lambda x, m, v, b, g: ops.batch_normalization(x, m, v, -1, offset=b, scale=g),
                 lambda x, m, v, b, g: (x - m) / torch.sqrt(v + 1e-3) * g + b, [x, mean, var, offset, scale])
    else:
        check_op(lambda x, m, v, g: ops.batch_normalization(x, m, v, -1, scale=g),
                 lambda x, m, v, g: (x - m) / torch.sqrt(v + 1e-3) * g, [x, mean, var, scale])


def relu_batch(shape):
    """A batch whose normalized values tie at the ReLU's edge: channel 0 constant (its output is beta,
    0 here), rows of zeros in the others."""
    c = shape[-1]
    x = (rng.standard_normal(shape) * rng.uniform(0.5, 3, c) + rng.uniform(-2, 2, c)).astype(np.float32)
    x[..., 0] = 1.5
    x[: len(x) // 2, ..., 1:] = 0
    gamma, beta, mean, a = rng.standard_normal((4, c)).astype(np.float32)
    beta[0] = 0
    return x, rng.standard_normal(shape).astype(np.float32), gamma, beta, mean, a


@pytest.mark.parametrize("lowering", fast_lowerings(), ids=lowering_id)
@pytest.mark.parametrize("shape", [(16, 6, 6, 16), (7, 5, 3, 24), (9, 3)])
def test_fused_relu_gives_the_bits_of_the_normalization_then_a_relu(lowering, shape):
    from striate.ops import linalg
    x, gy, gamma, beta, mean, a = relu_batch(shape)
    axis, fused = len(shape) - 1, bn.ChannelsLast(lowering.passes, relu=True)
    y, *stats = lowering.forward(np, x, gamma, beta, axis, 1e-3)
    got, *got_stats = fused.forward(np, x, gamma, beta, axis, 1e-3)
    relu = linalg.relu(np, y)
    assert (relu == 0).any() and (relu > 0).any()
    np.testing.assert_array_equal(got, relu)
    for s, t in zip(got_stats, stats):
        np.testing.assert_array_equal(s, t)
    g = linalg.relu_grad(np, gy, relu)
    want = lowering.backward(np, g, x, gamma, *stats, axis, 1e-3)
    for a_, b_ in zip(fused.backward(np, gy, x, gamma, *stats, axis, 1e-3, beta=beta), want):
        np.testing.assert_array_equal(a_, b_)
    assert fused.backward(np, gy, x, gamma, *stats, axis, 1e-3, need_x=False, beta=beta)[0] is None
    y = lowering.affine(np, x, mean, a, beta, axis)  # inference: given statistics
    relu = linalg.relu(np, y)
    np.testing.assert_array_equal(fused.affine(np, x, mean, a, beta, axis), relu)
    want = lowering.affine_backward(np, linalg.relu_grad(np, gy, relu), x, mean, a, axis)
    for a_, b_ in zip(fused.affine_backward(np, gy, x, mean, a, axis, b=beta), want):
        np.testing.assert_array_equal(a_, b_)


@pytest.mark.parametrize("axis", [-1, 1])  # channels last: the fast lowering; else the reference's composition
def test_ops_with_relu_match_the_normalization_then_the_relu_op(axis):
    x, gy, gamma, beta, mean, a = relu_batch((6, 4, 4, 8))
    x = np.moveaxis(x, -1, axis).copy()
    gy = np.moveaxis(gy, -1, axis).copy()
    var = np.abs(a) + 0.5

    def run(op, relu):
        args = [ops.convert_to_tensor(v) for v in (x, gamma, beta)]
        for t in args:
            t.requires_grad = True
        y = op(*args, relu)
        if not relu:
            y = ops.relu(y)
        y.backward(gy)
        return [y.numpy()] + [np.array(t.grad) for t in args]

    train = lambda x, g, b, relu: ops.batch_norm_train(x, g, b, axis, relu=relu)[0]  # noqa: E731
    infer = lambda x, g, b, relu: ops.batch_normalization(x, mean, var, axis, b, g, relu=relu)  # noqa: E731
    for op in (train, infer):
        got, want = run(op, True), run(op, False)
        assert (want[0] == 0).any() and (want[0] > 0).any()
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("relu", [False, True])
def test_passes_split_across_threads_give_the_unsplit_results(relu, request):
    """Inside fit BatchNorm's passes are split by rows across striate's threads; each part's statistics
    are merged in float64 and the gradient sums added, so the results are the unsplit ones to rounding."""
    rng = np.random.default_rng(5)
    x0 = rng.normal(2.0, 1.5, (8, 6, 6, 16)).astype(np.float32)
    g0 = rng.uniform(0.5, 1.5, 16).astype(np.float32)
    b0 = rng.normal(0, 0.3, 16).astype(np.float32)
    gy = rng.standard_normal(x0.shape).astype(np.float32)

    def run():
        x, g, b = (ops.convert_to_tensor(a) for a in (x0, g0, b0))
        for t in (x, g, b):
            t.requires_grad = True
        y, mean, var = ops.batch_norm_train(x, g, b, relu=relu)
        (y * gy).sum().backward()
        return [np.array(getattr(a, "data", a)) for a in (y, mean, var, x.grad, g.grad, b.grad)]

    whole = run()
    request.getfixturevalue("split_work")  # two threads, every op split however small
    split = run()
    for a, b in zip(split, whole):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5 * max(1.0, float(np.abs(b).max())))


class PassByPass:
    """The compiled kernels without their one-call forms: ``ChannelsLast`` then calls them pass by pass."""

    def __init__(self, kernels):
        self.kernels = kernels

    def __getattr__(self, name):
        if name in ("batch_norm_forward", "batch_norm_backward"):
            raise AttributeError(name)
        return getattr(self.kernels, name)


@pytest.fixture
def one_thread():
    """striate on one thread, as inside fit with ``set_num_threads(1)``: nothing split, under either engine."""
    from striate.backend import threads
    before = threads.get_num_threads()
    threads.set_num_threads(1)
    yield
    threads.set_num_threads(before)


@pytest.mark.parametrize("kernels", [low.passes for low in fast_lowerings()[1:]], ids=["compiled"])
@pytest.mark.parametrize("shape", [(16, 6, 6, 16), (7, 5, 3, 24), (4, 4, 4, 128), (9, 3)])
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("affine", [True, False])
def test_one_call_kernels_give_the_bits_of_the_passes_one_by_one(kernels, shape, relu, affine, one_thread):
    """Where one thread does the work, the compiled kernels make each direction in one call, with the
    per-channel arithmetic between the passes compiled too: the same bits as the passes called one by one."""
    x, gy, gamma, beta, _, _ = relu_batch(shape)
    if not affine:
        gamma = beta = None
    axis, offset = len(shape) - 1, ({"beta": beta} if relu else {})
    one_call = bn.ChannelsLast(kernels, relu=relu)
    by_pass = bn.ChannelsLast(PassByPass(kernels), relu=relu)
    rows = one_call.rows(x, shape[-1])
    assert one_call.in_one_call(rows, 3) and not by_pass.in_one_call(rows, 3)
    want = by_pass.forward(np, x, gamma, beta, axis, 1e-3)
    results = [(one_call.forward(np, x, gamma, beta, axis, 1e-3), want)]
    for need_x in (True, False):
        results.append([low.backward(np, gy, x, gamma, *want[1:], axis, 1e-3, need_x=need_x, **offset)
                        for low in (one_call, by_pass)])
    for got, expected in results:
        for a, b in zip(got, expected):
            assert (a is None) == (b is None)
            if b is not None:
                assert a.dtype == b.dtype
                np.testing.assert_array_equal(a, b)
