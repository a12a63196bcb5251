"""How many threads deepgrad computes with (PyTorch's ``set_num_threads`` and friends).

deepgrad's parallelism is the BLAS library NumPy calls for matrix products (NumPy's wheels
bundle OpenBLAS), so ``set_num_threads(n)`` sets that library's thread count at run time:
through ``threadpoolctl`` when it is installed (it knows OpenBLAS, MKL and BLIS), else
through ctypes into the OpenBLAS that NumPy ships. Where no BLAS control is found, the value
is only remembered (and ``get_num_threads`` reports it, or the ``OMP_NUM_THREADS`` /
``OPENBLAS_NUM_THREADS`` setting, or the CPU count). Inter-op threads have no counterpart in
deepgrad (ops run one after another); their number is remembered for ``get``.
"""

import ctypes
import glob
import os

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads"]

# (setter, getter) symbol pairs of OpenBLAS builds: NumPy >= 2's scipy-openblas (64-bit
# integers, then 32-bit), and plain OpenBLAS
_OPENBLAS_SYMBOLS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
)

_state = {"threads": None, "interop": None, "blas": None}


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuntimeError(f"{name} expects an int, but got {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"{name} expects a positive integer")


class _OpenBLAS:
    """ctypes access to the OpenBLAS inside NumPy's wheel (``numpy.libs`` / ``.dylibs``)."""

    def __init__(self, library, setter, getter):
        self._set = getattr(library, setter)
        self._set.argtypes, self._set.restype = [ctypes.c_int], None
        self._get = getattr(library, getter)
        self._get.argtypes, self._get.restype = [], ctypes.c_int

    def set(self, n):
        self._set(n)

    def get(self):
        return int(self._get())

    @classmethod
    def find(cls):
        import numpy

        root = os.path.dirname(os.path.dirname(numpy.__file__))
        folders = [os.path.join(root, "numpy.libs"), os.path.join(os.path.dirname(numpy.__file__),
                                                                  ".dylibs")]
        for folder in folders:
            for path in sorted(glob.glob(os.path.join(folder, "*openblas*"))):
                try:
                    library = ctypes.CDLL(path)
                except OSError:
                    continue
                for setter, getter in _OPENBLAS_SYMBOLS:
                    if hasattr(library, setter) and hasattr(library, getter):
                        return cls(library, setter, getter)
        return None


class _ThreadpoolCtl:
    """threadpoolctl's control of every BLAS library loaded in the process."""

    def __init__(self, controller):
        self._controller = controller

    def set(self, n):
        self._controller.limit(limits=n, user_api="blas")

    def get(self):
        counts = [info["num_threads"] for info in self._controller.info()
                  if info.get("user_api") == "blas"]
        return max(counts) if counts else None

    @classmethod
    def find(cls):
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return None
        controller = ThreadpoolController()
        if not any(info.get("user_api") == "blas" for info in controller.info()):
            return None
        return cls(controller)


def _blas():
    """The BLAS thread control in use (found once), or False where there is none."""
    if _state["blas"] is None:
        import numpy  # noqa: F401  (loads the BLAS library the finders look for)

        control = None
        for finder in (_ThreadpoolCtl.find, _OpenBLAS.find):
            try:
                control = finder()
            except Exception:  # a broken optional tool must not break deepgrad
                control = None
            if control is not None:
                break
        _state["blas"] = control or False
    return _state["blas"]


def _default_threads():
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(name, "").split(",")[0].strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def set_num_threads(int):  # noqa: A002  (torch's argument name)
    """Use ``int`` threads for deepgrad's parallel work (the BLAS matrix products)."""
    _check_positive_int(int, "set_num_threads")
    control = _blas()
    if control:
        control.set(int)
    _state["threads"] = int


def get_num_threads():
    """The number of threads deepgrad's parallel work (BLAS) uses."""
    control = _blas()
    if control:
        count = control.get()
        if count:
            return count
    if _state["threads"] is not None:
        return _state["threads"]
    return _default_threads()


def set_num_interop_threads(int):  # noqa: A002
    """Remember the inter-op thread count (deepgrad runs ops one after another)."""
    _check_positive_int(int, "set_num_interop_threads")
    _state["interop"] = int


def get_num_interop_threads():
    """The inter-op thread count set, else torch's default (the number of CPUs)."""
    return _state["interop"] if _state["interop"] is not None else (os.cpu_count() or 1)
