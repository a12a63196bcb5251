"""div_ with rounding_mode and grad_fn names, against torch."""

import numpy as np
import pytest
import torch

import deepgrad


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
@pytest.mark.parametrize("values", [[5.0, -5.0, 7.5, -0.5], [5, -5, 7, -1]])
def test_div_inplace_rounding_modes_match_torch(mode, values):
    if mode is None and isinstance(values[0], int):
        return  # true division of an integer tensor in place is refused by both
    ours, theirs = deepgrad.tensor(values), torch.tensor(values)
    assert ours.div_(2, rounding_mode=mode) is ours
    theirs.div_(2, rounding_mode=mode)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")


def test_div_inplace_refuses_true_division_of_integers():
    with pytest.raises(RuntimeError):
        deepgrad.tensor([1, 2]).div_(2)
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).div_(2)


def test_grad_fn_names_carry_torchs_overload_number():
    for build in (lambda m, x: x * 2, lambda m, x: x.sum(), lambda m, x: m.exp(x)):
        ours = build(deepgrad, deepgrad.ones(2, requires_grad=True)).grad_fn.name()
        theirs = build(torch, torch.ones(2, requires_grad=True)).grad_fn.name()
        assert ours == theirs
