"""striate: a light, fast deep-learning library with the Keras API, on NumPy.

    import striate as keras

    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=10)
"""
from striate import activations, backend, initializers, layers, models, ops, regularizers, utils
from striate.autodiff import Tensor, Variable, grad, no_grad, value_and_grad
from striate.layers import Input, Layer
from striate.models import Model, Sequential

__version__ = "0.1.0"


def __getattr__(name):
    # Heavier or optional parts load on first use, so `import striate` stays fast.
    import importlib
    if name in ("optimizers", "losses", "metrics", "callbacks", "datasets", "saving", "preprocessing", "random",
                "applications", "visualize"):
        return importlib.import_module(f"striate.{name}")
    raise AttributeError(f"module 'striate' has no attribute {name!r}")
