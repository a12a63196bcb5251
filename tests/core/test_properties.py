"""Property tests (hypothesis): broadcasting and reductions agree with torch on random shapes."""

import numpy as np
from helpers import compare
from hypothesis import given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast: each dim of the shorter one is the other's size or 1."""
    full = draw(st.lists(st.integers(1, 4), min_size=0, max_size=4))
    ndim_b = draw(st.integers(0, len(full)))
    a = [draw(st.sampled_from([s, 1])) for s in full]
    b = [draw(st.sampled_from([s, 1])) for s in full[len(full) - ndim_b:]]
    return tuple(a), tuple(b)


@st.composite
def shape_and_dims(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    dims = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1,
                         max_size=len(shape), unique_by=lambda d: d % len(shape)))
    return shape, tuple(dims), draw(st.booleans())


@SETTINGS
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "div", "maximum", "where"]))
def test_broadcast_binary(shapes, op):
    a, b = shapes
    cases = {
        "add": lambda lib, x, y: x + y, "sub": lambda lib, x, y: y - x,
        "mul": lambda lib, x, y: x * y, "div": lambda lib, x, y: x / (y * y + 1),
        "maximum": lambda lib, x, y: lib.maximum(x, y),
        "where": lambda lib, x, y: lib.where(y > 0, x, y * 2),
    }
    compare(cases[op], [a, b])


@SETTINGS
@given(shape_and_dims(), st.sampled_from(["sum", "mean", "var", "amax", "logsumexp", "norm"]))
def test_reductions(spec, op):
    shape, dims, keepdim = spec
    n = int(np.prod(shape))
    x = (np.random.default_rng(n).permutation(n).reshape(shape) - n / 2) / 5.0  # no ties
    if op == "var" and int(np.prod([shape[d] for d in dims])) == 1:
        return  # a single element has no sample variance (NaN in both)
    extra = {"p": 2} if op == "norm" else {}  # torch's default 'fro' takes at most 2 dims
    compare(lambda lib, t: getattr(t, op)(dim=dims, keepdim=keepdim, **extra), [x])


@SETTINGS
@given(shape_and_dims(), st.sampled_from(["softmax", "log_softmax", "cumsum"]))
def test_along_dim(spec, op):
    shape, dims, _ = spec
    compare(lambda lib, t: getattr(t, op)(dims[0]), [shape])
