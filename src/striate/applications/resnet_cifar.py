"""The CIFAR-10 ResNets of He et al. (2016, "Deep Residual Learning for Image Recognition", section 4.2):
ResNet20, 32, 44, 56 and 110, the paper's experiment that depth keeps helping once blocks are residual."""
from striate import layers
from striate.applications import imagenet_utils, lecture_utils

_STAGE_FILTERS = (16, 32, 64)


def basic_block(x, filters, stride=1, name=None):
    """A residual block of two 3x3 convolutions (each followed by batch normalization; ReLU between
    them and after the addition) with an option A shortcut: the identity, or where the block halves
    the maps and widens them, a :class:`striate.layers.ZeroPaddingShortcut` (subsampled, zero-padded
    channels; no weights).

    Args:
        x: the input tensor.
        filters: the number of output channels.
        stride: the first convolution's stride (2 to halve the maps).
        name: the prefix of the layer names (``{name}_1_conv``, ..., ``{name}_shortcut``, ``{name}_out``).

    Returns:
        The block's output tensor.

    Example:
        >>> import striate as keras
        >>> from striate.applications.resnet_cifar import basic_block
        >>> basic_block(keras.Input(shape=(32, 32, 16)), 32, stride=2, name="conv3_block1").shape
        (None, 16, 16, 32)
    """
    shortcut = x
    if stride != 1 or x.shape[imagenet_utils.channel_axis()] != filters:
        shortcut = layers.ZeroPaddingShortcut(filters, strides=stride, name=f"{name}_shortcut")(x)
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, kernel_initializer="he_normal",
                      name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=imagenet_utils.channel_axis(), name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer="he_normal",
                      name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=imagenet_utils.channel_axis(), name=f"{name}_2_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def ResNetCIFAR(depth, include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None,
                classes=10, classifier_activation="softmax", name=None):
    """A CIFAR ResNet of ``depth = 6n + 2`` layers (He et al. 2016, section 4.2): a 3x3 convolution of
    16, three stages of ``n`` :func:`basic_block` s with 16, 32 and 64 filters on 32x32, 16x16 and
    8x8 maps (the first block of stages 2 and 3 subsamples by 2, with an option A shortcut), then
    global average pooling and a dense classifier.

    Convolutions have no bias (batch normalization follows each) and start from He initialization, as
    in the paper; batch normalization is Keras's (momentum 0.99, epsilon 1e-3). The paper's training
    adds L2 weight decay 1e-4, which is the optimizer's or the regularizers' business here.

    ResNet20 has 271,098 parameters with 10 classes: 269,722 trainable (the paper's "0.27M": 267,696
    in the 19 convolutions, 1,376 batch normalization scales and offsets, 650 in the classifier) and
    1,376 batch normalization moving statistics. Implementations that give the convolutions biases
    have 688 more; Keras's old CIFAR example, with projection (option B) shortcuts, 274,442.

    Args:
        depth: 20, 32, 44, 56, 110, or any ``6n + 2``.
        include_top: whether to include the classifier.
        weights: ``None`` (random initialization) or the path of a weights file saved by striate; there
            are no published weights (``"imagenet"`` is refused).
        input_tensor: a symbolic tensor (``keras.Input(...)`` or a layer's output) to use as the input.
        input_shape: the input's shape without the batch axis; default ``(32, 32, 3)`` with the top,
            ``(None, None, 3)`` without; at least 8x8.
        pooling: without the top: ``None`` (the last stage's 4D output), ``"avg"`` or ``"max"``.
        classes: the number of classes.
        classifier_activation: the classifier's activation; ``None`` gives logits.
        name: the model's name; default ``f"resnet{depth}"``.

    Returns:
        A functional ``Model``.

    Example:
        >>> import striate as keras
        >>> model = keras.applications.resnet_cifar.ResNetCIFAR(20)
        >>> model.name, model.output_shape, model.count_params()
        ('resnet20', (None, 10), 271098)
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(f"ResNetCIFAR: depth must be 6n + 2 for a whole n >= 1 (20, 32, 44, 56, 110), received "
                         f"depth={depth!r}")
    lecture_utils.check_weights(weights, f"ResNet{depth}")
    name = name or f"resnet{depth}"
    x, inputs = lecture_utils.model_input(input_tensor, input_shape, default_size=32, min_size=8,
                                          include_top=include_top)
    x = layers.Conv2D(16, 3, padding="same", use_bias=False, kernel_initializer="he_normal", name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=imagenet_utils.channel_axis(), name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    for stage, filters in enumerate(_STAGE_FILTERS, start=2):
        for block in range(1, (depth - 2) // 6 + 1):
            x = basic_block(x, filters, stride=2 if block == 1 and stage > 2 else 1,
                            name=f"conv{stage}_block{block}")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = lecture_utils.global_pooling(x, pooling)
    return lecture_utils.finish_model(inputs, x, name, weights)


def _cifar_resnet(depth):
    def model_fn(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=10,
                 classifier_activation="softmax", name=f"resnet{depth}"):
        return ResNetCIFAR(depth, include_top=include_top, weights=weights, input_tensor=input_tensor,
                           input_shape=input_shape, pooling=pooling, classes=classes,
                           classifier_activation=classifier_activation, name=name)
    model_fn.__name__ = model_fn.__qualname__ = f"ResNet{depth}"
    model_fn.__doc__ = f"""ResNet{depth} for CIFAR-10 (He et al. 2016, section 4.2): {(depth - 2) // 6} residual
    blocks per stage; :func:`ResNetCIFAR` with ``depth={depth}``, whose arguments it takes (but ``depth``).

    Returns:
        A functional ``Model``.

    Example:
        >>> import striate as keras
        >>> keras.applications.ResNet{depth}().name
        'resnet{depth}'
    """
    return model_fn


ResNet20, ResNet32, ResNet44, ResNet56, ResNet110 = (_cifar_resnet(depth) for depth in (20, 32, 44, 56, 110))
