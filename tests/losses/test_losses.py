"""Losses against keras.losses (torch backend): values, reductions, sample weights and gradients
through the shared op harness (float64 finite differences, float32 against Keras under torch autograd)."""
import keras
import numpy as np
import pytest
import torch

from opcheck import check_op
from striate import Tensor, losses

rng = np.random.default_rng(0)
N, C = 6, 5


def probs(*shape):
    """Probabilities kept away from the clip at 1e-7 so finite differences stay smooth."""
    p = rng.uniform(0.05, 1.0, shape)
    return p / p.sum(-1, keepdims=True) if shape[-1] > 1 else p


def one_hot(labels, classes=C):
    return np.eye(classes)[labels]


LABELS = rng.integers(0, C, N)
# (name, striate function, keras function, kwargs, y_true, y_pred)
FUNCTION_CASES = [
    ("mse", losses.mean_squared_error, keras.losses.mean_squared_error, {}, rng.normal(size=(N, 4)),
     rng.normal(size=(N, 4))),
    ("mse_rank", losses.mse, keras.losses.mean_squared_error, {}, rng.normal(size=(N,)), rng.normal(size=(N, 1))),
    ("mae", losses.mean_absolute_error, keras.losses.mean_absolute_error, {}, rng.normal(size=(N, 3, 4)),
     rng.normal(size=(N, 3, 4))),
    ("bce", losses.binary_crossentropy, keras.losses.binary_crossentropy, {},
     rng.integers(0, 2, (N, 3)).astype(float), probs(N, 1).repeat(3, 1) * rng.uniform(0.5, 1, (N, 3))),
    ("bce_logits_smooth", losses.binary_crossentropy, keras.losses.binary_crossentropy,
     {"from_logits": True, "label_smoothing": 0.2}, rng.integers(0, 2, (N, 1)).astype(float), rng.normal(size=(N, 1))),
    ("cce", losses.categorical_crossentropy, keras.losses.categorical_crossentropy, {}, one_hot(LABELS),
     rng.uniform(0.05, 1.0, (N, C))),
    ("cce_logits_smooth", losses.categorical_crossentropy, keras.losses.categorical_crossentropy,
     {"from_logits": True, "label_smoothing": 0.1}, one_hot(LABELS), rng.normal(size=(N, C))),
    ("scce", losses.sparse_categorical_crossentropy, keras.losses.sparse_categorical_crossentropy, {}, LABELS,
     probs(N, C)),
    ("scce_logits_column", losses.sparse_categorical_crossentropy, keras.losses.sparse_categorical_crossentropy,
     {"from_logits": True}, LABELS[:, None], rng.normal(size=(N, C))),
    ("scce_3d", losses.sparse_categorical_crossentropy, keras.losses.sparse_categorical_crossentropy,
     {"from_logits": True}, rng.integers(0, C, (N, 3)), rng.normal(size=(N, 3, C))),
    ("mape", losses.mape, keras.losses.mean_absolute_percentage_error, {}, rng.uniform(0.5, 2, (N, 4)) *
     rng.choice([-1, 1], (N, 4)), rng.normal(size=(N, 4))),
    ("msle", losses.msle, keras.losses.mean_squared_logarithmic_error, {}, rng.uniform(0, 3, (N, 4)),
     rng.uniform(0.1, 3, (N, 4))),
    ("cosine", losses.cosine_similarity, keras.losses.cosine_similarity, {}, rng.normal(size=(N, 4)),
     rng.normal(size=(N, 4))),
    ("cosine_axis", losses.cosine_similarity, keras.losses.cosine_similarity, {"axis": 1}, rng.normal(size=(N, 3, 2)),
     rng.normal(size=(N, 3, 2))),
    ("huber", losses.huber, keras.losses.huber, {}, rng.normal(size=(N, 4)), rng.normal(size=(N, 4)) * 2),
    ("huber_delta", losses.huber, keras.losses.huber, {"delta": 0.3}, rng.normal(size=(N, 4)),
     rng.normal(size=(N, 4))),
    ("log_cosh", losses.log_cosh, keras.losses.log_cosh, {}, rng.normal(size=(N, 4)), rng.normal(size=(N, 4)) * 5),
    ("hinge_01", losses.hinge, keras.losses.hinge, {}, rng.integers(0, 2, (N, 3)).astype(float),
     rng.normal(size=(N, 3))),
    ("hinge_signed", losses.hinge, keras.losses.hinge, {}, rng.choice([-1.0, 1.0], (N, 3)), rng.normal(size=(N, 3))),
    ("squared_hinge", losses.squared_hinge, keras.losses.squared_hinge, {}, rng.integers(0, 2, (N, 3)).astype(float),
     rng.normal(size=(N, 3))),
    ("categorical_hinge", losses.categorical_hinge, keras.losses.categorical_hinge, {}, one_hot(LABELS),
     rng.normal(size=(N, C))),
    ("kld", losses.kld, keras.losses.kl_divergence, {}, probs(N, C), probs(N, C)),
    ("kld_one_hot", losses.kl_divergence, keras.losses.kl_divergence, {}, one_hot(LABELS), probs(N, C)),
    ("poisson", losses.poisson, keras.losses.poisson, {}, rng.poisson(2.0, (N, 4)).astype(float),
     rng.uniform(0.2, 4, (N, 4))),
    ("dice_all", losses.dice, keras.losses.dice, {}, rng.integers(0, 2, (N, 4, 4, 1)).astype(float),
     rng.uniform(size=(N, 4, 4, 1))),
    ("dice_per_image", losses.dice, keras.losses.dice, {"axis": (1, 2, 3)}, rng.integers(0, 2, (N, 4, 4, 1)).astype(float),
     rng.uniform(size=(N, 4, 4, 1))),
    ("tversky", losses.tversky, keras.losses.tversky, {"alpha": 0.7, "beta": 0.3, "axis": (1, 2)},
     rng.integers(0, 2, (N, 4, 3)).astype(float), rng.uniform(size=(N, 4, 3))),
]


@pytest.mark.parametrize("name,fn,ref,kwargs,y_true,y_pred", FUNCTION_CASES, ids=[c[0] for c in FUNCTION_CASES])
def test_function_matches_keras(name, fn, ref, kwargs, y_true, y_pred):
    check_op(lambda t, p: fn(t, p, **kwargs), lambda t, p: ref(t, p, **kwargs), [y_true, y_pred], diff=[1])


WEIGHTS = {"none": None, "per_sample": rng.uniform(0, 2, N), "column": rng.uniform(0, 2, (N, 1)), "scalar": 0.7}
CLASS_CASES = [
    ("MeanSquaredError", {}, rng.normal(size=(N, 4)), rng.normal(size=(N, 4))),
    ("MeanAbsoluteError", {}, rng.normal(size=(N, 4)), rng.normal(size=(N, 4))),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, rng.integers(0, 2, N).astype(float), probs(N, 1)),
    ("BinaryCrossentropy", {"from_logits": True}, rng.integers(0, 2, (N, 2)).astype(float), rng.normal(size=(N, 2))),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, one_hot(LABELS), probs(N, C)),
    ("CategoricalCrossentropy", {"from_logits": True}, one_hot(LABELS), rng.normal(size=(N, C))),
    ("SparseCategoricalCrossentropy", {}, LABELS, probs(N, C)),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS[:, None], rng.normal(size=(N, C))),
    ("MeanAbsolutePercentageError", {}, rng.uniform(0.5, 2, (N, 3)), rng.normal(size=(N, 3))),
    ("MeanSquaredLogarithmicError", {}, rng.uniform(0, 3, (N, 3)), rng.uniform(0.1, 3, (N, 3))),
    ("CosineSimilarity", {}, rng.normal(size=(N, 3)), rng.normal(size=(N, 3))),
    ("Huber", {"delta": 0.5}, rng.normal(size=(N, 3)), rng.normal(size=(N, 3))),
    ("LogCosh", {}, rng.normal(size=(N, 3)), rng.normal(size=(N, 3))),
    ("Hinge", {}, rng.integers(0, 2, (N, 1)).astype(float), rng.normal(size=(N, 1))),
    ("SquaredHinge", {}, rng.choice([-1.0, 1.0], (N, 2)), rng.normal(size=(N, 2))),
    ("CategoricalHinge", {}, one_hot(LABELS), rng.normal(size=(N, C))),
    ("KLDivergence", {}, probs(N, C), probs(N, C)),
    ("Poisson", {}, rng.poisson(2.0, (N, 3)).astype(float), rng.uniform(0.2, 4, (N, 3))),
    ("Dice", {"axis": (1, 2)}, rng.integers(0, 2, (N, 3, 2)).astype(float), rng.uniform(size=(N, 3, 2))),
    ("Dice", {}, rng.integers(0, 2, (N, 4)).astype(float), rng.uniform(size=(N, 4))),  # one value, weighted per sample
    ("Tversky", {"alpha": 0.2, "beta": 0.8, "axis": (1, 2)}, rng.integers(0, 2, (N, 3, 2)).astype(float),
     rng.uniform(size=(N, 3, 2))),
]


@pytest.mark.parametrize("cls,kwargs,y_true,y_pred", CLASS_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CLASS_CASES)])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none", "mean_with_sample_weight"])
@pytest.mark.parametrize("weight", list(WEIGHTS))
def test_class_matches_keras(cls, kwargs, y_true, y_pred, reduction, weight):
    ours = getattr(losses, cls)(reduction=reduction, **kwargs)
    ref = getattr(keras.losses, cls)(reduction=reduction, **kwargs)
    w = WEIGHTS[weight]
    check_op(lambda t, p: ours(t, p, sample_weight=w),
             lambda t, p: ref(t, p, sample_weight=None if w is None else np.float32(w)), [y_true, y_pred], diff=[1])


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("ignore_class", [0, -1])
def test_sparse_ignore_class_matches_keras(reduction, ignore_class):
    labels = np.where(np.arange(N) % 3 == 0, ignore_class, LABELS)
    kwargs = {"from_logits": True, "ignore_class": ignore_class, "reduction": reduction}
    ours, ref = losses.SparseCategoricalCrossentropy(**kwargs), keras.losses.SparseCategoricalCrossentropy(**kwargs)
    check_op(ours, ref, [labels, rng.normal(size=(N, C))], diff=[1])
    p = probs(N, C).astype(np.float32)
    expected = keras.losses.SparseCategoricalCrossentropy(ignore_class=ignore_class, reduction=reduction)(labels, p)
    got = losses.SparseCategoricalCrossentropy(ignore_class=ignore_class, reduction=reduction)(labels, p)
    np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=1e-5)


def test_loss_backward_fills_the_gradient_of_predictions():
    logits = Tensor(rng.normal(size=(N, C)).astype(np.float32), requires_grad=True)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)(LABELS, logits, sample_weight=np.ones(N))
    assert loss.shape == () and loss.dtype == np.float32
    loss.backward()
    softmax = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (softmax - one_hot(LABELS)) / N, rtol=1e-5, atol=1e-7)


def test_wrapper_and_subclass_of_user_functions():
    def scaled_mse(y_true, y_pred, scale=1.0):
        return losses.mean_squared_error(y_true, y_pred) * scale
    wrapped = losses.LossFunctionWrapper(scaled_mse, scale=3.0, reduction="sum")
    assert wrapped.name == "scaled_mse" and wrapped.scale == 3.0
    y, p = rng.normal(size=(N, 2)), rng.normal(size=(N, 2))
    np.testing.assert_allclose(wrapped(y, p).numpy(), 3 * ((y - p) ** 2).mean(1).sum())

    class Hinge(losses.Loss):
        def call(self, y_true, y_pred):
            return (1 - y_pred * y_true).mean(axis=-1)
    assert Hinge().name == "hinge"
    np.testing.assert_allclose(Hinge()(y, p).numpy(), (1 - p * y).mean())


@pytest.mark.parametrize("cls,kwargs", [
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}),
    ("SparseCategoricalCrossentropy", {"ignore_class": 3}),
    ("BinaryCrossentropy", {"axis": -2, "reduction": "sum"}),
    ("MeanSquaredError", {"name": "l2"}),
    ("MeanAbsoluteError", {}),
    ("MeanAbsolutePercentageError", {"reduction": "sum"}),
    ("KLDivergence", {"name": "kl"}),
    ("Dice", {"axis": [1, 2]}),
    ("Tversky", {"alpha": 0.3, "beta": 0.7}),
    ("Huber", {}),
    ("CosineSimilarity", {}),
    ("LogCosh", {}),
    ("CategoricalHinge", {}),
])
def test_config_round_trips_and_reads_keras_configs(cls, kwargs):
    ours, ref = getattr(losses, cls)(**kwargs), getattr(keras.losses, cls)(**kwargs)
    config = ours.get_config()
    assert config.items() >= ref.get_config().items()
    assert type(ours).from_config(config).get_config() == config
    assert losses.get({"class_name": cls, "config": ref.get_config()}).get_config() == config
    assert getattr(keras.losses, cls).from_config(config).get_config() == ref.get_config()


def test_wrapper_config_names_the_function():
    loss = losses.LossFunctionWrapper(losses.mae, name="l1", reduction="sum")
    config = loss.get_config()
    assert config == {"name": "l1", "reduction": "sum", "fn": "mean_absolute_error"}
    assert losses.LossFunctionWrapper.from_config(config).fn is losses.mean_absolute_error


def test_sparse_rejects_one_hot_labels():
    with pytest.raises(ValueError) as e:
        losses.sparse_categorical_crossentropy(np.eye(10)[np.arange(32) % 10], np.full((32, 10), 0.1))
    assert str(e.value) == ("sparse_categorical_crossentropy expects integer class labels of shape (N,) or (N, 1), "
                            "received y_true of shape (32, 10) for y_pred (32, 10); use categorical_crossentropy "
                            "for one-hot labels")
    with pytest.raises(ValueError, match=r"of shape \(N,\) or \(N, 1\), received y_true of shape \(16,\) for y_pred "
                                         r"\(32, 10\)$"):
        losses.SparseCategoricalCrossentropy()(np.zeros(16, int), np.full((32, 10), 0.1))


@pytest.mark.parametrize("labels", [np.arange(32) % 10, (np.arange(32) % 10)[:, None]])
def test_categorical_rejects_integer_labels(labels):
    with pytest.raises(ValueError) as e:
        losses.CategoricalCrossentropy()(labels, np.full((32, 10), 0.1))
    msg = str(e.value)
    assert f"received y_true of shape {labels.shape}" in msg and "(32, 10)" in msg
    assert "sparse_categorical_crossentropy" in msg and "to_categorical" in msg


def test_out_of_range_labels_name_the_value():
    with pytest.raises(ValueError, match=r"label 10 is out of range for 10 classes"):
        losses.sparse_categorical_crossentropy(np.array([1, 10, 3]), np.full((3, 10), 0.1))
    with pytest.raises(ValueError, match=r"label -2 is out of range"):
        losses.SparseCategoricalCrossentropy(ignore_class=-1)(np.array([-1, -2, 3]), np.full((3, 10), 0.1))


@pytest.mark.parametrize("fn", [losses.mean_squared_error, losses.mean_absolute_error, losses.binary_crossentropy,
                                losses.categorical_crossentropy])
def test_shape_mismatch_names_both_shapes(fn):
    with pytest.raises(ValueError, match=r"\(8, 3\).*\(8, 4\)"):
        fn(np.zeros((8, 3)), np.full((8, 4), 0.5))


def test_bad_sample_weight_and_reduction():
    with pytest.raises(ValueError, match=r"sample_weight of shape \(4,\) does not fit the per-sample losses of shape "
                                         r"\(8,\)"):
        losses.MeanSquaredError()(np.zeros((8, 2)), np.zeros((8, 2)), sample_weight=np.ones(4))
    with pytest.raises(ValueError, match="reduction must be one of"):
        losses.MeanSquaredError(reduction="avg")


def test_get():
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    for name in ("mape", "MAPE", "msle", "MSLE", "kld", "KLD", "kl_divergence", "log_cosh", "huber", "hinge",
                 "squared_hinge", "categorical_hinge", "poisson", "cosine_similarity", "dice", "tversky"):
        assert losses.get(name).__name__ == keras.losses.get(name).__name__
    for name in ("MeanAbsolutePercentageError", "KLDivergence", "Huber", "LogCosh", "Dice", "Tversky", "Poisson"):
        assert type(losses.get(name)) is getattr(losses, name)
        assert losses.get(name).name == keras.losses.get(name).name
    assert losses.get("mse") is losses.get("MSE") is losses.mean_squared_error
    assert isinstance(losses.get("SparseCategoricalCrossentropy"), losses.SparseCategoricalCrossentropy)
    assert isinstance(losses.get(losses.BinaryCrossentropy), losses.BinaryCrossentropy)
    instance = losses.MeanAbsoluteError()
    assert losses.get(instance) is instance and losses.get(len) is len and losses.get(None) is None
    with pytest.raises(ValueError) as e:
        losses.get("categorical_crossentropi")
    assert str(e.value) == "Unknown loss 'categorical_crossentropi'. Did you mean 'categorical_crossentropy'?"
    with pytest.raises(ValueError, match="Did you mean 'SparseCategoricalCrossentropy'"):
        losses.get({"class_name": "SparseCategoricalCrossEntropy", "config": {}})
    with pytest.raises(ValueError, match="Could not interpret loss identifier 3"):
        losses.get(3)


@pytest.mark.parametrize("identifier,y_true,y_pred,expected", [
    ("crossentropy", (8, 1), (8, 1), losses.binary_crossentropy),
    ("ce", (8,), (8, 10), losses.sparse_categorical_crossentropy),
    ("ce", (8, 1), (8, 10), losses.sparse_categorical_crossentropy),
    ("crossentropy", (8, 10), (8, 10), losses.categorical_crossentropy),
    ("mse", (8, 1), (8, 1), losses.mean_squared_error),
])
def test_resolve_loss_as_keras_compile(identifier, y_true, y_pred, expected):
    loss = losses.resolve_loss(identifier, y_true, y_pred)
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.fn is expected and loss.name == identifier


def test_resolve_loss_keeps_loss_instances():
    loss = losses.CategoricalCrossentropy(from_logits=True)
    assert losses.resolve_loss(loss) is loss and losses.resolve_loss(None) is None
    assert losses.resolve_loss(torch.nn.functional.mse_loss).name == "mse_loss"
    with pytest.raises(ValueError, match="pass y_true_shape and y_pred_shape"):
        losses.resolve_loss("crossentropy")


def test_plain_lists_work_as_in_keras():
    for cls in ("MeanSquaredError", "MeanAbsoluteError", "Huber", "KLDivergence", "BinaryCrossentropy"):
        ours = getattr(losses, cls)()([[1.0, 0.0]], [[0.5, 0.5]])
        ref = getattr(keras.losses, cls)()([[1.0, 0.0]], [[0.5, 0.5]])
        np.testing.assert_allclose(ours.numpy(), ref.detach().numpy(), rtol=1e-6)
    assert losses.MeanSquaredError()([[1.0, 0.0]], [[0.5, 0.5]], sample_weight=[2.0]).numpy() == 0.5


def test_hinge_keeps_labels_that_are_not_binary():
    y_true, y_pred = np.array([[-1.0, 0.0, 1.0]]), np.array([[0.3, -0.2, 0.4]])
    np.testing.assert_allclose(losses.hinge(y_true, y_pred).numpy(),
                               keras.losses.hinge(y_true, y_pred).detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(losses.hinge(y_true, y_pred).numpy(), [(1.3 + 1.0 + 0.6) / 3], rtol=1e-6)


def test_serialize_and_deserialize():
    config = losses.serialize(losses.Tversky(alpha=0.2, beta=0.8))
    assert config == keras.losses.serialize(keras.losses.Tversky(alpha=0.2, beta=0.8))
    loss = losses.deserialize(config)
    assert isinstance(loss, losses.Tversky) and (loss.alpha, loss.beta) == (0.2, 0.8)
    assert losses.deserialize(losses.serialize(losses.log_cosh)) is losses.log_cosh
