"""Keras 2's ``keras.preprocessing``: ``preprocessing.image.ImageDataGenerator`` and its iterators.

Example:
    >>> import striate as keras
    >>> keras.preprocessing.image.ImageDataGenerator(rescale=1 / 255).rescale
    0.00392156862745098
"""
from striate.preprocessing import image

__all__ = ["image"]
