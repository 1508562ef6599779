"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012), the network that won ImageNet 2012 and started the
deep-learning era of computer vision."""
from striate import layers
from striate.applications import imagenet_utils, lecture_utils


def AlexNet(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
            classifier_activation="softmax", name="alexnet"):
    """AlexNet as Krizhevsky et al. (2012) describe it: five convolutions and three fully connected
    layers, ReLU everywhere, 60,965,224 parameters for 227x227x3 images and 1000 classes.

    The paper split the network over two GPUs; the layers that saw only their own GPU's half of the
    previous layer's maps (conv2, conv4, conv5) are ``Conv2D(groups=2)`` here, conv3 and the dense
    layers see both halves. Local response normalization (the paper's k=2, n=5, alpha=1e-4,
    beta=0.75) follows conv1 and conv2, overlapping 3x3 max pooling with stride 2 follows both
    normalizations and conv5, and dropout 0.5 follows fc6 and fc7. Weights start from Keras's
    defaults (Glorot uniform, zero biases), not the paper's N(0, 0.01) and unit biases.

    ===============  ==============================================  ==========
    layer            what                                            output
    ===============  ==============================================  ==========
    ``conv1``        Conv2D 96 filters 11x11, stride 4               55x55x96
    ``norm1``        LocalResponseNormalization                      55x55x96
    ``pool1``        MaxPooling2D 3x3, stride 2                      27x27x96
    ``conv2``        Conv2D 256 filters 5x5, "same", groups=2        27x27x256
    ``norm2``        LocalResponseNormalization                      27x27x256
    ``pool2``        MaxPooling2D 3x3, stride 2                      13x13x256
    ``conv3``        Conv2D 384 filters 3x3, "same"                  13x13x384
    ``conv4``        Conv2D 384 filters 3x3, "same", groups=2        13x13x384
    ``conv5``        Conv2D 256 filters 3x3, "same", groups=2        13x13x256
    ``pool5``        MaxPooling2D 3x3, stride 2                      6x6x256
    ``flatten``      Flatten                                         9216
    ``fc6``          Dense 4096, then ``drop6``: Dropout 0.5         4096
    ``fc7``          Dense 4096, then ``drop7``: Dropout 0.5         4096
    ``predictions``  Dense ``classes``, ``classifier_activation``    1000
    ===============  ==============================================  ==========

    Args:
        include_top: whether to include ``flatten`` to ``predictions`` (then the input size is fixed).
        weights: ``None`` (random initialization) or the path of a weights file saved by striate; there
            are no published weights (``"imagenet"`` is refused).
        input_tensor: a symbolic tensor (``keras.Input(...)`` or a layer's output) to use as the input.
        input_shape: the input's shape without the batch axis; default ``(227, 227, 3)`` with the top,
            ``(None, None, 3)`` without; at least 67x67.
        pooling: without the top: ``None`` (``pool5``'s 4D output), ``"avg"`` or ``"max"``.
        classes: the number of classes.
        classifier_activation: the classifier's activation; ``None`` gives logits.
        name: the model's name.

    Returns:
        A functional ``Model``.

    Example:
        >>> import striate as keras
        >>> model = keras.applications.AlexNet(include_top=False, input_shape=(67, 67, 3), pooling="avg")
        >>> model.output_shape, model.get_layer("conv2").kernel.shape
        ((None, 256), (5, 5, 48, 256))
    """
    lecture_utils.check_weights(weights, "AlexNet")
    x, inputs = lecture_utils.model_input(input_tensor, input_shape, default_size=227, min_size=67,
                                          include_top=include_top)
    x = layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1")(x)
    x = layers.LocalResponseNormalization(axis=imagenet_utils.channel_axis(), name="norm1")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = layers.Conv2D(256, 5, padding="same", groups=2, activation="relu", name="conv2")(x)
    x = layers.LocalResponseNormalization(axis=imagenet_utils.channel_axis(), name="norm2")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    x = layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3")(x)
    x = layers.Conv2D(384, 3, padding="same", groups=2, activation="relu", name="conv4")(x)
    x = layers.Conv2D(256, 3, padding="same", groups=2, activation="relu", name="conv5")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc6")(x)
        x = layers.Dropout(0.5, name="drop6")(x)
        x = layers.Dense(4096, activation="relu", name="fc7")(x)
        x = layers.Dropout(0.5, name="drop7")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = lecture_utils.global_pooling(x, pooling)
    return lecture_utils.finish_model(inputs, x, name, weights)
