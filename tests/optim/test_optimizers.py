"""Every optimizer against torch.optim: same starts, same gradients, compared after every step.

Parameters and gradients are float64 and the gradients are set directly (``p.grad = ...``), so
any difference comes from the update rule alone.
"""

import copy

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import optim

SHAPES = [(3, 4), (4,), (2, 3, 2)]
RTOL, ATOL = 1e-10, 1e-12

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.5, "weight_decay": 0.1,
             "maximize": True}),
    ("SGD", {}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.5), "eps": 1e-3}),  # lerp weight >= 0.5
    ("Adam", {"lr": 0.01, "betas": (0.0, 0.9)}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05, "maximize": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.3, "centered": True}),  # lerp weight >= 0.5
    ("RMSprop", {"lr": 0.01, "maximize": True, "eps": 1e-4}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "maximize": True, "lr_decay": 0.01}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5}),
    ("Adadelta", {"weight_decay": 0.1, "eps": 1e-4}),
    ("Adadelta", {"maximize": True}),
]


def _ids(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def make_pair(name, kwargs, seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    inits = [rng.standard_normal(s) for s in shapes]
    dg_params = [deepgrad.nn.Parameter(deepgrad.tensor(a.copy())) for a in inits]
    th_params = [torch.nn.Parameter(torch.tensor(a.copy())) for a in inits]
    dg_opt = getattr(optim, name)(dg_params, **kwargs)
    th_opt = getattr(torch.optim, name)(th_params, **kwargs)
    return dg_params, th_params, dg_opt, th_opt


def set_grads(rng, dg_params, th_params, skip=()):
    for i, (dp, tp) in enumerate(zip(dg_params, th_params)):
        if i in skip:
            dp.grad, tp.grad = None, None
            continue
        g = rng.standard_normal(tuple(dp.shape))
        dp.grad = deepgrad.tensor(g.copy())
        tp.grad = torch.tensor(g.copy())


def assert_params_close(dg_params, th_params, step):
    for i, (dp, tp) in enumerate(zip(dg_params, th_params)):
        np.testing.assert_allclose(dp._data, tp.detach().numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"param {i} after step {step}")


def assert_state_close(dg_opt, th_opt):
    dg_sd, th_sd = dg_opt.state_dict(), th_opt.state_dict()
    assert sorted(dg_sd["state"]) == sorted(th_sd["state"])
    for index, th_state in th_sd["state"].items():
        dg_state = dg_sd["state"][index]
        assert list(dg_state) == list(th_state), (list(dg_state), list(th_state))
        for key, value in th_state.items():
            assert isinstance(dg_state[key], deepgrad.Tensor)
            np.testing.assert_allclose(dg_state[key]._data, value.numpy(), rtol=RTOL, atol=ATOL,
                                       err_msg=f"state[{index}][{key!r}]")
            assert dg_state[key].dtype == np.dtype(str(value.dtype).replace("torch.", ""))
    for dg_group, th_group in zip(dg_sd["param_groups"], th_sd["param_groups"]):
        assert dg_group == th_group


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_matches_torch_for_20_steps(case):
    name, kwargs = case
    dg_params, th_params, dg_opt, th_opt = make_pair(name, kwargs)
    rng = np.random.default_rng(1)
    for step in range(20):
        # parameter 1 has no gradient on some steps: both libraries must skip it
        set_grads(rng, dg_params, th_params, skip=(1,) if step % 7 == 3 else ())
        dg_opt.step()
        th_opt.step()
        assert_params_close(dg_params, th_params, step)
    assert_state_close(dg_opt, th_opt)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_float32_stays_float32(name):
    p = deepgrad.nn.Parameter(deepgrad.randn(5, 3))
    opt = getattr(optim, name)([p], lr=0.01, **({"momentum": 0.9} if name == "SGD" else {}))
    for _ in range(3):
        p.grad = deepgrad.randn(5, 3)
        data = p._data
        opt.step()
        assert p._data is data and p.dtype == np.float32
    for key, value in opt.state[p].items():
        assert value.dtype == np.float32, key


def test_param_groups_with_different_options():
    rng = np.random.default_rng(3)
    inits = [rng.standard_normal(s) for s in SHAPES]
    dg_params = [deepgrad.tensor(a.copy(), requires_grad=True) for a in inits]
    th_params = [torch.tensor(a.copy(), requires_grad=True) for a in inits]

    def groups(ps):
        return [{"params": ps[:2], "lr": 0.2, "momentum": 0.5},
                {"params": ps[2:], "nesterov": True, "weight_decay": 0.1}]

    dg_opt = optim.SGD(groups(dg_params), lr=0.05, momentum=0.9)
    th_opt = torch.optim.SGD(groups(th_params), lr=0.05, momentum=0.9)
    assert dg_opt.param_groups[1]["lr"] == 0.05 and dg_opt.param_groups[0]["lr"] == 0.2
    for step in range(20):
        set_grads(rng, dg_params, th_params)
        dg_opt.step()
        th_opt.step()
        assert_params_close(dg_params, th_params, step)
    assert_state_close(dg_opt, th_opt)


def test_add_param_group_fills_defaults_and_rejects_duplicates():
    a, b = (deepgrad.nn.Parameter(deepgrad.randn(2)) for _ in range(2))
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "betas": (0.5, 0.6)})
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.5, 0.6)
    assert opt.param_groups[1]["params"] == [b]
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        optim.SGD([{"params": [a]}, {"params": [a, b]}], lr=0.1)


def test_named_parameters_are_accepted():
    model = deepgrad.nn.Linear(3, 2)
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


@pytest.mark.parametrize("case", [c for c in CASES if c[1]], ids=_ids)
def test_state_dict_round_trip_continues_uninterrupted(case):
    name, kwargs = case
    dg_params, th_params, dg_opt, _ = make_pair(name, kwargs)
    rng = np.random.default_rng(5)
    for _ in range(10):
        set_grads(rng, dg_params, th_params)
        dg_opt.step()
    saved = copy.deepcopy(dg_opt.state_dict())
    resumed = [deepgrad.nn.Parameter(deepgrad.tensor(p._data.copy())) for p in dg_params]
    new_opt = getattr(optim, name)(resumed, lr=123.0)  # options come from the state dict
    new_opt.load_state_dict(saved)
    assert new_opt.param_groups[0]["lr"] == dg_opt.param_groups[0]["lr"]
    for _ in range(10):
        g = [rng.standard_normal(tuple(p.shape)) for p in dg_params]
        for p, q, gi in zip(dg_params, resumed, g):
            p.grad, q.grad = deepgrad.tensor(gi.copy()), deepgrad.tensor(gi.copy())
        dg_opt.step()
        new_opt.step()
    for p, q in zip(dg_params, resumed):
        np.testing.assert_array_equal(p._data, q._data)


def test_state_dict_layout_matches_torch_and_torch_state_loads():
    dg_params, th_params, dg_opt, th_opt = make_pair("Adam", {"lr": 0.01, "amsgrad": True})
    rng = np.random.default_rng(2)
    for _ in range(5):
        set_grads(rng, dg_params, th_params)
        dg_opt.step()
        th_opt.step()
    th_sd = th_opt.state_dict()
    assert_state_close(dg_opt, th_opt)  # same keys, same groups, same values and dtypes
    # a torch state dict, tensors converted to arrays, loads into a fresh deepgrad optimizer
    converted = {"state": {i: {k: v.numpy().copy() for k, v in s.items()}
                           for i, s in th_sd["state"].items()},
                 "param_groups": copy.deepcopy(th_sd["param_groups"])}
    fresh = [deepgrad.nn.Parameter(deepgrad.tensor(p.detach().numpy().copy()))
             for p in th_params]
    new_opt = optim.Adam(fresh, lr=0.01, amsgrad=True)
    new_opt.load_state_dict(converted)
    for step in range(5):
        set_grads(rng, fresh, th_params)
        new_opt.step()
        th_opt.step()
        assert_params_close(fresh, th_params, step)


def test_load_state_dict_errors_and_copies():
    a = deepgrad.nn.Parameter(deepgrad.randn(2))
    b = deepgrad.nn.Parameter(deepgrad.randn(2))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = deepgrad.randn(2)
    opt.step()
    sd = opt.state_dict()
    other = optim.SGD([a, b], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        other.load_state_dict(sd)
    two = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two.load_state_dict(sd)
    fresh = optim.SGD([b], lr=0.1, momentum=0.9)
    fresh.load_state_dict(sd)
    assert fresh.state[b]["momentum_buffer"]._data is not opt.state[a]["momentum_buffer"]._data
    np.testing.assert_array_equal(fresh.state[b]["momentum_buffer"]._data,
                                  opt.state[a]["momentum_buffer"]._data)


def test_zero_grad_semantics():
    p = deepgrad.nn.Parameter(deepgrad.tensor(np.ones(3)))
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1)
    p.grad = deepgrad.tensor(np.ones(3))
    opt.step()
    opt.zero_grad()
    assert p.grad is None
    before = p._data.copy()
    opt.step()  # no gradient: the parameter is skipped entirely
    np.testing.assert_array_equal(p._data, before)

    p.grad = deepgrad.tensor(np.ones(3))
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and not p.grad._data.any()
    opt.step()  # a zero gradient still moves the parameter (momentum, weight decay)
    assert not np.array_equal(p._data, before)

    # torch agrees on both behaviours
    tp = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    topt = torch.optim.SGD([tp], lr=0.1, momentum=0.9, weight_decay=0.1)
    tp.grad = torch.ones(3, dtype=torch.float64)
    topt.step()
    topt.zero_grad()
    topt.step()
    tp.grad = torch.ones(3, dtype=torch.float64)
    topt.zero_grad(set_to_none=False)
    topt.step()
    np.testing.assert_allclose(p._data, tp.detach().numpy(), rtol=RTOL)


def test_step_updates_in_place_and_bumps_version():
    p = deepgrad.nn.Parameter(deepgrad.randn(4))
    opt = optim.Adam([p], lr=0.1)
    view_before = p._data
    version = p._version
    p.grad = deepgrad.randn(4)
    opt.step()
    assert p._data is view_before and p._version == version + 1
    assert p.grad_fn is None and p.requires_grad


def test_step_with_closure_returns_loss_and_records_graph():
    w = deepgrad.nn.Parameter(deepgrad.tensor(np.array([1.0, -2.0])))
    tw = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
    opt = optim.SGD([w], lr=0.1, momentum=0.5)
    topt = torch.optim.SGD([tw], lr=0.1, momentum=0.5)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = (tw * tw).sum()
        loss.backward()
        return loss

    with deepgrad.no_grad():  # the closure must get grad mode back
        for _ in range(5):
            loss = opt.step(closure)
            tloss = topt.step(tclosure)
            assert abs(loss.item() - tloss.item()) < 1e-12
    np.testing.assert_allclose(w._data, tw.detach().numpy(), rtol=RTOL)
    assert deepgrad.is_grad_enabled() is True


def test_step_hooks():
    p = deepgrad.nn.Parameter(deepgrad.randn(2))
    p.grad = deepgrad.randn(2)
    opt = optim.SGD([p], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    opt.step()
    pre.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]


def test_repr_lists_groups():
    p = deepgrad.nn.Parameter(deepgrad.randn(2))
    tp = torch.nn.Parameter(torch.randn(2))
    assert repr(optim.Adam([p], lr=0.1)) == repr(torch.optim.Adam([tp], lr=0.1))


def _same_error(make, upto=None):
    """``make(lib)`` raises the same exception type and message in deepgrad and torch (the
    message up to ``upto`` when the rest names a library-specific type)."""
    with pytest.raises(Exception) as th_info:
        make(torch)
    with pytest.raises(Exception) as dg_info:
        make(deepgrad)
    assert type(dg_info.value) is type(th_info.value), (dg_info.value, th_info.value)
    dg_text, th_text = str(dg_info.value), str(th_info.value)
    if upto is not None:
        assert upto in th_text
        dg_text, th_text = dg_text.split(upto)[0], th_text.split(upto)[0]
    assert dg_text == th_text


def _param(lib):
    return (deepgrad.nn.Parameter(deepgrad.randn(2)) if lib is deepgrad
            else torch.nn.Parameter(torch.randn(2)))


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", {"lr": -0.1}),
    ("SGD", {"lr": 0.1, "momentum": -0.5}),
    ("SGD", {"lr": 0.1, "weight_decay": -1}),
    ("SGD", {"lr": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("Adam", {"lr": -1e-3}),
    ("Adam", {"eps": -1.0}),
    ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (0.9, -0.1)}),
    ("Adam", {"weight_decay": -0.1}),
    ("Adam", {"betas": (0, 0.99)}),
    ("AdamW", {"lr": -1.0}),
    ("RMSprop", {"lr": -1.0}),
    ("RMSprop", {"alpha": -0.1}),
    ("RMSprop", {"momentum": -0.1}),
    ("RMSprop", {"eps": -0.1}),
    ("Adagrad", {"lr_decay": -0.1}),
    ("Adagrad", {"initial_accumulator_value": -1.0}),
    ("Adagrad", {"lr": -1.0}),
    ("Adadelta", {"rho": 1.5}),
    ("Adadelta", {"lr": -1.0}),
    ("Adadelta", {"weight_decay": -1.0}),
    ("SGD", {"lr": 0.1, "fused": True, "foreach": True}),
])
def test_bad_arguments_raise_like_torch(name, kwargs):
    _same_error(lambda lib: getattr(lib.optim, name)([_param(lib)], **kwargs))


def test_bad_params_raise_like_torch():
    _same_error(lambda lib: lib.optim.SGD([], lr=0.1))
    _same_error(lambda lib: lib.optim.SGD(_param(lib), lr=0.1), upto="but got")
    _same_error(lambda lib: lib.optim.SGD([{"params": {_param(lib)}}], lr=0.1))
    _same_error(lambda lib: lib.optim.SGD([_param(lib) * 2], lr=0.1))
    _same_error(lambda lib: lib.optim.SGD([{"params": [_param(lib)]}, 3], lr=0.1))


def test_non_tensor_param_is_rejected():
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([np.ones(3)], lr=0.1)


def test_differentiable_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="differentiable"):
        optim.Adam([_param(deepgrad)], differentiable=True)


def test_tensor_lr():
    p = deepgrad.nn.Parameter(deepgrad.tensor(np.ones(2)))
    p.grad = deepgrad.tensor(np.ones(2))
    opt = optim.SGD([p], lr=deepgrad.tensor(0.5))
    opt.step()
    np.testing.assert_allclose(p._data, [0.5, 0.5])
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        optim.SGD([p], lr=deepgrad.tensor([0.1, 0.2]))


def test_trains_a_model_like_torch():
    """One Linear layer trained on a fixed batch by Adam: deepgrad and torch agree."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 5)), rng.standard_normal((16, 2))
    w0, b0 = rng.standard_normal((2, 5)), rng.standard_normal(2)
    dw = deepgrad.nn.Parameter(deepgrad.tensor(w0.copy()))
    db = deepgrad.nn.Parameter(deepgrad.tensor(b0.copy()))
    tw = torch.nn.Parameter(torch.tensor(w0.copy()))
    tb = torch.nn.Parameter(torch.tensor(b0.copy()))
    dopt, topt = optim.AdamW([dw, db], lr=0.05), torch.optim.AdamW([tw, tb], lr=0.05)
    dx, dy = deepgrad.tensor(x), deepgrad.tensor(y)
    tx, ty = torch.tensor(x), torch.tensor(y)
    for _ in range(20):
        dopt.zero_grad()
        topt.zero_grad()
        ((dx @ dw.T + db - dy) ** 2).mean().backward()
        ((tx @ tw.T + tb - ty) ** 2).mean().backward()
        dopt.step()
        topt.step()
    np.testing.assert_allclose(dw._data, tw.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(db._data, tb.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_public_names_match_torch():
    import torch.optim.lr_scheduler as th_sched

    for name in optim.__all__:
        assert hasattr(torch.optim, name), name
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Optimizer"]:
        assert name in optim.__all__
    assert set(optim.lr_scheduler.__all__) <= set(th_sched.__all__)
    missing = set(th_sched.__all__) - set(optim.lr_scheduler.__all__)
    assert not missing, missing


def test_user_defined_optimizer_steps_outside_the_graph():
    """A subclass written with Tensor in-place methods works: step runs under no_grad."""

    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=optim.optimizer.required):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.sub_(p.grad.sign() * group["lr"])

    p = deepgrad.nn.Parameter(deepgrad.tensor(np.array([1.0, 2.0])))
    with pytest.raises(ValueError, match="didn't specify a value of required optimization "
                                         "parameter lr"):
        SignSGD([p])
    opt = SignSGD([p], lr=0.5)
    p.grad = deepgrad.tensor(np.array([-3.0, 0.2]))
    opt.step()
    np.testing.assert_array_equal(p._data, [1.5, 1.5])
    assert p._version == 1


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_gradient_of_wrong_shape_is_a_clear_error(name):
    p = deepgrad.nn.Parameter(deepgrad.randn(3, 2))
    p.grad = deepgrad.randn(2)
    opt = getattr(optim, name)([p], lr=0.1)
    with pytest.raises(RuntimeError, match=r"shape \(3, 2\) has a gradient of shape \(2,\)"):
        opt.step()
