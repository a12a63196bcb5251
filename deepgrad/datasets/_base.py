"""What the image data sets share: arrays in ``.data``/``.targets``, torchvision-style."""

import numpy as np

from deepgrad.tensor import Tensor
from deepgrad.utils.data.dataset import Dataset

__all__ = ["ArrayImageDataset"]


class ArrayImageDataset(Dataset):
    """Images in ``.data`` (a uint8 tensor), labels in ``.targets`` (int64), names in
    ``.classes``.

    ``ds[i]`` is ``(image, label)``: the image as ``_sample_array`` makes it (a NumPy array)
    passed through ``transform`` if one is given, else wrapped as a Tensor; the label as a
    Python int passed through ``target_transform``. The ``DataLoader`` fetches whole batches by
    fancy indexing (``_batch_fetcher``) when there is no ``target_transform`` and the
    ``transform`` is absent or batchable (``ToTensor``, or ``Compose([ToTensor(), ...])``
    followed by ``Normalize`` and the augmentations): the batch then goes through the
    transform at once, each random augmentation drawing per image.
    """

    classes = []
    transform = None
    target_transform = None

    def __len__(self):
        return self.data.shape[0]

    def _sample_array(self, array):
        """Raw stored pixels → what a sample holds (subclasses may rescale)."""
        return array

    def __getitem__(self, index):
        image = self._sample_array(self.data._data[index])
        target = int(self.targets._data[index])
        image = self.transform(image) if self.transform is not None \
            else Tensor._from_op(np.array(image), None)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def _batch_fetcher(self):
        if self.target_transform is not None:
            return None
        transform = None
        if self.transform is not None:
            # a pipeline of ToTensor / Normalize / the augmentations runs on the whole batch
            batch_fn = getattr(self.transform, "_batch_fn", None)
            transform = batch_fn(nchw=False) if batch_fn is not None else None
            if transform is None:
                return None
        data, targets = self.data._data, self.targets._data

        def fetch(indices):
            images = self._sample_array(data[indices])
            images = transform(images) if transform is not None \
                else Tensor._from_op(images, None)
            return [images, Tensor._from_op(targets[indices], None)]

        return fetch

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
        if getattr(self, "root", None) is not None:
            lines.append(f"    Root location: {self.root}")
        lines.append(f"    Split: {'Train' if getattr(self, 'train', True) else 'Test'}")
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        return "\n".join(lines)
