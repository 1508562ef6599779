"""striate.applications: the lectures' model zoo, as ``keras.applications``.

Each architecture is a function returning a functional ``Model`` with Keras applications' signature
(``include_top``, ``weights``, ``input_tensor``, ``input_shape``, ``pooling``, ``classes``,
``classifier_activation``, ``name``). The ones Keras has equal Keras's (layer names, order, weights), so
``weights="imagenet"`` loads Keras's published files. The Keras-named modules (``vgg16``, ``resnet50``,
...) hold each family's ``preprocess_input`` and ``decode_predictions``.

Example:
    >>> import striate as keras
    >>> base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    >>> base.trainable = False
    >>> inputs = keras.Input(shape=(32, 32, 3))
    >>> outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(base(inputs)))
    >>> keras.Model(inputs, outputs).output_shape
    (None, 10)
"""
from striate.applications import imagenet_utils, resnet, resnet50, resnet_v2, vgg16, vgg19
from striate.applications.resnet import ResNet50, ResNet101, ResNet152
from striate.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from striate.applications.unet import UNet
from striate.applications.vgg16 import VGG16
from striate.applications.vgg19 import VGG19
from striate.applications import inception_v3, mobilenet, xception
from striate.applications.inception_v3 import InceptionV3
from striate.applications.mobilenet import MobileNet
from striate.applications.xception import Xception
from striate.applications import alexnet, googlenet, lenet, nin, resnet_cifar, senet
from striate.applications.alexnet import AlexNet
from striate.applications.googlenet import GoogLeNet
from striate.applications.lenet import LeNet5
from striate.applications.nin import NiN
from striate.applications.resnet_cifar import ResNet20, ResNet32, ResNet44, ResNet56, ResNet110
from striate.applications.senet import SEResNet50
