"""``keras.applications.resnet50``: ResNet50 with its preprocessing and decoding (see :mod:`resnet`)."""
from striate.applications.resnet import ResNet50, decode_predictions, preprocess_input  # noqa: F401
