"""Every scheduler against torch.optim.lr_scheduler: the lrs (and momenta) after each step."""

import copy
import math
import warnings

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import optim

STEPS = 20


def _optimizer(lib, kind="SGD", groups=2):
    rng = np.random.default_rng(0)
    params = []
    for _ in range(groups):
        a = rng.standard_normal(3)
        params.append(deepgrad.nn.Parameter(deepgrad.tensor(a)) if lib is deepgrad
                      else torch.nn.Parameter(torch.tensor(a)))
    groups_ = [{"params": [params[0]], "lr": 0.1}]
    groups_ += [{"params": [p], "lr": 0.05 * (i + 2)} for i, p in enumerate(params[1:])]
    if kind == "SGD":
        return lib.optim.SGD(groups_, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups_, lr=0.1)


def _sched(lib):
    return lib.optim.lr_scheduler


SCHEDULERS = {
    "StepLR": lambda lib, o: _sched(lib).StepLR(o, step_size=3, gamma=0.5),
    "StepLR-default": lambda lib, o: _sched(lib).StepLR(o, 4),
    "MultiStepLR": lambda lib, o: _sched(lib).MultiStepLR(o, [2, 5, 5, 11], gamma=0.3),
    "ExponentialLR": lambda lib, o: _sched(lib).ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda lib, o: _sched(lib).CosineAnnealingLR(o, T_max=7),
    "CosineAnnealingLR-eta_min": lambda lib, o: _sched(lib).CosineAnnealingLR(
        o, T_max=5, eta_min=0.01),
    "LinearLR": lambda lib, o: _sched(lib).LinearLR(o, start_factor=0.25, total_iters=6),
    "LinearLR-decay": lambda lib, o: _sched(lib).LinearLR(o, 1.0, 0.1, total_iters=8),
    "ConstantLR": lambda lib, o: _sched(lib).ConstantLR(o, factor=0.5, total_iters=4),
    "PolynomialLR": lambda lib, o: _sched(lib).PolynomialLR(o, total_iters=12, power=2.0),
    "LambdaLR": lambda lib, o: _sched(lib).LambdaLR(o, lambda e: 0.95 ** e + 0.1 * (e % 3)),
    "LambdaLR-per-group": lambda lib, o: _sched(lib).LambdaLR(
        o, [lambda e: 1 / (e + 1), lambda e: min(1.0, (e + 1) / 5)]),
    "MultiplicativeLR": lambda lib, o: _sched(lib).MultiplicativeLR(o, lambda e: 0.9),
    "CosineAnnealingWarmRestarts": lambda lib, o: _sched(lib).CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001),
    "CosineAnnealingWarmRestarts-1": lambda lib, o: _sched(lib).CosineAnnealingWarmRestarts(
        o, T_0=4),
    "OneCycleLR-cos": lambda lib, o: _sched(lib).OneCycleLR(o, max_lr=1.0, total_steps=STEPS),
    "OneCycleLR-linear-3phase": lambda lib, o: _sched(lib).OneCycleLR(
        o, max_lr=[0.5, 2.0], epochs=4, steps_per_epoch=5, anneal_strategy="linear",
        three_phase=True, pct_start=0.25),
    "OneCycleLR-no-momentum": lambda lib, o: _sched(lib).OneCycleLR(
        o, max_lr=0.3, total_steps=25, cycle_momentum=False, div_factor=10.0),
    "CyclicLR": lambda lib, o: _sched(lib).CyclicLR(o, 0.01, 0.1, step_size_up=4),
    "CyclicLR-triangular2": lambda lib, o: _sched(lib).CyclicLR(
        o, [0.01, 0.02], 0.1, step_size_up=3, step_size_down=2, mode="triangular2"),
    "CyclicLR-exp_range": lambda lib, o: _sched(lib).CyclicLR(
        o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9),
    "SequentialLR": lambda lib, o: _sched(lib).SequentialLR(
        o, [_sched(lib).LinearLR(o, start_factor=0.1, total_iters=5),
            _sched(lib).CosineAnnealingLR(o, T_max=10)], milestones=[5]),
    "SequentialLR-3": lambda lib, o: _sched(lib).SequentialLR(
        o, [_sched(lib).ConstantLR(o, factor=0.5, total_iters=2),
            _sched(lib).ExponentialLR(o, gamma=0.8),
            _sched(lib).StepLR(o, step_size=2)], milestones=[3, 9]),
    "ChainedScheduler": lambda lib, o: _sched(lib).ChainedScheduler(
        [_sched(lib).ExponentialLR(o, gamma=0.9), _sched(lib).StepLR(o, 3, gamma=0.5)]),
}


def _group_values(opt):
    values = []
    for g in opt.param_groups:
        values.append(float(g["lr"]))
        if "momentum" in g:
            values.append(float(g["momentum"]))
        if "betas" in g:
            values.extend(float(b) for b in g["betas"])
    return values


def _assert_same(dg_opt, th_opt, dg_s, th_s, where):
    np.testing.assert_allclose(dg_s.get_last_lr(), th_s.get_last_lr(), rtol=1e-13, atol=1e-15,
                               err_msg=where)
    np.testing.assert_allclose(_group_values(dg_opt), _group_values(th_opt), rtol=1e-13,
                               atol=1e-15, err_msg=where)


# with Adam, the cycling schedulers move betas[0] instead of the momentum
KINDS = [(name, "SGD") for name in SCHEDULERS] + [
    (name, "Adam") for name in SCHEDULERS if name.startswith(("OneCycle", "CyclicLR", "StepLR"))]


@pytest.mark.parametrize("name,kind", KINDS)
def test_matches_torch_for_20_steps(name, kind):
    make = SCHEDULERS[name]
    dg_opt, th_opt = _optimizer(deepgrad, kind), _optimizer(torch, kind)
    dg_s, th_s = make(deepgrad, dg_opt), make(torch, th_opt)
    _assert_same(dg_opt, th_opt, dg_s, th_s, "after construction")
    assert getattr(dg_s, "last_epoch", None) == getattr(th_s, "last_epoch", None)
    for step in range(STEPS):
        dg_opt.step()
        th_opt.step()
        dg_s.step()
        th_s.step()
        _assert_same(dg_opt, th_opt, dg_s, th_s, f"step {step}")
        assert getattr(dg_s, "last_epoch", None) == getattr(th_s, "last_epoch", None)
    assert [g["initial_lr"] for g in dg_opt.param_groups] == \
        [g["initial_lr"] for g in th_opt.param_groups]


@pytest.mark.parametrize("kwargs", [
    {},
    {"mode": "max", "patience": 2, "factor": 0.5},
    {"threshold_mode": "abs", "threshold": 0.05, "patience": 1, "cooldown": 2},
    {"mode": "max", "threshold_mode": "abs", "patience": 0, "min_lr": [0.02, 0.001]},
    {"patience": 1, "min_lr": 0.03, "eps": 1e-3},
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    dg_opt, th_opt = _optimizer(deepgrad), _optimizer(torch)
    dg_s = optim.lr_scheduler.ReduceLROnPlateau(dg_opt, **kwargs)
    th_s = torch.optim.lr_scheduler.ReduceLROnPlateau(th_opt, **kwargs)
    metrics = [1.0, 0.9, 0.95, 0.94, 0.96, 0.9, 0.91, 0.92, 0.5, 0.6, 0.7, 0.7, 0.7, 0.69,
               0.8, 0.3, 0.31, 0.32, 0.33, 0.34, 0.35, 0.36, 0.37, 0.38, 0.39]
    for step, metric in enumerate(metrics):
        dg_s.step(metric)
        th_s.step(metric)
        _assert_same(dg_opt, th_opt, dg_s, th_s, f"step {step}")
        assert (dg_s.best, dg_s.num_bad_epochs, dg_s.cooldown_counter) == \
            (th_s.best, th_s.num_bad_epochs, th_s.cooldown_counter)
    sd = dg_s.state_dict()
    assert "optimizer" not in sd and sd["best"] == th_s.state_dict()["best"]


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "LinearLR", "ConstantLR", "PolynomialLR",
                                  "CosineAnnealingWarmRestarts"])
def test_step_with_epoch_uses_closed_form_like_torch(name):
    make = SCHEDULERS[name]
    dg_opt, th_opt = _optimizer(deepgrad), _optimizer(torch)
    dg_s, th_s = make(deepgrad, dg_opt), make(torch, th_opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 2, 12, 5, 0]:
            dg_opt.step()
            th_opt.step()
            dg_s.step(epoch)
            th_s.step(epoch)
            _assert_same(dg_opt, th_opt, dg_s, th_s, f"epoch {epoch}")
    if name != "CosineAnnealingWarmRestarts":  # whose step(epoch) is its normal API
        with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
            dg_s.step(4)


def test_cosine_closed_form_from_the_recursion():
    """The recursive updates follow the closed form of the docstring."""
    opt = _optimizer(deepgrad, groups=1)
    s = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    for t in range(1, 11):
        opt.step()
        s.step()
        expected = 0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * t / 10)) / 2
        assert s.get_last_lr()[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_state_dict_round_trip_continues_uninterrupted(name):
    make = SCHEDULERS[name]
    opt = _optimizer(deepgrad)
    sched = make(deepgrad, opt)
    for _ in range(7):
        opt.step()
        sched.step()
    saved_sched = copy.deepcopy(sched.state_dict())
    saved_opt = copy.deepcopy(opt.state_dict())
    assert "optimizer" not in saved_sched
    # resume the way torch documents it: build the scheduler, then load both states
    opt2 = _optimizer(deepgrad)
    sched2 = make(deepgrad, opt2)
    sched2.load_state_dict(saved_sched)
    opt2.load_state_dict(saved_opt)
    assert getattr(sched2, "last_epoch", None) == getattr(sched, "last_epoch", None)
    for step in range(STEPS - 8):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert sched2.get_last_lr() == sched.get_last_lr(), step
        assert _group_values(opt2) == _group_values(opt), step


def test_reduce_lr_on_plateau_state_round_trip():
    opt = _optimizer(deepgrad)
    s = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, mode="max")
    for m in [1, 2, 2, 2]:
        s.step(m)
    opt2 = _optimizer(deepgrad)
    s2 = optim.lr_scheduler.ReduceLROnPlateau(opt2)
    s2.load_state_dict(copy.deepcopy(s.state_dict()))
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    for m in [2, 2, 3, 1, 1, 1]:
        s.step(m)
        s2.step(m)
        assert s.get_last_lr() == s2.get_last_lr()
    assert s2.mode == "max" and s2.mode_worse == -math.inf


def test_lambdas_are_not_stored():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.n)

    opt = _optimizer(deepgrad)
    s = optim.lr_scheduler.LambdaLR(opt, [lambda e: 0.5 ** e, Warmup(4)])
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [None, {"n": 4}]
    th_opt = _optimizer(torch)

    class TorchWarmup(Warmup):
        pass

    th_sd = torch.optim.lr_scheduler.LambdaLR(th_opt, [lambda e: 0.5 ** e, TorchWarmup(4)])
    assert sorted(sd) == sorted(th_sd.state_dict())
    # a loaded callable object gets its attributes back
    other = Warmup(10)
    s2 = optim.lr_scheduler.LambdaLR(_optimizer(deepgrad), [lambda e: 1.0, other])
    s2.load_state_dict(sd)
    assert other.n == 4


def test_initial_lr_and_resume_errors():
    opt = _optimizer(deepgrad)
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.StepLR(opt, 3, last_epoch=4)
    optim.lr_scheduler.StepLR(opt, 3)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.1]
    with pytest.raises(TypeError, match="is not an Optimizer"):
        optim.lr_scheduler.StepLR(object(), 3)


def test_scheduler_before_optimizer_warns():
    opt = _optimizer(deepgrad)
    s = optim.lr_scheduler.StepLR(opt, 3)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()
    opt2 = _optimizer(deepgrad)
    s2 = optim.lr_scheduler.StepLR(opt2, 3)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2.step()


def _same_error(make):
    with pytest.raises(Exception) as th_info:
        make(torch)
    with pytest.raises(Exception) as dg_info:
        make(deepgrad)
    assert type(dg_info.value) is type(th_info.value)
    assert str(dg_info.value) == str(th_info.value)


@pytest.mark.parametrize("make", [
    lambda lib, o: _sched(lib).ReduceLROnPlateau(o, factor=1.0),
    lambda lib, o: _sched(lib).ReduceLROnPlateau(o, mode="up"),
    lambda lib, o: _sched(lib).ReduceLROnPlateau(o, threshold_mode="pct"),
    lambda lib, o: _sched(lib).ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda lib, o: _sched(lib).LinearLR(o, start_factor=0),
    lambda lib, o: _sched(lib).LinearLR(o, end_factor=1.5),
    lambda lib, o: _sched(lib).ConstantLR(o, factor=2.0),
    lambda lib, o: _sched(lib).LambdaLR(o, [lambda e: 1.0]),
    lambda lib, o: _sched(lib).OneCycleLR(o, max_lr=0.1),
    lambda lib, o: _sched(lib).OneCycleLR(o, max_lr=0.1, total_steps=0),
    lambda lib, o: _sched(lib).OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5),
    lambda lib, o: _sched(lib).OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="x"),
    lambda lib, o: _sched(lib).OneCycleLR(o, max_lr=[0.1], total_steps=10),
    lambda lib, o: _sched(lib).CosineAnnealingWarmRestarts(o, T_0=0),
    lambda lib, o: _sched(lib).CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda lib, o: _sched(lib).CyclicLR(o, 0.1, 1.0, mode="sawtooth"),
    lambda lib, o: _sched(lib).SequentialLR(o, [_sched(lib).StepLR(o, 2)], milestones=[3]),
    lambda lib, o: _sched(lib).SequentialLR(o, [], milestones=[]),
    lambda lib, o: _sched(lib).ChainedScheduler([]),
])
def test_bad_arguments_raise_like_torch(make):
    _same_error(lambda lib: make(lib, _optimizer(lib)))


def test_one_cycle_needs_momentum_and_stops_after_total_steps():
    def no_momentum(lib):
        p = _optimizer(lib).param_groups[0]["params"]
        opt = lib.optim.Adagrad(p)
        return _sched(lib).OneCycleLR(opt, max_lr=0.1, total_steps=3)

    _same_error(no_momentum)

    def overrun(lib):
        opt = _optimizer(lib)
        s = _sched(lib).OneCycleLR(opt, max_lr=0.1, total_steps=3)
        for _ in range(4):
            opt.step()
            s.step()

    _same_error(overrun)
