"""Seed 002 ("Deep learning I", "Deep learning with Keras"): the lecture's Keras snippets, runnable.

The slides quote the Keras documentation of its day; each section below is one slide's code, run on
data made up for it (as the documentation's own examples do) or, for the shared vision model, on pairs
of MNIST digits:

1. a Sequential model for 100-dimensional inputs and 10 classes, trained with SGD with momentum by
   ``fit``, then by hand with ``train_on_batch``, then ``evaluate`` and ``predict``;
2. the same network with the functional API (``Input``, ``Model``), trained with RMSprop;
3. a 3x3 convolution added back to its input (``layers.add``), the residual connection;
4. a shared vision model: one convolutional model applied to two digits, whose two outputs a
   classifier reads to tell whether the digits are the same;
5. saving and loading the weights (``save_weights('model_weights.h5')``, Keras 2's HDF5 file) and the
   architecture as JSON (``to_json``).

    python examples/keras_functional_api.py          # under a minute on 2 cores
    python examples/keras_functional_api.py --tiny   # seconds

Keras 3's spellings are used where the slides' Keras 2 ones are gone: ``learning_rate`` for ``lr``
(striate still takes ``lr``, with a warning), and no ``to_yaml`` (Keras removed it: YAML could run code).
"""
import argparse
import os
import tempfile

import numpy as np

import striate as keras
from striate.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from striate.models import Model, Sequential


def dummy_data(n, rng):
    """100 random features and a random one-hot label of 10 classes per example."""
    return rng.random((n, 100)).astype("float32"), keras.utils.to_categorical(rng.integers(0, 10, n), 10)


def sequential_model(x_train, y_train, x_test, y_test, epochs):
    """Slide "Defining a sequential model", then training and evaluation."""
    model = Sequential()
    model.add(Dense(units=64, activation="relu", input_dim=100))
    model.add(Dense(units=10, activation="softmax"))
    model.compile(loss=keras.losses.categorical_crossentropy,
                  optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9))
    # x_train and y_train are Numpy arrays --just like in the Scikit-Learn API.
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=2)
    # Or, feed batches manually in a training loop:
    for i in range(0, len(x_train) // 32):
        x_batch, y_batch = x_train[i * 32:(i + 1) * 32], y_train[i * 32:(i + 1) * 32]
        model.train_on_batch(x_batch, y_batch)
    loss_and_metrics = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    classes = model.predict(x_test, batch_size=128, verbose=0)
    print(f"1. Sequential: test loss {loss_and_metrics:.4f}; predict gives {classes.shape}")
    return model


def functional_model(data, labels, epochs):
    """Slide "Defining a functional model"."""
    inputs = Input(shape=(100,))
    x = Dense(64, activation="relu")(inputs)
    predictions = Dense(10, activation="softmax")(x)
    model = Model(inputs=inputs, outputs=predictions)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    history = model.fit(data, labels, epochs=epochs, verbose=0)  # starts training
    print(f"2. Functional: loss {history.history['loss'][0]:.4f} -> {history.history['loss'][-1]:.4f}")
    return model


def residual(image_size):
    """Slide "Models with shared layers": a 3x3 convolution added back to its input."""
    # input tensor for a 3-channel 256x256 image
    x = Input(shape=(image_size, image_size, 3))
    # 3x3 conv with 3 output channels (same as input channels)
    y = Conv2D(3, (3, 3), padding="same")(x)
    # this returns x + y
    z = keras.layers.add([x, y])
    model = Model(x, z)
    images = np.random.default_rng(0).random((2, image_size, image_size, 3)).astype("float32")
    conv_only = Model(x, y).predict(images, verbose=0)
    assert np.allclose(model.predict(images, verbose=0), images + conv_only, atol=1e-5)
    print(f"3. Residual: z = x + conv(x), output {model.output_shape}")
    return model


def digit_pairs(images, labels, n, rng):
    """``n`` pairs of 27x27 digits (MNIST's 28x28 less the last row and column), half of them of the
    same class; the target is 1 for the same class."""
    images = (images[:, :27, :27, None] / 255.0).astype("float32")
    a = rng.integers(0, len(images), n)
    same = np.arange(n) % 2 == 0
    b = rng.integers(0, len(images), n)
    for c in range(10):  # the second digit of a "same" pair: another image of the first one's class
        pick = same & (labels[a] == c)
        b[pick] = rng.choice(np.flatnonzero(labels == c), pick.sum())
    return [images[a], images[b]], (labels[a] == labels[b]).astype("float32")


def shared_vision_model(train, test, epochs):
    """Slide "shared vision model": the same layers, weights and all, applied to two inputs.

    As on the slide, one sigmoid unit reads the two feature vectors side by side: its score is a sum of
    one score per digit, which cannot compare the two, so it does little better than chance at telling
    whether they are the same. Comparing takes a hidden layer on the concatenation (or the difference
    of the two vectors); the slide is about sharing the vision model, which this shows."""
    # first, define the vision modules
    digit_input = Input(shape=(27, 27, 1))
    x = Conv2D(64, (3, 3))(digit_input)
    x = Conv2D(64, (3, 3))(x)
    x = MaxPooling2D((2, 2))(x)
    out = Flatten()(x)
    vision_model = Model(digit_input, out)

    # then define the tell-digits-apart model
    digit_a = Input(shape=(27, 27, 1))
    digit_b = Input(shape=(27, 27, 1))

    # the vision model will be shared, weights and all
    out_a = vision_model(digit_a)
    out_b = vision_model(digit_b)
    concatenated = keras.layers.concatenate([out_a, out_b])

    out = Dense(1, activation="sigmoid")(concatenated)
    classification_model = Model([digit_a, digit_b], out)

    classification_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    classification_model.fit(*train, batch_size=32, epochs=epochs, verbose=2)
    _, accuracy = classification_model.evaluate(*test, verbose=0)
    print(f"4. Shared vision model ({classification_model.count_params():,} parameters, "
          f"{vision_model.count_params():,} of them shared): same digit or not, test accuracy {accuracy:.3f}")
    return classification_model


def save_and_load(model, x, folder):
    """Slides "Saving a model" and "Saving and loading model weights"."""
    json_string = model.to_json()
    model.save_weights(os.path.join(folder, "model_weights.h5"))
    rebuilt = keras.models.model_from_json(json_string)   # the same architecture, new weights
    rebuilt.load_weights(os.path.join(folder, "model_weights.h5"))
    same = np.array_equal(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0))
    print(f"5. to_json ({len(json_string):,} characters) and save_weights/load_weights: "
          f"the rebuilt model predicts {'the same' if same else 'DIFFERENTLY'}")
    return same


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="little data, 1 epoch (for a quick check)")
    parser.add_argument("--out-dir", default=None, help="where model_weights.h5 is written (default: a "
                                                          "temporary folder, removed at the end)")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n, epochs, pairs, pair_epochs, size = (256, 1, 64, 1, 32) if args.tiny else (1000, 5, 2000, 2, 256)

    x_train, y_train = dummy_data(n, rng)
    x_test, y_test = dummy_data(n // 4, rng)
    sequential_model(x_train, y_train, x_test, y_test, epochs)
    model = functional_model(x_train, y_train, epochs)
    residual(size)
    ((images, labels), (test_images, test_labels)), name, why = keras.datasets.load_mnist_or_shapes()
    print(f"   (digits: {name}, {why})")
    shared_vision_model(digit_pairs(images, labels, pairs, rng),
                        digit_pairs(test_images, test_labels, pairs // 4, rng), pair_epochs)
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
        save_and_load(model, x_test, args.out_dir)
    else:
        with tempfile.TemporaryDirectory() as folder:
            save_and_load(model, x_test, folder)


if __name__ == "__main__":
    main()
