"""The breadth of keras.ops: element-wise math, reductions, shape and linear-algebra ops through the
shared harness (finite differences and PyTorch autograd), creation ops, comparisons and rounding
against Keras's own values and dtypes."""
import os
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from opcheck import check_op
from striate import backend, ops
from striate.autodiff import Tensor

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402

rng = np.random.default_rng(0)


def r(*shape):
    return rng.standard_normal(shape)


def u(lo, hi, *shape):
    return rng.uniform(lo, hi, shape)


def kval(x):
    """A keras.ops result (a torch tensor on this backend, or a number) as a NumPy array."""
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


# -- element-wise math ----------------------------------------------------------------------
def _torch_cbrt(x):
    return torch.sign(x) * torch.abs(x) ** (1 / 3)


UNARY = [  # (name, torch function, inputs inside the domain)
    ("sin", torch.sin, lambda s: r(*s)), ("cos", torch.cos, lambda s: r(*s)),
    ("tan", torch.tan, lambda s: u(-1.2, 1.2, *s)),
    ("arcsin", torch.asin, lambda s: u(-0.9, 0.9, *s)), ("arccos", torch.acos, lambda s: u(-0.9, 0.9, *s)),
    ("arctan", torch.atan, lambda s: r(*s) * 2), ("sinh", torch.sinh, lambda s: r(*s)),
    ("cosh", torch.cosh, lambda s: r(*s)), ("arcsinh", torch.asinh, lambda s: r(*s) * 2),
    ("arccosh", torch.acosh, lambda s: u(1.2, 4.0, *s)), ("arctanh", torch.atanh, lambda s: u(-0.9, 0.9, *s)),
    ("log1p", torch.log1p, lambda s: u(-0.5, 3.0, *s)), ("expm1", torch.expm1, lambda s: r(*s)),
    ("log2", torch.log2, lambda s: u(0.2, 5.0, *s)), ("log10", torch.log10, lambda s: u(0.2, 5.0, *s)),
    ("exp2", torch.exp2, lambda s: r(*s)), ("reciprocal", torch.reciprocal, lambda s: u(0.5, 2.0, *s)),
    ("rsqrt", torch.rsqrt, lambda s: u(0.5, 3.0, *s)),
    ("cbrt", _torch_cbrt, lambda s: u(0.3, 2.0, *s) * np.sign(r(*s))),
]


@pytest.mark.parametrize("name,ref,gen", UNARY, ids=[n for n, _, _ in UNARY])
@pytest.mark.parametrize("shape", [(7,), (2, 3, 4)])
def test_unary_matches_torch(name, ref, gen, shape):
    check_op(getattr(ops, name), ref, [gen(shape)])


def test_unary_of_integers_is_float_as_in_keras():
    for name in ("sin", "log1p", "sqrt", "rsqrt", "exp2"):
        if name == "sqrt":
            continue  # an existing op: its dtype rule is NumPy's
        y = getattr(ops, name)(np.array([1, 2, 3]))
        assert y.dtype == np.float32 == kval(getattr(keras.ops, name)(np.array([1, 2, 3]))).dtype, name


@pytest.mark.parametrize("sa,sb", [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((4,), ())])
def test_binary_matches_torch(sa, sb):
    check_op(ops.arctan2, torch.atan2, [r(*sa), r(*sb)])
    check_op(ops.logaddexp, torch.logaddexp, [r(*sa) * 3, r(*sb) * 3])
    # mod: away from the jumps (where a / b is an integer), where both sides agree it is smooth
    a, b = u(0.1, 0.9, *sa) + rng.integers(-3, 3, sa), u(1.0, 2.0, *sb)
    check_op(ops.mod, torch.remainder, [a * b, b])


def test_mod_and_floor_divide_follow_python_signs():
    assert ops.mod([5.0, -5.0, 5.0], [3.0, 3.0, -3.0]).numpy().tolist() == [2.0, 1.0, -1.0]
    y = ops.floor_divide(np.array([5, -5], "int32"), 2)
    assert y.numpy().tolist() == [2, -3] and y.dtype == np.int32 and not y.requires_grad
    x = Tensor([7.0, -7.0])
    assert (x // 2).numpy().tolist() == [3.0, -4.0] and (x % 2).numpy().tolist() == [1.0, 1.0]
    assert (7.0 % Tensor([4.0])).numpy().tolist() == [3.0]


def test_divide_no_nan_is_zero_where_the_divisor_is():
    b = np.array([[2.0, 0.0, -4.0], [0.0, 1.0, 3.0]])
    check_op(ops.divide_no_nan, lambda a, d: torch.where(d == 0, 0.0, a / torch.where(d == 0, 1.0, d)), [r(2, 3), b],
             diff=[0])
    y = ops.divide_no_nan(Tensor([1.0, 1.0], requires_grad=True), [0.0, 2.0])
    assert y.numpy().tolist() == [0.0, 0.5]


ROUNDING = ["sign", "floor", "ceil", "trunc", "round"]


@pytest.mark.parametrize("name", ROUNDING)
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_rounding_matches_keras_without_gradient(name, dtype):
    x = (np.array([-2.5, -1.5, -0.4, 0.0, 0.5, 1.5, 2.7]) * (1 if dtype == "float32" else 2)).astype(dtype)
    y = getattr(ops, name)(Tensor(x, requires_grad=dtype == "float32"))
    expected = kval(getattr(keras.ops, name)(x))
    assert y.dtype == expected.dtype and not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), expected)
    assert ops.round([1.234, 5.678], decimals=1).numpy().tolist() == pytest.approx([1.2, 5.7])


# -- reductions -----------------------------------------------------------------------------
@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), ((0, 2), True), (-1, True)])
def test_prod_matches_torch(axis, keepdims):
    def ref(x):
        dims = range(x.ndim) if axis is None else ((axis,) if isinstance(axis, int) else axis)
        for d in sorted((d % x.ndim for d in dims), reverse=True):
            x = torch.prod(x, dim=d, keepdim=keepdims)
        return x
    x = u(0.5, 1.5, 2, 3, 4) * np.sign(r(2, 3, 4))
    check_op(lambda t: ops.prod(t, axis=axis, keepdims=keepdims), ref, [x])


def test_prod_gradient_is_exact_at_zeros():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 4.0, 0.0], [1.0, 2.0, 3.0]])
    t = Tensor(x, requires_grad=True)
    ops.prod(t, axis=1).sum().backward()
    tt = torch.tensor(x, requires_grad=True)
    torch.prod(tt, dim=1).sum().backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy())


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumulative_ops_match_torch(axis):
    def ref(fn):
        return lambda x: fn(x.reshape(-1), 0) if axis is None else fn(x, axis)
    check_op(lambda x: ops.cumsum(x, axis), ref(torch.cumsum), [r(3, 4, 2)])
    check_op(lambda x: ops.cumprod(x, axis), ref(torch.cumprod), [u(0.5, 1.5, 3, 4, 2) * np.sign(r(3, 4, 2))])


def test_cumprod_gradient_is_exact_at_zeros():
    x = np.array([[2.0, 0.0, 3.0, 0.0, 5.0], [1.0, 2.0, 0.0, 4.0, 2.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
    w = rng.standard_normal(x.shape)
    t = Tensor(x, requires_grad=True)
    ops.cumprod(t, axis=1).backward(w)
    tt = torch.tensor(x, requires_grad=True)
    torch.cumprod(tt, dim=1).backward(torch.from_numpy(w))
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-12)


def test_cumsum_of_booleans_counts_in_int32():
    y = ops.cumsum(np.array([True, False, True]))
    assert y.numpy().tolist() == [1, 1, 2] and y.dtype == np.int32


@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), ((0, 2), True)])
def test_logsumexp_std_var_match_torch(axis, keepdims):
    dim = tuple(range(3)) if axis is None else axis
    check_op(lambda x: ops.logsumexp(x, axis, keepdims), lambda x: torch.logsumexp(x, dim, keepdims), [r(2, 3, 4) * 5])
    check_op(lambda x: ops.var(x, axis, keepdims), lambda x: torch.var(x, dim, unbiased=False, keepdim=keepdims),
             [r(2, 3, 4) + 1])
    check_op(lambda x: ops.std(x, axis, keepdims), lambda x: torch.std(x, dim, unbiased=False, keepdim=keepdims),
             [r(2, 3, 4) + 1])


def test_logsumexp_survives_huge_and_minus_infinite_inputs():
    assert ops.logsumexp([1000.0, 1000.0]).numpy() == pytest.approx(1000 + np.log(2))
    assert ops.logsumexp([-np.inf, -np.inf]).numpy() == -np.inf


NORMS = [  # (ord, axis, input shape)
    (None, None, (3, 4, 2)), (None, 1, (3, 4)), (2, 0, (5,)), (1, -1, (3, 4)), (np.inf, 1, (3, 4)),
    (-np.inf, 1, (3, 4)), (3, 1, (3, 4)), (0.5, 0, (4, 3)), ("fro", (0, 1), (3, 4)), (1, (0, 1), (3, 4)),
    (-1, (1, 2), (2, 3, 4)), (np.inf, None, (3, 4)), (-np.inf, (0, 1), (3, 4)),
]


@pytest.mark.parametrize("ord,axis,shape", NORMS)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_matches_torch(ord, axis, shape, keepdims):
    def ref(x):
        if axis is None and ord is None:
            return torch.linalg.vector_norm(x, keepdim=keepdims)
        return torch.linalg.norm(x, ord=ord, dim=axis, keepdim=keepdims)
    check_op(lambda x: ops.norm(x, ord, axis, keepdims), ref, [r(*shape)])


def test_norm_of_zeros_has_zero_gradient_and_norm_counts_nonzeros():
    t = Tensor(np.zeros((2, 3)), requires_grad=True)
    ops.norm(t, axis=1).sum().backward()
    assert np.all(t.grad == 0)
    assert ops.norm([0.0, 2.0, -1.0], ord=0).numpy() == 2.0
    with pytest.raises(ValueError, match="norm: matrix norm ord='nuc'"):
        ops.norm(np.ones((2, 2)), ord="nuc")


def test_average_matches_numpy_and_is_differentiable():
    x, w = r(3, 4), u(0.5, 2.0, 4)
    np.testing.assert_allclose(ops.average(x, axis=1, weights=w).numpy(), np.average(x, axis=1, weights=w))
    check_op(lambda a, b: ops.average(a, axis=1, weights=b),
             lambda a, b: (a * b).sum(1) / b.sum(), [x, w])
    with pytest.raises(ValueError, match="average: weights of shape"):
        ops.average(x, axis=0, weights=w)


@pytest.mark.parametrize("axis", [-1, 0, None])
def test_sort_and_argsort_match_torch_and_keras(axis):
    x = r(4, 5)
    ref = (lambda t: torch.sort(t.reshape(-1)).values) if axis is None else (lambda t: torch.sort(t, axis).values)
    check_op(lambda t: ops.sort(t, axis), ref, [x])
    x[1, 2] = x[1, 4] = x[3, 2]  # ties keep their order
    idx = ops.argsort(x, axis)
    assert idx.dtype == np.int32 and not idx.requires_grad
    np.testing.assert_array_equal(idx.numpy(), np.argsort(x, axis=axis, kind="stable"))


def test_top_k_matches_torch_and_breaks_ties_by_lower_index():
    check_op(lambda t: ops.top_k(t, 3)[0], lambda t: torch.topk(t, 3).values, [r(4, 6)])
    values, indices = ops.top_k(np.array([[1.0, 3.0, 3.0, 2.0], [5, 4, 3, 2]]), 2)
    assert indices.numpy().tolist() == [[1, 2], [0, 1]] and indices.dtype == np.int32
    assert values.numpy().tolist() == [[3.0, 3.0], [5.0, 4.0]]
    with pytest.raises(ValueError, match="top_k: k must be in"):
        ops.top_k(np.ones(3), 4)


def test_argmax_argmin_are_int32_as_in_keras():
    x = r(3, 5)
    for name in ("argmax", "argmin"):
        ours, theirs = getattr(ops, name)(x, axis=1), kval(getattr(keras.ops, name)(x, axis=1))
        assert ours.dtype == theirs.dtype == np.int32
        np.testing.assert_array_equal(ours.numpy(), theirs)


# -- shapes ---------------------------------------------------------------------------------
SHAPE_OPS = [  # (id, striate, torch, input shapes)
    ("broadcast_to", lambda x: ops.broadcast_to(x, (2, 3, 4)), lambda x: x.expand(2, 3, 4), [(3, 1)]),
    ("moveaxis", lambda x: ops.moveaxis(x, 0, -1), lambda x: torch.movedim(x, 0, -1), [(2, 3, 4)]),
    ("moveaxis-two", lambda x: ops.moveaxis(x, (0, 1), (2, 0)), lambda x: torch.movedim(x, (0, 1), (2, 0)),
     [(2, 3, 4)]),
    ("swapaxes", lambda x: ops.swapaxes(x, 0, 2), lambda x: x.transpose(0, 2), [(2, 3, 4)]),
    ("flip", lambda x: ops.flip(x, (0, 2)), lambda x: torch.flip(x, (0, 2)), [(2, 3, 4)]),
    ("flip-all", ops.flip, lambda x: torch.flip(x, (0, 1)), [(2, 3)]),
    ("fliplr", ops.fliplr, torch.fliplr, [(2, 3, 4)]),
    ("flipud", ops.flipud, torch.flipud, [(2, 3)]),
    ("rot90", ops.rot90, lambda x: torch.rot90(x, 1, (0, 1)), [(2, 3, 4)]),
    ("rot90-k2", lambda x: ops.rot90(x, 2, (1, 2)), lambda x: torch.rot90(x, 2, (1, 2)), [(2, 3, 4)]),
    ("rot90-k3", lambda x: ops.rot90(x, -1), lambda x: torch.rot90(x, -1), [(2, 3)]),
    ("roll", lambda x: ops.roll(x, 2, 1), lambda x: torch.roll(x, 2, 1), [(2, 5)]),
    ("roll-flat", lambda x: ops.roll(x, -3), lambda x: torch.roll(x, -3), [(2, 5)]),
    ("roll-two", lambda x: ops.roll(x, (1, -1), (0, 1)), lambda x: torch.roll(x, (1, -1), (0, 1)), [(3, 4)]),
    ("repeat", lambda x: ops.repeat(x, 3, axis=1), lambda x: torch.repeat_interleave(x, 3, 1), [(2, 3, 2)]),
    ("repeat-flat", lambda x: ops.repeat(x, 2), lambda x: torch.repeat_interleave(x, 2), [(2, 3)]),
    ("repeat-counts", lambda x: ops.repeat(x, np.array([1, 0, 2]), axis=0),
     lambda x: torch.repeat_interleave(x, torch.tensor([1, 0, 2]), 0), [(3, 2)]),
    ("tile", lambda x: ops.tile(x, (2, 1, 3)), lambda x: torch.tile(x, (2, 1, 3)), [(2, 3)]),
    ("tile-int", lambda x: ops.tile(x, 2), lambda x: torch.tile(x, (2,)), [(2, 3)]),
    ("ravel", ops.ravel, torch.ravel, [(2, 3)]),
    ("hstack", lambda a, b: ops.hstack([a, b]), lambda a, b: torch.hstack([a, b]), [(2, 3), (2, 1)]),
    ("vstack", lambda a, b: ops.vstack([a, b]), lambda a, b: torch.vstack([a, b]), [(3,), (2, 3)]),
    ("append", lambda a, b: ops.append(a, b), lambda a, b: torch.cat([a.reshape(-1), b.reshape(-1)]),
     [(2, 2), (3,)]),
    ("append-axis", lambda a, b: ops.append(a, b, axis=1), lambda a, b: torch.cat([a, b], 1), [(2, 2), (2, 3)]),
    ("take", lambda x: ops.take(x, np.array([[2, 0], [2, -1]]), axis=1),
     lambda x: x[:, torch.tensor([[2, 0], [2, -1]]) % 4], [(3, 4)]),
    ("take-flat", lambda x: ops.take(x, [5, 0, 5]), lambda x: x.reshape(-1)[[5, 0, 5]], [(2, 3)]),
    ("take_along_axis", lambda x: ops.take_along_axis(x, np.array([[0, 2, 2], [1, 1, 0]]), axis=1),
     lambda x: torch.take_along_dim(x, torch.tensor([[0, 2, 2], [1, 1, 0]]), 1), [(2, 3)]),
    ("take_along_axis-broadcast", lambda x: ops.take_along_axis(x, np.array([[1], [0]])[None], axis=1),
     lambda x: torch.take_along_dim(x, torch.tensor([[[1], [0]]]), 1), [(3, 4, 2)]),
    ("diagonal", lambda x: ops.diagonal(x, 1, 0, 2), lambda x: torch.diagonal(x, 1, 0, 2), [(3, 2, 4)]),
    ("diagonal-below", lambda x: ops.diagonal(x, -1), lambda x: torch.diagonal(x, -1), [(4, 3)]),
    ("diag-vector", lambda x: ops.diag(x, 1), lambda x: torch.diag(x, 1), [(3,)]),
    ("diag-vector-below", lambda x: ops.diag(x, -2), lambda x: torch.diag(x, -2), [(3,)]),
    ("diag-matrix", ops.diag, torch.diag, [(3, 4)]),
    ("trace", ops.trace, torch.trace, [(3, 4)]),
    ("trace-batched", lambda x: ops.trace(x, 1, 1, 2), lambda x: torch.diagonal(x, 1, 1, 2).sum(-1), [(2, 3, 3)]),
    ("tril", lambda x: ops.tril(x, 1), lambda x: torch.tril(x, 1), [(2, 3, 4)]),
    ("triu", lambda x: ops.triu(x, -1), lambda x: torch.triu(x, -1), [(2, 4, 3)]),
    ("slice", lambda x: ops.slice(x, (1, 0, 2), (2, 3, 1)), lambda x: x[1:3, 0:3, 2:3], [(3, 4, 5)]),
    ("split", lambda x: ops.concatenate([p * (i + 1) for i, p in enumerate(ops.split(x, [1, 3], axis=1))], 1),
     lambda x: torch.cat([p * (i + 1) for i, p in enumerate(torch.tensor_split(x, [1, 3], 1))], 1), [(2, 5)]),
    ("array_split", lambda x: ops.stack([p.sum() for p in ops.array_split(x, 3)]),
     lambda x: torch.stack([p.sum() for p in torch.tensor_split(x, 3)]), [(7, 2)]),
    ("unstack", lambda x: ops.unstack(x, axis=1)[2] * 2 - ops.unstack(x, axis=1)[0],
     lambda x: x[:, 2] * 2 - x[:, 0], [(2, 3)]),
    ("diff", lambda x: ops.diff(x, 2, 0), lambda x: torch.diff(x, 2, 0), [(5, 3)]),
    ("ptp", lambda x: ops.ptp(x, 1), lambda x: torch.amax(x, 1) - torch.amin(x, 1), [(3, 4)]),
    ("meshgrid-xy", lambda a, b: ops.stack(ops.meshgrid(a, b)),
     lambda a, b: torch.stack(torch.meshgrid(a, b, indexing="xy")), [(3,), (4,)]),
    ("meshgrid-ij", lambda a, b, c: ops.stack(ops.meshgrid(a, b, c, indexing="ij")),
     lambda a, b, c: torch.stack(torch.meshgrid(a, b, c, indexing="ij")), [(2,), (3,), (4,)]),
]


@pytest.mark.parametrize("name,fn,ref,shapes", SHAPE_OPS, ids=[c[0] for c in SHAPE_OPS])
def test_shape_op_matches_torch(name, fn, ref, shapes):
    check_op(fn, ref, [r(*s) for s in shapes])


def test_shape_ops_match_numpy_where_torch_has_no_twin():
    x = r(2, 3, 4)
    for ours, theirs in [(ops.rot90(x, 3, (2, 0)), np.rot90(x, 3, (2, 0))), (ops.roll(x, 1), np.roll(x, 1)),
                         (ops.tile(x, (2, 1, 1, 2)), np.tile(x, (2, 1, 1, 2))),
                         (ops.diagonal(x, -1, 2, 1), np.diagonal(x, -1, 2, 1))]:
        np.testing.assert_array_equal(ours.numpy(), theirs)
    parts = ops.split(x, 3, axis=1)
    assert [p.shape for p in parts] == [(2, 1, 4)] * 3
    with pytest.raises(ValueError, match="split: an axis of size 3 cannot be split into 2 equal parts"):
        ops.split(x, 2, axis=1)
    with pytest.raises(ValueError, match="broadcast_to: an input of shape \\(2, 3, 4\\) cannot be broadcast"):
        ops.broadcast_to(x, (3, 4))
    with pytest.raises(TypeError, match="take: indices must be integers"):
        ops.take(x, [0.5])


# -- linear algebra -------------------------------------------------------------------------
EINSUMS = [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhwc,cd->bhwd", [(2, 3, 3, 4), (4, 5)]), ("ij->i", [(3, 4)]), ("ij->", [(3, 4)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]), ("i,j->ij", [(3,), (4,)]), ("ij,jk", [(3, 4), (4, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]), ("b...c,c->b...", [(2, 3, 4, 5), (5,)]),
    ("ijk,jkl,lm->im", [(2, 3, 4), (3, 4, 5), (5, 2)]), ("ba", [(3, 4)]), ("ijk->kj", [(2, 3, 4)]),
    ("aij,ajk->aik", [(1, 2, 3), (4, 3, 2)]),
]


@pytest.mark.parametrize("spec,shapes", EINSUMS, ids=[s for s, _ in EINSUMS])
def test_einsum_matches_torch(spec, shapes):
    check_op(lambda *xs: ops.einsum(spec, *xs), lambda *xs: torch.einsum(spec, *xs), [r(*s) for s in shapes])


def test_einsum_errors_name_the_subscripts():
    with pytest.raises(ValueError, match="einsum: subscripts 'ij,jk' name 2 operands, received 1"):
        ops.einsum("ij,jk", np.ones((2, 2)))
    with pytest.raises(ValueError, match="einsum: term 'ijk' of 'ijk->i' does not fit an operand of shape \\(2, 2\\)"):
        ops.einsum("ijk->i", np.ones((2, 2)))
    np.testing.assert_allclose(ops.einsum("ii->i", np.arange(9.0).reshape(3, 3)).numpy(), [0, 4, 8])
    t = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(ValueError, match="einsum: no gradient through the repeated letter of 'ii'"):
        ops.einsum("ii", t).backward()


@pytest.mark.parametrize("axes,sa,sb", [(2, (2, 3, 4), (3, 4, 5)), (1, (3, 4), (4, 2)), (0, (2,), (3,)),
                                        (([0, 2], [1, 0]), (3, 2, 4), (4, 3, 5)), ((1, 0), (3, 4), (4, 2))])
def test_tensordot_matches_torch(axes, sa, sb):
    tdims = axes if isinstance(axes, int) else tuple([a] if isinstance(a, int) else a for a in axes)
    check_op(lambda a, b: ops.tensordot(a, b, axes), lambda a, b: torch.tensordot(a, b, tdims), [r(*sa), r(*sb)])


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((), (2, 3)),
                                   ((2, 3, 4), (4, 5)), ((2, 3, 4), (5, 4, 2)), ((2, 3, 4), (4,))])
def test_dot_family_matches_numpy_and_differentiates(sa, sb):
    a, b = r(*sa), r(*sb)
    np.testing.assert_allclose(ops.dot(a, b).numpy(), np.dot(a, b), rtol=1e-12)
    check_op(ops.dot, None, [a, b])
    if sa and sb and sa[-1] == sb[-1]:
        np.testing.assert_allclose(ops.inner(a, b).numpy(), np.inner(a, b), rtol=1e-12)
        check_op(ops.inner, None, [a, b])
    check_op(ops.outer, lambda x, y: torch.outer(x.reshape(-1), y.reshape(-1)), [a, b])
    # NOTE: positive, so the float32 sum does not nearly cancel (its error would exceed 1e-5 of itself)
    check_op(ops.vdot, lambda x, y: (x * y).sum(), [np.abs(a) + 0.5, u(0.5, 1.5, *sa)])


# -- composed activations -------------------------------------------------------------------
ACTIVATIONS = [
    ("log_sigmoid", ops.log_sigmoid, F.logsigmoid), ("softsign", ops.softsign, F.softsign),
    ("hard_tanh", ops.hard_tanh, F.hardtanh), ("hard_silu", ops.hard_silu, F.hardswish),
    ("celu", lambda x: ops.celu(x, 0.7), lambda x: F.celu(x, 0.7)),
    ("glu", lambda x: ops.glu(x, 1), lambda x: F.glu(x, 1)),
    ("tanh_shrink", ops.tanh_shrink, F.tanhshrink), ("soft_shrink", ops.soft_shrink, F.softshrink),
    ("hard_shrink", lambda x: ops.hard_shrink(x, 0.3), lambda x: F.hardshrink(x, 0.3)),
    ("threshold", lambda x: ops.threshold(x, 0.1, -2.0), lambda x: F.threshold(x, 0.1, -2.0)),
    ("squareplus", lambda x: ops.squareplus(x, 2), lambda x: (x + torch.sqrt(x * x + 2)) / 2),
    ("sparse_plus", ops.sparse_plus, lambda x: torch.where(x <= -1, 0.0, torch.where(x < 1, (x + 1) ** 2 / 4, x))),
    ("sparse_sigmoid", ops.sparse_sigmoid, lambda x: torch.clamp((x + 1) / 2, 0, 1)),
    ("normalize", lambda x: ops.normalize(x, axis=1), lambda x: F.normalize(x, dim=1, eps=1e-7)),
    ("normalize-l1", lambda x: ops.normalize(x, axis=-1, order=1), lambda x: F.normalize(x, p=1, dim=-1, eps=1e-7)),
]


@pytest.mark.parametrize("name,fn,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_composed_activation_matches_torch_and_keras(name, fn, ref):
    x = r(3, 4, 2) * 2
    check_op(fn, ref, [x])
    kname = name.split("-")[0]
    args = {"celu": (0.7,), "glu": (1,), "hard_shrink": (0.3,), "threshold": (0.1, -2.0), "squareplus": (2,),
            "normalize": (1,)}.get(kname, ())
    if name == "normalize-l1":
        args = (-1, 1)
    xs = x.astype(np.float32)
    np.testing.assert_allclose(fn(xs).numpy(), kval(getattr(keras.ops, kname)(xs, *args)), rtol=1e-5, atol=1e-6)


def test_normalize_keeps_zero_vectors_finite():
    t = Tensor(np.array([[0.0, 0.0], [3.0, 4.0]]), requires_grad=True)
    y = ops.normalize(t)
    y.sum().backward()
    assert y.numpy().tolist() == [[0.0, 0.0], [0.6, 0.8]] and np.all(np.isfinite(t.grad))


# -- creation -------------------------------------------------------------------------------
CREATION = [  # (name, args, kwargs): the same call on keras.ops gives the same values and dtype
    ("ones", ((2, 3),), {}), ("zeros", (4,), {"dtype": "int32"}), ("full", ((2,), 3), {}),
    ("full", ((2, 2), 1.5), {"dtype": "float64"}), ("ones_like", (np.ones((2, 3), "int32"),), {}),
    ("zeros_like", (np.ones(3, "float32"),), {"dtype": "int32"}), ("full_like", (np.ones(3, "float32"), 7), {}),
    ("arange", (5,), {}), ("arange", (1, 7, 2), {}), ("arange", (0.0, 1.0, 0.25), {}),
    ("arange", (3,), {"dtype": "float32"}), ("linspace", (0, 1, 5), {}), ("linspace", (0, 1, 4), {"endpoint": False}),
    ("logspace", (0, 3, 4), {}), ("logspace", (0, 3, 4), {"base": 2}), ("eye", (3,), {}), ("eye", (2, 4), {"k": 1}),
    ("identity", (3,), {}), ("tri", (3, 4), {"k": -1}), ("array", ([1.0, 2.0],), {}),
]


@pytest.mark.parametrize("name,args,kwargs", CREATION, ids=[f"{c[0]}{c[1]}{c[2]}" for c in CREATION])
def test_creation_matches_keras(name, args, kwargs):
    ours, theirs = getattr(ops, name)(*args, **kwargs), kval(getattr(keras.ops, name)(*args, **kwargs))
    assert isinstance(ours, Tensor) and not ours.requires_grad
    assert ours.dtype == theirs.dtype, f"{name}: {ours.dtype}, Keras {theirs.dtype}"
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-6)


def test_empty_and_linspace_retstep():
    assert ops.empty((2, 3)).shape == (2, 3) and ops.empty((2,)).dtype == np.float32
    assert ops.empty_like(np.ones((3, 1), "int32")).dtype == np.int32
    values, step = ops.linspace(0, 1, 5, retstep=True)
    assert step == 0.25 and values.shape == (5,)
    assert ops.stop_gradient(Tensor([1.0], requires_grad=True) * 2).requires_grad is False


def test_stop_gradient_blocks_the_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * ops.stop_gradient(x)).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0]  # d(x * c)/dx = c, the stopped copy counted as constant


def test_nonzero_matches_keras():
    x = np.array([[0, 3, 0], [4, 0, 5]])
    for ours, theirs in zip(ops.nonzero(x), keras.ops.nonzero(x)):
        assert ours.dtype == np.int32
        np.testing.assert_array_equal(ours.numpy(), kval(theirs))


def test_shape_helpers():
    x = ops.zeros((2, 3), dtype="int32")
    assert ops.shape(x) == (2, 3) and ops.ndim(x) == 2 and ops.size(x) == 6 and ops.dtype(x) == "int32"
    assert ops.is_tensor(x) and not ops.is_tensor(np.zeros(2))
    assert ops.dtype(np.ones(2, bool)) == keras.ops.dtype(np.ones(2, bool)) == "bool"


# -- comparisons and tests of values --------------------------------------------------------
PREDICATES = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
              "logical_and", "logical_or", "logical_xor"]


@pytest.mark.parametrize("name", PREDICATES)
def test_comparisons_match_keras(name):
    a, b = np.round(r(3, 4)), np.round(r(4))
    ours = getattr(ops, name)(Tensor(a, requires_grad=True), b)
    assert ours.dtype == bool and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), kval(getattr(keras.ops, name)(a, b)))


def test_tensor_operators_compare_and_combine():
    a = Tensor([1.0, 2.0, 3.0])
    assert (a < 2).numpy().tolist() == [True, False, False] and (a >= 2).numpy().tolist() == [False, True, True]
    assert (a == [1.0, 0.0, 3.0]).numpy().tolist() == [True, False, True]
    mask = (a > 1) & (a < 3)
    assert mask.numpy().tolist() == [False, True, False]
    assert ((a < 2) | (a > 2)).numpy().tolist() == [True, False, True]
    assert (~mask).numpy().tolist() == [True, False, True] and ((a > 1) ^ mask).numpy().tolist() == [False, False, True]


def test_value_tests_match_numpy_and_keras():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -0.0])
    for name in ("isnan", "isinf", "isfinite", "logical_not", "signbit"):
        np.testing.assert_array_equal(getattr(ops, name)(x).numpy(), kval(getattr(keras.ops, name)(x)))
    np.testing.assert_array_equal(ops.isclose([1.0, 2.0], [1.0 + 1e-9, 2.1]).numpy(), [True, False])
    assert bool(ops.allclose([1.0, np.nan], [1.0, np.nan], equal_nan=True))
    assert not bool(ops.allclose([1.0], [1.1]))


@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), ((0, 2), True)])
def test_any_all_count_nonzero_match_keras(axis, keepdims):
    x = (rng.random((2, 3, 4)) > 0.6).astype("float32")
    for name in ("any", "all"):
        np.testing.assert_array_equal(getattr(ops, name)(x, axis, keepdims).numpy(),
                                      kval(getattr(keras.ops, name)(x, axis, keepdims)))
    ours = ops.count_nonzero(x, axis)
    # NOTE: against NumPy: Keras's torch backend transposes count_nonzero's result (keras 3.15)
    assert ours.dtype == kval(keras.ops.count_nonzero(x, axis)).dtype == np.int32
    np.testing.assert_array_equal(ours.numpy(), np.count_nonzero(x, axis))


def test_in_top_k_counts_ties_inside():
    scores = np.array([[0.1, 0.5, 0.5, 0.2], [0.9, 0.5, 0.4, 0.3], [0.1, 0.2, 0.3, np.nan]])
    targets = np.array([2, 3, 0])
    np.testing.assert_array_equal(ops.in_top_k(targets, scores, 1).numpy(), [True, False, False])
    np.testing.assert_array_equal(ops.in_top_k(targets, scores, 4).numpy(), [True, True, True])
    x = r(6, 5)
    t = np.argsort(x, axis=1)[:, 2]  # the third smallest: inside the top 3 only
    np.testing.assert_array_equal(ops.in_top_k(t, x, 3).numpy(), kval(keras.ops.in_top_k(t, x, 3)))
    with pytest.raises(ValueError, match="in_top_k: expects targets of shape"):
        ops.in_top_k(np.zeros((2, 1), "int64"), x, 1)


# -- on the GPU path (tests/fake_cupy.py standing in for CuPy) ------------------------------
@pytest.fixture
def gpu(monkeypatch):
    import pathlib
    monkeypatch.syspath_prepend(str(pathlib.Path(__file__).resolve().parents[1]))
    import fake_cupy
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy)
    backend.set_device("gpu")
    yield fake_cupy
    backend.set_device("cpu")


ON_DEVICE = [
    lambda x: ops.sin(x) * ops.log1p(ops.abs(x)), lambda x: ops.prod(x, axis=1), lambda x: ops.cumprod(x, 0),
    lambda x: ops.logsumexp(x, 1), lambda x: ops.norm(x, axis=1), lambda x: ops.std(x, 0),
    lambda x: ops.sort(x, 1), lambda x: ops.top_k(x, 2)[0], lambda x: ops.einsum("ij,jk->ik", x, ops.transpose(x)),
    lambda x: ops.roll(ops.flip(x, 0), 1, 1), lambda x: ops.tile(ops.repeat(x, 2, 0), (1, 2)),
    lambda x: ops.diag(ops.diagonal(x)), lambda x: ops.tril(x) + ops.rot90(x, 2),
    lambda x: ops.take_along_axis(x, ops.argsort(x, 1), 1), lambda x: ops.normalize(x),
    lambda x: ops.where(ops.greater(x, ops.zeros_like(x)), x, ops.full_like(x, 0.5)) * ops.arange(4.0),
    lambda x: ops.tensordot(x, ops.eye(4), 1) + ops.mod(x, 0.7),
]


@pytest.mark.parametrize("i", range(len(ON_DEVICE)))
def test_ops_on_the_gpu_match_the_cpu(gpu, i):
    x = np.random.default_rng(i).standard_normal((3, 4)).astype("float32")
    results = {}
    for device in ("cpu", "gpu"):
        backend.set_device(device)
        t = Tensor(x, requires_grad=True)
        y = ON_DEVICE[i](t)
        w = np.random.default_rng(9).standard_normal(y.shape).astype("float32")
        y.backward(backend.asarray(w))
        results[device] = (backend.to_numpy(y.data), backend.to_numpy(t.grad))
    for a, b in zip(results["gpu"], results["cpu"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
