"""The lectures' Keras snippets (seeds 002 and 003), run unchanged with striate standing in for keras."""
import sys
import textwrap
import types

import numpy as np
import pytest

import striate


@pytest.fixture
def as_keras(monkeypatch):
    """Make `import keras`, `from keras.layers import ...` and `from tensorflow import keras` give striate."""
    for name, module in {"keras": striate, "keras.models": striate.models, "keras.layers": striate.layers,
                         "keras.optimizers": striate.optimizers, "keras.losses": striate.losses}.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setitem(sys.modules, "tensorflow", types.SimpleNamespace(keras=striate))
    return striate


def run(source, **names):
    scope = dict(names)
    exec(compile(textwrap.dedent(source), "<lecture>", "exec"), scope)
    return scope


def test_seed002_sequential_with_add(as_keras):
    s = run("""
        import keras
        nn = keras.models.Sequential()
        nn.add(keras.layers.Dense(100, activation='sigmoid'))
        nn.add(keras.layers.Dense(10, activation='softmax'))
    """)
    out = s["nn"].predict(np.random.rand(4, 20), verbose=0)
    assert out.shape == (4, 10) and np.allclose(out.sum(1), 1, atol=1e-5)


def test_seed002_sgd_training_loop(as_keras):
    rng = np.random.default_rng(0)
    x_train = rng.random((64, 100)).astype("float32")
    y_train = np.eye(10, dtype="float32")[rng.integers(0, 10, 64)]
    s = run("""
        import keras
        from keras.models import Sequential
        model = Sequential()
        from keras.layers import Dense

        model.add(Dense(units=64, activation='relu', input_dim=100))
        model.add(Dense(units=10, activation='softmax'))
        model.compile(loss=keras.losses.categorical_crossentropy,
                      optimizer=keras.optimizers.SGD(lr=0.01, momentum=0.9))
        model.fit(x_train, y_train, epochs=5, batch_size=32)
        for i in range(0, num_iterations):
            x_batch, y_batch = some_batch_generator(i)
            model.train_on_batch(x_batch, y_batch)
        loss_and_metrics = model.evaluate(x_test, y_test, batch_size=128)
        classes = model.predict(x_test, batch_size=128)
    """, x_train=x_train, y_train=y_train, x_test=x_train, y_test=y_train, num_iterations=3,
        some_batch_generator=lambda i: (x_train[i * 8:(i + 1) * 8], y_train[i * 8:(i + 1) * 8]))
    assert np.isfinite(s["loss_and_metrics"])
    assert s["classes"].shape == (64, 10)


def test_seed002_functional_model(as_keras):
    rng = np.random.default_rng(0)
    s = run("""
        from keras.layers import Input, Dense
        from keras.models import Model

        inputs = Input(shape=(100,))
        x = Dense(64, activation='relu')(inputs)
        predictions = Dense(10, activation='softmax')(x)

        model = Model(inputs=inputs, outputs=predictions)
        model.compile(optimizer='rmsprop',
                      loss='categorical_crossentropy')
        model.fit(data, labels) # starts training
    """, data=rng.random((50, 100)), labels=np.eye(10)[rng.integers(0, 10, 50)])
    assert s["model"].count_params() == 100 * 64 + 64 + 64 * 10 + 10


def test_seed002_residual_add_and_shared_vision_model(as_keras):
    s = run("""
        import keras
        from keras.layers import Conv2D, Input

        # input tensor for a 3-channel 256x256 image
        x = Input(shape=(256, 256, 3))
        # 3x3 conv with 3 output channels (same as input channels)
        y = Conv2D(3, (3, 3), padding='same')(x)
        # this returns x + y
        z = keras.layers.add([x, y])

        from keras.layers import Conv2D, MaxPooling2D, Input, Dense, Flatten
        from keras.models import Model

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

        out = Dense(1, activation='sigmoid')(concatenated)
        classification_model = Model([digit_a, digit_b], out)
    """)
    assert s["z"].shape == (None, 256, 256, 3)
    model = s["classification_model"]
    assert model.output_shape == (None, 1)
    a, b = np.random.rand(2, 27, 27, 1), np.random.rand(2, 27, 27, 1)
    p = model.predict([a, b], verbose=0)
    assert p.shape == (2, 1)
    # shared weights: the vision model's conv weights are counted once
    assert model.count_params() == s["vision_model"].count_params() + 2 * 11 * 11 * 64 + 1


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_seed003_functional_conv_pool_dense(as_keras, padding):
    s = run("""
        from tensorflow import keras
        # Build a simple model that takes a 32x32 RGB im
        img_input = keras.Input(shape=(32, 32, 3))
        # create a convolutional layer and pass the image
        conv1_op = keras.layers.Conv2D(n_channels, filter_width, activation='relu',
                                       padding=padding, strides=(x_stride, y_stride))(img_input)
        # you can also create a keras activation layer
        keras.layers.Activation('relu')
        # make a max pool layer
        max_pooled_op = keras.layers.MaxPool2D(pool_size=(2,2),
                                               strides=(1,1))(conv1_op)
        model_op = keras.layers.Dense(no_op_units,
                                      activation='softmax')(max_pooled_op)
        # Create a model (using the keras functional API)
        model = keras.Model(img_input, model_op)
    """, n_channels=8, filter_width=3, padding=padding, x_stride=2, y_stride=2, no_op_units=5)
    side = 16 if padding == "same" else 15
    assert s["model"].output_shape == (None, side - 1, side - 1, 5)
    assert s["model"].predict(np.random.rand(2, 32, 32, 3), verbose=0).shape == (2, side - 1, side - 1, 5)
