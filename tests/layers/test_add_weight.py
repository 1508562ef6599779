"""Layer.add_weight without a name: Keras 3 names such weights 'variable', 'variable_1', ..., and so must
striate, so that paths, weight files and optimizer slots tell them apart."""
import keras as real_keras
import numpy as np

import striate


def scale_and_shift(lib):
    """A custom layer with two unnamed weights, written as the Keras guides write one."""
    class ScaleAndShift(lib.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            self.b = self.add_weight(shape=(input_shape[-1],), initializer="zeros")

        def call(self, x):
            return x * self.w + self.b

    return ScaleAndShift


def paths(lib):
    lib.backend.clear_session()
    layer_class = scale_and_shift(lib)
    first, second = layer_class(), layer_class()
    first(lib.Input(shape=(3,)))
    second(lib.Input(shape=(3,)))
    return [v.path for v in first.weights + second.weights]


def test_unnamed_weights_get_keras_names():
    assert paths(striate) == paths(real_keras)
    assert paths(striate) == ["scale_and_shift/variable", "scale_and_shift/variable_1",
                              "scale_and_shift_1/variable_2", "scale_and_shift_1/variable_3"]


def test_unnamed_weights_get_their_own_optimizer_slots():
    model = striate.Sequential([striate.Input(shape=(3,)), scale_and_shift(striate)()])
    model.compile(optimizer=striate.optimizers.Adam(), loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 3), "float32"), verbose=0)
    slot_names = [v.name for v in model.optimizer.variables[2:]]
    assert len(slot_names) == 4 and len(set(slot_names)) == 4, slot_names
