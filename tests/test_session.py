"""backend.epsilon, backend.image_data_format and clear_session, as Keras has them."""
import os

import pytest

import striate
from striate import backend

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402


@pytest.fixture
def restored():
    yield
    backend.set_epsilon(1e-7)
    backend.set_image_data_format("channels_last")


def test_epsilon_defaults_to_keras_and_can_be_set(restored):
    assert backend.epsilon() == keras.backend.epsilon() == 1e-7
    backend.set_epsilon(1e-4)
    assert backend.epsilon() == 1e-4
    y = striate.ops.normalize([[0.0, 1e-6]])  # normalize divides by at least epsilon
    assert float(y.numpy()[0, 1]) == pytest.approx(1e-2)
    for bad in (0, -1e-3, "1e-7", True):
        with pytest.raises(ValueError, match="set_epsilon expects a positive number"):
            backend.set_epsilon(bad)


def test_image_data_format(restored):
    assert backend.image_data_format() == keras.backend.image_data_format() == "channels_last"
    backend.set_image_data_format("channels_first")
    assert backend.image_data_format() == "channels_first"
    with pytest.raises(ValueError, match="set_image_data_format expects 'channels_last' or 'channels_first', "
                                         "received 'nhwc'"):
        backend.set_image_data_format("nhwc")


@pytest.mark.parametrize("clear", [striate.utils.clear_session, backend.clear_session])
def test_clear_session_restarts_automatic_names(clear):
    striate.layers.Dense(2)
    second = striate.layers.Dense(2)
    assert second.name != "dense"
    clear()
    assert striate.layers.Dense(2).name == "dense"
    assert striate.Sequential([striate.Input((3,)), striate.layers.Dense(1)]).name == "sequential"


def test_clear_session_leaves_random_state_alone():
    striate.utils.set_random_seed(3)
    a = striate.random.normal((3,)).numpy()
    striate.utils.set_random_seed(3)
    striate.utils.clear_session()
    assert (striate.random.normal((3,)).numpy() == a).all()
