"""In-place index assignment inside the autograd graph, as user programs write it."""

import pytest

from _libs import assert_same, run_both

REASON = ("deepgrad/ops/index.py setitem does not record into the graph "
          "(findings_user-programs.md #1)")


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


@pytest.mark.xfail(strict=True, reason=REASON)
@pytest.mark.parametrize("program", [masked_program, clone_slice_program], ids=["mask", "clone_slice"])
def test_setitem_in_graph(program):
    a, b = run_both(program)
    assert_same(a, b)


def test_setitem_into_plain_buffer():
    a, b = run_both(buffer_program)
    assert_same(a, b)
