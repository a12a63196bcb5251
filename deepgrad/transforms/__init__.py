"""Image transforms with torchvision's names (``deepgrad.transforms``), pure NumPy.

``basic.py``: ``Compose``, ``ToTensor``, ``Normalize``, ``Lambda``. ``augment.py``: the seeded
augmentations (crop, flip, rotate, affine, erase, noise, colour jitter, resize, centre crop),
each working on one C×H×W image and, with one random draw per image, on an N×C×H×W batch.

    train_tf = Compose([ToTensor(), RandomCrop(28, padding=2), Normalize([0.286], [0.353])])
"""

from deepgrad.transforms.augment import *  # noqa: F401,F403
from deepgrad.transforms.augment import __all__ as _augment_all
from deepgrad.transforms.basic import Compose, Lambda, Normalize, ToTensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda"] + _augment_all
