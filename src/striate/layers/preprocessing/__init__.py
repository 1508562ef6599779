"""Preprocessing and augmentation layers (Keras 3's names, arguments and defaults).

Deterministic: Rescaling, Resizing, CenterCrop, Normalization (with ``adapt``). Random, acting only
in training (inside ``fit``), per image, from striate's seeded generator or their own ``seed``:
RandomCrop, RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomShear,
RandomElasticTransform, RandomContrast, RandomBrightness.
"""
from striate.layers.preprocessing.normalization import Normalization
from striate.layers.preprocessing.random_brightness import RandomBrightness
from striate.layers.preprocessing.random_contrast import RandomContrast
from striate.layers.preprocessing.random_crop import RandomCrop
from striate.layers.preprocessing.random_elastic import RandomElasticTransform
from striate.layers.preprocessing.random_flip import RandomFlip
from striate.layers.preprocessing.random_rotation import RandomRotation
from striate.layers.preprocessing.random_shear import RandomShear
from striate.layers.preprocessing.random_translation import RandomTranslation
from striate.layers.preprocessing.random_zoom import RandomZoom
from striate.layers.preprocessing.rescaling import Rescaling
from striate.layers.preprocessing.resizing import CenterCrop, Resizing

__all__ = ["Rescaling", "Resizing", "CenterCrop", "Normalization", "RandomCrop", "RandomFlip", "RandomRotation",
           "RandomZoom", "RandomTranslation", "RandomShear", "RandomElasticTransform", "RandomContrast",
           "RandomBrightness"]
