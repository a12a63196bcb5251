"""deepgrad.metrics against scikit-learn (functions) and against themselves (accumulating)."""

import numpy as np
import pytest
from sklearn import metrics as skm

import deepgrad
from deepgrad import metrics as dm


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 5, size=300)
    scores = rng.standard_normal((300, 5)) + 1.5 * np.eye(5)[y_true]
    return y_true, scores


def test_accuracy_matches_sklearn(data):
    y_true, scores = data
    expected = skm.accuracy_score(y_true, scores.argmax(1))
    assert dm.accuracy(y_true, scores) == pytest.approx(expected, abs=1e-12)
    assert dm.accuracy(y_true, scores.argmax(1)) == pytest.approx(expected, abs=1e-12)
    # tensors work too
    assert dm.accuracy(deepgrad.tensor(y_true), deepgrad.tensor(scores)) == pytest.approx(
        expected, abs=1e-12)


def test_binary_accuracy_threshold():
    y = np.array([0, 1, 1, 0])
    probs = np.array([0.2, 0.7, 0.4, 0.6])
    assert dm.accuracy(y, probs, threshold=0.5) == 0.5
    assert dm.accuracy(y, probs[:, None], threshold=0.5) == 0.5
    with pytest.raises(ValueError, match="threshold"):
        dm.accuracy(y, probs)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_matches_sklearn(data, k):
    y_true, scores = data
    expected = skm.top_k_accuracy_score(y_true, scores, k=k, labels=range(5))
    assert dm.top_k_accuracy(y_true, scores, k=k) == pytest.approx(expected, abs=1e-12)


def test_confusion_matrix_matches_sklearn(data):
    y_true, scores = data
    pred = scores.argmax(1)
    np.testing.assert_array_equal(dm.confusion_matrix(y_true, pred),
                                  skm.confusion_matrix(y_true, pred))
    np.testing.assert_array_equal(dm.confusion_matrix(y_true, scores, num_classes=7),
                                  skm.confusion_matrix(y_true, pred, labels=range(7)))


@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_precision_recall_f1_match_sklearn(data, average):
    y_true, scores = data
    pred = scores.argmax(1)
    pred[:40] = 4  # make class 4 over-predicted
    for ours, theirs in ((dm.precision, skm.precision_score), (dm.recall, skm.recall_score),
                         (dm.f1_score, skm.f1_score)):
        np.testing.assert_allclose(ours(y_true, pred, average=average),
                                   theirs(y_true, pred, average=average, zero_division=0),
                                   rtol=0, atol=1e-12)


def test_zero_division_and_missing_classes_match_sklearn():
    y_true = np.array([0, 0, 2, 2, 3])
    y_pred = np.array([0, 2, 2, 2, 0])  # class 1 absent, class 3 never predicted
    for average in ("macro", "micro", "weighted", None):
        for ours, theirs in ((dm.precision, skm.precision_score), (dm.recall, skm.recall_score),
                             (dm.f1_score, skm.f1_score)):
            expected = theirs(y_true, y_pred, average=average, zero_division=0)
            got = ours(y_true, y_pred, average=average)
            if average is None:  # ours reports every class 0..max; sklearn the present ones
                got = got[[0, 2, 3]]
            np.testing.assert_allclose(got, expected, atol=1e-12)


def test_binary_average_matches_sklearn():
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    assert dm.f1_score(y_true, y_pred, average="binary") == pytest.approx(
        skm.f1_score(y_true, y_pred))
    assert dm.precision(y_true, y_pred, average="binary") == pytest.approx(
        skm.precision_score(y_true, y_pred))
    with pytest.raises(ValueError, match="two classes"):
        dm.f1_score([0, 1, 2], [0, 1, 2], average="binary")


def test_accumulating_metrics_equal_whole_set(data):
    y_true, scores = data
    objects = [dm.Accuracy(), dm.TopKAccuracy(3), dm.Precision(), dm.Recall("micro"),
               dm.F1Score("weighted"), dm.ConfusionMatrix()]
    for m in objects:
        for start in range(0, 300, 64):
            m.update(y_true[start:start + 64], scores[start:start + 64])
    pred = scores.argmax(1)
    assert objects[0].compute() == pytest.approx(skm.accuracy_score(y_true, pred))
    assert objects[1].compute() == pytest.approx(
        skm.top_k_accuracy_score(y_true, scores, k=3))
    assert objects[2].compute() == pytest.approx(skm.precision_score(y_true, pred,
                                                                     average="macro"))
    assert objects[3].compute() == pytest.approx(skm.recall_score(y_true, pred, average="micro"))
    assert objects[4].compute() == pytest.approx(skm.f1_score(y_true, pred, average="weighted"))
    np.testing.assert_array_equal(objects[5].compute(), skm.confusion_matrix(y_true, pred))
    objects[0].reset()
    assert np.isnan(objects[0].compute())


def test_get_metric_names():
    assert isinstance(dm.get_metric("accuracy"), dm.Accuracy)
    assert dm.get_metric("top3_accuracy").k == 3
    assert dm.get_metric("f1").name == "f1"
    with pytest.raises(ValueError, match="unknown metric"):
        dm.get_metric("nope")


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match="3 samples but y_pred has 2"):
        dm.accuracy([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match=r"y_true must hold class labels of shape \(N,\)"):
        dm.accuracy(np.zeros((3, 2)), np.zeros((3, 2)))
