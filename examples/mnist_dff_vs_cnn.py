"""Seed 000 ("Deep learning: feed-forward and convolutional neural networks for image recognition"): the
lecture's R/keras programs, in Python with striate.

A deep feed-forward network (784-256-128-10, 235,146 parameters) against a small convolutional network
(6 filters of 5x5, 4x4 max pooling, 32 hidden units: 7,430 parameters) on MNIST: both trained with Adam
on the sparse categorical cross-entropy, batch 32, 10 epochs (the CNN with 20% held out for validation),
then each one's confusion matrix and accuracy on the test set (the lecture: 0.9814 and 0.9845). Last,
"unboxing the black box": the CNN's learnt filters, and what they make of a few test images, saved as a
picture (Pillow needed: ``pip install 'striate[image]'``).

    python examples/mnist_dff_vs_cnn.py            # the lecture's settings (a few minutes on 2 cores)
    python examples/mnist_dff_vs_cnn.py --tiny     # 1,000 images, 1 epoch: seconds

Without MNIST (``$STRIATE_DATA`` or ``~/.striate/datasets``, else a download) it says so and uses
striate's embedded shapes dataset.
"""
import argparse
import os

import numpy as np

import striate as keras
from striate import layers


def confusion_table(model, x, y):
    """The lecture's ``table(obs, pred)``, printed, and the accuracy ``sum(diag(cmat)) / sum(cmat)``."""
    cmat = keras.metrics.confusion_matrix(y, model.predict(x, batch_size=1024, verbose=0), num_classes=10)
    print("obs\\pred " + " ".join(f"{j:>5}" for j in range(10)))
    for i, row in enumerate(cmat):
        print(f"{i:>8} " + " ".join(f"{v:>5}" for v in row))
    return np.trace(cmat) / cmat.sum()


def filters_picture(model_cnn, images):
    """The conv layer's filters (top row) and its feature maps of ``images`` (one row each), grey."""
    conv = model_cnn.layers[0]
    kernel = conv.get_weights()[0][:, :, 0, :]                  # (5, 5, 1, 6): one 5x5 filter per map
    maps = keras.Model(model_cnn.inputs, conv.output).predict(images, verbose=0)   # (n, 24, 24, 6)
    big = np.kron(kernel, np.ones((4, 4, 1)))                  # each 5x5 filter as 20x20 pixels, centred
    pad = (maps.shape[1] - big.shape[0]) // 2
    rows = [np.pad(big, ((pad, pad), (pad, pad), (0, 0)))] + list(maps)
    rows = [(r - r.min()) / (np.ptp(r) or 1.0) for r in rows]   # each row stretched to [0, 1]
    tiles = np.pad(np.stack(rows), ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=1.0)
    n, h, w, c = tiles.shape
    return (tiles.transpose(0, 1, 3, 2).reshape(n * h, c * w) * 255).astype("uint8")[..., None]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="1,000 training images, 1 epoch (for a quick check)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out-dir", default=".", help="where cnn_filters.png is written")
    args = parser.parse_args(argv)
    epochs = 1 if args.tiny else args.epochs
    keras.utils.set_random_seed(0)

    ((x_train, y_train), (x_test, y_test)), name, why = keras.datasets.load_mnist_or_shapes()
    if args.tiny:
        x_train, y_train, x_test, y_test = x_train[:1000], y_train[:1000], x_test[:500], y_test[:500]
    print(f"Dataset: {name} ({why}); {len(x_train)} training and {len(x_test)} test images")
    x_train, x_test = x_train.astype("float32") / 255, x_test.astype("float32") / 255   # values 0-1

    # model_dff <- keras_model_sequential() %>% layer_flatten(input_shape = c(28, 28)) %>% ...
    model_dff = keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.Flatten(),
        layers.Dense(units=256, activation="relu"),
        layers.Dense(units=128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model_dff.summary()
    model_dff.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    model_dff.fit(x=x_train, y=y_train, batch_size=32, epochs=epochs, verbose=2)

    # model_cnn <- keras_model_sequential(input_shape = c(28, 28, 1)) %>% layer_conv_2d(6, c(5, 5)) %>% ...
    model_cnn = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(6, (5, 5)),
        layers.MaxPooling2D(pool_size=(4, 4)),
        layers.Flatten(),
        layers.Dense(units=32, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model_cnn.summary()
    model_cnn.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    model_cnn.fit(x=x_train[..., None], y=y_train, epochs=epochs, validation_split=0.2, verbose=2)

    print("\nPerformance comparison: DFF")
    acc_dff = confusion_table(model_dff, x_test, y_test)
    print("\nPerformance comparison: CNN")
    acc_cnn = confusion_table(model_cnn, x_test[..., None], y_test)
    print(f"\naccuracy: DFF {acc_dff:.4f}, CNN {acc_cnn:.4f} (the lecture: 0.9814, 0.9845)")

    path = os.path.join(args.out_dir, "cnn_filters.png")
    try:
        keras.utils.save_img(path, filters_picture(model_cnn, x_test[:3, ..., None]), scale=False)
        print(f"Saved {path}: the 6 learnt 5x5 filters (top row), then their feature maps of 3 test images")
    except ImportError as e:
        print(f"No picture saved: {e}")


if __name__ == "__main__":
    main()
