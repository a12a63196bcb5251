"""The generative plots write PNGs with the expected panels (matplotlib, Agg, no display)."""

import numpy as np
import pytest

from deepgrad.models import vae
from deepgrad.viz import (
    plot_interpolation,
    plot_latent_grid,
    plot_latent_map,
    plot_reconstructions,
)

pytest.importorskip("matplotlib")


def test_generative_plots_write_pngs(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (12, 1, 8, 8)).astype(np.float32)
    fig = plot_reconstructions(x, x[::-1], path=tmp_path / "rec.png", n=6, inputs=x)
    assert len(fig.axes) == 3 * 6 and (tmp_path / "rec.png").stat().st_size > 0
    fig = plot_interpolation([x[:5], x[5:10]], path=tmp_path / "strip.png")
    assert len(fig.axes) == 2 * 5 and (tmp_path / "strip.png").exists()
    labels = rng.integers(0, 3, 12)
    fig = plot_latent_map(rng.standard_normal((12, 2)), labels, class_names=["a", "b", "c"],
                          path=tmp_path / "map.png")
    assert fig.axes[0].get_xlabel() == "z[0]"
    assert len(fig.axes[0].collections) == len(np.unique(labels))
    fig = plot_latent_map(rng.standard_normal((12, 5)), labels)  # projected on 2 PCs
    assert fig.axes[0].get_xlabel() == "principal component 1"
    model = vae(latent_dim=2, image_size=8, hidden=(16, 8))
    fig = plot_latent_grid(model.decode, n=4, path=tmp_path / "grid.png")
    assert fig.axes[0].images[0].get_array().shape == (32, 32)
    with pytest.raises(ValueError, match="12 codes but 3 labels"):
        plot_latent_map(rng.standard_normal((12, 2)), [0, 1, 2])
