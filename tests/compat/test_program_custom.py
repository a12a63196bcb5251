"""Custom autograd.Function, buffers, containers and hooks, as user programs."""

import numpy as np

from _libs import assert_same, libs, run_both


def function_program(torch, nn, F, optim, data):
    out = {}

    class MyReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input, scale):
            ctx.save_for_backward(input)
            ctx.scale = scale
            return input.clamp(min=0) * scale

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            out["needs"] = tuple(ctx.needs_input_grad)
            return grad_input * ctx.scale, None

    x = torch.tensor([-1.0, 2.0, 0.5], dtype=torch.float64, requires_grad=True)
    y = MyReLU.apply(x, 3.0)
    y.sum().backward()
    out["y"] = y
    out["grad"] = x.grad
    out["grad_fn_name"] = type(y.grad_fn).__name__

    class ArgSort(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            vals, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return vals, idx

        @staticmethod
        def backward(ctx, g, gidx):
            (idx,) = ctx.saved_tensors
            res = torch.zeros_like(g)
            res[idx] = g
            return res

    z = torch.tensor([3.0, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
    vals, idx = ArgSort.apply(z)
    (vals * torch.tensor([1.0, 10.0, 100.0], dtype=torch.float64)).sum().backward()
    out["sort_grad"] = z.grad
    out["idx_rg"] = idx.requires_grad

    from_autograd = torch.autograd.function

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @from_autograd.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    w = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    Square.apply(w).sum().backward()
    out["square_grad"] = w.grad
    out["gradcheck"] = torch.autograd.gradcheck(
        lambda t: MyReLU.apply(t, 2.0), (torch.tensor([0.3, -0.7, 1.1], dtype=torch.float64, requires_grad=True),)
    )
    return out


def test_custom_function():
    a, b = run_both(function_program)
    assert_same(a, b)


def module_program(torch, nn, F, optim, data):
    out = {}

    class RunningNorm(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.register_buffer("running_mean", torch.zeros(n, dtype=torch.float64))
            self.register_buffer("tmp", torch.ones(1), persistent=False)
            self.layers = nn.ModuleList([nn.Linear(n, n) for _ in range(2)])
            self.heads = nn.ModuleDict({"a": nn.Linear(n, 1), "b": nn.Linear(n, 2)})
            self.scales = nn.ParameterList([nn.Parameter(torch.ones(n)) for _ in range(2)])
            self.extra = nn.ParameterDict({"bias": nn.Parameter(torch.zeros(n))})

        def forward(self, x):
            if self.training:
                self.running_mean.mul_(0.9).add_(0.1 * x.mean(0))
            for layer, s in zip(self.layers, self.scales):
                x = layer(x) * s
            return {k: h(x + self.extra["bias"]) for k, h in self.heads.items()}

    m = RunningNorm(3)
    out["state_keys"] = list(m.state_dict().keys())
    out["buffers"] = [n for n, _ in m.named_buffers()]
    out["params"] = [n for n, _ in m.named_parameters()]
    out["children"] = [n for n, _ in m.named_children()]
    out["modules"] = [type(x).__name__ for x in m.modules()]
    out["len"] = (len(m.layers), len(m.heads), len(m.scales), len(m.extra))
    m.layers.append(nn.Linear(3, 3))
    out["appended"] = len(m.layers)
    res = m(torch.ones(2, 3))
    out["out_shapes"] = {k: tuple(v.shape) for k, v in res.items()}
    out["rm"] = m.running_mean

    acts, grads = {}, {}

    def fwd_hook(mod, inp, outp):
        acts["shape"] = tuple(outp.shape)

    def bwd_hook(mod, gin, gout):
        grads["gout"] = tuple(gout[0].shape)

    lin = nn.Linear(3, 2).double()
    h1 = lin.register_forward_hook(fwd_hook)
    h2 = lin.register_full_backward_hook(bwd_hook)
    pre = lin.register_forward_pre_hook(lambda mod, inp: (inp[0] * 2,))
    x = torch.ones(4, 3, dtype=torch.float64, requires_grad=True)
    y = lin(x)
    y.sum().backward()
    out["acts"], out["grads"] = acts, grads
    out["pre_doubled"] = bool(torch.allclose(y, F.linear(2 * x, lin.weight, lin.bias)))
    h1.remove(), h2.remove(), pre.remove()
    acts.clear()
    lin(x)
    out["removed"] = len(acts)

    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    t.register_hook(lambda g: g * 10)
    (t * t).sum().backward()
    out["tensor_hook"] = t.grad
    return out


def test_custom_modules_and_hooks():
    a, b = run_both(module_program)
    assert_same(a, b)
