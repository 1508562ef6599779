"""layer_normalization (ops/nn.py) against finite differences and PyTorch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from opcheck import check_op

from striate import ops

rng = np.random.default_rng(0)


def torch_layer_norm(x, gamma, beta, axes, epsilon, rms_scaling=False):
    """The textbook formula on torch tensors, over any axes (F.layer_norm takes trailing ones only)."""
    shape = [n if i in axes else 1 for i, n in enumerate(x.shape)]
    var = x.var(dim=axes, unbiased=False, keepdim=True)
    y = (x if rms_scaling else x - x.mean(dim=axes, keepdim=True)) / torch.sqrt(var + epsilon)
    y = y if gamma is None else y * gamma.reshape(shape)
    return y if beta is None else y + beta.reshape(shape)


@pytest.mark.parametrize("shape, axis", [((4, 7), -1), ((3, 5, 6), -1), ((2, 4, 5, 3), (1, 2, 3)),
                                         ((2, 3, 4), (-2, -1))])
def test_layer_normalization_matches_torch_layer_norm(shape, axis):
    axes = (axis,) if isinstance(axis, int) else axis
    normalized = tuple(shape[a] for a in axes)
    x = rng.standard_normal(shape) * 3 + 1
    gamma, beta = rng.standard_normal(normalized), rng.standard_normal(normalized)
    check_op(lambda x, g, b: ops.layer_normalization(x, g, b, axis, 1e-3),
             lambda x, g, b: F.layer_norm(x, normalized, g, b, 1e-3), [x, gamma, beta])


@pytest.mark.parametrize("axis", [1, (-3, 2), (1, 3)])
def test_layer_normalization_over_leading_or_scattered_axes(axis):
    x = rng.standard_normal((2, 4, 3, 5))
    axes = tuple(sorted(a % 4 for a in ((axis,) if isinstance(axis, int) else axis)))
    normalized = tuple(x.shape[a] for a in axes)
    gamma, beta = rng.standard_normal(normalized), rng.standard_normal(normalized)
    check_op(lambda x, g, b: ops.layer_normalization(x, g, b, axis, 1e-3),
             lambda x, g, b: torch_layer_norm(x, g, b, axes, 1e-3), [x, gamma, beta])


@pytest.mark.parametrize("with_gamma, with_beta", [(False, False), (True, False), (False, True)])
def test_layer_normalization_without_scale_or_offset(with_gamma, with_beta):
    x, gamma, beta = rng.standard_normal((3, 6)), rng.standard_normal(6), rng.standard_normal(6)
    arrays = [x] + [gamma] * with_gamma + [beta] * with_beta

    def ours(x, *params):
        params = list(params)
        return ops.layer_normalization(x, params.pop(0) if with_gamma else None, params.pop(0) if with_beta else None)

    def theirs(x, *params):
        params = list(params)
        return F.layer_norm(x, (6,), params.pop(0) if with_gamma else None, params.pop(0) if with_beta else None,
                            1e-7)
    check_op(ours, theirs, arrays)


def test_layer_normalization_rms_scaling_is_keras():
    # Keras's deprecated rms_scaling: divided by the standard deviation, the mean left in; beta unused
    x, gamma = rng.standard_normal((3, 4, 6)) + 2, rng.standard_normal(6)
    check_op(lambda x, g: ops.layer_normalization(x, g, np.ones(6), -1, 1e-3, rms_scaling=True),
             lambda x, g: torch_layer_norm(x, g, None, (2,), 1e-3, rms_scaling=True), [x, gamma])


def test_layer_normalization_checks_its_parameters():
    with pytest.raises(ValueError, match=r"layer_normalization: gamma has shape \(4,\), expected 6 values, one per "
                                         r"element of axes \(1,\) of the input shape \(2, 6\)"):
        ops.layer_normalization(np.zeros((2, 6)), np.ones(4))
