"""Registering a name again, as a notebook cell run twice does, means the new object (Keras's rule)."""
import striate
from striate.saving import registry


def test_a_name_registered_again_names_the_new_class():
    def define():
        @striate.saving.register_keras_serializable(package="Again")
        class Scale(striate.layers.Layer):
            def call(self, x):
                return x * 2
        return Scale
    first, second = define(), define()
    assert registry.get_registered_object("Again>Scale") is second
    assert striate.saving.get_registered_name(second) == "Again>Scale"
    assert first not in registry._CUSTOM_NAMES


def test_compile_keeps_the_loss_it_was_given():
    model = striate.Sequential([striate.Input(shape=(3,)), striate.layers.Dense(2)])
    model.compile(loss="mse", optimizer="sgd")
    assert model.loss == "mse"
