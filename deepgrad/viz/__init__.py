"""Plots for training runs and models (matplotlib, the ``plot`` extra, imported when a plot is
made): loss/accuracy curves, confusion matrices, first-layer filters, feature maps,
misclassified examples, sample grids and attention heat maps. Each function returns a
matplotlib Figure and saves a PNG when given ``path``."""

from deepgrad.viz.attention import plot_attention
from deepgrad.viz.confusion import plot_confusion_matrix
from deepgrad.viz.curves import plot_history
from deepgrad.viz.gan import plot_gan_losses
from deepgrad.viz.generative import (
    plot_interpolation,
    plot_latent_grid,
    plot_latent_map,
    plot_reconstructions,
)
from deepgrad.viz.images import (
    make_grid,
    plot_feature_maps,
    plot_filters,
    plot_misclassified,
    plot_samples,
)
from deepgrad.viz.report import plot_what_it_learned

__all__ = ["plot_history", "plot_confusion_matrix", "plot_filters", "plot_feature_maps",
           "plot_misclassified", "plot_samples", "make_grid", "plot_what_it_learned"]
__all__ += ["plot_attention"]
__all__ += ["plot_reconstructions", "plot_interpolation", "plot_latent_map", "plot_latent_grid"]
__all__ += ["plot_gan_losses"]
