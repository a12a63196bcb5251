"""Transforms: basic ones by hand, resampling against torch, augmentation geometry by hand."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import deepgrad as dg
from deepgrad import transforms as T


def _image(c=2, h=4, w=4):
    return np.arange(c * h * w, dtype=np.float64).reshape(c, h, w)


# ----- basic -------------------------------------------------------------------------------
def test_to_tensor_layout_scaling_and_dtypes():
    hwc = np.random.default_rng(0).integers(0, 256, (5, 3, 2)).astype(np.uint8)
    out = T.ToTensor()(hwc)
    assert out.shape == (2, 5, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), hwc.transpose(2, 0, 1) / 255, rtol=1e-6)
    assert T.ToTensor()(np.zeros((4, 6), np.uint8)).shape == (1, 4, 6)
    floats = np.full((2, 2), 3.0)
    kept = T.ToTensor()(floats)
    assert kept.dtype == np.float64 and kept.numpy().max() == 3.0  # only uint8 is rescaled
    with pytest.raises(ValueError, match="ToTensor.*2 or 3"):
        T.ToTensor()(np.zeros(3))


def test_normalize_compose_lambda():
    image = np.full((4, 4), 255, np.uint8)
    out = T.Compose([T.ToTensor(), T.Normalize([0.5], [0.25]), T.Lambda(lambda t: t * 2)])(image)
    assert out.shape == (1, 4, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), 4.0)
    batch = np.random.default_rng(0).random((3, 2, 4, 4)).astype(np.float32)
    mean, std = [0.1, 0.2], [0.5, 2.0]
    expected = (batch - np.array(mean, np.float32)[:, None, None]) / \
        np.array(std, np.float32)[:, None, None]
    np.testing.assert_allclose(T.Normalize(mean, std)(batch).numpy(), expected, rtol=1e-6)
    t = dg.tensor(batch.copy())
    assert T.Normalize(mean, std, inplace=True)(t) is t
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize([0.0], [0.0])
    with pytest.raises(ValueError, match="3 means.*2 channels"):
        T.Normalize([0.0] * 3, [1.0] * 3)(batch)
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize([0.0], [1.0])(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)
    assert "Normalize" in repr(T.Compose([T.Normalize([0.0], [1.0])]))


# ----- crops and flips ---------------------------------------------------------------------
def test_random_crop_offsets_come_from_the_seeded_generator():
    image = _image()
    dg.manual_seed(0)
    out = T.RandomCrop(4, padding=2)(image).numpy()
    dg.manual_seed(0)
    rng = dg.backend.random.generator()
    top, left = int(rng.integers(0, 5, size=1)[0]), int(rng.integers(0, 5, size=1)[0])
    padded = np.pad(image, ((0, 0), (2, 2), (2, 2)))
    np.testing.assert_array_equal(out, padded[:, top:top + 4, left:left + 4])
    with pytest.raises(ValueError, match="larger than the"):
        T.RandomCrop(9)(image)
    assert T.RandomCrop(6, pad_if_needed=True)(image).shape == (2, 6, 6)


def test_random_crop_padding_forms_and_modes():
    image = _image(1, 3, 3)
    # (left, top, right, bottom) = (1, 0, 0, 0) and a crop of the full padded size: no freedom
    out = T.RandomCrop((3, 4), padding=(1, 0, 0, 0))(image).numpy()
    np.testing.assert_array_equal(out[0, :, 0], 0)
    np.testing.assert_array_equal(out[0, :, 1:], image[0])
    out = T.RandomCrop(5, padding=1, padding_mode="reflect")(image).numpy()
    np.testing.assert_array_equal(out[0], np.pad(image[0], 1, mode="reflect"))
    out = T.RandomCrop(5, padding=1, fill=7)(image).numpy()
    assert out[0, 0, 0] == 7 and out[0, 4, 4] == 7


def test_random_crop_on_a_batch_draws_per_image():
    batch = np.stack([_image(1, 6, 6)] * 64)
    dg.manual_seed(0)
    out = T.RandomCrop(2)(batch).numpy()
    assert out.shape == (64, 1, 2, 2)
    corners = {(int(o[0, 0, 0]) // 6, int(o[0, 0, 0]) % 6) for o in out}
    assert len(corners) > 5  # different windows for different images
    for o in out:
        r, c = int(o[0, 0, 0]) // 6, int(o[0, 0, 0]) % 6
        np.testing.assert_array_equal(o[0], batch[0, 0, r:r + 2, c:c + 2])


def test_flips():
    image = _image()
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(image).numpy(),
                                  image[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(image).numpy(), image[:, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(image).numpy(), image)
    batch = np.stack([image] * 40)
    out = T.RandomHorizontalFlip()(batch).numpy()
    flipped = np.array([np.array_equal(o, image[:, :, ::-1]) for o in out])
    kept = np.array([np.array_equal(o, image) for o in out])
    assert (flipped | kept).all() and 5 < flipped.sum() < 35


def test_center_crop():
    image = _image(1, 5, 6)
    np.testing.assert_array_equal(T.CenterCrop(2)(image).numpy(), image[:, 2:4, 2:4])
    # top = round((5 - 2) / 2) = 2 (round half to even), left = round((6 - 3) / 2) = 2
    np.testing.assert_array_equal(T.CenterCrop((2, 3))(image).numpy(), image[:, 2:4, 2:5])
    big = T.CenterCrop(7)(_image(1, 5, 5)).numpy()
    assert big.shape == (1, 7, 7) and big[0, 0].sum() == 0
    np.testing.assert_array_equal(big[0, 1:6, 1:6], _image(1, 5, 5)[0])


# ----- resampling --------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(8, 12), (3, 5), (4, 4), (7, 2)])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_resize_matches_torch_interpolate(size, mode):
    batch = np.random.default_rng(0).random((2, 3, 5, 6))
    ours = T.Resize(size, interpolation=mode)(batch).numpy()
    kwargs = {"align_corners": False} if mode == "bilinear" else {}
    theirs = F.interpolate(torch.tensor(batch), size=size, mode=mode, **kwargs).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-12)
    single = T.Resize(size, interpolation=mode)(batch[0]).numpy()
    np.testing.assert_allclose(single, theirs[0], atol=1e-12)


def test_resize_int_matches_the_shorter_edge_and_rounds_uint8():
    assert T.Resize(4)(np.zeros((1, 8, 16))).shape == (1, 4, 8)
    assert T.Resize(4)(np.zeros((1, 16, 8))).shape == (1, 8, 4)
    image = np.array([[[0, 255]]], np.uint8)
    out = T.Resize((1, 4))(image).numpy()
    assert out.dtype == np.uint8 and out.tolist() == [[[0, 64, 191, 255]]]
    constant = np.full((1, 5, 5), 3.0, np.float32)
    np.testing.assert_allclose(T.Resize((7, 3))(constant).numpy(), 3.0, atol=1e-6)


def test_rotation_by_hand():
    image = np.random.default_rng(0).random((2, 5, 5))
    ccw = T.RandomRotation((90, 90))(image).numpy()
    np.testing.assert_allclose(ccw, np.rot90(image, 1, axes=(1, 2)), atol=1e-12)
    np.testing.assert_allclose(T.RandomRotation((180, 180))(image).numpy(),
                               image[:, ::-1, ::-1], atol=1e-12)
    # F.affine's angle turns clockwise (torchvision's convention for RandomAffine)
    cw = T.RandomAffine((90, 90))(image).numpy()
    np.testing.assert_allclose(cw, np.rot90(image, -1, axes=(1, 2)), atol=1e-12)
    np.testing.assert_allclose(T.RandomAffine(0)(image).numpy(), image)


def test_affine_translation_scale_and_shear_by_hand():
    image = np.zeros((1, 7, 7))
    image[0, 3, 3] = 1.0  # the centre pixel
    # translate 1/7 of the size exactly: shift by round(U(-1, 1)) pixels
    dg.manual_seed(0)
    moved = T.RandomAffine(0, translate=(1 / 7, 1 / 7))(image).numpy()
    r, c = np.argwhere(moved[0] == 1.0)[0]
    assert abs(r - 3) <= 1 and abs(c - 3) <= 1 and moved.sum() == 1
    # scale 2 about the centre: a pixel at offset (0, 1) lands at offset (0, 2)
    image2 = np.zeros((1, 7, 7))
    image2[0, 3, 4] = 1.0
    scaled = T.RandomAffine(0, scale=(2, 2))(image2).numpy()
    assert scaled[0, 3, 5] == 1.0 and scaled[0, 3, 4] == 1.0  # nearest: it covers 2 pixels
    # shear x 45°: output (x, y) reads input (x + y, y), so the row below the centre moves
    # one pixel left
    image3 = np.zeros((1, 7, 7))
    image3[0, 4, 3] = 1.0
    sheared = T.RandomAffine(0, shear=(45, 45))(image3).numpy()
    assert np.argwhere(sheared[0] == 1.0).tolist() == [[4, 2]]


def test_warp_sampling_matches_torch_grid_sample():
    from deepgrad.transforms.augment import _inverse_affine, _warp

    batch = np.random.default_rng(1).random((3, 2, 6, 5))
    angle, translate = np.array([10.0, -35.0, 120.0]), np.array([[1.0, 0], [0, -2], [1, 1]])
    scale, shear = np.array([1.0, 0.8, 1.3]), np.array([[0.0, 0], [10, 0], [-5, 3]])
    inverse = _inverse_affine(angle, translate, scale, shear)
    h, w = 6, 5
    xs, ys = np.meshgrid(np.arange(w) - (w - 1) / 2, np.arange(h) - (h - 1) / 2)
    src_x = np.einsum("n,hw->nhw", inverse[:, 0, 0], xs) + \
        np.einsum("n,hw->nhw", inverse[:, 0, 1], ys) + inverse[:, 0, 2, None, None]
    src_y = np.einsum("n,hw->nhw", inverse[:, 1, 0], xs) + \
        np.einsum("n,hw->nhw", inverse[:, 1, 1], ys) + inverse[:, 1, 2, None, None]
    # normalised coordinates of grid_sample(align_corners=False): pixel p -> (2p + 1)/size - 1
    grid = np.stack([(2 * (src_x + (w - 1) / 2) + 1) / w - 1,
                     (2 * (src_y + (h - 1) / 2) + 1) / h - 1], axis=-1)
    for mode in ("bilinear", "nearest"):
        theirs = F.grid_sample(torch.tensor(batch), torch.tensor(grid), mode=mode,
                               padding_mode="zeros", align_corners=False).numpy()
        ours = _warp(batch, inverse, mode, 0.0)
        if mode == "bilinear":
            # torchvision blends the fill by the in-image weight: zero-padded * coverage
            ones = F.grid_sample(torch.ones(3, 1, h, w, dtype=torch.float64),
                                 torch.tensor(grid), mode=mode, padding_mode="zeros",
                                 align_corners=False).numpy()
            theirs = theirs * ones
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_rotation_batch_draws_per_image_and_fill():
    batch = np.ones((16, 1, 9, 9))
    out = T.RandomRotation(45, fill=0.5)(batch).numpy()
    corners = out[:, 0, 0, 0]
    assert set(np.unique(corners)) <= {0.5, 1.0}
    assert len({o.tobytes() for o in out}) > 1


# ----- erasing, noise, colour --------------------------------------------------------------
def test_random_erasing_is_a_rectangle_within_bounds_and_seeded():
    image = np.ones((3, 20, 20), np.float32)
    dg.manual_seed(2)
    a = T.RandomErasing(p=1.0)(image).numpy()
    dg.manual_seed(2)
    b = T.RandomErasing(p=1.0)(image).numpy()
    np.testing.assert_array_equal(a, b)
    erased = a[0] == 0
    rows, cols = np.flatnonzero(erased.any(1)), np.flatnonzero(erased.any(0))
    assert erased[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].all()  # a full rectangle
    assert 0.02 * 400 * 0.5 <= erased.sum() <= 0.33 * 400 * 1.5
    assert (a[1] == 0).sum() == erased.sum()  # every channel
    np.testing.assert_array_equal(T.RandomErasing(p=0.0)(image).numpy(), image)
    per_channel = T.RandomErasing(p=1.0, value=(1.0, 2.0, 3.0))(np.zeros((3, 20, 20)))
    assert set(np.unique(per_channel.numpy()[2])) == {0.0, 3.0}
    batch = T.RandomErasing(p=1.0)(np.ones((8, 1, 20, 20))).numpy()
    assert len({(b == 0).tobytes() for b in batch}) > 1
    noisy = T.RandomErasing(p=1.0, value="random")(np.ones((1, 20, 20))).numpy()
    assert (noisy != 1).sum() > 0


def test_gaussian_noise():
    dg.manual_seed(1)
    noisy = T.GaussianNoise(0.0, 0.5, clip=False)(np.zeros((1, 100, 100), np.float32)).numpy()
    assert abs(noisy.std() - 0.5) < 0.02 and abs(noisy.mean()) < 0.02
    assert noisy.dtype == np.float32
    clipped = T.GaussianNoise(0.5, 0.5)(np.zeros((2, 1, 50, 50), np.float32)).numpy()
    assert clipped.min() >= 0 and clipped.max() <= 1 and clipped.shape == (2, 1, 50, 50)
    with pytest.raises(ValueError, match="float"):
        T.GaussianNoise()(np.zeros((1, 2, 2), np.uint8))


def test_color_jitter_formulas():
    image = np.random.default_rng(0).uniform(0.2, 0.6, (1, 6, 6)).astype(np.float32)
    out = T.ColorJitter(brightness=0.5)(image).numpy()
    factor = out / image
    assert np.ptp(factor) < 1e-5 and 0.5 <= factor.mean() <= 1.5
    out = T.ColorJitter(contrast=0.5)(image).numpy()
    # f·x + (1 − f)·mean keeps the mean when nothing clips
    np.testing.assert_allclose(out.mean(), image.mean(), rtol=1e-5)
    gray = np.repeat(image, 3, axis=0)
    # (the luma weights 0.2989 + 0.587 + 0.114 sum to 0.9999, as in torchvision)
    np.testing.assert_allclose(T.ColorJitter(saturation=0.9)(gray).numpy(), gray, atol=1e-4)
    batch = np.stack([image] * 8)
    out = T.ColorJitter(brightness=0.5)(batch).numpy()
    assert len({round(float(o.mean()), 5) for o in out}) > 1  # one factor per image
    with pytest.raises(NotImplementedError, match="hue"):
        T.ColorJitter(hue=0.1)
    bright = T.ColorJitter(brightness=(2.0, 2.0))(np.full((1, 2, 2), 200, np.uint8)).numpy()
    assert bright.dtype == np.uint8 and bright.max() == 255


@pytest.mark.parametrize("transform", [
    T.RandomCrop(3, padding=1), T.RandomHorizontalFlip(), T.RandomRotation(30),
    T.RandomAffine(20, translate=(0.2, 0.2), scale=(0.8, 1.2), shear=10),
    T.RandomErasing(p=0.9), T.GaussianNoise(), T.ColorJitter(0.3, 0.3, 0.3)])
def test_random_transforms_are_reproducible_and_keep_shape(transform):
    batch = np.random.default_rng(0).random((4, 3, 6, 6)).astype(np.float32)
    dg.manual_seed(5)
    a = transform(batch).numpy()
    dg.manual_seed(5)
    b = transform(batch).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and a.shape[:2] == (4, 3)
    assert transform(batch[0]).shape[0] == 3
    with pytest.raises(ValueError, match=type(transform).__name__):
        transform(np.zeros(5, np.float32))
