"""``summary(model, input_size)``: the layer table the course prints for VGG-16 and ResNet-18.

One row per call of a leaf module (a module without children; also any module that owns
parameters directly), found by running one forward pass with forward hooks:

    Layer (path)   Type      Output Shape        Param #   Kernel / Stride / Pad
    features.0     Conv2d    (1, 64, 224, 224)   1,792     3x3 / 1 / 1

Convolution and pooling rows show kernel, stride and padding, which determine the output size
O = floor((W - K + 2P) / S) + 1. Below the table: total parameters, split into trainable and
non-trainable, and the buffers (e.g. BatchNorm's running mean and variance) counted
separately -- buffers are state, not parameters, which is one reason the course decks' totals
differ from the frameworks' (see COURSE_NOTES).
"""

import numpy as np

__all__ = ["summary", "ModelSummary"]


class ModelSummary(str):
    """The summary text (a ``str``), with the counts as attributes: ``total_params``,
    ``trainable_params``, ``non_trainable_params``, ``buffer_elements`` and ``rows`` (one dict
    per table row)."""

    def __repr__(self):
        return str(self)


def _shape_of(output):
    if hasattr(output, "shape") and not isinstance(output, (tuple, list)):
        return tuple(int(s) for s in output.shape)
    if isinstance(output, (tuple, list)):
        return [_shape_of(o) for o in output]
    if isinstance(output, dict):
        return {k: _shape_of(v) for k, v in output.items()}
    return None


def _format_shape(shape):
    if shape is None:
        return "-"
    if isinstance(shape, tuple):
        return "(" + ", ".join(str(s) for s in shape) + ")"
    if isinstance(shape, list):
        return "[" + ", ".join(_format_shape(s) for s in shape) + "]"
    return "{" + ", ".join(f"{k}: {_format_shape(v)}" for k, v in shape.items()) + "}"


def _pair(value):
    if isinstance(value, (tuple, list)):
        return "x".join(str(v) for v in value)
    return f"{value}x{value}" if isinstance(value, int) else str(value)


def _kernel_info(module):
    kernel = getattr(module, "kernel_size", None)
    if kernel is None:
        return ""
    stride = getattr(module, "stride", None)
    padding = getattr(module, "padding", 0)
    stride_text = stride if not isinstance(stride, (tuple, list)) else (
        stride[0] if len(set(stride)) == 1 else _pair(stride))
    pad_text = padding if not isinstance(padding, (tuple, list)) else (
        padding[0] if len(set(padding)) == 1 else _pair(padding))
    return f"{_pair(kernel)} / {stride_text} / {pad_text}"


def _make_inputs(input_size, dtypes, batch_size):
    import deepgrad

    sizes = input_size
    if isinstance(sizes, int):
        sizes = (sizes,)
    if all(isinstance(s, int) for s in sizes):
        sizes = [tuple(sizes)]
    if dtypes is None:
        dtypes = [np.float32] * len(sizes)
    elif not isinstance(dtypes, (list, tuple)):
        dtypes = [dtypes] * len(sizes)
    # a private generator: printing a summary must not move the global random stream
    rng = np.random.default_rng(0)
    inputs = []
    for size, dtype in zip(sizes, dtypes):
        dtype = np.dtype(dtype)
        shape = (batch_size,) + tuple(size)
        if dtype.kind in "iub":
            array = np.zeros(shape, dtype=dtype)
        else:
            array = rng.standard_normal(shape).astype(dtype)
        inputs.append(deepgrad.from_numpy(array))
    return inputs


def summary(model, input_size=None, batch_size=1, dtypes=None, input_data=None, print_fn=print):
    """Print and return a table of ``model``'s layers with output shapes and parameter counts.

    Args:
        model: a ``deepgrad.nn.Module``.
        input_size: the shape of one sample without the batch dimension, e.g. ``(1, 28, 28)``
            or ``(784,)``; a list of shapes for a model with several inputs.
        batch_size: the batch size of the example input (shown in the output shapes).
        dtypes: dtype(s) of the example inputs (float32 by default; integer inputs such as token
            ids are filled with zeros).
        input_data: example input tensor(s) to use instead of ``input_size``.
        print_fn: called with the text (None: don't print).

    Returns:
        a :class:`ModelSummary` (the text, with the counts as attributes).
    """
    from deepgrad.autograd import no_grad

    if input_data is None and input_size is None:
        raise ValueError("summary: give input_size (one sample's shape, e.g. (1, 28, 28)) or "
                         "input_data")
    if input_data is not None:
        inputs = list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]
    else:
        inputs = _make_inputs(input_size, dtypes, batch_size)

    names = {}
    for name, module in model.named_modules():
        names.setdefault(id(module), name or "(model)")
    rows, handles, seen = [], [], set()

    def hook(module, args, output):
        first_call = id(module) not in seen
        seen.add(id(module))
        own = sum(p.numel() for p in module.parameters(recurse=False)) if first_call else 0
        rows.append({"name": names[id(module)], "type": type(module).__name__,
                     "output_shape": _shape_of(output), "params": own,
                     "kernel": _kernel_info(module),
                     "note": "" if first_call else "(shared)"})

    for module in model.modules():
        is_leaf = not any(True for _ in module.children())
        owns_params = any(True for _ in module.parameters(recurse=False))
        if is_leaf or owns_params:
            handles.append(module.register_forward_hook(hook))
    modes = [(m, m.training) for m in model.modules()]
    model.eval()  # BatchNorm on a batch of one, dropout off
    try:
        with no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes:
            module.training = mode

    params = {id(p): p for p in model.parameters()}.values()
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    buffers = list({id(b): b for b in model.buffers()}.values())
    buffer_elements = sum(b.numel() for b in buffers)
    param_bytes = sum(p._data.nbytes for p in params)
    buffer_bytes = sum(b._data.nbytes for b in buffers)

    show_kernel = any(r["kernel"] for r in rows)
    header = ["Layer (path)", "Type", "Output Shape", "Param #"] + (
        ["Kernel / Stride / Pad"] if show_kernel else [])
    table = []
    for r in rows:
        params_text = f"{r['params']:,}" + (f" {r['note']}" if r["note"] else "")
        line = [r["name"], r["type"], _format_shape(r["output_shape"]), params_text]
        if show_kernel:
            line.append(r["kernel"])
        table.append(line)
    widths = [max(len(header[i]), *(len(line[i]) for line in table)) if table else len(header[i])
              for i in range(len(header))]
    right = {3}

    def fmt(line):
        return "  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                         for i, (cell, w) in enumerate(zip(line, widths))).rstrip()

    width = max(len(fmt(header)), 48)
    in_shapes = ", ".join(_format_shape(_shape_of(x)) for x in inputs)
    lines = [f"{type(model).__name__} summary (input {in_shapes})", "=" * width, fmt(header),
             "=" * width]
    lines += [fmt(line) for line in table]
    covered = sum(r["params"] for r in rows)
    if covered != total:
        lines.append(f"(parameters of modules not called in forward: {total - covered:,})")
    lines += [
        "=" * width,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
        f"Buffers (not parameters): {buffer_elements:,}",
        "-" * width,
        f"Params size (MB): {param_bytes / 2**20:.2f}",
        f"Buffers size (MB): {buffer_bytes / 2**20:.2f}",
        "=" * width,
    ]
    result = ModelSummary("\n".join(lines))
    result.total_params, result.trainable_params = total, trainable
    result.non_trainable_params, result.buffer_elements = total - trainable, buffer_elements
    result.rows = rows
    if print_fn is not None:
        print_fn(result)
    return result
