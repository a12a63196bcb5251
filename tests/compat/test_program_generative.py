"""DCGAN, VAE and diffusion-schedule user programs against torch and deepgrad."""

import numpy as np

from _libs import assert_same, libs


def replay(program):
    T, D = libs("torch"), libs("deepgrad")
    _, init = program(*T, init=None)
    return program(*T, init=init)[0], program(*D, init=init)[0]


def load(torch, model, init):
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    if init is not None:
        model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    return state


def test_dcgan_step():
    def program(torch, nn, F, optim, data, init):
        torch.manual_seed(0)
        nz, ngf, ndf = 4, 4, 4

        def weights_init(m):
            classname = m.__class__.__name__
            if classname.find("Conv") != -1:
                nn.init.constant_(m.weight.data, 0.02)
            elif classname.find("BatchNorm") != -1:
                nn.init.constant_(m.weight.data, 1.0)
                nn.init.constant_(m.bias.data, 0)

        netG = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False), nn.Tanh(),
        ).double()
        netD = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, 1, 4, 1, 0, bias=False), nn.Sigmoid(),
        ).double()
        both = nn.ModuleDict({"G": netG, "D": netD})
        both.apply(weights_init)
        state = load(torch, both, init)
        criterion = nn.BCELoss()
        optD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
        optG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
        real = torch.tensor(np.tanh(np.sin(np.arange(128.0))).reshape(2, 1, 8, 8))
        noise = torch.tensor(np.cos(np.arange(8.0)).reshape(2, nz, 1, 1))
        netD.zero_grad()
        label = torch.full((2,), 1.0, dtype=torch.float64)
        errD_real = criterion(netD(real).view(-1), label)
        errD_real.backward()
        fake = netG(noise)
        label.fill_(0.0)
        errD_fake = criterion(netD(fake.detach()).view(-1), label)
        errD_fake.backward()
        optD.step()
        netG.zero_grad()
        label.fill_(1.0)
        errG = criterion(netD(fake).view(-1), label)
        errG.backward()
        optG.step()
        return {"fake_shape": tuple(fake.shape), "errD": (errD_real + errD_fake).item(), "errG": errG.item(),
                "state": both.state_dict()}, state

    a, b = replay(program)
    assert_same(a, b, rtol=1e-6, atol=1e-9)


def test_vae_loss():
    def program(torch, nn, F, optim, data, init):
        torch.manual_seed(0)

        class VAE(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(16, 8)
                self.fc21 = nn.Linear(8, 2)
                self.fc22 = nn.Linear(8, 2)
                self.fc3 = nn.Linear(2, 8)
                self.fc4 = nn.Linear(8, 16)

            def encode(self, x):
                h1 = F.relu(self.fc1(x))
                return self.fc21(h1), self.fc22(h1)

            def reparameterize(self, mu, logvar, eps):
                std = torch.exp(0.5 * logvar)
                return mu + eps * std

            def forward(self, x, eps):
                mu, logvar = self.encode(x.view(-1, 16))
                z = self.reparameterize(mu, logvar, eps)
                return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar

        model = VAE().double()
        state = load(torch, model, init)
        x = torch.tensor((np.sin(np.arange(48.0)) ** 2).reshape(3, 1, 4, 4))
        eps = torch.randn_like(torch.zeros(3, 2, dtype=torch.float64))
        assert eps.shape == (3, 2) and eps.dtype == torch.float64
        eps = torch.tensor(np.linspace(-1, 1, 6).reshape(3, 2))
        recon, mu, logvar = model(x, eps)
        BCE = F.binary_cross_entropy(recon, x.view(-1, 16), reduction="sum")
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = BCE + KLD
        loss.backward()
        return {"loss": loss.item(), "grads": [p.grad for p in model.parameters()]}, state

    a, b = replay(program)
    assert_same(a, b, rtol=1e-6, atol=1e-9)


def test_diffusion_schedule():
    def program(torch, nn, F, optim, data, init):
        T = 10
        betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
        alphas = 1.0 - betas
        alphas_cumprod = torch.cumprod(alphas, dim=0)
        alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)
        sqrt_ac = torch.sqrt(alphas_cumprod)
        sqrt_1m = torch.sqrt(1.0 - alphas_cumprod)
        posterior_var = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)

        def extract(a, t, x_shape):
            batch_size = t.shape[0]
            out = a.gather(-1, t.cpu())
            return out.reshape(batch_size, *((1,) * (len(x_shape) - 1)))

        x0 = torch.tensor(np.sin(np.arange(24.0)).reshape(2, 3, 2, 2))
        noise = torch.tensor(np.cos(np.arange(24.0)).reshape(2, 3, 2, 2))
        t = torch.tensor([0, 7])
        xt = extract(sqrt_ac, t, x0.shape) * x0 + extract(sqrt_1m, t, x0.shape) * noise
        t_rand = torch.randint(0, T, (5,), device=x0.device).long()
        return {"ac": alphas_cumprod, "prev": alphas_cumprod_prev, "pv": posterior_var, "xt": xt,
                "t_rand": (tuple(t_rand.shape), t_rand.dtype == torch.int64, bool((t_rand < T).all()))}, None

    a, b = replay(program)
    assert_same(a, b)
