"""Build the same layer in deepgrad and torch (weights copied via state_dict) and compare."""

import numpy as np
import torch

import deepgrad


def twin(dg_cls, th_cls, *args, **kwargs):
    """The deepgrad and torch layers with torch's float64 weights copied into deepgrad's."""
    torch.manual_seed(0)
    th = th_cls(*args, **kwargs).double()
    dg = dg_cls(*args, **kwargs).double()
    th_keys = list(th.state_dict().keys())
    dg_keys = list(dg.state_dict().keys())
    assert dg_keys == th_keys, f"state_dict keys {dg_keys} != torch {th_keys}"
    dg.load_state_dict({k: deepgrad.tensor(v.detach().numpy().copy())
                        for k, v in th.state_dict().items()})
    return dg, th


def pair(array, grad=True):
    array = np.asarray(array)
    rg = grad and array.dtype.kind == "f"
    return (deepgrad.tensor(array.copy(), requires_grad=rg),
            torch.tensor(array.copy(), requires_grad=rg))


def flat(outs):
    if isinstance(outs, (tuple, list)):
        return [y for o in outs for y in flat(o)]
    if hasattr(outs, "data") and hasattr(outs, "batch_sizes"):  # PackedSequence
        return [outs.data]
    return [outs]


def check(dg_out, th_out, dg_leaves, th_leaves, atol=1e-8, rtol=1e-7, seed=1):
    """Outputs equal; then gradients of a random weighting of all outputs equal."""
    dg_outs, th_outs = flat(dg_out), flat(th_out)
    assert len(dg_outs) == len(th_outs)
    rng = np.random.default_rng(seed)
    loss_dg, loss_th = 0, 0
    for d, t in zip(dg_outs, th_outs):
        assert tuple(d.shape) == tuple(t.shape), f"shape {tuple(d.shape)} != {tuple(t.shape)}"
        np.testing.assert_allclose(d.detach().numpy(), t.detach().numpy(), atol=atol, rtol=rtol)
        w = rng.standard_normal(tuple(t.shape))
        loss_dg = loss_dg + (d * deepgrad.tensor(w)).sum()
        loss_th = loss_th + (t * torch.tensor(w)).sum()
    loss_dg.backward()
    loss_th.backward()
    for name, (d, t) in zip_leaves(dg_leaves, th_leaves):
        if t.grad is None:
            assert d.grad is None or not np.any(d.grad.numpy()), f"{name}: unexpected grad"
            continue
        assert d.grad is not None, f"{name}: no gradient"
        np.testing.assert_allclose(d.grad.numpy(), t.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"gradient of {name}")


def zip_leaves(dg_leaves, th_leaves):
    if isinstance(dg_leaves, dict):
        return [(k, (dg_leaves[k], th_leaves[k])) for k in th_leaves]
    return [(f"input {i}", p) for i, p in enumerate(zip(dg_leaves, th_leaves))]


def module_leaves(dg, th, *inputs):
    dg_l = dict(dg.named_parameters())
    th_l = dict(th.named_parameters())
    for i, (d, t) in enumerate(inputs):
        dg_l[f"input {i}"], th_l[f"input {i}"] = d, t
    return dg_l, th_l
