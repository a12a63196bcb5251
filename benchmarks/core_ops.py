"""The tiny ops of the per-op overhead table, shared by core.py (time) and opcount.py
(instruction counts). Each takes (library, x, y) with x, y 4x4 float32 tensors."""

OPS = {
    "add": lambda lib, x, y: x + y,
    "mul": lambda lib, x, y: x * y,
    "mul scalar": lambda lib, x, y: x * 2.0,
    "div": lambda lib, x, y: x / y,
    "matmul": lambda lib, x, y: x @ y,
    "exp": lambda lib, x, y: x.exp(),
    "tanh": lambda lib, x, y: x.tanh(),
    "relu": lambda lib, x, y: x.relu(),
    "sigmoid": lambda lib, x, y: x.sigmoid(),
    "sum": lambda lib, x, y: x.sum(),
    "sum(dim)": lambda lib, x, y: x.sum(1),
    "mean": lambda lib, x, y: x.mean(),
    "log_softmax": lambda lib, x, y: x.log_softmax(1),
    "reshape": lambda lib, x, y: x.reshape(16),
    "transpose": lambda lib, x, y: x.transpose(0, 1),
    "getitem": lambda lib, x, y: x[1:3],
    "linear": lambda lib, x, y: lib.nn.functional.linear(x, y),
}
