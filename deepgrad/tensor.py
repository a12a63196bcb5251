"""``Tensor``: a NumPy array plus what autograd needs (``requires_grad``, ``grad``, ``grad_fn``).

This file holds no math. Operators and methods such as ``__add__`` or ``sum`` are attached by
``deepgrad.ops`` when it is imported, so each op's forward and backward live in one place.
"""

import numpy as np

from deepgrad.autograd import engine as _engine
from deepgrad.autograd import function as _function_module
from deepgrad.autograd.grad_mode import GradMode
from deepgrad.backend import dtypes


class Size(tuple):
    """A shape: a tuple of ints (``deepgrad.Size([2, 3]) == (2, 3)``), as ``torch.Size``.

    Slicing and concatenation keep the type, so ``x.shape[1:]`` is still a Size."""

    __slots__ = ()

    def numel(self):
        """The number of elements a tensor of this shape holds."""
        return int(np.prod(self, dtype=np.int64))

    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __repr__(self):
        return f"deepgrad.Size({list(self)})"


class device:
    """Where a tensor lives, as ``torch.device``: ``device('cpu')``, ``device('cpu:0')``,
    ``device('cpu', 0)``, ``device(type='cpu', index=0)``.

    Any device type can be named (``device('cuda')`` is allowed, as in torch); deepgrad only
    computes on the CPU, so moving a tensor anywhere else raises.
    """

    __slots__ = ("type", "index")
    _TYPES = ("cpu", "cuda", "mps", "meta", "xpu", "xla", "hip", "mkldnn", "opengl", "opencl",
              "ideep", "vulkan", "ve", "fpga", "ort", "mtia", "privateuseone", "hpu", "lazy",
              "ipu", "maia")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): a device object can't be combined with an index")
            object.__setattr__(self, "type", type.type)
            object.__setattr__(self, "index", type.index)
            return
        if isinstance(type, (int, np.integer)) and not isinstance(type, bool):
            type, index = "cuda", int(type)  # torch.device(0) means cuda:0
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments: {type!r}")
        name, _, number = type.partition(":")
        if name not in self._TYPES:
            raise RuntimeError(f"Expected one of {', '.join(self._TYPES)} device type at start "
                               f"of device string: {type}")
        if number:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(number)
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        object.__setattr__(self, "type", name)
        object.__setattr__(self, "index", None if index is None else int(index))

    def __setattr__(self, name, value):
        raise AttributeError("device objects are immutable")

    def __eq__(self, other):
        # torch.device compares equal only to devices (device('cpu') == 'cpu' is False)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))


_CPU = device("cpu")


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Create tensors with ``deepgrad.tensor(data)`` or the creation functions (``zeros``,
    ``randn``...). A tensor with ``requires_grad=True`` is a leaf of the graph; results of ops
    on it carry a ``grad_fn``, and ``backward()`` fills the leaves' ``.grad``.
    """

    # Per-op attributes live in slots; rarely set ones (grad, hooks, version) fall back to
    # class defaults, so wrapping an op's result sets three attributes only.
    __slots__ = ("_data", "requires_grad", "grad_fn", "__dict__", "__weakref__")
    __array_ufunc__ = None  # NumPy defers to our reflected operators: np.float32(2) * t -> Tensor
    grad = None
    _hooks = None
    _version = 0
    _retain = False

    def __init__(self, data, dtype=None, requires_grad=False):
        array = _as_array(data, dtypes.to_dtype(dtype))
        self._data = array
        self.grad_fn = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, array, grad_fn):
        """Wrap an array an op produced (no copy: the hot path). NumPy ufuncs on 0-d arrays
        return NumPy scalars; those become 0-d arrays here, in one place."""
        if type(array) is not np.ndarray:
            array = np.asarray(array)
        out = object.__new__(cls)
        out._data = array
        out.grad_fn = grad_fn
        out.requires_grad = grad_fn is not None
        return out

    # ----- attributes -------------------------------------------------------------------
    @property
    def data(self):
        """A tensor sharing this one's storage, outside the graph (PyTorch's ``.data``)."""
        return Tensor._from_op(self._data, None)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def shape(self):
        return Size(self._data.shape)

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        return _CPU

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def T(self):
        if self._data.ndim == 2:
            return self.transpose(0, 1)
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def dim(self):
        return self._data.ndim

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self.ndim, "size")]

    def numel(self):
        return int(self._data.size)

    def nelement(self):
        return int(self._data.size)

    def element_size(self):
        return self._data.itemsize

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ----- conversion -------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def numpy(self, force=False):
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead.")
        return self._data

    def tolist(self):
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous")
        return bool(self._data.reshape(()).item())

    __hash__ = object.__hash__

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __repr__(self):
        return _tensor_repr(self)

    # ----- autograd -------------------------------------------------------------------
    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got "
                f"{_dtype_name(self._data.dtype)}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """A tensor sharing this one's data, cut from the graph."""
        return Tensor._from_op(self._data, None)

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None or self._retain:
            return
        self._retain = True
        import weakref

        ref = weakref.ref(self)

        def store(grad):
            me = ref()
            if me is not None:
                me.grad = grad.detach() if me.grad is None else Tensor._from_op(
                    me.grad._data + grad._data, None)

        self.register_hook(store)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            if self.grad_fn.hooks is None:
                self.grad_fn.hooks = []
            hooks = self.grad_fn.hooks
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (reverse-mode autodiff)."""
        if gradient is None and inputs is None and not create_graph and self.grad_fn is not None \
                and self._data.size == 1:
            # the common ``loss.backward()``: seed dL/dL = 1 and walk the graph
            _engine.run_backward([self], [np.ones(self._data.shape, self._data.dtype)],
                                 bool(retain_graph))
            return
        from deepgrad.autograd import backward

        backward([self], None if gradient is None else [gradient], retain_graph=retain_graph,
                 create_graph=create_graph, inputs=inputs)

    def _bump_version(self):
        """Record an in-place change (graphs that saved this tensor then refuse to backward)."""
        if GradMode.enabled and self.requires_grad:
            if self.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation. "
                    "Wrap the update in `with deepgrad.no_grad():`.")
            raise RuntimeError(
                "in-place operations on tensors that are part of the autograd graph are not "
                "supported by deepgrad; use the out-of-place op")
        self._version += 1


_function_module._Tensor = Tensor


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


# ----- printing: torch's layout (torch/_tensor_str.py), so printed output matches ---------------

class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """How tensors print, as ``torch.set_printoptions``: ``profile`` is "default", "short" or
    "full"; ``sci_mode`` True/False forces or forbids scientific notation (None: automatic)."""
    if profile is not None:
        presets = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
                   "full": (4, float("inf"), 3, 80)}
        if profile not in presets:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}")
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = presets[profile]
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """One width and notation for every element, chosen from the finite nonzero values."""

    def __init__(self, array):
        self.floating = array.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        precision = PRINT_OPTS.precision
        flat = array.reshape(-1)
        if not self.floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return
        values = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if values.size:
            magnitudes = np.abs(values)
            low, high = magnitudes.min(), magnitudes.max()
            self.int_mode = bool(np.all(values == np.ceil(values)))
            wide = high / low > 1000.0 or high > 1.0e8
            if self.int_mode and not wide:
                self.max_width = max(len(f"{v:.0f}") + 1 for v in values.tolist())
            else:
                self.sci_mode = wide or (not self.int_mode and low < 1.0e-4)
                fmt = f"{{:.{precision}{'e' if self.sci_mode else 'f'}}}"
                self.max_width = max(len(fmt.format(v)) for v in values.tolist())
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode

    def format(self, value):
        precision = PRINT_OPTS.precision
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{{:{self.max_width}.{precision}e}}".format(value)
        elif self.int_mode:
            text = f"{value:.0f}"
            if np.isfinite(value):
                text += "."
        else:
            text = f"{{:.{precision}f}}".format(value)
        return (self.max_width - len(text)) * " " + text


def _summarized(array):
    """The edge elements printing keeps when a tensor is summarised (what the width uses)."""
    edge = PRINT_OPTS.edgeitems
    if array.ndim == 0:
        return array
    if array.ndim == 1:
        return np.concatenate([array[:edge], array[-edge:]]) if array.shape[0] > 2 * edge \
            else array
    rows = range(array.shape[0])
    if array.shape[0] > 2 * edge:
        rows = list(range(edge)) + list(range(array.shape[0] - edge, array.shape[0]))
    return np.stack([_summarized(array[i]) for i in rows]) if len(rows) else array


def _array_str(array, indent, summarize, formatter):
    edge = PRINT_OPTS.edgeitems
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        per_line = max(1, int((PRINT_OPTS.linewidth - indent) // (formatter.max_width + 2)))
        if summarize and not edge:
            items = ["..."]
        elif summarize and array.shape[0] > 2 * edge:
            items = [formatter.format(v) for v in array[:edge].tolist()] + [" ..."] + \
                [formatter.format(v) for v in array[-edge:].tolist()]
        else:
            items = [formatter.format(v) for v in array.tolist()]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    size = array.shape[0]
    if summarize and size > 2 * edge:
        slices = [_array_str(array[i], indent + 1, summarize, formatter) for i in range(edge)] \
            + ["..."] + [_array_str(array[i], indent + 1, summarize, formatter)
                         for i in range(size - edge, size)]
    else:
        slices = [_array_str(array[i], indent + 1, summarize, formatter) for i in range(size)]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _tensor_repr(t):
    """``tensor([1.0000, 2.5000], dtype=...)`` laid out as PyTorch prints it."""
    array, prefix = t._data, "tensor("
    indent = len(prefix)
    suffixes = []
    plain = (dtypes.default_float, dtypes.int64, dtypes.bool_)
    if array.size == 0:
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype != dtypes.default_float:
            suffixes.append(f"dtype=deepgrad.{_dtype_name(array.dtype)}")
        body = "[]"
    else:
        summarize = array.size > PRINT_OPTS.threshold
        formatter = _Formatter(_summarized(array) if summarize else array)
        body = _array_str(array, indent, summarize, formatter)
        if array.dtype not in plain:
            suffixes.append(f"dtype=deepgrad.{_dtype_name(array.dtype)}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    pieces = [prefix, body]
    last_line = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > PRINT_OPTS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(pieces) + ")"


def _dtype_name(dtype):
    return "bool" if dtype == dtypes.bool_ else dtype.name


def _wrap_dim(dim, ndim, op="op"):
    """Normalise a possibly negative ``dim`` and check it is in range (PyTorch's message)."""
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not isinstance(dim, (int, np.integer)) or not low <= dim <= high:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{low}, {high}], "
            f"but got {dim})")
    return int(dim) % max(ndim, 1)


def _as_array(data, dtype=None):
    """Turn ``data`` (Tensor, array, nested lists, scalar) into an array of PyTorch's dtype."""
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, np.ndarray):
        array = data
    else:
        float_dtypes = []
        if isinstance(data, (list, tuple)) and _holds_tensor(data):
            data = _unwrap_tensors(data, float_dtypes)
        array = np.asarray(data)
        if dtype is None and float_dtypes and array.dtype.kind == "f":
            # float tensor elements decide the dtype (Python floats beside them are weak)
            array = array.astype(np.result_type(*float_dtypes), copy=False)
        elif dtype is None:
            if array.dtype.kind == "f":
                array = array.astype(dtypes.default_float)
            elif array.dtype.kind in "iu":
                array = array.astype(dtypes.int64)
            elif array.dtype.kind == "b":
                pass
            elif array.dtype.kind == "c":
                raise TypeError("complex tensors are not supported")
            else:
                raise TypeError(f"can't convert {type(data).__name__} of {array.dtype} to a Tensor")
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    return array


def _holds_tensor(data):
    return any(isinstance(x, Tensor) or isinstance(x, (list, tuple)) and _holds_tensor(x)
               for x in data)


def _unwrap_tensors(data, float_dtypes):
    """Nested lists with tensors in them as nested lists of arrays; collects the float
    tensors' dtypes, which torch's type inference follows."""
    out = []
    for x in data:
        if isinstance(x, Tensor):
            if x._data.dtype.kind == "f":
                float_dtypes.append(x._data.dtype)
            out.append(x._data)
        elif isinstance(x, (list, tuple)):
            out.append(np.asarray(_unwrap_tensors(x, float_dtypes)))
        else:
            out.append(x)
    return out


def tensor(data, dtype=None, device=None, requires_grad=False):
    """Copy ``data`` into a new leaf tensor (``deepgrad.tensor([1., 2.])``).

    Python floats become float32 (the default), ints int64, bools bool; a NumPy array keeps its
    dtype, as in PyTorch.
    """
    _check_device(device)
    array = _as_array(data, dtypes.to_dtype(dtype))
    shared = array is data or (isinstance(data, Tensor) and array is data._data)
    if shared or not array.flags.owndata:
        array = array.copy()
    out = Tensor._from_op(array, None)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _check_device(where):
    """Refuse any device but the CPU (accepts None, strings, ints and ``device`` objects)."""
    if where is None:
        return
    if not isinstance(where, device):
        try:
            where = device(where)
        except (TypeError, RuntimeError):
            raise RuntimeError(f"deepgrad: invalid device {where!r}") from None
    if where.type != "cpu" or where.index not in (None, 0):
        raise RuntimeError(f"deepgrad runs on the CPU only; device {str(where)!r} is not "
                           f"available")
