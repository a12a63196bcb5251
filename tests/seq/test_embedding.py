"""Embedding / F.embedding vs torch: lookup, gradients (repeats, padding_idx), max_norm."""

import warnings

import numpy as np
import pytest
import torch
from seq_check import check, twin

import deepgrad
import deepgrad.nn as nn
import deepgrad.nn.functional as F

rng = np.random.default_rng(0)


@pytest.mark.parametrize("kwargs", [dict(), dict(padding_idx=2), dict(padding_idx=-1)])
def test_embedding_matches_torch(kwargs):
    dg, th = twin(nn.Embedding, torch.nn.Embedding, 10, 4, **kwargs)
    ids = rng.integers(0, 10, size=(3, 7))
    ids[0, :3] = 9  # repeats and the padding rows
    ids[1, 0] = 2
    check(dg(deepgrad.tensor(ids)), th(torch.tensor(ids)), dict(dg.named_parameters()),
          dict(th.named_parameters()))
    if "padding_idx" in kwargs:
        assert not np.any(dg.weight.grad.numpy()[dg.padding_idx])


def test_embedding_large_vocab_and_functional():
    w = rng.standard_normal((5000, 3))
    ids = rng.integers(0, 5000, size=(40,))
    wd, wt = deepgrad.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    check(F.embedding(deepgrad.tensor(ids), wd), torch.nn.functional.embedding(
        torch.tensor(ids), wt), [wd], [wt])


def test_padding_row_initialised_to_zero():
    m = nn.Embedding(6, 3, padding_idx=1)
    assert not np.any(m.weight.detach().numpy()[1])


def test_max_norm_renormalises_like_torch():
    dg, th = twin(nn.Embedding, torch.nn.Embedding, 8, 5, max_norm=1.0)
    ids = np.array([[1, 3, 3], [7, 0, 1]])
    check(dg(deepgrad.tensor(ids)), th(torch.tensor(ids)), dict(dg.named_parameters()),
          dict(th.named_parameters()))
    np.testing.assert_allclose(dg.weight.detach().numpy(), th.weight.detach().numpy())


def test_from_pretrained():
    w = rng.standard_normal((4, 3)).astype(np.float32)
    frozen = nn.Embedding.from_pretrained(deepgrad.tensor(w))
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(deepgrad.tensor([2, 0])).numpy(), w[[2, 0]])
    trainable = nn.Embedding.from_pretrained(deepgrad.tensor(w), freeze=False, padding_idx=0)
    out = trainable(deepgrad.tensor([0, 2, 2]))
    out.sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.numpy()[:, 0], [0, 0, 2, 0])
    assert list(trainable.state_dict()) == ["weight"]


def test_out_of_range_error_names_id_vocab_and_shape():
    m = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"token id 12 .* vocabulary of size 10 .*shape \(2, 2\)"):
        m(deepgrad.tensor([[1, 12], [0, 3]]))
    with pytest.raises(IndexError, match="token id -1"):
        m(deepgrad.tensor([-1]))
    with pytest.raises(RuntimeError, match="integer"):
        m(deepgrad.tensor([1.0]))


def test_one_hot():
    ids = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(deepgrad.tensor(ids), 5).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor(ids), 5).numpy())



@pytest.mark.parametrize("padding_idx", [None, 1])
def test_embedding_scale_grad_by_freq_and_sparse_match_torch(padding_idx):
    rng = np.random.default_rng(7)
    weight = rng.standard_normal((6, 3))
    ids = np.array([[0, 1, 1, 4], [4, 4, 2, 1]])
    upstream = rng.standard_normal((2, 4, 3))
    for options in (dict(scale_grad_by_freq=True), dict(sparse=True)):
        theirs = torch.nn.Embedding(6, 3, padding_idx=padding_idx, **options).double()
        ours = nn.Embedding(6, 3, padding_idx=padding_idx, **options).double()
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(weight))
        ours.load_state_dict({"weight": weight})
        (theirs(torch.tensor(ids)) * torch.tensor(upstream)).sum().backward()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sparse=True: the one-time dense-gradient note
            out = ours(deepgrad.tensor(ids))
        (out * deepgrad.tensor(upstream)).sum().backward()
        expected = theirs.weight.grad
        expected = expected.to_dense() if expected.is_sparse else expected
        np.testing.assert_allclose(ours.weight.grad.numpy(), expected.numpy(), atol=1e-12,
                                   err_msg=str(options))


def test_embedding_sparse_warns_once_about_dense_gradient(monkeypatch):
    import deepgrad.ops.embedding as embedding_op

    monkeypatch.setattr(embedding_op, "_warned_sparse", False)
    layer = nn.Embedding(4, 2, sparse=True)
    with pytest.warns(UserWarning, match="dense gradient"):
        layer(deepgrad.tensor([1, 2]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer(deepgrad.tensor([3]))
    with pytest.raises(RuntimeError, match="scale_grad_by_freq not supported with sparse"):
        nn.Embedding(4, 2, sparse=True, scale_grad_by_freq=True)(deepgrad.tensor([1]))
