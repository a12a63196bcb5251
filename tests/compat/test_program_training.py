"""Training-loop idioms (schedulers, clipping, param groups, optimizer state) against torch and deepgrad."""

import numpy as np
import pytest

from _libs import assert_same, libs

W0 = np.linspace(-1, 1, 12).reshape(3, 4)
B0 = np.array([0.1, -0.2, 0.3])
X = np.cos(np.arange(20.0)).reshape(5, 4)
Y = np.sin(np.arange(15.0)).reshape(5, 3)


def make(torch, nn):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 3)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(W0))
        model[0].bias.copy_(torch.tensor(B0))
        model[2].weight.copy_(torch.tensor(W0[:, :3] * 0.5))
        model[2].bias.zero_()
    return model


def step(torch, F, model, opt):
    opt.zero_grad()
    loss = F.mse_loss(model(torch.tensor(X)), torch.tensor(Y))
    loss.backward()
    opt.step()
    return loss.item()


SCHEDULERS = {
    "step": lambda s, o: s.StepLR(o, step_size=2, gamma=0.5),
    "multistep": lambda s, o: s.MultiStepLR(o, milestones=[1, 3], gamma=0.1),
    "exp": lambda s, o: s.ExponentialLR(o, gamma=0.9),
    "cosine": lambda s, o: s.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    "onecycle": lambda s, o: s.OneCycleLR(o, max_lr=0.5, total_steps=6),
    "lambda": lambda s, o: s.LambdaLR(o, lr_lambda=lambda epoch: 0.95 ** epoch),
    "warmup": lambda s, o: s.SequentialLR(
        o, schedulers=[s.LinearLR(o, start_factor=0.1, total_iters=2), s.CosineAnnealingLR(o, T_max=3)], milestones=[2]
    ),
    "cosine_restarts": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),
}


def scheduler_program(torch, nn, F, optim, data, kind):
    model = make(torch, nn)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = SCHEDULERS[kind](optim.lr_scheduler, opt)
    lrs, losses = [], []
    for _ in range(5):
        losses.append(step(torch, F, model, opt))
        sched.step()
        lrs.append(sched.get_last_lr())
    sd = sched.state_dict()
    return {"lrs": lrs, "losses": losses, "group_lr": opt.param_groups[0]["lr"], "last_epoch": sd["last_epoch"]}


@pytest.mark.parametrize("kind", sorted(SCHEDULERS))
def test_lr_schedulers(kind):
    assert_same(scheduler_program(*libs("torch"), kind=kind), scheduler_program(*libs("deepgrad"), kind=kind))


def plateau_program(torch, nn, F, optim, data):
    model = make(torch, nn)
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1)
    lrs = []
    for val_loss in [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7]:
        step(torch, F, model, opt)
        sched.step(val_loss)
        lrs.append(opt.param_groups[0]["lr"])
    return {"lrs": lrs, "last": sched.get_last_lr(), "best": sched.state_dict()["best"]}


def test_reduce_lr_on_plateau():
    assert_same(plateau_program(*libs("torch")), plateau_program(*libs("deepgrad")))


def clip_groups_program(torch, nn, F, optim, data):
    model = make(torch, nn)
    opt = optim.SGD(
        [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.01}],
        lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2,
    )
    norms = []
    for _ in range(3):
        opt.zero_grad()
        F.mse_loss(model(torch.tensor(X)), torch.tensor(Y)).backward()
        total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
        norms.append(total)
        opt.step()
    nn.utils.clip_grad_value_(model.parameters(), clip_value=0.01)
    return {
        "norms": norms,
        "lrs": [g["lr"] for g in opt.param_groups],
        "state": {k: v.numpy().copy() for k, v in model.state_dict().items()},
        "clipped": [p.grad for p in model.parameters()],
    }


def test_clip_grad_norm_and_param_groups():
    assert_same(clip_groups_program(*libs("torch")), clip_groups_program(*libs("deepgrad")))


OPTIMS = {
    "adam": lambda o, p: o.Adam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=1e-3, amsgrad=True),
    "adamw": lambda o, p: o.AdamW(p, lr=0.01, weight_decay=0.1),
    "sgd": lambda o, p: o.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-3),
    "nesterov": lambda o, p: o.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda o, p: o.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda o, p: o.Adagrad(p, lr=0.1, lr_decay=0.01),
    "adadelta": lambda o, p: o.Adadelta(p, lr=1.0, weight_decay=0.01),
}


def resume_program(torch, nn, F, optim, data, kind, path):
    model = make(torch, nn)
    opt = OPTIMS[kind](optim, model.parameters())
    losses = [step(torch, F, model, opt) for _ in range(2)]
    torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 2}, path)
    ckpt = torch.load(path)
    model2 = make(torch, nn)
    model2.load_state_dict(ckpt["model"])
    opt2 = OPTIMS[kind](optim, model2.parameters())
    opt2.load_state_dict(ckpt["optim"])
    losses += [step(torch, F, model2, opt2) for _ in range(2)]
    sd = opt2.state_dict()
    return {
        "losses": losses,
        "state": {k: v.numpy().copy() for k, v in model2.state_dict().items()},
        "sd_keys": sorted(sd.keys()),
        "state_ids": sorted(sd["state"].keys()),
        "group_params": sd["param_groups"][0]["params"],
        "epoch": ckpt["epoch"],
    }


@pytest.mark.parametrize("kind", sorted(OPTIMS))
def test_optimizer_state_dict_resume(kind, tmp_path):
    a = resume_program(*libs("torch"), kind=kind, path=str(tmp_path / "t.pt"))
    b = resume_program(*libs("deepgrad"), kind=kind, path=str(tmp_path / "d.pt"))
    assert_same(a, b)


def finetune_program(torch, nn, F, optim, data):
    model = make(torch, nn)

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.05)
            m.bias.data.fill_(0.01)

    model.apply(init_weights)
    for p in model[0].parameters():
        p.requires_grad_(False)
    model[2] = nn.Linear(3, 2).double()
    with torch.no_grad():
        model[2].weight.fill_(0.1)
        model[2].bias.zero_()
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = optim.AdamW(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        F.cross_entropy(model(torch.tensor(X)), torch.tensor([0, 1, 1, 0, 1])).backward()
        opt.step()
    return {
        "n_trainable": sum(p.numel() for p in trainable),
        "frozen_grad": model[0].weight.grad is None,
        "state": {k: v.numpy().copy() for k, v in model.state_dict().items()},
    }


def test_freeze_and_finetune():
    assert_same(finetune_program(*libs("torch")), finetune_program(*libs("deepgrad")))
