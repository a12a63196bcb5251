"""``run_layer_test``: the checks every layer gets (after Keras' ``run_layer_test``).

Given a layer class, its arguments and an input shape it checks: the output shape, the number of
trainable parameters and buffers, a state_dict round trip into a fresh layer (same outputs),
and one SGD step (every parameter gets a finite gradient of its own shape and moves).
"""

import numpy as np

import deepgrad


def run_layer_test(cls, init_kwargs, input_shape, expected_output_shape, *,
                   expected_num_params=None, expected_num_buffers=0, input_dtype=np.float32,
                   num_inputs=1, low=-1.0, high=1.0):
    rng = np.random.default_rng(0)
    inputs = [deepgrad.tensor(rng.uniform(low, high, input_shape).astype(input_dtype))
              for _ in range(num_inputs)]
    layer = cls(**init_kwargs)
    output = layer(*inputs)
    assert tuple(output.shape) == tuple(expected_output_shape), \
        f"{cls.__name__}: output shape {tuple(output.shape)} != {expected_output_shape}"
    assert output.dtype == input_dtype, f"{cls.__name__}: output dtype {output.dtype}"
    params = list(layer.parameters())
    if expected_num_params is not None:
        count = sum(p.numel() for p in params)
        assert count == expected_num_params, f"{cls.__name__}: {count} parameters"
    assert len(list(layer.buffers())) == expected_num_buffers
    # state_dict round trip: a fresh layer loaded with the state computes the same outputs
    state = layer.state_dict()
    deepgrad.manual_seed(123)
    fresh = cls(**init_kwargs)
    result = fresh.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    layer.eval()
    fresh.eval()
    np.testing.assert_allclose(fresh(*inputs).detach().numpy(), layer(*inputs).detach().numpy(),
                               rtol=1e-6)
    # one training step
    layer.train()
    before = [p.detach().numpy().copy() for p in params]
    layer.zero_grad()
    (layer(*inputs) ** 2).mean().backward()
    with deepgrad.no_grad():
        for p in params:
            assert p.grad is not None, f"{cls.__name__}: no gradient for a parameter"
            assert p.grad.shape == p.shape and np.isfinite(p.grad.numpy()).all()
            p.sub_(p.grad * 0.1)
    for p, old in zip(params, before):
        assert not np.array_equal(p.detach().numpy(), old), f"{cls.__name__}: parameter unchanged"
    return layer
