"""striate.layers: Keras 3 layer names, arguments and defaults."""
from striate.layers.core import Activation, Dense, Identity, Input, InputLayer
from striate.layers.layer import InputSpec, KerasTensor, Layer
from striate.layers.activations import *  # noqa: F401,F403  ReLU, LeakyReLU, PReLU, ELU, Softmax
from striate.layers.conv import *  # noqa: F401,F403  Conv2D, DepthwiseConv2D, Conv2DTranspose
from striate.layers.lambda_layer import Lambda
from striate.layers.lrn import LocalResponseNormalization
from striate.layers.merging import *  # noqa: F401,F403  Add/add, Concatenate/concatenate, ...
from striate.layers.normalization import *  # noqa: F401,F403  BatchNormalization
from striate.layers.pooling import *  # noqa: F401,F403  MaxPooling2D, AveragePooling2D, Global*
from striate.layers.noise import *  # noqa: F401,F403  GaussianNoise, GaussianDropout
from striate.layers.preprocessing import *  # noqa: F401,F403  Rescaling, Normalization, RandomFlip, ...
from striate.layers.regularization import *  # noqa: F401,F403  Dropout, SpatialDropout2D
from striate.layers.residual import *  # noqa: F401,F403  SqueezeExcitation, ZeroPaddingShortcut
from striate.layers.reshaping import *  # noqa: F401,F403  Flatten, Reshape, Permute, ZeroPadding2D, Cropping2D, ...
from striate.layers.serialization import deserialize, serialize
