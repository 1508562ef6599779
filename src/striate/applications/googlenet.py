"""GoogLeNet (Szegedy et al., 2014, "Going deeper with convolutions"), the Inception network that won
ImageNet 2014: wide modules of parallel 1x1, 3x3 and 5x5 convolutions and max pooling, made affordable
by 1x1 reductions (the Network-in-Network idea)."""
from striate import layers
from striate.applications import imagenet_utils, lecture_utils

# Table 1 of the paper: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj of each inception module.
INCEPTION_FILTERS = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64), "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


def _conv(x, filters, kernel_size, name, strides=1):
    return layers.Conv2D(filters, kernel_size, strides=strides, padding="same", activation="relu", name=name)(x)


def _lrn(x, name):
    # The authors' Caffe model's normalization: 5 channels, alpha 1e-4 / 5 in the paper's formula, k=1.
    return layers.LocalResponseNormalization(size=5, alpha=2e-5, beta=0.75, k=1.0, axis=imagenet_utils.channel_axis(),
                                             name=name)(x)


def inception_module(x, filters, name):
    """An inception module (Figure 2b of the paper): four branches side by side, concatenated along the
    channels: a 1x1 convolution; a 1x1 reduction then a 3x3; a 1x1 reduction then a 5x5; a 3x3 max
    pooling (stride 1) then a 1x1 projection. Every convolution is "same" with ReLU.

    Args:
        x: the input tensor.
        filters: ``(#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj)``, a row of Table 1.
        name: the prefix of the layer names (``inception_3a``: ``inception_3a_1x1``, ...,
            ``inception_3a_output``).

    Returns:
        The module's output: ``#1x1 + #3x3 + #5x5 + pool proj`` channels, the input's size.

    Example:
        >>> import striate as keras
        >>> from striate.applications.googlenet import INCEPTION_FILTERS, inception_module
        >>> inception_module(keras.Input(shape=(28, 28, 192)), INCEPTION_FILTERS["3a"], "inception_3a").shape
        (None, 28, 28, 256)
    """
    ones, reduce3, threes, reduce5, fives, proj = filters
    branch1 = _conv(x, ones, 1, f"{name}_1x1")
    branch3 = _conv(_conv(x, reduce3, 1, f"{name}_3x3_reduce"), threes, 3, f"{name}_3x3")
    branch5 = _conv(_conv(x, reduce5, 1, f"{name}_5x5_reduce"), fives, 5, f"{name}_5x5")
    pooled = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    branch_pool = _conv(pooled, proj, 1, f"{name}_pool_proj")
    return layers.Concatenate(axis=imagenet_utils.channel_axis(), name=f"{name}_output")(
        [branch1, branch3, branch5, branch_pool])


def auxiliary_classifier(x, classes, classifier_activation, name):
    """An auxiliary classifier (section 5 of the paper), on the output of inception 4a or 4d: 5x5
    average pooling with stride 3, a 1x1 convolution of 128 with ReLU, a dense layer of 1024 with
    ReLU, dropout 0.7, and the classifier.

    Args:
        x: the inception module's output.
        classes: the number of classes.
        classifier_activation: the classifier's activation.
        name: the prefix of the layer names (``loss1``: ``loss1_ave_pool``, ..., ``loss1_classifier``).

    Returns:
        The class scores.

    Example:
        >>> import striate as keras
        >>> from striate.applications.googlenet import auxiliary_classifier
        >>> auxiliary_classifier(keras.Input(shape=(14, 14, 512)), 10, "softmax", "loss1").shape
        (None, 10)
    """
    x = layers.AveragePooling2D(5, strides=3, name=f"{name}_ave_pool")(x)
    x = _conv(x, 128, 1, f"{name}_conv")
    x = layers.Flatten(name=f"{name}_flatten")(x)
    x = layers.Dense(1024, activation="relu", name=f"{name}_fc")(x)
    x = layers.Dropout(0.7, name=f"{name}_drop_fc")(x)
    return layers.Dense(classes, activation=classifier_activation, name=f"{name}_classifier")(x)


def GoogLeNet(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name="googlenet", aux_logits=False):
    """GoogLeNet as Table 1 and Figure 3 of Szegedy et al. (2014) lay it out, the layers named as in
    the authors' Caffe model (``conv1_7x7_s2``, ``inception_3a_1x1``, ...).

    The stem: a 7x7/2 convolution of 64, 3x3/2 max pooling, local response normalization, a 1x1
    convolution of 64 and a 3x3 of 192, normalization and 3x3/2 max pooling (28x28x192 at 224x224);
    then inception modules 3a, 3b, max pooling, 4a to 4e, max pooling, 5a and 5b (7x7x1024); then the
    top: global average pooling, dropout 0.4 and the classifier. Every convolution has ReLU and
    "same" padding, every pooling "same" padding, so the sizes are the table's.

    With ``aux_logits=True`` the two auxiliary classifiers the paper trains with (on 4a and 4d, see
    :func:`auxiliary_classifier`) are added and the model has three outputs, ``[predictions,
    loss1_classifier, loss2_classifier]``; the paper weights the auxiliary losses by 0.3
    (``compile(loss=[...] * 3, loss_weights=[1.0, 0.3, 0.3])``) and drops them for inference.

    Args:
        include_top: whether to include the top (global average pooling to ``predictions``).
        weights: ``None`` (random initialization) or the path of a weights file saved by striate; there
            are no published weights (``"imagenet"`` is refused).
        input_tensor: a symbolic tensor (``keras.Input(...)`` or a layer's output) to use as the input.
        input_shape: the input's shape without the batch axis; default ``(224, 224, 3)`` with the top,
            ``(None, None, 3)`` without; at least 32x32 (65x65 with the auxiliary classifiers).
        pooling: without the top: ``None`` (inception 5b's 4D output), ``"avg"`` or ``"max"``.
        classes: the number of classes.
        classifier_activation: the classifiers' activation; ``None`` gives logits.
        name: the model's name.
        aux_logits: whether to add the two auxiliary classifiers (needs ``include_top=True``).

    Returns:
        A functional ``Model``.

    Example:
        >>> import striate as keras
        >>> model = keras.applications.GoogLeNet(input_shape=(96, 96, 3), classes=10, aux_logits=True)
        >>> model.output_shape
        [(None, 10), (None, 10), (None, 10)]
    """
    lecture_utils.check_weights(weights, "GoogLeNet")
    if aux_logits and not include_top:
        raise ValueError("GoogLeNet: aux_logits=True adds classifiers, which needs include_top=True, received "
                         "include_top=False")
    x, inputs = lecture_utils.model_input(input_tensor, input_shape, default_size=224,
                                          min_size=65 if aux_logits else 32, include_top=include_top)
    x = _conv(x, 64, 7, "conv1_7x7_s2", strides=2)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1_3x3_s2")(x)
    x = _lrn(x, "pool1_norm1")
    x = _conv(x, 64, 1, "conv2_3x3_reduce")
    x = _conv(x, 192, 3, "conv2_3x3")
    x = _lrn(x, "conv2_norm2")
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool2_3x3_s2")(x)
    auxiliary = []
    for module in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"):
        if module in ("4a", "5a"):
            x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{int(module[0]) - 1}_3x3_s2")(x)
        x = inception_module(x, INCEPTION_FILTERS[module], f"inception_{module}")
        if aux_logits and module in ("4a", "4d"):
            auxiliary.append(auxiliary_classifier(x, classes, classifier_activation, f"loss{len(auxiliary) + 1}"))
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(0.4, name="dropout")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = lecture_utils.global_pooling(x, pooling)
    return lecture_utils.finish_model(inputs, [x] + auxiliary if aux_logits else x, name, weights)
