"""DDPM: schedules against their formulas, q_sample, the U-Net against a torch twin (float64,
same weights: outputs and gradients), the loss against torch for injected t and ε, one
ancestral and one DDIM step against hand formulas, exact recovery of a point mass by both
samplers, training lowers the loss, sample shapes/range, and clear errors on bad input."""

import math

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad.models import MODELS, model_input_size
from deepgrad.models.diffusion import (
    DDPM,
    cosine_schedule,
    ddpm,
    linear_schedule,
    make_schedule,
)
from deepgrad.models.unet import UNet, timestep_embedding

tnn, tF = torch.nn, torch.nn.functional


# -- schedules ----------------------------------------------------------------------------------

def test_linear_schedule_is_ho_et_al():
    s = linear_schedule(1000)
    assert s.betas.dtype == np.float64 and s.betas.shape == (1000,)
    assert s.betas[0] == 1e-4 and math.isclose(s.betas[-1], 0.02)
    np.testing.assert_allclose(np.diff(s.betas), (0.02 - 1e-4) / 999, rtol=1e-9)
    np.testing.assert_allclose(s.alphas, 1 - s.betas)
    np.testing.assert_allclose(s.alpha_bars, np.cumprod(1 - s.betas))
    assert math.isclose(math.sqrt(s.alpha_bars[-1]), 0.00636, rel_tol=1e-2)  # x_T ≈ pure noise


def test_cosine_schedule_formula_and_known_values():
    T, s_ = 1000, 0.008
    sched = cosine_schedule(T)

    def f(t):
        return math.cos((t / T + s_) / (1 + s_) * math.pi / 2) ** 2

    # improved-diffusion's betas_for_alpha_bar, written independently
    betas = [min(1 - f(i + 1) / f(i), 0.999) for i in range(T)]
    np.testing.assert_allclose(sched.betas, betas, rtol=1e-12, atol=1e-15)
    assert math.isclose(sched.betas[0], 4.1284e-05, rel_tol=1e-4)
    assert sched.betas[-1] == 0.999  # 1 − ᾱ_T/ᾱ_{T−1} = 1, clipped
    assert math.isclose(sched.alpha_bars[T // 2 - 1], f(T // 2) / f(0), rel_tol=1e-12)
    assert math.isclose(sched.alpha_bars[T // 2 - 1], 0.49384, rel_tol=1e-4)
    np.testing.assert_allclose(sched.alpha_bars, np.cumprod(1 - sched.betas))
    assert make_schedule("cosine", 10).betas.shape == (10,)
    with pytest.raises(ValueError, match="unknown noise schedule 'quadratic'"):
        make_schedule("quadratic")


def test_q_sample_formula():
    model = ddpm(timesteps=100, base_channels=8, channel_mults=(1, 2))
    rng = np.random.default_rng(0)
    x0, eps = rng.uniform(-1, 1, (3, 1, 28, 28)), rng.standard_normal((3, 1, 28, 28))
    t = np.array([0, 50, 99])
    out = model.q_sample(deepgrad.tensor(x0), t, deepgrad.tensor(eps)).numpy()
    ab = linear_schedule(100).alpha_bars[t][:, None, None, None]
    np.testing.assert_allclose(out, np.sqrt(ab) * x0 + np.sqrt(1 - ab) * eps, rtol=1e-12)


# -- the U-Net against a torch twin -------------------------------------------------------------

def _torch_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half)
    args = t.double()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class TorchResBlock(tnn.Module):
    def __init__(self, cin, cout, emb, groups):
        super().__init__()
        self.norm1 = tnn.GroupNorm(groups(cin), cin)
        self.conv1 = tnn.Conv2d(cin, cout, 3, padding=1)
        self.emb_proj = tnn.Linear(emb, cout)
        self.norm2 = tnn.GroupNorm(groups(cout), cout)
        self.conv2 = tnn.Conv2d(cout, cout, 3, padding=1)
        self.skip = tnn.Conv2d(cin, cout, 1) if cin != cout else tnn.Identity()

    def forward(self, x, emb):
        h = self.conv1(tF.silu(self.norm1(x))) + self.emb_proj(tF.silu(emb))[:, :, None, None]
        return self.conv2(tF.silu(self.norm2(h))) + self.skip(x)


class TorchDown(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = tnn.Conv2d(c, c, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class TorchUp(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = tnn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(tF.interpolate(x, scale_factor=2, mode="nearest"))


class TorchUNet(tnn.Module):
    """Ho et al.'s U-Net layout (no attention), written for the test."""

    def __init__(self, cin, base, mults, nres, num_classes=None, num_groups=8):
        super().__init__()

        def groups(c):
            return max(g for g in range(1, min(num_groups, c) + 1) if c % g == 0)

        emb = 4 * base
        self.base, self.num_classes = base, num_classes
        self.time_mlp = tnn.Sequential(tnn.Linear(base, emb), tnn.SiLU(), tnn.Linear(emb, emb))
        if num_classes is not None:
            self.label_emb = tnn.Embedding(num_classes + 1, emb)
        self.conv_in = tnn.Conv2d(cin, base, 3, padding=1)
        self.down, skips, ch = tnn.ModuleList(), [base], base
        for level, m in enumerate(mults):
            for _ in range(nres):
                self.down.append(TorchResBlock(ch, base * m, emb, groups))
                ch = base * m
                skips.append(ch)
            if level != len(mults) - 1:
                self.down.append(TorchDown(ch))
                skips.append(ch)
        self.mid = tnn.ModuleList([TorchResBlock(ch, ch, emb, groups),
                                   TorchResBlock(ch, ch, emb, groups)])
        self.up = tnn.ModuleList()
        for level, m in reversed(list(enumerate(mults))):
            for _ in range(nres + 1):
                self.up.append(TorchResBlock(ch + skips.pop(), base * m, emb, groups))
                ch = base * m
            if level != 0:
                self.up.append(TorchUp(ch))
        self.norm_out = tnn.GroupNorm(groups(ch), ch)
        self.conv_out = tnn.Conv2d(ch, cin, 3, padding=1)

    def forward(self, x, t, y=None):
        emb = self.time_mlp(_torch_embedding(t, self.base))
        if self.num_classes is not None:
            y = torch.full_like(t, self.num_classes) if y is None else y
            emb = emb + self.label_emb(y)
        h = self.conv_in(x)
        hs = [h]
        for layer in self.down:
            h = layer(h, emb) if isinstance(layer, TorchResBlock) else layer(h)
            hs.append(h)
        for layer in self.mid:
            h = layer(h, emb)
        for layer in self.up:
            h = layer(torch.cat([h, hs.pop()], 1), emb) if isinstance(layer, TorchResBlock) \
                else layer(h)
        return self.conv_out(tF.silu(self.norm_out(h)))


def _twins(cin=1, base=8, mults=(1, 2), nres=1, num_classes=None, seed=0):
    dg_net = UNet(cin, base, mults, nres, num_classes=num_classes).double()
    rng = np.random.default_rng(seed)
    state = {k: torch.tensor(rng.normal(0, 0.3, v.shape)) for k, v in dg_net.state_dict().items()}
    dg_net.load_state_dict({k: v.numpy() for k, v in state.items()})
    th_net = TorchUNet(cin, base, mults, nres, num_classes).double()
    th_net.load_state_dict(state)
    return dg_net, th_net


def _assert_grads_equal(dg_net, th_net, atol=1e-9):
    th_grads = {k: p.grad for k, p in th_net.named_parameters()}
    dg_grads = dict(dg_net.named_parameters())
    assert sorted(th_grads) == sorted(dg_grads)
    for k, p in dg_grads.items():
        np.testing.assert_allclose(p.grad.numpy(), th_grads[k].numpy(), atol=atol, rtol=1e-7,
                                   err_msg=k)


def test_timestep_embedding_matches_torch():
    t = np.array([0, 1, 17, 999])
    np.testing.assert_allclose(timestep_embedding(t, 16, dtype=np.float64).numpy(),
                               _torch_embedding(torch.tensor(t), 16).numpy(), rtol=1e-12)


@pytest.mark.parametrize("num_classes,mults,size", [(None, (1, 2), 8), (3, (1, 2, 2), 12)])
def test_unet_forward_and_gradients_match_torch(num_classes, mults, size):
    dg_net, th_net = _twins(cin=2, mults=mults, num_classes=num_classes)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 2, size, size))
    t = np.array([3, 742])
    y = None if num_classes is None else np.array([2, 0])
    dx = deepgrad.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out = dg_net(dx, t, None if y is None else deepgrad.tensor(y))
    ref = th_net(tx, torch.tensor(t), None if y is None else torch.tensor(y))
    assert out.shape == (2, 2, size, size)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-8, atol=1e-9)
    up = rng.standard_normal(out.shape)
    (out * deepgrad.tensor(up)).sum().backward()
    (ref * torch.tensor(up)).sum().backward()
    np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), rtol=1e-7, atol=1e-9)
    _assert_grads_equal(dg_net, th_net)


def test_unet_unconditional_token_and_sizes():
    dg_net, th_net = _twins(num_classes=4, mults=(1, 2, 2))
    x = np.random.default_rng(2).standard_normal((1, 1, 28, 28))
    out = dg_net(deepgrad.tensor(x), np.array([10]))  # no labels: the "no label" row
    ref = th_net(torch.tensor(x), torch.tensor([10]))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-8, atol=1e-9)
    assert UNet(3, 8, (1, 2, 2))(deepgrad.randn(1, 3, 32, 32), [5]).shape == (1, 3, 32, 32)


# -- the DDPM loss and sampler steps ------------------------------------------------------------

def _tiny(num_classes=None, timesteps=20, schedule="linear", **kw):
    model = ddpm(in_channels=1, image_size=8, num_classes=num_classes, timesteps=timesteps,
                 schedule=schedule, base_channels=8, channel_mults=(1, 2), **kw)
    return model


@pytest.mark.parametrize("schedule,num_classes", [("linear", None), ("cosine", 3)])
def test_ddpm_loss_matches_torch(schedule, num_classes):
    model = _tiny(num_classes, schedule=schedule, cond_drop_prob=0.0).double()
    dg_net, th_net = _twins(mults=(1, 2), num_classes=num_classes, seed=3)
    model.model.load_state_dict(dg_net.state_dict())
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, (3, 1, 8, 8))
    t, eps = np.array([0, 7, 19]), rng.standard_normal((3, 1, 8, 8))
    y = None if num_classes is None else np.array([0, 2, 1])
    loss = model.loss(deepgrad.tensor(x), y, t=t, noise=deepgrad.tensor(eps))
    ab = torch.tensor(make_schedule(schedule, 20).alpha_bars[t]).view(-1, 1, 1, 1)
    x_t = ab.sqrt() * (2 * torch.tensor(x) - 1) + (1 - ab).sqrt() * torch.tensor(eps)
    ref = tF.mse_loss(th_net(x_t, torch.tensor(t), None if y is None else torch.tensor(y)),
                      torch.tensor(eps))
    assert math.isclose(loss.item(), ref.item(), rel_tol=1e-10)
    loss.backward()
    ref.backward()
    _assert_grads_equal(model.model, th_net)


def test_cond_drop_replaces_labels_with_the_null_token():
    model = _tiny(num_classes=3, cond_drop_prob=0.5)
    seen = []
    model.model.forward = lambda x, t, y=None: (seen.append(y.numpy()), x * 0)[1]
    deepgrad.manual_seed(0)
    model.loss(deepgrad.rand(64, 1, 8, 8), np.zeros(64, dtype=np.int64))
    dropped = (seen[0] == 3).mean()
    assert set(np.unique(seen[0])) == {0, 3} and 0.3 < dropped < 0.7
    model.eval()
    model.loss(deepgrad.rand(64, 1, 8, 8), np.zeros(64, dtype=np.int64))
    assert (seen[1] == 0).all()  # no dropout outside training


def _arrays(seed=5):
    rng = np.random.default_rng(seed)
    return [deepgrad.tensor(rng.standard_normal((2, 1, 8, 8))) for _ in range(3)]


@pytest.mark.parametrize("t", [0, 9, 19])
def test_ddpm_step_is_algorithm_2(t):
    model = _tiny()
    x_t, eps, z = _arrays()
    s = linear_schedule(20)
    a, ab, b = s.alphas[t], s.alpha_bars[t], s.betas[t]
    mean = (x_t.numpy() - b / np.sqrt(1 - ab) * eps.numpy()) / np.sqrt(a)
    expected = mean + (np.sqrt(b) * z.numpy() if t > 0 else 0)
    out = model.ddpm_step(x_t, t, eps, noise=z, clip_x0=False)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    # posterior variance β̃ and the clipped-x̂_0 posterior mean
    ab_prev = s.alpha_bars[t - 1] if t > 0 else 1.0
    x0 = np.clip((x_t.numpy() - np.sqrt(1 - ab) * eps.numpy()) / np.sqrt(ab), -1, 1)
    mean = (np.sqrt(ab_prev) * b / (1 - ab) * x0
            + np.sqrt(a) * (1 - ab_prev) / (1 - ab) * x_t.numpy())
    var = (1 - ab_prev) / (1 - ab) * b
    out = model.ddpm_step(x_t, t, eps, noise=z, clip_x0=True, variance="posterior")
    np.testing.assert_allclose(out.detach().numpy(), mean + (np.sqrt(var) * z.numpy() if t else 0),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("eta", [0.0, 1.0])
@pytest.mark.parametrize("t,t_prev", [(19, 12), (5, -1)])
def test_ddim_step_formula(eta, t, t_prev):
    model = _tiny(schedule="cosine")
    x_t, eps, z = _arrays(6)
    ab = cosine_schedule(20).alpha_bars
    ab_t, ab_s = ab[t], (ab[t_prev] if t_prev >= 0 else 1.0)
    x0 = (x_t.numpy() - np.sqrt(1 - ab_t) * eps.numpy()) / np.sqrt(ab_t)
    sigma = eta * np.sqrt((1 - ab_s) / (1 - ab_t) * (1 - ab_t / ab_s))
    expected = np.sqrt(ab_s) * x0 + np.sqrt(1 - ab_s - sigma ** 2) * eps.numpy() + sigma * z.numpy()
    out = model.ddim_step(x_t, t, t_prev, eps, eta=eta, noise=z)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    if t_prev < 0:  # the last step lands on x̂_0
        np.testing.assert_allclose(out.detach().numpy(), x0, rtol=1e-10, atol=1e-12)
    # with clipping, ε is recomputed from the clipped x̂_0
    x0c = np.clip(x0, -1, 1)
    eps_c = (x_t.numpy() - np.sqrt(ab_t) * x0c) / np.sqrt(1 - ab_t)
    expected = np.sqrt(ab_s) * x0c + np.sqrt(1 - ab_s - sigma ** 2) * eps_c + sigma * z.numpy()
    out = model.ddim_step(x_t, t, t_prev, eps, eta=eta, noise=z, clip_x0=True)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)


class _OracleNoise(deepgrad.nn.Module):
    """The exact ε for data that is one point c: ε = (x_t − √ᾱ_t c)/√(1 − ᾱ_t)."""

    def __init__(self, c, alpha_bars):
        super().__init__()
        self.c, self.alpha_bars = c, alpha_bars
        self.scale = deepgrad.nn.Parameter(np.ones(1))

    def forward(self, x, t, y=None):
        ab = self.alpha_bars[np.asarray(t)].reshape(-1, 1, 1, 1)
        return (x - deepgrad.tensor(np.sqrt(ab) * self.c)) * deepgrad.tensor(1 / np.sqrt(1 - ab))


@pytest.mark.parametrize("sampler,steps", [("ddpm", None), ("ddpm", 7), ("ddim", 5)])
def test_samplers_recover_a_point_mass(sampler, steps):
    c = np.random.default_rng(7).uniform(-0.9, 0.9, (1, 1, 8, 8))
    model = DDPM(_OracleNoise(c, linear_schedule(30).alpha_bars), image_size=8, timesteps=30)
    out = model.sample(3, sampler=sampler, steps=steps, eta=1.0, clip_x0=False)
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to((c + 1) / 2, (3, 1, 8, 8)),
                               atol=1e-9)


def test_timestep_sequence():
    model = _tiny(timesteps=1000)
    np.testing.assert_array_equal(model.timestep_sequence(1000), np.arange(999, -1, -1))
    ts = model.timestep_sequence(50)
    assert len(ts) == 50 and ts[0] == 999 and ts[-1] == 0 and (np.diff(ts) < 0).all()


# -- training and sampling ----------------------------------------------------------------------

def test_tiny_model_loss_decreases():
    deepgrad.manual_seed(0)
    model = _tiny(timesteps=50)
    rng = np.random.default_rng(8)
    x = deepgrad.tensor((rng.uniform(size=(8, 1, 8, 8)) > 0.5).astype(np.float32))
    y = deepgrad.zeros(8, dtype=deepgrad.int64)
    t, eps = rng.integers(0, 50, 8), deepgrad.tensor(rng.standard_normal((8, 1, 8, 8)),
                                                     dtype=deepgrad.float32)

    def fixed_loss():
        with deepgrad.no_grad():
            return model.loss(x, t=t, noise=eps).item()

    before = fixed_loss()
    opts = model.configure_optimizers(lr=3e-3)
    logs = [model.train_step(x, y, opts) for _ in range(25)]
    assert set(logs[0]) == {"loss"} and isinstance(logs[0]["loss"], float)
    assert fixed_loss() < 0.7 * before
    assert model.evaluate_step(x, y)["loss"] > 0 and model.training


def test_sample_shapes_range_and_mode():
    deepgrad.manual_seed(1)
    model = _tiny(timesteps=10)
    for sampler in ("ddpm", "ddim"):
        out = model.sample(5, sampler=sampler, steps=3)
        assert out.shape == (5, 1, 8, 8) and out.dtype == deepgrad.float32
        assert 0 <= out.min().item() and out.max().item() <= 1
    assert model.training and not out.requires_grad
    g1, g2 = deepgrad.Generator(3), deepgrad.Generator(3)
    np.testing.assert_array_equal(model.sample(2, steps=2, generator=g1).numpy(),
                                  model.sample(2, steps=2, generator=g2).numpy())
    images, path = model.sample(2, sampler="ddim", steps=4, return_trajectory=True)
    assert len(path) == 5 and path[-1].shape == images.shape


def test_conditional_sampling_and_guidance():
    deepgrad.manual_seed(2)
    model = ddpm(in_channels=3, image_size=8, num_classes=4, timesteps=10, base_channels=8,
                 channel_mults=(1, 2))
    assert model.cond_drop_prob == 0.1
    seen = []
    forward = model.model.forward

    def spy(x, t, y=None):
        seen.append(y.numpy())
        return forward(x, t, y)

    model.model.forward = spy
    assert model.sample(6, steps=2, sampler="ddim").shape == (6, 3, 8, 8)
    np.testing.assert_array_equal(seen[0], [0, 1, 2, 3, 0, 1])  # classes spread by default
    out = model.sample(2, labels=deepgrad.tensor([3, 1]), steps=1, guidance_scale=2.0)
    assert out.shape == (2, 3, 8, 8)
    np.testing.assert_array_equal(seen[-1], [3, 1, 4, 4])  # conditional + "no label" in one pass


def test_registry_and_builder():
    builder = MODELS["ddpm"]
    assert builder is ddpm and builder.task == "generative" and DDPM.task == "generative"
    assert model_input_size("ddpm") == (1, 28, 28)
    assert model_input_size("ddpm", in_channels=3, image_size=32) == (3, 32, 32)
    n = sum(p.numel() for p in ddpm().parameters())
    assert 200_000 < n < 1_000_000
    assert set(ddpm().configure_optimizers()) == {"model"}


# -- bad input ----------------------------------------------------------------------------------

def test_bad_input_errors():
    model = _tiny(num_classes=3)
    opts = model.configure_optimizers()
    y = deepgrad.tensor([0, 1])
    with pytest.raises(ValueError, match=r"DDPM.train_step: expected images of shape "
                                         r"\(N, 1, 8, 8\).*got \(2, 1, 28, 28\)"):
        model.train_step(deepgrad.rand(2, 1, 28, 28), y, opts)
    with pytest.raises(ValueError, match=r"in_channels=1.*got \(2, 3, 8, 8\)"):
        model.train_step(deepgrad.rand(2, 3, 8, 8), y, opts)
    with pytest.raises(ValueError, match=r"DDPM.train_step: labels must be in \[0, 3\), got \[5\]"):
        model.train_step(deepgrad.rand(2, 1, 8, 8), deepgrad.tensor([0, 5]), opts)
    with pytest.raises(ValueError, match="needs labels"):
        model.train_step(deepgrad.rand(2, 1, 8, 8), None, opts)
    with pytest.raises(ValueError, match=r"DDPM.sample: labels must be in \[0, 3\), got \[-1\]"):
        model.sample(2, labels=[-1, 0], steps=1)
    with pytest.raises(ValueError, match="expected 2 integer labels"):
        model.sample(2, labels=[0, 1, 2], steps=1)
    with pytest.raises(ValueError, match="sampler must be 'ddpm' or 'ddim'"):
        model.sample(2, sampler="euler")
    with pytest.raises(ValueError, match=r"steps must be in \[1, 20\]"):
        model.sample(2, steps=50)
    with pytest.raises(ValueError, match="labels given to an unconditional model"):
        _tiny().sample(2, labels=[0, 1], steps=1)
    with pytest.raises(ValueError, match="image_size 30 must be divisible by 4"):
        ddpm(image_size=30)
    with pytest.raises(ValueError, match=r"UNet: expected input of shape \(N, 1, H, W\)"):
        UNet(1, 8, (1, 2))(deepgrad.rand(1, 2, 8, 8), [0])
    with pytest.raises(ValueError, match="one timestep per sample"):
        UNet(1, 8, (1, 2))(deepgrad.rand(2, 1, 8, 8), [0])
    with pytest.raises(ValueError, match=r"t must be 1 indices in \[0, 20\)"):
        model.loss(deepgrad.rand(1, 1, 8, 8), [0], t=[20])


def test_checkpoint_round_trip_samples_the_same(tmp_path):
    kwargs = dict(in_channels=1, image_size=8, num_classes=3, timesteps=10, base_channels=8,
                  channel_mults=[1, 2])
    model = ddpm(**kwargs)
    model.train_step(deepgrad.rand(4, 1, 8, 8), deepgrad.tensor([0, 1, 2, 0]),
                     model.configure_optimizers())
    deepgrad.save(model.state_dict(), tmp_path / "ddpm.safetensors")
    again = ddpm(**kwargs)
    again.load_state_dict(deepgrad.load(tmp_path / "ddpm.safetensors"))
    a = model.sample(3, labels=[2, 1, 0], steps=3, generator=deepgrad.Generator(5))
    b = again.sample(3, labels=[2, 1, 0], steps=3, generator=deepgrad.Generator(5))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(RuntimeError):
        ddpm(**{**kwargs, "num_classes": 5}).load_state_dict(model.state_dict())
