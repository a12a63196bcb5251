"""deepgrad.metrics for generated images: the Inception-style score, confidence, evenness and the
Fréchet distance against values computed independently (scipy.linalg.sqrtm, torch, closed
forms), and the reference classifier's wrapper."""

import numpy as np
import pytest
import scipy.linalg
import torch

import deepgrad
from deepgrad import metrics
from deepgrad.metrics import (
    ReferenceClassifier,
    class_evenness,
    class_histogram,
    classifier_confidence,
    feature_statistics,
    frechet_distance,
    frechet_feature_distance,
    inception_score,
    sqrtm_psd,
)
from deepgrad.models import lenet5


def _softmax(z):
    z = np.exp(z - z.max(1, keepdims=True))
    return z / z.sum(1, keepdims=True)


def _scipy_fid(mu1, s1, mu2, s2):
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def test_inception_score_against_torch_kl_and_closed_forms():
    probs = _softmax(np.random.default_rng(0).standard_normal((64, 10)) * 3)
    p = torch.tensor(probs)
    marginal = p.mean(0, keepdim=True).expand_as(p)
    kl = torch.nn.functional.kl_div(marginal.log(), p, reduction="none").sum(1)
    assert inception_score(probs) == pytest.approx(float(kl.mean().exp()), rel=1e-12)
    parts = [inception_score(q) for q in np.array_split(probs, 4)]
    assert inception_score(probs, splits=4) == pytest.approx(np.mean(parts))
    # one-hot images spread evenly over k classes: IS = k; all the same class: IS = 1;
    # uniform p(y|x): IS = 1
    assert inception_score(np.eye(10)[np.arange(40) % 5]) == pytest.approx(5.0)
    assert inception_score(np.eye(10)[np.zeros(7, int)]) == pytest.approx(1.0)
    assert inception_score(np.full((9, 10), 0.1)) == pytest.approx(1.0)


def test_confidence_histogram_and_evenness():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.5, 0.25, 0.25], [0.2, 0.2, 0.6]])
    assert classifier_confidence(probs) == pytest.approx((0.7 + 0.8 + 0.5 + 0.6) / 4)
    np.testing.assert_allclose(class_histogram(probs), [0.5, 0.25, 0.25])
    h = np.array([0.5, 0.25, 0.25])
    assert class_evenness(probs) == pytest.approx(-(h * np.log(h)).sum() / np.log(3))
    assert class_evenness(np.eye(4)[[0, 1, 2, 3, 0, 1, 2, 3]]) == pytest.approx(1.0)
    assert class_evenness(np.eye(4)[[2, 2, 2]]) == 0.0
    np.testing.assert_allclose(class_histogram(np.array([1, 1, 3]), num_classes=4),
                               [0, 2 / 3, 0, 1 / 3])
    with pytest.raises(ValueError, match="apply softmax to logits first"):
        inception_score(np.random.default_rng(1).standard_normal((4, 3)))
    with pytest.raises(ValueError, match=r"shape \(N, C\)"):
        classifier_confidence(np.ones(3) / 3)


def test_frechet_distance_against_scipy_sqrtm_and_known_cases():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((200, 8))
    b = rng.standard_normal((150, 8)) @ rng.standard_normal((8, 8)) + 0.5
    stats_a, stats_b = feature_statistics(a), feature_statistics(b)
    np.testing.assert_allclose(stats_a[1], np.cov(a.T))
    assert frechet_distance(*stats_a, *stats_b) == pytest.approx(
        _scipy_fid(*stats_a, *stats_b), rel=1e-9)
    assert frechet_feature_distance(a, b) == pytest.approx(_scipy_fid(*stats_a, *stats_b),
                                                           rel=1e-9)
    assert frechet_feature_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    # shifted mean only: d² = ||Δμ||²; 1-D Gaussians: d² = (μ₁ − μ₂)² + (σ₁ − σ₂)²
    assert frechet_feature_distance(a, a + 2.0) == pytest.approx(4.0 * 8, rel=1e-9)
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + 1)
    # diagonal covariances: Σᵢ (√s₁ᵢ − √s₂ᵢ)²
    s1, s2 = np.diag([1.0, 4.0, 9.0]), np.diag([4.0, 4.0, 1.0])
    assert frechet_distance(np.zeros(3), s1, np.zeros(3), s2) == pytest.approx(1 + 0 + 4)
    # rank-deficient covariances (fewer samples than features) stay finite and agree
    few_a, few_b = rng.standard_normal((5, 12)), rng.standard_normal((6, 12))
    sa, sb = feature_statistics(few_a), feature_statistics(few_b)
    assert frechet_distance(*sa, *sb) == pytest.approx(_scipy_fid(*sa, *sb), rel=1e-5)
    with pytest.raises(ValueError, match="shapes don't agree"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="N >= 2"):
        feature_statistics(np.zeros((1, 3)))


def test_sqrtm_psd_squares_back():
    rng = np.random.default_rng(3)
    m = rng.standard_normal((6, 4))
    s = m @ m.T  # rank 4, PSD
    r = sqrtm_psd(s)
    np.testing.assert_allclose(r @ r, s, atol=1e-10)
    np.testing.assert_allclose(r, r.T)
    np.testing.assert_allclose(r, scipy.linalg.sqrtm(s).real, atol=1e-6)


def test_reference_classifier_wrapper_scores_images():
    model = lenet5(num_classes=10)
    ref = ReferenceClassifier(model, mean=0.3, std=0.4)
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, (12, 1, 28, 28)).astype(np.float32)
    with deepgrad.no_grad():
        model.eval()
        standardised = deepgrad.tensor((x - 0.3) / 0.4)
        logits = model(standardised).numpy()
        features = model.classifier[:-1](model.features(standardised)).numpy()
    np.testing.assert_allclose(ref.logits(x, batch_size=5), logits, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ref.features(x[:, 0], batch_size=5), features, rtol=1e-5,
                               atol=1e-6)
    assert features.shape == (12, 84)
    probs = ref.probabilities(x)
    np.testing.assert_allclose(probs.sum(1), 1.0)
    assert ref.accuracy(x, logits.argmax(1)) == 1.0
    scores = ref.evaluate(x, x[::-1])
    assert scores["inception_score"] == pytest.approx(inception_score(probs))
    assert scores["confidence"] == pytest.approx(classifier_confidence(probs))
    assert scores["frechet_distance"] == pytest.approx(0.0, abs=1e-6)
    stats = feature_statistics(features)
    assert ref.frechet_distance(x[:6], stats) == pytest.approx(
        frechet_feature_distance(features[:6], features), rel=1e-6)
    with pytest.raises(ValueError, match="expected images"):
        ref.logits(np.zeros((2, 28)))


def test_reference_classifier_loads_from_its_cache(tmp_path):
    model = lenet5(num_classes=10)
    path = tmp_path / "ref.safetensors"
    info = {"model": "lenet5", "test_accuracy": 0.5}
    deepgrad.save({"state_dict": model.state_dict(), "mean": 0.25, "std": 0.5, "info": info},
                  path)
    ref = metrics.reference_classifier(path=path)
    assert (ref.mean, ref.std, ref.info) == (0.25, 0.5, info)
    x = np.random.default_rng(5).uniform(0, 1, (3, 1, 28, 28)).astype(np.float32)
    with deepgrad.no_grad():
        expected = model.eval()(deepgrad.tensor((x - 0.25) / 0.5)).numpy()
    np.testing.assert_allclose(ref.logits(x), expected, rtol=1e-6)


def test_metrics_namespace_keeps_the_classification_metrics():
    assert metrics.accuracy([0, 1], [0, 0]) == 0.5
    assert {"inception_score", "frechet_distance", "reference_classifier",
            "roc_auc_score"} <= set(metrics.__all__)
