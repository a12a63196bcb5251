"""Automatic mixed precision (PyTorch's ``torch.amp``): ``autocast`` and ``GradScaler``.

deepgrad computes in the dtype of its tensors (float32 by default) and has no float16/bfloat16
kernels worth switching to on a CPU, so ``autocast`` is a context manager that changes
nothing: training scripts written for mixed precision run unchanged, in float32. (Results
therefore differ from torch's reduced-precision ones by that rounding, never by more.)

``GradScaler`` is the real loss-scaling algorithm: ``scale(loss)`` multiplies by S;
``step(optimizer)`` divides the gradients by S, skips the step if any is inf/NaN;
``update()`` halves S after such a step, and doubles it after ``growth_interval`` clean
ones. As in torch, a scaler made for "cuda" disables itself (with a warning) where CUDA is
not available, which is always the case here; ``GradScaler("cpu")`` scales.
"""

import functools
import math
import warnings

import numpy as np

__all__ = ["autocast", "GradScaler", "is_autocast_available"]

_state = {"enabled": False}


def is_autocast_available(device_type):
    """Whether autocast can be used for ``device_type`` (it can, as a no-op, on "cpu")."""
    return device_type == "cpu"


class autocast:
    """Mixed-precision region (a no-op in deepgrad: ops keep their tensors' dtype).

    Args:
        device_type: "cuda", "cpu"... (accepted, no effect).
        dtype: the lower precision torch would use (accepted, no effect).
        enabled: whether the region is "on" (reported by ``is_autocast_enabled``).
    """

    def __init__(self, device_type="cuda", dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device_type, self.fast_dtype, self.enabled = device_type, dtype, bool(enabled)

    def __enter__(self):
        self._previous = _state["enabled"]
        _state["enabled"] = self.enabled
        return self

    def __exit__(self, *exc):
        _state["enabled"] = self._previous
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with autocast(self.device_type, self.fast_dtype, self.enabled):
                return func(*args, **kwargs)

        return wrapper


def is_autocast_enabled(device_type=None):
    """Whether code runs inside an enabled ``autocast`` region."""
    return _state["enabled"]


def _params_with_grad(optimizer):
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.grad is not None:
                yield p


class GradScaler:
    """Dynamic loss scaling for reduced-precision training (see the module docstring)."""

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0,
                 backoff_factor=0.5, growth_interval=2000, enabled=True):
        self._device = device
        self._enabled = bool(enabled)
        if self._enabled and device == "cuda":
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling.", stacklevel=2)
            self._enabled = False
        if growth_factor <= 1.0:
            raise ValueError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise ValueError("The backoff factor must be < 1.0.")
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer = {}  # id(optimizer) -> {"stage": ..., "found_inf": bool}

    def is_enabled(self):
        return self._enabled

    def get_scale(self):
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self):
        return self._growth_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_factor(self, new_factor):
        self._growth_factor = float(new_factor)

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = float(new_factor)

    def set_growth_interval(self, new_interval):
        self._growth_interval = int(new_interval)

    def scale(self, outputs):
        """``outputs`` times the scale S (a tensor, or an iterable of them, kept as given)."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        return outputs * self._scale

    def _state_of(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"stage": "ready",
                                                              "found_inf": False})

    def unscale_(self, optimizer):
        """Divide ``optimizer``'s gradients by S in place and note whether any is inf/NaN."""
        if not self._enabled:
            return
        state = self._state_of(optimizer)
        if state["stage"] == "unscaled":
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if state["stage"] == "stepped":
            raise RuntimeError("unscale_() is being called after step().")
        inverse = 1.0 / self._scale
        found_inf = False
        for p in _params_with_grad(optimizer):
            g = p.grad._data
            g *= np.asarray(inverse, dtype=g.dtype)
            if not found_inf and not np.isfinite(g).all():
                found_inf = True
        state["found_inf"], state["stage"] = found_inf, "unscaled"

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step()`` on unscaled gradients, skipped if they hold inf/NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        state = self._state_of(optimizer)
        if state["stage"] == "stepped":
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == "ready":
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = "stepped"
        return result

    def update(self, new_scale=None):
        """Adjust S: back off after a step with inf/NaN gradients, grow after
        ``growth_interval`` clean steps in a row; or set it to ``new_scale``."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if hasattr(new_scale, "item") else new_scale)
        else:
            found_inf = any(s["found_inf"] for s in self._per_optimizer.values())
            if found_inf:
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = self._scale * self._growth_factor
                    self._scale = grown if math.isfinite(grown) else self._scale
                    self._growth_tracker = 0
        self._per_optimizer = {}

    def state_dict(self):
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])


class DeviceAmp:
    """``torch.cpu.amp`` / ``torch.cuda.amp``: autocast and GradScaler with the device type
    filled in (``deepgrad.cpu.amp``, ``deepgrad.cuda.amp``)."""

    def __init__(self, device_type):
        self.device_type = device_type

    def autocast(self, enabled=True, dtype=None, cache_enabled=True):
        return autocast(self.device_type, dtype=dtype, enabled=enabled)

    def GradScaler(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                   growth_interval=2000, enabled=True):
        return GradScaler(self.device_type, init_scale, growth_factor, backoff_factor,
                          growth_interval, enabled)
