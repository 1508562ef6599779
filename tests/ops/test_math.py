"""Element-wise ops, reductions, shape ops and matmul through the shared harness."""
import numpy as np
import pytest
import torch

from opcheck import check_op
from striate import ops

rng = np.random.default_rng(0)


def r(*shape):
    return rng.standard_normal(shape)


def pos(*shape):
    return rng.uniform(0.5, 2.0, shape)


BINARY = [
    (ops.add, torch.add), (ops.subtract, torch.sub), (ops.multiply, torch.mul),
    (ops.divide, torch.div), (ops.maximum, torch.maximum), (ops.minimum, torch.minimum),
]
# broadcasting edge cases: equal, scalar-like, size-1 axes on either side, rank mismatch
SHAPES = [((3, 4), (3, 4)), ((3, 4), (1,)), ((2, 1, 4), (3, 1)), ((1, 5), (4, 1)), ((), (2, 3)), ((4,), (2, 3, 4))]


@pytest.mark.parametrize("op,ref", BINARY, ids=[o.__name__ for o, _ in BINARY])
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_binary(op, ref, sa, sb):
    b = pos(*sb) if op is ops.divide else r(*sb)
    check_op(op, ref, [r(*sa), b])


@pytest.mark.parametrize("sa,sb", [((3, 4), (3, 4)), ((2, 3), (1, 3))])
def test_power(sa, sb):
    check_op(ops.power, torch.pow, [pos(*sa), r(*sb)])
    check_op(lambda x: ops.power(x, 3), lambda x: torch.pow(x, 3), [r(*sa)])


UNARY = [
    (ops.negative, torch.neg, r), (ops.square, torch.square, r), (ops.sqrt, torch.sqrt, pos),
    (ops.exp, torch.exp, r), (ops.log, torch.log, pos), (ops.abs, torch.abs, r),
    (lambda x: ops.clip(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), r),
]


@pytest.mark.parametrize("op,ref,gen", UNARY)
@pytest.mark.parametrize("shape", [(5,), (2, 3, 1), (1,)])
def test_unary(op, ref, gen, shape):
    check_op(op, ref, [gen(*shape)])


def test_where():
    cond = rng.random((3, 4)) > 0.5
    check_op(lambda a, b: ops.where(cond, a, b), lambda a, b: torch.where(torch.from_numpy(cond), a, b),
             [r(3, 4), r(1, 4)])


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, True)])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
def test_reductions(name, axis, keepdims):
    tref = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax, "min": torch.amin}[name]

    def ref(x):
        if axis is None:
            out = tref(x) if name in ("sum", "mean") else tref(x, dim=(0, 1, 2))
            return out.reshape((1, 1, 1)) if keepdims else out
        return tref(x, dim=axis, keepdim=keepdims)
    # NOTE: shifted away from zero: a float32 sum of terms that nearly cancel is off by more than
    # 1e-5 of itself however it is added up, in striate and PyTorch alike
    check_op(lambda x: getattr(ops, name)(x, axis=axis, keepdims=keepdims), ref, [r(3, 4, 5) + 1.0])


def test_argmax_and_one_hot():
    x = r(4, 6)
    assert (ops.convert_to_numpy(ops.argmax(x, axis=1)) == x.argmax(1)).all()
    oh = ops.convert_to_numpy(ops.one_hot(np.array([0, 2, 1]), 3))
    assert oh.dtype == np.float32 and (oh == np.eye(3)[[0, 2, 1]]).all()


@pytest.mark.parametrize("sa,sb", [((4, 3), (3, 5)), ((2, 4, 3), (3, 5)), ((2, 1, 4, 3), (3, 3, 2)),
                                   ((3,), (3, 4)), ((4, 3), (3,)), ((3,), (3,))])
def test_matmul(sa, sb):
    check_op(ops.matmul, torch.matmul, [r(*sa), r(*sb)])


def test_shape_ops():
    check_op(lambda x: ops.reshape(x, (4, -1)), lambda x: x.reshape(4, -1), [r(2, 3, 4)])
    check_op(lambda x: ops.transpose(x, (2, 0, 1)), lambda x: x.permute(2, 0, 1), [r(2, 3, 4)])
    check_op(lambda x: ops.transpose(x), lambda x: x.permute(2, 1, 0), [r(2, 3, 4)])
    check_op(lambda x: ops.expand_dims(x, 1), lambda x: x.unsqueeze(1), [r(2, 3)])
    check_op(lambda x: ops.squeeze(x, 1), lambda x: x.squeeze(1), [r(2, 1, 3)])
    check_op(lambda a, b: ops.concatenate([a, b], axis=1), lambda a, b: torch.cat([a, b], 1), [r(2, 3), r(2, 4)])
    check_op(lambda a, b: ops.stack([a, b], axis=1), lambda a, b: torch.stack([a, b], 1), [r(2, 3), r(2, 3)])
    check_op(lambda x: ops.pad(x, ((0, 0), (1, 2), (2, 1))),
             lambda x: torch.nn.functional.pad(x, (2, 1, 1, 2)), [r(2, 3, 4)])


@pytest.mark.parametrize("index", [(slice(1, 3),), (slice(None), 0), (Ellipsis, slice(None, None, 2)),
                                   (np.array([0, 2, 0]),), (slice(None), None, 1)])
def test_getitem(index):
    check_op(lambda x: x[index], lambda x: x[index if not isinstance(index[0], np.ndarray)
                                             else (torch.from_numpy(index[0]),)], [r(3, 4, 5)])


@pytest.mark.parametrize("call,match", [
    (lambda: ops.matmul(np.ones((2, 3)), np.ones((4, 5))), r"matmul: shapes \(2, 3\) and \(4, 5\)"),
    (lambda: ops.add(np.ones((2, 3)), np.ones((4, 3))), r"add: shapes \(2, 3\) and \(4, 3\) cannot be broadcast"),
    (lambda: ops.concatenate([np.ones((2, 3)), np.ones((3, 4))], axis=0), r"concatenate: .*\(2, 3\), \(3, 4\)"),
    (lambda: ops.reshape(np.ones((2, 3)), (4, 2)), r"reshape: cannot reshape .*\(2, 3\).* into \(4, 2\)"),
])
def test_shape_errors_name_op_and_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("activation", [None, "relu", "tanh"])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4)])
def test_fused_dense(activation, shape):
    act = {None: lambda y: y, "relu": torch.relu, "tanh": torch.tanh}[activation]
    check_op(lambda x, w, b: ops.dense(x, w, b, activation=activation),
             lambda x, w, b: act(torch.matmul(x, w) + b), [r(*shape), r(4, 3), r(3)])
    check_op(lambda x, w: ops.dense(x, w), torch.matmul, [r(*shape), r(4, 3)])
