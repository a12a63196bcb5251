"""CycleGAN: the ResNet generator and PatchGAN discriminator against torch twins (float64, same
weights), the losses and a whole train_step against the same step in torch, which player each
update changes, the domain split, sampling and registration."""

import math

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import optim
from deepgrad.models import MODELS, model_input_size
from deepgrad.models.cyclegan import CycleGAN, PatchDiscriminator, ResnetGenerator, cyclegan
from deepgrad.train import fit_generative

tnn = torch.nn


class TorchResnetBlock(tnn.Module):
    def __init__(self, c):
        super().__init__()
        self.block = tnn.Sequential(
            tnn.ReflectionPad2d(1), tnn.Conv2d(c, c, 3), tnn.InstanceNorm2d(c), tnn.ReLU(),
            tnn.ReflectionPad2d(1), tnn.Conv2d(c, c, 3), tnn.InstanceNorm2d(c))

    def forward(self, x):
        return x + self.block(x)


class TorchResnetGenerator(tnn.Module):
    def __init__(self, c, ngf, n_blocks, n_down):
        super().__init__()
        layers = [tnn.ReflectionPad2d(3), tnn.Conv2d(c, ngf, 7), tnn.InstanceNorm2d(ngf),
                  tnn.ReLU()]
        w = ngf
        for _ in range(n_down):
            layers += [tnn.Conv2d(w, 2 * w, 3, 2, 1), tnn.InstanceNorm2d(2 * w), tnn.ReLU()]
            w *= 2
        layers += [TorchResnetBlock(w) for _ in range(n_blocks)]
        for _ in range(n_down):
            layers += [tnn.ConvTranspose2d(w, w // 2, 3, 2, 1, output_padding=1),
                       tnn.InstanceNorm2d(w // 2), tnn.ReLU()]
            w //= 2
        layers += [tnn.ReflectionPad2d(3), tnn.Conv2d(w, c, 7), tnn.Tanh()]
        self.net = tnn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class TorchPatchDiscriminator(tnn.Module):
    def __init__(self, c, ndf, n_layers):
        super().__init__()
        layers = [tnn.Conv2d(c, ndf, 4, 2, 1), tnn.LeakyReLU(0.2)]
        w = ndf
        for _ in range(n_layers - 1):
            layers += [tnn.Conv2d(w, 2 * w, 4, 2, 1), tnn.InstanceNorm2d(2 * w),
                       tnn.LeakyReLU(0.2)]
            w *= 2
        layers += [tnn.Conv2d(w, 2 * w, 4, 1, 1), tnn.InstanceNorm2d(2 * w), tnn.LeakyReLU(0.2),
                   tnn.Conv2d(2 * w, 1, 4, 1, 1)]
        self.net = tnn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def _to_torch(dg_module, th_module):
    th_module = th_module.double()
    th_module.load_state_dict({k: torch.tensor(v.numpy()) for k, v in
                               dg_module.state_dict().items()})
    return th_module


def _assert_same(dg_module, th_module, atol=1e-10):
    th_state = th_module.state_dict()
    dg_state = dg_module.state_dict()
    assert sorted(dg_state) == sorted(th_state)
    for k, v in dg_state.items():
        np.testing.assert_allclose(v.numpy(), th_state[k].numpy(), atol=atol, rtol=1e-8,
                                   err_msg=k)


def _small(**kw):
    deepgrad.manual_seed(0)
    args = dict(in_channels=2, image_size=8, ngf=3, ndf=3, n_blocks=1, n_down=2,
                lambda_identity=0.5)
    args.update(kw)
    return CycleGAN(**args).to(deepgrad.float64)


@pytest.mark.parametrize("size,n_down,n_layers", [(8, 2, 1), (12, 1, 2), (28, 2, 2)])
def test_players_equal_torch_float64(size, n_down, n_layers):
    deepgrad.manual_seed(0)
    g = ResnetGenerator(2, 2, ngf=3, n_blocks=2, n_down=n_down).to(deepgrad.float64)
    d = PatchDiscriminator(2, ndf=3, n_layers=n_layers).to(deepgrad.float64)
    for p in list(g.parameters()) + list(d.parameters()):  # away from the N(0, .02) init
        p.detach().numpy()[...] = np.random.default_rng(p.numel()).standard_normal(p.shape)
    th_g = _to_torch(g, TorchResnetGenerator(2, 3, 2, n_down))
    th_d = _to_torch(d, TorchPatchDiscriminator(2, 3, n_layers))
    x = np.random.default_rng(1).uniform(-1, 1, (3, 2, size, size))
    xd, xt = deepgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, th_out = g(xd), th_g(xt)
    assert out.shape == (3, 2, size, size)
    np.testing.assert_allclose(out.detach().numpy(), th_out.detach().numpy(), atol=1e-10)
    scores, th_scores = d(xd), th_d(xt)
    assert scores.shape == th_scores.shape
    np.testing.assert_allclose(scores.detach().numpy(), th_scores.detach().numpy(), atol=1e-9)
    w = np.random.default_rng(2).standard_normal(x.shape)
    ((out * deepgrad.tensor(w)).sum() + scores.sum()).backward()
    ((th_out * torch.tensor(w)).sum() + th_scores.sum()).backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), atol=1e-8)
    for (name, p), (_, tp) in zip(g.named_parameters(), th_g.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=1e-8, err_msg=name)


def test_patch_map_size_and_reflection_pad():
    assert PatchDiscriminator(1)(deepgrad.rand(2, 1, 28, 28)).shape == (2, 1, 5, 5)
    assert CycleGAN(image_size=8).d_a(deepgrad.rand(1, 1, 8, 8)).shape == (1, 1, 2, 2)
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    from deepgrad.models.cyclegan import ReflectionPad

    np.testing.assert_array_equal(ReflectionPad(2)(deepgrad.tensor(x)).numpy(),
                                  tnn.ReflectionPad2d(2)(torch.tensor(x)).numpy())


def _torch_cycle_step(t, a, b, opt_g, opt_d, lam=10.0, lam_id=0.5):
    mse, l1 = tnn.functional.mse_loss, tnn.functional.l1_loss

    def ls(s, v):
        return mse(s, torch.full_like(s, v))

    opt_g.zero_grad()
    fake_b, fake_a = t["g_ab"](a), t["g_ba"](b)
    adv = ls(t["d_b"](fake_b), 1) + ls(t["d_a"](fake_a), 1)
    cyc = l1(t["g_ba"](fake_b), a) + l1(t["g_ab"](fake_a), b)
    idt = l1(t["g_ab"](b), b) + l1(t["g_ba"](a), a)
    total = adv + lam * cyc + lam_id * lam * idt
    total.backward()
    opt_g.step()
    opt_d.zero_grad()
    da = 0.5 * (ls(t["d_a"](a), 1) + ls(t["d_a"](fake_a.detach()), 0))
    db = 0.5 * (ls(t["d_b"](b), 1) + ls(t["d_b"](fake_b.detach()), 0))
    (da + db).backward()
    opt_d.step()
    return {"g_loss": total.item(), "g_adv": adv.item(), "cycle": cyc.item(),
            "identity": idt.item(), "d_a_loss": da.item(), "d_b_loss": db.item(),
            "d_loss": da.item() + db.item()}


def test_train_step_equals_torch():
    model = _small()
    t = {"g_ab": _to_torch(model.g_ab, TorchResnetGenerator(2, 3, 1, 2)),
         "g_ba": _to_torch(model.g_ba, TorchResnetGenerator(2, 3, 1, 2)),
         "d_a": _to_torch(model.d_a, TorchPatchDiscriminator(2, 3, 1)),
         "d_b": _to_torch(model.d_b, TorchPatchDiscriminator(2, 3, 1))}
    opts = model.configure_optimizers(lr=0.01)
    th_g = torch.optim.Adam(list(t["g_ab"].parameters()) + list(t["g_ba"].parameters()),
                            lr=0.01, betas=(0.5, 0.999))
    th_d = torch.optim.Adam(list(t["d_a"].parameters()) + list(t["d_b"].parameters()),
                            lr=0.01, betas=(0.5, 0.999))
    rng = np.random.default_rng(0)
    for _ in range(2):
        x = rng.uniform(0, 1, (5, 2, 8, 8))
        logs = model.train_step(deepgrad.tensor(x), None, opts)
        # 'invert': A = the first 2 images, B = the other 3 inverted
        a, b = torch.tensor(x[:2]) * 2 - 1, (1 - torch.tensor(x[2:])) * 2 - 1
        expected = _torch_cycle_step(t, a, b, th_g, th_d)
        assert logs == pytest.approx(expected, rel=1e-9)
    for name in t:  # conv biases before instance norm get ~0 gradients that Adam amplifies
        _assert_same(getattr(model, name), t[name], atol=1e-7)


def test_each_update_changes_only_its_players():
    model = _small()
    twin = _small()  # the same weights, to recompute what D's step should see
    x = deepgrad.rand(6, 2, 8, 8, dtype=deepgrad.float64)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    def changed():
        return {k.split(".")[0] for k, v in model.state_dict().items()
                if not np.array_equal(v.numpy(), before[k])}

    def losses(m=model):
        a, b = m.domain_split(x)
        with deepgrad.no_grad():
            total, *_, fake_b, fake_a = m.generator_losses(a * 2 - 1, b * 2 - 1)
            d = (m.discriminator_loss(m.d_a, a * 2 - 1, fake_a)
                 + m.discriminator_loss(m.d_b, b * 2 - 1, fake_b))
        return total.item(), d.item()

    seen = {}

    class Spy(optim.SGD):
        def step(self):
            seen["grads"] = [p.grad.numpy().copy() for p in self.param_groups[0]["params"]]
            return super().step()

    g0, _ = losses()
    opts = model.configure_optimizers(lr=1e-3)
    opts["discriminator"] = Spy(list(model.d_a.parameters()) + list(model.d_b.parameters()),
                                lr=0.0)
    model.train_step(x, None, opts)
    # the pools store the step's fakes (still filling, so D sees exactly these fakes)
    assert changed() == {"g_ab", "g_ba", "reference_a", "reference_count", "pool_a", "pool_b"}
    assert losses()[0] < g0
    # D's gradients at its step are exactly those of the D losses (on the fakes of the
    # generators before their update): the G update left nothing in D's .grad
    a, b = twin.domain_split(x)
    with deepgrad.no_grad():
        fake_b, fake_a = twin.g_ab(a * 2 - 1), twin.g_ba(b * 2 - 1)
    (twin.discriminator_loss(twin.d_a, a * 2 - 1, fake_a)
     + twin.discriminator_loss(twin.d_b, b * 2 - 1, fake_b)).backward()
    expected = [p.grad.numpy() for p in list(twin.d_a.parameters())
                + list(twin.d_b.parameters())]
    for got, want in zip(seen["grads"], expected):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    # the discriminators' update alone: D changes and its loss goes down, G stays
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    _, d0 = losses()
    opts = model.configure_optimizers(lr=1e-3)
    opts["generator"] = optim.SGD(list(model.g_ab.parameters())
                                  + list(model.g_ba.parameters()), lr=0.0)
    model.train_step(x, None, opts)
    assert changed() - {"reference_a", "reference_count", "pool_a", "pool_b"} == {"d_a", "d_b"}
    assert losses()[1] < d0


def test_domain_split_modes():
    model = CycleGAN(image_size=8, ngf=2, ndf=2, n_blocks=1)
    x = deepgrad.rand(5, 1, 8, 8)
    a, b = model.domain_split(x)
    np.testing.assert_array_equal(a.numpy(), x.numpy()[:2])
    np.testing.assert_allclose(b.numpy(), 1 - x.numpy()[2:])
    with pytest.raises(ValueError, match="at least 2"):
        model.domain_split(x[:1])
    classes = CycleGAN(image_size=8, ngf=2, ndf=2, n_blocks=1, domain_split="classes",
                       domain_a_classes=(1, 2), domain_b_classes=(5,))
    y = deepgrad.tensor([1, 5, 0, 2, 5])
    a, b = classes.domain_split(x, y)
    np.testing.assert_array_equal(a.numpy(), x.numpy()[[0, 3]])
    np.testing.assert_array_equal(b.numpy(), x.numpy()[[1, 4]])
    assert classes.train_step(x, deepgrad.tensor([0, 0, 1, 1, 3]),
                              classes.configure_optimizers()) == {}
    with pytest.raises(ValueError, match="in both domains"):
        CycleGAN(domain_split="classes", domain_a_classes=(1,), domain_b_classes=(1, 2))
    with pytest.raises(ValueError, match="'invert' or 'classes'"):
        CycleGAN(domain_split="paired")
    with pytest.raises(ValueError, match=r"expected images N×1×8×8, got \(2, 1, 9, 9\)"):
        model.domain_split(deepgrad.rand(2, 1, 9, 9))


def test_sample_translates_a_images_and_survives_a_reload():
    model = CycleGAN(image_size=8, ngf=2, ndf=2, n_blocks=1, reference_size=6)
    with pytest.raises(ValueError, match="no domain-A images"):
        model.sample(4)
    x = deepgrad.rand(4, 1, 8, 8)
    out = model.sample(3, x=x)
    assert out.shape == (3, 1, 8, 8) and 0 <= out.numpy().min() and out.numpy().max() <= 1
    np.testing.assert_allclose(out.numpy(), model.translate(x[:3]).numpy())
    opts = model.configure_optimizers()
    model.train_step(deepgrad.rand(10, 1, 8, 8), None, opts)  # keeps its 5 A images
    model.train_step(x, None, opts)  # and 1 of these 2
    assert int(model.reference_count.numpy()[0]) == 6
    np.testing.assert_array_equal(model.reference_a.numpy()[5], x.numpy()[0])
    fresh = CycleGAN(image_size=8, ngf=2, ndf=2, n_blocks=1, reference_size=6)
    fresh.load_state_dict(model.state_dict())
    np.testing.assert_allclose(fresh.sample(8).numpy(), model.sample(8).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="not class-conditional"):
        model.sample(2, labels=[1, 2])


def test_registered_and_fit_generative_reports_translation_error():
    assert MODELS["cyclegan"] is cyclegan and cyclegan.task == "generative"
    assert model_input_size("cyclegan", in_channels=3, image_size=32) == (3, 32, 32)
    assert cyclegan(in_channels=3, image_size=32, ngf=2, ndf=2, n_blocks=1)(
        deepgrad.rand(1, 3, 32, 32)).shape == (1, 3, 32, 32)
    deepgrad.manual_seed(0)
    model = cyclegan(image_size=8, ngf=4, ndf=4, n_blocks=1)
    x = np.random.default_rng(0).uniform(0, 1, (32, 1, 8, 8)).astype(np.float32)
    history = fit_generative(model, x, val_data=(x[:8], np.zeros(8)), epochs=2, batch_size=8,
                             verbose=0, lr=2e-3)
    assert {"g_loss", "g_adv", "cycle", "d_loss", "val_ab_error"} <= set(history.keys())
    assert "identity" not in history  # off for 'invert': the right G is not the identity on B
    # the generators' loss falls; the cycle term moves by < 1% in these 2 epochs, which float32
    # summation order alone flips (conv GEMM layout), so only its finiteness is asserted
    assert history["g_loss"][1] < history["g_loss"][0]
    assert np.isfinite(history["cycle"]).all()
    assert 0 < history["val_ab_error"][-1] < 1


def test_identity_loss_default_depends_on_the_domains():
    assert CycleGAN(image_size=8, ngf=2, ndf=2, n_blocks=1).lambda_identity == 0.0
    assert CycleGAN(image_size=8, ngf=2, ndf=2, n_blocks=1,
                    domain_split="classes").lambda_identity == 0.5
    assert cyclegan(image_size=8, ngf=2, ndf=2, n_blocks=1,
                    lambda_identity=0.3).lambda_identity == 0.3


def test_check_health():
    model = CycleGAN(image_size=8, ngf=2, ndf=2, n_blocks=1, health_patience=2)
    assert "non-finite cycle=nan" in model.check_health({"cycle": math.nan, "d_loss": 1.0})
    bad = {"d_loss": 0.001, "g_adv": 1.9}
    assert model.check_health(bad) is None
    assert "discriminator collapse" in model.check_health(bad)
    assert model.check_health({"d_loss": 0.4, "g_adv": 0.6}) is None
