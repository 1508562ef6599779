"""Optimizers against Keras 3 (torch backend): same config, same gradients, same weights and slots."""
import os
import tracemalloc
import warnings

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402
import torch  # noqa: E402

from striate import optimizers  # noqa: E402
from striate.autodiff import Variable  # noqa: E402

# Keras's torch backend converts tensors with np.array(), which torch answers with a NumPy 2 deprecation notice.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

SHAPES = [(3, 4), (4,), (2, 3, 2)]
STEPS = 5


def _run(library, name, kwargs, grads, inits):
    """Apply ``grads`` (a list per step) with ``library``'s optimizer; return it and its variables' values."""
    if library == "keras":
        variables = [keras.Variable(x.copy(), name=f"w{i}") for i, x in enumerate(inits)]
        to_grad = lambda g: None if g is None else torch.from_numpy(g.copy())  # noqa: E731
        to_numpy = keras.ops.convert_to_numpy
    else:
        variables = [Variable(x.copy(), name=f"w{i}") for i, x in enumerate(inits)]
        to_grad = lambda g: None if g is None else g.copy()  # noqa: E731
        to_numpy = np.asarray
    module = keras.optimizers if library == "keras" else optimizers
    optimizer = getattr(module, name)(**kwargs(module))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for step_grads in grads:
            optimizer.apply([to_grad(g) for g in step_grads], variables)
    weights = [to_numpy(v.value if library == "keras" else v.data) for v in variables]
    state = [np.asarray(to_numpy(v.value if library == "keras" else v.data)) for v in optimizer.variables]
    return optimizer, weights, state


def _data(seed, scale=1.0, none_at=None):
    rng = np.random.default_rng(seed)
    inits = [rng.standard_normal(s).astype("float32") for s in SHAPES]
    grads = [[(scale * rng.standard_normal(s)).astype("float32") for s in SHAPES] for _ in range(STEPS)]
    if none_at is not None:
        grads[none_at[0]][none_at[1]] = None
    return inits, grads


def _plain(**kw):
    return lambda module: kw


CASES = [
    ("SGD", _plain()),
    ("SGD", _plain(learning_rate=0.1, momentum=0.9)),
    ("SGD", _plain(learning_rate=0.1, momentum=0.9, nesterov=True)),
    ("SGD", _plain(learning_rate=0.05, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", _plain()),
    ("RMSprop", _plain(learning_rate=0.01, momentum=0.9)),
    ("RMSprop", _plain(learning_rate=0.01, centered=True, rho=0.8)),
    ("RMSprop", _plain(learning_rate=0.01, centered=True, momentum=0.5, clipnorm=1.0)),
    ("Adam", _plain()),
    ("Adam", _plain(learning_rate=0.1, amsgrad=True)),
    ("Adam", _plain(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3, clipnorm=1.0)),
    ("Adam", _plain(learning_rate=0.01, clipvalue=0.5)),
    ("Adam", _plain(learning_rate=0.01, global_clipnorm=2.0)),
    ("Adam", lambda m: {"learning_rate": m.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)}),
    ("AdamW", _plain()),
    ("AdamW", _plain(learning_rate=0.05, weight_decay=0.1, amsgrad=True)),
    ("AdamW", lambda m: {"learning_rate": m.schedules.CosineDecay(0.1, decay_steps=4), "weight_decay": 0.2}),
    ("Adagrad", _plain()),
    ("Adagrad", _plain(learning_rate=0.1, initial_accumulator_value=0.5, epsilon=1e-4, global_clipnorm=1.0)),
    ("Nadam", _plain()),
    ("Nadam", _plain(learning_rate=0.05, beta_1=0.8, clipvalue=0.3)),
    ("Nadam", lambda m: {"learning_rate": m.schedules.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01]),
                         "weight_decay": 0.05}),
]


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda i: f"{CASES[i][0]}-{i}")
def test_matches_keras(case):
    name, kwargs = CASES[case]
    inits, grads = _data(case, scale=2.0)
    _, ours, our_state = _run("striate", name, kwargs, grads, inits)
    _, theirs, their_state = _run("keras", name, kwargs, grads, inits)
    # Adam's and Nadam's bias corrections are computed in float64 (as PyTorch does), Keras's from
    # float32-rounded betas: weights agree to 1e-5 after several steps at learning rates up to 0.1
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-5)
    assert len(our_state) == len(their_state)
    for a, b in zip(our_state, their_state):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_none_gradient_skips_the_variable_as_keras_does():
    inits, grads = _data(1, none_at=(2, 1))
    kwargs = _plain(learning_rate=0.1, momentum=0.9)
    with pytest.warns(UserWarning, match="w1"):
        optimizers.SGD(learning_rate=0.1).apply([None, np.ones(4, "float32")],
                                                [Variable(np.ones(3, "float32"), name="w1"),
                                                 Variable(np.ones(4, "float32"), name="w2")])
    _, ours, _ = _run("striate", "SGD", kwargs, grads, inits)
    _, theirs, _ = _run("keras", "SGD", kwargs, grads, inits)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="no gradient"):
        optimizers.SGD().apply([None], [Variable(np.ones(3, "float32"))])


def test_updates_in_place_without_large_temporaries():
    n = 250_000  # 1 MB of float32 per array
    for name in ("SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Nadam"):
        kwargs = {"momentum": 0.9} if name == "SGD" else {}
        optimizer = getattr(optimizers, name)(clipnorm=1e-3, **kwargs)
        w = Variable(np.ones(n, "float32"), name="w")
        g = np.full(n, 0.5, "float32")
        optimizer.apply([g], [w])  # builds slots, scratch and clip buffers (and moves w's values, once)
        data = w.data
        tracemalloc.start()
        optimizer.apply([g], [w])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < n * 4 / 10, f"{name} allocated {peak} bytes in one step"
        assert w.data is data and w.data.dtype == np.float32
        np.testing.assert_array_equal(g, 0.5)  # gradients are not modified


def _three_variables(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(30, 20), (20,), (4, 3, 5)]
    return [Variable(rng.standard_normal(s).astype("float32"), name=f"v{i}") for i, s in enumerate(shapes)], \
        [[rng.standard_normal(s).astype("float32") for s in shapes] for _ in range(4)]


@pytest.mark.parametrize("name, kwargs", [
    ("Adam", {}), ("Adam", {"amsgrad": True, "clipnorm": 0.5}), ("AdamW", {"global_clipnorm": 0.3}),
    ("SGD", {"momentum": 0.9, "nesterov": True, "clipvalue": 0.2}), ("RMSprop", {"centered": True}),
    ("Adagrad", {}), ("Nadam", {"weight_decay": 0.01}),
])
def test_one_update_over_all_variables_gives_the_bits_of_one_per_variable(name, kwargs):
    """Built-in rules are elementwise: they update all the variables at once, as views of one array."""
    joined_vars, steps = _three_variables()
    apart_vars, _ = _three_variables()
    joined, apart = getattr(optimizers, name)(**kwargs), getattr(optimizers, name)(**kwargs)
    apart._elementwise = False  # the same rule, one variable at a time
    for grads in steps:
        joined.apply([g.copy() for g in grads], joined_vars)
        apart.apply([g.copy() for g in grads], apart_vars)
    assert joined._joined is not None and apart._joined is None
    assert all(v.data.base is joined._joined.weights for v in joined_vars)
    for a, b in zip(joined_vars + joined.variables, apart_vars + apart.variables):
        np.testing.assert_array_equal(a.data, b.data)


def test_large_models_are_updated_variable_by_variable(monkeypatch):
    from striate.optimizers.optimizer import _Joined
    monkeypatch.setattr(_Joined, "MAX_SIZE", 30 * 20)
    variables, steps = _three_variables()
    optimizer = optimizers.Adam()
    data = [v.data for v in variables]
    optimizer.apply(steps[0], variables)
    assert optimizer._joined is None and all(v.data is d for v, d in zip(variables, data))


def test_variables_updated_apart_when_not_all_together():
    """A missing gradient, or variables that another optimizer has taken over, are updated one by one."""
    variables, steps = _three_variables()
    first, second = optimizers.Adam(), optimizers.Adam()
    first.apply(steps[0], variables)
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        first.apply([steps[1][0], None, steps[1][2]], variables)
    before = variables[1].numpy().copy()
    second.apply(steps[2], variables)  # now views of the second optimizer's array
    first.apply(steps[3], variables)
    assert not first._joined.holds(first._joined.order, variables)
    reference, _ = _three_variables()
    check = optimizers.Adam()
    check._elementwise = False
    check.apply(steps[0], reference)
    with pytest.warns(UserWarning):
        check.apply([steps[1][0], None, steps[1][2]], reference)
    np.testing.assert_array_equal(before, reference[1].data)
    check.apply(steps[3], reference)  # the first optimizer's own state, as if the second had not run
    np.testing.assert_array_equal(first.variables[-1].data, check.variables[-1].data)


def test_lr_alias_warns_and_sets_the_learning_rate():
    with pytest.warns(DeprecationWarning, match="learning_rate"):
        optimizer = optimizers.SGD(lr=0.5, momentum=0.9)
    assert optimizer.learning_rate == pytest.approx(0.5)
    assert optimizer.momentum == 0.9
    w = Variable(np.ones(2, "float32"))
    optimizer.apply([np.ones(2, "float32")], [w])
    np.testing.assert_allclose(w.data, 0.5)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="`decay`.*schedule"):
        optimizers.SGD(learning_rate=0.1, decay=1e-6)
    with pytest.raises(TypeError, match="SGD.*'momentun'.*Did you mean 'momentum'"):
        optimizers.SGD(momentun=0.9)
    with pytest.raises(TypeError, match="Adam.*'foo'"):
        optimizers.Adam(foo=1)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="only one of"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match="use_ema"):
        optimizers.Adam(use_ema=True)


def test_get_by_name_config_and_instance():
    for name, cls in [("adam", optimizers.Adam), ("SGD", optimizers.SGD), ("RMSprop", optimizers.RMSprop),
                      ("adagrad", optimizers.Adagrad), ("AdamW", optimizers.AdamW), ("nadam", optimizers.Nadam)]:
        assert type(optimizers.get(name)) is cls
    adam = optimizers.Adam()
    assert optimizers.get(adam) is adam
    assert optimizers.get(None) is None
    sgd = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.1, "momentum": 0.9}})
    assert isinstance(sgd, optimizers.SGD) and sgd.momentum == 0.9
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adm'\. Did you mean 'adam'\?"):
        optimizers.get("adm")
    with pytest.raises(ValueError, match="Could not interpret"):
        optimizers.get(3)


def test_defaults_and_configs_match_keras():
    for name in ("SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Nadam"):
        ours = getattr(optimizers, name)().get_config()
        theirs = getattr(keras.optimizers, name)().get_config()
        theirs.pop("name")
        assert {k: theirs[k] for k in ours if k != "name"} == {k: v for k, v in ours.items() if k != "name"}


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True, "clipnorm": 1.0}),
    ("RMSprop", {"rho": 0.8, "centered": True, "weight_decay": 0.01}),
    ("Adam", {"learning_rate": optimizers.schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=10)}),
    ("AdamW", {"weight_decay": 0.1, "global_clipnorm": 2.0}),
    ("Adagrad", {"initial_accumulator_value": 0.2}),
    ("Nadam", {"beta_1": 0.8, "clipvalue": 0.5, "name": "my_nadam"}),
])
def test_config_round_trip(name, kwargs):
    optimizer = getattr(optimizers, name)(**kwargs)
    config = optimizer.get_config()
    clone = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(clone) is type(optimizer) and clone.get_config() == config
    # Keras reads striate's config, and striate reads Keras's.
    theirs = keras.optimizers.deserialize(optimizers.serialize(optimizer))
    assert optimizers.deserialize(keras.optimizers.serialize(theirs)).get_config() == config


def test_learning_rate_is_settable_mid_training_like_keras():
    inits, grads = _data(3)
    results = []
    for module, variables in ((optimizers, [Variable(x.copy()) for x in inits]),
                              (keras.optimizers, [keras.Variable(x.copy()) for x in inits])):
        optimizer = module.Adam(learning_rate=0.01)
        for step, step_grads in enumerate(grads):
            if step == 2:
                optimizer.learning_rate = 0.1
            to_grad = torch.from_numpy if module is keras.optimizers else np.copy
            optimizer.apply([to_grad(g.copy()) for g in step_grads], variables)
        results.append([keras.ops.convert_to_numpy(v.value) if module is keras.optimizers else v.data
                        for v in variables])
        assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(0.1)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-5)  # bias corrections in float64, as above
    scheduled = optimizers.SGD(learning_rate=optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="not settable"):
        scheduled.learning_rate = 0.01
    scheduled.learning_rate = optimizers.schedules.ExponentialDecay(1.0, 10, 0.5)
    assert scheduled.learning_rate == 1.0 and len(scheduled.variables) == 1


def test_iterations_and_schedule_evaluated_at_each_step():
    optimizer = optimizers.SGD(learning_rate=optimizers.schedules.PiecewiseConstantDecay([0], [1.0, 0.5]))
    w = Variable(np.zeros(1, "float32"))
    assert optimizer.iterations == 0 and optimizer.learning_rate == 1.0
    optimizer.apply([np.ones(1, "float32")], [w])
    assert optimizer.iterations == 1 and optimizer.learning_rate == 0.5
    assert optimizer.apply_gradients([(np.ones(1, "float32"), w)]) == 2
    np.testing.assert_allclose(w.data, [-1.5])


def test_saved_state_resumes_identically():
    inits, grads = _data(4)
    variables = [Variable(x.copy(), name=f"w{i}") for i, x in enumerate(inits)]
    optimizer = optimizers.Nadam(learning_rate=0.01)
    for step_grads in grads[:3]:
        optimizer.apply(step_grads, variables)
    store = {}
    optimizer.save_own_variables(store)
    copies = [Variable(v.data.copy(), name=v.path) for v in variables]
    restored = optimizers.Nadam(learning_rate=0.01)
    restored.build(copies)
    restored.load_own_variables(store)
    assert restored.iterations == 3
    for step_grads in grads[3:]:
        optimizer.apply(step_grads, variables)
        restored.apply(step_grads, copies)
    for a, b in zip(variables, copies):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("name, kwargs", [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.96}),
    ("ExponentialDecay", {"initial_learning_rate": 0.3, "decay_steps": 10, "decay_rate": 0.5, "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [10, 100], "values": [0.1, 0.01, 0.001]}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 100}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 100, "alpha": 0.1}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 100, "warmup_target": 0.5, "warmup_steps": 20}),
])
def test_schedules_match_keras(name, kwargs):
    ours = getattr(optimizers.schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    for step in (0, 1, 5, 10, 11, 37, 99, 100, 101, 119, 120, 500):
        expected = float(keras.ops.convert_to_numpy(theirs(step)))
        assert ours(step) == pytest.approx(expected, rel=1e-6, abs=1e-9), step
    assert ours.get_config() == theirs.get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()


def test_schedule_errors():
    with pytest.raises(ValueError, match="decay_steps"):
        optimizers.schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="one more value"):
        optimizers.schedules.PiecewiseConstantDecay([1, 2], [0.1])
    with pytest.raises(ValueError, match="Unknown learning rate schedule"):
        optimizers.schedules.deserialize({"class_name": "Nope", "config": {}})


def _subnormal(a):
    return (a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)


def _train_after_gradients_stop(name, kwargs, dtype, steps, check=None):
    w = Variable(np.array([1.0, -1.0, 0.5, 2.0], dtype), name="w")
    live = Variable(np.ones(3, dtype), name="live")
    optimizer = getattr(optimizers, name)(**kwargs)
    optimizer.apply([np.array([1e-3, -1e-3, 1e-30, 1.0], dtype), np.ones(3, dtype)], [w, live])
    zero = np.zeros(4, dtype)
    slots = [s for s in optimizer.variables if s.shape in (w.shape, live.shape)]  # not Nadam's scalar u_product
    for step in range(2, steps + 1):
        optimizer.apply([zero, np.ones(3, dtype)], [w, live])
        if check is not None:
            check(step, slots)
    return optimizer, slots, [w.numpy(), live.numpy()]


@pytest.mark.parametrize("name, kwargs", [
    ("Adam", {}), ("Nadam", {}), ("RMSprop", {}), ("SGD", {"learning_rate": 0.01, "momentum": 0.9}),
    ("Adam", {"amsgrad": True}),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_slots_never_hold_subnormals_once_gradients_stop(name, kwargs, dtype, monkeypatch):
    # A dead unit's gradient is zero: its moments decay by a constant factor each step, into
    # subnormals (slow arithmetic on many CPUs) unless flushed. 1,200 steps take Adam's 0.9 from
    # 1e-3 down past float32's 1e-38, and float64 variables flush by the same rule.
    def check(step, slots):
        for slot in slots:
            assert not _subnormal(slot.numpy()).any(), (step, slot.name, slot.numpy())

    optimizer, slots, weights = _train_after_gradients_stop(name, kwargs, dtype, 1199, check)
    assert optimizer.iterations == 1199
    momentums = [s.numpy() for s in slots if s.name == "w_momentum"]
    assert len(momentums) == (name != "RMSprop")
    if dtype == "float32":  # decayed by 0.9 a step, the first moments are flushed to exactly zero
        assert all(m.tolist() == [0.0] * 4 for m in momentums)
    # and the weights are the same bits as without flushing
    monkeypatch.setattr(optimizers.optimizer, "FLUSH_EVERY", 10 ** 9)
    _, unflushed, expected = _train_after_gradients_stop(name, kwargs, dtype, 1199)
    if dtype == "float32":  # (float64's would take 6,600 steps)
        assert any(_subnormal(s.numpy()).any() for s in unflushed)
    for got, want in zip(weights, expected):
        np.testing.assert_array_equal(got, want)


def test_flush_keeps_what_is_above_the_bound_and_nan():
    bound = 2.0 ** 26 * np.finfo(np.float32).tiny
    w = Variable(np.zeros(6, "float32"), name="w")
    optimizer = optimizers.Adam()
    optimizer.build([w])
    m, = [s for s in optimizer.variables if s.name == "w_momentum"]
    values = np.array([bound, -bound, bound / 2, -np.inf, np.nan, 1e-45], "float32")
    m.data[...] = values
    optimizer._flush_subnormals(np)
    np.testing.assert_array_equal(m.numpy(), [bound, -bound, 0, -np.inf, np.nan, 0])
