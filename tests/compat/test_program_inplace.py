"""In-place index assignment inside the autograd graph, as user programs write it."""

import pytest
from _libs import assert_same, run_both


def masked_program(torch, nn, F, optim, data):
    x = torch.tensor([-1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = x * 3
    y[y < 0] = 0
    y.sum().backward()
    return x.grad


def clone_slice_program(torch, nn, F, optim, data):
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    y = x.clone()
    y[1:] = y[1:] * 2
    y.sum().backward()
    return x.grad


def buffer_program(torch, nn, F, optim, data):
    a = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    buf = torch.zeros(3, 2, dtype=torch.float64)
    buf[0] = a * 2
    buf[1] = a * 3
    (buf * torch.arange(6.0, dtype=torch.float64).view(3, 2)).sum().backward()
    return buf.requires_grad, a.grad


def saved_output_program(torch, nn, F, optim, data):
    # tanh saves its output for backward: the writes must not change what backward reads
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([1.5, 2.0, -1.0], dtype=torch.float64, requires_grad=True)
    h = torch.tanh(x) * 1
    h[0] = w[0] * 4
    z = h * w
    z[2] = z[1] + w[2]
    z[z > 100] = 0.0
    (z * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    return h.detach(), z.detach(), x.grad, w.grad


def read_before_write_program(torch, nn, F, optim, data):
    # y is read (y * 2, y[0]) before it is written: those reads see y's old node
    x = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    y = x * x
    early = y * 2
    first = y[0]
    y[1:] = y[:2] * 10
    (early.sum() + first * 5 + y.sum()).backward()
    return y.detach(), x.grad


@pytest.mark.parametrize("program", [masked_program, clone_slice_program, saved_output_program,
                                     read_before_write_program],
                         ids=["mask", "clone_slice", "saved_output", "read_before_write"])
def test_setitem_in_graph(program):
    a, b = run_both(program)
    assert_same(a, b)


def test_setitem_into_plain_buffer():
    a, b = run_both(buffer_program)
    assert_same(a, b)
