"""Network in Network (Lin, Chen and Yan, 2013): small multilayer perceptrons slid over the image
(1x1 convolutions) and a classifier without fully connected layers."""
from striate import layers
from striate.applications import lecture_utils


def mlpconv_block(x, filters, kernel_size, strides=1, padding="same", name=None):
    """An mlpconv block: a ``kernel_size`` convolution, then two 1x1 convolutions (a two-layer perceptron
    applied at every pixel), each with ReLU; the layers are ``{name}_conv``, ``{name}_mlp1``, ``{name}_mlp2``.

    Args:
        x: the input tensor.
        filters: the width of all three convolutions.
        kernel_size: the first convolution's size.
        strides: the first convolution's stride.
        padding: the first convolution's padding.
        name: the prefix of the layer names.

    Returns:
        The block's output tensor.

    Example:
        >>> import striate as keras
        >>> from striate.applications.nin import mlpconv_block
        >>> mlpconv_block(keras.Input(shape=(8, 8, 3)), 16, 3, name="block1").shape
        (None, 8, 8, 16)
    """
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, activation="relu",
                      name=f"{name}_conv")(x)
    x = layers.Conv2D(filters, 1, activation="relu", name=f"{name}_mlp1")(x)
    return layers.Conv2D(filters, 1, activation="relu", name=f"{name}_mlp2")(x)


def NiN(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
        classifier_activation="softmax", name="nin"):
    """Network in Network for ImageNet-sized images (Lin et al., 2013; the layout of their ImageNet
    model and of the lectures' d2l version): four mlpconv blocks; 3x3 max pooling with stride 2 and
    dropout 0.5 between them; the last block has one map per class, whose global averages are the
    class scores: no fully connected layer.

    ================  ==============================================  ==========
    layers            what                                            output
    ================  ==============================================  ==========
    ``block1_*``      mlpconv 96: 11x11 stride 4 "valid", 1x1, 1x1    54x54x96
    ``block1_pool``   MaxPooling2D 3x3, stride 2; ``block1_dropout``  26x26x96
    ``block2_*``      mlpconv 256: 5x5 "same", 1x1, 1x1               26x26x256
    ``block2_pool``   MaxPooling2D 3x3, stride 2; ``block2_dropout``  12x12x256
    ``block3_*``      mlpconv 384: 3x3 "same", 1x1, 1x1               12x12x384
    ``block3_pool``   MaxPooling2D 3x3, stride 2                      5x5x384
    ``top_dropout``   Dropout 0.5                                     5x5x384
    ``block4_*``      mlpconv ``classes``: 3x3 "same", 1x1, 1x1       5x5x1000
    ``avg_pool``      GlobalAveragePooling2D                          1000
    ``predictions``   Activation ``classifier_activation``            1000
    ================  ==============================================  ==========

    Without the top, the model ends at ``block3_pool`` (then the optional ``pooling``).

    Args:
        include_top: whether to include ``top_dropout`` to ``predictions``.
        weights: ``None`` (random initialization) or the path of a weights file saved by striate; there
            are no published weights (``"imagenet"`` is refused).
        input_tensor: a symbolic tensor (``keras.Input(...)`` or a layer's output) to use as the input.
        input_shape: the input's shape without the batch axis; default ``(224, 224, 3)`` with the top,
            ``(None, None, 3)`` without; at least 67x67.
        pooling: without the top: ``None`` (``block3_pool``'s 4D output), ``"avg"`` or ``"max"``.
        classes: the number of classes.
        classifier_activation: the activation of the class scores; ``None`` gives logits.
        name: the model's name.

    Returns:
        A functional ``Model``.

    Example:
        >>> import striate as keras
        >>> model = keras.applications.NiN(input_shape=(96, 96, 3), classes=10)
        >>> model.output_shape, model.count_params()
        ((None, 10), 2015398)
    """
    lecture_utils.check_weights(weights, "NiN")
    x, inputs = lecture_utils.model_input(input_tensor, input_shape, default_size=224, min_size=67,
                                          include_top=include_top)
    x = mlpconv_block(x, 96, 11, strides=4, padding="valid", name="block1")
    x = layers.MaxPooling2D(3, strides=2, name="block1_pool")(x)
    x = layers.Dropout(0.5, name="block1_dropout")(x)
    x = mlpconv_block(x, 256, 5, name="block2")
    x = layers.MaxPooling2D(3, strides=2, name="block2_pool")(x)
    x = layers.Dropout(0.5, name="block2_dropout")(x)
    x = mlpconv_block(x, 384, 3, name="block3")
    x = layers.MaxPooling2D(3, strides=2, name="block3_pool")(x)
    if include_top:
        x = layers.Dropout(0.5, name="top_dropout")(x)
        x = mlpconv_block(x, classes, 3, name="block4")
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = lecture_utils.global_pooling(x, pooling)
    return lecture_utils.finish_model(inputs, x, name, weights)
