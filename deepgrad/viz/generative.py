"""Plots for autoencoders and generative models: inputs beside their reconstructions,
interpolation strips, the latent space as a scatter coloured by class, and the images a
decoder makes over a grid of 2-D codes."""

import numpy as np

from deepgrad.viz._common import as_images, figure, finish, to_numpy

__all__ = ["plot_reconstructions", "plot_interpolation", "plot_latent_map",
           "plot_latent_grid"]


def _image_rows(rows, row_titles, path, title, cmap="gray"):
    n = max(len(r) for r in rows)
    fig = figure((1.0 * n + (1.0 if row_titles else 0.2), 1.05 * len(rows) + (0.4 if title
                                                                              else 0.1)))
    axes = fig.subplots(len(rows), n, squeeze=False)
    for r, images in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c < len(images):
                image = np.clip(images[c], 0, 1)
                ax.imshow(image, cmap=None if image.ndim == 3 else cmap, vmin=0, vmax=1,
                          interpolation="nearest")
            if c == 0 and row_titles:
                ax.set_ylabel(row_titles[r], fontsize=9)
    if title:
        fig.suptitle(title)
    return finish(fig, path)


def plot_reconstructions(originals, reconstructions, path=None, n=10, inputs=None, title=None):
    """The first ``n`` images (top row) above their reconstructions (bottom row); ``inputs``
    (e.g. a denoising autoencoder's noisy inputs) go in a middle row. Pixels in [0, 1]."""
    rows = [as_images(originals)[:n]]
    titles = ["original"]
    if inputs is not None:
        rows.append(as_images(inputs)[:n])
        titles.append("input")
    rows.append(as_images(reconstructions)[:n])
    titles.append("reconstruction")
    return _image_rows(rows, titles, path, title)


def plot_interpolation(strips, path=None, title=None, row_titles=None):
    """One interpolation strip (steps×C×H×W, left to right) or a list of strips, one a row."""
    if not isinstance(strips, (list, tuple)):
        strips = [strips]
    return _image_rows([as_images(s) for s in strips], row_titles, path, title)


def _two_dims(codes):
    z = to_numpy(codes).astype(np.float64)
    if z.ndim != 2 or z.shape[1] < 2:
        raise ValueError(f"plot_latent_map: expected codes of shape (N, D) with D >= 2, got "
                         f"{z.shape}")
    if z.shape[1] == 2:
        return z, ("z[0]", "z[1]")
    centred = z - z.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T, ("principal component 1", "principal component 2")


def plot_latent_map(codes, labels, class_names=None, path=None, title=None, max_points=10000):
    """A scatter of the codes (N, 2), each point coloured by its class; codes with more than
    two dimensions are projected on their first two principal components."""
    z, axis_names = _two_dims(codes)
    labels = to_numpy(labels).reshape(-1)
    if len(labels) != len(z):
        raise ValueError(f"plot_latent_map: {len(z)} codes but {len(labels)} labels")
    z, labels = z[:max_points], labels[:max_points]
    fig = figure((7.5, 6))
    ax = fig.subplots()
    classes = np.unique(labels)
    import matplotlib

    colours = matplotlib.colormaps["tab10" if len(classes) <= 10 else "tab20"]
    for i, c in enumerate(classes):
        mask = labels == c
        name = class_names[int(c)] if class_names is not None else str(c)
        ax.scatter(z[mask, 0], z[mask, 1], s=3, alpha=0.6, color=colours(i % colours.N),
                   label=name)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.legend(markerscale=4, fontsize=8, loc="best")
    ax.set_title(title or "latent space")
    return finish(fig, path)


def plot_latent_grid(decode, n=15, limit=2.5, path=None, title=None, center=(0.0, 0.0)):
    """The images ``decode`` (N×2 codes → N×C×H×W images in [0, 1], e.g. a VAE's ``decode``)
    makes on an n×n grid of 2-D codes spanning [−limit, limit]² around ``center``."""
    import deepgrad
    from deepgrad.autograd import no_grad

    axis = np.linspace(-limit, limit, n)
    zx, zy = np.meshgrid(axis + center[0], -axis + center[1])  # z[1] grows upwards
    z = np.stack([zx.ravel(), zy.ravel()], 1).astype(np.float32)
    with no_grad():
        images = as_images(decode(deepgrad.tensor(z)))
    h, w = images.shape[1:3]
    canvas = images.reshape((n, n) + images.shape[1:]).swapaxes(1, 2).reshape(
        (n * h, n * w) + images.shape[3:])
    fig = figure((7, 7))
    ax = fig.subplots()
    ax.imshow(np.clip(canvas, 0, 1), cmap="gray", vmin=0, vmax=1,
              extent=(center[0] - limit, center[0] + limit, center[1] - limit,
                      center[1] + limit))
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(title or "decoded latent grid")
    return finish(fig, path)
