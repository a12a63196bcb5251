"""``deepgrad.autograd.graph``: torch's saved-tensor hooks, as identity contexts.

torch lets code transform what the graph saves for backward (``saved_tensors_hooks(pack,
unpack)``), typically to move it off the GPU (``save_on_cpu``) or to compress it, and back.
deepgrad's ops save NumPy arrays in their own nodes, which already live in host memory, and
``unpack(pack(x))`` is meant to give x back; so these contexts leave the saved values as they
are (``pack``/``unpack`` are not called) and the gradients are those of the plain graph.
"""

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]


class saved_tensors_hooks:
    """Accepts ``pack_hook`` and ``unpack_hook``; saved values stay as they are."""

    def __init__(self, pack_hook, unpack_hook):
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("saved_tensors_hooks expects two callables (pack_hook, "
                            "unpack_hook)")
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class save_on_cpu(saved_tensors_hooks):
    """Saved values are already in host memory in deepgrad: an identity context."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        super().__init__(lambda x: x, lambda x: x)


class disable_saved_tensors_hooks:
    """An identity context (no hooks are ever applied)."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
