"""One-line idioms common in course code, against torch and deepgrad."""

import numpy as np
import pytest

from _libs import assert_same, libs, run_both


def idioms_program(torch, nn, F, optim, data):
    out = {}
    logits = torch.tensor([[0.1, 2.0, 0.3], [1.5, 0.2, 0.1], [0.0, 0.1, 3.0], [0.9, 0.8, 0.7]], dtype=torch.float64)
    labels = torch.tensor([1, 0, 1, 2])
    out["argmax_correct"] = (torch.argmax(logits, dim=1) == labels).sum().item()
    correct = 0
    correct += (logits.argmax(1) == labels).type(torch.float).sum().item()
    out["type_float"] = correct
    x = torch.arange(24.0, dtype=torch.float64).view(2, 3, 4)
    out["view_size"] = x.view(x.size(0), -1)
    out["flatten"] = torch.flatten(x, 1)
    out["one_hot"] = F.one_hot(labels, num_classes=4)
    out["one_hot_auto"] = F.one_hot(labels)
    vals, idx = torch.topk(logits, 2, dim=1)
    out["topk"] = (vals, idx)
    img = torch.arange(16.0, dtype=torch.float64).view(1, 1, 4, 4)
    out["interp_nearest"] = F.interpolate(img, scale_factor=2, mode="nearest")
    out["interp_bilinear"] = F.interpolate(img, size=(6, 6), mode="bilinear", align_corners=False)
    out["interp_ac"] = F.interpolate(img, scale_factor=1.5, mode="bilinear", align_corners=True)

    w = torch.ones(2, dtype=torch.float64, requires_grad=True)

    @torch.no_grad()
    def evaluate(v):
        return (v * 2).requires_grad

    out["no_grad_decorator"] = evaluate(w)
    with torch.inference_mode():
        out["inference_mode"] = (w * 2).requires_grad
    torch.set_grad_enabled(False)
    out["set_grad_enabled_off"] = (w * 2).requires_grad
    torch.set_grad_enabled(True)
    with torch.set_grad_enabled(False):
        out["set_grad_ctx"] = (w * 2).requires_grad
    out["grad_back_on"] = (w * 2).requires_grad and torch.is_grad_enabled()

    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    out["n_params"] = sum(p.numel() for p in model.parameters())
    out["n_trainable"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    torch.manual_seed(123)
    r1 = torch.rand(3)
    torch.manual_seed(123)
    out["manual_seed_repeat"] = bool(torch.equal(r1, torch.rand(3)))
    g = torch.Generator().manual_seed(7)
    a = torch.randn(3, generator=g)
    g.manual_seed(7)
    out["generator_repeat"] = bool(torch.equal(a, torch.randn(3, generator=g)))
    perm = torch.randperm(5, generator=torch.Generator().manual_seed(0))
    out["randperm_sorted"] = perm.sort().values
    parts = data.random_split(range(8), [5, 3], generator=torch.Generator().manual_seed(0))
    out["split"] = [len(p) for p in parts]
    out["stack_dim1"] = torch.stack([torch.ones(2), torch.zeros(2)], dim=1)
    out["cat_dim0"] = torch.cat((torch.ones(1, 2), torch.zeros(2, 2)))
    out["softmax_rows"] = F.softmax(logits, dim=1).sum(1)
    out["max_tuple"] = tuple(torch.max(logits, 1))
    out["clamp"] = logits.clamp(0.2, 1.0)
    out["where"] = torch.where(logits > 1, logits, torch.zeros_like(logits))
    out["mean_keepdim"] = logits.mean(dim=0, keepdim=True)
    out["std"] = logits.std(dim=0)
    out["unsqueeze_squeeze"] = tuple(logits.unsqueeze(0).squeeze().shape)
    out["permute"] = tuple(x.permute(2, 0, 1).shape)
    out["transpose_contig"] = x.transpose(1, 2).contiguous().view(2, -1)
    out["tolist"] = labels.tolist()
    out["chunk"] = [tuple(c.shape) for c in torch.arange(10).chunk(3)]
    out["split_t"] = [tuple(c.shape) for c in torch.arange(10).split(4)]
    out["numpy_roundtrip"] = torch.from_numpy(np.arange(3, dtype=np.float32)).numpy().dtype == np.float32
    out["expand"] = torch.tensor([[1.0], [2.0]]).expand(2, 3)
    out["repeat"] = torch.tensor([1, 2]).repeat(2, 2)
    out["masked_fill"] = logits.masked_fill(logits < 0.5, float("-inf")).softmax(-1)
    out["eye"] = torch.eye(3)
    out["linspace"] = torch.linspace(0, 1, steps=5)
    out["full"] = torch.full((2, 2), 7)
    out["nonzero"] = (labels == 1).nonzero()
    out["unique"] = torch.unique(labels)
    return out


def test_idioms():
    a, b = run_both(idioms_program)
    assert_same(a, b, rtol=1e-6, atol=1e-7)


def device_program(torch, nn, F, optim, data):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = nn.Linear(3, 2).to(device)
    x = torch.ones(4, 3).to(device)
    y = torch.zeros(4, dtype=torch.long, device=device)
    loss = F.cross_entropy(model(x), y)
    return {
        "device": str(device), "x_device": str(x.device), "param_device": str(next(model.parameters()).device),
        "loss_shape": tuple(loss.shape), "type": device.type, "cpu": str(x.cpu().device),
        "to_dtype": x.to(device, dtype=torch.float64).dtype == torch.float64,
        "is_cuda": x.is_cuda,
    }


def test_device_idiom():
    import deepgrad

    missing = [name for name in ("device", "cuda") if not hasattr(deepgrad, name)]
    if missing:
        pytest.xfail(f"deepgrad lacks {', '.join(missing)} (being added by another helper)")
    a, b = run_both(device_program)
    assert_same(a, b)
