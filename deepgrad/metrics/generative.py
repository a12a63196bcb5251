"""How good are generated images, measured by a trained classifier (no human needed).

From the classifier's class probabilities p(y|x) on generated images x:

* ``inception_score`` — IS = exp(E_x KL(p(y|x) || p(y))), with p(y) = E_x p(y|x) the classes'
  marginal. Large when each image is recognised confidently (p(y|x) peaked) *and* the images
  cover the classes evenly (p(y) flat); it lies between 1 and the number of classes.
* ``classifier_confidence`` — the mean of max_y p(y|x): how sure the classifier is.
* ``class_evenness`` — the entropy of the histogram of predicted classes divided by
  log(number of classes): 1 when every class is generated equally often, 0 when one class is.

From the classifier's penultimate features of generated and of real images, each summarised by
a mean μ and a covariance Σ:

* ``frechet_distance`` — the Fréchet (2-Wasserstein) distance between N(μ₁, Σ₁) and N(μ₂, Σ₂),
  FID-style::

      d² = ||μ₁ − μ₂||² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½)

  Tr((Σ₁Σ₂)^½) is computed stably from symmetric matrices only: Σ₁Σ₂ is similar to
  M = Σ₁^½ Σ₂ Σ₁^½ (symmetric, positive semi-definite), so Tr((Σ₁Σ₂)^½) = Σᵢ √λᵢ(M), with
  Σ₁^½ from ``numpy.linalg.eigh`` (eigenvalues clipped at 0 against round-off).

Without a classifier, from the pixels alone:

* ``mean_pairwise_distance`` — the mean Euclidean distance between two different images of a
  set, E_{i≠j} ||x_i − x_j||.
* ``sample_diversity`` — that mean for generated images divided by the same mean for real ones:
  about 1 when the generator varies as much as the data, near 0 when it has collapsed onto a
  few outputs (mode collapse: every z gives the same image). A ratio well below 1 is the
  classic symptom; a healthy ratio does not prove the modes are covered (noise is diverse too).

The classifier-based numbers depend on the classifier: compare models only under the same one,
next to the same metric computed on real test images. The Inception network of the original
IS/FID is replaced here by :func:`deepgrad.metrics.reference_classifier` (LeNet-5 on
Fashion-MNIST).
"""

import numpy as np

__all__ = ["inception_score", "classifier_confidence", "class_histogram", "class_evenness",
           "sqrtm_psd", "feature_statistics", "frechet_distance", "frechet_feature_distance",
           "mean_pairwise_distance", "sample_diversity"]


def _to_numpy(x):
    if hasattr(x, "_data") and hasattr(x, "detach"):
        return np.asarray(x._data)
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        return x.detach().numpy()
    return np.asarray(x)


def _probabilities(probs, name):
    p = _to_numpy(probs).astype(np.float64)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"{name}: expected class probabilities of shape (N, C), got shape "
                         f"{p.shape}")
    if np.any(p < 0) or not np.allclose(p.sum(1), 1.0, atol=1e-4):
        raise ValueError(f"{name}: rows must be probabilities (non-negative, summing to 1); "
                         f"apply softmax to logits first")
    return p


def inception_score(probs, splits=1):
    """IS = exp(E_x KL(p(y|x) || p(y))) from class probabilities ``probs`` (N, C); with
    ``splits`` > 1, the mean over that many equal parts (the original paper used 10)."""
    p = _probabilities(probs, "inception_score")
    if not 1 <= splits <= len(p):
        raise ValueError(f"inception_score: splits must be in [1, N={len(p)}], got {splits}")
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(0, keepdims=True)
        # 0 · log 0 = 0: where p(y|x) = 0 the term vanishes (and p(y) > 0 wherever p(y|x) > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(part > 0, part * (np.log(part) - np.log(marginal)), 0.0)
        scores.append(np.exp(terms.sum(1).mean()))
    return float(np.mean(scores))


def classifier_confidence(probs):
    """The mean over images of max_y p(y|x)."""
    return float(_probabilities(probs, "classifier_confidence").max(1).mean())


def class_histogram(probs, num_classes=None):
    """The fraction of images predicted as each class (argmax of ``probs`` (N, C), or integer
    labels (N,) with ``num_classes``)."""
    a = _to_numpy(probs)
    if a.ndim == 2:
        num_classes = a.shape[1] if num_classes is None else num_classes
        a = a.argmax(1)
    if a.ndim != 1 or num_classes is None:
        raise ValueError(f"class_histogram: expected probabilities (N, C) or labels (N,) with "
                         f"num_classes, got shape {a.shape}")
    counts = np.bincount(a.astype(np.int64), minlength=num_classes)[:num_classes]
    return counts / max(1, len(a))


def class_evenness(probs, num_classes=None):
    """H(histogram of predicted classes) / log(C): 1 = all classes equally often, 0 = one."""
    h = class_histogram(probs, num_classes)
    if len(h) < 2:
        raise ValueError("class_evenness: needs at least 2 classes")
    nonzero = h[h > 0]
    return float(-(nonzero * np.log(nonzero)).sum() / np.log(len(h)))


def sqrtm_psd(a):
    """The symmetric square root of a symmetric positive semi-definite matrix, via eigh
    (negative round-off eigenvalues clipped to 0): S^½ = V diag(√λ) Vᵀ."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"sqrtm_psd: expected a square matrix, got shape {a.shape}")
    values, vectors = np.linalg.eigh((a + a.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def feature_statistics(features):
    """Mean μ (D,) and unbiased covariance Σ (D, D) of features (N, D), N ≥ 2."""
    f = _to_numpy(features).astype(np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"feature_statistics: expected features of shape (N, D) with N >= 2, "
                         f"got shape {f.shape}")
    return f.mean(0), np.atleast_2d(np.cov(f, rowvar=False))


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """d² = ||μ₁ − μ₂||² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½), the squared Fréchet distance between two
    Gaussians (what FID reports), ≥ 0 and 0 for identical statistics."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2,
                                                                                    np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ValueError(f"frechet_distance: shapes don't agree: mu1 {mu1.shape}, sigma1 "
                         f"{sigma1.shape}, mu2 {mu2.shape}, sigma2 {sigma2.shape}")
    root1 = sqrtm_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt
    return float(max(value, 0.0))


def frechet_feature_distance(features_a, features_b):
    """:func:`frechet_distance` between the Gaussian fits of two feature sets (N, D)."""
    return frechet_distance(*feature_statistics(features_a), *feature_statistics(features_b))


def _flat_images(x, name):
    a = _to_numpy(x).astype(np.float64)
    if a.ndim < 2 or a.shape[0] < 2:
        raise ValueError(f"{name}: expected at least 2 images (N, ...), got shape {a.shape}")
    return a.reshape(a.shape[0], -1)


def mean_pairwise_distance(x):
    """E_{i≠j} ||x_i − x_j|| over a set of N ≥ 2 images (or vectors) ``x`` (N, ...): the mean
    of the N(N − 1)/2 distances, each from its differences (no Gram-matrix cancellation)."""
    a = _flat_images(x, "mean_pairwise_distance")
    n = len(a)
    total = sum(np.sqrt(np.square(a[i + 1:] - a[i]).sum(1)).sum() for i in range(n - 1))
    return float(total / (n * (n - 1) / 2))


def sample_diversity(generated, real):
    """``mean_pairwise_distance(generated) / mean_pairwise_distance(real)``: ~1 for a generator
    as varied as the data, ~0 for a collapsed one. Both sets must have the same image shape."""
    g_shape, r_shape = _to_numpy(generated).shape[1:], _to_numpy(real).shape[1:]
    if g_shape != r_shape:
        raise ValueError(f"sample_diversity: generated images {g_shape} and real images "
                         f"{r_shape} differ in shape")
    g = _flat_images(generated, "sample_diversity")
    r = _flat_images(real, "sample_diversity")
    spread = mean_pairwise_distance(r)
    if spread == 0.0:
        raise ValueError("sample_diversity: the real images are all identical (no spread to "
                         "compare with)")
    return mean_pairwise_distance(g) / spread
