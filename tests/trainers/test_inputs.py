"""What fit/evaluate/predict accept: PyDatasets, generators, a PyTorch DataLoader, and inputs and
targets given as dicts, matched by name."""
import numpy as np
import pytest

import striate as keras
from striate import layers


def data(n=48, n_in=6, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_in)).astype("float32")
    return x, x[:, :n_out].argmax(1).astype("int64")


def model(n_in=6, n_out=3, seed=1):
    keras.utils.set_random_seed(seed)
    m = keras.Sequential([keras.Input(shape=(n_in,)), layers.Dense(8, activation="relu"),
                          layers.Dense(n_out, activation="softmax")])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


class Batches(keras.utils.PyDataset):
    """Arrays in batches of 8 (sample weights too, when given), recording what fit asks of it."""

    def __init__(self, x, y, sample_weight=None, batch_size=8, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.sw, self.batch_size = x, y, sample_weight, batch_size
        self.read, self.ends, self.begins = [], 0, 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, idx):
        self.read.append(idx)
        s = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return (self.x[s], self.y[s]) if self.sw is None else (self.x[s], self.y[s], self.sw[s])

    def on_epoch_begin(self):
        self.begins += 1

    def on_epoch_end(self):
        self.ends += 1


def same_weights(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))


# -- PyDataset ----------------------------------------------------------------------------------
def test_sequence_is_keras_2s_name_for_pydataset():
    assert keras.utils.Sequence is keras.utils.PyDataset
    ds = Batches(*data(20), workers=4, use_multiprocessing=True, max_queue_size=3)
    assert (ds.workers, ds.use_multiprocessing, ds.max_queue_size, ds.num_batches) == (4, True, 3, 3)
    assert len(list(ds)) == 3


def test_pydataset_in_index_order_trains_as_the_same_arrays_do():
    x, y = data()
    ds = Batches(x, y)
    by_dataset, by_arrays = model(), model()
    h = by_dataset.fit(ds, epochs=3, shuffle=False, verbose=0)
    by_arrays.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert ds.read == list(range(6)) * 3 and ds.begins == ds.ends == 3
    assert same_weights(by_dataset, by_arrays) and len(h.history["loss"]) == 3


def test_pydataset_shuffled_reads_every_batch_once_per_epoch_in_new_orders():
    ds = Batches(*data(64))
    model().fit(ds, epochs=3, verbose=0)  # shuffle=True, the default: the batches' order, as Keras 3
    epochs = [ds.read[i:i + 8] for i in range(0, 24, 8)]
    assert all(sorted(e) == list(range(8)) for e in epochs)
    assert len({tuple(e) for e in epochs + [list(range(8))]}) == 4


def test_pydataset_shuffle_is_repeatable_with_a_seed():
    orders = []
    for _ in range(2):
        ds = Batches(*data(64))
        model(seed=5).fit(ds, epochs=2, verbose=0)
        orders.append(ds.read)
    assert orders[0] == orders[1]


def test_pydataset_steps_per_epoch_reads_that_many_batches():
    ds = Batches(*data())
    model().fit(ds, epochs=2, steps_per_epoch=2, shuffle=False, verbose=0)
    assert ds.read == [0, 1, 0, 1]


def test_pydataset_sample_weights_weigh_the_loss():
    x, y = data()
    sw = np.where(np.arange(48) % 3 == 0, 0.0, 2.0).astype("float32")
    m = model()
    expected = m.evaluate(x, y, sample_weight=sw, batch_size=8, verbose=0)
    assert m.evaluate(Batches(x, y, sw), verbose=0) == pytest.approx(expected, rel=1e-6)
    assert m.evaluate(Batches(x, y), verbose=0)[0] != pytest.approx(expected[0], rel=1e-3)


def test_pydataset_with_class_weight_trains_as_arrays_do():
    x, y = data()
    weights = {0: 0.5, 1: 2.0, 2: 1.0}
    a, b = model(), model()
    a.fit(Batches(x, y), class_weight=weights, epochs=2, shuffle=False, verbose=0)
    b.fit(x, y, class_weight=weights, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert same_weights(a, b)


def test_pydataset_evaluate_and_predict_read_in_order():
    x, y = data()
    m, ds = model(), Batches(x, y)
    np.testing.assert_array_equal(m.predict(ds, verbose=0), m.predict(x, batch_size=8, verbose=0))
    assert ds.read == list(range(6))
    assert m.evaluate(ds, verbose=0) == pytest.approx(m.evaluate(x, y, batch_size=8, verbose=0), rel=1e-6)


def test_pydataset_errors():
    x, y = data()

    class Endless(keras.utils.PyDataset):
        num_batches = None

        def __getitem__(self, idx):
            return x[:8], y[:8]

    class Empty(Batches):
        def __len__(self):
            return 0
    with pytest.raises(ValueError, match="do not pass y"):
        model().fit(Batches(x, y), y, verbose=0)
    with pytest.raises(ValueError, match="Endless is an infinite PyDataset .* pass steps_per_epoch"):
        model().fit(Endless(), verbose=0)
    with pytest.raises(ValueError, match="Empty has no batches"):
        model().fit(Empty(x, y), verbose=0)
    assert len(model().fit(Endless(), steps_per_epoch=3, epochs=2, verbose=0).history["loss"]) == 2


# -- generators ---------------------------------------------------------------------------------
def test_looping_generator_with_steps_per_epoch_trains_as_arrays_do():
    x, y = data()

    def loop():
        while True:
            for i in range(0, 48, 8):
                yield x[i:i + 8], y[i:i + 8]
    a, b = model(), model()
    a.fit(loop(), steps_per_epoch=6, epochs=3, verbose=0)
    b.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert same_weights(a, b)


def test_finite_generator_is_one_epoch_then_fit_stops_with_a_warning():
    x, y = data()
    batches = ((x[i:i + 8], y[i:i + 8]) for i in range(0, 48, 8))
    with pytest.warns(UserWarning, match="ran out of data"):
        h = model().fit(batches, epochs=3, verbose=0)
    assert h.epoch == [0] and len(h.history["loss"]) == 1


def test_generator_for_evaluate_and_predict_and_its_bad_batches():
    x, y = data()
    m = model()
    expected = m.evaluate(x, y, batch_size=8, verbose=0)
    assert m.evaluate(((x[i:i + 8], y[i:i + 8]) for i in range(0, 48, 8)), verbose=0) == \
        pytest.approx(expected, rel=1e-6)
    out = m.predict((x[i:i + 8] for i in range(0, 48, 8)), verbose=0)
    np.testing.assert_array_equal(out, m.predict(x, verbose=0))
    with pytest.raises(ValueError, match=r"list_iterator given to fit must give batches .* received a batch of 4"):
        m.fit(iter([(x, y, y, y)]), verbose=0)
    with pytest.raises(ValueError, match="evaluate: the generator given to evaluate ran out of data"):
        m.evaluate((b for b in []), verbose=0)
    with pytest.raises(ValueError, match="do not pass sample_weight"):
        m.fit(iter([(x, y)]), sample_weight=np.ones(48), verbose=0)


# -- a PyTorch DataLoader -----------------------------------------------------------------------
def test_torch_dataloader_batches_read_as_x_and_y():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset
    x, y = data()
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8, shuffle=False)
    a, b = model(), model()
    seen = []

    class Steps(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(self.params["steps"])
    h = a.fit(loader, epochs=3, verbose=0, callbacks=[Steps()])  # read afresh each epoch
    b.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert seen == [6] and len(h.history["loss"]) == 3 and same_weights(a, b)
    np.testing.assert_array_equal(a.predict(loader, verbose=0), a.predict(x, verbose=0))
    assert a.evaluate(loader, verbose=0) == pytest.approx(a.evaluate(x, y, batch_size=8, verbose=0), rel=1e-6)


def test_torch_tensors_that_need_grad_are_read_too():
    torch = pytest.importorskip("torch")
    x, y = data(16)
    batches = [(torch.from_numpy(x).requires_grad_(), torch.from_numpy(y))]
    model().fit(iter(batches), epochs=1, verbose=0)


# -- validation_data given as a PyDataset or a generator ----------------------------------------
def test_validation_data_as_a_pydataset_or_a_generator():
    x, y = data()
    xv, yv = data(24, seed=3)
    val_ds = Batches(xv, yv)

    def val_loop():
        while True:
            for i in range(0, 24, 8):
                yield xv[i:i + 8], yv[i:i + 8]
    for validation_data, steps in ((val_ds, None), (val_loop(), 3)):
        m = model()
        h = m.fit(x, y, epochs=2, verbose=0, validation_data=validation_data, validation_steps=steps)
        assert h.history["val_loss"][-1] == pytest.approx(m.evaluate(xv, yv, verbose=0)[0], rel=1e-6)
    assert val_ds.read == [0, 1, 2] * 2 and val_ds.ends == 2  # in order, never shuffled


def test_finite_validation_generator_stops_fit_when_used_up():
    x, y = data()
    xv, yv = data(16, seed=3)
    with pytest.warns(UserWarning, match="ran out of data.*validation_steps"):
        h = model().fit(x, y, epochs=4, verbose=0, validation_data=iter([(xv, yv)]))
    assert len(h.history["loss"]) == 2 and len(h.history["val_loss"]) == 1


def test_validation_data_as_a_list_is_x_and_y():
    x, y = data()
    h = model().fit(x, y, epochs=1, verbose=0, validation_data=[x[:16], y[:16]])
    assert "val_loss" in h.history


# -- dict inputs and outputs, matched by name ---------------------------------------------------
def two_by_two():
    """Inputs 'a' and 'b' and outputs 'first' and 'second', all of one shape: a mix-up by position
    would run, and give other numbers."""
    keras.utils.set_random_seed(2)
    a, b = keras.Input(shape=(3,), name="a"), keras.Input(shape=(3,), name="b")
    h = layers.Dense(4, activation="tanh")(layers.concatenate([a, layers.Dense(3)(b)]))
    m = keras.Model([a, b], [layers.Dense(2, name="first")(h), layers.Dense(2, name="second")(h)])
    m.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(4)
    xa, xb, y1, y2 = (rng.standard_normal((20, n)).astype("float32") for n in (3, 3, 2, 2))
    return m, xa, xb, y1, y2


def test_dict_inputs_and_outputs_match_by_name_not_order():
    m, xa, xb, y1, y2 = two_by_two()
    by_list = m.predict([xa, xb], verbose=0)
    by_dict = m.predict({"b": xb, "a": xa}, verbose=0)
    for p, q in zip(by_list, by_dict):
        np.testing.assert_array_equal(p, q)
    assert not np.allclose(m.predict([xb, xa], verbose=0)[0], by_list[0])
    expected = m.evaluate([xa, xb], [y1, y2], verbose=0, return_dict=True)
    got = m.evaluate({"b": xb, "a": xa}, {"second": y2, "first": y1}, verbose=0, return_dict=True)
    assert got == pytest.approx(expected, rel=1e-6)
    assert m.evaluate([xa, xb], [y2, y1], verbose=0) != pytest.approx(list(expected.values()), rel=1e-3)


def test_dict_inputs_train_as_lists_do():
    m, xa, xb, y1, y2 = two_by_two()
    m.fit({"b": xb, "a": xa}, {"second": y2, "first": y1}, epochs=2, shuffle=False, verbose=0)
    n, *_ = two_by_two()
    n.fit([xa, xb], [y1, y2], epochs=2, shuffle=False, verbose=0)
    assert same_weights(m, n)


def test_dict_batches_from_a_generator_match_by_name():
    m, xa, xb, y1, y2 = two_by_two()
    expected = m.evaluate([xa, xb], [y1, y2], verbose=0)
    got = m.evaluate(iter([({"b": xb, "a": xa}, {"second": y2, "first": y1})]), verbose=0)
    assert got == pytest.approx(expected, rel=1e-6)


def test_a_dict_key_that_names_no_input_or_output_is_an_error():
    m, xa, xb, y1, y2 = two_by_two()
    with pytest.raises(ValueError, match=r"x has key\(s\) \['c'\] that name no input; the model's inputs are "
                                         r"\['a', 'b'\]"):
        m.predict({"a": xa, "c": xb}, verbose=0)
    with pytest.raises(ValueError, match=r"x has no key for input\(s\) \['b'\]"):
        m.predict({"a": xa}, verbose=0)
    with pytest.raises(ValueError, match=r"y has key\(s\) \['third'\] that name no output; the model's outputs "
                                         r"are \['first', 'second'\]"):
        m.fit({"a": xa, "b": xb}, {"first": y1, "third": y2}, verbose=0)


def test_single_input_model_takes_a_dict_keyed_by_its_input_name():
    x, y = data()
    m = model()
    name = m.inputs[0].name
    np.testing.assert_array_equal(m.predict({name: x}, verbose=0), m.predict(x, verbose=0))
    with pytest.raises(ValueError, match=f"that name no input; the model's inputs are \\['{name}'\\]"):
        m.predict({"pixels": x}, verbose=0)
