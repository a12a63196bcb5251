import numpy as np
import pytest

import deepgrad as dg
from deepgrad import transforms as T


def _image():
    return np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4)


def test_random_crop_with_padding_is_a_shifted_window():
    dg.manual_seed(0)
    out = T.RandomCrop(4, padding=2)(_image()).numpy()
    padded = np.pad(_image(), ((0, 0), (2, 2), (2, 2)))
    windows = [padded[:, i:i + 4, j:j + 4] for i in range(5) for j in range(5)]
    assert any(np.array_equal(out, w) for w in windows)
    with pytest.raises(ValueError, match="larger"):
        T.RandomCrop(9)(_image())


def test_flips_center_crop_and_resize():
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(_image()).numpy(),
                                  _image()[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(_image()).numpy(), _image())
    np.testing.assert_array_equal(T.CenterCrop(2)(_image()).numpy(), _image()[:, 1:3, 1:3])
    np.testing.assert_allclose(T.Resize(4)(_image()).numpy(), _image(), atol=1e-5)
    np.testing.assert_array_equal(T.Resize(2, "nearest")(_image()).numpy(),
                                  _image()[:, ::2, ::2])
    constant = np.full((1, 5, 5), 3.0, np.float32)
    np.testing.assert_allclose(T.Resize((7, 3))(constant).numpy(), 3.0, atol=1e-6)


def test_affine_identity_rotation_and_noise_statistics():
    image = np.random.default_rng(0).random((1, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(T.RandomAffine(0)(image).numpy(), image, atol=1e-6)
    rotated = T.RandomRotation((90, 90))(image).numpy()
    np.testing.assert_allclose(rotated[0], np.rot90(image[0], 1), atol=1e-5)
    dg.manual_seed(1)
    noisy = T.GaussianNoise(0.0, 0.5)(np.zeros((1, 100, 100), np.float32)).numpy()
    assert abs(noisy.std() - 0.5) < 0.02 and noisy.dtype == np.float32


def test_erasing_and_color_jitter_are_seeded():
    image = np.ones((1, 20, 20), np.float32)
    dg.manual_seed(2)
    a = T.RandomErasing(p=1.0)(image).numpy()
    dg.manual_seed(2)
    b = T.RandomErasing(p=1.0)(image).numpy()
    np.testing.assert_array_equal(a, b)
    assert 0 < (a == 0).sum() < a.size
    jittered = T.ColorJitter(brightness=0.5)(image * 0.5).numpy()
    assert 0.25 <= jittered.max() <= 0.75 and np.ptp(jittered) == 0
