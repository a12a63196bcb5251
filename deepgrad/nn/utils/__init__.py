"""``deepgrad.nn.utils``: gradient clipping, parameters <-> one vector, (``rnn``) sequence
packing. Each helper lives in its own file; add a new one's exports below."""

from deepgrad.nn.utils.clip_grad import (  # noqa: F401
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from deepgrad.nn.utils.convert_parameters import (  # noqa: F401
    parameters_to_vector,
    vector_to_parameters,
)

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm", "parameters_to_vector", "vector_to_parameters"]
from deepgrad.nn.utils.spectral_norm import (  # noqa: F401,E402
    remove_spectral_norm,
    spectral_norm,
)
from deepgrad.nn.utils.weight_norm import remove_weight_norm, weight_norm  # noqa: F401,E402

# the functions, not their submodules, under these names (as in torch.nn.utils)
__all__ += ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]


def __getattr__(name):
    # submodules (``nn.utils.rnn``...) load on first use, so a new file needs no line here
    import importlib

    try:
        return importlib.import_module(f"deepgrad.nn.utils.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"deepgrad.nn.utils.{name}":
            raise
        raise AttributeError(f"module 'deepgrad.nn.utils' has no attribute {name!r}") from None
