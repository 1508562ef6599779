"""A gradient the user computed outside fit (``backward()`` on their own loss) is not added into fit's next step."""
import numpy as np

import striate as keras


def _model():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_fit_ignores_gradients_left_on_the_weights():
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
    clean, used = _model(), _model()
    out = used(keras.Tensor(x))
    (out * 100.0).sum().backward()  # leaves large .grad on the kernel and bias
    assert used.trainable_weights[0].grad is not None
    clean.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    used.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(clean.get_weights(), used.get_weights()):
        np.testing.assert_array_equal(a, b)
