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


@pytest.mark.parametrize("layer", [keras.layers.Dense(4, activation="softmax"),
                                   keras.layers.Conv2D(4, 1, activation="softmax"),
                                   keras.layers.Conv2DTranspose(4, 2, strides=2, activation="softmax")])
def test_fusion_for_per_pixel_softmax_with_classes_last(layer):
    assert losses.resolve_loss("sparse_categorical_crossentropy", (2, 8, 8), (2, 8, 8, 4), layer).through_softmax
    assert not losses.resolve_loss(losses.SparseCategoricalCrossentropy(axis=1), (2, 8, 8), (2, 4, 8, 8),
                                   layer).through_softmax  # classes first: the plain ops


@pytest.mark.parametrize("sparse", [True, False])
def test_per_pixel_fusion_gives_keras_value_and_exact_gradient(sparse):
    rng = np.random.default_rng(7)
    z = rng.standard_normal((2, 3, 5, 4)) * 20.0  # the clip active for some pixels
    labels = rng.integers(0, 4, size=(2, 3, 5))
    logits = Tensor(z.astype(np.float32), requires_grad=True)
    probabilities = ops.softmax(logits)
    assert isinstance(probabilities, nn.SoftmaxOutput)
    if sparse:
        value = losses.sparse_categorical_crossentropy(labels, probabilities, through_softmax=True)
    else:
        value = losses.categorical_crossentropy(np.eye(4, dtype=np.float32)[labels], probabilities,
                                                through_softmax=True)
    assert isinstance(value._ctx, nn.SoftmaxCrossEntropy) and value.shape == (2, 3, 5)
    ops.mean(value).backward()
    zt = torch.tensor(z, requires_grad=True)
    expected = _reference(zt.reshape(-1, 4), labels.reshape(-1))
    expected.backward()
    np.testing.assert_allclose(float(ops.mean(value).data), float(expected), rtol=1e-6)
    np.testing.assert_allclose(logits.grad, zt.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_a_segmentation_model_trains_through_the_fused_op_to_the_plain_ops_weights(monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 6, 6, 3)).astype(np.float32)
    y = rng.integers(0, 3, size=(4, 6, 6))

    def trained(fused):
        if not fused:
            monkeypatch.setattr(nn, "_fuses", lambda *args: False)
        keras.utils.set_random_seed(3)
        inputs = keras.Input(shape=(6, 6, 3))
        hidden = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
        model = keras.Model(inputs, keras.layers.Conv2D(3, 1, activation="softmax")(hidden))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, batch_size=2, epochs=2, verbose=0, shuffle=False)
        monkeypatch.undo()
        return history.history["loss"], model.get_weights()
    (fused_loss, fused_weights), (plain_loss, plain_weights) = trained(True), trained(False)
    np.testing.assert_allclose(fused_loss, plain_loss, rtol=1e-5)
    for a, b in zip(fused_weights, plain_weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


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
    not_last = ops.softmax(Tensor(np.zeros((2, 3, 4), np.float32), requires_grad=True), axis=1)
    assert type(not_last) is Tensor


@pytest.mark.parametrize("classes", [2, 4, 7, 8, 10])
def test_softmax_over_a_short_last_axis_has_numpys_bits(classes):
    # many rows of few classes take backend.reduce_last_axis's column-wise path
    z = np.random.default_rng(classes).standard_normal((64, 32, classes)).astype(np.float32) * 5
    logits = Tensor(z, requires_grad=True)
    probabilities = ops.softmax(logits)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    np.testing.assert_array_equal(probabilities.data, e / e.sum(axis=-1, keepdims=True))
    g = np.random.default_rng(0).standard_normal(z.shape).astype(np.float32)
    (probabilities * Tensor(g)).sum().backward()
    p = probabilities.data
    np.testing.assert_array_equal(logits.grad, p * (g - (g * p).sum(axis=-1, keepdims=True)))
