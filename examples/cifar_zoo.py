"""Seed 004 ("Deep learning", CNNs for image classification): AlexNet, VGG and ResNet, the ImageNet
winners the lecture walks through, trained from scratch on CIFAR-10-shaped data (32x32 colour images,
10 classes) with ``striate.applications``.

AlexNet's 11x11 stride-4 first convolution and three
overlapping poolings need at least 67x67 pixels, so its 32x32 images are scaled up to 67x67 inside the
model (``layers.Resizing``); VGG16 and ResNet20 take them as they are. The papers trained with SGD and
momentum 0.9 for days; here each is trained with Adam (learning rate 1e-4 for the plain stacks AlexNet
and VGG16, 1e-3 for ResNet20, whose batch normalization takes it), divided by 10 when the validation
loss stops improving, as the papers did. Expect ResNet20 to learn within the default budget; AlexNet
and VGG16, without batch normalization and from Glorot-uniform weights, stay near chance for their
first hundreds of steps (the papers' runs took hundreds of thousands).

All three see the same augmentation, in the model (active in ``fit`` only): random horizontal flips
and shifts of up to 4 pixels (the ResNet paper's; AlexNet's was crops and flips of 224 out of 256).

    python examples/cifar_zoo.py                         # all three, 5,000 images, 10 epochs: slow on a CPU
    python examples/cifar_zoo.py --model resnet20 --limit 0 --epochs 30    # all 50,000 images
    python examples/cifar_zoo.py --tiny                  # 64 images, 1 epoch: seconds

CIFAR-10 is used when found (``$STRIATE_DATA`` or ``~/.striate/datasets``; ``--download`` fetches it,
163 MB). Otherwise the script says so and makes CIFAR-shaped data from striate's embedded shapes: each
28x28 shape padded to 32x32 and coloured with a random colour on a random background.
"""
import argparse
import time

import numpy as np

import striate as keras
from striate import layers

RECIPES = {  # the network applied to the 0-1 images, and Adam's learning rate
    "alexnet": (lambda x: keras.applications.AlexNet(input_shape=(67, 67, 3), classes=10)(
        layers.Resizing(67, 67)(x)), 1e-4),
    "vgg16": (lambda x: keras.applications.VGG16(weights=None, input_shape=(32, 32, 3), classes=10)(x), 1e-4),
    "resnet20": (lambda x: keras.applications.ResNet20(input_shape=(32, 32, 3), classes=10)(x), 1e-3),
}


def cifar_shaped_data(download, seed=0):
    """CIFAR-10, or CIFAR-shaped colour images made from the embedded shapes; and a line saying which."""
    try:
        return keras.datasets.cifar10.load_data(download=download), "CIFAR-10"
    except FileNotFoundError:
        why = "not found" + ("" if download else "; --download fetches it")
    except keras.datasets.DatasetError as e:
        why = str(e)
    rng = np.random.default_rng(seed)
    data = []
    for x, y in keras.datasets.shapes.load_data(n_train=10000, n_test=2000, seed=seed):
        ink = np.pad(x, ((0, 0), (2, 2), (2, 2)))[..., None] / 255.0      # (n, 32, 32, 1), 0-1
        colour, background = rng.uniform(0, 255, (2, len(x), 1, 1, 3))
        images = ink * colour + (1 - ink) * background
        data.append((images.round().astype("uint8"), y[:, None]))       # labels (n, 1), as CIFAR's
    return tuple(data), f"CIFAR-shaped shapes (CIFAR-10 not used: {why})"


def build(name):
    """The network of ``RECIPES[name]`` behind the augmentation and the scaling to 0-1."""
    network, _ = RECIPES[name]
    augment = keras.Sequential([layers.RandomFlip("horizontal"),
                                layers.RandomTranslation(4 / 32, 4 / 32, fill_mode="constant")], name="augment")
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Rescaling(1 / 255)(augment(inputs))
    return keras.Model(inputs, network(x), name=f"{name}_on_cifar")


def train(name, data, epochs, batch_size, verbose):
    (x_train, y_train), (x_test, y_test) = data
    model = build(name)
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=RECIPES[name][1]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1, verbose=verbose,
              callbacks=[keras.callbacks.ReduceLROnPlateau(factor=0.1, patience=2)])
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    return accuracy, seconds / epochs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=(*RECIPES, "all"), default="all")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--limit", type=int, default=5000, help="training images (0: all)")
    parser.add_argument("--download", action="store_true", help="download CIFAR-10 if it is not found")
    parser.add_argument("--tiny", action="store_true", help="64 training images, 1 epoch (for a quick check)")
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    ((x_train, y_train), (x_test, y_test)), source = cifar_shaped_data(args.download)
    limit, test_limit, epochs = (64, 32, 1) if args.tiny else (args.limit or len(x_train), len(x_test), args.epochs)
    data = ((x_train[:limit], y_train[:limit]), (x_test[:test_limit], y_test[:test_limit]))
    print(f"Data: {source}; {len(data[0][0]):,} training images (10% for validation), "
          f"{len(data[1][0]):,} test images")
    results = {name: train(name, data, epochs, args.batch_size, args.verbose)
               for name in (RECIPES if args.model == "all" else [args.model])}
    print("\nmodel      test accuracy   s/epoch")
    for name, (accuracy, seconds) in results.items():
        print(f"{name:<10} {accuracy:>13.4f} {seconds:>9.1f}")


if __name__ == "__main__":
    main()
