"""``deepgrad.autograd.graph``: torch's saved-tensor contexts.

torch lets code transform what the graph saves for backward (``saved_tensors_hooks(pack,
unpack)``), for instance to move it off the GPU (``save_on_cpu``). deepgrad's ops keep the
NumPy arrays they save inside their own nodes, already in host memory: ``save_on_cpu`` is
therefore exactly an identity context, while user ``pack``/``unpack`` hooks cannot be applied
and ``saved_tensors_hooks`` says so rather than ignoring them.
"""

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]


class saved_tensors_hooks:
    """torch's pack/unpack hooks on saved tensors: not supported (raises on entry)."""

    def __init__(self, pack_hook, unpack_hook):
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("saved_tensors_hooks expects two callables (pack_hook, "
                            "unpack_hook)")
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        raise NotImplementedError(
            "saved_tensors_hooks: deepgrad's ops save NumPy arrays inside their graph nodes, "
            "so pack/unpack hooks cannot be applied to them")

    def __exit__(self, *exc):
        return False


class save_on_cpu:
    """Keep saved tensors in host memory: they always are in deepgrad (an identity context)."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        self.pin_memory = pin_memory

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class disable_saved_tensors_hooks:
    """Forbid saved-tensor hooks inside (they are never applied in deepgrad anyway)."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
