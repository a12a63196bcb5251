"""CycleGAN's fake-image history (ImagePool): the algorithm of Zhu et al.'s code, seeded draws,
kept in the state_dict, and used for the discriminators' update."""

import numpy as np
import pytest

import deepgrad
from deepgrad.models.cyclegan import CycleGAN, ImagePool


class ReferencePool:
    """A line-by-line port of ``util/image_pool.py`` of the CycleGAN authors' code, with
    ``random.uniform``/``random.randint`` replaced by draws of a NumPy generator."""

    def __init__(self, pool_size, rng):
        self.pool_size, self.rng, self.num_imgs, self.images = pool_size, rng, 0, []

    def query(self, images):
        if self.pool_size == 0:
            return images
        return_images = []
        for image in images:
            if self.num_imgs < self.pool_size:
                self.num_imgs += 1
                self.images.append(image)
                return_images.append(image)
            else:
                p = self.rng.random()
                if p > 0.5:
                    random_id = int(self.rng.integers(0, self.pool_size))
                    tmp = self.images[random_id].copy()
                    self.images[random_id] = image
                    return_images.append(tmp)
                else:
                    return_images.append(image)
        return np.stack(return_images)


def _batches(n_batches, size, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((size, 1, 2, 2)).astype(np.float32) for _ in range(n_batches)]


@pytest.mark.parametrize("pool_size", [0, 1, 5, 50])
def test_matches_the_reference_algorithm(pool_size):
    pool = ImagePool(pool_size, (1, 2, 2), generator=deepgrad.Generator(7))
    ref = ReferencePool(pool_size, np.random.Generator(np.random.PCG64(7)))
    for batch in _batches(40, 4):
        got = pool.query(deepgrad.from_numpy(batch)).numpy()
        np.testing.assert_array_equal(got, ref.query(batch))
    if pool_size:
        np.testing.assert_array_equal(pool.images.numpy(), np.stack(ref.images))
        assert int(pool.num_imgs.item()) == pool_size


def test_half_the_images_come_from_the_history_once_it_is_full():
    pool = ImagePool(50, (1, 2, 2))
    deepgrad.manual_seed(3)
    seen, from_history, returned = set(), 0, 0
    for i, batch in enumerate(_batches(200, 5)):
        out = pool.query(deepgrad.from_numpy(batch)).numpy()
        seen.update(image.tobytes() for image in batch)  # (may be stored a moment ago)
        if i < 10:  # the first 50 images fill the pool and come back as they are
            np.testing.assert_array_equal(out, batch)
        else:
            new = np.all(out == batch, axis=(1, 2, 3))
            from_history += int((~new).sum())
            returned += len(batch)
            for image in out[~new]:  # a stored image is one generated earlier
                assert image.tobytes() in seen
    assert 0.45 < from_history / returned < 0.55
    # seeded: the same seed gives the same answers, another seed others
    def run(seed):
        deepgrad.manual_seed(seed)
        p = ImagePool(3, (1, 2, 2))
        return np.concatenate([p.query(deepgrad.from_numpy(b)).numpy() for b in _batches(8, 4)])
    np.testing.assert_array_equal(run(11), run(11))
    assert not np.array_equal(run(11), run(12))


def test_state_dict_carries_the_history():
    a = ImagePool(4, (1, 2, 2), generator=deepgrad.Generator(1))
    for batch in _batches(3, 3):
        a.query(deepgrad.from_numpy(batch))
    b = ImagePool(4, (1, 2, 2), generator=deepgrad.Generator(1))
    b.load_state_dict(a.state_dict())
    b.generator.set_state(a.generator.get_state())
    for batch in _batches(3, 3, seed=5):
        np.testing.assert_array_equal(a.query(deepgrad.from_numpy(batch)).numpy(),
                                      b.query(deepgrad.from_numpy(batch)).numpy())


def test_bad_arguments():
    with pytest.raises(ValueError, match="ImagePool: pool_size must be an integer >= 0"):
        ImagePool(-1)
    with pytest.raises(ValueError, match="ImagePool: pool_size must be an integer >= 0"):
        ImagePool(2.5)
    with pytest.raises(ValueError, match=r"ImagePool.query: expected images N×1×2×2, got "
                                         r"\(3, 1, 3, 3\)"):
        ImagePool(2, (1, 2, 2)).query(deepgrad.zeros(3, 1, 3, 3))


def test_cyclegan_discriminators_are_updated_on_the_pool_output():
    import copy

    model = CycleGAN(in_channels=1, image_size=8, ngf=2, ndf=2, n_blocks=1,
                     pool_size=2).to(deepgrad.float64)
    assert model.pool_a.pool_size == model.pool_b.pool_size == 2
    assert {"pool_a.images", "pool_b.images"} <= set(model.state_dict())
    opts = model.configure_optimizers()
    x = deepgrad.rand(4, 1, 8, 8, dtype=deepgrad.float64)
    model.train_step(x, None, opts)  # fills both pools (2 fakes each)
    assert int(model.pool_b.num_imgs.item()) == 2
    # the players before the next step: G makes the fakes, D_B judges the pool's answer
    g_ab, d_b = copy.deepcopy(model.g_ab), copy.deepcopy(model.d_b)
    a, b = model.domain_split(x)
    shown = deepgrad.rand(2, 1, 8, 8, dtype=deepgrad.float64) * 2 - 1
    calls = []

    def spy(images):  # what the pool would have answered is replaced by a known batch
        calls.append(images.detach().numpy().copy())
        return shown

    model.pool_b.query = spy
    logs = model.train_step(x, None, opts)
    del model.pool_b.query
    (fakes,) = calls
    with deepgrad.no_grad():
        np.testing.assert_allclose(fakes, g_ab(a * 2 - 1).numpy(), rtol=1e-12)
        expected = model.discriminator_loss(d_b, b * 2 - 1, shown).item()
        on_fakes = model.discriminator_loss(d_b, b * 2 - 1, deepgrad.from_numpy(fakes)).item()
    assert logs["d_b_loss"] == pytest.approx(expected, rel=1e-12)
    assert logs["d_b_loss"] != pytest.approx(on_fakes, rel=1e-6)


def test_pool_size_zero_shows_the_current_fakes():
    model = CycleGAN(in_channels=1, image_size=8, ngf=2, ndf=2, n_blocks=1, pool_size=0)
    fake = deepgrad.rand(2, 1, 8, 8, requires_grad=True) * 2
    out = model.pool_a.query(fake)
    np.testing.assert_array_equal(out.numpy(), fake.detach().numpy())
    assert not out.requires_grad
