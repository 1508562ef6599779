"""SE-ResNet50 (Hu, Shen and Sun, 2018, "Squeeze-and-Excitation Networks"), the ImageNet 2017 winner's
idea on ResNet50: each residual branch reweights its channels by gates computed from global context."""
from striate import layers
from striate.applications import imagenet_utils, lecture_utils
from striate.applications.resnet import ResNet

_EPSILON = 1.001e-5  # ResNet50's batch normalization epsilon


def se_block(x, ratio=16, name=None):
    """A squeeze-and-excitation block on ``x``: global average pooling, a bottleneck of
    ``channels // ratio`` units with ReLU, one sigmoid gate per channel, ``x`` times the gates (one
    :class:`striate.layers.SqueezeExcitation` layer).

    Args:
        x: a 4D tensor (images, channels last).
        ratio: the reduction ratio r (the paper's 16).
        name: the layer's name.

    Returns:
        The recalibrated tensor, ``x``'s shape.

    Example:
        >>> import striate as keras
        >>> from striate.applications.senet import se_block
        >>> se_block(keras.Input(shape=(8, 8, 64)), ratio=16, name="se").shape
        (None, 8, 8, 64)
    """
    return layers.SqueezeExcitation(ratio, name=name)(x)


def se_residual_block(x, filters, stride=1, conv_shortcut=True, ratio=16, name=None):
    """ResNet50's bottleneck block (Keras's layers and names) with a squeeze-and-excitation block on the
    residual branch, after the last batch normalization and before the addition (Figure 3 of the paper).

    Args:
        x: the input tensor.
        filters: the bottleneck's width (the block outputs ``4 * filters`` channels).
        stride: the first convolution's and the shortcut's stride.
        conv_shortcut: a 1x1 convolution with batch normalization on the shortcut; ``False``: the identity.
        ratio: the SE block's reduction ratio.
        name: the prefix of the layer names (``{name}_1_conv``, ..., ``{name}_se``, ``{name}_add``).

    Returns:
        The block's output tensor.

    Example:
        >>> import striate as keras
        >>> from striate.applications.senet import se_residual_block
        >>> se_residual_block(keras.Input(shape=(8, 8, 64)), 16, stride=2, name="block").shape
        (None, 4, 4, 64)
    """
    shortcut = x
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=imagenet_utils.channel_axis(), epsilon=_EPSILON,
                                             name=f"{name}_0_bn")(shortcut)
    for step, (width, size, strides) in enumerate(((filters, 1, stride), (filters, 3, 1), (4 * filters, 1, 1)),
                                                  start=1):
        if step > 1:
            x = layers.Activation("relu", name=f"{name}_{step - 1}_relu")(x)
        x = layers.Conv2D(width, size, strides=strides, padding="same", name=f"{name}_{step}_conv")(x)
        x = layers.BatchNormalization(axis=imagenet_utils.channel_axis(), epsilon=_EPSILON,
                                      name=f"{name}_{step}_bn")(x)
    x = se_block(x, ratio, name=f"{name}_se")
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def SEResNet50(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
               classifier_activation="softmax", name="seresnet50", ratio=16):
    """SE-ResNet50: Keras's ResNet50 (stem, stages of 3, 4, 6 and 3 bottleneck blocks, layer names)
    with a squeeze-and-excitation block of reduction 16 on each residual branch before the addition;
    28,167,704 parameters with the classifier (ResNet50's 25,636,712 and 2,530,992 in the SE blocks).

    Args:
        include_top: whether to include the classifier (global average pooling and a dense layer; then
            the input size is fixed).
        weights: ``None`` (random initialization) or the path of a weights file saved by striate; there
            are no published weights (``"imagenet"`` is refused).
        input_tensor: a symbolic tensor (``keras.Input(...)`` or a layer's output) to use as the input.
        input_shape: the input's shape without the batch axis; default ``(224, 224, 3)`` with the top,
            ``(None, None, 3)`` without; at least 32x32.
        pooling: without the top: ``None`` (the last stage's 4D output), ``"avg"`` or ``"max"``.
        classes: the number of classes.
        classifier_activation: the classifier's activation; ``None`` gives logits.
        name: the model's name.
        ratio: the SE blocks' reduction ratio.

    Returns:
        A functional ``Model``.

    Example:
        >>> import striate as keras
        >>> model = keras.applications.SEResNet50(include_top=False, input_shape=(32, 32, 3), pooling="avg")
        >>> model.output_shape, model.get_layer("conv2_block1_se").squeeze_kernel.shape
        ((None, 2048), (256, 16))
    """
    lecture_utils.check_weights(weights, "SEResNet50")
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"SEResNet50: pooling must be None, 'avg' or 'max', received pooling={pooling!r}")

    def stack_fn(x):
        for stage, (filters, blocks) in enumerate(((64, 3), (128, 4), (256, 6), (512, 3)), start=2):
            for block in range(1, blocks + 1):
                x = se_residual_block(x, filters, stride=2 if block == 1 and stage > 2 else 1,
                                      conv_shortcut=block == 1, ratio=ratio, name=f"conv{stage}_block{block}")
        return x
    return ResNet(stack_fn, False, True, include_top=include_top, weights=weights, input_tensor=input_tensor,
                  input_shape=input_shape, pooling=pooling, classes=classes,
                  classifier_activation=classifier_activation, name=name)
