"""``striate demo transfer``: transfer learning as the lectures teach it (seeds 000 and 002).

A small convnet learns MNIST's digits 0-4 from all their training images; its convolutional part (the
*base*) is then reused for digits 5-9, of which only 100 labelled images per class (500 in all) are
given. Three ways to use those 500 images, each scored on every test image of digits 5-9:

a. **features**: the frozen base's ``predict`` turns each image into a feature vector, and a logistic
   regression (one Dense softmax layer) learns the new classes from the vectors;
b. **fine-tuning**: ``base.trainable = False`` and a new head is trained on top of the base; then the
   base's top block is unfrozen and the whole model trained a few more epochs at a low learning rate;
c. **from scratch**: the same network, freshly initialized, trained on the 500 images alone.

Keras's rules the recipe relies on: ``base.trainable = False`` freezes every layer inside ``base``, and
a BatchNormalization layer that is not trainable runs in inference mode (its moving statistics, never
updated) even inside ``fit``. Fine-tuning leaves the BatchNormalization layers frozen for that reason:
statistics of 500 images would replace those of 30,000.

Without MNIST the demo runs on the embedded shapes dataset, its ten classes split in the same halves
(classes 0-4 for the base, 5-9 for the transfer), and says so.
"""
import time

import numpy as np

from striate import Input, Model, Sequential, datasets, layers, optimizers, utils
from striate.demos import load_dataset

TOP_BLOCK = ("block2_conv",)
"""The layers of the base that fine-tuning unfreezes: the last convolution (the BatchNormalization after
it stays frozen)."""

_LOSS = "sparse_categorical_crossentropy"


def build_convnet(input_shape=(28, 28, 1), classes=5):
    """The demo's convnet: a feature extractor ``base`` and a classifier made of ``base`` and a head.

    ``base`` is two blocks of 3x3 convolution, batch normalization, ReLU and 2x2 max pooling (16 then
    32 filters), flattened into a feature vector by a layer named ``features``; the classifier adds
    :func:`classifier`'s head. The BatchNormalization layers use ``momentum=0.9``: with Keras's 0.99
    their moving statistics would still be mostly their initial values (variance 1, where the first
    convolution's outputs vary by about 0.01) after the few hundred steps of a short training.

    Args:
        input_shape: the images' shape, channels last.
        classes: number of classes of the classifier's softmax output.

    Returns:
        ``(base, model)``: two functional models; ``model`` holds ``base`` as its second layer.

    Example:
        >>> from striate.demos import transfer
        >>> base, model = transfer.build_convnet()
        >>> base.output_shape, model.output_shape, base.count_params(), model.count_params()
        ((None, 800), (None, 5), 4944, 56533)
    """
    inputs = Input(shape=input_shape, name="image")
    x = inputs
    for block, filters in enumerate((16, 32), start=1):
        x = layers.Conv2D(filters, 3, use_bias=False, name=f"block{block}_conv")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"block{block}_bn")(x)
        x = layers.Activation("relu", name=f"block{block}_relu")(x)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    base = Model(inputs, layers.Flatten(name="features")(x), name="base")
    return base, classifier(base, classes)


def classifier(base, classes):
    """A new classifier on top of ``base``: ``base``, then a head of a Dense layer of 64 ReLU units
    (``fc``) and a Dense softmax layer (``predictions``).

    The classifier shares ``base``'s layers and weights: training it trains ``base`` unless ``base``
    is frozen (``base.trainable = False``).

    Args:
        base: a model with one input, whose output is a batch of feature vectors.
        classes: number of classes.

    Returns:
        A functional ``Model`` named ``classifier``.

    Example:
        >>> from striate.demos import transfer
        >>> base, _ = transfer.build_convnet()
        >>> [layer.name for layer in transfer.classifier(base, classes=3).layers]
        ['image', 'base', 'fc', 'predictions']
    """
    inputs = Input(shape=base.input_shape[1:], name="image")
    x = layers.Dense(64, activation="relu", name="fc")(base(inputs))
    outputs = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return Model(inputs, outputs, name="classifier")


def sample_per_class(y, per_class, seed=0):
    """Indices of ``per_class`` examples of each class, drawn at random without replacement.

    Args:
        y: integer labels ``0..k-1``, one per example.
        per_class: how many examples of each class to draw.
        seed: the draw's seed; the same arguments always give the same indices.

    Returns:
        An int array of ``k * per_class`` indices into ``y``, class by class.

    Raises:
        ValueError: a class has fewer than ``per_class`` examples.

    Example:
        >>> from striate.demos import transfer
        >>> y = np.array([0, 1, 0, 1, 2, 2, 0])
        >>> y[transfer.sample_per_class(y, 2)]
        array([0, 0, 1, 1, 2, 2])
    """
    y = np.asarray(y)
    counts = np.bincount(y)
    if per_class > counts.min():
        raise ValueError(f"sample_per_class: per_class={per_class} asks for more examples than class "
                         f"{int(counts.argmin())} has ({int(counts.min())})")
    order = np.random.default_rng(seed).permutation(len(y))
    order = order[np.argsort(y[order], kind="stable")]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return order[(starts[:, None] + np.arange(per_class)).ravel()]


def feature_classifier(base, x, y, classes, epochs=100, verbose=0):
    """(a) The frozen base as a feature extractor: a logistic regression on ``base.predict(x)``.

    Args:
        base: the pretrained feature extractor (not changed).
        x, y: the new task's training images and integer labels ``0..classes-1``.
        classes: number of classes of the new task.
        epochs: training epochs of the logistic regression (batch size 32).
        verbose: ``fit``'s verbosity.

    Returns:
        A function from images to class probabilities: ``base``'s features, then the regression.

    Example:
        >>> from striate.demos import transfer
        >>> base, _ = transfer.build_convnet()
        >>> x, y = np.random.rand(10, 28, 28, 1).astype("float32"), np.arange(10) % 5
        >>> predict = transfer.feature_classifier(base, x, y, classes=5, epochs=1)
        >>> predict(x).shape
        (10, 5)
    """
    features = base.predict(x, verbose=0)
    regression = Sequential([Input(shape=features.shape[1:]),
                             layers.Dense(classes, activation="softmax", name="logistic_regression")],
                            name="feature_classifier")
    regression.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss=_LOSS)
    regression.fit(features, y, batch_size=32, epochs=epochs, verbose=verbose)
    return lambda images: regression.predict(base.predict(images, verbose=0), verbose=0)


def unfreeze(base, names=TOP_BLOCK):
    """Make the layers of ``base`` named in ``names`` trainable and freeze all the others.

    Args:
        base: a model.
        names: names of the layers to train.

    Example:
        >>> from striate.demos import transfer
        >>> base, _ = transfer.build_convnet()
        >>> transfer.unfreeze(base, ["block2_conv"])
        >>> [w.path for w in base.trainable_weights]
        ['block2_conv/kernel']
    """
    missing = set(names) - {layer.name for layer in base.layers}
    if missing:
        raise ValueError(f"unfreeze: model '{base.name}' has no layer named {sorted(missing)}; its layers are "
                         f"{[layer.name for layer in base.layers]}")
    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer.name in names


def fine_tune(base, x, y, classes, head_epochs=20, epochs=10, learning_rate=1e-4, top_block=TOP_BLOCK, verbose=0):
    """(b) Fine-tuning: train a new head on the frozen base, then also the base's top block, gently.

    ``base.trainable = False`` and a new classifier (:func:`classifier`) trained ``head_epochs`` epochs
    with Adam; then the layers named in ``top_block`` are unfrozen (:func:`unfreeze`), the model
    recompiled with Adam at ``learning_rate`` and trained ``epochs`` more epochs. ``base`` is changed.

    Args:
        base: the pretrained feature extractor.
        x, y: the new task's training images and integer labels ``0..classes-1``.
        classes: number of classes of the new task.
        head_epochs: epochs of the head alone (batch size 32).
        epochs: epochs of the head and the top block together.
        learning_rate: Adam's learning rate while the top block trains.
        top_block: names of the layers of ``base`` to unfreeze.
        verbose: ``fit``'s verbosity.

    Returns:
        The fine-tuned classifier, a ``Model``.

    Example:
        >>> from striate.demos import transfer
        >>> base, _ = transfer.build_convnet()
        >>> x, y = np.random.rand(10, 28, 28, 1).astype("float32"), np.arange(10) % 5
        >>> model = transfer.fine_tune(base, x, y, classes=5, head_epochs=1, epochs=1)
        >>> [w.path for w in model.trainable_weights]
        ['block2_conv/kernel', 'fc/kernel', 'fc/bias', 'predictions/kernel', 'predictions/bias']
    """
    base.trainable = False
    model = classifier(base, classes)
    model.compile(optimizer="adam", loss=_LOSS)
    model.fit(x, y, batch_size=32, epochs=head_epochs, verbose=verbose)
    unfreeze(base, top_block)
    model.compile(optimizer=optimizers.Adam(learning_rate=learning_rate), loss=_LOSS)
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=verbose)
    return model


def _accuracy(predict, x, y):
    return float(np.mean(np.argmax(predict(x), axis=-1) == y))


def _classes(x, y, first, count):
    keep = (y >= first) & (y < first + count)
    return x[keep], (y[keep] - first).astype("int64")


def run(base_epochs=1, head_epochs=20, fine_tune_epochs=10, scratch_epochs=30, per_class=100, dataset="auto",
        base_limit=None, test_limit=None, seed=0, verbose=0):
    """The transfer-learning demo: train the base on classes 0-4, transfer it to classes 5-9, report.

    Prints the dataset, the base's test accuracy on classes 0-4, and a table of the three ways of using
    ``per_class`` labelled images of each of the classes 5-9 (frozen features, fine-tuning, from
    scratch) with their test accuracy on every test image of classes 5-9 and their training time.

    Args:
        base_epochs: epochs of the base on classes 0-4 (batch size 64).
        head_epochs, fine_tune_epochs: see :func:`fine_tune`; ``head_epochs`` also trains the feature
            classifier's regression (times five: its epochs are cheap).
        scratch_epochs: epochs of the network trained from scratch on the small set.
        per_class: labelled training images per new class.
        dataset: ``"auto"`` (MNIST if found, else shapes), ``"mnist"`` or ``"shapes"``.
        base_limit: train the base on only the first ``base_limit`` images of classes 0-4.
        test_limit: score on only the first ``test_limit`` test images of each half.
        seed: seeds the weights, the shuffling and the choice of the small set.
        verbose: ``fit``'s verbosity.

    Returns:
        A dict: ``dataset`` (its name), ``base`` (accuracy on classes 0-4), and the accuracies
        ``features``, ``fine_tuned`` and ``scratch`` on classes 5-9.

    Example:
        >>> from striate.demos import transfer
        >>> results = transfer.run(base_epochs=1, head_epochs=1, fine_tune_epochs=1, scratch_epochs=1,
        ...                        per_class=5, dataset="shapes", base_limit=100, test_limit=50)  # doctest: +ELLIPSIS
        Dataset: shapes (embedded) (asked for)
        ...
        >>> sorted(results)
        ['base', 'dataset', 'features', 'fine_tuned', 'scratch']
    """
    utils.set_random_seed(seed)
    data, name, why = load_dataset(dataset)
    (x_train, y_train), (x_test, y_test) = data
    x_train = x_train[..., None].astype("float32") / 255.0
    x_test = x_test[..., None].astype("float32") / 255.0
    names = datasets.shapes.CLASS_NAMES if name == datasets.SHAPES_NAME else tuple(map(str, range(10)))
    halves = (", ".join(names[:5]), ", ".join(names[5:]))
    x_base, y_base = _classes(x_train, y_train, 0, 5)
    x_base, y_base = x_base[:base_limit], y_base[:base_limit]
    x_new, y_new = _classes(x_train, y_train, 5, 5)
    small = sample_per_class(y_new, per_class, seed)
    x_small, y_small = x_new[small], y_new[small]
    x_test_base, y_test_base = (a[:test_limit] for a in _classes(x_test, y_test, 0, 5))
    x_test_new, y_test_new = (a[:test_limit] for a in _classes(x_test, y_test, 5, 5))
    print(f"Dataset: {name} ({why})")
    print(f"Base: classes {halves[0]}: {len(x_base):,} training images, {base_epochs} epoch(s)")
    print(f"Transfer: classes {halves[1]}: {per_class} labelled images per class ({len(x_small):,} in all); "
          f"tested on {len(x_test_new):,} images")

    start = time.perf_counter()
    base, model = build_convnet(x_train.shape[1:], classes=5)
    model.compile(optimizer="adam", loss=_LOSS)
    model.fit(x_base, y_base, batch_size=64, epochs=base_epochs, verbose=verbose)
    results = {"dataset": name, "base": _accuracy(_predictor(model), x_test_base, y_test_base)}
    print(f"Base trained in {time.perf_counter() - start:.1f} s: test accuracy {results['base']:.4f} on "
          f"{len(x_test_base):,} test images of its own classes\n")

    rows = []
    for key, label, train in (
            ("features", "(a) frozen base's features + logistic regression",
             lambda: feature_classifier(base, x_small, y_small, 5, epochs=5 * head_epochs, verbose=verbose)),
            ("fine_tuned", f"(b) fine-tuned: head {head_epochs} ep., then top block {fine_tune_epochs} ep.",
             lambda: _predictor(fine_tune(base, x_small, y_small, 5, head_epochs, fine_tune_epochs,
                                          verbose=verbose))),
            ("scratch", f"(c) the same network from scratch: {scratch_epochs} ep.",
             lambda: _from_scratch(x_small, y_small, scratch_epochs, verbose))):
        start = time.perf_counter()
        predict = train()
        seconds = time.perf_counter() - start
        results[key] = _accuracy(predict, x_test_new, y_test_new)
        rows.append((label, results[key], seconds))
    width = max(len(label) for label, _, _ in rows)
    print(f"{'method':<{width}}  test accuracy  training s")
    for label, acc, seconds in rows:
        print(f"{label:<{width}}  {acc:>13.4f}  {seconds:>10.1f}")
    return results


def _predictor(model):
    return lambda x: model.predict(x, verbose=0)


def _from_scratch(x, y, epochs, verbose):
    _, model = build_convnet(x.shape[1:], classes=5)
    model.compile(optimizer="adam", loss=_LOSS)
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=verbose)
    return _predictor(model)
