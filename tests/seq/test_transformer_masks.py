"""Transformer blocks and multi-head attention against torch with every mask kind (bool and
float attention masks, key padding masks, memory masks), norm_first decoders, a final norm,
callable activations and MHA's kdim/vdim, add_bias_kv and add_zero_attn options (float64,
outputs and all gradients)."""

import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad import nn


def _twin(ours_cls, theirs_cls, *args, **kwargs):
    torch.manual_seed(0)
    theirs = theirs_cls(*args, **kwargs).double()
    ours = ours_cls(*args, **{k: (dg.nn.functional.gelu if v is torch.nn.functional.gelu else v)
                              for k, v in kwargs.items()}).double()
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)
    return ours, theirs


def _compare(ours, theirs, arrays, masks, tuple_out=False):
    """Run both on the same inputs and masks; compare outputs, input and parameter grads."""
    dg_in = [dg.tensor(a, requires_grad=True) for a in arrays]
    th_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    dg_masks = {k: (v if isinstance(v, bool) else dg.tensor(v)) for k, v in masks.items()}
    th_masks = {k: (v if isinstance(v, bool) else torch.tensor(v)) for k, v in masks.items()}
    out_dg, out_th = ours(*dg_in, **dg_masks), theirs(*th_in, **th_masks)
    if tuple_out:
        (out_dg, w_dg), (out_th, w_th) = out_dg, out_th
        if w_th is None:
            assert w_dg is None
        else:
            np.testing.assert_allclose(w_dg.detach().numpy(), w_th.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(out_dg.detach().numpy(), out_th.detach().numpy(), atol=1e-10)
    weights = np.random.default_rng(1).standard_normal(tuple(out_th.shape))
    (out_dg * dg.tensor(weights)).sum().backward()
    (out_th * torch.tensor(weights)).sum().backward()
    for a, b in zip(dg_in, th_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-10)
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), theirs_params[name].grad.numpy(),
                                   atol=1e-10, err_msg=name)


def _padding(batch, length, lengths):
    mask = np.zeros((batch, length), dtype=bool)
    for row, n in enumerate(lengths):
        mask[row, n:] = True  # True = ignore this key
    return mask


def _causal_bool(n):
    return np.triu(np.ones((n, n), dtype=bool), 1)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mask_kind", ["bool", "float"])
def test_encoder_stack_with_final_norm_and_padding(batch_first, mask_kind):
    layer_kwargs = dict(dropout=0.0, batch_first=batch_first)
    torch.manual_seed(0)
    theirs_layer = torch.nn.TransformerEncoderLayer(8, 2, 16, **layer_kwargs)
    ours_layer = nn.TransformerEncoderLayer(8, 2, 16, **layer_kwargs)
    theirs = torch.nn.TransformerEncoder(theirs_layer, 2, norm=torch.nn.LayerNorm(8),
                                         enable_nested_tensor=False).double()
    ours = nn.TransformerEncoder(ours_layer, 2, norm=nn.LayerNorm(8),
                                 enable_nested_tensor=False).double()
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)
    B, T = 3, 5
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, 8) if batch_first else (T, B, 8))
    causal = _causal_bool(T)
    src_mask = causal if mask_kind == "bool" else np.where(causal, -np.inf, 0.0)
    _compare(ours, theirs, [x], dict(mask=src_mask,
                                     src_key_padding_mask=_padding(B, T, [5, 3, 4])))


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_with_every_mask(norm_first):
    ours, theirs = _twin(nn.TransformerDecoderLayer, torch.nn.TransformerDecoderLayer, 8, 2, 16,
                         dropout=0.0, batch_first=True, norm_first=norm_first,
                         activation=torch.nn.functional.gelu)
    B, T, S = 2, 4, 6
    rng = np.random.default_rng(0)
    tgt, memory = rng.standard_normal((B, T, 8)), rng.standard_normal((B, S, 8))
    memory_mask = np.zeros((T, S), dtype=bool)
    memory_mask[0, -1] = True
    _compare(ours, theirs, [tgt, memory], dict(
        tgt_mask=_causal_bool(T), memory_mask=memory_mask,
        tgt_key_padding_mask=_padding(B, T, [4, 3]),
        memory_key_padding_mask=_padding(B, S, [6, 4])))


def test_full_transformer_with_masks_time_major():
    ours, theirs = _twin(nn.Transformer, torch.nn.Transformer, 8, 2, 1, 2, 16, dropout=0.0)
    B, S, T = 2, 6, 4
    rng = np.random.default_rng(2)
    src, tgt = rng.standard_normal((S, B, 8)), rng.standard_normal((T, B, 8))
    tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(T).numpy().astype(np.float64)
    _compare(ours, theirs, [src, tgt], dict(
        tgt_mask=tgt_mask, src_key_padding_mask=_padding(B, S, [6, 5]),
        memory_key_padding_mask=_padding(B, S, [6, 5]),
        tgt_key_padding_mask=_padding(B, T, [4, 2])))


@pytest.mark.parametrize("options", [
    dict(kdim=5, vdim=3),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True),
    dict(bias=False),
    dict(add_bias_kv=True, add_zero_attn=True, kdim=5, vdim=3),
])
@pytest.mark.parametrize("average", [True, False])
def test_mha_options_match_torch(options, average):
    ours, theirs = _twin(nn.MultiheadAttention, torch.nn.MultiheadAttention, 8, 2,
                         batch_first=True, **options)
    rng = np.random.default_rng(3)
    B, L, S = 2, 3, 4
    q = rng.standard_normal((B, L, 8))
    k = rng.standard_normal((B, S, options.get("kdim", 8)))
    v = rng.standard_normal((B, S, options.get("vdim", 8)))
    _compare(ours, theirs, [q, k, v], dict(key_padding_mask=_padding(B, S, [4, 2]),
                                           need_weights=True, average_attn_weights=average),
             tuple_out=True)


def test_mha_float_key_padding_and_3d_attn_mask():
    ours, theirs = _twin(nn.MultiheadAttention, torch.nn.MultiheadAttention, 8, 2)
    rng = np.random.default_rng(4)
    L, B = 3, 2
    x = rng.standard_normal((L, B, 8))
    attn_mask = rng.standard_normal((B * 2, L, L))  # (batch · heads, L, S) additive
    kpm = np.where(_padding(B, L, [3, 2]), -np.inf, 0.0)
    _compare(ours, theirs, [x, x, x], dict(attn_mask=attn_mask, key_padding_mask=kpm),
             tuple_out=True)


@pytest.mark.parametrize("padding", [[4, 2, 3], [4, 4, 4]])
def test_encoder_inference_zeroes_padding_like_torch_nested_path(padding):
    """Eval + no_grad + key padding mask: PyTorch's nested-tensor path returns zeros at padded
    positions (then the final norm); with grad recording or in training it does not."""
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2,
        norm=torch.nn.LayerNorm(8)).double().eval()
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2,
                                 norm=nn.LayerNorm(8)).double().eval()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(5).standard_normal((3, 4, 8))
    pad = _padding(3, 4, padding)
    with torch.no_grad():
        expected = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(pad)).numpy()
    with dg.no_grad():
        got = ours(dg.tensor(x), src_key_padding_mask=dg.tensor(pad)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-10)
    recorded = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(pad)).detach().numpy()
    np.testing.assert_allclose(ours(dg.tensor(x), src_key_padding_mask=dg.tensor(pad))
                               .detach().numpy(), recorded, atol=1e-10)
    not_left_aligned = pad[:, ::-1].copy()  # padding at the start: no nested path in torch
    with torch.no_grad():
        expected = theirs(torch.tensor(x),
                          src_key_padding_mask=torch.tensor(not_left_aligned)).numpy()
    with dg.no_grad():
        got = ours(dg.tensor(x), src_key_padding_mask=dg.tensor(not_left_aligned)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_encoder_nested_tensor_flags_and_factory_dtype():
    with pytest.warns(UserWarning, match="batch_first was not True"):
        encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1)
    assert encoder.use_nested_tensor is False and encoder.enable_nested_tensor is True
    assert nn.TransformerEncoderLayer(8, 2, activation="gelu").activation_relu_or_gelu == 2
    assert nn.TransformerEncoderLayer(8, 2, activation=nn.ReLU()).activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(8, 2, activation=dg.tanh).activation_relu_or_gelu == 0
    layer = nn.TransformerDecoderLayer(8, 2, 16, dtype=dg.float64)
    assert {p.dtype for p in layer.parameters()} == {dg.float64}
    model = nn.Transformer(8, 2, 1, 1, 16, dtype=dg.float64)
    assert {p.dtype for p in model.parameters()} == {dg.float64}


def test_square_subsequent_mask_follows_default_dtype():
    previous = dg.get_default_dtype()
    try:
        dg.set_default_dtype(dg.float64)
        mask = nn.Transformer.generate_square_subsequent_mask(3)
        assert mask.dtype == dg.float64
    finally:
        dg.set_default_dtype(previous)
    assert nn.Transformer.generate_square_subsequent_mask(3).dtype == dg.float32
    np.testing.assert_array_equal(
        nn.Transformer.generate_square_subsequent_mask(4, dtype=dg.float64).numpy(),
        torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64).numpy())


def test_sequence_modules_follow_default_dtype():
    previous = dg.get_default_dtype()
    try:
        dg.set_default_dtype(dg.float64)
        for module in (nn.LSTM(2, 3), nn.GRU(2, 3), nn.RNN(2, 3), nn.LSTMCell(2, 3),
                       nn.GRUCell(2, 3), nn.RNNCell(2, 3), nn.MultiheadAttention(4, 2),
                       nn.PositionalEncoding(4, max_len=8)):
            assert {p.dtype for p in module.parameters()} <= {dg.float64}, type(module)
            assert {b.dtype for b in module.buffers()} <= {dg.float64}, type(module)
    finally:
        dg.set_default_dtype(previous)
    assert {p.dtype for p in nn.LSTM(2, 3).parameters()} == {dg.float32}


def test_sequence_module_reprs_match_torch():
    pairs = [(nn.RNN(3, 4, nonlinearity="relu"), torch.nn.RNN(3, 4, nonlinearity="relu")),
             (nn.LSTM(3, 4, proj_size=2, num_layers=2), torch.nn.LSTM(3, 4, proj_size=2,
                                                                       num_layers=2)),
             (nn.GRUCell(3, 4, bias=False), torch.nn.GRUCell(3, 4, bias=False)),
             (nn.MultiheadAttention(4, 2), torch.nn.MultiheadAttention(4, 2)),
             (nn.TransformerDecoderLayer(4, 2, 8), torch.nn.TransformerDecoderLayer(4, 2, 8))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
    assert isinstance(nn.MultiheadAttention(4, 2).out_proj, nn.Linear)
