"""LeNet-5 (LeCun et al., 1998) in the lectures' variant: the first convnet that read digits for banks."""
from striate import layers
from striate.applications import lecture_utils


def LeNet5(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=10,
           classifier_activation="softmax", name="lenet5"):
    """LeNet-5 as the lectures build it, for 28x28 grey digits (MNIST): tanh activations and average
    pooling as in the paper; the first convolution pads ("same") so MNIST's 28x28 stands in for the
    paper's 32x32, and fully connected layers replace C5 (the same thing on 5x5 maps).

    ===============  ============================================  ========  ======
    layer            what                                          output    params
    ===============  ============================================  ========  ======
    ``conv1``        Conv2D 6 filters 5x5, "same", tanh            28x28x6      156
    ``pool1``        AveragePooling2D 2x2                          14x14x6        0
    ``conv2``        Conv2D 16 filters 5x5, "valid", tanh          10x10x16   2,416
    ``pool2``        AveragePooling2D 2x2                          5x5x16         0
    ``flatten``      Flatten                                       400            0
    ``fc1``          Dense 120, tanh                               120       48,120
    ``fc2``          Dense 84, tanh                                84        10,164
    ``predictions``  Dense ``classes``, ``classifier_activation``  10           850
    ===============  ============================================  ========  ======

    61,706 parameters with 10 classes.

    Args:
        include_top: whether to include ``flatten`` to ``predictions`` (then the input size is fixed).
        weights: ``None`` (random initialization) or the path of a weights file saved by striate; there
            are no published weights (``"imagenet"`` is refused).
        input_tensor: a symbolic tensor (``keras.Input(...)`` or a layer's output) to use as the input.
        input_shape: the input's shape without the batch axis; default ``(28, 28, 1)``; at least 12x12.
        pooling: without the top: ``None`` (``pool2``'s 4D output), ``"avg"`` or ``"max"``.
        classes: the number of classes.
        classifier_activation: the classifier's activation; ``None`` gives logits.
        name: the model's name.

    Returns:
        A functional ``Model``.

    Example:
        >>> import striate as keras
        >>> model = keras.applications.LeNet5()
        >>> model.output_shape, model.count_params()
        ((None, 10), 61706)
    """
    lecture_utils.check_weights(weights, "LeNet5")
    x, inputs = lecture_utils.model_input(input_tensor, input_shape or (28, 28, 1), default_size=28, min_size=12,
                                          include_top=include_top)
    x = layers.Conv2D(6, 5, padding="same", activation="tanh", name="conv1")(x)
    x = layers.AveragePooling2D(2, name="pool1")(x)
    x = layers.Conv2D(16, 5, activation="tanh", name="conv2")(x)
    x = layers.AveragePooling2D(2, name="pool2")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(120, activation="tanh", name="fc1")(x)
        x = layers.Dense(84, activation="tanh", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = lecture_utils.global_pooling(x, pooling)
    return lecture_utils.finish_model(inputs, x, name, weights)
