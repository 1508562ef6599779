"""Softmax + cross-entropy fusion: decided once when the loss is set up, from the output layer's attributes."""
import numpy as np
import pytest
import torch

import striate as keras
from striate import losses, ops
from striate.autodiff import Tensor
from striate.ops import nn

LABELS = np.array([0, 3, 1, 2, 3])


@pytest.mark.parametrize("layer, loss, fused", [
    (keras.layers.Dense(4, activation="softmax"), "sparse_categorical_crossentropy", True),
    (keras.layers.Activation("softmax"), losses.CategoricalCrossentropy(label_smoothing=0.1), True),
    (keras.layers.Dense(4, activation="softmax"), "ce", True),
    (keras.layers.Dense(4, activation="softmax"), losses.SparseCategoricalCrossentropy(from_logits=True), False),
    (keras.layers.Dense(4, activation="softmax"), "mse", False),
    (keras.layers.Dense(4), "sparse_categorical_crossentropy", False),
    (keras.layers.Dense(4, activation="relu"), "categorical_crossentropy", False),
    (None, "sparse_categorical_crossentropy", False),
])
def test_resolve_loss_sets_up_the_fusion_from_the_output_layer(layer, loss, fused):
    resolved = losses.resolve_loss(loss, (5,), (5, 4), layer)
    assert resolved.through_softmax is fused
    assert "through_softmax" not in resolved.get_config()
    if isinstance(loss, losses.Loss):  # the user's own loss object is left as it was
        assert loss.through_softmax is False and (resolved is not loss) == fused


def test_no_fusion_for_outputs_with_more_than_two_axes():
    assert not losses.resolve_loss("sparse_categorical_crossentropy", (2, 8), (2, 8, 4),
                                   keras.layers.Dense(4, activation="softmax")).through_softmax


def _reference(z, labels):
    """Keras's value in float64 by torch autograd: softmax, normalize, clip, log."""
    p = torch.softmax(z, -1)
    q = torch.clamp(p / p.sum(-1, keepdim=True), 1e-7, 1 - 1e-7)
    return -torch.log(q[torch.arange(len(labels)), torch.from_numpy(labels)]).mean()


@pytest.mark.parametrize("through_softmax", [True, False])
@pytest.mark.parametrize("scale", [1.0, 30.0])  # at 30 the clip is active for some classes
def test_both_paths_give_keras_value_and_exact_gradient(through_softmax, scale):
    z = np.random.default_rng(5).standard_normal((5, 4)) * scale
    logits = Tensor(z.astype(np.float32), requires_grad=True)
    probabilities = ops.softmax(logits)
    assert isinstance(probabilities, nn.SoftmaxOutput) and probabilities.logits is logits
    value = losses.sparse_categorical_crossentropy(LABELS, probabilities, through_softmax=through_softmax)
    value = ops.mean(value)
    value.backward()
    zt = torch.tensor(z, requires_grad=True)
    expected = _reference(zt, LABELS)
    expected.backward()
    np.testing.assert_allclose(float(value.data), float(expected), rtol=1e-6)
    np.testing.assert_allclose(logits.grad, zt.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_fit_uses_the_fused_op_exactly_when_set_up_for_it(monkeypatch):
    calls = []
    forward = nn.SoftmaxCrossEntropy.forward

    def counting(self, xp, target, logits):
        calls.append(self.sparse)
        return forward(self, xp, target, logits)
    monkeypatch.setattr(nn.SoftmaxCrossEntropy, "forward", counting)
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    for activation, loss, expected in (("softmax", "sparse_categorical_crossentropy", [True]),
                                       ("softmax", losses.CategoricalCrossentropy(), [False]),
                                       (None, losses.SparseCategoricalCrossentropy(from_logits=True), [])):
        calls.clear()
        model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, activation=activation)])
        model.compile(optimizer="sgd", loss=loss)
        y = LABELS[:4].repeat(2) if expected != [False] else np.eye(4, dtype=np.float32)[LABELS[:4].repeat(2)]
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        assert calls == expected
        model.evaluate(x, y, verbose=0)  # no gradient to take: the plain op gives the same value
        assert calls == expected


def test_a_softmax_output_is_a_plain_tensor_where_nothing_is_recorded():
    probabilities = ops.softmax(np.array([[1.0, 2.0]], np.float32))
    assert type(probabilities) is Tensor
    three_axes = ops.softmax(Tensor(np.zeros((2, 3, 4), np.float32), requires_grad=True))
    assert type(three_axes) is Tensor
