import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad import nn


def _copy_weights(ours, theirs):
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)


def _run_both(ours, theirs, arrays, **kwargs):
    dg_in = [dg.tensor(a, requires_grad=True) for a in arrays]
    th_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    dg_kwargs = {k: dg.tensor(v) for k, v in kwargs.items()}
    th_kwargs = {k: torch.tensor(v) for k, v in kwargs.items()}
    out_dg, out_th = ours(*dg_in, **dg_kwargs), theirs(*th_in, **th_kwargs)
    np.testing.assert_allclose(out_dg.detach().numpy(), out_th.detach().numpy(), atol=1e-8)
    weights = np.random.default_rng(1).standard_normal(out_th.shape)
    (out_dg * dg.tensor(weights)).sum().backward()
    (out_th * torch.tensor(weights)).sum().backward()
    for a, b in zip(dg_in, th_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-8)
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), theirs_params[name].grad.numpy(),
                                   atol=1e-8, err_msg=name)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_torch(norm_first, batch_first, activation):
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=activation,
                                              batch_first=batch_first,
                                              norm_first=norm_first).double()
    ours = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=activation,
                                      batch_first=batch_first, norm_first=norm_first).double()
    _copy_weights(ours, theirs)
    x = np.random.default_rng(0).standard_normal((3, 4, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1] if batch_first else 3)
    _run_both(ours, theirs, [x], src_mask=mask.numpy().astype(np.float64))


def test_decoder_and_full_transformer_match_torch():
    torch.manual_seed(0)
    theirs = torch.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, batch_first=True).double()
    ours = nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, batch_first=True).double()
    _copy_weights(ours, theirs)
    rng = np.random.default_rng(0)
    src, tgt = rng.standard_normal((2, 5, 8)), rng.standard_normal((2, 4, 8))
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(4).numpy().astype(np.float64)
    _run_both(ours, theirs, [src, tgt], tgt_mask=tgt_mask)


def test_square_subsequent_mask_and_errors():
    mask = nn.Transformer.generate_square_subsequent_mask(3).numpy()
    np.testing.assert_array_equal(
        mask, torch.nn.Transformer.generate_square_subsequent_mask(3).numpy())
    model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="d_model=8"):
        model(dg.randn(5, 2, 6), dg.randn(4, 2, 6))
    with pytest.raises(RuntimeError, match="batch number"):
        model(dg.randn(5, 2, 8), dg.randn(4, 3, 8))
