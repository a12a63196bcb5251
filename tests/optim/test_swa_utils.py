"""AveragedModel (SWA and EMA) against torch.optim.swa_utils, in float64."""

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import nn
from deepgrad.optim import swa_utils


def _pair():
    """The same Linear-BatchNorm-Linear network in both frameworks (deepgrad's weights)."""
    dg = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 2)).double()
    th = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5), torch.nn.Tanh(),
                             torch.nn.Linear(5, 2)).double()
    th.load_state_dict({k: torch.tensor(v.numpy()) for k, v in dg.state_dict().items()})
    return dg, th


def _train_step(rng, dg, th):
    """New weights for both (as an optimizer would give) and one batch-norm forward in train
    mode, so that the running statistics and num_batches_tracked move too."""
    with torch.no_grad(), deepgrad.no_grad():
        for p_dg, p_th in zip(dg.parameters(), th.parameters()):
            value = p_dg.detach().numpy() + 0.3 * rng.standard_normal(p_dg.shape)
            p_dg.copy_(deepgrad.tensor(value))
            p_th.copy_(torch.tensor(value))
    x = rng.standard_normal((8, 4))
    dg(deepgrad.tensor(x))
    th(torch.tensor(x))


def _assert_same(dg_avg, th_avg, step, rtol=1e-13):
    th_state = th_avg.state_dict()
    dg_state = dg_avg.state_dict()
    assert list(dg_state) == list(th_state)
    for key, value in th_state.items():
        np.testing.assert_allclose(dg_state[key].numpy(), value.numpy(), rtol=rtol, atol=1e-15,
                                   err_msg=f"{key} after update {step}")
        assert dg_state[key].dtype == np.dtype(str(value.dtype).replace("torch.", "")), key


AVERAGING = {
    "swa": lambda lib: {},
    "ema_multi": lambda lib: {"multi_avg_fn": lib.get_ema_multi_avg_fn(0.9)},
    "ema_multi_low_decay": lambda lib: {"multi_avg_fn": lib.get_ema_multi_avg_fn(0.2)},
    "ema_avg_fn": lambda lib: {"avg_fn": lib.get_ema_avg_fn(0.9)},
    "swa_avg_fn": lambda lib: {"avg_fn": lib.get_swa_avg_fn()},
}


def test_swa_multi_avg_fn_matches_torch():
    """torch computes this weight as 1 / (n_averaged + 1) with n_averaged an int64 tensor,
    which rounds it to float32 (and refuses integer buffers); deepgrad keeps 1/(n + 1) exact,
    so the two agree to float32's precision only."""
    dg, th = _pair()
    dg_avg = swa_utils.AveragedModel(dg, multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    th_avg = torch.optim.swa_utils.AveragedModel(
        th, multi_avg_fn=torch.optim.swa_utils.get_swa_multi_avg_fn())
    rng = np.random.default_rng(1)
    for step in range(6):
        _train_step(rng, dg, th)
        dg_avg.update_parameters(dg)
        th_avg.update_parameters(th)
        _assert_same(dg_avg, th_avg, step, rtol=1e-6)
    dg_avg_swa = swa_utils.AveragedModel(dg, multi_avg_fn=swa_utils.get_swa_multi_avg_fn(),
                                         use_buffers=True)
    dg_avg_swa.update_parameters(dg)
    dg_avg_swa.update_parameters(dg)  # integer buffers take the truncating path
    assert int(dg_avg_swa.module[1].num_batches_tracked.item()) == int(
        dg[1].num_batches_tracked.item())


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("kind", sorted(AVERAGING))
def test_averaged_model_matches_torch(kind, use_buffers):
    dg, th = _pair()
    dg_avg = swa_utils.AveragedModel(dg, use_buffers=use_buffers,
                                     **AVERAGING[kind](swa_utils))
    th_avg = torch.optim.swa_utils.AveragedModel(th, use_buffers=use_buffers,
                                                 **AVERAGING[kind](torch.optim.swa_utils))
    rng = np.random.default_rng(0)
    for step in range(6):
        _train_step(rng, dg, th)
        dg_avg.update_parameters(dg)
        th_avg.update_parameters(th)
        _assert_same(dg_avg, th_avg, step)
    assert int(dg_avg.n_averaged.item()) == 6
    # the averaged copy is a model of its own: same outputs as torch's in eval mode
    x = rng.standard_normal((3, 4))
    dg_avg.eval()
    th_avg.eval()
    with torch.no_grad(), deepgrad.no_grad():
        np.testing.assert_allclose(dg_avg(deepgrad.tensor(x)).numpy(),
                                   th_avg(torch.tensor(x)).numpy(), rtol=1e-12)


def test_ema_is_the_formula_and_leaves_the_model_alone():
    model = nn.Linear(3, 2).double()
    ema = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.75))
    assert ema.module is not model and ema.module.weight is not model.weight
    first = model.weight.detach().numpy().copy()
    ema.update_parameters(model)  # the first update copies
    np.testing.assert_array_equal(ema.module.weight.detach().numpy(), first)
    with deepgrad.no_grad():
        model.weight.add_(1.0)
    ema.update_parameters(model)
    np.testing.assert_allclose(ema.module.weight.detach().numpy(),
                               0.75 * first + 0.25 * (first + 1.0))
    np.testing.assert_array_equal(model.weight.detach().numpy(), first + 1.0)
    assert ema.module.weight.grad is None


def test_state_dict_round_trip_keeps_the_count():
    model = nn.Linear(3, 2)
    a = swa_utils.AveragedModel(model)
    for _ in range(3):
        a.update_parameters(model)
    b = swa_utils.AveragedModel(nn.Linear(3, 2))
    b.load_state_dict(a.state_dict())
    assert int(b.n_averaged.item()) == 3
    np.testing.assert_array_equal(b.module.weight.detach().numpy(),
                                  a.module.weight.detach().numpy())
    assert sorted(a.state_dict()) == ["module.bias", "module.weight", "n_averaged"]


def test_update_bn_matches_torch():
    dg, th = _pair()
    rng = np.random.default_rng(2)
    batches = [rng.standard_normal((6, 4)) for _ in range(4)]
    swa_utils.update_bn([(deepgrad.tensor(b), None) for b in batches], dg)
    torch.optim.swa_utils.update_bn([(torch.tensor(b), None) for b in batches], th)
    for key, value in th.state_dict().items():
        np.testing.assert_allclose(dg.state_dict()[key].numpy(), value.numpy(), rtol=1e-12,
                                   err_msg=key)
    assert dg.training and dg[1].momentum == 0.1


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"decay value 1.5"):
        swa_utils.get_ema_multi_avg_fn(1.5)
    with pytest.raises(ValueError, match=r"decay value -0.1"):
        swa_utils.get_ema_avg_fn(-0.1)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(nn.Linear(2, 2), avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(TypeError, match="AveragedModel: model must be a deepgrad.nn.Module"):
        swa_utils.AveragedModel(lambda x: x)
    avg = swa_utils.AveragedModel(nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"update_parameters: Linear does not match"):
        avg.update_parameters(nn.Linear(3, 2))
