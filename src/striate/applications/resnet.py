"""ResNet50, ResNet101 and ResNet152 (He et al. 2016, "Deep Residual Learning for Image Recognition"), as
``keras.applications.resnet``, and the ResNet builder ResNetV2 (``resnet_v2``) shares.

A residual block learns a correction ``F(x)`` added to its input: ``relu(x + F(x))``, so a deep stack
starts near the identity and trains (the lectures' answer to vanishing gradients in deep nets). These
are the bottleneck blocks (1x1 reduce, 3x3, 1x1 expand by 4) with batch normalization; layer names,
order and weights are Keras's, so Keras's published ImageNet weights load as they are.
"""
from striate import backend, layers
from striate.applications import imagenet_utils
from striate.models import Model

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
# md5 of the published files, (with the classifier, without).
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
_EPSILON = 1.001e-5  # the batch normalization epsilon of the published models


def _bn_axis():
    return 3 if backend.image_data_format() == "channels_last" else 1


def ResNet(stack_fn, preact, use_bias, include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
           pooling=None, classes=1000, classifier_activation="softmax", name="resnet", weights_name=None):
    """A ResNet (``preact=False``) or ResNetV2 (``preact=True``) around the residual stages ``stack_fn``, as
    Keras builds them: a 7x7/2 convolution and a 3x3/2 max pooling, the stages, then the classifier
    (global average pooling and a dense layer) or an optional global pooling.

    Args:
        stack_fn: a function of the stem's output tensor that returns the last stage's output.
        preact: ``True`` for ResNetV2 (batch normalization and ReLU before each convolution, and once
            after the last stage), ``False`` for ResNet (after each convolution).
        use_bias: whether the stem's convolution has a bias.
        include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name:
            as :func:`ResNet50`.
        weights_name: the key of the published ImageNet weights in ``WEIGHTS_HASHES`` (e.g. ``"resnet50"``),
            needed with ``weights="imagenet"``.

    Returns:
        A functional ``Model``.

    Example:
        >>> from striate.applications.resnet import ResNet, stack_residual_blocks_v1
        >>> model = ResNet(lambda x: stack_residual_blocks_v1(x, 16, 1, stride1=1, name="conv2"), preact=False,
        ...                use_bias=True, include_top=False, weights=None, input_shape=(32, 32, 3), pooling="avg",
        ...                name="resnet_tiny")
        >>> model.output_shape
        (None, 64)
    """
    imagenet_utils.validate_weights(weights, include_top, classes)
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
    if weights == "imagenet" and weights_name not in WEIGHTS_HASHES:
        raise ValueError(f"ResNet '{name}': there are no published ImageNet weights for weights_name="
                         f"{weights_name!r}; expected one of {sorted(WEIGHTS_HASHES)}, or weights=None")
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input, inputs = imagenet_utils.image_input(input_tensor, input_shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = layers.BatchNormalization(axis=_bn_axis(), epsilon=_EPSILON, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = layers.BatchNormalization(axis=_bn_axis(), epsilon=_EPSILON, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = Model(inputs, x, name=name)
    fname = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    imagenet_utils.load_model_weights(model, weights, fname=fname, origin=BASE_WEIGHTS_PATH + fname,
                                      file_hash=WEIGHTS_HASHES.get(weights_name, (None, None))[0 if include_top else 1])
    return model


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A ResNet bottleneck block: 1x1 (``filters``, stride ``stride``), ``kernel_size`` and 1x1
    (``4 * filters``) convolutions, each followed by batch normalization, added to the shortcut, then ReLU.

    Args:
        x: the input tensor.
        filters: the bottleneck's width.
        kernel_size: the middle convolution's size.
        stride: the first convolution's (and the shortcut's) stride.
        conv_shortcut: a 1x1 convolution with batch normalization on the shortcut (needed where the
            shape changes); ``False``: the identity.
        name: the prefix of the block's layer names.

    Returns:
        The block's output tensor.

    Example:
        >>> import striate as keras
        >>> from striate.applications.resnet import residual_block_v1
        >>> residual_block_v1(keras.Input(shape=(8, 8, 16)), 4, stride=2, name="block").shape
        (None, 4, 4, 16)
    """
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=_bn_axis(), epsilon=_EPSILON, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=_bn_axis(), epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=_bn_axis(), epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=_bn_axis(), epsilon=_EPSILON, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """A ResNet stage: ``blocks`` bottleneck blocks, the first with a convolution shortcut and stride
    ``stride1``, the others with identity shortcuts; named ``{name}_block1``, ``{name}_block2``, ...

    Args:
        x: the input tensor.
        filters: the bottleneck's width (the stage outputs ``4 * filters`` channels).
        blocks: the number of blocks.
        stride1: the first block's stride.
        name: the stage's name (``"conv2"``, ...).

    Returns:
        The stage's output tensor.

    Example:
        >>> import striate as keras
        >>> from striate.applications.resnet import stack_residual_blocks_v1
        >>> stack_residual_blocks_v1(keras.Input(shape=(8, 8, 16)), 4, 2, name="conv2").shape
        (None, 4, 4, 16)
    """
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A ResNetV2 bottleneck block (He et al. 2016, "Identity Mappings in Deep Residual Networks"): batch
    normalization and ReLU before the convolutions, and a shortcut left untouched by both.

    Args:
        x: the input tensor.
        filters: the bottleneck's width.
        kernel_size: the middle convolution's size.
        stride: the middle convolution's stride (the shortcut is subsampled by a 1x1 max pooling).
        conv_shortcut: a 1x1 convolution of ``4 * filters`` on the shortcut; ``False``: the identity.
        name: the prefix of the block's layer names.

    Returns:
        The block's output tensor.

    Example:
        >>> import striate as keras
        >>> from striate.applications.resnet import residual_block_v2
        >>> residual_block_v2(keras.Input(shape=(8, 8, 16)), 4, stride=2, name="block").shape
        (None, 4, 4, 16)
    """
    preact = layers.BatchNormalization(axis=_bn_axis(), epsilon=_EPSILON, name=f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.BatchNormalization(axis=_bn_axis(), epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=_bn_axis(), epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """A ResNetV2 stage: ``blocks`` blocks, the first with a convolution shortcut, the last with stride
    ``stride1`` (ResNetV2 subsamples at the end of a stage); named ``{name}_block1``, ...

    Args:
        x: the input tensor.
        filters: the bottleneck's width (the stage outputs ``4 * filters`` channels).
        blocks: the number of blocks.
        stride1: the last block's stride.
        name: the stage's name (``"conv2"``, ...).

    Returns:
        The stage's output tensor.

    Example:
        >>> import striate as keras
        >>> from striate.applications.resnet import stack_residual_blocks_v2
        >>> stack_residual_blocks_v2(keras.Input(shape=(8, 8, 16)), 4, 2, name="conv2").shape
        (None, 4, 4, 16)
    """
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _resnet_v1(blocks, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation,
               name):
    """ResNet with bottleneck stages of ``blocks`` blocks (64, 128, 256 and 512 wide)."""
    def stack_fn(x):
        x = stack_residual_blocks_v1(x, 64, blocks[0], stride1=1, name="conv2")
        x = stack_residual_blocks_v1(x, 128, blocks[1], name="conv3")
        x = stack_residual_blocks_v1(x, 256, blocks[2], name="conv4")
        return stack_residual_blocks_v1(x, 512, blocks[3], name="conv5")
    return ResNet(stack_fn, False, True, include_top=include_top, weights=weights, input_tensor=input_tensor,
                  input_shape=input_shape, pooling=pooling, classes=classes,
                  classifier_activation=classifier_activation, name=name, weights_name=name)


_ARGS_DOC = imagenet_utils.arguments_doc("(BGR, ImageNet's mean pixel subtracted)")


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet50"):
    return _resnet_v1((3, 4, 6, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
                      classifier_activation, name)


def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name="resnet101"):
    return _resnet_v1((3, 4, 23, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
                      classifier_activation, name)


def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name="resnet152"):
    return _resnet_v1((3, 8, 36, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
                      classifier_activation, name)


ResNet50.__doc__ = """ResNet50: stages of 3, 4, 6 and 3 bottleneck blocks, 25,636,712 parameters with the classifier,
    as ``keras.applications.ResNet50``.
""" + _ARGS_DOC + """
    Example:
        >>> import striate as keras
        >>> model = keras.applications.ResNet50(include_top=False, weights=None, input_shape=(32, 32, 3),
        ...                                     pooling="avg")
        >>> model.output_shape, model.count_params()
        ((None, 2048), 23587712)
"""
ResNet101.__doc__ = """ResNet101: stages of 3, 4, 23 and 3 bottleneck blocks, 44,707,176 parameters with the
    classifier, as ``keras.applications.ResNet101``.
""" + _ARGS_DOC + """
    Example:
        >>> import striate as keras
        >>> keras.applications.ResNet101(include_top=False, weights=None).output_shape
        (None, None, None, 2048)
"""
ResNet152.__doc__ = """ResNet152: stages of 3, 8, 36 and 3 bottleneck blocks, 60,419,944 parameters with the
    classifier, as ``keras.applications.ResNet152``.
""" + _ARGS_DOC + """
    Example:
        >>> import striate as keras
        >>> len(keras.applications.ResNet152(include_top=False, weights=None).layers)
        515
"""


def preprocess_input(x, data_format=None):
    """Preprocess RGB images (0..255) for ResNet: RGB to BGR, then ImageNet's mean pixel subtracted
    (``imagenet_utils.preprocess_input`` with ``mode="caffe"``).

    Args:
        x: a 3D image or 4D batch, 3 channels, values in ``[0, 255]`` (a NumPy float array changes in place).
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the backend's setting).

    Returns:
        The preprocessed images, float.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.applications.resnet.preprocess_input(np.array([[[0.0, 0.0, 255.0]]]))
        array([[[ 151.061, -116.779, -123.68 ]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
