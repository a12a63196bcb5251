"""The optimizers added to match torch.optim (NAdam, RAdam, Adamax, ASGD, Rprop, Adafactor,
LBFGS) and swa_utils.SWALR, each checked against torch step by step in float64.

Two kinds of check: a small MLP trained by both libraries from the same weights (real
gradients from backward, two param groups with different lrs), compared after every step; and
the state dict (keys, values, dtypes, groups) compared with torch's, then round-tripped.
"""

import copy
import warnings

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import optim

RTOL, ATOL = 1e-10, 1e-12
STEPS = 30


# ----- a small model, built identically in both libraries ----------------------------------
def _mlp_weights(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((6, 4)) * 0.5, rng.standard_normal(6) * 0.1,
            rng.standard_normal((3, 6)) * 0.5, rng.standard_normal(3) * 0.1]


def _data(seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((16, 4)), rng.standard_normal((16, 3))


def _params(lib, weights):
    if lib is deepgrad:
        return [deepgrad.nn.Parameter(deepgrad.tensor(w.copy())) for w in weights]
    return [torch.nn.Parameter(torch.tensor(w.copy())) for w in weights]


def _loss(lib, params, x, y):
    w1, b1, w2, b2 = params
    x, y = lib.tensor(x), lib.tensor(y)
    hidden = (x @ w1.T + b1).tanh()
    return ((hidden @ w2.T + b2 - y) ** 2).mean()


def _groups(params, lrs):
    """Two groups (first layer, second layer) with different lrs (``None``: the default)."""
    groups = [{"params": params[:2]}, {"params": params[2:]}]
    for group, lr in zip(groups, lrs):
        if lr is not None:
            group["lr"] = lr
    return groups


def _pair(name, kwargs, lrs=(None, None)):
    weights = _mlp_weights()
    dg_p, th_p = _params(deepgrad, weights), _params(torch, weights)
    dg_opt = getattr(optim, name)(_groups(dg_p, lrs), **kwargs)
    th_opt = getattr(torch.optim, name)(_groups(th_p, lrs), **kwargs)
    return dg_p, th_p, dg_opt, th_opt


def _backward(lib, opt, params, x, y):
    opt.zero_grad()
    loss = _loss(lib, params, x, y)
    loss.backward()
    return loss


def assert_params_close(dg_p, th_p, where):
    for i, (a, b) in enumerate(zip(dg_p, th_p)):
        np.testing.assert_allclose(a._data, b.detach().numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"param {i} {where}")


def _as_numpy(value):
    if isinstance(value, deepgrad.Tensor):
        return value._data
    if isinstance(value, torch.Tensor):
        return value.numpy()
    return np.asarray(value)


def assert_state_close(dg_opt, th_opt):
    dg_sd, th_sd = dg_opt.state_dict(), th_opt.state_dict()
    assert sorted(dg_sd["state"]) == sorted(th_sd["state"])
    for index, th_state in th_sd["state"].items():
        dg_state = dg_sd["state"][index]
        assert list(dg_state) == list(th_state), (list(dg_state), list(th_state))
        for key, value in th_state.items():
            if isinstance(value, torch.Tensor):
                assert isinstance(dg_state[key], deepgrad.Tensor), key
                assert dg_state[key].dtype == np.dtype(str(value.dtype).split(".")[1]), key
            np.testing.assert_allclose(_as_numpy(dg_state[key]), _as_numpy(value), rtol=RTOL,
                                       atol=ATOL, err_msg=f"state[{index}][{key!r}]")
    for dg_group, th_group in zip(dg_sd["param_groups"], th_sd["param_groups"]):
        assert dg_group == th_group


def _torch_state_as_numpy(sd):
    def convert(v):
        if isinstance(v, torch.Tensor):
            return v.numpy().copy()
        if isinstance(v, list):
            return [convert(x) for x in v]
        return v
    return {"state": {i: {k: convert(v) for k, v in s.items()} for i, s in sd["state"].items()},
            "param_groups": copy.deepcopy(sd["param_groups"])}


# ----- the first-order optimizers -------------------------------------------------------------
CASES = [
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.05, "betas": (0.8, 0.99), "maximize": True}),
    ("NAdam", {"lr": 0.01, "betas": (0.3, 0.9), "eps": 1e-4, "foreach": False}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01, "betas": (0.9, 0.8), "maximize": True}),  # ρ_t ≤ 5 throughout
    ("RAdam", {"lr": 0.01, "betas": (0.5, 0.99), "eps": 1e-3, "capturable": False}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.01, "betas": (0.2, 0.5), "maximize": True, "eps": 1e-3}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "weight_decay": 0.1, "t0": 10}),
    ("ASGD", {"lr": 0.05, "lambd": 0.1, "alpha": 0.5, "t0": 3, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
    ("Rprop", {"lr": 0.001, "maximize": True}),
    ("Adafactor", {}),
    ("Adafactor", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adafactor", {"lr": 0.05, "beta2_decay": -0.5, "eps": (1e-6, 1e-2), "d": 2.0}),
    ("Adafactor", {"lr": 0.02, "maximize": True, "d": 1.0, "eps": (None, 0.1)}),
]


def _ids(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_trains_mlp_like_torch(case):
    name, kwargs = case
    dg_p, th_p, dg_opt, th_opt = _pair(name, kwargs, lrs=(None, 0.03))
    x, y = _data()
    for step in range(STEPS):
        dg_loss = _backward(deepgrad, dg_opt, dg_p, x, y)
        th_loss = _backward(torch, th_opt, th_p, x, y)
        assert abs(dg_loss.item() - th_loss.item()) <= 1e-10 * max(1.0, abs(th_loss.item()))
        if step % 9 == 4:  # a parameter without a gradient is skipped by both
            dg_p[3].grad, th_p[3].grad = None, None
        dg_opt.step()
        th_opt.step()
        assert_params_close(dg_p, th_p, f"after step {step}")
    assert_state_close(dg_opt, th_opt)


def _resume(lib, name, params, state_dict):
    """A fresh optimizer over copies of ``params`` (built with another lr: the loaded groups
    bring theirs) that loads ``state_dict``."""
    copies = _params(lib, [_as_numpy(p.detach()) for p in params])
    opt = getattr(lib.optim, name)(_groups(copies, (None, None)), lr=123.0)
    opt.load_state_dict(copy.deepcopy(state_dict))
    return copies, opt


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_state_dict_round_trip_and_torch_state_loads(case):
    """Resuming from a state dict continues as torch does when it resumes: from deepgrad's own
    dict, and from torch's (tensors as arrays). Loading casts floating state other than
    ``step`` to the parameter's dtype in both libraries (so a float32 ``mu_product`` or
    ``eta`` becomes float64 here, as in torch)."""
    name, kwargs = case
    dg_p, th_p, dg_opt, th_opt = _pair(name, kwargs, lrs=(0.02, None))
    x, y = _data()
    for _ in range(5):
        _backward(deepgrad, dg_opt, dg_p, x, y)
        _backward(torch, th_opt, th_p, x, y)
        dg_opt.step()
        th_opt.step()
    th_sd = th_opt.state_dict()
    tracks = [(deepgrad, *_resume(deepgrad, name, dg_p, dg_opt.state_dict())),
              (deepgrad, *_resume(deepgrad, name, th_p, _torch_state_as_numpy(th_sd))),
              (torch, *_resume(torch, name, th_p, th_sd))]
    assert tracks[0][2].param_groups[1]["lr"] == dg_opt.param_groups[1]["lr"]
    for step in range(5):
        for lib, params, opt in tracks:
            _backward(lib, opt, params, x, y)
            opt.step()
        assert_params_close(tracks[0][1], tracks[2][1], f"resumed step {step}")
        assert_params_close(tracks[1][1], tracks[2][1], f"resumed from torch, step {step}")
    assert_state_close(tracks[0][2], tracks[2][2])
    assert_state_close(tracks[1][2], tracks[2][2])


@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Adamax", "ASGD", "Rprop", "Adafactor"])
def test_float32_stays_float32_and_updates_in_place(name):
    p = deepgrad.nn.Parameter(deepgrad.randn(5, 3))
    q = deepgrad.nn.Parameter(deepgrad.randn(3))
    opt = getattr(optim, name)([p, q], lr=0.01)
    data, version = p._data, p._version
    for _ in range(3):
        p.grad, q.grad = deepgrad.randn(5, 3), deepgrad.randn(3)
        opt.step()
    assert p._data is data and p.dtype == np.float32 and p._version == version + 3
    th_opt = getattr(torch.optim, name)([torch.nn.Parameter(torch.randn(5, 3))], lr=0.01)
    tp = th_opt.param_groups[0]["params"][0]
    tp.grad = torch.randn(5, 3)
    th_opt.step()
    for key, value in th_opt.state[tp].items():
        assert opt.state[p][key].dtype == np.dtype(str(value.dtype).split(".")[1]), key


@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Adamax", "ASGD", "Rprop", "Adafactor"])
def test_gradient_of_wrong_shape_is_a_clear_error(name):
    p = deepgrad.nn.Parameter(deepgrad.randn(3, 2))
    p.grad = deepgrad.randn(2)
    opt = getattr(optim, name)([p], lr=0.1)
    with pytest.raises(RuntimeError, match=r"shape \(3, 2\) has a gradient of shape \(2,\)"):
        opt.step()


def test_tensor_lr_matches_torch():
    for name in ["NAdam", "RAdam", "Adamax", "ASGD", "Rprop", "Adafactor"]:
        dg = deepgrad.nn.Parameter(deepgrad.tensor(np.arange(6.0).reshape(2, 3)))
        th = torch.nn.Parameter(torch.tensor(np.arange(6.0).reshape(2, 3)))
        dg_opt = getattr(optim, name)([dg], lr=deepgrad.tensor(0.05))
        th_opt = getattr(torch.optim, name)([th], lr=torch.tensor(0.05))
        for i in range(3):
            g = np.cos(np.arange(6.0) + i).reshape(2, 3)
            dg.grad, th.grad = deepgrad.tensor(g), torch.tensor(g)
            dg_opt.step()
            th_opt.step()
        # a float32 0-d lr: compare at float32 precision
        np.testing.assert_allclose(dg._data, th.detach().numpy(), rtol=1e-6, err_msg=name)


def _same_error(make):
    with pytest.raises(Exception) as th_info:
        make(torch)
    with pytest.raises(Exception) as dg_info:
        make(deepgrad)
    assert type(dg_info.value) is type(th_info.value), (dg_info.value, th_info.value)
    assert str(dg_info.value) == str(th_info.value)


def _param(lib):
    return (deepgrad.nn.Parameter(deepgrad.randn(2)) if lib is deepgrad
            else torch.nn.Parameter(torch.randn(2)))


@pytest.mark.parametrize("name,kwargs", [
    ("NAdam", {"lr": -1.0}),
    ("NAdam", {"betas": (1.0, 0.9)}),
    ("NAdam", {"momentum_decay": -0.1}),
    ("NAdam", {"weight_decay": -0.1}),
    ("RAdam", {"eps": -1.0}),
    ("RAdam", {"betas": (0.9, 1.0)}),
    ("Adamax", {"lr": -0.1}),
    ("Adamax", {"betas": (-0.1, 0.9)}),
    ("ASGD", {"lr": -0.1}),
    ("ASGD", {"weight_decay": -0.1}),
    ("Rprop", {"etas": (1.0, 1.2)}),
    ("Rprop", {"etas": (0.5, 0.9)}),
    ("Rprop", {"lr": -1.0}),
    ("Adafactor", {"lr": -1.0}),
    ("Adafactor", {"beta2_decay": 0.5}),
    ("Adafactor", {"eps": (-1.0, 1e-3)}),
    ("Adafactor", {"eps": (None, -1.0)}),
    ("Adafactor", {"d": 0.5}),
    ("Adafactor", {"weight_decay": -1.0}),
    ("LBFGS", {"lr": -1.0}),
])
def test_bad_arguments_raise_like_torch(name, kwargs):
    _same_error(lambda lib: getattr(lib.optim, name)([_param(lib)], **kwargs))


def test_public_names():
    for name in ["NAdam", "RAdam", "Adamax", "ASGD", "Rprop", "LBFGS", "Adafactor"]:
        assert name in optim.__all__ and hasattr(torch.optim, name)
        assert getattr(optim, name).__module__.startswith("deepgrad.optim")
    assert "SWALR" in optim.swa_utils.__all__


# ----- LBFGS ----------------------------------------------------------------------------------
# L-BFGS amplifies rounding differences on a non-convex loss (the MLP's parameters drift apart
# by ~100x per step even when both libraries are fed the same gradients), so the step-by-step
# comparison uses a convex one: L2-regularized logistic regression on badly scaled features.
def _logistic_problem():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 30)) * np.linspace(0.2, 3, 30)
    y = np.sign(rng.standard_normal((64, 1)))
    return x, y, [rng.standard_normal((1, 30)) * 0.5, np.zeros(1)]


def _logistic_loss(lib, params, x, y):
    w, b = params
    z = -lib.tensor(y) * (lib.tensor(x) @ w.T + b)
    return (1 + z.exp()).log().mean() + 1e-3 * (w * w).sum()


def _lbfgs_pair(kwargs, weights):
    dg_p, th_p = _params(deepgrad, weights), _params(torch, weights)
    return dg_p, th_p, optim.LBFGS(dg_p, **kwargs), torch.optim.LBFGS(th_p, **kwargs)


def _closure(lib, opt, params, loss_fn, calls):
    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = loss_fn(lib, params)
        loss.backward()
        return loss
    return closure


def _assert_lbfgs_state_close(dg_opt, th_opt):
    dg_sd, th_sd = dg_opt.state_dict(), th_opt.state_dict()
    assert list(dg_sd["state"]) == list(th_sd["state"]) == [0]
    dg_state, th_state = dg_sd["state"][0], th_sd["state"][0]
    assert list(dg_state) == list(th_state)
    for key, value in th_state.items():
        mine = dg_state[key]
        if isinstance(value, list):
            assert len(mine) == len(value), key
            pairs = [(a, b) for a, b in zip(mine, value) if b is not None]
            assert all(a is not None for a, _ in pairs), key
        else:
            pairs = [(mine, value)]
        for a, b in pairs:
            np.testing.assert_allclose(_as_numpy(a), _as_numpy(b), rtol=1e-8, atol=1e-10,
                                       err_msg=key)
    assert dg_sd["param_groups"] == th_sd["param_groups"]


@pytest.mark.parametrize("kwargs", [
    {"max_iter": 4},
    {"lr": 0.3, "max_iter": 4, "history_size": 3},
    {"line_search_fn": "strong_wolfe", "max_iter": 4},
    {"line_search_fn": "strong_wolfe", "max_iter": 3, "history_size": 2, "max_eval": 5},
    {"max_iter": 6, "tolerance_change": 1e-4, "tolerance_grad": 1e-3},
])
def test_lbfgs_matches_torch(kwargs):
    x, y, weights = _logistic_problem()
    dg_p, th_p, dg_opt, th_opt = _lbfgs_pair(kwargs, weights)
    loss_fn = lambda lib, params: _logistic_loss(lib, params, x, y)  # noqa: E731
    dg_calls, th_calls = [], []
    for step in range(10):
        dg_loss = dg_opt.step(_closure(deepgrad, dg_opt, dg_p, loss_fn, dg_calls))
        th_loss = th_opt.step(_closure(torch, th_opt, th_p, loss_fn, th_calls))
        assert abs(dg_loss.item() - th_loss.item()) <= 1e-12
        assert len(dg_calls) == len(th_calls), step  # the same evaluations of the closure
        assert_params_close(dg_p, th_p, f"after step {step}")
    _assert_lbfgs_state_close(dg_opt, th_opt)
    start_loss = loss_fn(deepgrad, _params(deepgrad, weights)).item()
    assert loss_fn(deepgrad, dg_p).item() < 0.7 * start_loss


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_minimizes_rosenbrock_like_torch(line_search_fn):
    """The classic test function: both reach the minimum (1, ..., 1) by the same path (to
    the precision the non-convex valley allows)."""
    start = np.array([-1.2, 1.0, -0.5, 0.8, 1.3, -0.9])

    def rosenbrock(lib, params):
        (v,) = params
        return (100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2).sum()

    dg_p, th_p, dg_opt, th_opt = _lbfgs_pair({"line_search_fn": line_search_fn}, [start])
    for _ in range(8):
        dg_opt.step(_closure(deepgrad, dg_opt, dg_p, rosenbrock, []))
        th_opt.step(_closure(torch, th_opt, th_p, rosenbrock, []))
    np.testing.assert_allclose(dg_p[0]._data, th_p[0].detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(dg_p[0]._data, np.ones(6), atol=1e-4)


def test_lbfgs_state_dict_round_trip():
    x, y, weights = _logistic_problem()
    loss_fn = lambda lib, params: _logistic_loss(lib, params, x, y)  # noqa: E731
    kwargs = {"line_search_fn": "strong_wolfe", "history_size": 4, "max_iter": 3}
    dg_p, th_p, dg_opt, th_opt = _lbfgs_pair(kwargs, weights)
    for _ in range(2):
        dg_opt.step(_closure(deepgrad, dg_opt, dg_p, loss_fn, []))
        th_opt.step(_closure(torch, th_opt, th_p, loss_fn, []))
    resumed = _params(deepgrad, [p._data for p in dg_p])
    new_opt = optim.LBFGS(resumed, lr=0.1)
    new_opt.load_state_dict(copy.deepcopy(dg_opt.state_dict()))
    from_torch = _params(deepgrad, [p.detach().numpy() for p in th_p])
    torch_opt = optim.LBFGS(from_torch, lr=0.1)
    torch_opt.load_state_dict(_torch_state_as_numpy(th_opt.state_dict()))
    for _ in range(3):
        dg_opt.step(_closure(deepgrad, dg_opt, dg_p, loss_fn, []))
        new_opt.step(_closure(deepgrad, new_opt, resumed, loss_fn, []))
        torch_opt.step(_closure(deepgrad, torch_opt, from_torch, loss_fn, []))
        th_opt.step(_closure(torch, th_opt, th_p, loss_fn, []))
    for a, b in zip(dg_p, resumed):
        np.testing.assert_array_equal(a._data, b._data)
    assert_params_close(from_torch, th_p, "after resuming from torch's state")


def test_lbfgs_errors_like_torch():
    _same_error(lambda lib: lib.optim.LBFGS([{"params": [_param(lib)]},
                                             {"params": [_param(lib)]}]))

    def bad_line_search(lib):
        p = _param(lib)
        opt = lib.optim.LBFGS([p], line_search_fn="backtracking")

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss
        opt.step(closure)

    _same_error(bad_line_search)


# ----- swa_utils.SWALR ------------------------------------------------------------------------
def _sched_optimizer(lib, kind="SGD"):
    rng = np.random.default_rng(0)
    params = _params(lib, [rng.standard_normal(3) for _ in range(2)])
    groups = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.4}]
    if kind == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1)


SWALR_CASES = [
    {"swa_lr": 0.05},
    {"swa_lr": [0.02, 0.3], "anneal_epochs": 4, "anneal_strategy": "linear"},
    {"swa_lr": 0.5, "anneal_epochs": 0},
    {"swa_lr": [0.01, 0.01], "anneal_epochs": 7, "anneal_strategy": "cos"},
    {"swa_lr": 0.2, "anneal_epochs": 1, "anneal_strategy": "linear"},
]


@pytest.mark.parametrize("kwargs", SWALR_CASES, ids=str)
def test_swalr_matches_torch(kwargs):
    dg_opt, th_opt = _sched_optimizer(deepgrad), _sched_optimizer(torch)
    dg_s = optim.swa_utils.SWALR(dg_opt, **kwargs)
    th_s = torch.optim.swa_utils.SWALR(th_opt, **kwargs)
    for step in range(15):
        np.testing.assert_allclose(dg_s.get_last_lr(), th_s.get_last_lr(), rtol=1e-13,
                                   err_msg=f"step {step}")
        assert [g["swa_lr"] for g in dg_opt.param_groups] == \
            [g["swa_lr"] for g in th_opt.param_groups]
        dg_opt.step()
        th_opt.step()
        dg_s.step()
        th_s.step()
    assert dg_s.last_epoch == th_s.last_epoch
    assert sorted(dg_s.state_dict()) == sorted(th_s.state_dict())


def test_swalr_after_another_schedule_like_torch():
    """The documented pattern: a decay schedule, then SWALR anneals from wherever it left the
    lr (a per-group swa_lr, Adam)."""
    def run(lib):
        opt = _sched_optimizer(lib, "Adam")
        decay = lib.optim.lr_scheduler.MultiplicativeLR(opt, lambda e: 0.9)
        swa = None
        lrs = []
        for epoch in range(20):
            opt.step()
            if epoch >= 8:
                if swa is None:
                    swa = lib.optim.swa_utils.SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=5,
                                                    anneal_strategy="linear")
                swa.step()
            else:
                decay.step()
            lrs.append([g["lr"] for g in opt.param_groups])
        return lrs

    np.testing.assert_allclose(run(deepgrad), run(torch), rtol=1e-13)


def test_swalr_state_dict_round_trip():
    opt = _sched_optimizer(deepgrad)
    s = optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=6, anneal_strategy="linear")
    for _ in range(3):
        opt.step()
        s.step()
    saved = copy.deepcopy(s.state_dict())
    assert "optimizer" not in saved and "anneal_func" not in saved
    opt2 = _sched_optimizer(deepgrad)
    s2 = optim.swa_utils.SWALR(opt2, swa_lr=0.9)  # cos: the loaded strategy replaces it
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    s2.load_state_dict(saved)
    assert s2.anneal_func is optim.swa_utils.SWALR._linear_anneal
    for _ in range(6):
        for o, sched in ((opt, s), (opt2, s2)):
            o.step()
            sched.step()
        assert s2.get_last_lr() == s.get_last_lr()


@pytest.mark.parametrize("kwargs", [{"swa_lr": 0.1, "anneal_strategy": "exp"},
                                    {"swa_lr": 0.1, "anneal_epochs": -1},
                                    {"swa_lr": 0.1, "anneal_epochs": 2.5},
                                    {"swa_lr": [0.1]}])
def test_swalr_bad_arguments_raise_like_torch(kwargs):
    _same_error(lambda lib: lib.optim.swa_utils.SWALR(_sched_optimizer(lib), **kwargs))


def test_swalr_get_lr_outside_step_warns():
    s = optim.swa_utils.SWALR(_sched_optimizer(deepgrad), swa_lr=0.1)
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.get_last_lr()


# ----- state-dict hooks of the base class ----------------------------------------------------
def test_state_dict_hooks_like_torch():
    def run(lib):
        calls = []
        p = _param(lib)
        opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
        p.grad = lib.ones(2)
        opt.step()
        opt.register_state_dict_pre_hook(lambda o: calls.append("pre"))
        opt.register_state_dict_pre_hook(lambda o: calls.append("pre-first"), prepend=True)

        def post(o, sd):
            calls.append("post")
            sd = dict(sd)
            sd["extra"] = 1
            return sd
        handle = opt.register_state_dict_post_hook(post)
        sd = opt.state_dict()
        assert sd["extra"] == 1
        handle.remove()
        assert "extra" not in opt.state_dict()

        def load_pre(o, sd):
            calls.append("load-pre")
            sd["param_groups"] = copy.deepcopy(sd["param_groups"])
            sd["param_groups"][0]["lr"] = 0.5  # adapt an old checkpoint
        opt.register_load_state_dict_pre_hook(load_pre)
        opt.register_load_state_dict_post_hook(lambda o: calls.append("load-post"))
        opt.load_state_dict(sd)
        return calls, opt.param_groups[0]["lr"], sorted(sd)

    assert run(deepgrad) == run(torch)


def test_global_step_hooks_like_torch():
    def run(lib):
        from importlib import import_module

        module = import_module(lib.__name__ + ".optim.optimizer")
        calls = []
        p = _param(lib)
        opt = lib.optim.Adam([p], lr=0.1)
        p.grad = lib.ones(2)
        opt.register_step_pre_hook(lambda o, a, k: calls.append("own-pre"))
        opt.register_step_post_hook(lambda o, a, k: calls.append("own-post"))
        handles = [module.register_optimizer_step_pre_hook(
                       lambda o, a, k: calls.append("global-pre:" + type(o).__name__)),
                   module.register_optimizer_step_post_hook(
                       lambda o, a, k: calls.append("global-post"))]
        try:
            opt.step()
            lib.optim.NAdam([p]).step()
        finally:
            for handle in handles:
                handle.remove()
        opt.step()
        return calls

    assert run(deepgrad) == run(torch)


@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Adamax", "ASGD", "Rprop", "Adafactor",
                                  "LBFGS"])
def test_repr_like_torch(name):
    assert repr(getattr(optim, name)([_param(deepgrad)], lr=0.5)) == \
        repr(getattr(torch.optim, name)([_param(torch)], lr=0.5))
