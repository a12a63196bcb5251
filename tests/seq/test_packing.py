"""pad_sequence, pack/pad_packed_sequence and recurrent layers on packed input vs torch."""

import numpy as np
import pytest
import torch
from seq_check import check, module_leaves, pair, twin
from torch.nn.utils import rnn as th_rnn

import deepgrad
import deepgrad.nn as nn
from deepgrad.nn.utils import rnn as dg_rnn

rng = np.random.default_rng(0)


def test_pad_sequence():
    arrays = [rng.standard_normal((n, 3)) for n in (4, 2, 5)]
    for kwargs in (dict(), dict(batch_first=True), dict(padding_value=-1.5),
                   dict(batch_first=True, padding_side="left")):
        pairs = [pair(a) for a in arrays]
        out_d = dg_rnn.pad_sequence([p[0] for p in pairs], **kwargs)
        out_t = th_rnn.pad_sequence([p[1] for p in pairs], **kwargs)
        check(out_d, out_t, [p[0] for p in pairs], [p[1] for p in pairs])


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_and_pad_round_trip(batch_first, enforce_sorted):
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 4]
    shape = (4, 5, 2) if batch_first else (5, 4, 2)
    xd, xt = pair(rng.standard_normal(shape))
    pd = dg_rnn.pack_padded_sequence(xd, lengths, batch_first, enforce_sorted)
    pt = th_rnn.pack_padded_sequence(xt, torch.tensor(lengths), batch_first, enforce_sorted)
    np.testing.assert_array_equal(pd.batch_sizes.numpy(), pt.batch_sizes.numpy())
    if not enforce_sorted:
        np.testing.assert_array_equal(pd.sorted_indices.numpy(), pt.sorted_indices.numpy())
        np.testing.assert_array_equal(pd.unsorted_indices.numpy(), pt.unsorted_indices.numpy())
    out_d, len_d = dg_rnn.pad_packed_sequence(pd, batch_first, padding_value=0.5, total_length=6)
    out_t, len_t = th_rnn.pad_packed_sequence(pt, batch_first, padding_value=0.5, total_length=6)
    np.testing.assert_array_equal(len_d.numpy(), len_t.numpy())
    check([pd.data, out_d], [pt.data, out_t], [xd], [xt])


def test_pack_sequence_and_unpack():
    arrays = [rng.standard_normal((n, 2)) for n in (2, 4, 3)]
    pd = dg_rnn.pack_sequence([deepgrad.tensor(a) for a in arrays], enforce_sorted=False)
    pt = th_rnn.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=False)
    np.testing.assert_allclose(pd.data.numpy(), pt.data.numpy())
    for a, u in zip(arrays, dg_rnn.unpack_sequence(pd)):
        np.testing.assert_allclose(u.numpy(), a)


def test_packing_errors():
    x = deepgrad.randn(4, 3, 2)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        dg_rnn.pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match="greater than 0"):
        dg_rnn.pack_padded_sequence(x, [4, 0, 0])
    with pytest.raises(ValueError, match="batch_size"):
        dg_rnn.pack_padded_sequence(x, [4, 2])
    pd = dg_rnn.pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="total_length"):
        dg_rnn.pad_packed_sequence(pd, total_length=3)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_recurrent_on_packed(mode, enforce_sorted):
    dg, th = twin(getattr(nn, mode), getattr(torch.nn, mode), 3, 5, num_layers=2,
                  bidirectional=True, batch_first=True)
    lengths = [6, 4, 4, 2, 1] if enforce_sorted else [2, 6, 1, 4, 3]
    xd, xt = pair(rng.standard_normal((5, 6, 3)))
    hd, ht = pair(rng.standard_normal((4, 5, 5)))
    hx_d, hx_t = (hd, ht)
    leaves = [(xd, xt), (hd, ht)]
    if mode == "LSTM":
        cd, ct = pair(rng.standard_normal((4, 5, 5)))
        hx_d, hx_t = (hd, cd), (ht, ct)
        leaves.append((cd, ct))
    pd = dg_rnn.pack_padded_sequence(xd, lengths, True, enforce_sorted)
    pt = th_rnn.pack_padded_sequence(xt, torch.tensor(lengths), True, enforce_sorted)
    out_d, hid_d = dg(pd, hx_d)
    out_t, hid_t = th(pt, hx_t)
    assert isinstance(out_d, dg_rnn.PackedSequence)
    pad_d, _ = dg_rnn.pad_packed_sequence(out_d, batch_first=True)
    pad_t, _ = th_rnn.pad_packed_sequence(out_t, batch_first=True)
    check([pad_d, hid_d], [pad_t, hid_t], *module_leaves(dg, th, *leaves))


def test_lstm_proj_on_packed():
    dg, th = twin(nn.LSTM, torch.nn.LSTM, 3, 6, proj_size=2, bidirectional=True)
    lengths = [2, 5, 3]
    xd, xt = pair(rng.standard_normal((5, 3, 3)))
    pd = dg_rnn.pack_padded_sequence(xd, lengths, enforce_sorted=False)
    pt = th_rnn.pack_padded_sequence(xt, torch.tensor(lengths), enforce_sorted=False)
    out_d, hid_d = dg(pd)
    out_t, hid_t = th(pt)
    check([out_d.data, hid_d], [out_t.data, hid_t], *module_leaves(dg, th, (xd, xt)))
