"""The 60-minute blitz, run as written against torch and deepgrad."""

import numpy as np

from _libs import assert_same, libs, run_both


def tensors_program(torch, nn, F, optim, data):
    out = {}
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    out["ones_like"] = torch.ones_like(x)
    out["zeros"] = torch.zeros(2, 3)
    out["arange"] = torch.arange(6).reshape(2, 3)
    out["cat"] = torch.cat([x, x], dim=1)
    out["stack"] = torch.stack([x, x])
    out["matmul"] = x @ x.T
    out["mul"] = x * x
    out["col"] = x[:, 1]
    out["row"] = x[-1]
    out["mask"] = x[x > 2]
    y = x.clone()
    y[:, 0] = 0
    out["assign"] = y
    y.add_(5)
    out["add_"] = y
    out["item"] = x.sum().item()
    out["shape"] = list(x.shape)
    out["size1"] = x.size(1)
    a = np.ones(3)
    t = torch.from_numpy(a)
    np.add(a, 1, out=a)
    out["from_numpy_shares"] = t
    n = torch.ones(3).numpy()
    out["numpy_dtype"] = str(n.dtype)
    out["view"] = torch.arange(16.0).view(-1, 8)
    out["float"] = torch.arange(3).float()
    out["dtype"] = torch.arange(3).dtype == torch.int64
    return out


def test_tensor_basics():
    a, b = run_both(tensors_program)
    assert_same(a, b)


def autograd_program(torch, nn, F, optim, data):
    out = {}
    x = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    y = x + 2
    z = y * y * 3
    o = z.mean()
    o.backward()
    out["grad"] = x.grad
    out["y_leaf"] = (x.is_leaf, y.is_leaf, y.requires_grad)
    a = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    b = a * 2
    v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float64)
    b.backward(v)
    out["grad_v"] = a.grad
    with torch.no_grad():
        out["no_grad"] = (a * 2).requires_grad
    out["detach"] = a.detach().requires_grad
    c = torch.randn(3).requires_grad_(True)
    out["requires_grad_"] = c.requires_grad
    d = torch.zeros(3, dtype=torch.float64)
    d.requires_grad_()
    (d ** 2 + d).sum().backward()
    out["d_grad"] = d.grad
    return out


def test_autograd_basics():
    a, b = run_both(autograd_program)
    assert_same(a, b)


def cnn_program(torch, nn, F, optim, data, init=None, path=None):
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    net = Net().double()
    if init is not None:
        net.load_state_dict({k: torch.tensor(v) for k, v in init["state"].items()})
        inputs, labels = torch.tensor(init["x"]), torch.tensor(init["y"])
    else:
        inputs, labels = torch.randn(4, 3, 32, 32, dtype=torch.float64), torch.tensor([0, 3, 9, 1])
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    out = {"losses": losses, "state": {k: v.numpy().copy() for k, v in net.state_dict().items()}}
    out["keys"] = list(net.state_dict().keys())
    out["n_params"] = sum(p.numel() for p in net.parameters())
    net.eval()
    out["training"] = (net.training, net.conv1.training)
    with torch.no_grad():
        _, predicted = torch.max(net(inputs), 1)
    out["predicted"] = predicted
    out["correct"] = (predicted == labels).sum().item()
    net.train()
    out["train_again"] = net.fc1.training
    torch.save(net.state_dict(), path)
    net2 = Net().double()
    net2.load_state_dict(torch.load(path))
    out["reloaded"] = {k: v.numpy().copy() for k, v in net2.state_dict().items()}
    return out, {"state": {k: v.numpy().copy() for k, v in Net().double().state_dict().items()}, "x": inputs.numpy(), "y": labels.numpy()}


def test_cifar_cnn_training_and_save_load(tmp_path):
    T, D = libs("torch"), libs("deepgrad")
    torch_out, init = cnn_program(*T, path=str(tmp_path / "t.pth"))
    # replay torch's run from the same starting weights and data
    torch_out, _ = cnn_program(*T, init=init, path=str(tmp_path / "t.pth"))
    dg_out, _ = cnn_program(*D, init=init, path=str(tmp_path / "d.pth"))
    assert_same(torch_out, dg_out, rtol=1e-6, atol=1e-8)


def test_save_load_roundtrip_is_safe(tmp_path):
    import deepgrad

    path = tmp_path / "ckpt.pt"
    obj = {"epoch": 3, "w": deepgrad.arange(4.0), "nested": [deepgrad.ones(2, dtype=deepgrad.int64), 1.5, "x"]}
    deepgrad.save(obj, path)
    back = deepgrad.load(path)
    assert back["epoch"] == 3 and back["nested"][1] == 1.5 and back["nested"][2] == "x"
    np.testing.assert_array_equal(back["w"].numpy(), np.arange(4.0))
    assert back["nested"][0].dtype == deepgrad.int64
    # a hostile pickle must not run on load
    import pickle

    class Evil:
        def __reduce__(self):
            return (exec, ("import sys; sys._deepgrad_pwned = True",))

    bad = tmp_path / "evil.pt"
    bad.write_bytes(pickle.dumps(Evil()))
    import sys

    try:
        deepgrad.load(bad)
    except Exception:
        pass
    assert not getattr(sys, "_deepgrad_pwned", False)
